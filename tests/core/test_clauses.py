"""A message read clause by clause (order core, no Rasa): questions fill nothing, a pick
beside a question is taken, an option's "none" or its description words named in a clause
are taken, a split over the quantity is found, and what is left is marked not understood."""

from __future__ import annotations


import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.catalog import load_catalog
from bot.core.clauses import ClauseKind, read_message, split_reply
from bot.core.extract import find_values
from bot.core.questions import split_clauses
from tests.support.reading import read, taken


@pytest.mark.parametrize("product, focus, text", [
    # The issue's questions, whatever the NLU says of them ...
    ("custom_pc", "graphics", "is the 4070 super enough for resolve or do I need the 4080?"),
    ("custom_pc", "memory", "what's the difference between 16 and 32 for gaming?"),
    ("tailored_shirt", "neck", "how do I measure my neck?"),
    ("custom_pc", "cpu", "would the ryzen 7 be better?"),
    ("tailored_shirt", "fabric", "does the linen wrinkle?"),
    # ... and our own: no question mark, lead-ins, a bare value asked about, at the summary.
    ("custom_pc", "cpu", "so which is faster for compiling, the ryzen 9 or the i7"),
    ("custom_pc", "graphics", "the 4080 super?"),
    ("tailored_shirt", "fabric", "hmm, is twill warmer than oxford"),
    ("custom_pc", "storage", "do you think 1tb is enough for a few games?"),
    ("custom_pc", None, "would a full tower be quieter?"),
    ("tailored_shirt", "collar", "ok and what does a cutaway collar look like?"),
    ("conveyor", "length", "how long can it be, 12 m?"),
])
def test_a_question_fills_nothing(demo_catalog, product, focus, text):
    reading = read(demo_catalog, product, text, focus)
    assert taken(reading) == {} and reading.taken.problems == {}
    assert reading.asks and all(c.kind != ClauseKind.PICK for c in reading.clauses)


@pytest.mark.parametrize("product, focus, text, expected", [
    ("custom_pc", "graphics", "can I have the 4080?", {"graphics": "rtx_4080_super"}),
    ("custom_pc", "memory", "could you make it 64gb?", {"memory": "ddr5_64gb"}),
    ("custom_pc", "graphics", "I'll take the 4080 super, is that enough?", {"graphics": "rtx_4080_super"}),
    ("tailored_shirt", "fabric", "could I please get it in navy twill?", {"fabric": "twill_navy"}),
    ("custom_pc", "case", "full tower. when would it be ready if I order today?", {"case": "full_tower"}),
    ("tailored_shirt", "fabric", "linen please - does it wrinkle a lot?", {"fabric": "linen_natural"}),
])
def test_a_clear_pick_beside_or_inside_a_question_is_taken(demo_catalog, product, focus, text, expected):
    reading = read(demo_catalog, product, text, focus)
    assert taken(reading) == expected


def test_the_pick_is_taken_and_the_question_beside_it_kept_to_answer(demo_catalog):
    reading = read(demo_catalog, "custom_pc", "full tower. when would it be ready if I order today?", "case")
    assert [c.kind for c in reading.clauses] == [ClauseKind.PICK, ClauseKind.QUESTION]
    assert [c.text for c in reading.questions] == ["when would it be ready if I order today"]


def test_a_value_named_only_in_the_question_is_not_taken_beside_a_pick(demo_catalog):
    reading = read(demo_catalog, "custom_pc", "32gb ddr5, and would the 4080 super fit a compact case?", "memory")
    assert taken(reading) == {"memory": "ddr5_32gb"}
    assert set(reading.dropped) == {"graphics", "case"}


@pytest.mark.parametrize("product, focus, text, expected", [
    ("custom_pc", "storage", "2tb and skip the graphics card", {"storage": "ssd_2tb", "graphics": "none"}),
    ("custom_pc", "storage", "2 tb, without a graphics card", {"storage": "ssd_2tb", "graphics": "none"}),
    ("custom_pc", "case", "mid tower, and I don't need an operating system", {"case": "mid_tower", "os": "none"}),
    ("tailored_shirt", "collar", "spread collar and normal buttoned cuffs", {"collar": "spread", "cuffs": "barrel"}),
])
def test_a_clause_naming_an_option_gives_its_value_or_none(demo_catalog, product, focus, text, expected):
    assert taken(read(demo_catalog, product, text, focus)) == expected


def test_a_value_read_from_description_words_is_said_back(demo_catalog):
    reading = read(demo_catalog, "tailored_shirt", "spread collar and normal buttoned cuffs", "collar")
    assert reading.taken.values["cuffs"].note == 'I took "normal buttoned cuffs" as Barrel for the cuffs'


