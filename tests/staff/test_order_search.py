"""Searching orders for staff in the store (on SQLite and PostgreSQL): filters, whole UTC
days, text, sorting, paging, the export; and the order list's query string."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Dict, List

import pytest

from bot.core.life import OrderStatus
from bot.store.orders import (
    OrderStore,
)
from bot.store.search import InvalidOrderQueryError, OrderQuery
from bot.staff.queries import order_params, order_query
from tests.support.staff import (
    make_orders,
    set_created,
)


def numbers(found: Dict[str, Any]) -> List[str]:
    return [order["number"] for order in found["orders"]]


@pytest.fixture
def many(order_store):
    return make_orders(order_store)


def search(store: OrderStore, **values: Any) -> Dict[str, Any]:
    return store.search_orders(OrderQuery(**{"per_page": 500, **values}))


def test_search_filters(order_store, many):
    everything = search(order_store)
    assert everything["total"] == len(many)
    assert numbers(everything) == [o["number"] for o in sorted(many, key=lambda o: o["created_at"], reverse=True)]
    for status in OrderStatus:
        found = search(order_store, status=status)
        assert sorted(numbers(found)) == sorted(o["number"] for o in many if o["status"] == status)
        assert found["total"] == len(found["orders"]) > 0
    found = search(order_store, product_id="custom_pc", status="shipped")
    assert sorted(numbers(found)) == sorted(
        o["number"] for o in many if o["product_id"] == "custom_pc" and o["status"] == "shipped"
    )
    assert search(order_store, product_id="no_such_product")["total"] == 0


def test_date_range_is_whole_utc_days_both_included(order_store, many):
    # created START + n days at 12:00 UTC; put two orders on the edges of 2026-03-05.
    set_created(order_store, many[3]["number"], datetime(2026, 3, 5, 0, 0, tzinfo=timezone.utc))
    set_created(order_store, many[4]["number"], datetime(2026, 3, 5, 23, 59, 59, tzinfo=timezone.utc))
    one_day = search(order_store, created_from=date(2026, 3, 5), created_to=date(2026, 3, 5))
    assert sorted(numbers(one_day)) == sorted([many[3]["number"], many[4]["number"]])
    week = search(order_store, created_from=date(2026, 3, 3), created_to=date(2026, 3, 9))
    assert week["total"] == 7  # days 2..8 after START
    assert search(order_store, created_from=date(2026, 4, 1))["total"] == len(many) - 31
    assert search(order_store, created_to=date(2026, 3, 1))["total"] == 1
    with pytest.raises(InvalidOrderQueryError, match="starts"):
        OrderQuery(created_from=date(2026, 3, 9), created_to=date(2026, 3, 3))


def test_text_search_by_number_name_and_email(order_store, many):
    target = many[5]["number"]
    bare = target[4:]
    for typed in (target, target.lower(), bare, bare.lower(), f"  bsp{bare.lower()} ", f"BSP-{bare[:3]}"):
        assert target in numbers(search(order_store, text=typed)), typed
    assert numbers(search(order_store, text=bare)) == [target]
    ada = sorted(o["number"] for o in many if o["customer_name"] == "Ada Lovelace")
    assert sorted(numbers(search(order_store, text="LOVELACE"))) == ada
    assert sorted(numbers(search(order_store, text="a lovel"))) == ada
    assert sorted(numbers(search(order_store, text="ADA@EXAMPLE"))) == ada
    unal = sorted(o["number"] for o in many if o["customer_name"].startswith("Ünal"))
    assert sorted(numbers(search(order_store, text="ünal"))) == unal  # beyond ASCII, any case
    assert sorted(numbers(search(order_store, text="ÖZTÜRK"))) == unal
    assert sorted(numbers(search(order_store, text="unal@"))) == unal
    # LIKE wildcards are searched for, not obeyed.
    percent = sorted(o["number"] for o in many if o["customer_name"].startswith("100%"))
    assert sorted(numbers(search(order_store, text="100%"))) == percent
    assert sorted(numbers(search(order_store, text="t_c"))) == percent
    assert search(order_store, text="%")["total"] == len(percent)
    assert search(order_store, text="nobody at all")["total"] == 0
    # combined with a filter
    shipped_ada = [o["number"] for o in many if o["customer_name"] == "Ada Lovelace" and o["status"] == "shipped"]
    assert sorted(numbers(search(order_store, text="ada", status="shipped"))) == sorted(shipped_ada)


def _expected_order(many, key, descending):
    rank = {status: index for index, status in enumerate(OrderStatus)}
    sort_key = {
        "created_at": lambda o: o["created_at"],
        "number": lambda o: o["number"],
        "customer_name": lambda o: (o["customer_name"].lower(), o["created_at"]),
        "status": lambda o: (rank[o["status"]], o["created_at"]),
    }[key]
    return [o["number"] for o in sorted(many, key=sort_key, reverse=descending)]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("key", ["created_at", "number", "customer_name", "status"])
def test_sorting(order_store, many, key, descending):
    found = search(order_store, sort=key, descending=descending)
    if key == "customer_name":
        # equal names keep insertion (id) order, which is creation order here
        names = [o["customer_name"].lower() for o in found["orders"]]
        assert names == sorted(names, reverse=descending)
    else:
        assert numbers(found) == _expected_order(many, key, descending)


@pytest.mark.parametrize("descending", [False, True])
def test_sorting_by_total_puts_quote_requests_last(order_store, many, descending):
    found = search(order_store, sort="total", descending=descending)
    totals = [o["total"] for o in found["orders"]]
    priced = [Decimal(t) for t in totals if t is not None]
    assert priced == sorted(priced, reverse=descending)
    quotes = sum(1 for o in many if o["total"] is None)
    assert quotes and totals[-quotes:] == [None] * quotes


def test_paging(order_store, many):
    pages = [order_store.search_orders(OrderQuery(page=page, per_page=10)) for page in (1, 2, 3, 4, 5)]
    assert [len(p["orders"]) for p in pages] == [10, 10, 10, 6, 0]
    assert all(p["total"] == len(many) for p in pages)
    assert [n for p in pages for n in numbers(p)] == numbers(search(order_store))
    assert (pages[1]["page"], pages[1]["per_page"]) == (2, 10)
    row = pages[0]["orders"][0]
    assert set(row) >= {"number", "status", "product_name", "total", "currency", "customer_name", "created_at"}
    assert "option_details" not in row  # a list row is a summary
    full = order_store.search_orders(OrderQuery(per_page=3), full=True)
    assert full["orders"] == [order_store.get(n) for n in numbers(full)]


def test_export_has_every_matching_row(order_store, many):
    rows = list(order_store.export_orders(OrderQuery(status="received", per_page=1)))
    assert sorted(r["number"] for r in rows) == sorted(o["number"] for o in many if o["status"] == "received")
    assert rows[0]["option_details"] and "customer_address" in rows[0]


def test_query_from_address_parameters():
    query, problems = order_query({
        "status": "shipped", "product": "custom_pc", "from": "2026-03-01", "to": "2026-03-31", "q": " ada ",
        "sort": "total", "dir": "asc", "page": "3", "per_page": "20",
    })
    assert problems == []
    assert query == OrderQuery(status="shipped", product_id="custom_pc", created_from=date(2026, 3, 1),
                               created_to=date(2026, 3, 31), text="ada", sort="total", descending=False,
                               page=3, per_page=20)
    assert order_query(order_params(query))[0] == query
    assert order_params(OrderQuery()) == {}
    bad, problems = order_query({
        "status": "lost", "product": "<script>", "from": "yesterday", "to": "2026-02-30", "sort": "password",
        "dir": "sideways", "page": "-1", "per_page": "100000", "q": "x" * 500,
    })
    assert bad == OrderQuery()
    assert len(problems) == 9
    swapped, problems = order_query({"from": "2026-03-09", "to": "2026-03-01"})
    assert swapped == OrderQuery() and "starts after it ends" in problems[0]
    with pytest.raises(InvalidOrderQueryError):
        OrderQuery(sort="password")
    with pytest.raises(InvalidOrderQueryError):
        OrderQuery(status="lost")
