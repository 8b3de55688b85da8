"""What a product is for, understood in the customer's words (issue 10, point 5): the uses of
catalog.yml matched by word form (bot/core/knowledge_index.Knowledge.uses_named), a quality
asked about answered from the values' descriptions (bot/core/advice.described_answer), and
the wording of the advice. Nothing here chooses a value.

The labelled phrasings below measure the use matcher: USES_TUNED is what the threshold was
chosen on, USES_HELD_OUT was written afterwards and never tuned on. Measured (the demo
catalog, USE_THRESHOLD 0.55), right / wrong / missed / false alarms on texts naming no use:
  the whole text against each use (before):        tuned 41/0/5/0 of 46, held out 18/0/2/0 of 20
  spans of plain words:                            tuned 42/0/4/1,        held out 18/1/1/0
  spans of Snowball stems, a span as long as the
  use at least (now):                              tuned 45/0/1/0,        held out 19/1/0/0
(the tuned miss is "on a budget" for "a budget build": one word for a use of two; the held-out
"wrong" is "a box for a hardcore gamer": "boxes" is a use too.)
Run `python -m tests.core.test_uses` for the figures at several thresholds.
"""

from __future__ import annotations

import sys
from typing import Dict, List, Set, Tuple

import pytest

from bot.core import knowledge_index
from bot.core.advice import uses_advice
from bot.core.catalog import Catalog, load_catalog
from bot.core.knowledge import UNKNOWN_TEXT, AnswerKind, answer, knowledge_of
from bot.local import ROOT

DEMO = ROOT / "catalog.yml"

# (text, the catalog uses it names)
USES_TUNED: List[Tuple[str, Set[str]]] = [
    ("a PC for a gamer", {"gaming"}), ("something for gamers", {"gaming"}), ("a pc for games", {"gaming"}),
    ("I'm into gaming", {"gaming"}), ("a rig for playing games", {"gaming"}),
    ("a pc for editing videos", {"video editing"}), ("I edit videos", {"video editing"}),
    ("a video editing machine", {"video editing"}), ("I'm a video editor", {"video editing"}),
    ("for editing my photos", {"photo editing"}), ("I'm a photographer, I edit photos", {"photo editing"}),
    ("a shirt for my wedding", {"weddings"}), ("something for weddings", {"weddings"}),
    ("I'm getting married, a shirt for the wedding", {"weddings"}), ("a shirt for a beach wedding", {"beach weddings"}),
    ("a shirt for the office", {"the office"}), ("for work at the office", {"the office", "office work"}),
    ("a pc for office work", {"office work"}), ("for travelling", {"travel"}), ("I travel a lot", {"travel"}),
    ("a shirt for summer", {"summer"}), ("for the summer holidays", {"summer", "holidays"}),
    ("for hot weather", {"hot weather"}), ("for my streams", {"streaming"}), ("I'm a streamer", {"streaming"}),
    ("for programming", {"programming"}), ("I'm a programmer", {"programming"}),
    ("for 3d rendering", {"3D rendering"}), ("I render 3d scenes", {"3D rendering"}),
    ("to run virtual machines", {"virtual machines"}), ("a conveyor for a bakery", {"bakeries"}),
    ("a conveyor for parcels", {"parcels"}), ("to move pallets", {"pallets"}), ("for heavy loads", {"heavy loads"}),
    ("for my recycling plant", {"recycling"}), ("for packaging", {"packaging"}), ("to carry boxes", {"boxes"}),
    ("for drying parts", {"drying"}), ("for cooling", {"cooling"}), ("for the food industry", {"food"}),
    ("a shirt for parties", {"parties"}), ("for evening wear", {"evening wear"}), ("for business", {"business"}),
    ("to wear with a suit", {"a suit"}), ("the most powerful", {"the most power"}), ("on a budget", {"a budget build"}),
]
NO_USE_TUNED: List[str] = [
    "a PC for my son please", "a shirt for me", "I want a conveyor", "a pc for my brother", "a new computer",
    "a shirt with a spread collar", "a conveyor for my warehouse", "hello there", "a pc please", "i need a shirt",
    "a shirt for my father", "a conveyor 10 m long", "a pc with 32gb of ram", "for my husband", "a shirt in blue",
    "the cheapest one", "a pc for my daughter", "quickly please", "something nice", "a gift for my wife",
]
USES_HELD_OUT: List[Tuple[str, Set[str]]] = [
    ("a gaming rig", {"gaming"}), ("a box for a hardcore gamer", {"gaming"}), ("my kid plays games", {"gaming"}),
    ("for cutting videos", {"video editing"}), ("video edits", {"video editing"}),
    ("a shirt for a friend's wedding", {"weddings"}), ("wedding guest shirt", {"weddings"}),
    ("for travel", {"travel"}), ("for the beach weddings this summer", {"beach weddings", "summer"}),
    ("shirts for the office", {"the office"}), ("for office use", {"the office", "office work"}),
    ("a streaming pc", {"streaming"}), ("for programmers", {"programming"}), ("for 3d renders", {"3D rendering"}),
    ("a conveyor for bakeries", {"bakeries"}), ("for moving parcels", {"parcels"}),
    ("for recycled material", {"recycling"}), ("for heavy things", {"heavy loads"}), ("for a party", {"parties"}),
    ("for winters", {"winter"}),
]
NO_USE_HELD_OUT: List[str] = [
    "a pc for my mum", "a shirt for my boyfriend", "for my company", "I want the best", "a conveyor for my factory",
    "a pc for my nephew", "something for christmas", "a pc for the living room", "a shirt for my dad",
    "a belt 600 mm wide",
]


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog(DEMO)


