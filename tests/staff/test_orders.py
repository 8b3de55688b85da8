"""Orders for staff: status transitions, notes and search in the order core (on SQLite and
PostgreSQL), the order pages, CSV export and the /api/orders API through the real web app,
and what the bot tells a customer after a staff change."""

from __future__ import annotations

import csv
import io
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Dict, List
from urllib.parse import parse_qs, urlsplit

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from actions import kit as dialogue
from bot.core.life import NEXT_STATUSES, OrderStatus
from bot.store.models import Order, OrderNote, OrderStatusChange
from bot.store.orders import (
    NOTE_MAX_LENGTH,
    IllegalStatusChangeError,
    OrderNotFoundError,
    OrderStore,
    StatusChangeError,
)
from bot.store.search import InvalidOrderQueryError, OrderQuery
from bot.staff.queries import order_params, order_query
from bot.staff.accounts import StaffAccounts
from tests.support.staff import STAFF_NAME, add_staff, page_csrf, sign_in, staff_client, staff_environment
from tests.support.orders import new_order

# The order store on SQLite and on PostgreSQL, as the store's own tests make it.

PATH_TO = {  # the legal way from "received" to each status
    "received": [],
    "confirmed": ["confirmed"],
    "in_production": ["confirmed", "in_production"],
    "shipped": ["confirmed", "in_production", "shipped"],
    "delivered": ["confirmed", "in_production", "shipped", "delivered"],
    "cancelled": ["cancelled"],
}
ORDER_LINK = re.compile(r'<td class="nowrap"><a href="/staff/orders/(BSP-[0-9A-Z]{6})">')


def walk(store: OrderStore, number: str, status: str) -> Dict[str, Any]:
    order = store.get(number)
    for step in PATH_TO[status]:
        order = store.change_status(number, step, "grace", "no longer needed" if step == "cancelled" else None)
    return order


def history_count(store: OrderStore) -> int:
    with store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(OrderStatusChange))


def set_created(store: OrderStore, number: str, moment: datetime) -> None:
    with store.sessions.begin() as session:
        session.execute(update(Order).where(Order.number == number).values(created_at=moment))


# ---------------------------------------------------------------------------- transitions


def test_an_order_goes_through_every_status_and_each_change_is_recorded(order_store):
    placed = order_store.place_order(new_order())
    previous = placed
    for step in ("confirmed", "in_production", "shipped", "delivered"):
        changed = order_store.change_status(placed["number"].lower(), step, "grace", f"step {step}")
        assert changed["status"] == step
        assert changed["updated_at"] >= previous["updated_at"]
        assert order_store.get(placed["number"]) == changed
        previous = changed
    history = [(h["status"], h["changed_by"], h["reason"]) for h in previous["status_history"]]
    assert history == [
        ("received", "customer", None),
        ("confirmed", "grace", "step confirmed"),
        ("in_production", "grace", "step in_production"),
        ("shipped", "grace", "step shipped"),
        ("delivered", "grace", "step delivered"),
    ]
    times = [h["changed_at"] for h in previous["status_history"]]
    assert times == sorted(times) and all(t.endswith("+00:00") for t in times)


@pytest.mark.parametrize("start", ["received", "confirmed", "in_production"])
def test_cancel_with_a_reason_before_shipping(order_store, start):
    number = order_store.place_order(new_order())["number"]
    walk(order_store, number, start)
    cancelled = order_store.change_status(number, "cancelled", "grace", "  customer phoned to cancel \n")
    assert cancelled["status"] == "cancelled"
    assert cancelled["status_history"][-1]["reason"] == "customer phoned to cancel"
    assert cancelled["status_history"][-1]["changed_by"] == "grace"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_cancelling_needs_a_reason(order_store, reason):
    number = order_store.place_order(new_order())["number"]
    with pytest.raises(StatusChangeError, match="reason is required"):
        order_store.change_status(number, "cancelled", "grace", reason)
    assert order_store.get(number)["status"] == "received"
    assert history_count(order_store) == 1