def test_an_option_named_with_words_that_name_no_value_says_which_part(demo_catalog):
    reading = read(demo_catalog, "tailored_shirt", "spread collar and cuffs with little pearls", "collar")
    assert taken(reading) == {"collar": "spread"}
    problem = reading.taken.problems["cuffs"]
    assert 'I didn\'t understand "cuffs with little pearls" for the cuffs' in problem.error
    assert "Barrel or French" in problem.error


def test_changing_an_option_without_a_value_names_it(demo_catalog):
    reading = read(demo_catalog, "custom_pc", "change the storage")
    assert [option for _, option in reading.named_without_value()] == ["storage"]
    assert taken(reading) == {} and reading.unclear() == []


def test_two_changes_at_the_summary_are_both_read(demo_catalog):
    reading = read(demo_catalog, "custom_pc", "change the cpu to the ryzen 5 and the memory to 64gb")
    assert taken(reading) == {"cpu": "ryzen5_7600", "memory": "ddr5_64gb"}
    assert reading.split == {}


@pytest.mark.parametrize("text, focus, expected", [
    ("can 1 of them be linen and the other 2 in the light blue poplin?", None,
     {"fabric": [(1, "linen_natural"), (2, "poplin_light_blue")]}),
    ("two in white and one in blue", "fabric", {"fabric": [(2, "oxford_white"), (1, "poplin_light_blue")]}),
    ("make 3 of them navy twill, and 1 in linen", "fabric", {"fabric": [(3, "twill_navy"), (1, "linen_natural")]}),
])
def test_two_values_of_one_choice_with_counts_are_a_split(demo_catalog, text, focus, expected):
    reading = read(demo_catalog, "tailored_shirt", text, focus)
    assert reading.split == expected


def test_numbers_in_value_names_are_not_counts(demo_catalog):
    assert read(demo_catalog, "custom_pc", "the ryzen 5, not the ryzen 7", "cpu").split == {}


def test_the_split_reply_changes_nothing_and_offers_another_order(demo_catalog):
    shirt = demo_catalog.product("tailored_shirt")
    text = split_reply(shirt, {"fabric": [(1, "linen_natural"), (2, "poplin_light_blue")]})
    assert "One order holds one configuration" in text and "haven't changed anything" in text
    assert "1 × Linen, natural" in text and "2 × Poplin, light blue" in text and "another order" in text


@pytest.mark.parametrize("text, unclear", [
    ("the 7800X3D please, and make it snappy", ["make it snappy"]),
    ("2tb ssd, and my cat says hi", ["my cat says hi"]),
])
def test_a_part_that_is_neither_taken_nor_asked_is_unclear(demo_catalog, text, unclear):
    reading = read(demo_catalog, "custom_pc", text, "cpu")
    assert [c.text for c in reading.unclear()] == unclear


@pytest.mark.parametrize("text", ["the 7800X3D please, thanks", "ok, 32 gigs of ddr5 then", "hmm let me think, the i5"])
def test_asides_and_politeness_are_not_unclear(demo_catalog, text):
    assert read(demo_catalog, "custom_pc", text, "cpu").unclear() == []


@pytest.mark.parametrize("text, clauses", [
    ("neck 39,5 cm, chest 102", ["neck 39,5 cm", "chest 102"]),
    ("15.5 inches. and 1,200 mm?", ["15.5 inches", "1,200 mm"]),
    ("15 and a half", ["15 and a half"]),
    ("white oxford; slim and spread", ["white oxford", "slim", "spread"]),
])
def test_clauses_split_at_sentence_and_clause_marks_not_in_numbers(text, clauses):
    assert [part for part, _, _ in split_clauses(text)] == clauses


SHED = {
    "shop": {"name": "Sheds", "currency": "EUR", "delivery": "We deliver.", "delivery_countries": ["DE"]},
    "products": [{
        "id": "garden_shed", "name": "Garden shed", "synonyms": ["shed"], "lead_time_days": 10, "currency": "EUR",
        "base_price": 500,
        "options": [
            {"id": "roof", "name": "Roof", "kind": "choice", "values": [
                {"id": "felt", "name": "Bitumen felt", "price": 0, "synonyms": ["felt"]},
                {"id": "shingles", "name": "Cedar shingles", "price": 300, "synonyms": ["shingles", "cedar"]}]},
            {"id": "floor", "name": "Floor", "kind": "choice", "values": [
                {"id": "none", "name": "No floor", "price": 0, "synonyms": ["none", "no floor"]},
                {"id": "plywood", "name": "Plywood floor", "price": 120, "synonyms": ["plywood"]}]},
            {"id": "sheds", "name": "Number of sheds", "synonyms": ["sheds"], "kind": "number", "unit": "sheds",
             "min": 1, "max": 5},
        ],
        "pricing": {"multiply_by": "sheds"},
    }],
}


