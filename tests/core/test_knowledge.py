"""The shop's knowledge answered by meaning (bot/core/knowledge.py).

A labelled set of paraphrased questions the demo catalog covers (each with the FAQ entry,
product, option or value that answers it) and questions it does not cover, measured for
precision and recall; then the answers themselves, on the demo catalog and on a catalog
made here that the code has never seen (a bakery), so nothing hangs on the demo's words.

Run `python -m tests.core.test_knowledge` for the figures at several thresholds.
"""

from __future__ import annotations

import copy
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

from bot.core import knowledge
from bot.core.catalog import Catalog, load_catalog
from bot.core.knowledge import AnswerKind, QuestionKind, answer, knowledge_of
from bot.core.lowest_price import from_price
from bot.local import ROOT

DEMO = ROOT / "catalog.yml"

# (question, what answers it): "faq:<id>", "product:<id>", "option:<id>", "value:<id>",
# "from_price", "advice" (a recommendation / comparison / enough answer).
COVERED: List[Tuple[str, str]] = [
    # payment
    ("can I pay with paypal or by bank transfer?", "faq:payment"),
    ("which cards do you accept", "faq:payment"),
    ("is it ok to pay via PayPal", "faq:payment"),
    ("how do I pay for my order?", "faq:payment"),
    ("when is payment due", "faq:payment"),
    ("do you take visa or mastercard", "faq:payment"),
    ("can I pay by wire transfer", "faq:payment"),
    # VAT
    ("does that price include VAT?", "faq:vat"),
    ("is VAT on top of that?", "faq:vat"),
    ("are your prices including tax", "faq:vat"),
    ("is that net or gross", "faq:vat"),
    ("I have a VAT number, can I buy tax free?", "faq:vat"),
    ("prices incl. vat?", "faq:vat"),
    # warranty
    ("what warranty do your PCs have?", "faq:warranty"),
    ("how long is the guarantee on a computer", "faq:warranty"),
    ("what if the PC breaks after a year", "faq:warranty"),
    ("is there any warranty", "faq:warranty"),
    ("warranty on the conveyor?", "faq:warranty"),
    ("do the shirts come with a guarantee", "faq:warranty"),
    # returns
    ("can I return the shirt", "faq:returns"),
    ("what's your returns policy", "faq:returns"),
    ("what if it doesn't fit me", "faq:returns"),
    ("can I get my money back", "faq:returns"),
    ("refund possible?", "faq:returns"),
    ("can I send the PC back if I don't like it", "faq:returns"),
    # delivery cost
    ("how much is shipping", "faq:delivery_cost"),
    ("is delivery free of charge?", "faq:delivery_cost"),
    ("what do you charge for delivery", "faq:delivery_cost"),
    ("what are the shipping costs to Germany", "faq:delivery_cost"),
    ("how is it shipped", "faq:delivery_cost"),
    # made where
    ("where are the shirts made?", "faq:made_where"),
    ("do you build them yourselves or outsource", "faq:made_where"),
    ("where's your workshop located", "faq:made_where"),
    ("are your products made in europe", "faq:made_where"),
    # changes after ordering
    ("can I change my order after I placed it", "faq:change_after_order"),
    ("I made a mistake in my order", "faq:change_after_order"),
    ("is it possible to cancel later on", "faq:change_after_order"),
    # invoice
    ("will I get an invoice?", "faq:invoice"),
    ("can the invoice be made out to my company", "faq:invoice"),
    # PC testing
    ("do you test the computer before you ship it", "faq:pc_testing"),
    ("will windows be activated", "faq:pc_testing"),
    ("do you overclock the CPU?", "faq:pc_testing"),
    ("are the drivers installed", "faq:pc_testing"),
    # shirt care
    ("how should I wash my shirt", "faq:shirt_care"),
    ("can the shirt go in the tumble dryer", "faq:shirt_care"),
    ("how do I iron a linen shirt", "faq:shirt_care"),
    # samples
    ("could you send fabric samples", "faq:fabric_samples"),
    ("can I see swatches first", "faq:fabric_samples"),
    # conveyor installation
    ("do you install the conveyor for us", "faq:conveyor_installation"),
    ("is the conveyor CE marked", "faq:conveyor_installation"),
    ("do you do maintenance on conveyors", "faq:conveyor_installation"),
    # privacy
    ("what happens with my personal data", "faq:privacy"),
    ("will you share my address", "faq:privacy"),
    # products
    ("do you make shirts?", "product:tailored_shirt"),
    ("do you sell computers", "product:custom_pc"),
    ("can you build me a gaming pc", "product:custom_pc"),
    ("do you make conveyor belts", "product:conveyor"),
    ("do you do custom dress shirts", "product:tailored_shirt"),
    # how to measure (option help)
    ("how do I measure my neck?", "option:neck"),
    ("how am I supposed to measure the sleeve then?", "option:sleeve_length"),
    ("where do I measure my chest", "option:chest"),
    ("how to measure waist for a shirt", "option:waist"),
    ("how do you measure the shirt length", "option:shirt_length"),
    ("how do I work out the load per metre", "option:load"),
    ("how wide should the belt be for my trays", "option:belt_width"),
    ("how do I measure the arm length", "option:sleeve_length"),
    ("what do you mean by collar size", "option:neck"),
    # values
    ("do you have french cuffs?", "value:french"),
    ("do you do button down collars", "value:button_down"),
    ("do you have linen?", "value:linen_natural"),
    ("can I get a stainless steel mesh belt", "value:stainless_mesh"),
    # prices and advice
    ("how much is the cheapest PC", "from_price"),
    ("what's the lowest price for a shirt", "from_price"),
    ("what does the most basic conveyor cost", "from_price"),
    ("what do you recommend for video editing?", "advice"),
    ("which graphics card is best for gaming", "advice"),
    ("is the 4070 super enough for resolve?", "advice"),
    ("difference between 16 and 32", "advice"),
    ("4070 super vs 4080", "advice"),
    ("which fabric for a summer wedding", "advice"),
    ("what's the most powerful setup you have", "advice"),
    ("which belt for a bakery", "advice"),
]