ILLEGAL = [
    ("received", "in_production"), ("received", "shipped"), ("received", "delivered"), ("received", "received"),
    ("confirmed", "received"), ("confirmed", "shipped"), ("in_production", "confirmed"),
    ("in_production", "delivered"), ("shipped", "cancelled"), ("shipped", "in_production"),
    ("delivered", "cancelled"), ("delivered", "shipped"), ("cancelled", "received"), ("cancelled", "confirmed"),
    ("received", "lost_in_the_post"),
]


@pytest.mark.parametrize("start, target", ILLEGAL)
def test_illegal_jumps_are_refused_and_nothing_is_recorded(order_store, start, target):
    number = order_store.place_order(new_order())["number"]
    before = walk(order_store, number, start)
    with pytest.raises(IllegalStatusChangeError) as raised:
        order_store.change_status(number, target, "grace", "a reason")
    assert raised.value.current == start and raised.value.requested == target
    assert isinstance(raised.value, StatusChangeError) and isinstance(raised.value, ValueError)
    message = str(raised.value)
    assert number in message or target not in list(OrderStatus)
    if NEXT_STATUSES[start]:
        assert "can now only become" in message
    else:
        assert "is final" in message
    assert order_store.get(number) == before


def test_every_legal_step_is_allowed_and_nothing_else():
    legal = {(a, b) for a, targets in NEXT_STATUSES.items() for b in targets}
    assert legal == {
        ("received", "confirmed"), ("confirmed", "in_production"), ("in_production", "shipped"),
        ("shipped", "delivered"), ("received", "cancelled"), ("confirmed", "cancelled"),
        ("in_production", "cancelled"),
    }
    assert set(NEXT_STATUSES) == set(OrderStatus)


def test_status_change_of_an_unknown_order_or_without_a_name(order_store):
    with pytest.raises(OrderNotFoundError):
        order_store.change_status("BSP-222222", "confirmed", "grace")
    number = order_store.place_order(new_order())["number"]
    with pytest.raises(StatusChangeError, match="who changes"):
        order_store.change_status(number, "confirmed", " ")
    with pytest.raises(StatusChangeError, match="longer than"):
        order_store.change_status(number, "cancelled", "grace", "x" * 1001)
    assert history_count(order_store) == 1


def test_two_staff_changing_at_once_make_one_change(order_store):
    number = order_store.place_order(new_order())["number"]
    workers = [OrderStore(order_store.url) for _ in range(4)]
    barrier = threading.Barrier(len(workers))

    def change(worker: OrderStore) -> str:
        barrier.wait()
        try:
            worker.change_status(number, "confirmed", f"staff-{id(worker)}")
            return "changed"
        except IllegalStatusChangeError as error:
            assert error.current == "confirmed"
            return "refused"

    try:
        with ThreadPoolExecutor(len(workers)) as pool:
            outcomes = sorted(pool.map(change, workers))
    finally:
        for worker in workers:
            worker.dispose()
    assert outcomes == ["changed", "refused", "refused", "refused"]
    assert [h["status"] for h in order_store.get(number)["status_history"]] == ["received", "confirmed"]


def test_a_change_made_meanwhile_is_not_overwritten(order_store, monkeypatch):
    """Another worker changes the order between our read and our conditional update."""
    number = order_store.place_order(new_order())["number"]
    original_execute = Session.execute
    sneaked: List[bool] = []

    def sneak_in(session, statement, *args, **kwargs):
        if getattr(statement, "is_update", False) and not sneaked:
            sneaked.append(True)
            other = OrderStore(order_store.url)
            try:
                other.change_status(number, "cancelled", "bob", "customer phoned")
            finally:
                other.dispose()
        return original_execute(session, statement, *args, **kwargs)

    monkeypatch.setattr(Session, "execute", sneak_in)
    with pytest.raises(IllegalStatusChangeError) as raised:
        order_store.change_status(number, "confirmed", "grace")
    monkeypatch.undo()
    assert sneaked and raised.value.current == "cancelled"
    assert [h["status"] for h in order_store.get(number)["status_history"]] == ["received", "cancelled"]


