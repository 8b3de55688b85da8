"""What the customer reads about an order: each question, what a message changed, the
summary to confirm, an option's choices, what is chosen so far, a placed order's status."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_CEILING, Decimal
from typing import Any, Dict, List, Mapping, Optional, Sequence

from bot.core.catalog import Option, Product
from bot.core.changes import Applied, Change
from bot.core.expressions import format_number, names_in
from bot.core.extract import Extraction
from bot.core.lead_time import ready_date
from bot.core.phrases import amount, name_list, singular
from bot.core.life import BEFORE_SHIPPING, OrderStatus, status_label
from bot.core.pricing import DerivedChange, PriceChange, Quote, money, price_change, price_so_far
from bot.core.rules import valid_values
from bot.core.selections import DerivedChoice, Selections, next_missing_option
from bot.core.values import display_value, noun, number_range


def question_text(product: Product, option: Option, hint: bool = False) -> str:
    """"(2/6) How much memory?" with what a valid answer looks like; `hint` adds an example."""
    position = product.option_ids.index(option.id) + 1
    question = option.question or f"What {option.name.lower()} would you like?"
    text = f"({position}/{len(product.options)}) {question}"
    if option.kind == "number":
        other_units = [u for u in option.accept_units if u != option.unit]
        also = f"; {name_list(other_units, 'and')} {'are' if len(other_units) > 1 else 'is'} fine too" if other_units else ""
        text += f" ({number_range(option)}{also})"
    elif option.kind in ("yesno", "text"):
        text += f" (+{money(option.price, product.currency)})" if option.price else ""
        if option.kind == "text":
            text += f" For example: {option.example}." if option.example else ""
    if hint:
        text += "\n" + example_answer(option)
    return text


def example_answer(option: Option) -> str:
    if option.kind == "number":
        low = option.allowed[0] if option.allowed else option.bounds[0]
        other = next((u for u in option.accept_units if u != option.unit), None)
        also = f', or with another unit, e.g. "{format_number(low)} {option.unit}"' if other else ""
        return f'Just the number, e.g. "{format_number(low)}"{also}.'
    if option.kind == "text":
        none = ' or "none"' if option.optional else ""
        return f'For example "{option.example}"{none}.' if option.example else ""
    if option.kind == "yesno":
        return 'Just "yes" or "no".'
    return "Tap one of the buttons, or type its name."


def answers_reply(product: Product, before: Selections, found: Extraction, applied: Applied,
                  focus: Optional[Option]) -> str:
    """What the customer is told after a message's answers were taken ("" for nothing):
    conversions, refusals, what was filled besides the question asked, what changed.

    A change of an earlier answer is told part by part, each with its own price: the
    option changed, each answer it cleared, each derived part it moved, then the total."""
    lines: List[str] = [f"{v.note}." for v in found.values.values() if v.note]
    lines += [problem.error for problem in found.problems.values()]
    lines += [figure.error for figure in found.unplaced]
    new = [c for c in applied.changes if not c.was_filled]
    changed = [c for c in applied.changes if c.was_filled]
    costs = price_change(product, before, applied.selections) if changed or applied.cleared else None
    # Every value taken is said back in the reply that took it, the answer to the question
    # asked too ("Got it: Neck: 40 cm." before the next question): nothing is taken silently.
    # Only an answer to the question asked that is all the message gave is not said twice:
    # when its conversion was just said ("15.5 in = 39.4 cm."), or when it completes the
    # order, so the summary that follows in the same reply lists it with the rest.
    alone = len(new) == 1 and focus is not None and new[0].option.id == focus.id and not changed \
        and not applied.cleared and not _amount(product, costs, new[0].option.id)
    noted = any(value.note for option_id, value in found.values.items() if new and option_id == new[0].option.id)
    completes = not (found.problems or applied.refused) and next_missing_option(product, applied.selections) is None
    if new and not (alone and (noted or completes)):
        lines.append("Got it: " + "; ".join(f"{c.option.name}: {display_value(c.option, c.new)}"
                                            f"{_amount(product, costs, c.option.id, brackets=True)}" for c in new) + ".")
    moved = {c.option.id for c in applied.changes}
    same = [product.option(option_id) for option_id in found.values
            if option_id not in moved and option_id in before and applied.selections.get(option_id) == before[option_id]]
    if same:  # "food grade" when it already is: said, not met with silence
        lines.append("No change: " + "; ".join(f"the {noun(o)} is already {display_value(o, before[o.id])}" for o in same)
                     + ".")
    for change in changed:
        lines.append(describe_change(product, change, costs))
    for cleared in applied.cleared:
        lines.append(describe_cleared(product, cleared, applied.selections, costs))
    if costs is not None:
        lines += [describe_derived(product, part, applied.selections, costs) for part in costs.derived]
        lines.append(total_line(product, costs))
    for option_id in dict.fromkeys(v.option_id for v in applied.refused):
        option = product.option(option_id)
        message = " ".join(v.message for v in applied.refused if v.option_id == option_id)
        if option.kind == "choice" and option.id not in applied.selections:
            fitting = valid_values(product, applied.selections, option)
            if fitting:
                message += " With your other choices these would work: " + name_list((v.name for v in fitting), "or") + "."
        lines.append(message)
    return "\n".join(line for line in lines if line)


def signed(difference: Decimal, currency: str) -> str:
    """A price difference: "+10 EUR", "-4,350 EUR", "+12.50 EUR"."""
    size = abs(difference)
    figure = f"{int(size):,}" if size == size.to_integral_value() else f"{size:,.2f}"
    return f"{'+' if difference > 0 else '-'}{figure} {currency}"


def _amount(product: Product, costs: Optional[PriceChange], option_id: str, brackets: bool = False) -> str:
    """An option's part of a change's price difference: ", +90 EUR for 3 shirts" ("" for none)."""
    if costs is None or not costs.priced or not costs.options.get(option_id):
        return ""
    text = signed(costs.options[option_id], product.currency)
    times = costs.times.get(option_id)
    if times is not None and product.pricing.multiply_by:
        text += f" for {amount(times, product.option(product.pricing.multiply_by).unit)}"
    return f" ({text})" if brackets else f", {text}"


def describe_change(product: Product, change: Change, costs: Optional[PriceChange] = None) -> str:
    """'Memory: 32 GB DDR5 -> 64 GB DDR5, +100 EUR': the option's own price difference
    (what the new value costs against the old one), when the order has an instant price."""
    option = change.option
    text = f"{option.name}: {display_value(option, change.old)} -> {display_value(option, change.new)}"
    return text + _amount(product, costs, option.id)


def _the(option: Option, value: Any) -> str:
    """'the AMD Ryzen 5 7600', 'a load of 120 kg/m': a value inside a sentence."""
    if option.kind == "choice" and value is not None:
        return f"the {display_value(option, value)}"
    return f"a {noun(option)} of {display_value(option, value)}"


def describe_cleared(product: Product, cleared: Change, after: Selections, costs: Optional[PriceChange] = None) -> str:
    """'Memory 16 GB DDR4 (-45 EUR) no longer fits the AMD Ryzen 5 7600, so I'll ask for it
    again: AMD Ryzen processors (socket AM5) take DDR5 memory only.'"""
    option = cleared.option
    text = f"{option.name} {display_value(option, cleared.old)}{_amount(product, costs, option.id, brackets=True)} no longer fits"
    if cleared.cleared_by and cleared.cleared_by in after:
        cause = product.option(cleared.cleared_by)
        text += f" {_the(cause, after[cause.id])}"
    else:
        text += " your other choices"
    text += ", so I'll ask for it again"
    return text + (f": {cleared.reason}" if cleared.reason else ".")


