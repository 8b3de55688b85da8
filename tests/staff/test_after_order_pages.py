"""The order page after the order (issue 14): its revisions, a change request accepted or
refused through CSRF-checked forms (re-priced at that moment), and a quote request priced."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.core.amend import order_fields, propose, revise
from bot.core.catalog import load_catalog
from bot.core.life import OrderStatus
from bot.local import DEMO_CATALOG
from bot.store import outbox
from tests.support.orders import new_order
from tests.support.staff import STAFF_NAME, page_csrf, sign_in, staff_client
from tests.support.trackers import FULL_PC

CATALOG = load_catalog(DEMO_CATALOG)
CONVEYOR = {"length": 30, "belt_width": 1200, "load": 150, "belt": "rubber", "environment": "standard",
            "power": "400v_three_phase"}


@pytest.fixture
async def client(web_store):
    client = await staff_client()
    await sign_in(client)
    yield client
    await client.close()


def place(store, product_id, selections):
    product = CATALOG.find_product(product_id)
    fields = order_fields(product, selections)
    return store.place_order(new_order(
        kind=fields.kind, product_id=product.id, product_name=product.name, options=fields.options,
        option_details=fields.option_details, derived_parts=fields.derived_parts, price_lines=fields.price_lines,
        total=fields.total, currency=fields.currency, lead_time_days=fields.lead_time_days))


def requested(store, placed, text):
    product = CATALOG.find_product(placed["product_id"])
    proposal = propose(product, placed, text)
    return store.request_change(placed["number"], "conversation-1", proposal.after, proposal.changes, proposal.new_total)


async def test_the_page_lists_revisions(client, web_store):
    placed = place(web_store, "custom_pc", FULL_PC)
    product = CATALOG.find_product("custom_pc")
    proposal = propose(product, placed, "change the memory to 64 GB")
    web_store.amend(placed["number"], "conversation-1", revise(product, proposal.after)[0], proposal.changes)
    page = await (await client.get(f"/staff/orders/{placed['number']}")).text()
    assert "<strong>Revision 1</strong>, changed in the chat" in page
    assert "€1,622.00 &rarr; €1,722.00" in page and "<li>Memory: 32 GB DDR5 -&gt; 64 GB DDR5, +100 EUR</li>" in page


async def test_a_change_request_accepted_on_the_page(client, web_store):
    placed = place(web_store, "custom_pc", FULL_PC)
    web_store.change_status(placed["number"], OrderStatus.CONFIRMED, STAFF_NAME)
    request = requested(web_store, placed, "make it the 4 TB SSD")
    path = f"/staff/orders/{placed['number']}"
    page = await (await client.get(path)).text()
    assert "Change requested by the customer" in page and "Accept the change" in page and "Refuse the change" in page
    token = await page_csrf(client, path)
    forged = await client.post(f"{path}/changes/{request['id']}", data={"decision": "accept", "csrf_token": "x"},
                               allow_redirects=False)
    assert forged.status == 403 and web_store.pending_request(placed["number"]) is not None
    done = await client.post(f"{path}/changes/{request['id']}", data={"decision": "accept", "csrf_token": token},
                             allow_redirects=False)
    shown = await (await client.get(done.headers["Location"])).text()
    assert "Change accepted: order" in shown and "revision 1" in shown
    order = web_store.get(placed["number"])
    assert order["options"]["storage"] == "ssd_4tb" and order["total"] == "1752.00" and order["status"] == "confirmed"
    assert "change request accepted" in shown
    again = await client.post(f"{path}/changes/{request['id']}", data={"decision": "accept", "csrf_token": token},
                              allow_redirects=False)
    assert "has no pending change request" in await (await client.get(again.headers["Location"])).text()
    assert [m["kind"] for m in outbox.mails_to(web_store.sessions, "ada@example.org")][-1] == "change_accepted"


async def test_a_change_request_refused_needs_a_reason(client, web_store):
    placed = place(web_store, "custom_pc", FULL_PC)
    web_store.change_status(placed["number"], OrderStatus.CONFIRMED, STAFF_NAME)
    request = requested(web_store, placed, "change the memory to 64 GB")
    path = f"/staff/orders/{placed['number']}"
    token = await page_csrf(client, path)
    blank = await client.post(f"{path}/changes/{request['id']}", data={"decision": "refuse", "reason": " ",
                                                                       "csrf_token": token}, allow_redirects=False)
    assert "say why the change is refused" in await (await client.get(blank.headers["Location"])).text()
    refused = await client.post(f"{path}/changes/{request['id']}", data={"decision": "refuse", "csrf_token": token,
                                                                         "reason": "already assembled"},
                                allow_redirects=False)
    page = await (await client.get(refused.headers["Location"])).text()
    assert "Change refused; the customer is told why." in page and "<q>already assembled</q>" in page
    assert web_store.get(placed["number"])["options"] == placed["options"]


async def test_a_quote_request_is_priced_on_its_page(client, web_store):
    placed = place(web_store, "conveyor", CONVEYOR)
    path = f"/staff/orders/{placed['number']}"
    page = await (await client.get(path)).text()
    assert "No price given yet." in page and "Send the price" in page
    token = await page_csrf(client, path)
    bad = await client.post(f"{path}/quote", data={"csrf_token": token, "total": "lots", "valid_until": "2027-01-01"},
                            allow_redirects=False)
    assert "give the price as a number" in await (await client.get(bad.headers["Location"])).text()
    until = (date.today() + timedelta(days=10)).isoformat()
    priced = await client.post(f"{path}/quote", data={"csrf_token": token, "total": "8450", "valid_until": until,
                                                      "note": "7.5 kW motor, 6 weeks"}, allow_redirects=False)
    page = await (await client.get(priced.headers["Location"])).text()
    assert f"Quote {placed['number']} priced; the customer is told." in page
    assert "<strong>€8,450.00</strong> valid until" in page and "<q>7.5 kW motor, 6 weeks</q>" in page
    assert "waiting for the customer" in page and "Price again" in page
    quote = web_store.current_quote(placed["number"])
    assert Decimal(quote["total"]) == Decimal("8450") and quote["valid_until"].startswith(until)
    assert [m["kind"] for m in outbox.mails_to(web_store.sessions, "ada@example.org")] == ["order_placed", "quote_priced"]


async def test_the_web_server_records_expired_quotes_and_tells_the_customer(web_store):
    import asyncio

    from bot.staff.order_pages import keep_quotes_current
    from bot.store.db import utcnow

    placed = place(web_store, "conveyor", CONVEYOR)
    web_store.price_quote(placed["number"], Decimal("8450"), utcnow() + timedelta(milliseconds=300), "", STAFF_NAME)
    sweep = asyncio.create_task(keep_quotes_current(web_store, every=0.02))
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while web_store.current_quote(placed["number"])["answer"] is None:
            assert asyncio.get_running_loop().time() < deadline, "the quote was never recorded as expired"
            await asyncio.sleep(0.02)
    finally:
        sweep.cancel()
    assert web_store.current_quote(placed["number"])["answer"] == "expired"
    kinds = [m["kind"] for m in outbox.mails_to(web_store.sessions, "ada@example.org")]
    assert kinds == ["order_placed", "quote_priced", "quote_expired"]