# ---------------------------------------------------------------------------- notes


def test_notes_are_kept_in_order_with_author_and_time(order_store):
    number = order_store.place_order(new_order())["number"]
    first = order_store.add_note(number, "grace", "  Called the customer about the colour.  ")
    second = order_store.add_note(number.lower(), "alan", "Line one\nline two <b>not html</b>")
    assert first["text"] == "Called the customer about the colour." and first["author"] == "grace"
    assert first["created_at"].endswith("+00:00")
    assert order_store.notes_for(number) == [first, second]
    staff_view = order_store.get_for_staff(number)
    assert staff_view["notes"] == [first, second]
    assert {key: value for key, value in staff_view.items() if key != "notes"} == order_store.get(number)
    assert "notes" not in order_store.get(number)  # what the bot reads never holds staff notes


def test_bad_notes_are_refused(order_store):
    number = order_store.place_order(new_order())["number"]
    with pytest.raises(ValueError, match="empty"):
        order_store.add_note(number, "grace", " \n ")
    with pytest.raises(ValueError, match="longer than"):
        order_store.add_note(number, "grace", "x" * (NOTE_MAX_LENGTH + 1))
    with pytest.raises(ValueError, match="author"):
        order_store.add_note(number, "", "fine")
    with pytest.raises(OrderNotFoundError):
        order_store.add_note("BSP-222222", "grace", "fine")
    with pytest.raises(OrderNotFoundError):
        order_store.notes_for("BSP-222222")
    assert order_store.notes_for(number) == []
    assert order_store.add_note(number, "grace", "x" * NOTE_MAX_LENGTH)["text"] == "x" * NOTE_MAX_LENGTH
    assert order_store.get_for_staff("BSP-222222") is None


def test_notes_go_with_their_order(order_store):
    number = order_store.place_order(new_order())["number"]
    order_store.add_note(number, "grace", "a note")
    with order_store.sessions.begin() as session:
        session.delete(session.scalars(select(Order).where(Order.number == number)).one())
    with order_store.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(OrderNote)) == 0


# ---------------------------------------------------------------------------- search

PEOPLE = [
    ("Ada Lovelace", "ada@example.org"), ("Grace Hopper", "grace@navy.example"),
    ("Alan Turing", "alan@bletchley.example"), ("Ünal Öztürk", "UNAL@example.com"),
    ("Katherine Johnson", "kj@nasa.example"), ("100% Percent_Co", "percent@example.com"),
]
PRODUCTS = [("oak_table", "Oak dining table"), ("custom_pc", "Custom PC"), ("conveyor", "Conveyor")]
START = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def make_orders(store: OrderStore, count: int = 36) -> List[Dict[str, Any]]:
    """count orders, one a day from START (the last ones at the very start and end of a day),
    spread over people, products and statuses; some are quote requests."""
    made = []
    for index in range(count):
        name, email = PEOPLE[index % len(PEOPLE)]
        product_id, product_name = PRODUCTS[index % len(PRODUCTS)]
        quote = index % 7 == 3
        total = None if quote else Decimal(100 + (index * 37) % 900) + Decimal("0.50")
        order = store.place_order(new_order(
            conversation_id=f"web:conversation-{index}", product_id=product_id, product_name=product_name,
            customer_name=name, customer_email=email, kind="quote_request" if quote else "order", total=total,
            price_lines=[] if quote else [{"label": "Base price", "amount": total}],
        ))
        created = START + timedelta(days=index)
        set_created(store, order["number"], created)
        status = list(OrderStatus)[index % len(OrderStatus)]
        walk(store, order["number"], status)
        made.append(store.get(order["number"]))
    return made


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


# ---------------------------------------------------------------------------- pages


@pytest.fixture
def web_store(monkeypatch, tmp_path):
    store = staff_environment(monkeypatch, tmp_path)
    add_staff(store)
    yield store
    store.dispose()


@pytest.fixture
async def client(web_store):
    client = await staff_client()
    await sign_in(client)
    yield client
    await client.close()


