"""The rest of a split, remembered: "can 1 of them be linen and the other 2 in the light
blue poplin?" is one configuration per order, so the order in progress takes one and the
others wait here; once it is placed, the next is offered as its own order, the same as the
one placed but for the split option and the count (and started on yes).

What is remembered travels in a slot as plain data (`Remembered.as_slot()`), so it
survives the turns between the split and the placing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from bot.core.catalog import Catalog, Product
from bot.core.phrases import amount
from bot.core.placement import PlacementReason, check_order
from bot.core.rules import involved_options, violations
from bot.core.values import display_value

Selections = Dict[str, Any]


@dataclass(frozen=True)
class Remembered:
    """The parts of a split still to be ordered: (count, value id) of one choice option."""

    product_id: str
    option_id: str
    parts: Tuple[Tuple[int, str], ...]

    def as_slot(self) -> Dict[str, Any]:
        return {"product": self.product_id, "option": self.option_id, "parts": [list(part) for part in self.parts]}

    @classmethod
    def from_slot(cls, catalog: Catalog, value: Any) -> Optional["Remembered"]:
        """The slot's value read back; None for anything that is not one (or names what the
        catalog no longer has)."""
        if not isinstance(value, Mapping):
            return None
        product = catalog.find_product(value.get("product"))
        option_id, parts = value.get("option"), value.get("parts")
        if product is None or option_id not in product.option_ids or not isinstance(parts, list):
            return None
        option = product.option(option_id)
        known = {v.id for v in option.values}
        read = tuple((int(count), str(value_id)) for count, value_id in
                     (part for part in parts if isinstance(part, list) and len(part) == 2)
                     if isinstance(count, int) and count > 0 and value_id in known)
        return cls(product.id, option_id, read) if read else None


def remember(product: Product, split: Mapping[str, List[Tuple[int, str]]]) -> Optional[Remembered]:
    """What a split over one choice option leaves for other orders (all its parts until one
    is placed). A split over several options at once is not remembered: which part goes
    with which is not said."""
    if len(split) != 1:
        return None
    [(option_id, pairs)] = split.items()
    return Remembered(product.id, option_id, tuple((int(count), value_id) for count, value_id in pairs))


def after_placing(remembered: Optional[Remembered], product: Product, placed: Selections) -> Optional[Remembered]:
    """What is left once an order of `product` with `placed` is stored: the part it took
    (its value of the split option) is done; None when nothing is left."""
    if remembered is None or remembered.product_id != product.id:
        return None
    value = placed.get(remembered.option_id)
    taken = next((i for i, (_, value_id) in enumerate(remembered.parts) if value_id == value), None)
    if taken is None:  # the placed order took none of the parts: the customer may want them all
        return remembered
    left = remembered.parts[:taken] + remembered.parts[taken + 1:]
    return Remembered(remembered.product_id, remembered.option_id, left) if left else None


@dataclass(frozen=True)
class NextOrder:
    selections: Selections
    said: str  # what the next order holds besides the order placed, for the offer and the start
    left: Optional[Remembered]  # what is still remembered after it


def next_order(remembered: Remembered, product: Product, placed: Selections) -> NextOrder:
    """The first remaining part as an order: the placed order's answers, the part's value,
    and its count in the option the price is multiplied by. An answer that does not hold
    beside them (a rule, a bound) is left out, so the order form asks it again."""
    count, value_id = remembered.parts[0]
    option = product.option(remembered.option_id)
    selections = dict(placed)
    selections[option.id] = value_id
    changed = [f"{option.name}: {display_value(option, value_id)}"]
    multiply_by = product.pricing.multiply_by
    if multiply_by:
        selections[multiply_by] = count
        changed.append(f"{product.option(multiply_by).name}: {amount(count, product.option(multiply_by).unit)}")
    for problem in check_order(product, selections):
        if problem.reason != PlacementReason.MISSING and problem.option_id not in ("", option.id, multiply_by):
            selections.pop(problem.option_id, None)
    for violation in violations(product, selections, option.id):  # "linen needs ...": asked again
        for involved in involved_options(product, violation.rule_id):
            if involved not in (option.id, multiply_by):
                selections.pop(involved, None)
    left = Remembered(remembered.product_id, remembered.option_id, remembered.parts[1:]) if remembered.parts[1:] else None
    return NextOrder(selections, "; ".join(changed), left)
