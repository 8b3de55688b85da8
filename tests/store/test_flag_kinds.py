"""A flag's kind is data (FlagKind), and a "stuck" flag ends when that customer then places
an order, in the placing transaction, with the bot and the order recorded; other kinds stay."""

from __future__ import annotations

import pytest

from bot.store.flags import BOT_RESOLVER, FlagKind, FlagResolution
from tests.support.staff import conversation_order


def test_a_flag_keeps_its_kind(order_store):
    flag = order_store.flag_conversation("web:kinds0001", "stuck at 'Memory' after 3 tries", FlagKind.STUCK)
    assert flag["kind"] == "stuck" and FlagKind(flag["kind"]).label == "Stuck on a question"
    assert order_store.open_flags()[0]["kind"] == "stuck"
    with pytest.raises(ValueError):
        order_store.flag_conversation("web:kinds0001", "x", "no such kind")


def test_placing_an_order_resolves_that_conversations_stuck_flags_only(order_store):
    sender, other = "web:stuckorder01", "web:stuckorder02"
    stuck = order_store.flag_conversation(sender, "stuck at 'Memory' after 3 tries", FlagKind.STUCK)
    stuck_again = order_store.flag_conversation(sender, "stuck at 'Storage' after 3 tries", FlagKind.STUCK)
    person = order_store.flag_conversation(sender, "customer asked for a person", FlagKind.PERSON_ASKED)
    elsewhere = order_store.flag_conversation(other, "stuck at 'Memory' after 3 tries", FlagKind.STUCK)
    placed = order_store.place_order(conversation_order(sender))
    by_id = {flag["id"]: flag for flag in order_store.flags_for(sender)}
    for flag in (stuck, stuck_again):
        ended = by_id[flag["id"]]
        assert ended["resolved_at"] is not None and ended["resolved_at"] >= flag["raised_at"]
        assert ended["resolved_by"] == BOT_RESOLVER
        assert ended["resolution"] == FlagResolution.ORDER_PLACED.value
        assert ended["resolved_order"] == placed["number"]
    assert by_id[person["id"]]["resolved_at"] is None  # they still want a person
    assert order_store.flags_for(other)[0]["resolved_at"] is None  # another customer's
    assert {flag["id"] for flag in order_store.open_flags()} == {person["id"], elsewhere["id"]}
    # The same draft placed again (a retried message) changes nothing more.
    again = order_store.flag_conversation(sender, "stuck at 'Memory' after 3 tries", FlagKind.STUCK)
    assert order_store.place_order(conversation_order(sender))["number"] != placed["number"]  # a new draft id
    assert order_store.flags_for(sender)[-1]["id"] == again["id"]
    assert order_store.flags_for(sender)[-1]["resolution"] == "order_placed"


def test_a_staff_resolution_is_recorded_as_such(order_store):
    flag = order_store.flag_conversation("web:kinds0003", "customer asked for a person", FlagKind.PERSON_ASKED)
    resolved = order_store.resolve_flag(flag["id"], "Grace")
    assert (resolved["resolution"], resolved["resolved_by"], resolved["resolved_order"]) == ("staff", "Grace", None)
