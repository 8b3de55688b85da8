"""A message in another language mid-order: a reply in that language and in English, nothing
taken from it, the order kept and its question asked again (in English)."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from rasa_sdk import Tracker

from actions.order_form import ActionStartOrder, ValidateOrderForm
from actions.service_actions import ActionAnswer, ActionListProducts
from bot.core.language import ORDER_KEPT_ENGLISH, OTHER_LANGUAGE_ENGLISH, other_language_reply
from tests.support.trackers import Reading, Asking, FULL_PC, make_tracker, run, slot_events

SHIRT = {"fabric": "oxford_white", "fit": "regular"}
PHRASES = [
    ("es", "Hola, quiero una camisa a medida de lino", "order_product"),
    ("es", "Quiero pedir un ordenador para jugar", "order_product"),
    ("de", "Ich möchte ein Hemd aus Leinen bestellen", "inform"),
    ("de", "Ja, bitte bestellen Sie das so", "affirm"),
    ("fr", "Bonjour, je voudrais une chemise sur mesure", "greet"),
    ("it", "Quanto costa la camicia bianca?", "ask_price"),
    ("nl", "Hallo, ik wil graag een overhemd op maat", "order_product"),
    ("pt", "Olá, quero uma camisa feita à medida de linho", "order_product"),
]


def form_tracker(text: str, selections: Dict[str, Any], product: str = "tailored_shirt", intent: str = "inform",
                 **slots: Any) -> Tracker:
    return make_tracker(text, intent=intent, slots={
        "product": product, "selections": selections, "requested_slot": "specs_complete", "answered_turn": 2, **slots,
    })


def said_in(code: str, messages, order_kept: bool = True) -> bool:
    return messages[0]["text"] == other_language_reply(code, order_kept=order_kept)


@pytest.mark.parametrize("code, text, intent", PHRASES)
async def test_mid_order_nothing_is_taken_and_the_reply_is_in_that_language(code, text, intent):
    events, messages = await run(Reading(ValidateOrderForm()), form_tracker(text, dict(SHIRT), intent=intent))
    assert said_in(code, messages) and len(messages) == 1
    assert slot_events(events) == {"answered_turn": 3}  # no selection, no confirmation, no product change


async def test_at_the_summary_a_german_yes_places_nothing_and_the_summary_is_asked_again():
    events, messages = await run(Reading(ValidateOrderForm()), form_tracker("Ja, bitte bestellen Sie das so", dict(FULL_PC),
                                                                   product="custom_pc", intent="affirm"))
    assert said_in("de", messages)
    assert "specs_complete" not in slot_events(events) and "order_confirmed" not in slot_events(events)
    _, asked = await run(Asking("specs_complete"), form_tracker("", dict(FULL_PC), product="custom_pc"))
    assert "Shall I place this order?" in asked[-1]["text"]


async def test_a_pending_cancel_stays_pending():
    events, messages = await run(Reading(ValidateOrderForm()), form_tracker("No, quiero cambiar la tela", dict(SHIRT),
                                                                   intent="deny", pending="cancel"))
    assert said_in("es", messages)
    assert "pending" not in slot_events(events) and "product" not in slot_events(events)


async def test_the_product_question_takes_no_product_from_it():
    tracker = form_tracker("Hola, quiero una camisa a medida de lino", {}, product=None, requested_slot="product")
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    assert said_in("es", messages, order_kept=False) and slot_events(events) == {"answered_turn": 3}


@pytest.mark.parametrize("code, text, intent", PHRASES)
async def test_a_first_message_in_another_language_starts_no_product(code, text, intent):
    events, messages = await run(ActionStartOrder(), make_tracker(text, intent=intent))
    slots = slot_events(events)
    assert said_in(code, messages, order_kept=False) and len(messages) == 1
    assert slots["product"] is None and slots["selections"] == {} and slots["answered_turn"] == 3


async def test_back_to_an_order_in_another_language_keeps_it():
    tracker = make_tracker("Quiero una camisa de lino, por favor", intent="order_product",
                           slots={"product": "tailored_shirt", "selections": dict(SHIRT)})
    events, messages = await run(ActionStartOrder(), tracker)
    assert said_in("es", messages) and slot_events(events) == {"answered_turn": 3}


async def test_a_greeting_in_another_language_gets_the_reply_then_the_products_in_english():
    _, messages = await run(ActionListProducts(), make_tracker("Bonjour, je voudrais une chemise sur mesure",
                                                               intent="greet"))
    assert said_in("fr", messages, order_kept=False)
    assert messages[1]["text"].startswith("Hello! Welcome to") and messages[1]["buttons"]


async def test_a_question_outside_the_form_is_not_answered_in_english_words_of_it():
    tracker = make_tracker("Quanto costa la camicia bianca?", intent="ask_price",
                           slots={"pending": "cancel", "product": "tailored_shirt", "selections": dict(SHIRT)})
    events, messages = await run(ActionAnswer(), tracker)
    assert said_in("it", messages) and ORDER_KEPT_ENGLISH in messages[0]["text"] and events == []
    assert [m["text"] for m in messages[1:]] == ["Cancel this order? Nothing will be stored."]  # asked again


async def test_a_question_outside_the_form_gets_the_products_or_the_way_back_to_the_order():
    _, messages = await run(ActionAnswer(), make_tracker("Bonjour, je voudrais une chemise sur mesure", intent="ask_options"))
    assert said_in("fr", messages, order_kept=False) and "What would you like?" in messages[1]["text"]
    tracker = make_tracker("Quanto costa la camicia bianca?", intent="ask_price",
                           slots={"product": "tailored_shirt", "selections": dict(SHIRT)})
    _, messages = await run(ActionAnswer(), tracker)
    assert said_in("it", messages) and messages[1]["text"] == 'Say "continue" to carry on with your Made-to-measure shirt.'


@pytest.mark.parametrize("text", ["neck 39cm", "32 gb ddr5 please", "slim", "linen", "yes", "15.5", "Aiko Tanaka",
                                  "I want a linen shirt, slim fit", "change the cpu to the ryzen 5"])
async def test_english_answers_are_read_as_before(text):
    _, messages = await run(Reading(ValidateOrderForm()), form_tracker(text, {}, product="custom_pc"))
    assert not any(OTHER_LANGUAGE_ENGLISH in m.get("text", "") for m in messages)
