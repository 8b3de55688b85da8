"""A second order in one conversation (CollectingDispatcher, real Trackers): the offer of the
rest of a split stands until it is answered yes or no (a question or a thanks is answered
and the offer asked again), and the first order's contact details are offered back, said
in full, taken only on yes."""

from __future__ import annotations

from actions.contact_form import (
    CONTACT_OFFER_KEY,
    ActionPlaceOrder,
    ValidateContactForm,
)
from actions.service_actions import ActionAnswer
from tests.support.trackers import Reading, Asking, make_tracker, run, slot_events

SHIRT = {"fabric": "linen_natural", "fit": "slim", "collar": "spread", "cuffs": "barrel", "neck": 39.5, "chest": 102,
         "waist": 86, "sleeve_length": 64, "shirt_length": 75, "monogram": None, "quantity": 1}
CONTACT = {"customer_name": "Aiko Tanaka", "customer_email": "aiko@example.jp",
           "customer_address": "Hauptstrasse 12, 10115 Berlin"}
TWO_OPTIONS = {"product": "tailored_shirt", "parts": [[1, {"fabric": "linen_natural", "collar": "spread"}],
                                                      [2, {"fabric": "poplin_light_blue", "collar": "button_down"}]]}


def said(messages) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


async def place_first(order_database, split=TWO_OPTIONS):
    placing = make_tracker("Hauptstrasse 12, 10115 Berlin", slots={
        "product": "tailored_shirt", "selections": dict(SHIRT), "specs_complete": True, "order_confirmed": True,
        "split_rest": split, "draft_id": "a" * 32, **CONTACT})
    events, messages = await run(ActionPlaceOrder(), placing)
    [order] = order_database.orders_for_conversation("test-actions")
    return order, slot_events(events)["split_rest"], said(messages)


async def test_a_split_over_two_options_offers_the_rest_with_both(order_database):
    order, offered, text = await place_first(order_database)
    assert ("You also asked for 2 × Poplin, light blue, Button-down. Shall I start that as another order: the same "
            "Made-to-measure shirt with Fabric: Poplin, light blue; Collar: Button-down; Quantity: 2 shirts?") in text
    assert offered["parts"] == [[2, {"fabric": "poplin_light_blue", "collar": "button_down"}]]
    yes = make_tracker("yes", intent="affirm", slots={"split_rest": offered, "last_order": order["number"]})
    events, _ = await run(ActionPlaceOrder(), yes)
    assert slot_events(events)["selections"] == {**SHIRT, "fabric": "poplin_light_blue", "collar": "button_down",
                                                 "quantity": 2}


async def test_a_question_or_thanks_after_the_offer_is_answered_and_the_offer_asked_again(order_database):
    order, offered, _ = await place_first(order_database)
    slots = {"split_rest": offered, "last_order": order["number"]}
    for text, intent, answer in [("how long does it take?", "ask_lead_time", "business days"),
                                 ("thanks", "thank", "You're welcome")]:
        events, messages = await run(ActionAnswer(), make_tracker(text, intent=intent, slots=slots))
        assert answer in said(messages), said(messages)
        assert messages[-1]["text"].startswith("About the rest: You also asked for 2 × Poplin, light blue, Button-down.")
        assert [b["payload"] for b in messages[-1]["buttons"]] == ["/affirm", "/deny"]
        assert "split_rest" not in slot_events(events)  # the offer stands
    events, messages = await run(ActionAnswer(), make_tracker("yes", intent="affirm", slots=slots))
    assert [e["name"] for e in events if e.get("event") == "followup"] == ["order_form"]
    events, messages = await run(ActionAnswer(), make_tracker("no thanks", intent="deny", slots=slots))
    assert slot_events(events) == {"split_rest": None} and "just the one order" in said(messages)


async def test_the_next_order_offers_the_first_orders_details_said_in_full(order_database):
    order, _, _ = await place_first(order_database)
    draft = "b" * 32
    asking = make_tracker("yes", intent="affirm", slots={"product": "tailored_shirt", "selections": dict(SHIRT),
                                                         "draft_id": draft, "requested_slot": "customer_name"})
    events, [offer] = await run(Asking("customer_name"), asking)
    assert offer["text"] == (f"To place the order I need your details. Same details as for order {order['number']}: "
                             "Aiko Tanaka, aiko@example.jp, Hauptstrasse 12, 10115 Berlin?")
    assert offer[CONTACT_OFFER_KEY] == draft and [b["payload"] for b in offer["buttons"]] == ["/affirm", "/deny"]

    def answering(text, intent):
        tracker = make_tracker(text, intent=intent, slots={"product": "tailored_shirt", "selections": dict(SHIRT),
                                                           "draft_id": draft, "requested_slot": "customer_name"})
        tracker.events.insert(-1, {"event": "bot", "text": offer["text"], "metadata": {CONTACT_OFFER_KEY: draft}})
        return tracker

    events, messages = await run(Reading(ValidateContactForm()), answering("yes", "affirm"))
    assert {k: v for k, v in slot_events(events).items() if k in CONTACT} == CONTACT
    assert f"the same details as order {order['number']}: Name: Aiko Tanaka; Email: aiko@example.jp" in said(messages)

    events, messages = await run(Reading(ValidateContactForm()), answering("no", "deny"))
    assert not {k for k in slot_events(events) if k in CONTACT} and "new details" in said(messages)
    # asked again after the "no": the plain question, the offer is made once per order
    again = answering("no", "deny")
    again.events.append({"event": "bot", "text": "OK, new details for this order."})
    _, [question] = await run(Asking("customer_name"), again)
    assert question["text"].endswith("What name should go on the order?")

    events, messages = await run(Reading(ValidateContactForm()), answering("Kenji Tanaka", "inform"))
    assert slot_events(events)["customer_name"] == "Kenji Tanaka"  # a name typed instead is the answer


async def test_the_first_order_of_a_conversation_asks_the_details(order_database):
    asking = make_tracker("yes", intent="affirm", slots={"product": "tailored_shirt", "selections": dict(SHIRT),
                                                         "draft_id": "c" * 32, "requested_slot": "customer_name"})
    _, [question] = await run(Asking("customer_name"), asking)
    assert question["text"].endswith("What name should go on the order?") and CONTACT_OFFER_KEY not in question
