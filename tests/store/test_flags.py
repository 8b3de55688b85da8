"""Conversations flagged for staff, against SQLite (a temporary file) and PostgreSQL (a
schema per test; skipped when that server cannot be reached, failing under CI=true)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
import json
from datetime import timedelta, timezone

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.store import flags
from bot.store.db import OrderStoreError, utcnow
from bot.store.flags import FLAG_REASON_MAX_LENGTH, FlagNotFoundError
from bot.store.models import ConversationFlag
from bot.store.orders import OrderStore
from tests.support.orders import miss_once

ASKED = "customer asked for a person"
STUCK = "stuck at 'neck' after 3 tries"


def count_flags(order_store: OrderStore) -> int:
    with order_store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(ConversationFlag))


def test_flag_is_json_ready(order_store):
    flag = order_store.flag_conversation("conversation-1", ASKED)
    assert isinstance(flag["id"], int)
    assert flag == {
        "id": flag["id"], "conversation_id": "conversation-1", "reason": ASKED,
        "raised_at": flag["raised_at"], "resolved_at": None, "resolved_by": None,
        "kind": "other", "resolution": None, "resolved_order": None,
    }
    assert flag["raised_at"].endswith("+00:00")
    assert json.loads(json.dumps(flag)) == flag
    resolved = order_store.resolve_flag(flag["id"], "Grace")
    assert resolved["resolved_by"] == "Grace" and resolved["resolution"] == "staff"
    assert resolved["resolved_at"].endswith("+00:00") and resolved["resolved_at"] >= resolved["raised_at"]
    assert json.loads(json.dumps(resolved)) == resolved
    with order_store.sessions() as session:
        stored = session.get(ConversationFlag, flag["id"])
        assert stored.raised_at.tzinfo == timezone.utc and stored.resolved_at.tzinfo == timezone.utc


def test_flagging_twice_with_the_same_reason_is_one_open_flag(order_store):
    first = order_store.flag_conversation("conversation-1", ASKED)
    assert order_store.flag_conversation("conversation-1", ASKED) == first
    assert order_store.flag_conversation("conversation-1", f"  {ASKED}\n") == first  # surrounding blanks ignored
    assert order_store.open_flags() == [first]
    assert count_flags(order_store) == 1


def test_a_different_reason_is_a_second_flag(order_store):
    asked = order_store.flag_conversation("conversation-1", ASKED)
    stuck = order_store.flag_conversation("conversation-1", STUCK)
    elsewhere = order_store.flag_conversation("conversation-2", ASKED)  # same reason, other conversation
    assert len({asked["id"], stuck["id"], elsewhere["id"]}) == 3
    assert order_store.open_flags() == [asked, stuck, elsewhere]


def test_resolve_then_flag_again_is_a_new_flag(order_store):
    first = order_store.flag_conversation("conversation-1", ASKED)
    resolved = order_store.resolve_flag(first["id"], "Grace")
    again = order_store.flag_conversation("conversation-1", ASKED)
    assert again["id"] != first["id"]
    assert again["resolved_at"] is None and again["resolved_by"] is None
    assert order_store.flag_conversation("conversation-1", ASKED) == again
    assert order_store.flags_for("conversation-1") == [resolved, again]
    assert order_store.open_flags() == [again]


def test_open_flags_exclude_resolved_ones_oldest_first(order_store):
    a = order_store.flag_conversation("a", ASKED)
    b = order_store.flag_conversation("b", ASKED)
    c = order_store.flag_conversation("c", STUCK)
    d = order_store.flag_conversation("d", STUCK)
    # c was raised first of all: the order is by time raised, not by id.
    with order_store.sessions.begin() as session:
        session.execute(
            update(ConversationFlag)
            .where(ConversationFlag.id == c["id"])
            .values(raised_at=utcnow() - timedelta(hours=1))
        )
    order_store.resolve_flag(b["id"], "Grace")
    assert [f["id"] for f in order_store.open_flags()] == [c["id"], a["id"], d["id"]]
    assert all(f["resolved_at"] is None for f in order_store.open_flags())
    for flag in (a, c, d):
        order_store.resolve_flag(flag["id"], "Grace")
    assert order_store.open_flags() == []


def test_flags_for_filters_by_conversation(order_store):
    asked = order_store.flag_conversation("conversation-1", ASKED)
    order_store.flag_conversation("conversation-2", ASKED)
    stuck = order_store.flag_conversation("conversation-1", STUCK)
    asked = order_store.resolve_flag(asked["id"], "Grace")
    assert order_store.flags_for("conversation-1") == [asked, stuck]  # resolved ones too
    assert [f["conversation_id"] for f in order_store.flags_for("conversation-2")] == ["conversation-2"]
    assert order_store.flags_for("nobody") == []


def test_resolve_unknown_flag_raises(order_store):
    with pytest.raises(FlagNotFoundError, match="no conversation flag 4242") as raised:
        order_store.resolve_flag(4242, "Grace")
    assert isinstance(raised.value, OrderStoreError) and isinstance(raised.value, LookupError)
    assert raised.value.flag_id == 4242


def test_resolve_twice_keeps_the_first_resolution(order_store):
    flag = order_store.flag_conversation("conversation-1", ASKED)
    first = order_store.resolve_flag(flag["id"], "Grace")
    assert order_store.resolve_flag(flag["id"], "Alan") == first
    assert order_store.flags_for("conversation-1") == [first]


def test_invalid_flags_are_refused(order_store):
    flag = order_store.flag_conversation("conversation-1", ASKED)
    with pytest.raises(ValueError, match="reason"):
        order_store.flag_conversation("conversation-1", "  ")
    with pytest.raises(ValueError, match="reason"):
        order_store.flag_conversation("conversation-1", "x" * (FLAG_REASON_MAX_LENGTH + 1))
    with pytest.raises(ValueError, match="conversation_id"):
        order_store.flag_conversation("", ASKED)
    with pytest.raises(ValueError, match="resolved_by"):
        order_store.resolve_flag(flag["id"], "")
    assert count_flags(order_store) == 1
    assert order_store.open_flags() == [flag]


def test_the_database_allows_one_open_flag_per_reason(order_store):
    """The partial unique index, not only the look-up before the insert, keeps flags single."""
    now = utcnow()
    with order_store.sessions.begin() as session:
        session.add_all([
            ConversationFlag(conversation_id="c", reason=ASKED, raised_at=now, resolved_at=now, resolved_by="Grace"),
            ConversationFlag(conversation_id="c", reason=ASKED, raised_at=now, resolved_at=now, resolved_by="Grace"),
            ConversationFlag(conversation_id="c", reason=ASKED, raised_at=now),
        ])
    with pytest.raises(IntegrityError):
        with order_store.sessions.begin() as session:
            session.add(ConversationFlag(conversation_id="c", reason=ASKED, raised_at=now))
    assert count_flags(order_store) == 3


def test_flagging_under_a_race_is_one_flag(order_store, monkeypatch):
    """Another worker raises the same flag between our look-up and our insert."""
    other_worker = OrderStore(order_store.url)
    theirs = other_worker.flag_conversation("conversation-1", ASKED)
    other_worker.dispose()
    monkeypatch.setattr(flags, "_open_flag", miss_once(flags._open_flag))
    assert order_store.flag_conversation("conversation-1", ASKED) == theirs
    assert count_flags(order_store) == 1


def test_flagging_with_concurrent_workers_is_one_flag(order_store):
    workers = [OrderStore(order_store.url) for _ in range(6)]
    barrier = threading.Barrier(len(workers))

    def flag(worker):
        barrier.wait()
        return worker.flag_conversation("conversation-1", ASKED)["id"]

    try:
        with ThreadPoolExecutor(len(workers)) as pool:
            ids = set(pool.map(flag, workers))
    finally:
        for worker in workers:
            worker.dispose()
    assert len(ids) == 1
    assert count_flags(order_store) == 1
