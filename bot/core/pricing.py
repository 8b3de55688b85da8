"""What an order costs: one function prices any selection, complete or not.

`price()` works out every price line the filled options decide, with exact amounts. The
summary's `quote()` and the "how much so far?" answer, `price_so_far()`, are both read
from it: the quote rounds each line to cents (the lines the customer sees add up to its
total), the answer so far rounds only the sum of the lines decided so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Dict, List, Optional, Tuple

from babel.numbers import format_currency

from bot.core.catalog import Product
from bot.core.expressions import ExpressionError, evaluate, format_label, names_in
from bot.core.selections import DerivedChoice, Selections, derive, namespace, next_missing_option
from bot.core.phrases import amount
from bot.core.values import display_value

CENT = Decimal("0.01")
QUANTITY_LINE = "quantity"  # the kind of the price line that multiplies the others


def money(amount: Decimal, currency: str) -> str:
    return format_currency(amount, currency, locale="en_IE" if currency == "EUR" else "en_US")


def to_money(amount: Any) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Pricing:
    """The price lines the filled options decide, with exact (unrounded) amounts."""

    complete: bool  # every option is filled
    lines: List[Tuple[str, Decimal]]  # (label, amount), in the catalog's order
    derived: List[DerivedChoice]
    unpriced: List[str]  # price lines (their label templates) that could be judged but gave no amount
    multiplier: Optional[Decimal]  # the number of the option the price is multiplied by, once given

    @property
    def none_fits(self) -> List[DerivedChoice]:
        """Derived parts nothing fits: the order has no instant price."""
        return [choice for choice in self.derived if choice.value is None]


def price(product: Product, selections: Selections) -> Pricing:
    """Every price line the selections decide, complete or not.

    A complete order prices every line of the catalog's pricing (an expression may allow
    for an option answered "none"); an incomplete one only the lines whose inputs are all
    given. Without pricing lines, each priced choice, text, yes and derived part is a line.
    """
    complete = next_missing_option(product, selections) is None
    names = namespace(product, selections)
    derived = derive(product, selections, None)
    lines: List[Tuple[str, Decimal]] = []
    unpriced: List[str] = []
    if product.base_price:
        lines.append((product.base_price_label, Decimal(product.base_price)))
    if product.pricing.lines:
        for line in product.pricing.lines:
            if not complete and any(names.get(name) is None for name in names_in(line.amount)):
                continue
            try:
                amount = evaluate(line.amount, names)
            except ExpressionError:
                amount = None
            if amount is None:
                unpriced.append(line.label)
                continue
            try:
                label = format_label(line.label, names)
            except ExpressionError:
                if complete:
                    raise
                label = line.label  # a name of the label is not filled yet
            lines.append((label, Decimal(amount)))
    else:
        for option in product.options:
            value = selections.get(option.id)
            if option.kind == "choice" and value is not None:
                cost = option.value(value).price
            elif option.kind in ("text", "yesno") and value:
                cost = option.price
            else:
                continue
            if cost:
                lines.append((f"{option.name}: {display_value(option, value)}", Decimal(cost)))
        for choice in derived:
            if choice.value is not None and choice.value.price:
                lines.append((f"{choice.name}: {choice.value.name}", Decimal(choice.value.price)))
    multiply_by = product.pricing.multiply_by
    multiplier = Decimal(str(selections[multiply_by])) if multiply_by and selections.get(multiply_by) is not None else None
    return Pricing(complete, lines, derived, unpriced, multiplier)


@dataclass
class Quote:
    lines: List[Dict[str, Any]]  # {"label", "amount": Decimal}
    derived: List[DerivedChoice]
    total: Optional[Decimal]  # None: no instant price, a quote request
    currency: str
    multiplier: Optional[Decimal] = None
    unit_total: Optional[Decimal] = None
    notes: List[str] = field(default_factory=list)
    multiplied_by: str = ""  # the option the price is multiplied by ("quantity"), if any
    quantity_label: str = ""  # "2 shirts × €69.00"

    @property
    def is_quote_request(self) -> bool:
        return self.total is None

    def stored_lines(self) -> List[Dict[str, Any]]:
        """The price lines an order keeps: the lines as priced and, when the price is
        multiplied, the quantity line that takes them to the total, marked as such
        ({"kind": "quantity", "option", "quantity", "unit_amount"}), so the figures add up."""
        lines: List[Dict[str, Any]] = [{"label": line["label"], "amount": line["amount"]} for line in self.lines]
        if self.multiplier is not None and self.unit_total is not None and self.total is not None:
            lines.append({"kind": QUANTITY_LINE, "label": self.quantity_label, "amount": self.total,
                          "option": self.multiplied_by, "quantity": self.multiplier, "unit_amount": self.unit_total})
        return lines


def quote(product: Product, selections: Selections) -> Quote:
    """Price lines, derived parts and total of a fully specified order."""
    return _quote(product, price(product, selections))


def _quote(product: Product, priced: Pricing) -> Quote:
    none_fits = priced.none_fits
    if priced.unpriced and not none_fits:
        raise ExpressionError(f"price line '{priced.unpriced[0]}' gave no amount")
    lines: List[Dict[str, Any]] = [{"label": label, "amount": to_money(amount)} for label, amount in priced.lines]
    notes = [product.derived_part(choice.part_id).none_fits_message for choice in none_fits]
    if none_fits:
        return Quote(lines, priced.derived, None, product.currency, notes=notes)
    unit_total = sum((line["amount"] for line in lines), Decimal(0))
    total = unit_total
    label = ""
    if priced.multiplier is not None:
        total = to_money(unit_total * priced.multiplier)
        label = _quantity_label(product, priced.multiplier, to_money(unit_total))
    return Quote(lines, priced.derived, to_money(total), product.currency, priced.multiplier, to_money(unit_total), notes,
                 (product.pricing.multiply_by or "") if priced.multiplier is not None else "", label)


def _quantity_label(product: Product, quantity: Decimal, unit_total: Decimal) -> str:
    """ "2 shirts × €69.00": how many, in the multiplying option's unit, at the price of one."""
    per = product.option(product.pricing.multiply_by or "")
    return f"{amount(quantity, per.unit)} × {money(unit_total, product.currency)}"