def derived_label(choice: DerivedChoice) -> str:
    """'1.5 kW motor', or 'above motor range (needs 5.227 kW)' when nothing fits (the need
    rounded up, so it never reads as what the largest part gives)."""
    if choice.value is not None:
        return choice.value.name
    needed = format_number(choice.needed.quantize(Decimal("0.001"), rounding=ROUND_CEILING).normalize())
    return f"above {choice.name.lower()} range (needs {needed} {choice.unit})".replace(" )", ")")


def describe_derived(product: Product, part: DerivedChange, after: Selections, costs: PriceChange) -> str:
    """'Motor: 1.5 kW motor -> 2.2 kW motor, +300 EUR, because the load is now 120 kg/m.'"""
    difference = signed(part.amount, product.currency) if costs.priced and part.amount else ""
    if difference and part.times is not None and product.pricing.multiply_by:
        difference += f" for {amount(part.times, product.option(product.pricing.multiply_by).unit)}"
    inputs = [o for o in product.options if o.id in names_in(product.derived_part(part.part_id).needed)]
    if part.new is None:  # an answer it follows from was cleared
        missing = [noun(o) for o in inputs if o.id not in after]
        old = f"{derived_label(part.old)} " if part.old else ""
        return (f"{part.name} {old}{f'({difference}) ' if difference else ''}is chosen again once "
                f"the {name_list(missing, 'and')} {'is' if len(missing) == 1 else 'are'} given.")
    text = f"{part.name}: {derived_label(part.old) + ' -> ' if part.old else ''}{derived_label(part.new)}"
    text += " (chosen for you)" if part.old is None else ""
    text += f", {difference}" if difference else ""
    moved = [o for o in inputs if o.id in costs.options and o.id in after]
    if moved:
        first, *rest = moved
        text += f", because the {noun(first)} is now {display_value(first, after[first.id])}"
        text += "".join(f"{' and' if n == len(rest) - 1 else ','} the {noun(o)} {display_value(o, after[o.id])}"
                        for n, o in enumerate(rest))
    text += "."
    if part.new.value is None:
        text += " " + product.derived_part(part.part_id).none_fits_message
    return text


