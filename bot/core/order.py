"""An order being specified: which options are filled, whether rules hold, what it costs.

Selections are plain JSON values keyed by option id (what Rasa keeps in a slot); this
module turns them into catalog objects, checks rules, picks derived parts and prices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Dict, List, Mapping, Optional

import numpy as np
from babel.numbers import format_currency

from bot.core.catalog import ChoiceValue, Option, Product, Rule
from bot.core.expressions import ChoiceRef, ExpressionError, evaluate, format_label, format_number, names_in
from bot.core.values import number_range

CENT = Decimal("0.01")
Selections = Mapping[str, Any]


@dataclass
class Violation:
    message: str
    option_id: str  # the option to ask again
    rule_id: str = ""


@dataclass
class DerivedChoice:
    part_id: str
    name: str
    needed: Decimal
    unit: str
    value: Optional[ChoiceValue]  # None when nothing fits

    @property
    def label(self) -> str:
        return self.value.name if self.value else f"above {self.name.lower()} range (needs {format_number(self.needed)} {self.unit})"


@dataclass
class Quote:
    lines: List[Dict[str, Any]]  # {"label", "amount": Decimal}
    derived: List[DerivedChoice]
    total: Optional[Decimal]  # None: no instant price, a quote request
    currency: str
    multiplier: Optional[Decimal] = None
    unit_total: Optional[Decimal] = None
    notes: List[str] = field(default_factory=list)

    @property
    def is_quote_request(self) -> bool:
        return self.total is None


def money(amount: Decimal, currency: str) -> str:
    return format_currency(amount, currency, locale="en_IE" if currency == "EUR" else "en_US")


def missing_options(product: Product, selections: Selections) -> List[Option]:
    return [option for option in product.options if option.id not in selections]


def next_missing_option(product: Product, selections: Selections) -> Optional[Option]:
    return next(iter(missing_options(product, selections)), None)


def _reference(option: Option, value: Any) -> Any:
    if value is None:
        return None
    if option.kind == "choice":
        chosen = option.value(value)
        return ChoiceRef(chosen.id, chosen.name, chosen.price, chosen.attributes)
    if option.kind == "number":
        return Decimal(str(value))
    return value


def namespace(product: Product, selections: Selections) -> Dict[str, Any]:
    """Names for expressions: filled options plus every derived part that can be worked out."""
    names: Dict[str, Any] = {}
    for option in product.options:
        if option.id in selections:
            names[option.id] = _reference(option, selections[option.id])
    for choice in derive(product, selections, names):
        value = choice.value
        if value is None:
            # Nothing fits: rules can still compare the need ("motor.kw > 1.5").
            part = product.derived_part(choice.part_id)
            names[choice.part_id] = ChoiceRef("none_fits", choice.label, None, {part.by: choice.needed})
        else:
            names[choice.part_id] = ChoiceRef(value.id, value.name, value.price, value.attributes)
    return names


def derive(product: Product, selections: Selections, names: Optional[Dict[str, Any]] = None) -> List[DerivedChoice]:
    """Derived parts whose inputs are all filled, each the smallest that fits."""
    names = dict(names) if names is not None else {
        option.id: _reference(option, selections[option.id]) for option in product.options if option.id in selections
    }
    chosen = []
    for part in product.derived:
        if not names_in(part.needed) <= names.keys() or any(names[n] is None for n in names_in(part.needed)):
            continue
        needed = Decimal(evaluate(part.needed, names))
        fit = part.smallest_fit(needed)
        chosen.append(DerivedChoice(part.id, part.name, needed, part.unit, fit))
        names[part.id] = ChoiceRef(fit.id, fit.name, fit.price, fit.attributes) if fit else \
            ChoiceRef("none_fits", part.name, None, {part.by: needed})
    return chosen


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


def display_value(option: Option, value: Any) -> str:
    if value is None:
        return "none"
    if option.kind == "choice":
        return option.value(value).name
    if option.kind == "number":
        number = format_number(Decimal(str(value)))
        return f"{number} {option.unit}".strip()
    if option.kind == "yesno":
        return "yes" if value else "no"
    return str(value)


def _to_money(amount: Any) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def quote(product: Product, selections: Selections) -> Quote:
    """Price lines, derived parts and total of a fully specified order."""
    names = namespace(product, selections)
    derived = derive(product, selections, None)
    lines: List[Dict[str, Any]] = []
    if product.base_price:
        lines.append({"label": product.base_price_label, "amount": _to_money(product.base_price)})
    no_instant_price = [c for c in derived if c.value is None]
    notes = [product.derived_part(c.part_id).none_fits_message for c in no_instant_price]
    if product.pricing.lines:
        for line in product.pricing.lines:
            try:
                amount = evaluate(line.amount, names)
            except ExpressionError:
                amount = None
            if amount is None:
                if no_instant_price:
                    continue
                raise ExpressionError(f"price line '{line.label}' gave no amount")
            lines.append({"label": format_label(line.label, names), "amount": _to_money(amount)})
    else:
        for option in product.options:
            value = selections.get(option.id)
            if option.kind == "choice" and value is not None:
                price = option.value(value).price
            elif option.kind in ("text", "yesno") and value:
                price = option.price
            else:
                continue
            if price:
                lines.append({"label": f"{option.name}: {display_value(option, value)}", "amount": _to_money(price)})
        for choice in derived:
            if choice.value is not None and choice.value.price:
                lines.append({"label": f"{choice.name}: {choice.value.name}", "amount": _to_money(choice.value.price)})
    if no_instant_price:
        return Quote(lines, derived, None, product.currency, notes=notes)
    unit_total = sum((line["amount"] for line in lines), Decimal(0))
    multiplier = None
    total = unit_total
    if product.pricing.multiply_by:
        multiplier = Decimal(str(selections[product.pricing.multiply_by]))
        total = _to_money(unit_total * multiplier)
    return Quote(lines, derived, _to_money(total), product.currency, multiplier, _to_money(unit_total), notes)


def summary_text(product: Product, selections: Selections, priced: Quote) -> str:
    """The order as the customer sees it before confirming."""
    rows = [f"**{product.name}**"]
    for option in product.options:
        rows.append(f"- {option.name}: {display_value(option, selections.get(option.id))}")
    for choice in priced.derived:
        rows.append(f"- {choice.name} (chosen for you): {choice.label}")
    rows.append("")
    currency = priced.currency
    if priced.multiplier is not None:
        per = product.option(product.pricing.multiply_by)
        rows.append(f"Price per {per.unit.rstrip('s') or 'item'}:")
    else:
        rows.append("Price:")
    for line in priced.lines:
        rows.append(f"- {line['label']}: {money(line['amount'], currency)}")
    if priced.is_quote_request:
        rows.extend(["", *priced.notes])
    else:
        if priced.multiplier is not None:
            rows.append(f"- {money(priced.unit_total, currency)} x {format_number(priced.multiplier)}")
        rows.append(f"**Total: {money(priced.total, currency)}**")
    rows.append(f"Lead time: {product.lead_time_days} business days.")
    return "\n".join(rows)


def price_so_far(product: Product, selections: Selections) -> Optional[Decimal]:
    """The total of the price lines that the filled options already decide.

    Complete orders give the quote's total; incomplete ones the lines that can be worked
    out (None when nothing can be priced yet, or when there is no instant price).
    """
    if next_missing_option(product, selections) is None:
        return quote(product, selections).total
    names = namespace(product, selections)
    total = Decimal(product.base_price)
    if product.pricing.lines:
        for line in product.pricing.lines:
            if all(names.get(name) is not None for name in names_in(line.amount)):
                amount = evaluate(line.amount, names)
                if amount is None:
                    return None
                total += Decimal(amount)
    else:
        for option in product.options:
            value = selections.get(option.id)
            if option.kind == "choice" and value is not None:
                total += option.value(value).price
            elif option.kind in ("text", "yesno") and value:
                total += option.price
        for choice in derive(product, selections, None):
            if choice.value is not None:
                total += choice.value.price
    multiplier = product.pricing.multiply_by
    if multiplier and selections.get(multiplier) is not None:
        total *= Decimal(str(selections[multiplier]))
    return _to_money(total)


@dataclass
class Change:
    option: Option
    old: Any
    new: Any
    was_filled: bool


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
        if broken and was_filled:
            for violation in broken:
                involved = sorted(involved_options(product, violation.rule_id), key=product.option_ids.index)
                for other in reversed(involved):  # the latest question in the catalog's order
                    if other != option.id and other in trial and other not in answers:
                        result.cleared.append(Change(product.option(other), trial.pop(other), None, True))
                        violation.option_id = other
                        break
            broken = violations(product, trial, option.id)
        if broken:
            result.refused.extend(broken)
            continue
        result.selections = trial
        result.changes.append(Change(option, old, new, was_filled))
    return result


def ready_date(lead_time_days: int, today: Optional[date] = None) -> date:
    """The business day the order is ready if confirmed today."""
    start = np.datetime64(today or date.today(), "D")
    return np.busday_offset(start, lead_time_days, roll="forward").astype(date)


def describe_option(product: Product, option: Option) -> str:
    """The choices of one option and how they differ, from the catalog's descriptions."""
    if option.kind == "choice":
        rows = []
        for value in option.values:
            price = f" (+{money(value.price, product.currency)})" if value.price else ""
            stock = "" if value.in_stock else " (out of stock)"
            detail = f": {value.description}" if value.description else ""
            rows.append(f"- {value.name}{price}{stock}{detail}")
        return f"{option.name} options for the {product.name}:\n" + "\n".join(rows)
    if option.kind == "number":
        other = [u for u in option.accept_units if u != option.unit]
        also = f" ({', '.join(other)} are converted)" if other else ""
        return f"{option.name}: a number {number_range(option)}{also}."
    if option.kind == "yesno":
        price = f" (+{money(option.price, product.currency)})" if option.price else ""
        return f"{option.name}: yes or no{price}."
    example = f' For example "{option.example}".' if option.example else ""
    return f"{option.name}: {option.invalid_message or 'free text'}{example}"


def chosen_so_far(product: Product, selections: Selections) -> str:
    rows = [f"- {o.name}: {display_value(o, selections[o.id])}" for o in product.options if o.id in selections]
    if not rows:
        return f"Nothing chosen yet for your {product.name}."
    answered = f"{len(rows)} of {len(product.options)} answered"
    return f"Your {product.name} so far ({answered}):\n" + "\n".join(rows)
