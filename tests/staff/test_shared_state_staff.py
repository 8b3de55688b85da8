"""The staff console with several web servers over one PostgreSQL database: one conversation
index refresher at a time (an advisory lock; the others skip, never wait), the sign-in
throttle and the sessions counted and accepted by every server."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from typing import Iterator

import pytest
import sqlalchemy as sa

from bot.staff.accounts import FREE_FAILURES
from bot.staff.conversations import events, index
from bot.store.orders import OrderStore
from tests.support.staff import FALLBACK_REPLY, STAFF_NAME, T0, add_staff, sign_in, staff_client, summary

DEADLINE_S = 30.0


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema (dropped afterwards): the orders, the index and Rasa's events."""
    from tests.support.services import postgres_schema

    with postgres_schema("test_h4") as url:
        yield url
    for cached in list(events._engines):
        if cached == url:
            events._engines.pop(cached).dispose()


def write_events(url: str, conversations: int) -> int:
    """Rasa's events table (Rasa's own model) with a fallback exchange per conversation; the rows written."""
    from rasa.core.tracker_store import SQLTrackerStore

    engine = sa.create_engine(url, future=True)
    try:
        SQLTrackerStore.Base.metadata.create_all(engine)
        rows = []
        for number in range(conversations):
            sender, at = f"web:h4{number:04d}", T0 + number * 60
            rows += [
                {"sender_id": sender, "type_name": "user", "timestamp": at, "intent_name": "nlu_fallback",
                 "action_name": None, "data": json.dumps({"event": "user", "text": "hm?"})},
                {"sender_id": sender, "type_name": "bot", "timestamp": at + 1, "intent_name": None, "action_name": None,
                 "data": json.dumps({"event": "bot", "text": "Sorry?", "metadata": FALLBACK_REPLY})},
            ]
        with engine.begin() as connection:
            connection.execute(SQLTrackerStore.SQLEvent.__table__.insert(), rows)
        return len(rows)
    finally:
        engine.dispose()


def test_only_one_web_server_refreshes_the_index_the_other_skips_without_waiting(postgres_url, monkeypatch):
    # Two web servers' stores on one database; the second's URL differs in its connection's
    # name only, so this process keeps no lock common to both: the database's lock decides.
    servers = [OrderStore(postgres_url), OrderStore(postgres_url + "&application_name=second")]
    servers[0].migrate()
    try:
        written = write_events(postgres_url, 20)
        # The first server's refresh is held inside its first write, holding the index's lock.
        inside, go_on = threading.Event(), threading.Event()
        save = index._save_batch

        def held_save(store, *args, **kwargs):
            if store is servers[0] and not go_on.is_set():
                inside.set()
                assert go_on.wait(DEADLINE_S)
            return save(store, *args, **kwargs)

        monkeypatch.setattr(index, "_save_batch", held_save)
        results = {}
        first = threading.Thread(target=lambda: results.update(first=index.refresh_index(servers[0], postgres_url)))
        first.start()
        assert inside.wait(DEADLINE_S)
        other = index.refresh_index(servers[1], postgres_url)  # returns at once: skipped
        assert other.skipped and other.read == 0 and other.caught_up
        go_on.set()
        first.join(DEADLINE_S)
        assert not first.is_alive() and not results["first"].skipped and results["first"].read == written
        # Each event counted once; the other server refreshes normally once the lock is free.
        assert summary(servers[1], "web:h40007")["user_turns"] == 1
        again = index.refresh_index(servers[1], postgres_url)
        assert not again.skipped and again.read == 0
    finally:
        for store in servers:
            store.dispose()


def test_a_refresh_while_another_server_holds_the_lock_writes_nothing(postgres_url):
    store = OrderStore(postgres_url)
    store.migrate()
    holder = sa.create_engine(postgres_url, future=True)
    try:
        write_events(postgres_url, 3)
        with holder.connect() as connection, connection.begin():  # another server, mid-refresh
            assert connection.execute(sa.select(sa.func.pg_try_advisory_xact_lock(index.INDEX_LOCK_KEY))).scalar()
            assert index.refresh_index(store, postgres_url).skipped
            with store.sessions() as session:
                assert session.execute(sa.select(sa.func.count()).select_from(index.ConversationSummary)).scalar() == 0
        # The holder's transaction ended (committed, or its process died): the lock is free.
        result = index.refresh_index(store, postgres_url)
        assert not result.skipped and result.read == 6
    finally:
        holder.dispose()
        store.dispose()


@pytest.fixture
def shared_database(monkeypatch, tmp_path, postgres_url) -> Iterator[OrderStore]:
    """Every web server's settings on the one PostgreSQL database, with one secret key."""
    monkeypatch.setenv("BESPOKE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("TRACKER_DATABASE_URL", postgres_url)
    monkeypatch.setenv("BESPOKE_SECRET_KEY", "one key for every web server " + "x" * 20)
    store = OrderStore(postgres_url)
    store.migrate()
    add_staff(store)
    yield store
    store.dispose()


async def test_the_sign_in_throttle_and_sessions_hold_across_web_servers(shared_database):
    first, second = await staff_client(), await staff_client()
    try:
        for attempt in range(FREE_FAILURES):  # guesses spread over both servers
            client = (first, second)[attempt % 2]
            assert (await sign_in(client, password="guess guess guess"))["status"] == 401
        for client in (first, second):  # each server makes the next one wait, even with the right password
            result = await sign_in(client)
            assert result["status"] == 429 and "Too many failed sign-ins" in result["text"]
        # A session made by one server is good on the other (the same BESPOKE_SECRET_KEY).
        from bot.staff.accounts import StaffAccounts

        StaffAccounts(shared_database).clear_failures(STAFF_NAME)
        assert (await sign_in(first))["status"] == 303
        cookies = first.session.cookie_jar.filter_cookies(first.make_url("/staff/"))
        second.session.cookie_jar.update_cookies({name: morsel.value for name, morsel in cookies.items()})
        page = await second.get("/staff/", allow_redirects=False)
        assert page.status == 200, await page.text()
    finally:
        await first.close()
        await second.close()


def test_keep_current_and_pages_take_a_skip_as_up_to_date():
    assert index.RefreshResult(skipped=True).caught_up  # a page shows no "still catching up"
    assert replace(index.RefreshResult(), skipped=True).read == 0