# Questions the demo catalog does not cover: the answer must be "I don't know" (or, for
# things the shop does not make, a plain "No, we make ...").
NOT_COVERED: List[str] = [
    "are you open on sundays?",
    "who founded the company",
    "what's the weather in Leipzig",
    "do you have a phone number I can call",
    "can I pick it up myself from the workshop",
    "do you have a showroom",
    "what's your opinion on the election",
    "are you hiring?",
    "do you offer financing or instalments",
    "is there a student discount",
    "do you price match",
    "can I pay in bitcoin",
    "do you have gift cards",
    "how old is the company",
    "what is the meaning of life",
    "can you recommend a good tailor in Paris",
    "tell me a joke",
    "what's the capital of France",
    "is the owner nice",
    "can I visit the factory",
    "do you sponsor events",
    "who are your suppliers",
    "what's the exchange rate today",
    "do you have an app",
    "can I order by phone",
    "how many employees do you have",
    "what time do you close",
    "do you do repairs on other brands",
    "do you buy used computers",
    "can I trade in my old pc",
    "is there a newsletter",
    "what's your instagram",
    "do you ship to the moon",
    "can I become a reseller",
    "do you have coupons",
    "what music do you like",
    "is it going to rain",
    "how do I reset my router",
    "do you have parking",
    "what is your favourite colour",
]

# Written after the thresholds were chosen on the sets above and never tuned on: the figures
# a shop can expect for questions phrased unlike anything it wrote.
HELDOUT_COVERED: List[Tuple[str, str]] = [
    ("hi! quick one - paypal ok?", "faq:payment"),
    ("do I have to pay upfront", "faq:payment"),
    ("are the prices you show with or without vat", "faq:vat"),
    ("my company is in austria, can you do reverse charge", "faq:vat"),
    ("how many years of warranty on a gaming pc", "faq:warranty"),
    ("what's covered if the motor fails", "faq:warranty"),
    ("the shirt doesnt fit, what now?", "faq:returns"),
    ("can i return a custom order", "faq:returns"),
    ("do I pay for postage", "faq:delivery_cost"),
    ("is shipping included?", "faq:delivery_cost"),
    ("are these made in germany", "faq:made_where"),
    ("who actually sews the shirts", "faq:made_where"),
    ("I want to cancel the order I placed yesterday", "faq:change_after_order"),
    ("do you send a receipt", "faq:invoice"),
    ("is the pc stress tested", "faq:pc_testing"),
    ("does it come with windows activated", "faq:pc_testing"),
    ("washing instructions for linen?", "faq:shirt_care"),
    ("could I get swatches of the twill", "faq:fabric_samples"),
    ("who installs the conveyor on site", "faq:conveyor_installation"),
    ("is my data safe with you", "faq:privacy"),
    ("do you make tailored shirts", "product:tailored_shirt"),
    ("do you build desktops", "product:custom_pc"),
    ("how should i measure around my neck", "option:neck"),
    ("where exactly do I measure the sleeves from", "option:sleeve_length"),
    ("how do I take my chest measurement", "option:chest"),
    ("what does load per metre mean", "option:load"),
    ("how long should I make the conveyor, how do I measure it", "option:length"),
    ("do you offer mandarin collars", "value:mandarin"),
    ("what's the cheapest shirt you make", "from_price"),
    ("which cpu for 3d rendering", "advice"),
    ("is 32gb ddr5 enough for video editing", "advice"),
    ("rtx 4060 or rx 7800 xt?", "advice"),
]
HELDOUT_NOT_COVERED: List[str] = [
    "do you have a shop in berlin I can visit",
    "can I talk to you on whatsapp",
    "are you a real person",
    "what are your opening hours",
    "do you do black friday deals",
    "is there a referral bonus",
    "can you fix my laptop screen",
    "how is the weather",
    "what's your favourite food",
    "who is the ceo",
    "do you accept cash on delivery in cyprus at night",
    "which football team do you support",
    "can I pay in instalments over 12 months",
    "do you have a loyalty programme",
    "how do I bake bread",
    "do you recycle old electronics",
]

