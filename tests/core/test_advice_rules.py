"""Questions answered beside the order's choices (issue 10, points 3 and 9): a comparison or a
recommendation never offers a value the rules exclude as if it fitted, "do I need DDR5 for
that?" is answered from the rules, two figures of a number option are compared with what
the bigger costs, "how many can I order?" gets the count an order may hold, and a question
naming values takes none of them. Nothing here chooses a value."""

from __future__ import annotations

import pytest

from bot.core.catalog import Catalog, load_catalog
from bot.core.clauses import read_message
from bot.core.extract import find_values
from bot.core.knowledge import AnswerKind, answer, knowledge_of
from bot.core.knowledge_answers import values_named
from bot.local import ROOT
from tests.core.test_cues import SHED, product_from

RYZEN = {"cpu": "ryzen7_7800x3d"}
INTEL = {"cpu": "core_i5_14400f"}


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog(ROOT / "catalog.yml")


@pytest.mark.parametrize("text", [
    "what's the difference between 16 and 32 gb?", "16 or 32 gigs, which is better?",
    "how does 16gb compare to 32gb for gaming?",
])
def test_a_comparison_beside_a_ryzen_leaves_the_ddr4_out_and_says_why(demo, text):
    found = answer(demo, text, demo.product("custom_pc"), chosen=RYZEN)
    listed = found.text.split("would not fit")[0]
    assert "16 GB DDR5" in listed and "32 GB DDR5" in listed, found.text
    assert "- **16 GB DDR4**" not in found.text and "- **32 GB DDR4**" not in found.text, found.text
    assert "AMD Ryzen 7 7800X3D" in found.text and "DDR5 memory only" in found.text, found.text
    assert {topic.key for topic in found.topics} <= {"ddr5_16gb", "ddr5_32gb", "ddr5_64gb"}


def test_without_a_choice_the_comparison_lists_every_value_named(demo):
    found = answer(demo, "what's the difference between 16 and 32 gb?", demo.product("custom_pc"))
    assert all(name in found.text for name in ("16 GB DDR4", "32 GB DDR4", "16 GB DDR5", "32 GB DDR5")), found.text
    assert "would not fit" not in found.text


def test_the_values_a_question_names_beside_another_option_are_judged_beside_it(demo):
    """"ddr4 or ddr5 for a ryzen 5?" outside an order: the Ryzen 5 is the question's, not
    the customer's choice ("with the", not "with your")."""
    found = answer(demo, "ddr4 or ddr5 for a ryzen 5?", demo.product("custom_pc"))
    assert "With the AMD Ryzen 5 7600" in found.text and "- **16 GB DDR4**" not in found.text, found.text


def test_a_recommendation_for_a_use_leaves_out_what_the_rules_exclude(demo):
    found = answer(demo, "which memory is best for video editing?", demo.product("custom_pc"), chosen=RYZEN)
    assert found.kind == AnswerKind.RECOMMENDATION
    row = next(line for line in found.text.splitlines() if line.startswith("- Memory"))
    assert "DDR4" not in row and "32 GB DDR5" in row, found.text
    assert "32 GB DDR4 would not fit" in found.text, found.text


def test_asking_for_a_value_the_rules_exclude_lists_it_with_why_and_what_fits(demo):
    found = answer(demo, "can I get ddr4 instead?", demo.product("custom_pc"), chosen=RYZEN)
    assert "would not fit" in found.text and "These fit: 16 GB DDR5" in found.text, found.text
    assert "costs" not in found.text  # no price difference between two values that cannot be had


@pytest.mark.parametrize("text, chosen, opening, said", [
    ("do I need ddr5 for that?", RYZEN, "Yes:", "With your AMD Ryzen 7 7800X3D"),
    ("is ddr5 required with this cpu?", RYZEN, "Yes:", "DDR5 memory only"),
    ("do I need ddr5 for that?", INTEL, "No, you don't have to", "every memory option fits"),
    ("do I need ddr5 with the ryzen 9?", {}, "Yes:", "With the AMD Ryzen 9 7950X"),
    ("do i have to take ddr4 with the ryzen 7?", {}, "No:", "would not fit"),
    ("do I need ddr5?", {}, "It depends on the rest of the order", "DDR5 memory only"),
])
def test_do_i_need_is_answered_from_the_rules(demo, text, chosen, opening, said):
    found = answer(demo, text, demo.product("custom_pc"), chosen=chosen)
    assert found.text.startswith(opening) and said in found.text, found.text
    assert found.known


