"""Staff conversations: the incremental index of Rasa's events, the list's filters and
paging, transcripts, the queue, taking over and handing back (against the real bot), the
exported test story passing `rasa test`, and GET /api/conversations/{id}."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import requests
import sqlalchemy as sa

from bot.store.orders import NewOrder, OrderStore
from bot.runner import ROOT, rasa_env
from bot.staff.conversations import events, index, listing
from bot.staff.conversations import transcript as transcripts
from bot.store import conversations as stored
from bot.staff.accounts import StaffAccounts, StaffError
from tests.support.staff import (
    STAFF_NAME,
    STAFF_PASSWORD,
    add_staff,
    page_csrf,
    sign_in,
    staff_client,
    staff_environment,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc).timestamp()
PC_CHOICES = ["hi", "I need a gaming PC", "the 7800X3D", "32 GB DDR5", "2TB SSD", "RTX 4070 Super", "mid tower",
              "win 11", "yes", "Anna Schmidt", "anna.schmidt@example.com", "Hauptstrasse 12, 10115 Berlin"]


# ---------------------------------------------------------------------------- a tracker database


class Tracker:
    """Rasa's events table (created with Rasa's own SQLTrackerStore model) in a SQLite file,
    written the way Rasa writes it."""

    def __init__(self, path: Path):
        from rasa.core.tracker_store import SQLTrackerStore

        self.url = f"sqlite:///{path}"
        self.engine = sa.create_engine(self.url, future=True)
        SQLTrackerStore.Base.metadata.create_all(self.engine)
        self.table = SQLTrackerStore.SQLEvent.__table__
        self.clock = T0

    def add(self, sender: str, event: Dict[str, Any], at: Optional[float] = None, id: Optional[int] = None) -> None:
        self.clock = at if at is not None else self.clock + 1
        event = {**event, "timestamp": self.clock}
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        values = {"sender_id": sender, "type_name": event["event"], "timestamp": self.clock, "intent_name": intent,
                  "action_name": event.get("name"), "data": json.dumps(event)}
        with self.engine.begin() as connection:
            connection.execute(self.table.insert().values(**values, **({"id": id} if id else {})))

    def user(self, sender: str, text: str, intent: str = "inform", confidence: float = 0.9,
             metadata: Optional[Dict[str, Any]] = None, at: Optional[float] = None) -> None:
        self.add(sender, {"event": "user", "text": text, "metadata": metadata or {}, "parse_data": {
            "intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text}}, at)

    def bot(self, sender: str, text: str, buttons=None, staff: Optional[str] = None) -> None:
        self.add(sender, {"event": "bot", "text": text, "metadata": {"staff": staff} if staff else {},
                          "data": {"buttons": buttons, "image": None}})

    def action(self, sender: str, name: str) -> None:
        self.add(sender, {"event": "action", "name": name})

    def slot(self, sender: str, name: str, value: Any) -> None:
        self.add(sender, {"event": "slot", "name": name, "value": value})

    def simple(self, sender: str, at: float, text: str = "hello", intent: str = "greet") -> None:
        """A session start and one exchange."""
        self.add(sender, {"event": "action", "name": "action_session_start"}, at)
        self.add(sender, {"event": "session_started"})
        self.user(sender, text, intent)
        self.action(sender, "action_list_products")
        self.bot(sender, "Hello! What would you like?")
        self.action(sender, "action_listen")

    def rows(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(self.table)).scalar_one()


def summary(store: OrderStore, conversation_id: str) -> Dict[str, Any]:
    found = listing.summary_of(store, conversation_id)
    assert found is not None, f"{conversation_id} is not indexed"
    return found


def new_order(conversation_id: str, name: str = "Ada Lovelace") -> NewOrder:
    return NewOrder(
        draft_id=uuid.uuid4().hex, conversation_id=conversation_id, kind="order", product_id="custom_pc",
        product_name="Custom PC", options={"memory": "ddr5_32gb"},
        option_details=[{"id": "memory", "name": "Memory", "value": "ddr5_32gb", "label": "32 GB DDR5", "unit": None}],
        derived_parts=[], price_lines=[{"label": "Base", "amount": Decimal("100.00")}], total=Decimal("100.00"),
        currency="EUR", lead_time_days=7, customer_name=name, customer_email="ada@example.org",
        customer_address="12 Analytical Row, London",
    )


@pytest.fixture
def store(monkeypatch, tmp_path):
    return staff_environment(monkeypatch, tmp_path)


@pytest.fixture
def tracker(store, tmp_path):
    return Tracker(tmp_path / "tracker.db")


@pytest.fixture
async def client(store, tracker):
    add_staff(store)
    client = await staff_client()
    await sign_in(client)
    yield client
    await client.close()


# ---------------------------------------------------------------------------- the index


def test_our_events_table_matches_rasas(tracker):
    ours = {c.name: type(c.type).__name__ for c in events.events_table.columns}
    rasa = {c.name: type(c.type).__name__ for c in tracker.table.columns}
    assert ours == rasa


def test_index_refresh_is_incremental(store, tracker):
    url = tracker.url
    tracker.simple("web:aaaaaaaa1", T0)
    tracker.user("web:aaaaaaaa1", "asdf qwer", "nlu_fallback", 0.3)
    tracker.action("web:aaaaaaaa1", "utter_default")
    tracker.bot("web:aaaaaaaa1", "Sorry, I didn't understand that.")
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
    tracker.bot("web:aaaaaaaa1", "Sorry, I didn't get that. How much memory?")  # not understood, not a fallback
    tracker.user("telegram:42", "Anna", metadata={"first_name": "Anna"})
    tracker.slot("web:aaaaaaaa1", "customer_name", "Ada Lovelace")
    second = index.refresh_index(store, url)
    assert second.read == 4 and second.conversations == 2
    web = summary(store, "web:aaaaaaaa1")
    assert (web["user_turns"], web["not_understood"], web["customer_name"]) == (3, 2, "Ada Lovelace")
    assert web["last_message_at"] == datetime.fromtimestamp(T0 + 207, timezone.utc).isoformat()  # the bot's reply
    assert summary(store, "telegram:42")["customer_name"] == "Anna"  # the chat app's first name
    with store.sessions.begin() as session:
        assert session.scalar(sa.select(stored.ConversationIndexState.last_event_id)) == 25
        rows = session.scalars(sa.select(stored.ConversationSummary.last_event_id)).all()
        assert max(rows) == 25


def test_a_turn_split_across_batches_is_counted_once(store, tracker, monkeypatch):
    monkeypatch.setattr(index, "BATCH_ROWS", 2)
    sender = "web:bbbbbbbb1"
    tracker.user(sender, "hmm", "inform", 0.9)
    tracker.action(sender, "order_form")
    tracker.bot(sender, "Sorry, I didn't get that.")  # batch 2: the turn began in batch 1
    tracker.bot(sender, "Sorry, I didn't catch that either.")  # the same turn: still one
    tracker.user(sender, "???", "nlu_fallback", 0.2)
    tracker.action(sender, "utter_default")  # batch 3: already counted as a fallback
    tracker.bot(sender, "Sorry, I didn't understand that.")
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


async def test_the_list_without_a_tracker_database_is_empty(store):
    add_staff(store)
    client = await staff_client()
    try:
        await sign_in(client)
        response = await client.get("/staff/conversations")
        assert response.status == 200
        assert "No conversations" in await response.text()
    finally:
        await client.close()


# ---------------------------------------------------------------------------- the list


def seed_list(store: OrderStore, tracker: Tracker) -> None:
    """120 conversations over 6 days: 60 web, 40 telegram, 20 rest; some with orders, flags, names."""
    for number in range(120):
        channel = ("web:", "telegram:", "")[0 if number < 60 else 1 if number < 100 else 2]
        sender = f"{channel}{'conv' if channel != 'telegram:' else ''}{number:04d}"
        tracker.simple(sender, T0 + (number % 6) * 86400 + number)
        if number % 10 == 0:
            tracker.slot(sender, "customer_name", f"Customer {number}")
        if number % 15 == 0:
            store.place_order(new_order(sender))
        if number % 20 == 0:
            store.flag_conversation(sender, "customer asked for a person")
    index.refresh_index(store, tracker.url)


def count_text(page: str) -> str:
    match = re.search(r'<span class="count">([^<]*)</span>', page)
    assert match, "no count on the page"
    return match.group(1)


async def test_list_filters_and_paging(store, tracker, client):
    seed_list(store, tracker)
    page = await (await client.get("/staff/conversations")).text()
    assert count_text(page) == "1-50 of 120" and "Page 1 of 3, newest message first" in page
    assert page.count('<td class="conversation-id">') == 50
    # newest first: the conversation with the latest message leads
    first_row = re.search(r'<td class="conversation-id"><a href="([^"]+)">([^<]+)</a>', page)
    assert first_row.group(2) == "conv0119"  # day 5 (119 % 6), the latest of that day
    assert 'rel="next"' in page
    last = await (await client.get("/staff/conversations?page=3")).text()
    assert count_text(last) == "101-120 of 120" and 'rel="next"' not in last

    async def total(query: str) -> str:
        return count_text(await (await client.get(f"/staff/conversations?{query}")).text())

    assert await total("channel=telegram") == "1-40 of 40"
    assert await total("channel=rest") == "1-20 of 20"
    assert await total("has_order=yes") == "1-8 of 8"  # 0, 15, ..., 105
    assert await total("has_order=no") == "1-50 of 112"
    assert await total("flagged=yes") == "1-6 of 6"
    assert await total("flagged=yes&channel=web") == "1-3 of 3"
    assert await total("q=customer+11") == "1-1 of 1"  # "Customer 110" (names are given when n % 10 == 0)
    assert await total("q=CONV0007") == "1-1 of 1"
    day = datetime.fromtimestamp(T0, timezone.utc).date()
    assert await total(f"from={day + timedelta(days=2)}&to={day + timedelta(days=2)}") == "1-20 of 20"

    flagged = await (await client.get("/staff/conversations?flagged=yes&has_order=yes")).text()
    assert count_text(flagged) == "1-2 of 2"  # 0 and 60
    assert "Flagged: customer asked for a person" in flagged
    assert re.search(r'href="/staff/orders/BSP-[A-Z0-9]{6}"', flagged)

    bad = await client.get("/staff/conversations?channel=fax&from=yesterday&has_order=maybe&page=-1")
    assert bad.status == 200
    text = await bad.text()
    for message in ("Unknown channel", "is not a date", "choose yes or no", "is not a page number"):
        assert message in text
    assert count_text(text) == "1-50 of 120"


def test_list_paging_beyond_the_end_is_empty(store, tracker):
    seed_list(store, tracker)
    rows, total = listing.list_conversations(store, listing.ListFilters(page=9))
    assert rows == [] and total == 120


# ---------------------------------------------------------------------------- the transcript


def pc_conversation(tracker: Tracker, sender: str) -> None:
    tracker.add(sender, {"event": "action", "name": "action_session_start"}, T0)
    tracker.add(sender, {"event": "session_started"})
    tracker.user(sender, "I need a gaming PC", "order_product", 0.99)
    tracker.action(sender, "action_start_order")
    tracker.slot(sender, "product", "custom_pc")
    tracker.slot(sender, "selections", {})
    tracker.bot(sender, "(2/6) How much memory (RAM) would you like?",
                buttons=[{"title": "32 GB DDR5 (+€109.00)", "payload": '/inform{"choice":"ddr5_32gb"}'}])
    tracker.user(sender, "<script>alert(1)</script> zzz", "nlu_fallback", 0.21)
    tracker.action(sender, "order_form")
    tracker.slot(sender, "failures", {"memory": 1})
    tracker.bot(sender, 'Sorry, "zzz" is not one of our memory options.')
    tracker.user(sender, '/inform{"choice":"ddr5_32gb"}', "inform", 1.0)
    tracker.action(sender, "order_form")
    tracker.slot(sender, "selections", {"memory": "ddr5_32gb"})
    tracker.slot(sender, "failures", {})
    tracker.bot(sender, "**Great**, 32 GB it is.")
    tracker.user(sender, "maybe the 64", "inform", 0.42)
    tracker.bot(sender, "Which one?")
    tracker.add(sender, {"event": "pause"})
    tracker.user(sender, "hello? a person please")
    tracker.bot(sender, "Hi, Alice here. How can I help?", staff="alice")
    tracker.add(sender, {"event": "resume"})


def test_transcript_entries(store, tracker):
    sender = "web:ffffffff1"
    pc_conversation(tracker, sender)
    entries = transcripts.transcript(tracker.url, sender)
    users = [e for e in entries if e["kind"] == "user"]
    assert [u["misunderstood"] for u in users] == [False, True, False, True, False]
    assert users[1]["problems"] == ["Not understood (fallback)", "Answer refused"]
    assert users[3]["problems"] == ["Unsure (0.42)"]
    assert users[2]["shown"] == "32 GB DDR5 (+€109.00)" and users[2]["button"]
    assert users[2]["took"] == [{"name": "Memory", "value": "32 GB DDR5"}]
    assert users[4]["while_taken_over"]
    staff = [e for e in entries if e["kind"] == "bot" and e["staff"]]
    assert [s["staff"] for s in staff] == ["alice"]
    notes = [e["text"] for e in entries if e["kind"] == "note"]
    assert notes == ["New session started.", "Staff took over: the bot stays quiet until handed back.",
                     "Handed back to the bot."]


def test_story_leaves_out_what_the_customer_said_to_staff():
    story = """version: "3.1"