def total_line(product: Product, costs: PriceChange) -> str:
    """'Total now: €1,313.00' (or 'so far' while options are still to choose)."""
    if costs.after is None:
        return "" if costs.before is None else "This order has no instant price now: our engineers will quote it."
    return f"Total {'now' if costs.complete else 'so far'}: {money(costs.after, product.currency)}"


# The summary message carries the selections it showed in its Rasa metadata ({"summary_of":
# {...}}), so the form knows, as data, whether the customer has seen this very order.
SUMMARY_KEY = "summary_of"


def place_question(priced: Quote) -> str:
    """The summary's last question, alone: "Shall I place this order?"."""
    return f"Shall I {'send this quote request' if priced.is_quote_request else 'place this order'}?"


def summary_text(product: Product, selections: Selections, priced: Quote, typed: Optional[Mapping[str, str]] = None) -> str:
    """The order as the customer sees it before confirming; `typed` (option id -> the figure
    as the customer typed it, when it was converted) shows theirs beside the shop's unit:
    "Neck: 39.4 cm (15.5 in)"."""
    typed = typed or {}
    rows = [f"**{product.name}**"]
    for option in product.options:
        rows.append(f"- {option.name}: {display_value(option, selections.get(option.id), typed.get(option.id))}")
    for choice in priced.derived:
        rows.append(f"- {choice.name} (chosen for you): {derived_label(choice)}")
    rows.append("")
    currency = priced.currency
    if priced.multiplier is not None:
        per = product.option(product.pricing.multiply_by)
        rows.append(f"Price per {singular(per.unit) or 'item'}:")
    else:
        rows.append("Price:")
    for line in priced.lines:
        if line["amount"] != 0:  # "PVC belt surcharge: 6 m x 0: €0.00" tells the customer nothing
            rows.append(f"- {line['label']}: {money(line['amount'], currency)}")
    if priced.total is None:  # a quote request
        rows.extend(["", *priced.notes])
    else:
        if priced.quantity_label:  # the staff page's and the stored order's quantity line
            rows.append(f"- {priced.quantity_label}: {money(priced.total, currency)}")
        rows.append(f"**Total: {money(priced.total, currency)}**")
    rows.append(f"Lead time: {amount(product.lead_time_days, 'business days')}.")
    return "\n".join(rows)


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
        also = f" ({name_list(other, 'and')} {'are' if len(other) > 1 else 'is'} converted)" if other else ""
        # "Belt width: one of 300, 400 or 500 mm", "Neck: a number from 33 to 50 cm"
        return f"{option.name}: {'' if option.allowed else 'a number '}{number_range(option)}{also}."
    if option.kind == "yesno":
        price = f" (+{money(option.price, product.currency)})" if option.price else ""
        return f"{option.name}: yes or no{price}."
    example = f' For example "{option.example}".' if option.example else ""
    return f"{option.name}: {option.invalid_message or 'free text'}{example}"


def progress(product: Product, selections: Selections) -> str:
    """How many options are answered: "2 of 6"."""
    answered = sum(1 for option in product.options if option.id in selections)
    return f"{answered} of {len(product.options)}"


def price_so_far_text(product: Product, selections: Selections) -> str:
    """The answer to "how much so far?" for an order being specified."""
    so_far = price_so_far(product, selections)
    if so_far is None:
        return "This one has no instant price: our engineers will quote it."
    if next_missing_option(product, selections) is None:
        return f"Your {product.name} comes to {money(so_far, product.currency)} in total."
    return (f"So far {money(so_far, product.currency)} for your {product.name} "
            f"({progress(product, selections)} options chosen; the rest may add to it).")


def lead_time_text(products: Sequence[Product]) -> str:
    """The lead times of `products` and the day each would be ready if ordered today."""
    rows = [f"- {p.name}: {amount(p.lead_time_days, 'business days')} "
            f"(ready around {ready_date(p.lead_time_days):%a %d %b %Y} if you order today)" for p in products]
    return "Lead time, counted from your confirmation:\n" + "\n".join(rows)


def chosen_so_far(product: Product, selections: Selections) -> str:
    rows = [f"- {o.name}: {display_value(o, selections[o.id])}" for o in product.options if o.id in selections]
    if not rows:
        return f"Nothing chosen yet for your {product.name}."
    answered = f"{len(rows)} of {len(product.options)} answered"
    return f"Your {product.name} so far ({answered}):\n" + "\n".join(rows)


def status_words(order: Dict[str, Any]) -> str:
    """An order's status as the customer is told it: "in production, ready around Tue 12 Jan
    2027", "shipped", "cancelled: <the reason given>"."""
    status = order["status"]
    words = status_label(status)
    if status in BEFORE_SHIPPING:
        placed = datetime.fromisoformat(order["created_at"]).astimezone(timezone.utc).date()
        ready = ready_date(int(order["lead_time_days"]), placed)
        return f"{words}, ready around {ready:%a %d %b %Y}"
    if status == OrderStatus.CANCELLED:
        reason = next((change.get("reason") for change in reversed(order.get("status_history") or [])
                       if change.get("status") == OrderStatus.CANCELLED), None)
        return f"{words}: {reason}" if reason else words
    return words