def test_a_question_about_a_value_is_not_a_requirement(demo):
    """"how many cores does the ryzen 9 have?" shares "does ... have" with "does it have to be"."""
    found = answer(demo, "how many cores does the ryzen 9 have?", demo.product("custom_pc"), chosen=INTEL)
    assert "16 cores" in found.text and "you don't have to" not in found.text, found.text


def test_a_number_glued_to_a_word_names_only_with_that_word(demo):
    product = demo.product("custom_pc")
    named = values_named(product, "do I need ddr5 with the ryzen 7?")
    assert [v.id for v in named["cpu"]] == ["ryzen7_7800x3d"]  # not the Ryzen 5 of "ddr5"
    assert {v.id for v in named["memory"]} == {"ddr5_16gb", "ddr5_32gb", "ddr5_64gb"}
    assert "cpu" not in values_named(product, "do I need ddr5?")


def test_two_widths_are_compared_with_what_the_wider_costs(demo):
    conveyor = demo.product("conveyor")
    width = conveyor.option("belt_width")
    found = answer(demo, "what's the difference between 500 and 600 mm?", conveyor, focus=width, chosen={"length": 3})
    assert found.kind == AnswerKind.COMPARISON
    # the frame and belt line: 3 m x 0.4 x 100 mm more
    assert "600 mm costs €120.00 more than 500 mm" in found.text, found.text
    assert width.help in found.text


def test_what_a_figure_costs_waits_for_the_option_it_is_priced_with(demo):
    conveyor = demo.product("conveyor")
    found = answer(demo, "500 vs 600 mm, what's the difference?", conveyor, focus=conveyor.option("belt_width"))
    assert "depends on the length, not given yet" in found.text, found.text
    assert "costs" not in found.text


def test_a_bigger_load_says_the_motor_it_brings(demo):
    conveyor = demo.product("conveyor")
    found = answer(demo, "what is the difference between 40 and 80 kg/m?", conveyor, focus=conveyor.option("load"),
                   chosen={"length": 12, "belt_width": 600})
    assert "80 kg/m costs €300.00 more than 40 kg/m" in found.text and "the motor goes from" in found.text, found.text


def test_a_figure_the_option_cannot_take_is_refused_with_what_it_can(demo):
    conveyor = demo.product("conveyor")
    found = answer(demo, "what's the difference between 500 and 650 mm?", conveyor, focus=conveyor.option("belt_width"))
    assert "650 mm is out of range" in found.text and "300, 400, 500, 600" in found.text, found.text


def test_a_figure_a_rule_excludes_beside_the_order_is_said(tmp_path):
    """A product the code has never seen: the shed's cedar shingles need 2 m of width."""
    shed = product_from(tmp_path, SHED, "garden_shed")
    catalog = load_catalog(tmp_path / "catalog.yml")
    found = answer(catalog, "what's the difference between 1.8 and 2.5 m?", shed, focus=shed.option("width"),
                   chosen={"roof": "cedar_shingles"})
    assert "1.8 m would not fit: Cedar shingles need a shed at least 2 m wide." in found.text, found.text
    assert "up to you" not in found.text  # a measurement is not a pick from a list


@pytest.mark.parametrize("product_id, text, said", [
    ("tailored_shirt", "how many can I order at once?", "From 1 to 20 shirts in one order"),
    ("tailored_shirt", "is there a limit on quantity?", "From 1 to 20 shirts"),
    ("conveyor", "how many can I order at once?", "One Custom conveyor per order"),
    ("conveyor", "can I order 3 at once", "as another order"),
])
def test_how_many_an_order_holds(demo, product_id, text, said):
    found = answer(demo, text, demo.product(product_id))
    assert said in found.text and found.known, found.text


def test_how_many_outside_an_order_is_said_per_product(demo):
    found = answer(demo, "what's the maximum number per order?")
    assert "- Custom PC: one per order" in found.text and "- Made-to-measure shirt: from 1 to 20 shirts" in found.text


def test_paying_for_an_order_is_not_a_count(demo):
    assert answer(demo, "how do I pay for my order?").kind != AnswerKind.HELP


