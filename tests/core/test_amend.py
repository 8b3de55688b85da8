"""Changes to a placed order read by the order core (bot/core/amend.py): the brief's three
phrasings on the demo catalog, what a status allows, and the cues that tell a change of the
order placed from a new order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.core.amend import AmendMode, ProposalStep, amend_mode, asks_to_change, order_fields, propose, quote_answer
from tests.support.trackers import FULL_PC

SHIRT = {"fabric": "poplin_light_blue", "fit": "slim", "collar": "button_down", "cuffs": "french", "neck": 39.4,
         "chest": 101.6, "waist": 86.4, "sleeve_length": 63.5, "shirt_length": 78, "monogram": None, "quantity": 1}
CONVEYOR = {"length": 6, "belt_width": 500, "load": 40, "belt": "pvc", "environment": "standard",
            "power": "400v_three_phase"}


def stored(product, selections):
    fields = order_fields(product, selections)
    return {"options": fields.options, "total": fields.total}


@pytest.mark.parametrize("product_id, selections, text, line, difference", [
    ("custom_pc", FULL_PC, "can I change the memory to 64 GB?", "Memory: 32 GB DDR5 -> 64 GB DDR5, +100 EUR", "100"),
    ("tailored_shirt", SHIRT, "make it 3 shirts", "Quantity: 1 shirt -> 3 shirts, +158 EUR", "158"),
    ("conveyor", CONVEYOR, "the belt should be 1 metre wide", "Belt width: 500 mm -> 1000 mm, +1,200 EUR", "1200"),
])
def test_a_change_is_said_line_by_line_with_the_difference(demo_catalog, product_id, selections, text, line, difference):
    product = demo_catalog.find_product(product_id)
    proposal = propose(product, stored(product, selections), text)
    assert proposal.step is ProposalStep.PROPOSED
    assert line in proposal.reply.splitlines()
    assert proposal.new_total - proposal.old_total == Decimal(difference)
    assert f"Difference: +{int(Decimal(difference)):,} EUR" in proposal.reply
    assert sum(Decimal(c["amount"]) for c in proposal.changes) == Decimal(difference)  # the lines add up


def test_nothing_to_change_and_a_rule_refused(demo_catalog):
    pc = demo_catalog.find_product("custom_pc")
    assert propose(pc, stored(pc, FULL_PC), "hello there").step is ProposalStep.NOTHING
    assert propose(pc, stored(pc, FULL_PC), "change the memory to 32 GB DDR5").step is ProposalStep.SAME
    # AM5 takes DDR5 only: the CPU would have to change too, so nothing is proposed
    incomplete = propose(pc, stored(pc, FULL_PC), "change the memory to 32 GB DDR4")
    assert incomplete.step is ProposalStep.INCOMPLETE and incomplete.after == {}
    assert incomplete.reply.splitlines() == [
        "CPU AMD Ryzen 7 7800X3D would no longer fit (Memory: 32 GB DDR4): AMD Ryzen processors (socket AM5) take "
        "DDR5 memory only.",
        "So nothing is changed yet: tell me the change and the new CPU together.",
    ]
    refused = propose(pc, stored(pc, FULL_PC), "change the storage to 9 TB")
    assert refused.step in (ProposalStep.REFUSED, ProposalStep.NOTHING) and refused.after == {}


@pytest.mark.parametrize("status, mode", [
    ("received", AmendMode.DIRECT), ("confirmed", AmendMode.REQUEST), ("in_production", AmendMode.REQUEST),
    ("shipped", AmendMode.REQUEST), ("delivered", AmendMode.CLOSED), ("cancelled", AmendMode.CLOSED),
    ("lost", AmendMode.CLOSED),
])
def test_what_each_status_allows(status, mode):
    assert amend_mode(status) is mode


@pytest.mark.parametrize("text, expected", [
    ("can I change the memory to 64 GB?", True), ("make it 3 shirts", True), ("the belt should be 1 metre wide", True),
    ("64 GB instead please", True), ("I'd like another PC with 64 GB", False), ("cancel my order instead", False),
    ("I need a gaming PC", False),
])
def test_a_change_of_the_order_placed_needs_a_cue(text, expected):
    assert asks_to_change(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("accept the quote", True), ("I accept the offer", True), ("decline the quote", False),
    ("I don't want the quote", False), ("accept", None), ("what does the quote include?", None),
])
def test_the_answer_to_a_quote(text, expected):
    assert quote_answer(text) is expected