@pytest.fixture(scope="module")
def shed_catalog(tmp_path_factory):
    path = tmp_path_factory.mktemp("shed") / "catalog.yml"
    path.write_text(yaml.safe_dump(SHED))
    return load_catalog(path)


def test_a_product_the_code_has_never_seen_is_read_the_same_way(shed_catalog):
    assert taken(read(shed_catalog, "garden_shed", "are cedar shingles worth it?", "roof")) == {}
    assert taken(read(shed_catalog, "garden_shed", "felt, and skip the floor", "roof")) == {"roof": "felt", "floor": "none"}
    assert taken(read(shed_catalog, "garden_shed", "could I get the shingles?", "roof")) == {"roof": "shingles"}
    split = read(shed_catalog, "garden_shed", "2 with felt and 1 with cedar shingles", "roof").split
    assert split == {"roof": [(2, "felt"), (1, "shingles")]}


QUESTION_FORMS = ["is the {} any good?", "what's the {} like", "does the {} cost extra?", "how is {} different?",
                  "would {} be better for me?", "{}?"]
PICK_FORMS = ["can I have the {}?", "I'll take {}, is that ok?", "could you make it {} please"]


def catalog_values(catalog):
    return [(p.id, o.id, v) for p in catalog.products for o in p.options if o.kind == "choice" for v in o.values]


def test_every_value_asked_about_fills_nothing_and_every_clear_pick_is_taken(demo_catalog):
    """Over every choice value of every product: a question naming it takes nothing; a pick
    naming it takes it (when the value's name alone names it at all)."""
    wrong = []
    for product_id, option_id, value in catalog_values(demo_catalog):
        product = demo_catalog.product(product_id)
        alone = find_values(product, value.name, product.option(option_id)).values.get(option_id)
        for form in QUESTION_FORMS:
            reading = read(demo_catalog, product_id, form.format(value.name), option_id)
            if reading.taken.values:
                wrong.append(form.format(value.name))
        if alone is None or not alone.ok:
            continue
        for form in PICK_FORMS:
            got = taken(read(demo_catalog, product_id, form.format(value.name), option_id)).get(option_id)
            if got != value.id and value.in_stock:
                wrong.append(f"{form.format(value.name)} -> {got}")
    assert wrong == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_any_text_is_read_without_error(demo_catalog, text):
    product = demo_catalog.product("tailored_shirt")
    reading = read_message(product, text, find_values(product, text, product.option("fabric")), product.option("fabric"))
    assert set(reading.taken.values) <= set(product.option_ids)


@pytest.mark.parametrize("text", [
    "i was thinking the 4070 super but not sure, is it good for streaming?",
    "maybe the rx 7800 xt? or is that loud",
    "I like the 4060, but would the 4070 super be better?",
])
def test_a_value_still_being_decided_on_beside_a_question_is_not_taken(demo_catalog, text):
    assert taken(read(demo_catalog, "custom_pc", text, "graphics")) == {}


def test_a_picking_word_keeps_the_pick_beside_a_comparison(demo_catalog):
    reading = read(demo_catalog, "custom_pc", "I'll take the rx 7800 xt, is it better than the 4070 super?", "graphics")
    assert taken(reading) == {"graphics": "rx_7800_xt"}


@pytest.mark.parametrize("text, focus, expected, refused", [
    ("the 4070 super, and I don't want windows", "graphics", {"graphics": "rtx_4070_super"}, ["os"]),
    ("not the 4060, the 4070 super", "graphics", {"graphics": "rtx_4070_super"}, []),
    ("mid tower but no windows, ubuntu instead", "case", {"case": "mid_tower", "os": "ubuntu_24_04"}, []),
    ("no graphics card", "graphics", {"graphics": "none"}, []),  # a value's own name that starts with "no"
    ("no wait the 4070 super", "graphics", {"graphics": "rtx_4070_super"}, []),
    ("linux instead of windows", "os", {"os": "ubuntu_24_04"}, []),
])
def test_a_value_turned_down_is_not_taken(demo_catalog, text, focus, expected, refused):
    reading = read(demo_catalog, "custom_pc", text, focus)
    assert taken(reading) == expected and list(reading.taken.problems) == refused