@pytest.mark.parametrize("text", [
    "what's the difference between 16 and 32 gb?", "is 16 enough or do I need 32 gb?", "which is better, 16 or 32 gb?",
])
def test_a_question_naming_values_takes_none_of_them(demo, text):
    product = demo.product("custom_pc")
    focus = product.option("memory")
    reading = read_message(product, text, find_values(product, text, focus), focus)
    assert reading.taken.values == {} and reading.taken.focus_error is None and reading.asks


@pytest.mark.parametrize("text", ["put AK on the cuff", "can you stitch JD somewhere"])
def test_capitals_only_the_monogram_takes_are_asked_about_never_set(demo, text):
    product = demo.product("tailored_shirt")
    found = find_values(product, text, product.option("fabric"))
    assert "monogram" not in found.values
    assert "is that for the monogram?" in found.problems["monogram"].error


@pytest.mark.parametrize("text", ["OK linen", "LINEN PLEASE", "linen, ASAP", "the 32 GB one"])
def test_capitals_that_are_not_initials_are_not_asked_about(demo, text):
    product = demo.product("tailored_shirt")
    assert "monogram" not in find_values(product, text, product.option("fabric")).problems


@pytest.mark.parametrize("text, letters", [("linen, with my initials AK", "AK"), ("initials are jd", "JD")])
def test_initials_are_the_monogram(demo, text, letters):
    """The catalog calls the monogram "initials" too (a synonym: no code)."""
    product = demo.product("tailored_shirt")
    assert find_values(product, text, product.option("fabric")).values["monogram"].value == letters


@pytest.mark.parametrize("text, chosen, said", [
    ("would the compact case fit that card?", {"graphics": "rtx_4080_super"},
     "No: with your GeForce RTX 4080 Super, the Compact would not fit"),
    ("can the compact case take a 4080?", {}, "No: with the GeForce RTX 4080 Super, the Compact would not fit"),
    ("can the full tower take a 4080?", {}, "Yes: the Full tower fits the GeForce RTX 4080 Super."),
])
def test_whether_a_value_fits_is_answered_from_the_rules(demo, text, chosen, said):
    """"Yes: the Custom PC can have the Compact" beside a 4080 Super (310 mm in a 280 mm case)
    was a wrong answer: the value is judged beside the order and the question's other values."""
    found = answer(demo, text, demo.product("custom_pc"), chosen=chosen)
    assert found.text.startswith(said), found.text
    if said.startswith("No"):
        assert "These case options fit: Mid tower" in found.text and "too long for this case" in found.text


def test_going_without_a_card_an_intel_f_cpu_needs_is_refused_with_why(demo):
    found = answer(demo, "can I go without a graphics card?", demo.product("custom_pc"), chosen=INTEL)
    assert found.text.startswith("No: with your Intel Core i5-14400F, No graphics card would not fit"), found.text


@pytest.mark.parametrize("product_id, text, said", [
    ("conveyor", "whats the longest conveyor you build?", "Length: from 1 to 30 m."),
    ("conveyor", "how long can the conveyor be?", "Length: from 1 to 30 m."),
    ("conveyor", "what's the widest belt?", "Belt width: one of 300, 400, 500"),
    ("conveyor", "what is the heaviest load it can carry?", "Load: from 5 to 150 kg/m."),
    ("tailored_shirt", "what is the biggest neck size you do?", "Neck: from 33 to 50 cm."),
    ("tailored_shirt", "how long can the sleeves be?", "Sleeve length: from 55 to 75 cm."),
])
def test_the_limits_of_a_number_option(demo, product_id, text, said):
    """The option by its name, a synonym, or the superlative of one of its own words: a new
    product's "deepest" or "tallest" works the same, from its catalog entry."""
    assert answer(demo, text, demo.product(product_id)).text.startswith(said)


def test_the_limits_of_a_product_the_code_has_never_seen(tmp_path):
    shed = product_from(tmp_path, SHED, "garden_shed")
    catalog = load_catalog(tmp_path / "catalog.yml")
    for text, said in [("what's the deepest shed you build?", "Depth"), ("how wide can it be at most?", "Width")]:
        found = answer(catalog, text, shed).text
        assert found.startswith(said) and "from 1.5 to 4 m" in found, found


@pytest.mark.parametrize("text", ["how long does it take?", "what's the cheapest belt?"])
def test_a_time_or_a_price_is_not_a_range(demo, text):
    assert not answer(demo, text, demo.product("conveyor")).text.startswith(("Length:", "Belt width:"))


