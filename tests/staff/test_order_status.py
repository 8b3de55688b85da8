"""Order statuses and notes for staff, in the store (on SQLite and PostgreSQL): every legal
step recorded, illegal jumps refused, two staff at once, notes; and what the bot tells a
customer after a staff change."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select
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
from tests.support.orders import new_order
from tests.support.trackers import action_resources
from tests.support.staff import (
    pc_order,
    walk,
)


def history_count(store: OrderStore) -> int:
    with store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(OrderStatusChange))


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
    with action_resources() as shared:
        yield shared.store()


def test_the_customer_hears_the_status_staff_set(bot_store, monkeypatch):
    sender = f"web:{uuid.uuid4().hex}"
    # Placed on a Friday at 23:30 UTC: 10 business days later is Friday 11 Dec 2026.
    monkeypatch.setattr("bot.store.orders.utcnow", lambda: datetime(2026, 11, 27, 23, 30, tzinfo=timezone.utc))
    placed = bot_store.place_order(pc_order(conversation_id=sender))
    number = placed["number"]
    ready = "Fri 11 Dec 2026"
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
