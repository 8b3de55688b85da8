"""The life of an order, as data: its kinds, its statuses and the steps between them, and
the format of its number.

Plain Python: the store keeps these values, the actions tell them to the customer, the
staff console shows and changes them. The enums are `str` enums whose values are the
strings stored in the database, so a member and its value compare, hash and print alike.
"""

from __future__ import annotations

import re
import secrets
from enum import Enum
from typing import Dict, Mapping, Optional, Tuple


class OrderKind(str, Enum):
    """What the customer placed: an order with a price, or a request for a quote."""

    ORDER = "order"
    QUOTE_REQUEST = "quote_request"

    def __str__(self) -> str:
        return self.value


class OrderStatus(str, Enum):
    """Where an order is in its life, in order; cancelled stands aside."""

    RECEIVED = "received"
    CONFIRMED = "confirmed"
    IN_PRODUCTION = "in_production"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


# What staff may change a status to. An order moves forward one step at a time; it can be
# cancelled (with a reason) until it has shipped: once it is on its way or delivered, a
# cancellation is a return, which is not an order status. Delivered and cancelled are final.
NEXT_STATUSES: Mapping[OrderStatus, Tuple[OrderStatus, ...]] = {
    OrderStatus.RECEIVED: (OrderStatus.CONFIRMED, OrderStatus.CANCELLED),
    OrderStatus.CONFIRMED: (OrderStatus.IN_PRODUCTION, OrderStatus.CANCELLED),
    OrderStatus.IN_PRODUCTION: (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
    OrderStatus.SHIPPED: (OrderStatus.DELIVERED,),
    OrderStatus.DELIVERED: (),
    OrderStatus.CANCELLED: (),
}
# The customer may cancel in the chat only while nobody has confirmed the order yet.
CUSTOMER_CANCELLABLE = (OrderStatus.RECEIVED,)
# Still being made: the customer is told the day it should be ready.
BEFORE_SHIPPING = (OrderStatus.RECEIVED, OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION)

# The status in words, for people (staff pages, the bot's answer to "where is my order").
_STATUS_LABELS: Dict[OrderStatus, str] = {
    OrderStatus.RECEIVED: "received",
    OrderStatus.CONFIRMED: "confirmed",
    OrderStatus.IN_PRODUCTION: "in production",
    OrderStatus.SHIPPED: "shipped",
    OrderStatus.DELIVERED: "delivered",
    OrderStatus.CANCELLED: "cancelled",
}


def known_status(status: str) -> Optional[OrderStatus]:
    """The member for a stored or typed status string; None for one that is not a status."""
    try:
        return OrderStatus(status)
    except ValueError:
        return None


def next_statuses(status: str) -> Tuple[OrderStatus, ...]:
    """The statuses staff may move an order in `status` to (none for an unknown status)."""
    known = known_status(status)
    return () if known is None else NEXT_STATUSES[known]


def status_label(status: str) -> str:
    """The status in words ("in production"); an unknown status as it is."""
    known = known_status(status)
    return status if known is None else _STATUS_LABELS[known]


# ---------------------------------------------------------------------------- order numbers

NUMBER_PREFIX = "BSP-"
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read out and type
NUMBER_LENGTH = 6
# The prefix as people type it: any case, with or without its hyphen ("bsp7k3q9m").
NUMBER_PREFIX_PATTERN = re.escape(NUMBER_PREFIX.rstrip("-")) + "-?"
# An order number anywhere in a message ("where is bsp-7k3q9m?"); group 1 is the part after
# the prefix.
ORDER_NUMBER_IN_TEXT = re.compile(
    rf"\b{NUMBER_PREFIX_PATTERN}([{NUMBER_ALPHABET}]{{{NUMBER_LENGTH}}})\b", re.IGNORECASE
)


def new_order_number() -> str:
    """A fresh random order number such as BSP-7K3Q9M (uniqueness is checked on insert)."""
    return NUMBER_PREFIX + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))


def normalize_order_number(number: str) -> str:
    """What a customer or staff member typed as the number ("bsp-7k3q9m ") as stored
    ("BSP-7K3Q9M")."""
    return (number or "").strip().upper()


def find_order_number(text: str) -> Optional[str]:
    """The first order number in a message, as stored ("BSP-7K3Q9M"); None if there is none."""
    found = ORDER_NUMBER_IN_TEXT.search(text or "")
    return None if found is None else NUMBER_PREFIX + found.group(1).upper()
