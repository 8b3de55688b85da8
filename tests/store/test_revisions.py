"""Revisions, change requests and staff quotes (bot/store/revisions.py) on SQLite and
PostgreSQL, with orders of the demo catalog's PC and conveyor worked out by the core."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.core.amend import order_fields, propose, revise
from bot.core.life import OrderStatus
from bot.store import outbox, revisions
from bot.store.db import utcnow
from bot.store.revisions import (
    NotAmendableError,
    NotYourOrderError,
    OrderClosedError,
    QuoteExpiredError,
    RevisionError,
    QuoteState,
    quote_state,
)
from tests.support.orders import new_order
from tests.support.trackers import FULL_PC

CONVEYOR = {"length": 30, "belt_width": 1200, "load": 150, "belt": "rubber", "environment": "standard",
            "power": "400v_three_phase"}  # a 9 kW motor, beyond the range: a quote request


@pytest.fixture
def pc(demo_catalog):
    return demo_catalog.find_product("custom_pc")


def place(order_store, product, selections, **changes):
    fields = order_fields(product, selections)
    return order_store.place_order(new_order(
        kind=fields.kind, product_id=product.id, product_name=product.name, options=fields.options,
        option_details=fields.option_details, derived_parts=fields.derived_parts, price_lines=fields.price_lines,
        total=fields.total, currency=fields.currency, lead_time_days=fields.lead_time_days, **changes))


def mail_kinds(order_store, address="ada@example.org"):
    return [mail["kind"] for mail in outbox.mails_to(order_store.sessions, address)]


def test_an_amendment_while_received_is_a_revision_with_both_totals(order_store, pc):
    placed = place(order_store, pc, FULL_PC)
    proposal = propose(pc, placed, "can I change the memory to 64 GB?")
    revised, problems = revise(pc, proposal.after)
    assert problems == []
    result = order_store.amend(placed["number"], "conversation-1", revised, proposal.changes)
    order = order_store.get(placed["number"])
    assert order["options"]["memory"] == "ddr5_64gb"
    assert Decimal(order["total"]) == Decimal(placed["total"]) + 100
    assert result["revision"]["number"] == 1 and result["revision"]["kind"] == "amendment"
    assert result["revision"]["old_total"] == placed["total"] and result["revision"]["new_total"] == order["total"]
    assert [line["id"] for line in result["revision"]["changes"]] == ["memory"]
    assert mail_kinds(order_store) == ["order_placed", "order_revised"]
    second = propose(pc, order, "make it the 4 TB SSD")
    again = order_store.amend(placed["number"], "conversation-1", revise(pc, second.after)[0], second.changes)
    assert again["revision"]["number"] == 2
    assert [r["number"] for r in order_store.after_order(placed["number"])["revisions"]] == [1, 2]


def test_an_amendment_is_refused_for_another_conversation_or_a_confirmed_order(order_store, pc):
    placed = place(order_store, pc, FULL_PC)
    proposal = propose(pc, placed, "change the memory to 64 GB")
    revised = revise(pc, proposal.after)[0]
    with pytest.raises(NotYourOrderError):
        order_store.amend(placed["number"], "someone-else", revised, proposal.changes)
    order_store.change_status(placed["number"], OrderStatus.CONFIRMED, "Grace")
    with pytest.raises(NotAmendableError):
        order_store.amend(placed["number"], "conversation-1", revised, proposal.changes)
    assert order_store.get(placed["number"])["options"]["memory"] == "ddr5_32gb"
    assert order_store.after_order(placed["number"])["revisions"] == []


def test_a_change_request_accepted_by_staff_is_repriced_then(order_store, pc):
    placed = place(order_store, pc, FULL_PC)
    order_store.change_status(placed["number"], OrderStatus.CONFIRMED, "Grace")
    first = propose(pc, placed, "change the memory to 64 GB")
    order_store.request_change(placed["number"], "conversation-1", first.after, first.changes, first.new_total)
    proposal = propose(pc, placed, "make it the 4 TB SSD")
    request = order_store.request_change(placed["number"], "conversation-1", proposal.after, proposal.changes,
                                         proposal.new_total)
    assert order_store.pending_request(placed["number"])["id"] == request["id"]  # the newer one replaced the first
    assert [r["status"] for r in order_store.after_order(placed["number"])["requests"]] == ["pending", "replaced"]
    revised = revise(pc, request["options"])[0]
    accepted = order_store.accept_change(placed["number"], request["id"], revised, "Grace")
    assert accepted["request"]["status"] == "accepted" and accepted["request"]["revision_number"] == 1
    assert accepted["order"]["options"]["storage"] == "ssd_4tb"
    assert accepted["order"]["status"] == "confirmed"
    with pytest.raises(RevisionError):
        order_store.accept_change(placed["number"], request["id"], revised, "Grace")  # decided once
    assert mail_kinds(order_store)[-1] == "change_accepted"


def test_a_refused_change_says_why_and_changes_nothing(order_store, pc):
    placed = place(order_store, pc, FULL_PC)
    order_store.change_status(placed["number"], OrderStatus.CONFIRMED, "Grace")
    proposal = propose(pc, placed, "change the memory to 64 GB")
    request = order_store.request_change(placed["number"], "conversation-1", proposal.after, proposal.changes,
                                         proposal.new_total)
    with pytest.raises(RevisionError):
        order_store.refuse_change(placed["number"], request["id"], "Grace", "  ")
    refused = order_store.refuse_change(placed["number"], request["id"], "Grace", "the parts are already built")
    assert refused["status"] == "refused" and refused["reason"] == "the parts are already built"
    assert order_store.get(placed["number"])["options"] == placed["options"]
    assert mail_kinds(order_store)[-1] == "change_refused"


def test_a_delivered_or_cancelled_order_takes_no_change(order_store, pc):
    placed = place(order_store, pc, FULL_PC)
    order_store.cancel(placed["number"], "conversation-1")
    proposal = propose(pc, placed, "change the memory to 64 GB")
    with pytest.raises(OrderClosedError):
        order_store.request_change(placed["number"], "conversation-1", proposal.after, proposal.changes, proposal.new_total)
    with pytest.raises(OrderClosedError):
        order_store.amend(placed["number"], "conversation-1", revise(pc, proposal.after)[0], proposal.changes)


def test_a_quote_priced_and_accepted_becomes_an_order_at_that_price(order_store, demo_catalog):
    conveyor = demo_catalog.find_product("conveyor")
    placed = place(order_store, conveyor, CONVEYOR)
    assert placed["kind"] == "quote_request" and placed["total"] is None
    assert quote_state(order_store.current_quote(placed["number"])) is QuoteState.WAITING
    with pytest.raises(RevisionError):
        order_store.answer_quote(placed["number"], "conversation-1", True)  # nothing to answer yet
    until = utcnow() + timedelta(days=14)
    order_store.price_quote(placed["number"], Decimal("8450.00"), until, "motor 7.5 kW, 6 weeks", "Grace")
    assert quote_state(order_store.current_quote(placed["number"])) is QuoteState.OFFERED
    result = order_store.answer_quote(placed["number"], "conversation-1", True)
    assert result["order"]["kind"] == "order" and result["order"]["total"] == "8450.00"
    assert result["order"]["status"] == "received" and result["quote"]["answer"] == "accepted"
    [revision] = order_store.after_order(placed["number"])["revisions"]
    assert revision["kind"] == "quote_accepted" and revision["old_total"] is None and revision["new_total"] == "8450.00"
    assert mail_kinds(order_store) == ["order_placed", "quote_priced"]
    with pytest.raises(RevisionError):
        order_store.price_quote(placed["number"], Decimal("1"), until, "", "Grace")  # an order now


def test_an_expired_quote_is_told_and_can_be_repriced(order_store, demo_catalog):
    conveyor = demo_catalog.find_product("conveyor")
    placed = place(order_store, conveyor, CONVEYOR)
    with pytest.raises(RevisionError):
        order_store.price_quote(placed["number"], Decimal("8450.00"), utcnow() - timedelta(days=1), "", "Grace")
    order_store.price_quote(placed["number"], Decimal("8450.00"), utcnow() + timedelta(seconds=1), "", "Grace")
    later = utcnow() + timedelta(seconds=2)
    with pytest.raises(QuoteExpiredError):
        revisions.answer_quote(order_store.sessions, placed["number"], "conversation-1", True, now=later)
    assert order_store.current_quote(placed["number"])["answer"] == "expired"
    assert order_store.get(placed["number"])["kind"] == "quote_request"
    assert mail_kinds(order_store) == ["order_placed", "quote_priced", "quote_expired"]
    order_store.price_quote(placed["number"], Decimal("8900.00"), utcnow() + timedelta(days=7), "new steel price", "Grace")
    declined = order_store.answer_quote(placed["number"], "conversation-1", False)
    assert declined["quote"]["answer"] == "declined" and declined["order"]["kind"] == "quote_request"


def test_expire_quotes_tells_each_customer_once(order_store, demo_catalog):
    conveyor = demo_catalog.find_product("conveyor")
    placed = place(order_store, conveyor, CONVEYOR)
    order_store.price_quote(placed["number"], Decimal("8450.00"), utcnow() + timedelta(seconds=1), "", "Grace")
    later = utcnow() + timedelta(seconds=2)
    assert revisions.expire_quotes(order_store.sessions, later) == [placed["number"]]
    assert revisions.expire_quotes(order_store.sessions, later) == []
    assert mail_kinds(order_store).count("quote_expired") == 1