def pc_order(**changes: Any):
    values: Dict[str, Any] = dict(  # noqa: C408 - reads like NewOrder's keywords
        conversation_id="web:abc 1/2", product_id="custom_pc", product_name="Custom PC",
        options={"memory": "ddr5_32gb", "storage": "ssd_1tb"},
        option_details=[
            {"id": "memory", "name": "Memory", "value": "ddr5_32gb", "label": "32 GB DDR5", "unit": None},
            {"id": "storage", "name": "Storage", "value": "ssd_1tb", "label": "1 TB NVMe", "unit": None},
            {"id": "height", "name": "Desk height", "value": 72.5, "label": "72.5 cm", "unit": "cm"},
        ],
        derived_parts=[{"id": "psu", "name": "Power supply", "value": "psu_750", "label": "750 W Gold",
                        "price": "95.00"}],
        price_lines=[{"label": "Base price", "amount": Decimal("1200.00")},
                     {"label": "Memory: 32 GB DDR5", "amount": Decimal("120.00")},
                     {"label": "Power supply: 750 W Gold", "amount": Decimal("95.00")}],
        total=Decimal("1415.00"), currency="EUR", lead_time_days=10,
        customer_name="Anna <b>Schmidt</b>", customer_email="anna@example.com",
        customer_address="Hauptstrasse 12\n10115 Berlin",
    )
    values.update(changes)
    return new_order(**values)


def flash_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["flash"][0]


async def test_order_list_filters_sorts_and_pages(client, web_store):
    many = make_orders(web_store, 60)
    response = await client.get("/staff/orders")
    page = await response.text()
    assert response.status == 200
    assert "1-50 of 60" in page and "Page 1 of 2" in page
    newest = sorted(many, key=lambda o: o["created_at"], reverse=True)
    assert ORDER_LINK.findall(page) == [o["number"] for o in newest[:50]]
    assert 'rel="next"' in page and 'href="/staff/orders?page=2"' in page
    second = await (await client.get("/staff/orders?page=2")).text()
    assert "51-60 of 60" in second and "Page 2 of 2" in second and ORDER_LINK.findall(second) == [o["number"] for o in newest[50:]]

    shipped = await (await client.get("/staff/orders?status=shipped&sort=number&dir=asc")).text()
    expected = sorted(o["number"] for o in many if o["status"] == "shipped")
    assert ORDER_LINK.findall(shipped) == expected
    assert f"1-{len(expected)} of {len(expected)}" in shipped
    assert '<option value="shipped" selected>shipped</option>' in shipped
    assert 'aria-sort="ascending"' in shipped
    # the header link of the active column flips the direction and keeps the filter
    assert 'href="/staff/orders?status=shipped&amp;sort=number"' in shipped

    found = await (await client.get("/staff/orders", params={"q": "lovelace", "product": "custom_pc"})).text()
    assert set(ORDER_LINK.findall(found)) == {
        o["number"] for o in many if o["customer_name"] == "Ada Lovelace" and o["product_id"] == "custom_pc"
    }
    dated = await (await client.get("/staff/orders?from=2026-03-02&to=2026-03-04")).text()
    assert "1-3 of 3" in dated
    nothing = await (await client.get("/staff/orders?q=nobody")).text()
    assert "No orders match these filters" in nothing


@pytest.mark.parametrize("query, message", [
    ("status=lost", "Unknown status"),
    ("from=31.12.2026", "is not a date"),
    ("sort=password", "Cannot sort by"),
    ("page=abc", "is not a valid page"),
    ("page=999", "There is no page 999"),
    ("product=%3Cscript%3E", "is not a product"),
])
async def test_bad_filter_values_give_a_message(client, web_store, query, message):
    make_orders(web_store, 3)
    response = await client.get(f"/staff/orders?{query}")
    page = await response.text()
    assert response.status == 200
    assert message in page
    assert len(ORDER_LINK.findall(page)) == 3
    assert "<script>" not in page