def test_a_figure_naming_several_values_is_judged_for_the_use_not_compared(demo):
    """"is 32 gigs overkill for office stuff?": the 32 GB modules are not listed for the
    office; what is listed for it is said. Nothing is chosen."""
    found = answer(demo, "is 32 gigs overkill for office stuff?", demo.product("custom_pc"), chosen=INTEL)
    assert found.text.startswith("We don't list 32 GB DDR4 or 32 GB DDR5 for"), found.text
    assert "we also list: 16 GB DDR4 (€45.00) and 16 GB DDR5 (€59.00)" in found.text, found.text


def test_enough_beside_a_ryzen_says_yes_for_the_ddr5_only(demo):
    found = answer(demo, "is 16 gb enough for gaming?", demo.product("custom_pc"), chosen=RYZEN)
    assert found.text.startswith("Yes: we list 16 GB DDR5 for gaming.") and "16 GB DDR4 would not fit" in found.text
    assert "- **16 GB DDR4**" not in found.text


def test_which_of_two_for_a_use_is_not_answered_yes(demo):
    found = answer(demo, "which is best for gaming, 16 or 32?", demo.product("custom_pc"))
    assert found.text.startswith("We list") and "Yes" not in found.text.split("\n")[0], found.text


@pytest.mark.parametrize("product_id, focus, text, said", [
    ("conveyor", "length", "is 12 m possible?", "12 m is within what we make for the length (from 1 to 30 m)."),
    ("conveyor", "length", "is 40 m possible?", "40 m is out of range: the length must be from 1 to 30 m."),
    ("conveyor", "load", "could it carry 200 kg per metre?", "200 kg/m is out of range"),
    ("tailored_shirt", "sleeve_length", "would 64 be too long?", "64 cm is within what we make for the sleeve length"),
    ("tailored_shirt", "neck", "is 16 inches ok for the neck?", "40.6 cm (16 in) is within what we make for the neck"),
])
def test_one_figure_asked_about_is_said_to_be_within_what_is_made_or_why_not(demo, product_id, focus, text, said):
    """A figure in a question is never taken (tests/core/test_clauses.py); it is answered."""
    product = demo.product(product_id)
    assert answer(demo, text, product, focus=product.option(focus)).text.startswith(said)


def test_a_figure_a_rule_refuses_beside_the_order_is_said_with_the_rule(tmp_path):
    shed = product_from(tmp_path, SHED, "garden_shed")
    catalog = load_catalog(tmp_path / "catalog.yml")
    found = answer(catalog, "would 1.8 m wide work?", shed, focus=shed.option("depth"), chosen={"roof": "cedar_shingles"})
    assert found.text.startswith("1.8 m would not fit with your Cedar shingles: Cedar shingles need a shed at least "
                                 "2 m wide."), found.text


@pytest.mark.parametrize("text", ["can I get 2 shirts in different fabrics?", "can I pay in 3 installments?"])
def test_a_figure_beside_another_subject_is_not_a_measurement(demo, text):
    product = demo.product("tailored_shirt")
    assert "within what we make" not in answer(demo, text, product, focus=product.option("neck")).text


def test_a_word_of_the_orders_own_options_is_not_another_products_option(demo):
    """"would 64 be too long?" at the sleeve: "long" is the conveyor length's synonym too."""
    product = demo.product("tailored_shirt")
    found = answer(demo, "would 64 be too long?", product, focus=product.option("sleeve_length"))
    assert "Custom conveyor" not in found.text, found.text
    conveyor = demo.product("conveyor")
    assert "has no collar option" in answer(demo, "which collars do you offer", conveyor).text


def test_a_value_that_fits_is_said_to_fit_what_its_rules_read_only(demo):
    chosen = {"cpu": "core_i5_14400f", "graphics": "rtx_4060", "storage": "ssd_1tb"}
    found = answer(demo, "would the compact case fit that card?", demo.product("custom_pc"), chosen=chosen)
    assert found.text.startswith("Yes: the Compact fits your GeForce RTX 4060.\n"), found.text


@pytest.mark.parametrize("text, differing", [
    ("can I get 2 shirts in different fabrics?", "fabric"), ("could I order three with different collars", "collar"),
    ("can one shirt be linen and the other poplin?", "fabric"),
])
def test_items_of_one_order_differing_are_another_order(demo, text, differing):
    found = answer(demo, text, demo.product("tailored_shirt"))
    assert found.text.startswith("One order holds one configuration: all the shirts in it are made the same"), found.text
    assert f"with their own {differing}, as another order" in found.text


