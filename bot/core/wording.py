"""What the customer reads about an order: the summary to confirm, an option's choices,
what is chosen so far."""

from __future__ import annotations

from bot.core.catalog import Option, Product
from bot.core.expressions import format_number
from bot.core.pricing import Quote, money
from bot.core.selections import Selections
from bot.core.values import display_value, number_range


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
