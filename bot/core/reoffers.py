"""A choice a rule refused is remembered, and offered again once the rule allows it.

"cedar shingles and 1.8 m wide": the shingles are refused (they need 2 m). When the customer
then makes the width 2.2 m, the bot asks "Cedar shingles need a shed at least 2 m wide. Now
that the width is 2.2 m, shall I make the roof Cedar shingles?" - a question, never a silent
set. Which choices were refused, and which were offered again, travel as data in the bot
messages' metadata (the actions keep them there); this module decides from that data and
the catalog's rules alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from bot.core.catalog import Product
from bot.core.changes import Applied
from bot.core.rules import involved_options, violations
from bot.core.selections import Selections
from bot.core.values import display_value, noun

REFUSED_KEY = "refused_by_rule"  # bot event metadata: [{"option": ..., "choice": ..., "rule": ...}]
OFFERED_KEY = "offered_again"  # bot event metadata: [{"option": ..., "choice": ...}]


@dataclass(frozen=True)
class Refused:
    """A value of a choice option a product rule refused."""

    option_id: str
    value_id: str
    rule_id: str

    def as_data(self) -> Dict[str, str]:
        return {"option": self.option_id, "choice": self.value_id, "rule": self.rule_id}

    @classmethod
    def from_data(cls, product: Product, data: Any) -> Optional["Refused"]:
        """The refusal kept by as_data, if the product still has its option, value and rule."""
        if not isinstance(data, dict):
            return None
        option = next((o for o in product.options if o.id == data.get("option") and o.kind == "choice"), None)
        if option is None or data.get("choice") not in {v.id for v in option.values} \
                or data.get("rule") not in {r.id for r in product.rules}:
            return None
        return cls(option.id, str(data["choice"]), str(data["rule"]))


@dataclass(frozen=True)
class Offer:
    """A refused choice the rules now allow, asked about."""

    refused: Refused
    text: str

    def as_data(self) -> Dict[str, str]:
        return {"option": self.refused.option_id, "choice": self.refused.value_id}


def refused_by_rules(product: Product, answers: Dict[str, Any], applied: Applied) -> List[Refused]:
    """The choices of one message (option id -> value id) that a product rule refused."""
    rules = {rule.id for rule in product.rules}
    found = []
    for violation in applied.refused:
        value = answers.get(violation.option_id)
        if violation.rule_id in rules and product.option(violation.option_id).kind == "choice" and value is not None:
            found.append(Refused(violation.option_id, str(value), violation.rule_id))
    return found


def offer_again(product: Product, selections: Selections, remembered: Sequence[Refused],
                offered: Iterable[Tuple[str, str]]) -> Optional[Offer]:
    """The latest remembered refusal the rules now allow with `selections` (and not offered
    before, nor chosen since): what to ask."""
    done: Set[Tuple[str, str]] = set(offered)
    for refused in reversed(remembered):
        key = (refused.option_id, refused.value_id)
        if key in done or selections.get(refused.option_id) == refused.value_id:
            continue
        done.add(key)
        candidate = {**selections, refused.option_id: refused.value_id}
        if violations(product, candidate, refused.option_id):
            continue
        option = product.option(refused.option_id)
        rule = next(r for r in product.rules if r.id == refused.rule_id)
        now = [product.option(o) for o in involved_options(product, rule.id) if o != option.id and o in selections]
        if not now:
            continue  # nothing the rule depends on is chosen: it was not a change that allowed it
        said = "; ".join(f"the {noun(o)} is {display_value(o, selections[o.id])}" for o in now)
        value = option.value(refused.value_id)
        return Offer(refused, f"{rule.message.rstrip('.')}. Now that {said}, shall I make the {noun(option)} "
                              f"{value.name}?")
    return None