def test_a_comparison_of_two_values_is_not_a_mixed_order(demo):
    found = answer(demo, "is the twill different from the poplin?", demo.product("tailored_shirt"))
    assert found.kind == AnswerKind.COMPARISON, found.text


CONVEYOR = {"length": 5, "belt_width": 600, "load": 40, "belt": "pvc", "environment": "standard",
            "power": "230v_single_phase"}


@pytest.mark.parametrize("text, said", [
    ("would 800 mm cost much more?", "Instead of your 600 mm: €400.00 more, €3,620.00 in all."),
    ("what would 7 m cost?", "Instead of your 5 m: €1,080.00 more, €4,300.00 in all."),
    ("how much more for 80 kg/m?", "80 kg/m would not fit with your PVC: That belt cannot carry this load."),
])
def test_a_figure_asked_about_at_the_summary_says_what_it_would_do_to_the_price(demo, text, said):
    """No option is asked at the summary: the option is the one that takes the figure as typed."""
    assert said in answer(demo, text, demo.product("conveyor"), chosen=CONVEYOR).text



def test_a_figure_beside_a_limit_word_is_about_the_figure(demo):
    found = answer(demo, "what about 7 m long?", demo.product("conveyor"), chosen=CONVEYOR)
    assert found.text.startswith("7 m is within what we make for the length") and "Instead of your 5 m" in found.text


def test_two_figures_are_compared_whatever_kind_of_question_the_words_read_as(demo):
    found = answer(demo, "how much extra is 1000 vs 800 mm?", demo.product("conveyor"), chosen=CONVEYOR)
    assert "1000 mm costs €400.00 more than 800 mm" in found.text, found.text


def test_two_counts_are_not_compared_as_if_the_price_did_not_multiply(demo):
    found = answer(demo, "whats the cheapest, 2 or 3 shirts?", demo.product("tailored_shirt"))
    assert "Both cost the same" not in found.text, found.text


@pytest.mark.parametrize("text, said", [
    ("will a 4080 super fit in the compact?", "No: with the Compact, the GeForce RTX 4080 Super would not fit"),
    ("which cases can take the 4080?", "With the GeForce RTX 4080 Super, these case options fit: Mid tower"),
])
def test_a_verb_another_product_names_an_option_by_is_not_that_option(demo, text, said):
    """The shirt's option is called "Fit"; the PC's case descriptions say "Fits graphics cards"."""
    assert answer(demo, text, demo.product("custom_pc")).text.startswith(said)


def test_the_verb_use_is_not_a_use(demo):
    """"can I use ddr4 ...?" was judged for "home use"; "a pc for home use" still is."""
    knowledge = knowledge_of(demo)
    assert knowledge.uses_named("can I use ddr4 with a ryzen?") == []
    assert knowledge.uses_named("a pc for home use") == ["home use"]
    found = answer(demo, "can I use ddr4?", demo.product("custom_pc"), chosen={"cpu": "ryzen5_7600"})
    assert "home use" not in found.text and "would not fit" in found.text, found.text


@pytest.mark.parametrize("text, opening, said", [
    ("does amd need ddr5?", "Yes: AMD Ryzen processors (socket AM5) take DDR5 memory only.",
     "With any of the AMD Ryzen 5 7600, AMD Ryzen 7 7800X3D or AMD Ryzen 9 7950X"),
    ("is ddr5 a must with amd?", "Yes:", "these memory options fit"),
    ("do intel cpus need ddr5?", "No, you don't have to", "every memory option fits"),
])
def test_a_brand_names_its_values_as_a_group_and_the_rule_decides_which_is_asked(demo, text, opening, said):
    """"amd" is a word of three CPU names (not of all: that would be the option); of the two
    options named, the question is about the one the other narrows."""
    found = answer(demo, text, demo.product("custom_pc"))
    assert found.text.startswith(opening) and said in found.text, found.text


def test_two_groups_named_are_both_judged(demo):
    found = answer(demo, "amd or intel for gaming?", demo.product("custom_pc"))
    assert "Intel Core i5-14400F" in found.text.split("\n")[0] and "AMD Ryzen 5 7600" in found.text.split("\n")[0]