stories:
- story: web:x
  steps:
  - intent: greet
    user: |-
      hi
  - action: action_list_products
  - intent: human
    user: |-
      a person please
  - intent: greet
    user: |-
      hello
  - action: action_list_products
"""
    turns = [{"kind": "user", "while_taken_over": paused} for paused in (False, True, False)]
    trimmed = transcripts.story_without_takeovers(story, turns)
    assert "a person please" not in trimmed and trimmed.count("action_list_products") == 2
    assert trimmed.startswith("# Customer messages sent while staff had taken over are left out")
    assert transcripts.story_without_takeovers(story, turns[:1] + [turns[2]]) == story  # no takeover
    assert transcripts.story_without_takeovers(story, turns + turns) == story  # not lined up: as Rasa wrote it


async def test_transcript_page(store, tracker, client):
    sender = "web:ffffffff1"
    pc_conversation(tracker, sender)
    order = store.place_order(new_order(sender))
    store.flag_conversation(sender, "stuck at 'Memory' after 3 tries")
    response = await client.get("/staff/conversations/web%3Affffffff1")
    assert response.status == 200
    page = await response.text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; zzz" in page and "<script>alert" not in page
    assert page.count('class="turn user misunderstood"') == 2
    assert "Misunderstood: Not understood (fallback), Answer refused" in page
    assert "took: <span class=\"took\">Memory = 32 GB DDR5</span>" in page
    assert "<code>inform</code> (0.42)" in page
    assert "<strong>Great</strong>, 32 GB it is." in page
    assert "alice (staff)" in page
    assert "<li>32 GB DDR5 (+€109.00)</li>" in page  # the buttons offered
    assert f'href="/staff/orders/{order["number"]}"' in page
    assert "stuck at &#39;Memory&#39; after 3 tries" in page
    assert 'href="/staff/conversations/web%3Affffffff1/story.yml"' in page
    assert (await client.get("/staff/conversations/web:ffffffff1")).status == 200
    missing = await client.get("/staff/conversations/web:nope")
    assert missing.status == 404 and "There is no conversation with this id." in await missing.text()


async def test_a_taken_over_transcript_gets_new_turns_without_a_reload(store, tracker, client):
    sender = "web:gggggggg1"
    tracker.simple(sender, T0)
    stored.start_takeover(store, sender, STAFF_NAME)
    page = await (await client.get(f"/staff/conversations/{sender}")).text()
    after = re.search(r'data-turns-url="/staff/conversations/web%3Agggggggg1/turns" data-after="(\d+)"', page).group(1)
    assert '<script src="/staff/static/conversation.js" defer></script>' in page and "Write to the customer" in page
    assert (await client.get("/staff/static/conversation.js")).status == 200
    nothing = await (await client.get(f"/staff/conversations/{sender}/turns?after={after}")).json()
    assert nothing == {"html": "", "last": int(after)}
    tracker.user(sender, "is anyone <there>?")
    tracker.bot(sender, "Yes, **Alice** here.", staff="alice")
    news = await (await client.get(f"/staff/conversations/{sender}/turns?after={after}")).json()
    assert news["last"] == 8  # the staff reply (7 is the customer, 6 an action the page does not show)
    assert "is anyone &lt;there&gt;?" in news["html"] and "alice (staff)" in news["html"]
    assert "<strong>Alice</strong>" in news["html"] and "Hello! What would you like?" not in news["html"]
    assert (await client.get(f"/staff/conversations/{sender}/turns?after=x")).status == 400
    stored.end_takeover(store, sender)
    assert "data-turns-url" not in await (await client.get(f"/staff/conversations/{sender}")).text()


async def test_queue_and_resolving_a_flag(store, tracker, client):
    tracker.simple("telegram:777", T0)
    tracker.slot("telegram:777", "customer_name", "Bea")
    flag = store.flag_conversation("telegram:777", "customer asked for a person")
    page = await (await client.get("/staff/queue")).text()
    assert "customer asked for a person" in page and "Bea" in page and "telegram" in page
    assert 'action="/staff/conversations/telegram%3A777/takeover"' in page
    token = await page_csrf(client, "/staff/queue")
    forged = await client.post(f"/staff/queue/flags/{flag['id']}/resolve", data={"csrf_token": "x"})
    assert forged.status == 403
    resolved = await client.post(f"/staff/queue/flags/{flag['id']}/resolve",
                                 data={"csrf_token": token, "next": "/staff/queue"}, allow_redirects=False)
    assert resolved.status == 303 and resolved.headers["Location"] == "/staff/queue?done=resolved"
    assert store.flags_for("telegram:777")[0]["resolved_by"] == STAFF_NAME
    after = await (await client.get("/staff/queue?done=resolved")).text()
    assert "No conversation is waiting for a person." in after and "Flag resolved." in after
    unknown = await client.post("/staff/queue/flags/99999/resolve", data={"csrf_token": token})
    assert unknown.status == 404 and "There is no such flag" in await unknown.text()


async def test_the_api(store, tracker, client):
    sender = "web:ffffffff1"
    pc_conversation(tracker, sender)
    order = store.place_order(new_order(sender))
    store.flag_conversation(sender, "customer asked for a person")
    path = "/api/conversations/web%3Affffffff1"
    client.session.cookie_jar.clear()  # the API takes tokens, not sessions
    assert (await client.get(path)).status == 401
    token = StaffAccounts(store).create_token(STAFF_NAME)
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.get(path, headers=headers)
    assert response.status == 200
    body = await response.json()
    assert body["conversation_id"] == sender and body["channel"] == "web"
    assert body["summary"]["user_turns"] == 5 and body["summary"]["not_understood"] == 1
    assert [o["number"] for o in body["orders"]] == [order["number"]]
    assert body["flags"][0]["reason"] == "customer asked for a person"
    assert body["takeovers"] == []
    assert sum(1 for t in body["transcript"] if t["kind"] == "user" and t["misunderstood"]) == 2
    missing = await client.get("/api/conversations/web:nobody", headers=headers)
    assert missing.status == 404 and (await missing.json())["error"] == "not_found"


# ---------------------------------------------------------------------------- against the real bot


@pytest.fixture
async def bot_client(bot, monkeypatch, tmp_path):
    """A signed-in staff client on the bot's own databases and Rasa."""
    monkeypatch.setenv("BESPOKE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{bot.data_dir / 'bespoke.db'}")
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{bot.data_dir / 'tracker.db'}")
    monkeypatch.delenv("BESPOKE_SECRET_KEY", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("TELEGRAM_API_BASE_URL", raising=False)
    store = OrderStore(f"sqlite:///{bot.data_dir / 'bespoke.db'}")
    store.migrate()
    try:
        add_staff(store)
    except StaffError:
        pass  # added by an earlier test of this session
    client = await staff_client(bot.url, bot.token)
    await sign_in(client)
    yield client
    await client.close()
    store.dispose()


def history(bot, sender: str) -> List[Dict[str, Any]]:
    response = requests.get(f"{bot.web_url}/api/history", params={"sender": sender}, timeout=30)
    response.raise_for_status()
    return response.json()["messages"]


async def say(bot, sender: str, text: str) -> List[dict]:
    return await asyncio.to_thread(bot.say, sender, text)


async def test_take_over_write_and_hand_back(bot, bot_client):
    sender = f"web:takeover{uuid.uuid4().hex[:12]}"
    assert await say(bot, sender, "hi")
    path = f"/staff/conversations/{sender}"
    token = await page_csrf(bot_client, path)
    # Not taken over yet: writing is refused.
    refused = await bot_client.post(f"{path}/messages", data={"csrf_token": token, "text": "hello"})
    assert refused.status == 409 and "Take over the conversation first" in await refused.text()

    taken = await bot_client.post(f"{path}/takeover", data={"csrf_token": token}, allow_redirects=False)
    assert taken.status == 303
    assert await say(bot, sender, "I need a gaming PC") == []  # the bot stays quiet
    page = await (await bot_client.get(path)).text()
    assert "I need a gaming PC" in page and "Write to the customer" in page and "Taken over" in page

    sent = await bot_client.post(f"{path}/messages", data={"csrf_token": token, "text": "Hi, Alice here <b>!</b>"},
                                 allow_redirects=False)
    assert sent.status == 303 and "done=sent_web" in sent.headers["Location"]
    messages = await asyncio.to_thread(history, bot, sender)
    assert messages[-1]["from"] == "bot" and messages[-1]["text"] == "Hi, Alice here <b>!</b>"
    assert messages[-2] == {"from": "user", "text": "I need a gaming PC", "timestamp": messages[-2]["timestamp"]}
    page = await (await bot_client.get(path)).text()
    assert "alice (staff)" in page and "Hi, Alice here &lt;b&gt;!&lt;/b&gt;" in page

    back = await bot_client.post(f"{path}/handback", data={"csrf_token": token}, allow_redirects=False)
    assert back.status == 303
    replies = await say(bot, sender, "what can you make?")
    assert replies and "Custom PC" in replies[0]["text"]  # the bot answers again
    page = await (await bot_client.get(path)).text()
    assert "Handed back to the bot." in page and "Write to the customer" not in page


async def test_a_second_person_cannot_take_over(bot, bot_client, monkeypatch):
    sender = f"web:second{uuid.uuid4().hex[:12]}"
    await say(bot, sender, "hi")
    path = f"/staff/conversations/{sender}"
    token = await page_csrf(bot_client, path)
    assert (await bot_client.post(f"{path}/takeover", data={"csrf_token": token}, allow_redirects=False)).status == 303
    store = OrderStore(f"sqlite:///{bot.data_dir / 'bespoke.db'}")
    with pytest.raises(stored.TakenOverError, match="alice has already taken over"):
        stored.start_takeover(store, sender, "bob")
    store.dispose()
    assert (await bot_client.post(f"{path}/handback", data={"csrf_token": token}, allow_redirects=False)).status == 303


async def test_telegram_customers_get_staff_messages(bot, bot_client, monkeypatch):
    from tests.support.fake_telegram import FakeBotApi

    chat = 5550000 + uuid.uuid4().int % 10000
    sender = f"telegram:{chat}"
    await say(bot, sender, "hi")
    path = f"/staff/conversations/{sender}"
    token = await page_csrf(bot_client, path)
    await bot_client.post(f"{path}/takeover", data={"csrf_token": token}, allow_redirects=False)

    # Without a bot token the page says so, and nothing is pretended.
    page = await (await bot_client.get(path)).text()
    assert "Telegram is not configured on this server" in page
    refused = await bot_client.post(f"{path}/messages", data={"csrf_token": token, "text": "Hello from the shop"})
    assert refused.status == 502 and "TELEGRAM_BOT_TOKEN is not set" in await refused.text()

    api = FakeBotApi().start()
    try:
        # Settings are read when the server starts: a server started with a bot token.
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "test:token")
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
        configured = await staff_client(bot.url, bot.token)
        try:
            await sign_in(configured)
            sent = await configured.post(f"{path}/messages", allow_redirects=False, data={
                "csrf_token": await page_csrf(configured, path), "text": "Hello from the shop"})
            assert sent.status == 303 and "done=sent_telegram" in sent.headers["Location"]
        finally:
            await configured.close()
        assert api.sent_texts(chat) == ["Hello from the shop"]
    finally:
        api.stop()
    page = await (await bot_client.get(path)).text()
    assert "alice (staff)" in page and "Hello from the shop" in page
    await bot_client.post(f"{path}/handback", data={"csrf_token": token}, allow_redirects=False)


