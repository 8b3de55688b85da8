"""The analytics writer: recording never waits for the database, what is queued is committed
together, a record the database refuses is logged and the others are kept."""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from bot.core.refusals import Refusal, RefusalReason
from bot.store import analytics
from bot.store.analytics import AnswerRejection, OrderDraft
from bot.store.db import utcnow
from bot.store.orders import OrderStore

REFUSAL = Refusal("memory", RefusalReason.RULE, "AM5 takes DDR5 memory only.", "am5_takes_ddr5")


@pytest.fixture
def store(tmp_path):
    assert analytics.flush(timeout=30)  # nothing of an earlier test is still queued
    store = OrderStore(f"sqlite:///{tmp_path / 'bespoke.db'}")
    store.migrate()
    yield store
    assert analytics.flush(timeout=30)
    store.dispose()


def drafts(store):
    with store.sessions.begin() as session:
        return session.scalars(select(OrderDraft).order_by(OrderDraft.id)).all()


def test_recording_does_not_wait_for_a_database_another_process_holds(store, tmp_path):
    holder = sqlite3.connect(tmp_path / "bespoke.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # as a long write of another process would
    try:
        analytics.record_question(store, "web:a", "draft-a", "custom_pc", "cpu", 0)
        analytics.record_rejections(store, "web:a", "draft-a", "custom_pc", "16GB DDR4", [REFUSAL])
        # Returned at once; nothing could be written yet.
        assert holder.execute("SELECT count(*) FROM order_drafts").fetchone() == (0,)
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert analytics.flush(timeout=30)
    assert [(d.draft_id, d.last_question) for d in drafts(store)] == [("draft-a", "cpu")]
    with store.sessions.begin() as session:
        assert session.scalars(select(AnswerRejection.answer)).all() == ["16GB DDR4"]


def test_what_is_queued_is_committed_in_one_transaction_in_order(store, monkeypatch):
    monkeypatch.setattr(analytics, "FLUSH_INTERVAL_S", 30.0)  # only the flush ends the batch
    commits = []
    event.listen(store.engine, "commit", lambda connection: commits.append(1))
    start = utcnow() - timedelta(minutes=10)
    for number in range(50):
        analytics.record_question(store, "web:b", "draft-b", "custom_pc", f"q{number}", number,
                                  at=start + timedelta(seconds=number))
    analytics.record_outcome(store, "draft-b", analytics.OUTCOME_CANCELLED, at=start + timedelta(minutes=1))
    assert analytics.flush(timeout=30)
    assert len(commits) == 1
    [draft] = drafts(store)
    assert (draft.last_question, draft.answered, draft.outcome) == ("q49", 49, analytics.OUTCOME_CANCELLED)
    assert (draft.started_at, draft.updated_at) == (start, start + timedelta(minutes=1))


def test_a_record_the_database_refuses_is_logged_and_the_others_are_written(store, caplog):
    with caplog.at_level(logging.ERROR, logger="bot.store.analytics"):
        analytics.record_question(store, "web:c", "draft-c", "custom_pc", "cpu", 0)
        analytics.record_question(store, "web:d", "draft-d", None, "cpu", 0)  # type: ignore[arg-type]  # NOT NULL
        analytics.record_question(store, "web:e", "draft-e", "custom_pc", "memory", 1)
        assert analytics.flush(timeout=30)
    assert [d.draft_id for d in drafts(store)] == ["draft-c", "draft-e"]
    [logged] = [record for record in caplog.records if record.name == "bot.store.analytics"]
    assert "draft-d" in logged.getMessage() and logged.exc_info
