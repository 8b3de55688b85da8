"""After the order, where staff look (issue 14): the order API carries the revisions, change
requests and quotes; the orders list marks an order waiting for staff (a change request to
decide, a quote to price) and the queue lists them; the order page lists the news told to
the customer, on which channel, delivered or waiting."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.core.amend import order_fields, propose, revise
from bot.core.catalog import load_catalog
from bot.core.life import OrderStatus
from bot.local import DEMO_CATALOG
from bot.staff.accounts import StaffAccounts
from bot.store import notices
from bot.store.db import utcnow
from tests.support.orders import new_order
from tests.support.staff import STAFF_NAME, sign_in, staff_client
from tests.support.trackers import FULL_PC

CATALOG = load_catalog(DEMO_CATALOG)
CONVEYOR = {"length": 30, "belt_width": 1200, "load": 150, "belt": "rubber", "environment": "standard",
            "power": "400v_three_phase"}
WEB = "web:gapsabcdefgh"


@pytest.fixture
async def client(web_store):
    client = await staff_client()
    await sign_in(client)
    yield client
    await client.close()


def place(store, product_id, selections, conversation_id=WEB):
    product = CATALOG.find_product(product_id)
    fields = order_fields(product, selections)
    return store.place_order(new_order(
        conversation_id=conversation_id, kind=fields.kind, product_id=product.id, product_name=product.name,
        options=fields.options, option_details=fields.option_details, derived_parts=fields.derived_parts,
        price_lines=fields.price_lines, total=fields.total, currency=fields.currency,
        lead_time_days=fields.lead_time_days))


def amended(store, placed, text):
    product = CATALOG.find_product(placed["product_id"])
    proposal = propose(product, placed, text)
    return store.amend(placed["number"], placed["conversation_id"], revise(product, proposal.after)[0],
                       proposal.changes)


def requested(store, placed, text):
    product = CATALOG.find_product(placed["product_id"])
    proposal = propose(product, placed, text)
    return store.request_change(placed["number"], placed["conversation_id"], proposal.after, proposal.changes,
                                proposal.new_total)


def row_of(page: str, number: str) -> str:
    """The orders list's table row of one order."""
    match = re.search(rf"<tr>\s*<td class=\"nowrap\"><a href=\"/staff/orders/{number}\">.*?</tr>", page, re.S)
    assert match, f"no row for {number}"
    return match.group(0)


async def test_the_order_api_carries_revisions_change_requests_and_quotes(web_store):
    pc = place(web_store, "custom_pc", FULL_PC)
    amended(web_store, pc, "change the memory to 64 GB")
    web_store.change_status(pc["number"], OrderStatus.CONFIRMED, STAFF_NAME)
    request = requested(web_store, pc, "make it the 4 TB SSD")
    quote = place(web_store, "conveyor", CONVEYOR)
    web_store.price_quote(quote["number"], Decimal("8450"), utcnow() + timedelta(days=10), "6 weeks", STAFF_NAME)
    headers = {"Authorization": f"Bearer {StaffAccounts(web_store).create_token(STAFF_NAME)}"}
    client = await staff_client()
    try:
        body = await (await client.get(f"/api/orders/{pc['number']}", headers=headers)).json()
        after = web_store.after_order(pc["number"])
        assert body["revisions"] == after["revisions"] and body["change_requests"] == after["requests"]
        [revision] = body["revisions"]
        assert (revision["number"], revision["kind"], revision["old_total"], revision["new_total"]) == \
            (1, "amendment", "1622.00", "1722.00")
        [pending] = body["change_requests"]
        assert (pending["id"], pending["status"]) == (request["id"], "pending")
        assert [line["name"] for line in pending["changes"]] == ["Storage"] and body["quotes"] == []
        priced = await (await client.get(f"/api/orders/{quote['number']}", headers=headers)).json()
        [offered] = priced["quotes"]
        assert (offered["total"], offered["note"], offered["answer"]) == ("8450.00", "6 weeks", None)
        assert priced["revisions"] == [] and priced["change_requests"] == []
    finally:
        await client.close()


