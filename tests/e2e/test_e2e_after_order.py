"""After the order, end to end over REST against the real servers (issue 14 items 1-2): an
amendment while received, a change request after confirmation accepted on the staff page
and heard by the customer, a quote priced on the staff page and accepted in the chat
becoming an order at that price, and an expired quote. Staff act through the real staff
console (aiohttp's test client on the bot's own database)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.core.news import notice_text
from bot.local import BotServers
from bot.store import notices, revisions
from bot.store.db import utcnow
from tests.support.replies import texts
from bot.staff.accounts import StaffAccounts
from tests.support.staff import STAFF_NAME, add_staff, page_csrf, sign_in, staff_client, staff_environment

CONTACT = ["Anna Schmidt", "anna.schmidt@example.com", "Hauptstrasse 12, 10115 Berlin"]
PC = ["I need a gaming PC", "the 7800X3D", "32 GB DDR5", "2TB SSD", "RTX 4070 Super", "mid tower", "win 11"]
CONVEYOR = ["we need a conveyor", "30 m", "1200 mm", "100 kg/m", "rubber", "standard", "400 V three-phase"]


def new_sender(name: str) -> str:
    return f"test-after-{name}-{uuid.uuid4().hex[:8]}"


def place(bot: BotServers, sender: str, messages) -> dict:
    bot.converse(sender, [*messages, "yes", *CONTACT])
    [order] = bot.orders_of(sender)
    return order


async def talk(bot: BotServers, sender: str, messages) -> list:
    """bot.converse from an async test (it runs its own event loop)."""
    return await asyncio.to_thread(bot.converse, sender, messages)


async def placed(bot: BotServers, sender: str, messages) -> dict:
    return await asyncio.to_thread(place, bot, sender, messages)


@pytest.fixture
def store(bot, monkeypatch):
    """The bot's own order store, and the staff console's settings pointed at it."""
    store = staff_environment(monkeypatch, bot.data_dir)
    yield store
    store.dispose()


async def signed_in(client, store):
    if StaffAccounts(store).session_epoch(STAFF_NAME) is None:  # one account for the tests sharing this bot
        add_staff(store)
    await sign_in(client, STAFF_NAME)


def test_an_amendment_while_received_is_a_new_revision_on_the_staff_page(bot, store):
    sender = new_sender("amend")
    order = place(bot, sender, PC)
    assert order["total"] == "1622.00"
    [shown] = bot.converse(sender, ["can I change the memory to 64 GB?"])
    text = texts(shown)
    assert f"Here is the change to order {order['number']}:" in text
    assert "Memory: 32 GB DDR5 -> 64 GB DDR5, +100 EUR" in text and "Difference: +100 EUR (was €1,622.00)." in text
    [done] = bot.converse(sender, ["yes"])
    assert f"Done: order {order['number']} is changed. New total: €1,722.00 (+100 EUR)." in texts(done)
    [after] = bot.orders_of(sender)
    assert after["options"]["memory"] == "ddr5_64gb" and after["total"] == "1722.00" and after["status"] == "received"
    [revision] = store.after_order(order["number"])["revisions"]
    assert (revision["old_total"], revision["new_total"], revision["created_by"]) == ("1622.00", "1722.00", "customer")
    assert [n["kind"] for n in notices.notices_for(store.sessions, sender)] == ["order_revised"]
    # and nothing else happened to the conversation: it can go on
    [status] = bot.converse(sender, ["where is my order?"])
    assert "€1,722.00" in texts(status)


async def test_the_staff_page_shows_the_revision(bot, store):
    sender = new_sender("amend-page")
    order = await placed(bot, sender, PC)
    await talk(bot, sender, ["change the storage to 4 TB", "yes"])
    client = await staff_client()
    try:
        await signed_in(client, store)
        page = await (await client.get(f"/staff/orders/{order['number']}")).text()
    finally:
        await client.close()
    assert "<strong>Revision 1</strong>, changed in the chat" in page
    assert "<li>Storage: 2 TB NVMe SSD -&gt; 4 TB NVMe SSD, +130 EUR</li>" in page and "€1,752.00" in page


async def test_a_change_request_after_confirmation_accepted_by_staff_is_heard_by_the_customer(bot, store):
    sender = new_sender("request")
    order = await placed(bot, sender, PC)
    path = f"/staff/orders/{order['number']}"
    client = await staff_client()
    try:
        await signed_in(client, store)
        token = await page_csrf(client, path)
        await client.post(f"{path}/status", data={"csrf_token": token, "status": "confirmed"}, allow_redirects=False)
        [asked] = await talk(bot, sender, ["can I change the memory to 64 GB?"])
        assert "already confirmed, so our team decides on changes" in texts(asked)
        [sent] = await talk(bot, sender, ["yes"])
        assert f"I've sent your change request for order {order['number']} to our team" in texts(sent)
        assert bot.orders_of(sender)[0]["total"] == "1622.00"  # nothing changed before staff accept
        request = store.pending_request(order["number"])
        page = await (await client.get(path)).text()
        assert "Change requested by the customer" in page
        accepted = await client.post(f"{path}/changes/{request['id']}", data={"csrf_token": token, "decision": "accept"},
                                     allow_redirects=False)
        assert "Change accepted" in await (await client.get(accepted.headers["Location"])).text()
    finally:
        await client.close()
    [after] = bot.orders_of(sender)
    assert after["options"]["memory"] == "ddr5_64gb" and after["total"] == "1722.00" and after["status"] == "confirmed"
    heard = [n for n in notices.notices_for(store.sessions, sender) if n["kind"] == "change_accepted"]
    assert len(heard) == 1
    said = notice_text(heard[0]["kind"], order["number"], heard[0]["data"])
    assert f"The shop accepted your change to order **{order['number']}**" in said
    assert "Memory: 32 GB DDR5 -> 64 GB DDR5, +100 EUR" in said and "€1,722.00" in said


async def test_a_quote_priced_by_staff_and_accepted_in_the_chat_becomes_an_order(bot, store):
    sender = new_sender("quote")
    order = await placed(bot, sender, CONVEYOR)
    assert order["kind"] == "quote_request" and order["total"] is None
    path = f"/staff/orders/{order['number']}"
    client = await staff_client()
    try:
        await signed_in(client, store)
        token = await page_csrf(client, path)
        until = (date.today() + timedelta(days=14)).isoformat()
        await client.post(f"{path}/quote", data={"csrf_token": token, "total": "12900", "valid_until": until,
                                                 "note": "9 kW motor"}, allow_redirects=False)
    finally:
        await client.close()
    assert [n["kind"] for n in notices.notices_for(store.sessions, sender)] == ["quote_priced"]
    [offer] = await talk(bot, sender, ["what's the status of my order?"])
    assert f"Quote {order['number']}: €12,900.00 (9 kW motor), valid until {until}." in texts(offer)
    [accepted] = await talk(bot, sender, ["yes"])
    assert f"Quote {order['number']} is now an order at €12,900.00" in texts(accepted)
    [after] = bot.orders_of(sender)
    assert (after["kind"], after["total"], after["status"]) == ("order", "12900.00", "received")
    [revision] = store.after_order(order["number"])["revisions"]
    assert revision["kind"] == "quote_accepted" and revision["new_total"] == "12900.00"


def test_an_expired_quote_is_told_to_the_customer(bot, store):
    sender = new_sender("expired")
    order = place(bot, sender, CONVEYOR)
    moment = utcnow()
    store.price_quote(order["number"], Decimal("12900"), moment + timedelta(milliseconds=200), "", "staff")
    # The quote is past its date: expire_quotes (as a sweep would) records it and tells the customer.
    assert revisions.expire_quotes(store.sessions, moment + timedelta(seconds=1)) == [order["number"]]
    [answer] = bot.converse(sender, ["I accept the quote"])
    assert "the quote for" in texts(answer) and "expired" in texts(answer)
    assert bot.orders_of(sender)[0]["kind"] == "quote_request"
    assert [n["kind"] for n in notices.notices_for(store.sessions, sender)] == ["quote_priced", "quote_expired"]
