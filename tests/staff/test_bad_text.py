"""Text no database can store (a lone surrogate, what JSON's "\\ud800" gives; NUL; control
characters) in Rasa's events, as a customer's message, name, chat-app first name or a bot
reply: the conversations index keeps going, and the dashboard, the conversation list, the
queue and the transcript stay 200, on SQLite and PostgreSQL; an order with such a name
is stored and shown."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from bot.staff.conversations import events, index, listing
from bot.staff.conversations import transcript as transcripts
from bot.store.orders import OrderStore
from tests.support.services import postgres_schema
from tests.support.staff import T0, Tracker, add_staff, conversation_order, sign_in, staff_client, staff_environment

SENDER = "web:badtext0001"
BAD = ["\ud800", "Anna \udfff", "\x00", "\x1b[31mred", "\ud83d"]


class UrlTracker(Tracker):
    """Rasa's events table in the database at `url` (PostgreSQL here)."""

    def __init__(self, url: str):  # noqa: D107 - Tracker's, on a URL
        from rasa.core.tracker_store import SQLTrackerStore

        self.url = url
        self.engine = sa.create_engine(url, future=True)
        SQLTrackerStore.Base.metadata.create_all(self.engine)
        self.table = SQLTrackerStore.SQLEvent.__table__
        self.clock = T0


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, monkeypatch, tmp_path):
    """(order store, Rasa's events table) on SQLite files or one PostgreSQL schema."""
    if request.param == "sqlite":
        store = staff_environment(monkeypatch, tmp_path)
        tracker: Tracker = Tracker(tmp_path / "tracker.db")
        yield store, tracker
    else:
        with postgres_schema("test_badtext") as url:
            monkeypatch.setenv("BESPOKE_DATA_DIR", str(tmp_path))
            monkeypatch.setenv("DATABASE_URL", url)
            monkeypatch.setenv("TRACKER_DATABASE_URL", url)
            monkeypatch.delenv("BESPOKE_SECRET_KEY", raising=False)
            store = OrderStore(url)
            store.migrate()
            tracker = UrlTracker(url)
            try:
                yield store, tracker
            finally:
                tracker.engine.dispose()
                store.dispose()
                if url in events._engines:
                    events._engines.pop(url).dispose()
        return
    tracker.engine.dispose()
    store.dispose()


def bad_conversation(tracker: Tracker, sender: str, text: str) -> None:
    tracker.add(sender, {"event": "action", "name": "action_session_start"})
    tracker.add(sender, {"event": "session_started"})
    tracker.user(sender, f"hi {text}", "greet", 0.9, metadata={"first_name": f"Ann{text}"})
    tracker.bot(sender, f"You said {text}", buttons=[{"title": f"Use {text}", "payload": text}])
    tracker.user(sender, text, "inform", 0.5)
    tracker.slot(sender, "customer_name", f"Anna {text} Schmidt")
    tracker.slot(sender, "failures", {f"x{text}": 1})
    tracker.bot(sender, f"Thanks, Anna {text} Schmidt.")


def test_the_index_and_the_transcript_keep_going_past_text_no_database_stores(databases):
    store, tracker = databases
    for number, text in enumerate(BAD):
        bad_conversation(tracker, f"{SENDER}{number}", text)
    tracker.simple("web:goodtext0001", T0 + 10_000, "hello there")
    result = index.refresh_index(store, tracker.url)
    assert result.read == tracker.rows() and result.caught_up
    rows, total = listing.list_conversations(store, listing.ListFilters())
    assert total == len(BAD) + 1
    names = {row["conversation_id"]: row["customer_name"] for row in rows}
    assert names[f"{SENDER}0"] == "Anna \ufffd Schmidt"
    assert names[f"{SENDER}3"] == "Anna [31mred Schmidt"
    for name in names.values():
        (name or "").encode("utf-8")
    entries = transcripts.transcript(tracker.url, f"{SENDER}0")
    assert "\ud800" not in repr(entries) and "\ufffd" in repr(entries)


async def test_the_staff_pages_stay_200_after_such_messages_and_the_order_is_stored(databases):
    store, tracker = databases
    for number, text in enumerate(BAD):
        bad_conversation(tracker, f"{SENDER}{number}", text)
        store.place_order(conversation_order(f"{SENDER}{number}", name=f"Anna {text} Schmidt"))
        store.flag_conversation(f"{SENDER}{number}", f"customer asked for a person {text}")
    add_staff(store)
    client = await staff_client()
    try:
        await sign_in(client)
        for path in ["/staff/", "/staff/conversations", "/staff/queue", "/staff/orders",
                     *(f"/staff/conversations/{SENDER}{number}" for number in range(len(BAD)))]:
            for _again in range(2):  # and again: nothing stays broken
                response = await client.get(path)
                assert response.status == 200, (path, await response.text())
        listed = await (await client.get("/staff/orders")).text()
        assert listed.count("Anna") >= len(BAD) and "Anna \ufffd Schmidt" in listed
        orders = store.all_orders()
        assert len(orders) == len(BAD)
        number = orders[0]["number"]
        assert (await client.get(f"/staff/orders/{number}")).status == 200
    finally:
        await client.close()


def test_a_batch_that_cannot_be_saved_is_skipped_and_logged_not_retried_forever(databases, monkeypatch, caplog):
    store, tracker = databases
    tracker.simple("web:stuck00001", T0)
    real = index._save_batch
    calls = []

    def failing_once_per_batch(store_, state, watermark, gaps, changes, *args, **kwargs):
        calls.append(watermark)
        if len(calls) == 1:
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return real(store_, state, watermark, gaps, changes, *args, **kwargs)

    monkeypatch.setattr(index, "_save_batch", failing_once_per_batch)
    with caplog.at_level(logging.ERROR, logger="bespoke.staff.conversations"):
        result = index.refresh_index(store, tracker.url)
    assert result.read == tracker.rows()
    assert "could not save" in caplog.text
    tracker.simple("web:after00001", T0 + 100)
    index.refresh_index(store, tracker.url)
    assert listing.summary_of(store, "web:after00001") is not None
