"""The queue says why each conversation was flagged (the flag's kind, as data, and its detail)
and what the customer last said (a clicked button as its title); a "stuck" flag leaves the
queue when that customer then orders."""

from __future__ import annotations

import re

from bot.store.flags import FlagKind
from tests.support.staff import T0, conversation_order


def cell(page: str, css_class: str) -> list:
    return re.findall(rf'<td class="{css_class}">(.*?)</td>', page, re.S)


async def test_the_queue_shows_the_kind_the_detail_and_the_last_messages(store, tracker, client):
    sender = "web:queuedetail01"
    tracker.simple(sender, T0, text="hello there")
    tracker.bot(sender, "How much memory?", buttons=[{"title": "32 GB DDR5", "payload": '/inform{"choice":"ddr5_32gb"}'}])
    tracker.user(sender, '/inform{"choice":"ddr5_32gb"}')
    tracker.bot(sender, "Which storage?")
    tracker.user(sender, "the big one <b>please</b>")
    tracker.bot(sender, "Sorry, which one?")
    tracker.user(sender, "x" * 400)
    store.flag_conversation(sender, "stuck at 'Storage' after 3 tries", FlagKind.STUCK)
    quiet = "web:queuedetail02"
    store.flag_conversation(quiet, "customer asked for a person", FlagKind.PERSON_ASKED)
    page = await (await client.get("/staff/queue")).text()
    why = cell(page, "flag-why")
    assert "Stuck on a question" in why[0] and "stuck at &#39;Storage&#39; after 3 tries" in why[0]
    assert 'class="badge flag-stuck"' in why[0]
    assert "Asked for a person" in why[1]
    said = cell(page, "last-messages")
    items = re.findall(r"<li>(.*?)(?: <time|</li>)", said[0], re.S)
    # The last three, oldest first: the button's title, escaped text, a long one cut short.
    assert items == ["32 GB DDR5", "the big one &lt;b&gt;please&lt;/b&gt;", "x" * 299 + "\u2026"]
    assert "hello there" not in said[0]
    assert "No message yet" in said[1]


async def test_a_stuck_flag_leaves_the_queue_when_the_customer_orders(store, tracker, client):
    sender = "web:queuestuck01"
    tracker.simple(sender, T0)
    store.flag_conversation(sender, "stuck at 'Memory' after 3 tries", FlagKind.STUCK)
    store.flag_conversation(sender, "customer asked for a person", FlagKind.PERSON_ASKED)
    before = await (await client.get("/staff/queue")).text()
    assert "Stuck on a question" in before and "Asked for a person" in before
    store.place_order(conversation_order(sender))
    after = await (await client.get("/staff/queue")).text()
    assert "Stuck on a question" not in after and "Asked for a person" in after