async def test_order_page_shows_everything(client, web_store):
    placed = web_store.place_order(pc_order())
    number = placed["number"]
    web_store.change_status(number, "confirmed", "bob", "paid by bank transfer")
    web_store.add_note(number, "bob", "Wants <delivery> after 5pm")
    response = await client.get(f"/staff/orders/{number}")
    page = await response.text()
    assert response.status == 200
    for shown in ("Memory", "32 GB DDR5", "Storage", "1 TB NVMe", "Desk height", "72.5 cm", "<td>cm</td>",
                  "Power supply", "750 W Gold", "Base price", "€1,200.00", "€95.00", "€1,415.00", "Total (EUR)",
                  "anna@example.com", "Hauptstrasse 12", "10 business days", "paid by bank transfer", "by bob",
                  "Wants &lt;delivery&gt; after 5pm", "Anna &lt;b&gt;Schmidt&lt;/b&gt;"):
        assert shown in page, shown
    assert "<b>Schmidt</b>" not in page
    assert 'href="/staff/conversations/web%3Aabc%201%2F2"' in page
    # promised: placed today + 10 business days
    from bot.core.lead_time import ready_date

    created = datetime.fromisoformat(placed["created_at"]).date()
    assert ready_date(10, created).strftime("%a %d %b %Y") in page
    # only the legal next status is offered, and cancelling with a reason
    status_form = page.split('id="s-status"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([a-z_]+)"', status_form) == ["in_production"]
    assert 'name="status" value="cancelled"' in page and 'id="c-reason" name="reason" required' in page
    assert page.count('name="csrf_token"') == 4  # sign-out, status, cancel, note


async def test_quote_request_and_unknown_order_pages(client, web_store):
    quote = web_store.place_order(pc_order(kind="quote_request", total=None, price_lines=[]))
    page = await (await client.get(f"/staff/orders/{quote['number']}")).text()
    assert "quote request" in page.lower() and "Total (" not in page
    lower = await client.get(f"/staff/orders/{quote['number'].lower()}", allow_redirects=False)
    assert lower.status == 303 and lower.headers["Location"] == f"/staff/orders/{quote['number']}"
    missing = await client.get("/staff/orders/BSP-<b>x")
    assert missing.status == 404
    text = await missing.text()
    assert "There is no order BSP-&lt;B&gt;X" in text and "<b>" not in text.split("<main")[1]


async def test_status_changes_through_the_form(client, web_store):
    number = web_store.place_order(pc_order())["number"]
    token = await page_csrf(client, f"/staff/orders/{number}")
    legal = await client.post(f"/staff/orders/{number}/status", data={"csrf_token": token, "status": "confirmed"},
                              allow_redirects=False)
    assert legal.status == 303 and legal.headers["Location"].startswith(f"/staff/orders/{number}?flash=")
    shown = await (await client.get(legal.headers["Location"])).text()
    assert f"Order {number} is now confirmed." in shown and 'class="ok"' in shown
    assert web_store.get(number)["status_history"][-1]["changed_by"] == STAFF_NAME

    illegal = await client.post(f"/staff/orders/{number}/status", data={"csrf_token": token, "status": "delivered"},
                                allow_redirects=False)
    assert illegal.status == 303
    refused = await (await client.get(illegal.headers["Location"])).text()
    assert "Not changed: order" in refused and "cannot go from confirmed to delivered" in refused
    assert 'class="error"' in refused
    no_reason = await client.post(f"/staff/orders/{number}/status",
                                  data={"csrf_token": token, "status": "cancelled", "reason": " "},
                                  allow_redirects=False)
    assert "a reason is required" in await (await client.get(no_reason.headers["Location"])).text()
    order = web_store.get(number)
    assert order["status"] == "confirmed" and len(order["status_history"]) == 2

    cancel = await client.post(f"/staff/orders/{number}/status",
                               data={"csrf_token": token, "status": "cancelled", "reason": "out of stock"},
                               allow_redirects=False)
    page = await (await client.get(cancel.headers["Location"])).text()
    assert "is now cancelled" in page and "out of stock" in page and "its status is final" in page
    # a flash message cannot be made up by whoever sends a link
    assert "Haha" not in await (await client.get(f"/staff/orders/{number}?flash=Haha")).text()
    unknown = await client.post("/staff/orders/BSP-222222/status", data={"csrf_token": token, "status": "confirmed"})
    assert unknown.status == 404


