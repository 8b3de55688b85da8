"""The product's rules against the selections: what is broken, which options a rule
involves, and which values of a choice still fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from bot.core.catalog import ChoiceValue, Option, Product, Rule
from bot.core.expressions import evaluate, names_in
from bot.core.phrases import name_list
from bot.core.refusals import Refusal, RefusalReason
from bot.core.selections import Selections, derive, namespace


@dataclass
class Violation:
    message: str
    option_id: str  # the option to ask again
    rule_id: str = ""  # the rule, or the derived part nothing fits

    @property
    def refusal(self) -> Refusal:
        """The broken rule as the staff dashboard keeps it."""
        return Refusal(self.option_id, RefusalReason.RULE, self.message, self.rule_id or None)


def _rule_holds(rule: Rule, names: Dict[str, Any]) -> Optional[bool]:
    """True/False, or None when the rule cannot be judged yet (an input is missing)."""
    if not all(name in names and names[name] is not None for text in rule.expressions for name in names_in(text)):
        return None
    if rule.kind == "limit":
        return bool(evaluate(rule.check, names))
    condition = bool(evaluate(rule.if_, names))
    consequence = bool(evaluate(rule.then, names))
    if rule.kind == "requires":
        return not condition or consequence
    return not (condition and consequence)  # excludes


def violations(product: Product, selections: Selections, answered: str) -> List[Violation]:
    """Rules the selections break; `answered` is the option just given, asked again."""
    names = namespace(product, selections)
    found = []
    for rule in product.rules:
        if _rule_holds(rule, names) is False:
            found.append(Violation(rule.message, answered, rule.id))
    for choice in derive(product, selections, None):
        part = product.derived_part(choice.part_id)
        if choice.value is None and part.when_none_fits == "reject":
            found.append(Violation(part.none_fits_message, answered, part.id))
    return found


def involved_options(product: Product, rule_id: str) -> List[str]:
    """Option ids a rule depends on, directly or through derived parts."""
    rule = next((r for r in product.rules if r.id == rule_id), None)
    texts = rule.expressions if rule else [product.derived_part(rule_id).needed]
    found: List[str] = []
    pending = [name for text in texts for name in names_in(text)]
    while pending:
        name = pending.pop()
        if name in product.option_ids:
            if name not in found:
                found.append(name)
        else:
            pending.extend(names_in(product.derived_part(name).needed))
    return found


def valid_values(product: Product, selections: Selections, option: Option) -> List[ChoiceValue]:
    """In-stock values of a choice option that break no rule with the other selections."""
    others = {key: value for key, value in selections.items() if key != option.id}
    return [
        value for value in option.in_stock_values
        if not violations(product, {**others, option.id: value.id}, option.id)
    ]


def why_unfit(product: Product, selections: Selections, option: Option, values: Sequence[ChoiceValue]) -> str:
    """"32 GB DDR4 would not fit (AMD Ryzen processors take DDR5 memory only)": the values of
    `option` named, with the rules each breaks beside the other selections."""
    reasons = unfit_reasons(product, selections, option, values)
    return f"{name_list((v.name for v in values), 'and')} would not fit" + (f" ({'; '.join(reasons)})" if reasons else "")


def unfit_reasons(product: Product, selections: Selections, option: Option, values: Sequence[ChoiceValue]) -> List[str]:
    """The messages of the rules the values of `option` break beside the other selections."""
    others = {key: value for key, value in selections.items() if key != option.id}
    return list(dict.fromkeys(violation.message.rstrip(".") for value in values
                              for violation in violations(product, {**others, option.id: value.id}, option.id)))

