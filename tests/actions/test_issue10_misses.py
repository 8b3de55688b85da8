"""Issue 10: a question about the customer's own answer ("which case did I go for?",
"what's the memory again?") is answered with the value chosen, whatever intent the model
gave it (often ask_options), and chooses nothing; at the summary and mid-order."""

from __future__ import annotations

import pytest

from actions.order_form import ValidateOrderForm
from bot.core.questions import asks_back
from tests.support.trackers import FULL_PC, Reading, make_tracker, run


def order_form_turn(text, intent, selections, requested):
    return make_tracker(text, intent=intent, slots={
        "product": "custom_pc", "selections": dict(selections), "requested_slot": requested, "answered_turn": 2})


@pytest.mark.parametrize("intent", ["ask_options", "ask_advice", "ask_summary"])
@pytest.mark.parametrize("text, answer", [
    ("what's the case again?", "Case: Mid tower."),
    ("remind me which memory I picked", "Memory: 32 GB DDR5."),
    ("which case did I go for?", "Case: Mid tower."),
    ("hang on, what graphics card have I chosen", "Graphics: GeForce RTX 4070 Super."),
    ("what storage did you take down for me?", "Storage: 2 TB NVMe SSD."),
    ("what was my operating system", "Operating system: Windows 11 Home."),
    ("what have you got down for the case?", "Case: Mid tower."),
])
async def test_at_the_summary_a_question_about_an_answer_given_gets_that_answer(text, answer, intent):
    events, messages = await run(Reading(ValidateOrderForm()), order_form_turn(text, intent, FULL_PC, "specs_complete"))
    assert messages[0]["text"] == answer
    assert not any(e.get("name") == "selections" and e.get("value") != FULL_PC for e in events)  # nothing chosen


@pytest.mark.parametrize("text, answer", [
    ("which cpu did I go for again?", "CPU: AMD Ryzen 7 7800X3D."),
    ("what's the memory again", "You haven't chosen the memory yet."),
])
async def test_mid_order_a_question_about_an_answer_is_answered_and_the_question_asked_again(text, answer):
    chosen = {"cpu": "ryzen7_7800x3d"}
    events, messages = await run(Reading(ValidateOrderForm()), order_form_turn(text, "ask_options", chosen, "specs_complete"))
    assert messages[0]["text"] == answer
    assert not any(e.get("name") == "selections" and e.get("value") != chosen for e in events)


@pytest.mark.parametrize("text", ["which cases do you have?", "what memory is there", "what are the options for the roof",
                                  "what do you recommend for the case", "which graphics card should I go for?",
                                  "which cases have you got?", "what fabrics have you got in stock"])
def test_a_question_about_the_choices_does_not_ask_back(text):
    assert not asks_back(text)


@pytest.mark.parametrize("product, chosen, text, expected", [
    ("custom_pc", {"cpu": "ryzen7_7800x3d"}, "what would you suggest?", "I won't choose the memory for you"),
    ("custom_pc", FULL_PC, "what do you recommend for video editing?", "- Storage: 2 TB NVMe SSD"),
    ("conveyor", {}, "what do you recommend for a bakery?", "Belt: Stainless steel mesh"),
])
async def test_advice_in_the_order_form_answers_from_the_catalog_and_chooses_nothing(product, chosen, text, expected):
    tracker = make_tracker(text, intent="ask_advice", slots={
        "product": product, "selections": dict(chosen), "requested_slot": "specs_complete", "answered_turn": 2})
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    assert expected in messages[0]["text"]
    assert not any(e.get("name") == "selections" and e.get("value") != chosen for e in events)


@pytest.mark.parametrize("product, chosen, text, expected", [
    ("conveyor", {"length": 4}, "what width do you offer?", "Belt width: one of 300, 400, 500, 600, 800, 1000 or 1200 mm"),
    ("tailored_shirt", {}, "what collars do you do?", "Collar options for the Made-to-measure shirt:"),
    ("custom_pc", {"cpu": "ryzen7_7800x3d"}, "which cases have you got", "Case options for the Custom PC:"),
])
async def test_in_an_order_what_you_offer_of_an_option_lists_that_option_not_the_products(product, chosen, text, expected):
    # The intent model reads "what ... do you offer?" as list_products; in an order it is the option's values.
    tracker = make_tracker(text, intent="list_products", slots={
        "product": product, "selections": dict(chosen), "requested_slot": "specs_complete", "answered_turn": 2})
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    assert messages[0]["text"].startswith(expected), messages[0]["text"]
    assert "We make to order" not in messages[0]["text"]
    assert not any(e.get("name") == "selections" and e.get("value") != chosen for e in events)