async def test_forged_forms_change_nothing(client, web_store):
    number = web_store.place_order(pc_order())["number"]
    for path, data in ((f"/staff/orders/{number}/status", {"status": "confirmed"}),
                       (f"/staff/orders/{number}/notes", {"note": "forged"})):
        for token in ({"csrf_token": "forged"}, {}):
            response = await client.post(path, data={**data, **token}, allow_redirects=False)
            assert response.status == 403
    order = web_store.get_for_staff(number)
    assert order["status"] == "received" and len(order["status_history"]) == 1 and order["notes"] == []


async def test_notes_through_the_form(client, web_store):
    number = web_store.place_order(pc_order())["number"]
    token = await page_csrf(client, f"/staff/orders/{number}")
    added = await client.post(f"/staff/orders/{number}/notes", data={"csrf_token": token, "note": "Rang, no answer"},
                              allow_redirects=False)
    page = await (await client.get(added.headers["Location"])).text()
    assert "Note added." in page and "Rang, no answer" in page
    empty = await client.post(f"/staff/orders/{number}/notes", data={"csrf_token": token, "note": "  "},
                              allow_redirects=False)
    assert "The note was not added: the note is empty." in await (await client.get(empty.headers["Location"])).text()
    [note] = web_store.notes_for(number)
    assert note["author"] == STAFF_NAME


async def test_csv_export(client, web_store):
    many = make_orders(web_store, 55)
    evil = web_store.place_order(pc_order(customer_name="=HYPERLINK(\"http://evil\")", customer_email="@me.example",
                                          customer_address="+1 Main St\n-2nd floor"))
    response = await client.get("/staff/orders.csv")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = await response.read()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["number", "created", "status", "product", "options", "total", "currency", "customer name",
                       "email", "address", "promised date", "conversation id"]
    assert len(rows) == 1 + len(many) + 1  # every order, not one page
    by_number = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    row = by_number[evil["number"]]
    assert row["customer name"] == "'=HYPERLINK(\"http://evil\")"
    assert row["email"] == "'@me.example" and row["address"] == "'+1 Main St, -2nd floor"
    assert row["options"] == "Memory: 32 GB DDR5; Storage: 1 TB NVMe; Desk height: 72.5 cm"
    assert row["total"] == "1415.00" and row["currency"] == "EUR" and row["status"] == "received"
    assert row["conversation id"] == "web:abc 1/2"
    assert datetime.fromisoformat(row["created"]).tzinfo is not None
    assert date.fromisoformat(row["promised date"]) > datetime.fromisoformat(row["created"]).date()
    quote = next(o for o in many if o["total"] is None)
    assert by_number[quote["number"]]["total"] == ""

    filtered = await client.get("/staff/orders.csv?status=shipped&q=ada")
    rows = list(csv.reader(io.StringIO((await filtered.read()).decode("utf-8-sig"))))
    assert sorted(r[0] for r in rows[1:]) == sorted(
        o["number"] for o in many if o["status"] == "shipped" and o["customer_name"] == "Ada Lovelace"
    )
    bad = await client.get("/staff/orders.csv?status=lost")
    assert bad.status == 400 and "Unknown status" in await bad.text()
    list_page = await (await client.get("/staff/orders?status=shipped&page=1")).text()
    assert 'href="/staff/orders.csv?status=shipped"' in list_page


async def test_csv_export_needs_sign_in(web_store):
    client = await staff_client()
    try:
        response = await client.get("/staff/orders.csv", allow_redirects=False)
        assert response.status == 303
    finally:
        await client.close()


# ---------------------------------------------------------------------------- API


