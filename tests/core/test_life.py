"""The order's life as data: the stored strings of kinds and statuses, the steps between
statuses, and the order-number format."""

from __future__ import annotations

import json
import re

import pytest

from bot.core.life import (
    BEFORE_SHIPPING,
    CUSTOMER_CANCELLABLE,
    NEXT_STATUSES,
    NUMBER_ALPHABET,
    OrderKind,
    OrderStatus,
    find_order_number,
    known_status,
    new_order_number,
    next_statuses,
    normalize_order_number,
    status_label,
)


def test_values_are_the_stored_strings():
    assert [status.value for status in OrderStatus] == [
        "received", "confirmed", "in_production", "shipped", "delivered", "cancelled",
    ]
    assert [kind.value for kind in OrderKind] == ["order", "quote_request"]
    status = OrderStatus.IN_PRODUCTION
    assert status == "in_production" and hash(status) == hash("in_production")
    assert str(status) == f"{status}" == "in_production" and json.dumps([status]) == '["in_production"]'


def test_steps_and_labels():
    assert set(NEXT_STATUSES) == set(OrderStatus)
    assert next_statuses("received") == (OrderStatus.CONFIRMED, OrderStatus.CANCELLED)
    assert next_statuses("delivered") == () and next_statuses("lost") == ()
    assert CUSTOMER_CANCELLABLE == (OrderStatus.RECEIVED,)
    assert OrderStatus.SHIPPED not in BEFORE_SHIPPING
    assert status_label("in_production") == "in production" and status_label("lost") == "lost"
    assert known_status("shipped") is OrderStatus.SHIPPED and known_status("lost") is None


def test_a_new_number_uses_the_readable_alphabet():
    assert set(NUMBER_ALPHABET).isdisjoint("01OIL")
    for _ in range(50):
        assert re.fullmatch(rf"BSP-[{NUMBER_ALPHABET}]{{6}}", new_order_number())


def test_what_people_type_is_normalized():
    assert normalize_order_number(" bsp-7k3q9m\n") == "BSP-7K3Q9M"
    assert normalize_order_number(None) == ""


@pytest.mark.parametrize("text, number", [
    ("where is BSP-7K3Q9M?", "BSP-7K3Q9M"),
    ("order bsp7k3q9m please", "BSP-7K3Q9M"),
    ("cancel Bsp-22222z and BSP-33333Z", "BSP-22222Z"),
    ("BSP-7K3L9M", None),  # L is not in the alphabet
    ("BSP-7K3O9M", None),
    ("BSP-7K3Q9M1", None),  # seven characters: not a number
    ("XBSP-7K3Q9M", None),
    ("no number here", None),
    ("", None),
])
def test_a_number_is_found_in_free_text(text, number):
    assert find_order_number(text) == number
