"""A product's lowest possible total ("how much is the cheapest PC?"): the base price and
the cheapest in-stock answer of each option that the rules allow, priced by the order's own
pricing, found by a pruned search and kept per product."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

from bot.core.catalog import Option, Product
from bot.core.pricing import quote
from bot.core.rules import violations

# Complete combinations priced in the search for a product's lowest total, at most.
MAX_COMBINATIONS = 200_000


def _candidates(option: Option) -> List[Any]:
    """The answers worth trying for an option's lowest price, cheapest first: every in-stock
    value of a choice; the smallest number first (the largest too, in case a rule needs it)."""
    if option.kind == "choice":
        return [value.id for value in sorted(option.in_stock_values, key=lambda v: v.price)]
    if option.kind == "number":
        if option.allowed:
            return [_number(value) for value in sorted(option.allowed)]
        low, high = option.bounds
        if option.decimals == 0 and high - low <= 50:
            return [_number(Decimal(step)) for step in range(int(low), int(high) + 1)]
        steps = [low + (high - low) * Decimal(k) / 8 for k in range(9)]  # a rule may need more than the least
        return list(dict.fromkeys(_number(round(step, option.decimals)) for step in steps))
    if option.kind == "yesno":
        return [False, True]
    return [None] if option.optional else ["x"]  # a text's price does not depend on the text


def _number(value: Decimal) -> Any:
    return int(value) if value == value.to_integral_value() else float(value)


def _least_extra(option: Option) -> Decimal:
    """The least an option adds to a price built from the values' own prices."""
    if option.kind == "choice":
        return min(value.price for value in option.in_stock_values)
    return Decimal(0) if option.kind in ("number", "yesno") or option.optional else option.price


_lowest: Dict[int, Tuple[Product, Optional[Decimal]]] = {}


def from_price(product: Product) -> Optional[Decimal]:
    """The lowest total the product can have: base price and the cheapest in-stock answer of
    each option that the rules allow, priced by the order's own pricing (None when no
    combination has an instant price). Kept per product once worked out."""
    found = _lowest.get(id(product))
    if found is not None and found[0] is product:
        return found[1]
    lowest = _search_lowest(product)
    if len(_lowest) > 64:
        _lowest.clear()
    _lowest[id(product)] = (product, lowest)
    return lowest


def _search_lowest(product: Product) -> Optional[Decimal]:
    """Depth first over the options' candidates, cheapest first, dropping a branch as soon
    as a rule is broken; where the price is the sum of the values' prices (no price lines),
    also a branch that cannot beat the best found (derived parts only ever add)."""
    options = list(product.options)
    additive = not product.pricing.lines
    rest = [sum((_least_extra(option) for option in options[index:]), Decimal(0)) for index in range(len(options) + 1)]
    best: List[Optional[Decimal]] = [None]
    tried = [0]

    def visit(index: int, selections: Dict[str, Any], spent: Decimal) -> None:
        if tried[0] >= MAX_COMBINATIONS:
            return
        if best[0] is not None and additive and product.base_price + spent + rest[index] >= best[0]:
            return
        if index == len(options):
            tried[0] += 1
            total = quote(product, selections).total
            if total is not None and (best[0] is None or total < best[0]):
                best[0] = total
            return
        option = options[index]
        for candidate in _candidates(option):
            chosen = {**selections, option.id: candidate}
            if violations(product, chosen, option.id):
                continue
            extra = option.value(candidate).price if option.kind == "choice" else (
                option.price if candidate and option.kind in ("text", "yesno") else Decimal(0))
            visit(index + 1, chosen, spent + extra)
            if option.kind == "number" and best[0] is not None and not additive:
                break  # the smallest number that works is the cheapest for a price by formula

    visit(0, {}, Decimal(0))
    return best[0]
