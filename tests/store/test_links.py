"""One customer across channels (bot/store/links.py): a code works once, for 10 minutes,
in another conversation only; linked conversations share their orders; a guessed, expired,
replaced or reused code links nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bot.store import links, notices, outbox
from bot.store.db import utcnow
from bot.store.links import Redeemed


def test_a_code_links_two_conversations_once(order_store):
    sessions = order_store.sessions
    code = links.new_code(sessions, "telegram:1", {"product": "custom_pc", "selections": {"memory": "ddr5_32gb"}})
    assert links.HYPHENATED.fullmatch(code)
    assert links.conversations_of(sessions, "web:abcdefgh") == ["web:abcdefgh"]
    linked = links.redeem(sessions, code.lower(), "web:abcdefgh")
    assert (linked.outcome, linked.other, linked.carried["product"]) == (Redeemed.LINKED, "telegram:1", "custom_pc")
    assert links.conversations_of(sessions, "web:abcdefgh") == ["web:abcdefgh", "telegram:1"]
    assert links.conversations_of(sessions, "telegram:1") == ["telegram:1", "web:abcdefgh"]
    assert links.redeem(sessions, code, "web:someoneelse").outcome is Redeemed.USED  # single use
    assert links.conversations_of(sessions, "web:someoneelse") == ["web:someoneelse"]


def test_wrong_expired_own_and_replaced_codes_link_nothing(order_store):
    sessions, now = order_store.sessions, utcnow()
    code = links.new_code(sessions, "telegram:2", now=now)
    assert links.redeem(sessions, code, "telegram:2").outcome is Redeemed.OWN
    wrong = ("2" if code[0] != "2" else "3") + code[1:]
    assert links.redeem(sessions, wrong, "web:guesser1").outcome is Redeemed.UNKNOWN
    late = now + links.CODE_LIFETIME + timedelta(seconds=1)
    assert links.redeem(sessions, code, "web:late0001", now=late).outcome is Redeemed.EXPIRED
    first = links.new_code(sessions, "telegram:3")
    second = links.new_code(sessions, "telegram:3")  # the newer code replaces the older
    assert links.redeem(sessions, first, "web:old00001").outcome is Redeemed.EXPIRED
    assert links.redeem(sessions, second, "web:new00001").outcome is Redeemed.LINKED
    for conversation in ("web:guesser1", "web:late0001", "web:old00001"):
        assert links.conversations_of(sessions, conversation) == [conversation]


def test_two_conversations_typing_one_code_at_once_one_wins(order_store):
    sessions = order_store.sessions
    code = links.new_code(sessions, "telegram:4")
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda n: links.redeem(sessions, code, f"web:racer{n:04d}").outcome, range(4)))
    assert sorted(outcomes) == sorted([Redeemed.LINKED] + [Redeemed.USED] * 3)


def test_linking_a_third_conversation_and_merging_two_customers(order_store):
    sessions = order_store.sessions
    links.redeem(sessions, links.new_code(sessions, "telegram:5"), "web:five0001")
    links.redeem(sessions, links.new_code(sessions, "telegram:6"), "web:six00001")
    links.redeem(sessions, links.new_code(sessions, "web:five0001"), "telegram:6")  # the same person, all four
    assert sorted(links.conversations_of(sessions, "web:six00001")) == sorted(
        ["web:six00001", "telegram:5", "web:five0001", "telegram:6"])


def test_finding_a_code_in_a_message():
    assert links.find_code("link 7KQ4-M9XZ please") == "7KQ4M9XZ"
    assert links.find_code("my code is 7kq4-m9xz") == "7KQ4M9XZ"
    assert links.find_code("7kq4m9xz", whole=True) == "7KQ4M9XZ"
    assert links.find_code("STANDARD belt") is None and links.find_code("standard", whole=True) == "STANDARD"
    assert links.find_code("where is BSP-7K3Q9M") is None  # an order number is not a code
    assert links.find_code("7KQ4-M9XZ0") is None


def test_the_conversation_that_showed_the_code_is_told_of_the_link(order_store):
    """A link is never silent to the owner of the first chat (a guessed or overheard code):
    it hears on its own channel, once, from the link's transaction; no mail (no order)."""
    sessions = order_store.sessions
    code = links.new_code(sessions, "telegram:7")
    wrong = ("2" if code[0] != "2" else "3") + code[1:]
    assert links.redeem(sessions, wrong, "web:guess0007").outcome is Redeemed.UNKNOWN
    assert notices.notices_for(sessions, "telegram:7") == []  # nothing linked, nothing told
    assert links.redeem(sessions, code, "web:seven007").outcome is Redeemed.LINKED
    [told] = notices.notices_for(sessions, "telegram:7")
    assert (told["kind"], told["channel"], told["data"], told["delivered"]) == (
        "channel_linked", "telegram", {"channel": "web"}, False)
    assert links.redeem(sessions, code, "web:again007").outcome is Redeemed.USED
    assert len(notices.notices_for(sessions, "telegram:7")) == 1
    assert notices.notices_for(sessions, "web:seven007") == []  # the chat that typed it was told there
    assert outbox.due(sessions, utcnow() + timedelta(days=1)) == []  # no mail queued
