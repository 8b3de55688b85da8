"""Several values in one message, and changes to earlier answers (order core, no Rasa)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.core.values import ask_figure
from bot.core.extract import find_values
from bot.core.changes import apply_answers
from bot.core.pricing import price_so_far


def values(found) -> dict:
    return {option: parsed.value for option, parsed in found.values.items()}


@pytest.mark.parametrize("product, text, expected", [
    ("custom_pc", "a gaming PC with a 7800X3D, 32 gigs of DDR5 and a 2TB SSD",
     {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb"}),
    ("custom_pc", "Ryzen 7 7800X3D, RTX 4070 Super, mid tower, windows 11, 1tb",
     {"cpu": "ryzen7_7800x3d", "graphics": "rtx_4070_super", "case": "mid_tower", "os": "windows_11_home",
      "storage": "ssd_1tb"}),
    ("custom_pc", "i7 with 4080 super and linux", {"cpu": "core_i7_14700k", "graphics": "rtx_4080_super", "os": "ubuntu_24_04"}),
    ("tailored_shirt", "slim fit linen shirt, button-down collar, neck 15.5 inches",
     {"fit": "slim", "fabric": "linen_natural", "collar": "button_down", "neck": 39.4}),
    ("tailored_shirt", "3 shirts in white oxford with french cuffs, monogram JFK",
     {"quantity": 3, "fabric": "oxford_white", "cuffs": "french", "monogram": "JFK"}),
    ("tailored_shirt", "neck 39, chest 102, waist 86", {"neck": 39, "chest": 102, "waist": 86}),
    ("tailored_shirt", "light blue poplin, neck 15½\", sleeve 25 in",
     {"fabric": "poplin_light_blue", "neck": 39.4, "sleeve_length": 63.5}),
    ("conveyor", "12 metre conveyor, 600mm wide, for 40 kilos a metre", {"length": 12, "belt_width": 600, "load": 40}),
    # "about 40" is not a figure to store: the load is asked about (tests/core/test_numbers_hedges.py)
    ("conveyor", "12 metre conveyor, 600mm wide, for about 40 kilos a metre", {"length": 12, "belt_width": 600}),
    ("conveyor", "40 feet long, 1200 mm belt, rubber, 400V", {"length": 12.19, "belt_width": 1200, "belt": "rubber",
                                                             "power": "400v_three_phase"}),
    ("conveyor", "a conveyor for our bakery", {"environment": "food_grade"}),
])
def test_several_values_in_any_order(demo_catalog, product, text, expected):
    assert values(find_values(demo_catalog.product(product), text)) == expected


@pytest.mark.parametrize("product, text", [
    ("custom_pc", "I need a gaming PC"),
    ("tailored_shirt", "I'd like a nice shirt for a wedding"),
    ("conveyor", "we need something for moving boxes"),
    ("custom_pc", "34 inches"),  # no PC option is measured in inches
])
def test_nothing_is_guessed_from_a_message_that_names_no_value(demo_catalog, product, text):
    assert values(find_values(demo_catalog.product(product), text)) == {}


@pytest.mark.parametrize("product, focus, text, expected", [
    ("custom_pc", "memory", "actually make it 64GB", {"memory": "ddr5_64gb"}),
    ("tailored_shirt", "chest", "no wait, the neck is 40", {"neck": 40}),
    ("tailored_shirt", "fabric", "change the fabric to linen", {"fabric": "linen_natural"}),
    ("tailored_shirt", "collar", "spread", {"collar": "spread"}),  # a common word is fine as the answer asked for
    ("tailored_shirt", "neck", "15.5", {"neck": 39.4}),
    ("conveyor", "power", "400V", {"power": "400v_three_phase"}),
    ("conveyor", "belt_width", "400V", {"power": "400v_three_phase"}),  # "400V" is a voltage, not a width
    ("conveyor", "load", "forty kilos", {"load": 40}),
])
def test_the_question_asked_is_read_leniently(demo_catalog, product, focus, text, expected):
    catalog_product = demo_catalog.product(product)
    assert values(find_values(catalog_product, text, catalog_product.option(focus))) == expected


def test_an_unreadable_answer_says_why(demo_catalog):
    pc = demo_catalog.product("custom_pc")
    found = find_values(pc, "threadripper", pc.option("cpu"))
    assert found.values == {} and "not one of our CPU options" in found.focus_error.error
    conveyor = demo_catalog.product("conveyor")
    found = find_values(conveyor, "45 m", conveyor.option("length"))
    assert "out of range" in found.focus_error.error


PC = {"cpu": "core_i5_14400f", "memory": "ddr4_32gb", "storage": "ssd_1tb", "graphics": "rtx_4060"}


def test_a_new_answer_that_breaks_a_rule_is_refused(demo_catalog):
    pc = demo_catalog.product("custom_pc")
    applied = apply_answers(pc, {"cpu": "ryzen7_7800x3d"}, {"memory": "ddr4_32gb", "storage": "ssd_2tb"})
    assert applied.selections == {"cpu": "ryzen7_7800x3d", "storage": "ssd_2tb"}
    assert [v.option_id for v in applied.refused] == ["memory"]


def test_a_change_clears_the_earlier_answer_it_conflicts_with(demo_catalog):
    pc = demo_catalog.product("custom_pc")
    applied = apply_answers(pc, PC, {"cpu": "ryzen7_7800x3d"})
    assert applied.selections == {"cpu": "ryzen7_7800x3d", "storage": "ssd_1tb", "graphics": "rtx_4060"}
    assert [(c.option.id, c.old, c.new) for c in applied.changes] == [("cpu", "core_i5_14400f", "ryzen7_7800x3d")]
    assert [(c.option.id, c.old) for c in applied.cleared] == [("memory", "ddr4_32gb")]


def test_a_longer_conveyor_clears_the_power_supply_a_bigger_motor_rules_out(demo_catalog):
    conveyor = demo_catalog.product("conveyor")
    order = {"length": 12, "belt_width": 600, "load": 40, "belt": "rubber", "environment": "standard",
             "power": "230v_single_phase"}
    applied = apply_answers(conveyor, order, {"length": 30})
    assert [(c.option.id, c.old) for c in applied.cleared] == [("power", "230v_single_phase")]
    assert "power" not in applied.selections


def test_the_same_value_again_changes_nothing(demo_catalog):
    applied = apply_answers(demo_catalog.product("custom_pc"), PC, {"cpu": "core_i5_14400f"})
    assert applied.changes == [] and applied.selections == PC


def test_price_so_far_counts_what_is_decided(demo_catalog):
    pc = demo_catalog.product("custom_pc")
    # 99 assembly + 189 + 79 + 69 + 299 + 550 W PSU 69 (150 + 115 + 150 W)
    assert price_so_far(pc, PC) == Decimal("804.00")
    assert price_so_far(pc, {}) == Decimal("99.00")
    shirt = demo_catalog.product("tailored_shirt")
    assert price_so_far(shirt, {"fabric": "linen_natural", "cuffs": "french", "quantity": 2}) == Decimal("198.00")


@pytest.mark.parametrize("product, text, expected", [
    # A number word right before a figure counts what the figure measures (it was read as 1 m).
    ("conveyor", "do you do conveyors? need one 4 m long", {"length": 4}),
    ("conveyor", "I'd like one 6 metres long and 500 mm wide", {"length": 6, "belt_width": 500}),
    ("tailored_shirt", "two 100% linen shirts, neck 40", {"quantity": 2, "fabric": "linen_natural", "neck": 40}),
    # The same figure twice, in other words, is one figure.
    ("conveyor", "4 m long (4000 mm)", {"length": 4}),
    ("tailored_shirt", "neck 15.5 in (39.4 cm)", {"neck": 39.4}),
])
def test_a_count_word_before_a_figure_and_one_figure_said_twice(demo_catalog, product, text, expected):
    assert values(find_values(demo_catalog.product(product), text)) == expected


@pytest.mark.parametrize("product, text, option, said", [
    ("conveyor", "length 1 m, well it must be 4 m long", "length", ["1 m", "4 m"]),
    ("tailored_shirt", "neck 39, chest 102, neck 41", "neck", ["39", "41"]),
])
def test_two_different_figures_for_one_option_take_neither_and_ask(demo_catalog, product, text, option, said):
    found = find_values(demo_catalog.product(product), text)
    assert option not in found.values  # the first was kept without a word before
    problem = found.problems[option]
    assert problem.reason == "ambiguous" and all(figure in problem.error for figure in said), problem.error


def test_a_figure_labelled_with_something_the_product_lacks_is_said_not_taken_and_not_a_second_figure(demo_catalog):
    """"shoulders 46" beside the neck is not a second neck (no "which one is it?") and is
    not dropped either: the reply says it was not taken and what it is about, without
    asking for the neck that was just given."""
    shirt = demo_catalog.product("tailored_shirt")
    found = find_values(shirt, "neck 40, chest 104, waist 90, sleeve 65, shoulders 46, shirt length 78",
                        shirt.option("neck"))
    assert values(found)["neck"] == 40
    refused = found.problems["neck"]
    assert refused.reason == "other_subject" and '"shoulders 46"' in refused.error, refused.error
    assert "What is your neck" not in refused.error, refused.error


@pytest.mark.parametrize("focus, text, label", [
    ("neck", "shoulders 46", "the shoulders"),
    ("chest", "hips 104", "the hips"),
    ("chest", "my hip size 104", "your hip size"),
    ("chest", "shoulder width 46", "the shoulder width"),
    ("chest", "46 across the shoulders", "the shoulders"),
    ("chest", "104 cm for my husband", "your husband"),
    ("waist", "bicep 35", "the bicep"),
])
def test_a_measure_labelled_with_what_the_product_has_no_option_for_is_asked_again(demo_catalog, focus, text, label):
    """At the neck question "shoulders 46" was stored as the neck: a wrong order. A figure
    labelled with words the catalog entry never uses is not taken for the option asked."""
    shirt = demo_catalog.product("tailored_shirt")
    found = find_values(shirt, text, shirt.option(focus))
    assert not found.values, found.values
    assert found.focus_error.reason == "other_subject" and f"about {label}." in found.focus_error.error, \
        found.focus_error.error
    assert ask_figure(shirt.option(focus)) in found.focus_error.error  # the option's own figure is asked for


@pytest.mark.parametrize("focus, text, expected", [
    ("neck", "yeah 40", 40), ("neck", "ok so 40", 40), ("chest", "say 100", 100), ("neck", "nek 40", 40),
    ("neck", "collar 40", 40), ("neck", "40 for me", 40), ("sleeve_length", "arm 64", 64),
    ("waist", "waste 80", 80), ("neck", "oh sorry, 40", 40), ("neck", "slim fit 40", 40),
    ("neck", "the tailor said 40", 40), ("chest", "hmm 100", 100),
])
def test_words_that_label_nothing_or_the_option_itself_leave_the_figure_the_answer(demo_catalog, focus, text, expected):
    """Discourse words, a misspelt option name, a synonym or a value's name beside a figure
    do not make it about something else."""
    shirt = demo_catalog.product("tailored_shirt")
    found = find_values(shirt, text, shirt.option(focus))
    assert values(found)[focus] == expected and found.focus_error is None, (found.focus_error, found.problems)


@pytest.mark.parametrize("product, focus, text, expected, said", [
    # A bare figure beside a choice fits several measures: which one is asked, never guessed from its size.
    ("tailored_shirt", None, "I'd like a white oxford shirt, 104 cm", {"fabric": "oxford_white"},
     ["104 cm", "the chest", "the waist", "Please say which"]),
    ("tailored_shirt", "neck", "neck 40, 98", {"neck": 40}, ["98", "the chest", "Please say which"]),
    ("tailored_shirt", "neck", "40, and 41 for my brother", {"neck": 40}, ["41", "your brother"]),
    # Labelled with what the product has no option for: said to be about that.
    ("tailored_shirt", "chest", "neck 40, hips 104 cm", {"neck": 40}, ["104 cm", "hips", "about"]),
    # A count of a product that has no quantity: this order is one of them.
    ("conveyor", None, "two conveyors 4 m long", {"length": 4}, ["One order is for one Custom conveyor", "first of the 2"]),
    ("conveyor", "length", "2 conveyors, 4 m long", {"length": 4}, ["One order is for one", "first of the 2"]),
])
def test_a_figure_no_option_takes_is_refused_with_why_never_dropped(demo_catalog, product, focus, text, expected,
                                                                    said):
    item = demo_catalog.product(product)
    found = find_values(item, text, item.option(focus) if focus else None)
    assert values(found) == expected
    refused = [*found.unplaced, *found.problems.values(), *([found.focus_error] if found.focus_error else [])]
    errors = " ".join(figure.error for figure in refused)
    assert all(part in errors for part in said), errors
    assert refused and all(not figure.ok for figure in refused)


@pytest.mark.parametrize("product, text", [
    ("tailored_shirt", "can it be ready by March 15? neck 40"),   # a day of a date
    ("tailored_shirt", "neck 40, the 15th of May would be great"),
    ("custom_pc", "is the 4070 super enough?"),                          # a model number in a choice's name
    ("conveyor", "400 V three phase, 4 m long"),
])
def test_figures_that_are_not_measures_are_not_refused_as_unplaced(demo_catalog, product, text):
    assert find_values(demo_catalog.product(product), text).unplaced == []


@pytest.mark.parametrize("focus, text, option, said", [
    # "32 GB" begins the names of 32 GB DDR4 and 32 GB DDR5: the memory is asked about, not dropped
    (None, "a pc with the i5 and 32 gigs", "memory", ["32 GB DDR4", "32 GB DDR5"]),
    ("storage", "16gb and 2 tb", "memory", ["16 GB DDR4", "16 GB DDR5"]),
])
def test_a_figure_that_begins_several_value_names_asks_which(demo_catalog, focus, text, option, said):
    pc = demo_catalog.product("custom_pc")
    found = find_values(pc, text, pc.option(focus) if focus else None)
    problem = found.problems[option]
    assert problem.reason == "ambiguous" and all(name in problem.error for name in said), problem.error


def test_the_rules_and_the_same_messages_choices_narrow_a_figure_named_value(demo_catalog):
    """"a 7800x3d and 32 gigs": the Ryzen takes DDR5 only, so 32 GB DDR5 is taken, and said
    why; "PVC or Rubber, not sure yet" is left undecided though the load rules out PVC."""
    from bot.core.answers import within_rules

    pc = demo_catalog.product("custom_pc")
    text = "a 7800x3d and 32 gigs"
    found = within_rules(pc, {}, find_values(pc, text), None, text)
    assert values(found) == {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb"}
    assert "32 GB DDR4 would not fit" in found.values["memory"].note
    conveyor = demo_catalog.product("conveyor")
    text = "400 volt; PVC or Rubber, not sure yet"
    found = within_rules(conveyor, {"load": 90, "length": 8}, find_values(conveyor, text), None, text)
    assert "belt" not in found.values


@pytest.mark.parametrize("focus, text, makes, rough", [
    ("load", "each tray weighs about 6 kg and there are 3 per metre", "18 kg/m", True),
    ("load", "crates of 15 kg, two per metre", "30 kg/m", False),       # not a load of 15 kg/m
    ("belt_width", "500 mm; the parcels are 2 kg each, 10 a metre", "20 kg/m", False),
])
def test_a_weight_each_and_a_count_per_metre_offer_their_product_as_a_question(demo_catalog, focus, text, makes,
                                                                               rough):
    conveyor = demo_catalog.product("conveyor")
    found = find_values(conveyor, text, conveyor.option(focus))
    assert "load" not in found.values and not found.unplaced
    refused = found.focus_error if focus == "load" else found.problems["load"]
    assert f"makes {'about ' if rough else ''}{makes}" in refused.error and f'say "{makes}"' in refused.error, refused.error
    assert "about the there" not in refused.error


def test_a_weight_and_count_beside_the_load_confirm_it_or_ask_which(demo_catalog):
    conveyor = demo_catalog.product("conveyor")
    same = find_values(conveyor, "load 30 kg/m, crates of 15 kg, two per metre", conveyor.option("load"))
    assert values(same) == {"load": 30} and not same.unplaced and not same.problems
    other = find_values(conveyor, "load 40 kg/m, crates of 15 kg, two per metre", conveyor.option("load"))
    assert values(other) == {} and "which is it?" in other.focus_error.error, other.focus_error