async def test_an_exported_story_passes_rasa_test(bot, bot_client, trained_model, tmp_path):
    """A real order, with a takeover in the middle of it, exported and run by `rasa test`."""
    sender = f"web:story{uuid.uuid4().hex[:12]}"
    path = f"/staff/conversations/{sender}"
    for text in PC_CHOICES[:3]:
        await say(bot, sender, text)
    token = await page_csrf(bot_client, path)
    await bot_client.post(f"{path}/takeover", data={"csrf_token": token}, allow_redirects=False)
    assert await say(bot, sender, "is the 7800X3D good for video editing?") == []
    await bot_client.post(f"{path}/messages", data={"csrf_token": token, "text": "Yes, it is a fine choice."},
                          allow_redirects=False)
    await bot_client.post(f"{path}/handback", data={"csrf_token": token}, allow_redirects=False)
    for text in PC_CHOICES[3:]:
        await say(bot, sender, text)
    assert len(await asyncio.to_thread(bot.orders_of, sender)) == 1
    response = await bot_client.get(f"{path}/story.yml")
    assert response.status == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="story_{sender.replace(":", "_")}.yml"'
    story = await response.text()
    assert f"story: {sender}" in story and "action: action_place_order" in story
    assert "I need a gaming PC" in story and "video editing" not in story
    path = tmp_path / "exported.yml"
    path.write_text(story, encoding="utf-8")
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "rasa", "test", "core", "--stories", str(path), "--model", str(trained_model),
         "--fail-on-prediction-errors", "--out", str(tmp_path / "results")],
        cwd=ROOT, env=rasa_env(__import__("os").environ), capture_output=True, text=True, timeout=600,
    )
    failed = tmp_path / "results" / "failed_test_stories.yml"
    report = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, report + result.stdout[-3000:] + result.stderr[-2000:]
    assert "None of the test stories failed" in report

    # The conversation is on the list with its order.
    page = await (await bot_client.get(f"/staff/conversations?q={sender}")).text()
    assert count_text(page) == "1-1 of 1"
    assert "Anna Schmidt" in page and re.search(r"BSP-[A-Z0-9]{6}</a>", page)


