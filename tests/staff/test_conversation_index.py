"""The conversations index: incremental refreshes of Rasa's events table, turns split across
batches, ids committed late, the time budget, a missing or replaced tracker database, and
the index, list, transcript and takeovers on PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from bot.core.refusals import NOT_UNDERSTOOD
from bot.staff.conversations import events, index, listing
from bot.staff.conversations import transcript as transcripts
from bot.store import conversations as stored
from bot.store import models
from bot.store.orders import OrderStore
from tests.support.staff import (
    FALLBACK_REPLY,
    T0,
    Tracker,
    conversation_order,
    summary,
)


def test_our_events_table_matches_rasas(tracker):
    ours = {c.name: type(c.type).__name__ for c in events.events_table.columns}
    rasa = {c.name: type(c.type).__name__ for c in tracker.table.columns}
    assert ours == rasa


def test_index_refresh_is_incremental(store, tracker):
    url = tracker.url
    tracker.simple("web:aaaaaaaa1", T0)
    tracker.user("web:aaaaaaaa1", "asdf qwer", "nlu_fallback", 0.3)
    tracker.action("web:aaaaaaaa1", "utter_default")
    tracker.bot("web:aaaaaaaa1", "Sorry, I didn't understand that.", metadata=FALLBACK_REPLY)
    tracker.simple("telegram:42", T0 + 100)
    tracker.simple("someone", T0 + 200)
    first = index.refresh_index(store, url)
    assert first.read == tracker.rows() == 21
    web = summary(store, "web:aaaaaaaa1")
    assert (web["channel"], web["user_turns"], web["not_understood"]) == ("web", 2, 1)
    assert summary(store, "telegram:42")["channel"] == "telegram"
    assert summary(store, "someone")["channel"] == "rest"

    # Nothing new: nothing read.
    assert index.refresh_index(store, url).read == 0

    # New events: only those are read, and the counts grow from where they were.
    tracker.user("web:aaaaaaaa1", "32 GB", "inform", 0.95)
    # Not understood, not a fallback:
    tracker.bot("web:aaaaaaaa1", "Sorry, I didn't get that. How much memory?", metadata=NOT_UNDERSTOOD)
    tracker.user("telegram:42", "Anna", metadata={"first_name": "Anna"})
    tracker.slot("web:aaaaaaaa1", "customer_name", "Ada Lovelace")
    second = index.refresh_index(store, url)
    assert second.read == 4 and second.conversations == 2
    web = summary(store, "web:aaaaaaaa1")
    assert (web["user_turns"], web["not_understood"], web["customer_name"]) == (3, 2, "Ada Lovelace")
    assert web["last_message_at"] == datetime.fromtimestamp(T0 + 207, timezone.utc).isoformat()  # the bot's reply
    assert summary(store, "telegram:42")["customer_name"] == "Anna"  # the chat app's first name
    with store.sessions.begin() as session:
        assert session.scalar(sa.select(models.ConversationIndexState.last_event_id)) == 25
        rows = session.scalars(sa.select(models.ConversationSummary.last_event_id)).all()
        assert max(rows) == 25


def test_a_turn_split_across_batches_is_counted_once(store, tracker, monkeypatch):
    monkeypatch.setattr(index, "BATCH_ROWS", 2)
    sender = "web:bbbbbbbb1"
    tracker.user(sender, "hmm", "inform", 0.9)
    tracker.action(sender, "order_form")
    tracker.bot(sender, "Sorry, I didn't get that.", metadata=NOT_UNDERSTOOD)  # batch 2: the turn began in batch 1
    tracker.bot(sender, "Sorry, I didn't catch that either.", metadata=NOT_UNDERSTOOD)  # the same turn: still one
    tracker.user(sender, "???", "nlu_fallback", 0.2)
    tracker.action(sender, "utter_default")  # batch 3: already counted as a fallback
    tracker.bot(sender, "Sorry, I didn't understand that.", metadata=FALLBACK_REPLY)
    result = index.refresh_index(store, tracker.url)
    assert result.read == 7
    found = summary(store, sender)
    assert (found["user_turns"], found["not_understood"]) == (2, 2)


def test_events_committed_late_with_lower_ids_are_still_counted(store, tracker, monkeypatch):
    # On PostgreSQL a turn's transaction can commit after a later one: its lower ids appear late.
    def turn(sender: str, first_id: int) -> None:
        tracker.add(sender, {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}}, id=first_id)
        tracker.add(sender, {"event": "bot", "text": "Hello!"}, id=first_id + 1)

    turn("web:early0001", 1)
    turn("web:later0001", 5)  # ids 3 and 4 are still in a transaction
    assert index.refresh_index(store, tracker.url).read == 4
    assert listing.summary_of(store, "web:late00001") is None
    turn("web:late00001", 3)
    assert index.refresh_index(store, tracker.url).read == 2
    assert summary(store, "web:late00001")["user_turns"] == 1
    assert index.refresh_index(store, tracker.url).read == 0  # read once

    # An id that never comes (a rolled back transaction) is given up after a while.
    turn("web:after0001", 9)
    index.refresh_index(store, tracker.url)
    assert set(index._state(store).gaps) == {7, 8}
    monkeypatch.setattr(index, "GAP_WAIT_S", 0)
    index.refresh_index(store, tracker.url)
    assert index._state(store).gaps == {}


def test_the_time_budget_stops_and_the_next_refresh_goes_on(store, tracker, monkeypatch):
    monkeypatch.setattr(index, "BATCH_ROWS", 6)
    for number in range(5):
        tracker.simple(f"web:cccccccc{number}", T0 + number * 100)
    first = index.refresh_index(store, tracker.url, time_budget_s=0)
    assert (first.read, first.caught_up) == (6, False)
    rest = index.refresh_index(store, tracker.url)
    assert rest.read == 24 and rest.caught_up
    assert all(summary(store, f"web:cccccccc{n}")["user_turns"] == 1 for n in range(5))


def test_no_tracker_database_or_table_is_an_empty_list(store, tmp_path):
    missing = f"sqlite:///{tmp_path / 'nowhere' / 'tracker.db'}"
    assert index.refresh_index(store, missing).read == 0
    assert not (tmp_path / "nowhere").exists()  # not created by looking
    empty = tmp_path / "empty.db"
    sa.create_engine(f"sqlite:///{empty}").connect().close()
    assert index.refresh_index(store, f"sqlite:///{empty}").read == 0
    assert transcripts.transcript(f"sqlite:///{empty}", "web:x") == []


def test_a_replaced_tracker_database_rebuilds_the_index(store, tmp_path):
    old = Tracker(tmp_path / "old.db")
    for number in range(3):
        old.simple(f"web:dddddddd{number}", T0 + number)
    index.refresh_index(store, old.url)
    new = Tracker(tmp_path / "new.db")
    new.simple("web:eeeeeeee1", T0)
    result = index.refresh_index(store, new.url)
    assert result.rebuilt
    rows, total = listing.list_conversations(store, listing.ListFilters())
    assert total == 1 and rows[0]["conversation_id"] == "web:eeeeeeee1"


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL schema (dropped afterwards): the URL of the orders and of the tracker, one database."""
    from tests.support.services import postgres_schema

    with postgres_schema("test_conv") as url:
        yield url