@pytest.mark.parametrize("text", ["skip it", "none for now", "no thanks", "I'll skip that one"])
def test_a_none_answer_to_a_question_with_a_none_value_takes_it(demo_catalog, text):
    assert taken(read(demo_catalog, "custom_pc", text, "graphics")) == {"graphics": "none"}


def test_a_none_answer_read_from_words_of_refusal_says_what_it_took(demo_catalog):
    reading = read(demo_catalog, "custom_pc", "skip it", "graphics")
    assert reading.taken.values["graphics"].note == "I took that as No graphics card"


def test_a_split_in_common_words_is_found_at_the_summary(demo_catalog):
    reading = read(demo_catalog, "tailored_shirt", "two in white and one in navy")
    assert reading.split == {"fabric": [(2, "oxford_white"), (1, "twill_navy")]}


@pytest.mark.parametrize("text, expected", [
    ("would like the 7800x3d", {"cpu": "ryzen7_7800x3d"}),
    ("will take the i7 then", {"cpu": "core_i7_14700k"}),
    ("can do the ryzen 9", {"cpu": "ryzen9_7950x"}),
    ("would rather have the ryzen 5", {"cpu": "ryzen5_7600"}),
])
def test_a_statement_without_its_subject_is_not_a_question(demo_catalog, text, expected):
    assert taken(read(demo_catalog, "custom_pc", text, "cpu")) == expected


def test_narrowing_an_ambiguous_answer_keeps_a_split_beside_it():
    # within_rules rebuilds the extraction: a split found in the same message must survive it.
    from bot.core.answers import within_rules
    from bot.local import ROOT

    pc = load_catalog(ROOT / "catalog.yml").product("custom_pc")
    memory = pc.option("memory")
    found = find_values(pc, "ddr4", memory)
    found.split = {"storage": [(1, "ssd_1tb"), (1, "ssd_2tb")]}
    narrowed = within_rules(pc, {"cpu": "ryzen5_7600"}, found, memory, "ddr4")
    assert narrowed is not found and narrowed.split == found.split


@pytest.fixture(scope="module")
def windowed_shed(tmp_path_factory):
    """The garden shed of the new-product tests: width, depth, roof and a yes/no window."""
    from tests.core.test_cues import SHED as WINDOWED_SHED

    path = tmp_path_factory.mktemp("windowed") / "catalog.yml"
    path.write_text(yaml.safe_dump(WINDOWED_SHED))
    return load_catalog(path)


@pytest.mark.parametrize("text, window", [
    ("felt, no window", False), ("felt, no windows", False), ("felt, window: no", False),
    ("felt and window no thanks", False),  # "and" before the name once read as yes
    ("felt, I don't want a window", False),  # "want" before the name once read as yes
    ("felt, we don't need a window", False), ("felt, skip the window", False), ("felt, no to the window", False),
    ("felt, window not needed", False), ("felt. No window.", False),
    ("felt, with a window", True), ("felt, with windows", True), ("felt and window yes", True),
    ("felt roof, yes to the window", True), ("felt, and a window would be nice", True),
])
def test_a_yes_no_option_beside_another_answer_is_read_from_its_own_part_and_said_back(windowed_shed, text, window):
    from bot.core.answers import take_answers

    product = windowed_shed.product("garden_shed")
    reading = read(windowed_shed, "garden_shed", text, "roof")
    assert taken(reading) == {"roof": "felt", "window": window}
    reply = take_answers(product, {"width": 3, "depth": 2.5}, reading.taken, product.option("roof")).reply
    assert f"Window: {'yes' if window else 'no'}" in reply, reply


@pytest.mark.parametrize("text, said", [("felt, maybe a window", "maybe a window"), ("felt, window", "window")])
def test_a_yes_no_option_named_unsure_or_without_a_yes_or_no_is_asked_never_set(windowed_shed, text, said):
    reading = read(windowed_shed, "garden_shed", text, "roof")
    assert taken(reading) == {"roof": "felt"}
    problem = reading.taken.problems["window"]
    assert f'You said "{said}"' in problem.error and "?" in problem.error


def test_a_yes_no_answer_beside_a_change_gets_its_own_line(windowed_shed):
    """ "no window" answering the question asked, beside a change: said back on a line of
    its own, not left to the summary that follows."""
    from bot.core.answers import take_answers

    product = windowed_shed.product("garden_shed")
    before = {"width": 3, "depth": 2.5, "roof": "felt"}
    reading = read(windowed_shed, "garden_shed", "no window, and make it 2.5 m wide", "window")
    reply = take_answers(product, before, reading.taken, product.option("window")).reply
    assert "Got it: Window: no." in reply and "Width: 3 m -> 2.5 m" in reply, reply
