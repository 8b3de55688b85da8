"""Wording the customer reads: amounts in the right number, lists that cannot be misread,
statuses in people's words, and the summary's price lines adding up."""

from __future__ import annotations

import pytest

from bot.core.catalog import load_catalog
from bot.core.phrases import amount, name_list, singular, unit_word
from bot.core.values import describe_valid, display_value, parse_answer
from bot.local import ROOT


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(ROOT / "catalog.yml")


@pytest.mark.parametrize("number, unit, said", [
    (1, "shirts", "1 shirt"), (2, "shirts", "2 shirts"), (1, "shirt", "1 shirt"), (3, "shirt", "3 shirts"),
    (1, "pieces", "1 piece"), (1, "boxes", "1 box"), (1, "cm", "1 cm"), (39.5, "cm", "39.5 cm"),
    (1, "m", "1 m"), (1, "kg/m", "1 kg/m"), (2, "W", "2 W"), (5, "", "5"),
])
def test_an_amount_has_its_unit_in_the_right_number(number, unit, said):
    assert amount(number, unit) == said


def test_one_of_a_counting_unit_is_singular():
    assert singular("shirts") == "shirt" and unit_word("shirts", 1) == "shirt" and unit_word("shirts", 0) == "shirts"


def test_quantity_one_is_one_shirt(catalog):
    quantity = catalog.product("tailored_shirt").option("quantity")
    assert display_value(quantity, 1) == "1 shirt"
    assert display_value(quantity, 2) == "2 shirts"


@pytest.mark.parametrize("names, conjunction, said", [
    (["A"], "or", "A"),
    (["A", "B"], "or", "A or B"),
    (["A", "B", "C"], "and", "A, B and C"),
    (["A", "B", "C"], "", "A, B, C"),
    (["Oxford cotton, white", "Poplin, light blue", "Linen, natural"], "or",
     "Oxford cotton, white; Poplin, light blue; or Linen, natural"),
    (["Oxford cotton, white", "Linen, natural"], "and", "Oxford cotton, white; and Linen, natural"),
    ([], "and", ""),
])
def test_a_list_of_names_cannot_be_misread(names, conjunction, said):
    assert name_list(names, conjunction) == said


def test_the_fabric_list_parts_names_that_have_commas(catalog):
    fabric = catalog.product("tailored_shirt").option("fabric")
    text = describe_valid(fabric)
    assert "Oxford cotton, white; Poplin, light blue;" in text
    assert "white, Poplin" not in text and "blue, Linen" not in text
    refused = parse_answer(fabric, "silk")
    assert "white, Poplin" not in refused.error


# --- no "did you mean" about values the rules exclude ------------------------------------


def memory_answer(catalog, text, selections):
    from bot.core.answers import within_rules
    from bot.core.extract import find_values

    pc = catalog.product("custom_pc")
    memory = pc.option("memory")
    return within_rules(pc, selections, find_values(pc, text, memory), memory, text)


@pytest.mark.parametrize("text, taken", [("32 gb", "ddr5_32gb"), ("16 gigs", "ddr5_16gb"), ("32", "ddr5_32gb")])
def test_one_candidate_left_by_the_rules_is_taken_and_said(catalog, text, taken):
    found = memory_answer(catalog, text, {"cpu": "ryzen5_7600"})
    assert found.focus_error is None
    assert found.values["memory"].value == taken
    note = found.values["memory"].note
    assert "DDR4 would not fit" in note and "take DDR5 memory only" in note and "Did you mean" not in note


def test_candidates_the_rules_allow_are_still_asked_about(catalog):
    found = memory_answer(catalog, "32 gb", {"cpu": "core_i5_14400f"})  # the i5 takes both
    assert found.focus_error.error == "Did you mean 32 GB DDR4 or 32 GB DDR5?"
    assert [v.id for v in found.focus_error.candidates] == ["ddr4_32gb", "ddr5_32gb"]


def test_when_the_rules_exclude_every_candidate_the_reason_and_what_works_are_said(catalog):
    found = memory_answer(catalog, "ddr4", {"cpu": "ryzen5_7600"})
    assert "memory" not in found.values
    error = found.focus_error.error
    assert "Did you mean" not in error and "take DDR5 memory only" in error
    assert "16 GB DDR5, 32 GB DDR5 or 64 GB DDR5" in error
    assert [v.id for v in found.focus_error.candidates] == ["ddr5_16gb", "ddr5_32gb", "ddr5_64gb"]


def test_a_lead_time_of_one_day_is_one_business_day(catalog):
    from bot.core.pricing import quote
    from bot.core.wording import lead_time_text, summary_text
    from tests.support.trackers import FULL_PC

    pc = catalog.product("custom_pc").copy(update={"lead_time_days": 1})
    assert summary_text(pc, FULL_PC, quote(pc, FULL_PC)).endswith("Lead time: 1 business day.")
    assert "- Custom PC: 1 business day (ready around" in lead_time_text([pc])
    assert "7 business days" in lead_time_text([catalog.product("custom_pc")])