# Things the shop does not make: a plain "No, we make ...".
NOT_MADE = ["do you make dining tables?", "do you sell bicycles", "can you build me a kitchen", "do you do engraving?"]


def expected_answer(target: str) -> Tuple[AnswerKind, ...]:
    kind = target.split(":")[0]
    return {
        "faq": (AnswerKind.FAQ,), "product": (AnswerKind.MAKES,), "option": (AnswerKind.HELP,),
        "value": (AnswerKind.VALUE,), "from_price": (AnswerKind.FROM_PRICE,),
        "advice": (AnswerKind.RECOMMENDATION, AnswerKind.COMPARISON, AnswerKind.ENOUGH),
    }[kind]


def is_right(catalog: Catalog, question: str, target: str) -> Tuple[bool, bool]:
    """(answered at all, answered right)."""
    found = answer(catalog, question)
    if not found.known or found.kind == AnswerKind.DOES_NOT_MAKE:
        return False, False
    if found.kind not in expected_answer(target):
        return True, False
    kind, _, key = target.partition(":")
    if not key:
        return True, True
    topic = found.topics[0]
    return True, key in (topic.key, topic.option_id, topic.product_id)


def measure(catalog: Catalog, covered: List[Tuple[str, str]] = COVERED,
            not_covered: List[str] = NOT_COVERED) -> Dict[str, float]:
    answered_right = answered_wrong = missed = 0
    for question, target in covered:
        answered, right = is_right(catalog, question, target)
        if right:
            answered_right += 1
        elif answered:
            answered_wrong += 1
        else:
            missed += 1
    false_alarms = sum(1 for question in not_covered if answer(catalog, question).kind
                       not in (AnswerKind.UNKNOWN, AnswerKind.DOES_NOT_MAKE))
    answered = answered_right + answered_wrong + false_alarms
    return {
        "precision": answered_right / answered if answered else 1.0,
        "recall": answered_right / len(covered),
        "wrong": answered_wrong, "missed": missed, "false_alarms": false_alarms,
    }


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog(DEMO)


def test_the_labelled_set_is_the_size_the_measure_needs():
    assert len(COVERED) >= 80 and len(NOT_COVERED) >= 40
    assert len({q for q, _ in COVERED} | set(NOT_COVERED)) == len(COVERED) + len(NOT_COVERED)


def test_precision_and_recall_on_the_labelled_set(demo):
    figures = measure(demo)
    print(f"\nknowledge matcher at {knowledge.MATCH_THRESHOLD}: {figures}")
    assert figures["precision"] >= 0.92, figures
    assert figures["recall"] >= 0.88, figures


def test_precision_and_recall_on_questions_never_tuned_on(demo):
    figures = measure(demo, HELDOUT_COVERED, HELDOUT_NOT_COVERED)
    print(f"\nheld out: {figures}")
    assert figures["precision"] >= 0.80, figures
    assert figures["recall"] >= 0.65, figures


def test_a_product_named_by_the_orders_own_matcher_is_never_a_no(demo):
    """ "pcs" is too short for the n-grams to be sure; the product matcher knows it is the PC."""
    found = answer(demo, "do you build pcs")
    assert found.kind == AnswerKind.MAKES and found.text.startswith("Yes, we make the Custom PC")
    silk = answer(demo, "do you make silk shirts?")
    assert silk.kind == AnswerKind.MAKES and "Silk, ivory** (Fabric, €149.00, out of stock at the moment)" in silk.text