def missing_quantity_line(product: Product, options: Dict[str, Any], lines: List[Dict[str, Any]],
                          total: Optional[Decimal]) -> Optional[Dict[str, Any]]:
    """For an order stored before quantity lines were kept: the quantity line that takes its
    price lines to its total, when the product's price is multiplied and the figures agree
    (None otherwise, and for an order that has one)."""
    multiply_by = product.pricing.multiply_by
    if not multiply_by or total is None or any(line.get("kind") == QUANTITY_LINE for line in lines):
        return None
    if multiply_by not in product.option_ids or options.get(multiply_by) is None:
        return None
    quantity = Decimal(str(options[multiply_by]))
    unit_total = sum((Decimal(str(line["amount"])) for line in lines), Decimal(0))
    if quantity == 1 or to_money(unit_total * quantity) != to_money(total):
        return None
    return {"kind": QUANTITY_LINE, "label": _quantity_label(product, quantity, to_money(unit_total)),
            "amount": to_money(total), "option": multiply_by, "quantity": quantity, "unit_amount": to_money(unit_total)}


def price_so_far(product: Product, selections: Selections) -> Optional[Decimal]:
    """The total of the price lines that the filled options already decide.

    Complete orders give the quote's total; incomplete ones the lines that can be worked
    out (None when a line that can be worked out has no amount: no instant price).
    """
    priced = price(product, selections)
    if priced.complete:
        return _quote(product, priced).total
    if priced.unpriced:
        return None
    total = sum((amount for _, amount in priced.lines), Decimal(0))
    if priced.multiplier is not None:
        total *= priced.multiplier
    return to_money(total)