def test_the_summary_shows_the_customers_figure_beside_the_shops(catalog):
    """Both units (issue 10, 6b): a converted figure is said in the shop's unit with the
    customer's own beside it; figures given in the shop's unit, and choices, as they are."""
    from bot.core.extract import find_values
    from bot.core.pricing import quote
    from bot.core.wording import summary_text

    shirt = catalog.product("tailored_shirt")
    neck = parse_answer(shirt.option("neck"), "15.5 in")
    chest = find_values(shirt, "my chest is 40 inches", shirt.option("chest")).values["chest"]
    selections = {"fabric": "twill_navy", "fit": "regular", "collar": "spread", "cuffs": "barrel", "neck": neck.value,
                  "chest": chest.value, "waist": 88, "sleeve_length": 64, "shirt_length": 76, "monogram": None,
                  "quantity": 1}
    typed = {"neck": neck.typed, "chest": chest.typed, "waist": ""}
    text = summary_text(shirt, selections, quote(shirt, selections), typed)
    assert "- Neck: 39.4 cm (15.5 in)\n" in text
    assert f"- Chest: {display_value(shirt.option('chest'), chest.value)} (40 in" in text
    assert "- Waist: 88 cm\n" in text and "- Fabric: Twill, navy\n" in text
    assert summary_text(shirt, selections, quote(shirt, selections)).count("(15.5 in)") == 0  # without: as before


def test_what_was_typed_follows_the_answers(catalog):
    """typed_after: the figure as typed goes with its answer, and goes when the answer does."""
    from bot.core.changes import apply_answers, typed_after

    shirt = catalog.product("tailored_shirt")
    before = {"fabric": "twill_navy", "neck": 39.4, "chest": 101.6}
    typed = {"neck": "15.5 in", "chest": "40 in"}
    applied = apply_answers(shirt, before, {"neck": 41, "waist": 86.4, "fit": "slim"})
    assert typed_after(applied, typed, {"waist": "34 in", "neck": ""}) == {"chest": "40 in", "waist": "34 in"}
    unchanged = apply_answers(shirt, before, {"neck": 39.4})  # the same figure again: what was typed stays
    assert typed_after(unchanged, typed, {}) == typed
    pc = catalog.product("custom_pc")
    cleared = apply_answers(pc, {"cpu": "core_i5_14400f", "memory": "ddr4_16gb"}, {"cpu": "ryzen5_7600"})
    assert typed_after(cleared, {"memory": "sixteen gigs"}, {}) == {}  # a cleared answer loses it


def test_the_answer_to_the_question_asked_is_said_back_alone_and_beside_a_refusal(catalog):
    # "barrel cuffs, sleeve 34 in": the sleeve is refused, so the reply must also say the
    # cuffs were taken, or the customer cannot tell what of the message counted.
    from bot.core.answers import take_answers
    from bot.core.clauses import read_message
    from bot.core.extract import find_values

    shirt = catalog.product("tailored_shirt")
    selections = {"fabric": "linen_natural", "fit": "slim", "collar": "spread"}
    cuffs = shirt.option("cuffs")

    def reply_to(text):  # as the order form reads a message
        found = read_message(shirt, text, find_values(shirt, text, cuffs), cuffs).taken
        return take_answers(shirt, selections, found, cuffs)

    refused = reply_to("barrel cuffs, sleeve 34 in")
    assert "Got it: Cuffs: Barrel." in refused.reply and "out of range" in refused.reply
    alone = reply_to("barrel")
    # Alone too: every value taken is said back before the next question (was: unsaid).
    assert alone.reply == "Got it: Cuffs: Barrel."
    inches = take_answers(shirt, selections, find_values(shirt, "15.5 in", shirt.option("neck")), shirt.option("neck"))
    assert inches.reply == "15.5 in = 39.4 cm."  # the conversion says the value: not said twice
    # The last answer is said by the summary that follows it in the same reply.
    full = {"fabric": "linen_natural", "fit": "slim", "collar": "spread", "cuffs": "barrel", "neck": 39.5, "chest": 102,
            "waist": 86, "sleeve_length": 64, "shirt_length": 75, "monogram": None}
    quantity = shirt.option("quantity")
    assert take_answers(shirt, full, find_values(shirt, "2", quantity), quantity).reply == ""


def test_a_value_given_again_is_said_unchanged_not_met_with_silence(catalog):
    from bot.core.answers import take_answers
    from bot.core.extract import find_values

    conveyor = catalog.product("conveyor")
    before = {"length": 8, "belt_width": 500, "load": 18, "belt": "stainless_mesh", "environment": "food_grade"}
    taken = take_answers(conveyor, before, find_values(conveyor, "food grade", conveyor.option("power")),
                         conveyor.option("power"))
    assert taken.applied.selections == before
    assert taken.reply == "No change: the environment is already Food-grade.", taken.reply


@pytest.mark.parametrize("said", ["yes", "yes please", "sure", "Okay"])
def test_yes_to_a_text_option_asks_for_the_text_and_stores_nothing(catalog, said):
    from bot.core.values import parse_answer

    monogram = catalog.product("tailored_shirt").option("monogram")
    parsed = parse_answer(monogram, said)
    assert not parsed.ok and "what should it be?" in parsed.error, parsed  # "YES" was stored as the monogram
    assert parse_answer(monogram, "yes, JFK").value == "JFK" and parse_answer(monogram, '"YES"').value == "YES"