async def test_exporting_an_unknown_conversation(bot, bot_client):
    response = await bot_client.get("/staff/conversations/web:neverseen0001/story.yml")
    assert response.status == 404 and "no conversation with this id" in await response.text()


# ---------------------------------------------------------------------------- in a browser

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def chromium():
    from tests.support.services import services_required

    if not CHROMIUM.exists() and not services_required():
        pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed; `apt-get install chromium` (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()


def chat_say(page, text: str) -> None:
    page.fill(".bespoke-input", text)
    page.press(".bespoke-input", "Enter")
    page.wait_for_function("!document.querySelector('.bespoke-chat').classList.contains('bespoke-busy')"
                           " && !document.querySelector('.bespoke-pending')", timeout=60_000)


def test_staff_and_customer_talk_without_reloading(bot, chromium):
    """The customer in the widget, staff on the transcript page: each sees the other's
    messages appear by themselves."""
    store = OrderStore(f"sqlite:///{bot.data_dir / 'bespoke.db'}")
    store.migrate()
    try:
        add_staff(store)
    except StaffError:
        pass  # added by an earlier test of this session
    store.dispose()
    customer = chromium.new_context(viewport={"width": 390, "height": 800}).new_page()
    customer.goto(bot.web_url)
    customer.wait_for_selector(".bespoke-chat[data-ready='true']", state="attached")
    chat_say(customer, "hi")
    sender = customer.evaluate(f"localStorage.getItem('bespoke-chat:sender:{bot.web_url}')")

    staff = chromium.new_context(viewport={"width": 1000, "height": 900}).new_page()
    staff.goto(f"{bot.web_url}/staff/sign-in")
    staff.fill("input[name=name]", STAFF_NAME)
    staff.fill("input[name=password]", STAFF_PASSWORD)
    staff.press("input[name=password]", "Enter")
    staff.wait_for_url(f"{bot.web_url}/staff/")
    staff.goto(f"{bot.web_url}/staff/conversations/{sender}")
    staff.click("button:has-text('Take over')")
    staff.wait_for_selector("text=You have taken over this conversation")
    shown = customer.locator(".bespoke-msg").count()
    staff.fill("#message-text", "Hello, Alice from the workshop here.")
    staff.click("button:has-text('Send')")
    staff.wait_for_selector("text=Message sent: the customer's chat window shows it")

    # The widget shows it by itself (it asks for its history every few seconds); nothing twice.
    customer.wait_for_selector(".bespoke-msg.bespoke-bot:has-text('Alice from the workshop')", timeout=40_000)
    assert customer.locator(".bespoke-msg").count() == shown + 1

    # The customer answers (the bot stays quiet); the staff page shows it without a reload.
    chat_say(customer, "Great, thanks!")
    staff.wait_for_selector("ol.transcript li.turn.user:has-text('Great, thanks!')", timeout=40_000)
    staff.fill("#message-text", "You're welcome.")
    staff.click("button:has-text('Send')")
    customer.wait_for_selector(".bespoke-msg.bespoke-bot:has-text(\"You're welcome.\")", timeout=40_000)
    texts = customer.locator(".bespoke-msg .bespoke-text").all_inner_texts()
    assert texts[-3:] == ["Hello, Alice from the workshop here.", "Great, thanks!", "You're welcome."]
    assert staff.locator("ol.transcript li.turn.staff").count() == 2
    assert "alice (staff)" in staff.inner_text("ol.transcript")

    staff.click("button:has-text('Hand back to the bot')")
    staff.wait_for_selector("text=Handed back: the bot answers the customer again.")
    chat_say(customer, "what can you make?")
    assert "Custom PC" in customer.locator(".bespoke-bot .bespoke-text").last.inner_text()


# ---------------------------------------------------------------------------- PostgreSQL

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
                 "data": json.dumps({"event": "bot", "text": "Sorry, I didn't understand that."})},
                {"sender_id": sender, "type_name": "slot", "timestamp": at + 2, "action_name": "customer_name",
                 "data": json.dumps({"event": "slot", "name": "customer_name", "value": f"Name_{number}%"})},
            ]
        rows = [{"intent_name": None, "action_name": None, **row} for row in rows]
        with engine.begin() as connection:
            connection.execute(table.insert(), rows)
        assert index.refresh_index(store, postgres_url).read == 90
        assert index.refresh_index(store, postgres_url).read == 0
        store.place_order(new_order("web:pg0003"))
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


