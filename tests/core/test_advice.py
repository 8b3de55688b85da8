"""The shop's advice (bot/core/advice.py) and lowest totals (bot/core/lowest_price.py) on
the demo catalog, and the whole of the shop's knowledge on a catalog made here that the code
has never seen (a bakery), so nothing hangs on the demo's words.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.core.catalog import Catalog, load_catalog
from bot.core.knowledge import AnswerKind, answer
from bot.core.lowest_price import from_price
from bot.core.values import noun
from bot.local import ROOT

DEMO = ROOT / "catalog.yml"


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog(DEMO)


# --- a catalog the code has never seen --------------------------------------------------------

BAKERY = {
    "shop": {
        "name": "Crumb & Co",
        "faq": [
            {"id": "allergens", "questions": ["Do your cakes contain nuts?", "Are there allergens?", "Is it gluten free?"],
             "answer": "Every cake is made in a kitchen that handles nuts, gluten, milk and eggs."},
            {"id": "pickup", "questions": ["Can I collect it?", "Do you deliver or do I pick up?"],
             "answer": "Collect from the shop on Mill Lane, or we deliver within 10 km for 8 EUR."},
        ],
    },
    "products": [{
        "id": "celebration_cake", "name": "Celebration cake", "description": "A layer cake for your party.",
        "synonyms": ["cake", "birthday cake", "wedding cake"], "lead_time_days": 3, "base_price": 20,
        "options": [
            {"id": "tiers", "name": "Tiers", "kind": "number", "unit": "", "min": 1, "max": 4,
             "help": "One tier serves about 12 people; each tier above it 20 more."},
            {"id": "sponge", "name": "Sponge", "kind": "choice", "values": [
                {"id": "vanilla", "name": "Vanilla", "price": 0, "description": "Light and classic.",
                 "uses": ["children's party", "birthday"]},
                {"id": "chocolate", "name": "Dark chocolate", "price": 6, "synonyms": ["chocolate"],
                 "description": "Rich and moist.", "uses": ["birthday", "anniversary"]},
                {"id": "fruit", "name": "Rich fruit", "price": 14, "synonyms": ["fruit cake"],
                 "description": "Keeps for weeks; the traditional one.", "uses": ["wedding", "christmas"]},
            ]},
            {"id": "topper", "name": "Sugar topper", "kind": "yesno", "price": 12},
        ],
        "rules": [{"id": "fruit_needs_two_tiers", "kind": "requires", "if": "sponge == 'fruit'", "then": "tiers >= 2",
                   "message": "A fruit cake is made with two tiers or more."}],
        "pricing": {"multiply_by": "tiers"},
    }],
}


@pytest.fixture()
def bakery(tmp_path: Path) -> Catalog:
    path = tmp_path / "bakery.yml"
    path.write_text(yaml.safe_dump(copy.deepcopy(BAKERY)), encoding="utf-8")
    return load_catalog(path)


@pytest.mark.parametrize("question, entry", [
    ("any nuts in the cakes?", "allergens"), ("I'm coeliac, is it gluten-free", "allergens"),
    ("can I just come and collect it", "pickup"), ("do you deliver?", "pickup"),
])
def test_a_new_shops_faq_is_matched_without_code_or_training(bakery, question, entry):
    found = answer(bakery, question)
    assert found.kind == AnswerKind.FAQ and found.topics[0].key == entry


def test_a_new_shops_product_option_help_and_uses(bakery):
    assert answer(bakery, "do you make wedding cakes?").text.startswith("Yes, we make the Celebration cake")
    assert "serves about 12 people" in answer(bakery, "how many tiers do I need").text
    advice = answer(bakery, "what do you recommend for a wedding?")
    assert advice.kind == AnswerKind.RECOMMENDATION and "Rich fruit" in advice.text and "Vanilla" not in advice.text
    assert answer(bakery, "do you sell bicycles?").text == "No, we make Celebration cake, each to order."
    assert answer(bakery, "what's your opinion on football").kind == AnswerKind.UNKNOWN


def test_the_lowest_total_follows_the_rules_and_the_pricing(bakery):
    # base 20 + vanilla 0, one tier, no topper: 20 x 1 tier.
    assert from_price(bakery.product("celebration_cake")) == Decimal("20.00")


def test_the_lowest_total_skips_what_the_rules_forbid(tmp_path):
    raw = copy.deepcopy(BAKERY)
    cake = raw["products"][0]
    cake["options"][1]["values"] = [cake["options"][1]["values"][2]]  # only the fruit cake: two tiers at least
    path = tmp_path / "fruit.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    catalog = load_catalog(path)
    assert from_price(catalog.product("celebration_cake")) == Decimal("68.00")  # (20 + 14) x 2


def test_the_demo_products_lowest_totals(demo):
    # PC: Ryzen 5 7600 + 16 GB DDR5 (AM5 needs DDR5) + 512 GB + integrated graphics + compact
    # + no OS + assembly + 550 W = 560; shirt: Oxford 59 x 1; conveyor 1 m x 300 mm, PVC,
    # 5 kg/m: 420 frame + 0.37 kW motor 450 = 870.
    assert [from_price(p) for p in demo.products] == [Decimal("560.00"), Decimal("59.00"), Decimal("870.00")]


def test_advice_never_chooses_and_lists_only_in_stock_values(demo):
    found = answer(demo, "which fabric is best for a wedding?")
    assert "Poplin" in found.text and "Silk" not in found.text  # silk is out of stock
    assert "up to you" in found.text or "yours" in found.text


def test_a_comparison_states_the_price_difference(demo):
    found = answer(demo, "what's the difference between the 7800X3D and the 7950X?")
    assert found.kind == AnswerKind.COMPARISON
    assert "costs €150.00 more" in found.text


def test_enough_for_a_use_not_listed_says_so_and_names_what_is(demo):
    found = answer(demo, "is the 4060 enough for video editing?")
    assert found.kind == AnswerKind.ENOUGH
    assert "We don't list it for video editing" in found.text and "GeForce RTX 4070 Super" in found.text


@pytest.mark.parametrize("text", ["is the 4080 enough for 4k gaming?", "would a 4080 do for 4k editing", "4080 ok for 2k?"])
def test_the_longest_number_named_decides_which_value_is_meant(demo, text):
    # "4k" shares a 4 with the 4 TB SSD; the question is about the 4080 Super.
    found = answer(demo, text)
    assert "RTX 4080 Super" in found.text and "4 TB" not in found.text


def test_what_fits_beside_a_value_comes_from_the_rules_with_their_reasons(demo):
    pc = demo.product("custom_pc")
    found = answer(demo, "which case do I need for the 4080?", pc, advice_first=True)
    assert "Mid tower (€99.00) and Full tower (€149.00)" in found.text
    assert "Not Compact: That graphics card is too long for this case." in found.text
    memory = answer(demo, "what memory can go with a ryzen 5 7600", pc, advice_first=True)
    assert "16 GB DDR4" in memory.text and "take DDR5 memory only" in memory.text


def test_the_cheapest_of_a_named_option_lists_its_values_by_price(demo):
    found = answer(demo, "what's the cheapest graphics card?", demo.product("custom_pc"), advice_first=True)
    assert found.text.startswith("Graphics for the Custom PC, from the lowest price: No graphics card (no extra charge), "
                                 "GeForce RTX 4060 (€299.00)")


def test_a_recommendation_keeps_to_the_option_asked_about(demo, bakery):
    pc = demo.product("custom_pc")
    found = answer(demo, "which graphics card is best for video editing?", pc, advice_first=True)
    assert found.kind == AnswerKind.RECOMMENDATION and "Graphics" in found.text and "CPU" not in found.text
    collar = answer(demo, "which collar goes with a suit?", demo.product("tailored_shirt"), advice_first=True)
    assert collar.text.startswith("Our catalog lists no collar for a suit.") and "Poplin" in collar.text
    sponge = answer(bakery, "which sponge for a christmas party?", advice_first=True)
    assert "Rich fruit" in sponge.text and "Vanilla" not in sponge.text


# --- issue 10: advice from every option's catalog text, never a choice ------------------------

@pytest.mark.parametrize("product_id, focus_id, text", [
    ("custom_pc", "case", "what do you recommend?"),
    ("custom_pc", "cpu", "what would you pick?"),
    ("custom_pc", "memory", "which one would you suggest?"),
    ("tailored_shirt", "collar", "what would you recommend"),
])
def test_a_recommendation_without_a_use_describes_the_option_being_asked(demo, product_id, focus_id, text):
    product = demo.product(product_id)
    option = product.option(focus_id)
    found = answer(demo, text, product, advice_first=True, focus=option)
    assert found.kind == AnswerKind.RECOMMENDATION
    assert f"I won't choose the {noun(option)}" in found.text  # "the CPU", not "the cpu"
    assert all(value.name in found.text for value in option.in_stock_values)
    assert {topic.option_id for topic in found.topics} == {option.id}


@pytest.mark.parametrize("text", ["what do you recommend for a bakery?", "which would you suggest for a bakery"])
def test_a_use_that_is_also_a_value_s_name_gets_the_product_s_advice_not_a_verdict_on_that_value(demo, text):
    """"bakery" is a synonym of the Food-grade environment: the reply said the Food-grade was
    "not listed for any particular use. We don't list it for bakery." and named no belt."""
    conveyor = demo.product("conveyor")
    found = answer(demo, text, conveyor, advice_first=True)
    assert found.kind == AnswerKind.RECOMMENDATION and "don't list" not in found.text
    assert "Stainless steel mesh" in found.text and "Food-grade" in found.text


def test_a_use_in_a_value_s_description_counts_as_listed(demo):
    """The 4 TB SSD's description says "3D projects"; its uses say "3D rendering": a description
    word is what the catalog says of it too."""
    from bot.core.advice import fits_use

    pc = demo.product("custom_pc")
    big = pc.option("storage").value("ssd_4tb")
    assert fits_use(big, "video") and fits_use(big, "3D rendering") and not fits_use(big, "office work")


@pytest.mark.parametrize("text, use", [("I want a PC for video editing", "video editing"),
                                       ("need a new pc, mostly streaming", "streaming")])
def test_the_use_an_order_starts_with_gets_what_the_catalog_lists_for_it(demo_catalog, text, use):
    """"I want a PC for video editing" started the order and dropped the use without a word."""
    from bot.core.advice import uses_advice

    answer = uses_advice(demo_catalog, demo_catalog.product("custom_pc"), text)
    assert answer is not None and f"For {use}" in answer.text and "- CPU:" in answer.text
    assert "The choice is yours" in answer.text  # listed, never chosen


def test_an_order_start_without_a_use_gets_no_advice(demo_catalog):
    from bot.core.advice import uses_advice

    assert uses_advice(demo_catalog, demo_catalog.product("custom_pc"), "a PC for my son please") is None


@pytest.mark.parametrize("text", ["what's the cheapest of everything?", "what's the cheapest thing you make",
                                  "how much is your cheapest product?"])
def test_the_cheapest_of_everything_leads_with_the_lowest_priced_product(demo, text):
    found = answer(demo, text)
    lowest = sorted(demo.products, key=from_price)
    assert found.kind == AnswerKind.FROM_PRICE, found.text
    assert found.text.startswith(f"The least we charge is for the {lowest[0].name}"), found.text
    # the rest follow by price
    positions = [found.text.index(p.name) for p in lowest]
    assert positions == sorted(positions), found.text


@pytest.mark.parametrize("product_id, text, other, option", [
    ("conveyor", "which collars do you offer", "Made-to-measure shirt", "collar"),
    ("custom_pc", "what fabrics have you got?", "Made-to-measure shirt", "fabric"),
    ("tailored_shirt", "which cpu can I get", "Custom PC", "CPU"),
])
def test_an_option_of_another_product_is_said_to_be_that_product_s(demo, product_id, text, other, option):
    """"which collars do you offer" in a conveyor order: not the conveyor's next question's
    help, nor the shirt's collars as if the conveyor had them."""
    product = demo.product(product_id)
    found = answer(demo, text, product, focus=product.options[0])
    assert found.text.startswith(f"The {product.name} has no {option} option: that is one of the {other}'s"), found.text
    assert all(o.name in found.text for o in product.options), found.text


def test_a_question_naming_the_other_product_is_about_it(demo):
    found = answer(demo, "do you make shirts with french cuffs?", demo.product("custom_pc"))
    assert "has no" not in found.text and "French" in found.text, found.text