async def test_orders_waiting_for_staff_are_marked_and_queued(client, web_store):
    plain = place(web_store, "custom_pc", FULL_PC)
    pc = place(web_store, "custom_pc", FULL_PC)
    web_store.change_status(pc["number"], OrderStatus.CONFIRMED, STAFF_NAME)
    request = requested(web_store, pc, "change the memory to 64 GB")
    quote = place(web_store, "conveyor", CONVEYOR)
    priced = place(web_store, "conveyor", CONVEYOR)
    web_store.price_quote(priced["number"], Decimal("8450"), utcnow() + timedelta(days=10), "", STAFF_NAME)

    listed = await (await client.get("/staff/orders")).text()
    assert "attention-change_requested" in row_of(listed, pc["number"])
    assert "Change requested" in row_of(listed, pc["number"])
    assert "Quote to price" in row_of(listed, quote["number"])
    for number in (plain["number"], priced["number"]):
        assert "waiting-staff" not in row_of(listed, number)

    queue = await (await client.get("/staff/queue")).text()
    assert "Orders waiting for a decision" in queue
    requests = queue[queue.index('class="queue change-requests"'):queue.index('class="queue quotes-to-price"')]
    assert f'href="/staff/orders/{pc["number"]}"' in requests
    assert "Memory: 32 GB DDR5 -&gt; 64 GB DDR5, +100 EUR" in requests
    assert f'datetime="{request["requested_at"]}"' in requests and "Ada" in requests
    quotes = queue[queue.index('class="queue quotes-to-price"'):]
    assert f'href="/staff/orders/{quote["number"]}"' in quotes and priced["number"] not in quotes

    web_store.refuse_change(pc["number"], request["id"], STAFF_NAME, "already assembled")
    web_store.price_quote(quote["number"], Decimal("9000"), utcnow() + timedelta(days=10), "", STAFF_NAME)
    listed = await (await client.get("/staff/orders")).text()
    assert "waiting-staff" not in listed
    assert "Orders waiting for a decision" not in await (await client.get("/staff/queue")).text()


async def test_the_order_page_lists_the_news_told_and_whether_it_arrived(client, web_store):
    web = place(web_store, "custom_pc", FULL_PC)
    path = f"/staff/orders/{web['number']}"
    assert "No news told yet" in await (await client.get(path)).text()
    web_store.change_status(web["number"], OrderStatus.CONFIRMED, STAFF_NAME)
    page = await (await client.get(path)).text()
    news = page[page.index('aria-labelledby="h-news"'):]
    assert f"News about your order {web['number']}: it is now confirmed." in news
    assert "<td>web chat</td>" in news and "waiting for the widget to open" in news and "notice-waiting" in news

    [taken] = notices.take_for(web_store.sessions, WEB)  # the widget opened and showed it
    news = (await (await client.get(path)).text()).split('aria-labelledby="h-news"')[1]
    assert "notice-delivered" in news and "delivered 20" in news and "waiting for the widget" not in news

    telegram = place(web_store, "custom_pc", FULL_PC, conversation_id="telegram:4242")
    web_store.change_status(telegram["number"], OrderStatus.CONFIRMED, STAFF_NAME)
    [due] = notices.due(web_store.sessions, "telegram", utcnow() + timedelta(seconds=1))
    notices.failed(web_store.sessions, due.id, "Bot API answered 502", timedelta(seconds=30))
    news = (await (await client.get(f"/staff/orders/{telegram['number']}")).text()).split('aria-labelledby="h-news"')[1]
    assert "<td>Telegram</td>" in news and "retrying after 1 failed attempt" in news and "Bot API answered 502" in news
    assert web["number"] not in news  # only this order's news