def test_an_answer_taken_despite_a_fallback_intent_is_not_a_misunderstanding(store, tracker):
    # Answers are read from the text whatever the intent: "Jana Novak" is nlu_fallback to the
    # intent classifier and taken as the name; "pvc" at 0.35 is taken as the belt.
    sender = "web:takenanyway1"
    tracker.add(sender, {"event": "action", "name": "action_session_start"}, T0)
    tracker.user(sender, "I need a conveyor", "order_product", 0.99)
    tracker.slot(sender, "product", "conveyor")
    tracker.slot(sender, "selections", {})
    tracker.bot(sender, "(4/6) Which belt material would you like?")
    tracker.user(sender, "pvc", "inform", 0.35)
    tracker.slot(sender, "selections", {"belt": "pvc"})
    tracker.bot(sender, "(5/6) Will it run in a standard or a food-grade environment?")
    tracker.user(sender, "Jana Novak", "nlu_fallback", 0.3)
    tracker.slot(sender, "customer_name", "Jana Novak")
    tracker.bot(sender, "What email address should we send the confirmation to?")
    tracker.user(sender, "qwpoeiru", "nlu_fallback", 0.2)
    tracker.bot(sender, "Sorry, I didn't get that. What email address should we use?")
    index.refresh_index(store, tracker.url)
    assert (summary(store, sender)["user_turns"], summary(store, sender)["not_understood"]) == (4, 1)
    users = [e for e in transcripts.transcript(tracker.url, sender) if e["kind"] == "user"]
    assert [u["misunderstood"] for u in users] == [False, False, False, True]


