"""What the customer reads about an order: each question, what a message changed, the
summary to confirm, an option's choices, what is chosen so far, a placed order's status."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence

from bot.core.catalog import Option, Product
from bot.core.changes import Applied, Change
from bot.core.expressions import format_number
from bot.core.extract import Extraction
from bot.core.lead_time import ready_date
from bot.core.phrases import amount, name_list, singular
from bot.core.life import BEFORE_SHIPPING, OrderStatus, status_label
from bot.core.pricing import Quote, money, price_so_far
from bot.core.rules import valid_values
from bot.core.selections import Selections, next_missing_option
from bot.core.values import display_value, number_range


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
    conversions, refusals, what was filled besides the question asked, what changed."""
    lines: List[str] = [f"{v.note}." for v in found.values.values() if v.note]
    lines += [problem.error for problem in found.problems.values()]
    new = [c for c in applied.changes if not c.was_filled]
    if new and (focus is None or len(new) > 1 or new[0].option.id != focus.id):
        lines.append("Got it: " + "; ".join(f"{c.option.name}: {display_value(c.option, c.new)}" for c in new) + ".")
    for change in (c for c in applied.changes if c.was_filled):
        lines.append(describe_change(product, change, before, applied.selections))
    for cleared in applied.cleared:
        lines.append(f"That no longer fits your {cleared.option.name.lower()} ({display_value(cleared.option, cleared.old)}), "
                     f"so I'll ask for it again.")
    for option_id in dict.fromkeys(v.option_id for v in applied.refused):
        option = product.option(option_id)
        message = " ".join(v.message for v in applied.refused if v.option_id == option_id)
        if option.kind == "choice" and option.id not in applied.selections:
            fitting = valid_values(product, applied.selections, option)
            if fitting:
                message += " With your other choices these would work: " + name_list((v.name for v in fitting), "or") + "."
        lines.append(message)
    return "\n".join(lines)


def describe_change(product: Product, change: Change, before: Selections, after: Selections) -> str:
    """'Memory: 32 GB DDR5 -> 64 GB DDR5, +100 EUR' (with the price difference when known)."""
    option = change.option
    text = f"{option.name}: {display_value(option, change.old)} -> {display_value(option, change.new)}"
    old_price, new_price = price_so_far(product, before), price_so_far(product, after)
    if old_price is not None and new_price is not None and old_price != new_price:
        difference = new_price - old_price
        text += f", {'+' if difference > 0 else '-'}{format_number(abs(difference))} {product.currency}"
    return text


# The summary message carries the selections it showed in its Rasa metadata ({"summary_of":
# {...}}), so the form knows, as data, whether the customer has seen this very order.
SUMMARY_KEY = "summary_of"


def place_question(priced: Quote) -> str:
    """The summary's last question, alone: "Shall I place this order?"."""
    return f"Shall I {'send this quote request' if priced.is_quote_request else 'place this order'}?"


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
        rows.append(f"Price per {singular(per.unit) or 'item'}:")
    else:
        rows.append("Price:")
    for line in priced.lines:
        rows.append(f"- {line['label']}: {money(line['amount'], currency)}")
    if priced.total is None:  # a quote request
        rows.extend(["", *priced.notes])
    else:
        if priced.multiplier is not None and priced.unit_total is not None:
            rows.append(f"- {money(priced.unit_total, currency)} x {format_number(priced.multiplier)}")
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
        return f"{option.name}: a number {number_range(option)}{also}."
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