def measure(catalog: Catalog, named: List[Tuple[str, Set[str]]], none: List[str]) -> Dict[str, int]:
    """Right: the best use found is one named (others found are named or overlap them, like
    "beach weddings" beside "weddings"); wrong: uses found, none of them named."""
    knowledge = knowledge_of(catalog)
    right = wrong = missed = 0
    for text, expected in named:
        found = set(knowledge.uses_named(text))
        if found & expected:
            right += 1
        elif found:
            wrong += 1
        else:
            missed += 1
    false_alarms = sum(1 for text in none if knowledge.uses_named(text))
    return {"right": right, "wrong": wrong, "missed": missed, "false_alarms": false_alarms}


def test_the_labelled_uses_are_named_in_the_catalog(demo):
    listed = {use for p in demo.products for o in p.options for v in o.values for use in v.uses}
    assert {use for _, uses in USES_TUNED + USES_HELD_OUT for use in uses} <= listed


def test_uses_are_matched_by_word_form_on_the_tuned_set(demo):
    assert measure(demo, USES_TUNED, NO_USE_TUNED) == {"right": 45, "wrong": 0, "missed": 1, "false_alarms": 0}


def test_uses_are_matched_by_word_form_on_phrasings_never_tuned_on(demo):
    figures = measure(demo, USES_HELD_OUT, NO_USE_HELD_OUT)
    assert figures["right"] >= 19 and figures["false_alarms"] == 0, figures


@pytest.mark.parametrize("product_id, text, use, listed", [
    # new phrasings across the three products (issue 10's misses and others)
    ("custom_pc", "a PC for a gamer please", "gaming", "GeForce RTX 4060"),
    ("custom_pc", "I need something for gamers", "gaming", "AMD Ryzen 7 7800X3D"),
    ("custom_pc", "build me a pc, I'm editing videos for youtube", "video editing", "AMD Ryzen 9 7950X"),
    ("custom_pc", "a computer for my photo edits", "photo editing", "Intel Core i7-14700K"),
    ("custom_pc", "pc for a programmer", "programming", "Ubuntu 24.04 LTS"),
    ("tailored_shirt", "a shirt for my wedding", "weddings", "Poplin, light blue"),
    ("tailored_shirt", "a shirt I can wear when travelling", "travel", "Twill, navy"),
    ("tailored_shirt", "a shirt for the summer holidays", "summer", "Linen, natural"),
    ("conveyor", "a conveyor for our bakeries", "bakeries", "Stainless steel mesh"),
    ("conveyor", "a conveyor to move pallets around", "pallets", "Rubber"),
    ("conveyor", "a conveyor for parcel sorting", "parcels", "PVC"),
])
def test_the_use_an_order_starts_with_is_matched_by_word_form(demo, product_id, text, use, listed):
    found = uses_advice(demo, demo.product(product_id), text)
    assert found is not None and found.text.startswith("For ") and use in found.text.split(",")[0], found
    assert listed in found.text, found.text
    assert "The choice is yours" in found.text


@pytest.mark.parametrize("text", ["a shirt for my father", "a pc for my brother", "a PC for my son please",
                                  "a conveyor for my factory"])
def test_a_person_or_a_place_is_no_use(demo, text):
    """"father" and "brother" share "ather" with "hot weather": a span must be as long as the use."""
    assert knowledge_of(demo).uses_named(text) == []


def test_a_use_inside_a_longer_one_found_as_well_is_not_said_twice(demo):
    """"for my beach wedding" read "For beach weddings or weddings, our catalog lists"."""
    assert knowledge_of(demo).uses_named("a linen shirt for my beach wedding") == ["beach weddings"]
    assert set(knowledge_of(demo).uses_named("for the beach weddings this summer")) == {"beach weddings", "summer"}


@pytest.mark.parametrize("text, opening", [
    ("what do you recommend for my wedding?", "For weddings, our catalog lists:"),
    ("which fabric for the office?", "For the office, our catalog lists:"),
    ("which belt for a bakery?", "For bakeries, our catalog lists:"),
    ("what's your most powerful cpu?", "For the most power, our catalog lists:"),
])
def test_the_advice_reads_like_a_person_with_the_uses_own_text(demo, text, opening):
    """"For wedding our catalog lists ...": the use's own text from the catalog, written to follow
    "for", and a comma."""
    found = answer(demo, text, advice_first=True)
    assert found.kind == AnswerKind.RECOMMENDATION and found.text.startswith(opening), found.text


