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


Part = Tuple[int, Dict[str, str]]  # (count, option id -> value id): one configuration still to order


@dataclass(frozen=True)
class Remembered:
    """The parts of a split still to be ordered, each a count and its value of every split
    option ("the other two in poplin with button-down collars": 2, fabric and collar)."""

    product_id: str
    parts: Tuple[Part, ...]

    @property
    def option_ids(self) -> Tuple[str, ...]:
        return tuple(dict.fromkeys(option_id for _, values in self.parts for option_id in values))

    def as_slot(self) -> Dict[str, Any]:
        return {"product": self.product_id, "parts": [[count, dict(values)] for count, values in self.parts]}

    @classmethod
    def from_slot(cls, catalog: Catalog, value: Any) -> Optional["Remembered"]:
        """The slot's value read back; None for anything that is not one (or names what the
        catalog no longer has). A slot of one option ({"option", "parts": [[count, value]]},
        kept by earlier versions in conversations still open) reads as the same parts."""
        if not isinstance(value, Mapping):
            return None
        product = catalog.find_product(value.get("product"))
        parts = value.get("parts")
        if product is None or not isinstance(parts, list):
            return None
        read: List[Part] = []
        for part in parts:
            if not (isinstance(part, list) and len(part) == 2 and isinstance(part[0], int) and part[0] > 0):
                continue
            count, values = part
            if not isinstance(values, Mapping):
                values = {value.get("option"): values}
            if values and all(known_value(product, option_id, value_id) for option_id, value_id in values.items()):
                read.append((count, {str(o): str(v) for o, v in values.items()}))
        return cls(product.id, tuple(read)) if read else None


def known_value(product: Product, option_id: Any, value_id: Any) -> bool:
    return option_id in product.option_ids and value_id in {v.id for v in product.option(option_id).values}


def remember(product: Product, split: Mapping[str, List[Tuple[int, str]]]) -> Optional[Remembered]:
    """What a split leaves for other orders (all its parts until one is placed). A split over
    several options at once ("one linen with a spread collar and the other two in poplin with
    button-down collars") pairs their values part by part, in the order said, when every
    option names the same counts in that order; an option that does not (its parts are not
    said part by part) is left out of what is remembered, and the next order keeps the
    placed order's answer for it."""
    if not split:
        return None
    options = list(split.items())
    first_id, first = options[0]
    parts: List[Part] = [(int(count), {first_id: value_id}) for count, value_id in first]
    for option_id, pairs in options[1:]:
        if [count for count, _ in pairs] == [count for count, _ in first]:
            for (_, values), (_, value_id) in zip(parts, pairs, strict=True):
                values[option_id] = value_id
    return Remembered(product.id, tuple(parts))


def after_placing(remembered: Optional[Remembered], product: Product, placed: Selections) -> Optional[Remembered]:
    """What is left once an order of `product` with `placed` is stored: the part it took
    (its values of the split options, all of them) is done; None when nothing is left."""
    if remembered is None or remembered.product_id != product.id:
        return None
    taken = next((i for i, (_, values) in enumerate(remembered.parts)
                  if all(placed.get(option_id) == value_id for option_id, value_id in values.items())), None)
    if taken is None:  # the placed order took none of the parts: the customer may want them all
        return remembered
    left = remembered.parts[:taken] + remembered.parts[taken + 1:]
    return Remembered(remembered.product_id, left) if left else None


@dataclass(frozen=True)
class NextOrder:
    selections: Selections
    said: str  # what the next order holds besides the order placed, for the offer and the start
    left: Optional[Remembered]  # what is still remembered after it


def next_order(remembered: Remembered, product: Product, placed: Selections) -> NextOrder:
    """The first remaining part as an order: the placed order's answers, the part's values,
    and its count in the option the price is multiplied by. An answer that does not hold
    beside them (a rule, a bound) is left out, so the order form asks it again."""
    count, values = remembered.parts[0]
    selections = dict(placed)
    changed = []
    for option_id, value_id in values.items():
        option = product.option(option_id)
        selections[option.id] = value_id
        changed.append(f"{option.name}: {display_value(option, value_id)}")
    kept = set(values)
    multiply_by = product.pricing.multiply_by
    if multiply_by:
        selections[multiply_by] = count
        kept.add(multiply_by)
        changed.append(f"{product.option(multiply_by).name}: {amount(count, product.option(multiply_by).unit)}")
    for problem in check_order(product, selections):
        if problem.reason != PlacementReason.MISSING and problem.option_id not in kept | {""}:
            selections.pop(problem.option_id, None)
    for option_id in values:
        for violation in violations(product, selections, option_id):  # "linen needs ...": asked again
            for involved in involved_options(product, violation.rule_id):
                if involved not in kept:
                    selections.pop(involved, None)
    left = Remembered(remembered.product_id, remembered.parts[1:]) if remembered.parts[1:] else None
    return NextOrder(selections, "; ".join(changed), left)
