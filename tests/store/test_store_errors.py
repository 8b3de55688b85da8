"""The store tells an order-number collision from any other constraint the database refuses
(issue 11): a collision is retried with another number; any other IntegrityError (an order
without a total, a missing name, reaching the table past NewOrder's own checks) is raised at
once, as it is, after one attempt, with nothing stored, never taken for a collision and
retried, and never turned into "no free order number". On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from bot.store import orders as store
from tests.support.orders import count_orders, new_order


def past_the_checks(**fields):
    """A NewOrder with fields NewOrder itself would refuse: what a caller that built one
    another way (or a bug) could hand the store."""
    order = new_order()
    for name, value in fields.items():
        object.__setattr__(order, name, value)  # NewOrder is frozen and checked in __post_init__
    return order


@pytest.mark.parametrize("fields, constraint", [
    ({"total": None}, "order_has_total"),  # CHECK (kind <> 'order' OR total IS NOT NULL)
    ({"customer_name": None}, "customer_name"),  # NOT NULL
    ({"product_id": None}, "product_id"),
], ids=["order-without-total", "no-name", "no-product"])
def test_a_constraint_that_is_not_the_number_is_raised_at_once(order_store, monkeypatch, fields, constraint):
    before = order_store.place_order(new_order())  # a number exists, so "taken" could be believed
    numbers = []

    def counted_number() -> str:
        numbers.append(f"BSP-2222{len(numbers) + 2}Z")
        return numbers[-1]

    monkeypatch.setattr(store, "new_order_number", counted_number)
    with pytest.raises(IntegrityError) as raised:
        order_store.place_order(past_the_checks(**fields))
    assert constraint in str(raised.value.orig).lower()
    assert len(numbers) == 1  # one attempt: not retried as a collision
    assert count_orders(order_store) == 1
    assert order_store.get(numbers[0]) is None
    assert order_store.get(before["number"]) == before
    # The store goes on: the next good order is placed with the next number.
    assert order_store.place_order(new_order())["number"] == "BSP-22223Z"


def test_a_number_collision_is_still_retried_beside_it(order_store, monkeypatch):
    taken = order_store.place_order(new_order())["number"]
    numbers = iter([taken, "BSP-22222Z"])
    monkeypatch.setattr(store, "new_order_number", lambda: next(numbers))
    assert order_store.place_order(new_order())["number"] == "BSP-22222Z"
    assert count_orders(order_store) == 2