@pytest.mark.parametrize("text", ["which fabric is least likely to crease?", "which fabric wrinkles the least?",
                                  "I hate ironing, which fabric creases least", "does any of the fabrics not wrinkle"])
def test_a_quality_asked_about_is_answered_from_the_descriptions_that_speak_of_it(demo, text):
    """The twill "resists creasing and wrinkles", the linen "creases and wrinkles easily": both are
    quoted, neither chosen nor judged; the fabrics that say nothing of it are left out."""
    shirt = demo.product("tailored_shirt")
    found = answer(demo, text, shirt)
    assert found.kind == AnswerKind.DESCRIBED, found.text
    assert "Twill, navy" in found.text and "resists creasing" in found.text and "Linen, natural" in found.text
    assert "Oxford" not in found.text and "Poplin" not in found.text and "choice is yours" in found.text


@pytest.mark.parametrize("product_id, text, listed, left_out", [
    ("custom_pc", "which cpu has the most cores?", ["10 cores", "20 cores", "16 cores"], []),
    ("tailored_shirt", "which fabric is the softest", ["Twill, navy"], ["Linen", "Oxford"]),
    ("tailored_shirt", "which one breathes best in the heat, the fabric I mean", ["Linen, natural"], ["Twill"]),
])
def test_a_description_word_in_another_form_is_found(demo, product_id, text, listed, left_out):
    """"cores" beside the CPUs' "Core" names, "softest" beside "Soft", "breathes" beside
    "breathable": quoted from the descriptions, nothing chosen."""
    product = demo.product(product_id)
    found = answer(demo, text, product, advice_first=True, focus=product.options[0])
    assert found.kind == AnswerKind.DESCRIBED, found.text
    assert all(word in found.text for word in listed) and not any(word in found.text for word in left_out), found.text


@pytest.mark.parametrize("product_id, text, of", [
    ("tailored_shirt", "which fabric shrinks the least?", "fabric"),
    ("custom_pc", "is the case waterproof?", "case"),
    ("tailored_shirt", "which collar is the most waterproof?", "collar"),
])
def test_a_quality_no_description_speaks_of_is_said_unknown_beside_the_list(demo, product_id, text, of):
    """"which fabric shrinks the least?", "is the case waterproof?": no description says. The
    option's list alone would pass for an answer, and values picked by an unrelated word would
    be a guess: the catalog does not say (flagged for the team), and here is what it lists."""
    product = demo.product(product_id)
    found = answer(demo, text, product)
    assert found.kind == AnswerKind.NOT_SAID and not found.known, found.text
    assert f"doesn't say that of the {of}" in found.text and UNKNOWN_TEXT in found.text, found.text
    option = next(o for o in product.options if o.id == of)
    assert all(v.name in found.text for v in option.in_stock_values), found.text  # what can be chosen


@pytest.mark.parametrize("product_id, text, value", [
    ("custom_pc", "is the compact case quiet?", "Compact"),
    ("custom_pc", "is the full tower waterproof?", "Full tower"),
    ("tailored_shirt", "is the twill fireproof", "Twill, navy"),
])
def test_a_quality_of_one_value_the_catalog_does_not_give_is_not_answered_yes(demo, product_id, text, value):
    found = answer(demo, text, demo.product(product_id))
    assert found.kind == AnswerKind.NOT_SAID and f"doesn't say that of the {value}" in found.text, found.text
    assert "Yes" not in found.text and "We don't list it for" not in found.text, found.text


@pytest.mark.parametrize("product_id, text, said", [
    ("tailored_shirt", "does linen wrinkle?", "creases and wrinkles easily"),      # its description says
    ("custom_pc", "is the rtx 4060 ok for vidoe editing?", "We don't list it for video editing"),  # a use, misspelt
    ("conveyor", "is the rubber belt food safe?", "We don't list it for food"),
    ("custom_pc", "is the 4070 super good for gaming?", "So yes, we list it for gaming"),
])
def test_a_quality_the_catalog_speaks_of_is_answered_from_it(demo, product_id, text, said):
    found = answer(demo, text, demo.product(product_id))
    assert found.known and said in found.text, found.text


def _report(argv: List[str]) -> None:  # pragma: no cover - a measuring tool
    catalog = load_catalog(DEMO)
    for threshold in (0.45, 0.5, 0.55, 0.6, 0.65):
        knowledge_index.USE_THRESHOLD = threshold
        print(f"threshold {threshold}: tuned {measure(catalog, USES_TUNED, NO_USE_TUNED)}, "
              f"held out {measure(catalog, USES_HELD_OUT, NO_USE_HELD_OUT)}")


if __name__ == "__main__":  # pragma: no cover
    _report(sys.argv[1:])
