"""Taking several answers at once while every rule stays true: what changed, what was
refused, and which earlier answers a change made invalid."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping

from bot.core.catalog import Option, Product
from bot.core.rules import Violation, involved_options, violations
from bot.core.selections import Selections


@dataclass
class Change:
    option: Option
    old: Any
    new: Any
    was_filled: bool
    cleared_by: str = ""  # for an answer a change cleared: the option whose change did it
    reason: str = ""  # ... and the rule's message


@dataclass
class Applied:
    """The outcome of taking several answers at once."""

    selections: Dict[str, Any]
    changes: List[Change] = field(default_factory=list)  # accepted, in catalog order
    refused: List[Violation] = field(default_factory=list)  # with the option to ask again
    cleared: List[Change] = field(default_factory=list)  # earlier answers a change invalidated


def apply_answers(product: Product, selections: Selections, answers: Mapping[str, Any]) -> Applied:
    """Take new answers (option id -> value), keeping every rule true.

    A new answer that breaks a rule with earlier ones is refused. A change to an option
    that was already answered is taken, and the earlier answers it now conflicts with
    are cleared so they are asked again (the customer's latest word wins).
    """
    result = Applied(dict(selections))
    for option in product.options:
        if option.id not in answers:
            continue
        new = answers[option.id]
        was_filled = option.id in result.selections
        old = result.selections.get(option.id)
        if was_filled and old == new:
            continue
        trial = {**result.selections, option.id: new}
        broken = violations(product, trial, option.id)
        cleared: List[Change] = []  # kept only if the change is taken: a refused change clears nothing
        if broken and was_filled:
            for violation in broken:
                involved = sorted(involved_options(product, violation.rule_id), key=product.option_ids.index)
                for other in reversed(involved):  # the latest question in the catalog's order
                    if other != option.id and other in trial and other not in answers:
                        cleared.append(Change(product.option(other), trial.pop(other), None, True,
                                              option.id, violation.message))
                        violation.option_id = other
                        break
            broken = violations(product, trial, option.id)
        if broken:
            result.refused.extend(broken)
            continue
        result.selections = trial
        result.cleared.extend(cleared)
        result.changes.append(Change(option, old, new, was_filled))
    return result


def typed_after(applied: Applied, typed: Mapping[str, str], given: Mapping[str, str]) -> Dict[str, str]:
    """The customer's figures as typed (option id -> "15.5 in") once `applied` is taken: a new or
    changed answer keeps what was typed with it (`given`, from Parsed.typed; nothing for a
    figure typed in the shop's unit), an answer cleared or changed loses the old one. What a
    `typed` slot would hold beside `selections`, for the summary and the stored order."""
    result = {option_id: text for option_id, text in typed.items() if option_id in applied.selections}
    for change in applied.changes:
        result.pop(change.option.id, None)
        if given.get(change.option.id):
            result[change.option.id] = given[change.option.id]
    return result
