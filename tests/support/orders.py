"""Orders for store tests: an empty database on SQLite or PostgreSQL (fixtures), a valid
NewOrder to place, and small helpers the store's test modules share."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.store.models import Order
from bot.store.orders import NewOrder, OrderStore
from tests.support.services import postgres_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sub' / 'orders.db'}"  # the folder does not exist yet
        return
    with postgres_schema("test_store") as url:
        yield url


@pytest.fixture
def order_store(database_url):
    order_store = OrderStore(database_url)
    order_store.migrate()
    yield order_store
    order_store.dispose()


def new_order(**changes) -> NewOrder:
    values = {
        "draft_id": uuid.uuid4().hex,
        "conversation_id": "conversation-1",
        "kind": "order",
        "product_id": "oak_table",
        "product_name": "Oak dining table",
        "options": {"length": 180, "finish": "oiled", "legs": "tapered"},
        "option_details": [
            {"id": "length", "name": "Length", "value": 180, "label": "180 cm", "unit": "cm"},
            {"id": "finish", "name": "Finish", "value": "oiled", "label": "Oiled", "unit": None},
        ],
        "derived_parts": [
            {"id": "top", "name": "Table top", "value": "top_200", "label": "Top up to 200 cm", "price": Decimal("150.10")},
        ],
        "price_lines": [
            {"label": "Base price", "amount": Decimal("1000.00")},
            {"label": "Length: 180 cm", "amount": "84.40"},
            {"label": "Table top: Top up to 200 cm", "amount": Decimal("150.10")},
        ],
        "total": Decimal("1234.50"),
        "currency": "EUR",
        "lead_time_days": 15,
        "customer_name": "Ada Lovelace",
        "customer_email": "ada@example.org",
        "customer_address": "12 Analytical Row\nLondon",
    }
    values.update(changes)
    return NewOrder(**values)


def count_orders(order_store: OrderStore) -> int:
    with order_store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Order))


def miss_once(find):
    """`find` that finds nothing the first time it is called: another worker stores the same
    thing between a look-up and an insert."""
    calls = []

    def find_but_miss_the_first_time(*args):
        calls.append(args)
        return None if len(calls) == 1 else find(*args)

    return find_but_miss_the_first_time