async def test_api_orders_with_a_token(web_store):
    many = make_orders(web_store, 12)
    number = many[0]["number"]
    web_store.add_note(number, "bob", "api note")
    accounts = StaffAccounts(web_store)
    token = accounts.create_token(STAFF_NAME)
    headers = {"Authorization": f"Bearer {token}"}
    client = await staff_client()
    try:
        listed = await client.get("/api/orders?per_page=5&sort=number&dir=asc", headers=headers)
        assert listed.status == 200
        body = await listed.json()
        assert (body["total"], body["page"], body["per_page"]) == (12, 1, 5)
        assert [o["number"] for o in body["orders"]] == sorted(o["number"] for o in many)[:5]
        assert body["orders"][0] == web_store.get(body["orders"][0]["number"])
        filtered = await (await client.get("/api/orders", params={"status": "shipped"}, headers=headers)).json()
        assert {o["status"] for o in filtered["orders"]} == {"shipped"}
        bad = await client.get("/api/orders?sort=password", headers=headers)
        assert bad.status == 400 and (await bad.json())["error"] == "bad_request"

        one = await client.get(f"/api/orders/{number.lower()}", headers=headers)
        assert one.status == 200
        order = await one.json()
        assert order["number"] == number and [n["text"] for n in order["notes"]] == ["api note"]
        unknown = await client.get("/api/orders/BSP-222222", headers=headers)
        assert unknown.status == 404 and (await unknown.json())["error"] == "not_found"

        [info] = accounts.tokens(STAFF_NAME)
        accounts.revoke_token(info.id)
        revoked = await client.get(f"/api/orders/{number}", headers=headers)
        assert revoked.status == 401
        assert (await client.get("/api/orders", headers=headers)).status == 401
    finally:
        await client.close()


# ---------------------------------------------------------------------------- what the customer hears


def status_tracker(text: str, sender: str, intent: str = "order_status") -> Tracker:
    latest = {"intent": {"name": intent, "confidence": 0.95}, "entities": [], "text": text}
    return Tracker(
        sender_id=sender, slots={}, latest_message=latest,
        events=[{"event": "action", "name": "action_listen"}, {"event": "user", "text": text}],
        paused=False, followup_action=None, active_loop={}, latest_action_name="action_listen",
    )


def customer_hears(text: str, sender: str, intent: str = "order_status") -> str:
    dispatcher = CollectingDispatcher()
    tracker = status_tracker(text, sender, intent)
    dialogue.say_orders(dispatcher, tracker, dialogue.Message.of(tracker))
    return "\n".join(message["text"] for message in dispatcher.messages)


@pytest.fixture
def bot_store(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'orders.db'}")
    monkeypatch.setattr(dialogue, "_stores", {})
    yield dialogue.order_store()
    dialogue.order_store().dispose()


def test_the_customer_hears_the_status_staff_set(bot_store):
    sender = f"web:{uuid.uuid4().hex}"
    placed = bot_store.place_order(pc_order(conversation_id=sender))
    number = placed["number"]
    from bot.core.lead_time import ready_date

    ready = ready_date(10, datetime.fromisoformat(placed["created_at"]).date()).strftime("%a %d %b %Y")
    heard = customer_hears(f"where is my order {number}?", sender)
    assert f"status: received, ready around {ready}" in heard
    for status, words in (("confirmed", "status: confirmed, ready around"),
                          ("in_production", "status: in production, ready around"),
                          ("shipped", "status: shipped"), ("delivered", "status: delivered")):
        bot_store.change_status(number, status, "grace")
        heard = customer_hears(f"status of {number.lower()}", sender)
        assert words in heard and number in heard, heard
    assert "in_production" not in customer_hears("where is my order", sender)

    other = bot_store.place_order(pc_order(conversation_id=sender))["number"]
    bot_store.change_status(other, "cancelled", "grace", "the graphics card is no longer made")
    heard = customer_hears("my orders", sender, intent="my_orders")
    assert "status: cancelled: the graphics card is no longer made" in heard
    assert "status: delivered" in heard
    # another conversation's order gets no details
    assert "can't find an order" in customer_hears(f"where is {number}", "web:someone-else")
