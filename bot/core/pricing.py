"""What an order costs: one function prices any selection, complete or not.

`price()` works out every price line the filled options decide, with exact amounts. The
summary's `quote()`, the "how much so far?" answer, `price_so_far()`, and what a change
does to the price, `price_change()`, are all read from it. Each line is rounded to cents
before it is added, so the lines the customer sees add up to the total they are told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

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
    # What each line is, for comparing two pricings: a key that names the same line in both
    # ("base", an option or derived part id, "line:<n>" for the catalog's n-th price line)
    # and the option and derived part ids its amount reads.
    keys: List[str] = field(default_factory=list)
    reads: List[FrozenSet[str]] = field(default_factory=list)

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
    keys: List[str] = []
    reads: List[FrozenSet[str]] = []
    unpriced: List[str] = []

    def add(label: str, cost: Any, key: str, read: FrozenSet[str]) -> None:
        lines.append((label, Decimal(cost)))
        keys.append(key)
        reads.append(read)

    if product.base_price:
        add(product.base_price_label, product.base_price, "base", frozenset())
    if product.pricing.lines:
        for number, line in enumerate(product.pricing.lines):
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
            add(label, amount, f"line:{number}", frozenset(names_in(line.amount)))
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
                add(f"{option.name}: {display_value(option, value)}", cost, option.id, frozenset({option.id}))
        for choice in derived:
            if choice.value is not None and choice.value.price:
                add(f"{choice.name}: {choice.value.name}", choice.value.price, choice.part_id, frozenset({choice.part_id}))
    multiply_by = product.pricing.multiply_by
    multiplier = Decimal(str(selections[multiply_by])) if multiply_by and selections.get(multiply_by) is not None else None
    return Pricing(complete, lines, derived, unpriced, multiplier, keys, reads)


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
    if product.quote_only:
        notes.append(f"Every {product.name} is priced by our team: they'll send you a quote.")
    if none_fits or product.quote_only:
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


def _total(priced: Pricing) -> Decimal:
    """The lines rounded to cents and added, times the multiplier once it is given."""
    unit_total = sum((to_money(line_amount) for _, line_amount in priced.lines), Decimal(0))
    return to_money(unit_total * priced.multiplier) if priced.multiplier is not None else unit_total


def _so_far(product: Product, priced: Pricing) -> Optional[Decimal]:
    if priced.complete:
        return _quote(product, priced).total
    return None if priced.unpriced else _total(priced)


def price_so_far(product: Product, selections: Selections) -> Optional[Decimal]:
    """The total of the price lines that the filled options already decide.

    Complete orders give the quote's total; incomplete ones the lines that can be worked
    out (None when a line that can be worked out has no amount: no instant price).
    """
    return _so_far(product, price(product, selections))


_ABSENT = object()  # an option not in the selections (None is an answer: "none")


@dataclass
class DerivedChange:
    """A derived part the change moved: before and after (None: not worked out)."""

    part_id: str
    name: str
    old: Optional[DerivedChoice]
    new: Optional[DerivedChoice]
    amount: Decimal  # its part of the price difference
    times: Optional[Decimal] = None  # the quantity that amount is for, when not 1


@dataclass
class PriceChange:
    """What a change of selections does to the price, part by part. When both totals are
    known, the options' and the derived parts' amounts add up to `after - before`."""

    before: Optional[Decimal]  # the price so far before the change (None: no instant price)
    after: Optional[Decimal]
    complete: bool  # the order after the change has every option
    options: Dict[str, Decimal]  # every option whose answer changed (given, changed, cleared) -> its amount
    derived: List[DerivedChange]  # in the catalog's order
    times: Dict[str, Decimal] = field(default_factory=dict)  # option id -> the quantity its amount is for, when not 1

    @property
    def priced(self) -> bool:
        return self.before is not None and self.after is not None

    @property
    def difference(self) -> Optional[Decimal]:
        return self.after - self.before if self.before is not None and self.after is not None else None


def _derived_value(choice: Optional[DerivedChoice]) -> Any:
    if choice is None:
        return _ABSENT
    return choice.value.id if choice.value is not None else None


def price_change(product: Product, before: Selections, after: Selections) -> PriceChange:
    """Every part of the difference between pricing `before` and `after`.

    The changed options are taken one at a time in the catalog's order, each priced with
    the one `price()`: a line that moved with a derived part (the power supply, the motor)
    is that part's, every other line that moved is the option's that was just taken (or,
    when an order in between has no price, the first of those options the line reads), and
    what is left (the quantity times the price of one) the option's that made it.
    """
    changed = [o.id for o in product.options if before.get(o.id, _ABSENT) != after.get(o.id, _ABSENT)]
    states: List[Dict[str, Any]] = [dict(before)]
    for option_id in changed:
        state = dict(states[-1])
        if option_id in after:
            state[option_id] = after[option_id]
        else:
            state.pop(option_id, None)
        states.append(state)
    pricings = [price(product, state) for state in states]
    totals = [_safe_so_far(product, priced) for priced in pricings]
    first = {c.part_id: c for c in pricings[0].derived}
    last = {c.part_id: c for c in pricings[-1].derived}
    options = {option_id: Decimal(0) for option_id in changed}
    derived_amounts = {part.id: Decimal(0) for part in product.derived}
    times: Dict[str, Decimal] = {}
    if totals[0] is not None and totals[-1] is not None:
        kept = [(n, total) for n, total in enumerate(totals) if total is not None]
        for (a, start), (b, end) in zip(kept, kept[1:], strict=False):
            moved = _attribute(product, (pricings[a], start), (pricings[b], end), changed[a:b], options, derived_amounts)
            if pricings[b].multiplier not in (None, 1):
                times.update({key: Decimal(pricings[b].multiplier or 1) for key in [*changed[a:b], *moved]
                              if key != product.pricing.multiply_by})
    derived = [DerivedChange(part.id, part.name, first.get(part.id), last.get(part.id), derived_amounts[part.id],
                             times.pop(part.id, None))
               for part in product.derived
               if _derived_value(first.get(part.id)) != _derived_value(last.get(part.id)) or derived_amounts[part.id]]
    return PriceChange(totals[0], totals[-1], pricings[-1].complete, options, derived, times)


def _safe_so_far(product: Product, priced: Pricing) -> Optional[Decimal]:
    try:
        return _so_far(product, priced)
    except ExpressionError:  # an order on the way from `before` to `after` that cannot be priced
        return None


def _priced_lines(priced: Pricing) -> Dict[str, Tuple[Decimal, FrozenSet[str]]]:
    return {key: (to_money(line[1]), read) for key, line, read in zip(priced.keys, priced.lines, priced.reads, strict=True)}


def _attribute(product: Product, start: Tuple[Pricing, Decimal], end: Tuple[Pricing, Decimal], options: Sequence[str],
               into_options: Dict[str, Decimal], into_derived: Dict[str, Decimal]) -> List[str]:
    """Share the difference between two pricings (and their totals) out among `options`,
    the options taken between them, and the derived parts that moved (returned)."""
    (first, first_total), (last, last_total) = start, end
    old, new = _priced_lines(first), _priced_lines(last)
    before = {c.part_id: _derived_value(c) for c in first.derived}
    after = {c.part_id: _derived_value(c) for c in last.derived}
    moved = {part_id for part_id in {*before, *after} if before.get(part_id, _ABSENT) != after.get(part_id, _ABSENT)}
    multiplier = last.multiplier if last.multiplier is not None else Decimal(1)
    nothing: Tuple[Decimal, FrozenSet[str]] = (Decimal(0), frozenset())
    shared = Decimal(0)
    for key in dict.fromkeys([*first.keys, *last.keys]):
        delta = to_money((new.get(key, nothing)[0] - old.get(key, nothing)[0]) * multiplier)
        if not delta:
            continue
        reads = old.get(key, nothing)[1] | new.get(key, nothing)[1]
        part = next((p.id for p in product.derived if p.id in moved and p.id in reads), None)
        if part is not None:
            into_derived[part] += delta
        else:
            into_options[next((o for o in options if o in reads), options[0])] += delta
        shared += delta
    rest = last_total - first_total - shared  # the quantity's part (how many times the price of one), and rounding
    if rest:
        multiply_by = product.pricing.multiply_by
        into_options[multiply_by if multiply_by in options else options[0]] += rest
    return sorted(moved)