def test_the_index_list_and_takeovers_on_postgresql(postgres_url):
    from rasa.core.tracker_store import SQLTrackerStore

    store = OrderStore(postgres_url)
    store.migrate()
    engine = sa.create_engine(postgres_url, future=True)
    SQLTrackerStore.Base.metadata.create_all(engine)
    table = SQLTrackerStore.SQLEvent.__table__
    try:
        rows = []
        for number in range(30):
            sender = f"web:pg{number:04d}" if number % 2 else f"telegram:{number}"
            at = T0 + number * 3600
            rows += [
                {"sender_id": sender, "type_name": "user", "timestamp": at, "intent_name": "nlu_fallback",
                 "data": json.dumps({"event": "user", "text": "50%_off?", "parse_data": {"intent": {"name": "nlu_fallback"}}})},
                {"sender_id": sender, "type_name": "bot", "timestamp": at + 1,
                 "data": json.dumps({"event": "bot", "text": "Sorry, I didn't understand that.", "metadata": FALLBACK_REPLY})},
                {"sender_id": sender, "type_name": "slot", "timestamp": at + 2, "action_name": "customer_name",
                 "data": json.dumps({"event": "slot", "name": "customer_name", "value": f"Name_{number}%"})},
            ]
        rows = [{"intent_name": None, "action_name": None, **row} for row in rows]
        with engine.begin() as connection:
            connection.execute(table.insert(), rows)
        assert index.refresh_index(store, postgres_url).read == 90
        assert index.refresh_index(store, postgres_url).read == 0
        store.place_order(conversation_order("web:pg0003"))
        store.flag_conversation("telegram:4", "customer asked for a person")
        listed, total = listing.list_conversations(store, listing.ListFilters(per_page=10))
        assert total == 30 and len(listed) == 10 and listed[0]["conversation_id"] == "web:pg0029"
        assert listed[0]["not_understood"] == 1 and listed[0]["customer_name"] == "Name_29%"
        search = listing.ListFilters(search="name_1%")  # _ and % are literal in a search
        assert listing.list_conversations(store, search)[1] == 1
        assert listing.list_conversations(store, listing.ListFilters(has_order=True))[1] == 1
        assert listing.list_conversations(store, listing.ListFilters(flagged=True, channel="telegram"))[1] == 1
        entries = transcripts.transcript(postgres_url, "web:pg0003")
        assert entries[0]["misunderstood"] and entries[0]["took"] == [{"name": "Name", "value": "Name_3%"}]
        stored.start_takeover(store, "web:pg0003", "alice")
        with pytest.raises(stored.TakenOverError):
            stored.start_takeover(store, "web:pg0003", "bob")
        assert stored.end_takeover(store, "web:pg0003")["staff"] == "alice"
        assert stored.start_takeover(store, "web:pg0003", "bob")["staff"] == "bob"
    finally:
        engine.dispose()
        store.dispose()
        for cached in list(events._engines):
            if cached == postgres_url:
                events._engines.pop(cached).dispose()
