"""Reading a message as the order form does, for the clause readers' tests."""

from __future__ import annotations

from typing import Optional

from bot.core.clauses import read_message
from bot.core.extract import find_values


def read(catalog, product_id: str, text: str, focus: Optional[str] = None):
    """The message read for a product, with `focus` the option being asked (or none)."""
    product = catalog.product(product_id)
    option = product.option(focus) if focus else None
    return read_message(product, text, find_values(product, text, option), option)


def taken(reading) -> dict:
    """What the reading takes: option id -> value."""
    return {option: parsed.value for option, parsed in reading.taken.values.items()}