async def test_the_widgets_periodic_check_asks_rasa_only_while_staff_have_the_conversation(store, tracker):
    # Rasa is not running at this address: a check that went to Rasa would get 502.
    client = await staff_client("http://127.0.0.1:9", "token")
    try:
        sender = "web:polling0001"
        quiet = await client.get("/api/history", params={"sender": sender, "poll": "1"})
        assert quiet.status == 200 and await quiet.json() == {"messages": None, "paused": False}
        stored.start_takeover(store, sender, STAFF_NAME)
        taken = await client.get("/api/history", params={"sender": sender, "poll": "1"})
        assert taken.status == 502  # now it reads the history (and the staff messages) from Rasa
        assert (await client.get("/api/history", params={"sender": sender})).status == 502  # a full load always does
    finally:
        await client.close()


async def test_the_queue_comes_in_pages(store, tracker, client):
    for number in range(53):
        store.flag_conversation(f"web:queue{number:04d}", "customer asked for a person")
    first = await (await client.get("/staff/queue")).text()
    assert "53 open flags, oldest first; 1-50 shown" in first and first.count("/takeover") == 50
    assert 'href="/staff/queue?page=2"' in first
    second = await (await client.get("/staff/queue?page=2")).text()
    assert "51-53 shown" in second and second.count("/takeover") == 3 and "web:queue0052" in second
    beyond = await client.get("/staff/queue?page=9")
    assert beyond.status == 200 and "51-53 shown" in await beyond.text()
    assert (await client.get("/staff/queue?page=x")).status == 200


async def test_a_very_long_transcript_shows_its_latest_turns_first(store, tracker, client):
    sender = "web:chatterbox1"
    for turn in range(250):
        tracker.user(sender, f"message number {turn}", "chitchat", 0.9)
        tracker.bot(sender, f"answer number {turn}")
    page = await (await client.get(f"/staff/conversations/{sender}")).text()
    assert "The 100 earliest entries are left out" in page and "?all=1" in page
    assert "message number 249" in page and "message number 50<" in page and "message number 49<" not in page
    everything = await (await client.get(f"/staff/conversations/{sender}?all=1")).text()
    assert "message number 0<" in everything and "earliest entries are left out" not in everything
    missing = await client.get("/staff/conversations/web:nobody-here1")
    assert missing.status == 404
