"""Changing a placed order and answering a staff quote in the chat (actions/after_order.py),
through action_answer and action_start_order with real trackers and CollectingDispatcher."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from actions.after_order import AMENDMENT_KEY
from actions.order_form import ActionStartOrder
from actions.service_actions import ActionAnswer
from bot.core.amend import order_fields
from bot.core.life import OrderStatus
from bot.store.db import utcnow
from tests.support.orders import new_order
from tests.support.trackers import FULL_PC, make_tracker, run, slot_events

SENDER = "conversation-1"


def place(store, catalog, product_id="custom_pc", selections=FULL_PC):
    product = catalog.find_product(product_id)
    fields = order_fields(product, selections)
    return store.place_order(new_order(
        kind=fields.kind, product_id=product.id, product_name=product.name, options=fields.options,
        option_details=fields.option_details, derived_parts=fields.derived_parts, price_lines=fields.price_lines,
        total=fields.total, currency=fields.currency, lead_time_days=fields.lead_time_days, conversation_id=SENDER))


def outside_a_form(text, intent="inform", slots=None, events=()):
    tracker = make_tracker(text, intent=intent, slots=slots, sender=SENDER)
    tracker.active_loop = {}
    tracker.events = list(events) + tracker.events
    return tracker


def shown(messages):
    """The bot event the customer saw, as Rasa stores it (metadata from the message's extras)."""
    [message] = [m for m in messages if AMENDMENT_KEY in m]
    return {"event": "bot", "text": message["text"], "metadata": {AMENDMENT_KEY: message[AMENDMENT_KEY]}}


async def test_a_change_after_the_order_is_shown_then_made_on_yes(order_database, demo_catalog):
    placed = place(order_database, demo_catalog)
    # action_start_order hands it to action_answer instead of starting a new order
    events, _ = await run(ActionStartOrder(), outside_a_form("can I change the memory to 64 GB?"))
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["action_answer"]
    events, messages = await run(ActionAnswer(), outside_a_form("can I change the memory to 64 GB?"))
    text = messages[0]["text"]
    assert f"Here is the change to order {placed['number']}:" in text
    assert "Memory: 32 GB DDR5 -> 64 GB DDR5, +100 EUR" in text and "Total now: €1,722.00" in text
    assert "Difference: +100 EUR (was €1,622.00)." in text and text.endswith("Shall I change the order?")
    assert slot_events(events) == {"pending": f"amend:{placed['number']}"}
    assert order_database.get(placed["number"])["total"] == "1622.00"  # nothing changed before the yes

    events, messages = await run(ActionAnswer(), outside_a_form(
        "yes", intent="affirm", slots={"pending": f"amend:{placed['number']}"}, events=[shown(messages)]))
    assert messages[0]["text"].startswith(f"Done: order {placed['number']} is changed. New total: €1,722.00 (+100 EUR).")
    assert slot_events(events) == {"pending": None}
    order = order_database.get(placed["number"])
    assert order["options"]["memory"] == "ddr5_64gb" and order["total"] == "1722.00"
    assert [r["new_total"] for r in order_database.after_order(placed["number"])["revisions"]] == ["1722.00"]


async def test_no_keeps_the_order_and_a_forged_change_is_checked_again(order_database, demo_catalog):
    placed = place(order_database, demo_catalog)
    pending = {"pending": f"amend:{placed['number']}"}
    _, messages = await run(ActionAnswer(), outside_a_form("no", intent="deny", slots=pending))
    assert messages[0]["text"] == f"OK, order {placed['number']} stays as it was."
    forged = {"event": "bot", "text": "?", "metadata": {AMENDMENT_KEY: {
        "order": placed["number"], "options": {**FULL_PC, "memory": "ddr4_32gb"}}}}  # DDR4 on an AM5 CPU
    _, messages = await run(ActionAnswer(), outside_a_form("yes", intent="affirm", slots=pending, events=[forged]))
    assert "can't make that change" in messages[0]["text"]
    assert order_database.get(placed["number"])["options"] == placed["options"]


async def test_after_confirmation_the_change_is_a_request(order_database, demo_catalog):
    placed = place(order_database, demo_catalog)
    order_database.change_status(placed["number"], OrderStatus.CONFIRMED, "Grace")
    _, messages = await run(ActionAnswer(), outside_a_form("change the storage to 4 TB", intent="inform"))
    assert "already confirmed, so our team decides" in messages[0]["text"]
    _, messages = await run(ActionAnswer(), outside_a_form(
        "yes", intent="affirm", slots={"pending": f"amend:{placed['number']}"}, events=[shown(messages)]))
    assert "sent your change request" in messages[0]["text"]
    request = order_database.pending_request(placed["number"])
    assert request["options"]["storage"] == "ssd_4tb" and request["new_total"] == "1752.00"
    assert order_database.get(placed["number"])["options"]["storage"] == "ssd_2tb"


async def test_a_closed_order_gets_a_clear_no_and_a_new_order_is_not_a_change(order_database, demo_catalog):
    placed = place(order_database, demo_catalog)
    events, _ = await run(ActionStartOrder(), outside_a_form("I'd like another PC with 64 GB memory"))
    assert not [e for e in events if e.get("event") == "followup"]
    order_database.cancel(placed["number"], SENDER)
    _, messages = await run(ActionAnswer(), outside_a_form("can I change the memory to 64 GB?", intent="ask_price"))
    assert messages[0]["text"].startswith(f"Order {placed['number']} is cancelled, so it can no longer be changed.")


async def test_several_open_orders_ask_which_by_number(order_database, demo_catalog):
    first = place(order_database, demo_catalog)
    second = place(order_database, demo_catalog)
    _, messages = await run(ActionAnswer(), outside_a_form("can I change the memory to 64 GB?"))
    assert "several open orders" in messages[0]["text"] and second["number"] in messages[0]["text"]
    _, messages = await run(ActionAnswer(), outside_a_form(f"change {first['number']}: memory 64 GB", intent="cancel_order"))
    assert f"Here is the change to order {first['number']}:" in messages[0]["text"]


async def test_a_priced_quote_is_offered_and_accepted_in_the_chat(order_database, demo_catalog):
    conveyor = {"length": 30, "belt_width": 1200, "load": 150, "belt": "rubber", "environment": "standard",
                "power": "400v_three_phase"}
    placed = place(order_database, demo_catalog, "conveyor", conveyor)
    _, messages = await run(ActionAnswer(), outside_a_form("accept the quote", intent="ask_price"))
    assert "hasn't priced" in messages[0]["text"]
    order_database.price_quote(placed["number"], Decimal("8450.00"), utcnow() + timedelta(days=14), "7.5 kW motor", "Grace")
    events, messages = await run(ActionAnswer(), outside_a_form("where is my order?", intent="order_status"))
    assert "Shall I order it at that price?" in messages[-1]["text"] and "€8,450.00" in messages[-1]["text"]
    assert slot_events(events) == {"pending": f"quote:{placed['number']}"}
    _, messages = await run(ActionAnswer(), outside_a_form(
        "yes", intent="affirm", slots={"pending": f"quote:{placed['number']}"}))
    assert f"Quote {placed['number']} is now an order at €8,450.00" in messages[0]["text"]
    order = order_database.get(placed["number"])
    assert (order["kind"], order["total"], order["status"]) == ("order", "8450.00", "received")


async def test_an_expired_quote_is_said_to_have_expired(order_database, demo_catalog):
    conveyor = {"length": 30, "belt_width": 1200, "load": 150, "belt": "rubber", "environment": "standard",
                "power": "400v_three_phase"}
    placed = place(order_database, demo_catalog, "conveyor", conveyor)
    order_database.price_quote(placed["number"], Decimal("8450.00"), utcnow() + timedelta(milliseconds=50), "", "Grace")
    while utcnow() < datetime.fromisoformat(order_database.current_quote(placed["number"])["valid_until"]):
        pass  # a busy wait of 50 ms, no fixed sleep: the quote's own expiry
    _, messages = await run(ActionAnswer(), outside_a_form("I accept the quote", intent="ask_price"))
    assert messages[0]["text"].startswith(f"Sorry, the quote for {placed['number']} has expired.")
    assert order_database.current_quote(placed["number"])["answer"] == "expired"

    _, messages = await run(ActionAnswer(), outside_a_form("where is my order?", intent="order_status"))
    assert f"The price for quote {placed['number']} was valid until" in messages[-1]["text"]
    assert "has expired" in messages[-1]["text"]


async def test_staff_are_told_of_a_change_and_of_a_request(order_database, demo_catalog, monkeypatch):
    from actions import after_order

    told = []
    monkeypatch.setattr(after_order, "announce", lambda text, number="": told.append(text))
    placed = place(order_database, demo_catalog)
    _, messages = await run(ActionAnswer(), outside_a_form("change the memory to 64 GB"))
    pending = {"pending": f"amend:{placed['number']}"}
    await run(ActionAnswer(), outside_a_form("yes", intent="affirm", slots=pending, events=[shown(messages)]))
    order_database.change_status(placed["number"], OrderStatus.CONFIRMED, "Grace")
    _, messages = await run(ActionAnswer(), outside_a_form("make it the 4 TB SSD"))
    await run(ActionAnswer(), outside_a_form("yes", intent="affirm", slots=pending, events=[shown(messages)]))
    assert told == [
        f"Order {placed['number']} changed by the customer: Memory: 32 GB DDR5 -> 64 GB DDR5, +100 EUR",
        f"Change request for order {placed['number']} (to accept or refuse on its page): "
        "Storage: 2 TB NVMe SSD -> 4 TB NVMe SSD, +130 EUR",
    ]


async def test_a_quote_declined_in_the_chat_is_recorded(order_database, demo_catalog):
    conveyor = {"length": 30, "belt_width": 1200, "load": 150, "belt": "rubber", "environment": "standard",
                "power": "400v_three_phase"}
    placed = place(order_database, demo_catalog, "conveyor", conveyor)
    order_database.price_quote(placed["number"], Decimal("8450.00"), utcnow() + timedelta(days=14), "", "Grace")
    _, messages = await run(ActionAnswer(), outside_a_form("decline the quote", intent="ask_price"))
    assert messages[0]["text"] == f"OK, I've declined the quote for {placed['number']}. Thank you for asking us."
    assert order_database.current_quote(placed["number"])["answer"] == "declined"
    assert order_database.get(placed["number"])["kind"] == "quote_request"
