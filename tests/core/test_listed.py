"""What "ok that one", "the second one" or "the cheapest one then" points at after an answer
listed values (bot/core/choices.py): a place, the cheapest or the dearest picks one; a
pointer alone picks only when one value was listed; anything that names or asks is not a
pointer at all."""

from __future__ import annotations

import pytest

from bot.core.choices import listed_answer, refers_back
from bot.core.values import Candidate


@pytest.fixture(scope="module")
def cpus(demo_catalog):
    cpu = demo_catalog.product("custom_pc").option("cpu")
    return [Candidate("cpu", v) for v in sorted(cpu.in_stock_values, key=lambda v: v.price)[:3]]


@pytest.mark.parametrize("text, place", [
    ("the first one", 0), ("2nd one please", 1), ("go with the third", 2), ("the last one", -1),
    ("the cheapest one then", 0), ("ok, the most expensive", -1), ("I'll take the priciest one", -1),
])
def test_a_place_or_the_cheapest_picks_from_what_was_listed(cpus, text, place):
    assert refers_back(text)
    assert listed_answer(cpus, text) == cpus[place]


@pytest.mark.parametrize("text", ["ok that one", "that one please", "I'll take it", "yes, that", "sounds good, that one"])
def test_a_pointer_alone_picks_only_the_one_value_listed(cpus, text):
    assert refers_back(text)
    assert listed_answer(cpus, text) is None  # several listed: which is asked
    assert listed_answer(cpus[:1], text) == cpus[0]


@pytest.mark.parametrize("text", ["ok", "yes", "the i5", "that one is too slow", "what about that one?",
                                  "is that one quiet?", "the fifth one", "neither of them", ""])
def test_what_names_asks_or_refuses_is_not_a_pointer(cpus, text):
    assert listed_answer(cpus, text) is None


def test_only_values_the_rules_still_allow_are_picked_from_or_asked_about(demo_catalog):
    """"is 16gb enough for gaming?" lists 16 GB DDR4 and DDR5; beside a Ryzen only the DDR5
    fits, so "the cheapest one then" is the DDR5 and "that one" needs no question."""
    from bot.core.answers import pick_listed

    pc = demo_catalog.product("custom_pc")
    memory = pc.option("memory")
    listed = [Candidate("memory", memory.value("ddr4_16gb")), Candidate("memory", memory.value("ddr5_16gb"))]
    ryzen = {"cpu": "ryzen5_7600"}
    assert pick_listed(pc, ryzen, listed, "the cheapest one then").picked.value.id == "ddr5_16gb"
    assert pick_listed(pc, ryzen, listed, "ok that one").picked.value.id == "ddr5_16gb"
    several = pick_listed(pc, {"cpu": "core_i5_14400f"}, listed, "ok that one")
    assert several.picked is None and "16 GB DDR4 or 16 GB DDR5" in several.question and len(several.candidates) == 2
    assert pick_listed(pc, ryzen, listed, "the i5 please") is None
