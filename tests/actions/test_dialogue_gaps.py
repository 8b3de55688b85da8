"""Issue 10's dialogue gaps in the actions (CollectingDispatcher, real Trackers): outside an
order a message the NLU is unsure of (nlu_fallback) is read before it is given up, a bare
figure never starts the one product whose unit it fits, and the split over the quantity
is remembered and offered as a second order once the first is placed."""

from __future__ import annotations

import pytest

from actions.order_form import ActionStartOrder
from actions.kit import NOT_UNDERSTOOD_TEXT
from actions.service_actions import ActionAnswer
from bot.core.refusals import NOT_UNDERSTOOD_KEY
from bot.core.knowledge import UNKNOWN_TEXT
from tests.support.trackers import Reading, make_tracker, run, slot_events


def said(messages) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def followups(events):
    return [event["name"] for event in events if event.get("event") == "followup"]


async def test_an_unsure_message_naming_a_products_options_starts_its_order_and_answers_its_question():
    text = "great, a slim linen one with a spread collar please. can I pay with paypal?"
    events, messages = await run(ActionAnswer(), make_tracker(text, intent="nlu_fallback"))
    slots = slot_events(events)
    assert slots["product"] == "tailored_shirt"
    assert slots["selections"] == {"fabric": "linen_natural", "fit": "slim", "collar": "spread"}
    assert "Got it: Fabric: Linen, natural; Fit: Slim; Collar: Spread." in said(messages)
    assert "PayPal" in said(messages)  # the question beside the values is answered
    assert followups(events) == ["order_form"]  # the order form takes over, asking the next option
    assert NOT_UNDERSTOOD_TEXT not in said(messages)


async def test_an_unsure_question_is_answered_not_said_to_be_not_understood(order_database):
    events, messages = await run(ActionAnswer(), make_tracker("so can i pay by paypal or what", intent="nlu_fallback"))
    assert events == [] and "PayPal" in said(messages)
    _, [unknown] = await run(ActionAnswer(), make_tracker("do you offer gift wrapping?", intent="nlu_fallback"))
    assert unknown["text"].startswith(UNKNOWN_TEXT)
    assert len(order_database.flags_for("test-actions")) == 1  # passed to the team


@pytest.mark.parametrize("text", ["sdfkjh qwpoeiru", "/nonsense", "ok so like the thing"])
async def test_only_what_is_truly_not_understood_gets_the_fallback(text):
    events, messages = await run(ActionAnswer(), make_tracker(text, intent="nlu_fallback"))
    assert events == [] and [m["text"] for m in messages] == [NOT_UNDERSTOOD_TEXT]
    assert messages[0][NOT_UNDERSTOOD_KEY] is True  # counted as not understood in the staff's index


@pytest.mark.parametrize("intent", ["inform", "nlu_fallback"])
@pytest.mark.parametrize("text", ["15.5 inches", "about 600 mm", "40"])
async def test_a_bare_figure_outside_an_order_asks_which_product_and_keeps_nothing(text, intent):
    action = ActionStartOrder() if intent == "inform" else ActionAnswer()
    events, messages = await run(action, make_tracker(text, intent=intent))
    slots = slot_events(events)
    assert slots.get("product") is None and not slots.get("selections")
    if text == "40":  # a plain number no product's options read: nothing to guess, nothing kept
        return
    assert f"I can't tell which product “{text}” is for, so I haven't kept it yet." in said(messages)
    if intent == "nlu_fallback":
        assert [b["title"] for m in messages for b in m.get("buttons") or []] == [
            "Custom PC", "Made-to-measure shirt", "Custom conveyor"]


@pytest.mark.parametrize("text, product, selections", [
    ("neck 15.5 inches", "tailored_shirt", {"neck": 39.4}),  # the option named: no guess
    ("linen, 15.5 inches", "tailored_shirt", {"fabric": "linen_natural"}),
])
async def test_a_figure_with_an_option_or_value_named_still_starts_that_product(text, product, selections):
    events, _ = await run(ActionStartOrder(), make_tracker(text, intent="inform"))
    slots = slot_events(events)
    assert slots["product"] == product
    assert selections.items() <= slots["selections"].items()


# --- the split remembered ---------------------------------------------------------------------

SHIRT = {"fabric": "linen_natural", "fit": "slim", "collar": "spread", "cuffs": "barrel", "neck": 39.5, "chest": 102,
         "waist": 86, "sleeve_length": 64, "shirt_length": 75, "monogram": None, "quantity": 1}
CONTACT = {"customer_name": "Aiko Tanaka", "customer_email": "aiko@example.jp",
           "customer_address": "Hauptstrasse 12, 10115 Berlin"}
REST = {"product": "tailored_shirt", "parts": [[1, {"fabric": "linen_natural"}], [2, {"fabric": "poplin_light_blue"}]]}


async def test_a_split_is_said_and_remembered_not_taken():
    from actions.order_form import ValidateOrderForm

    tracker = make_tracker("can 1 of them be linen and the other 2 in the light blue poplin?", slots={
        "product": "tailored_shirt", "selections": {"quantity": 3}, "requested_slot": "specs_complete",
        "answered_turn": 2})
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    slots = slot_events(events)
    assert "One order holds one configuration" in said(messages)
    assert slots["split_rest"] == REST and "selections" not in slots  # nothing changed, the rest kept


async def test_after_placing_the_rest_of_the_split_is_offered_and_yes_starts_it(order_database):
    from actions.contact_form import ActionPlaceOrder

    placing = make_tracker("Hauptstrasse 12, 10115 Berlin", slots={
        "product": "tailored_shirt", "selections": dict(SHIRT), "specs_complete": True, "order_confirmed": True,
        "split_rest": REST, **CONTACT})
    events, messages = await run(ActionPlaceOrder(), placing)
    slots = slot_events(events)
    [order] = order_database.orders_for_conversation("test-actions")
    assert order["options"]["fabric"] == "linen_natural"
    assert ("You also asked for 2 × Poplin, light blue. Shall I start that as another order: the same "
            "Made-to-measure shirt with Fabric: Poplin, light blue; Quantity: 2 shirts?") in said(messages)
    offered = slots["split_rest"]
    assert offered["offered"] is True and offered["parts"] == [[2, {"fabric": "poplin_light_blue"}]]

    yes = make_tracker("yes", intent="affirm", slots={"split_rest": offered, "last_order": order["number"]})
    events, messages = await run(ActionPlaceOrder(), yes)
    slots = slot_events(events)
    assert slots["product"] == "tailored_shirt"
    assert slots["selections"] == {**SHIRT, "fabric": "poplin_light_blue", "quantity": 2}
    assert slots["split_rest"] is None and followups(events) == ["order_form"]
    assert f"the same as order {order['number']}, with Fabric: Poplin, light blue; Quantity: 2 shirts." in said(messages)
    assert len(order_database.orders_for_conversation("test-actions")) == 1  # the next one is not placed yet

    no = make_tracker("no", intent="deny", slots={"split_rest": offered, "last_order": order["number"]})
    events, messages = await run(ActionPlaceOrder(), no)
    assert slot_events(events) == {"split_rest": None} and "just the one order" in said(messages)


async def test_an_order_without_a_split_offers_nothing(order_database):
    from actions.contact_form import ActionPlaceOrder

    placing = make_tracker("Hauptstrasse 12, 10115 Berlin", slots={
        "product": "tailored_shirt", "selections": dict(SHIRT), "specs_complete": True, "order_confirmed": True,
        **CONTACT})
    events, messages = await run(ActionPlaceOrder(), placing)
    assert slot_events(events)["split_rest"] is None and "You also asked" not in said(messages)
