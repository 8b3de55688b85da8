"""Transcripts: the entries read from Rasa's events, what counts as misunderstood, the page
(and its latest turns first), new turns while taken over, the exported story without what
the customer said to staff, and GET /api/conversations/{id}."""

from __future__ import annotations

import re

from bot.core.refusals import NOT_UNDERSTOOD
from bot.staff.accounts import StaffAccounts
from bot.staff.conversations import index
from bot.staff.conversations import transcript as transcripts
from bot.store import conversations as stored
from bot.core.catalog import CatalogFile
from bot.local import DEMO_CATALOG
from tests.support.staff import (
    STAFF_NAME,
    T0,
    conversation_order,
    pc_conversation,
    summary,
)

SHOP_CATALOG = CatalogFile(DEMO_CATALOG)  # the catalog the staff console names options from


def test_transcript_entries(store, tracker):
    sender = "web:ffffffff1"
    pc_conversation(tracker, sender)
    entries = transcripts.transcript(tracker.url, sender, SHOP_CATALOG)
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
    tracker.bot(sender, "Sorry, I didn't get that. What email address should we use?", metadata=NOT_UNDERSTOOD)
    index.refresh_index(store, tracker.url)
    assert (summary(store, sender)["user_turns"], summary(store, sender)["not_understood"]) == (4, 1)
    users = [e for e in transcripts.transcript(tracker.url, sender, SHOP_CATALOG) if e["kind"] == "user"]
    assert [u["misunderstood"] for u in users] == [False, False, False, True]


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
    order = store.place_order(conversation_order(sender))
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


async def test_the_api(store, tracker, client):
    sender = "web:ffffffff1"
    pc_conversation(tracker, sender)
    order = store.place_order(conversation_order(sender))
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