def test_near_misses_are_offered_not_answered(demo):
    """Of the covered questions the matcher misses, most get the right entry offered; few
    uncovered ones get an offer at all (and an offer is only a question)."""
    missed = offered_right = 0
    for question, target in COVERED + HELDOUT_COVERED:
        found = answer(demo, question)
        if found.kind == AnswerKind.UNKNOWN:
            missed += 1
            offered_right += target.startswith("faq:") and any(t.key == target[4:] for t in found.topics)
            assert not found.suggestions or found.text.startswith(knowledge.UNKNOWN_TEXT)
    offered_uncovered = sum(1 for q in NOT_COVERED + HELDOUT_NOT_COVERED if answer(demo, q).suggestions)
    print(f"\nnear misses: {offered_right} of {missed} missed offered the right entry; "
          f"{offered_uncovered} of {len(NOT_COVERED + HELDOUT_NOT_COVERED)} uncovered offered one")
    assert offered_right >= missed / 2
    assert offered_uncovered <= len(NOT_COVERED + HELDOUT_NOT_COVERED) / 4


@pytest.mark.parametrize("question", NOT_MADE)
def test_what_the_shop_does_not_make_gets_a_plain_no(demo, question):
    found = answer(demo, question)
    assert found.kind == AnswerKind.DOES_NOT_MAKE
    assert found.text == "No, we make Custom PC, Made-to-measure shirt and Custom conveyor, each to order."


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
    assert collar.text.startswith("Our catalog lists no collar for suit.") and "Poplin" in collar.text
    sponge = answer(bakery, "which sponge for a christmas party?", advice_first=True)
    assert "Rich fruit" in sponge.text and "Vanilla" not in sponge.text


def test_question_kinds_are_read_by_meaning(demo):
    kinds = knowledge_of(demo)
    assert kinds.kind("what is the least I can spend on one?") == QuestionKind.CHEAPEST
    assert kinds.kind("how does the 7600 compare with the 7800x3d") == QuestionKind.COMPARE
    assert kinds.kind("would the 4060 be good enough for streaming") == QuestionKind.ENOUGH


def test_the_index_is_rebuilt_for_an_edited_catalog(demo, tmp_path):
    raw = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    raw["shop"]["faq"].append({"id": "gift_wrap", "questions": ["Do you gift wrap?"],
                               "answer": "Yes, in recycled paper for 3 EUR."})
    path = tmp_path / "edited.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert answer(demo, "can you gift-wrap it?").kind != AnswerKind.FAQ
    assert answer(load_catalog(path), "can you gift-wrap it?").text == "Yes, in recycled paper for 3 EUR."


def cost(catalog_path: Path = DEMO) -> Dict[str, float]:
    started = time.perf_counter()
    import sklearn.feature_extraction.text  # noqa: F401  (the import is most of the start-up)
    imported = time.perf_counter() - started
    catalog = load_catalog(catalog_path)
    started = time.perf_counter()
    knowledge_of(catalog)
    built = time.perf_counter() - started
    started = time.perf_counter()
    for product in catalog.products:
        from_price(product)
    lowest = time.perf_counter() - started
    questions = [q for q, _ in COVERED] + NOT_COVERED
    started = time.perf_counter()
    for question in questions:
        answer(catalog, question)
    per_question = (time.perf_counter() - started) / len(questions)
    return {"import_s": imported, "index_s": built, "from_prices_s": lowest, "per_question_ms": per_question * 1000}


def _report(argv: List[str]) -> None:  # pragma: no cover - a measuring tool
    catalog = load_catalog(DEMO)
    print(cost())
    for threshold in (0.30, 0.35, 0.40, 0.42, 0.45, 0.50, 0.55, 0.60):
        knowledge.MATCH_THRESHOLD = threshold
        print(threshold, measure(catalog))
    knowledge.MATCH_THRESHOLD = 0.50
    print("held out", measure(catalog, HELDOUT_COVERED, HELDOUT_NOT_COVERED))
    for question, target in COVERED + HELDOUT_COVERED:
        answered, right = is_right(catalog, question, target)
        if not right:
            found = answer(catalog, question)
            print("MISS" if not answered else "WRONG", question, target, found.kind.value, found.text[:80])
    for question in NOT_COVERED + HELDOUT_NOT_COVERED:
        found = answer(catalog, question)
        if found.kind not in (AnswerKind.UNKNOWN, AnswerKind.DOES_NOT_MAKE):
            print("FALSE", question, found.kind.value, found.text[:80])


if __name__ == "__main__":  # pragma: no cover
    _report(sys.argv[1:])
