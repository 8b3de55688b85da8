"""The custom actions with rasa-sdk's CollectingDispatcher and real Trackers."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from rasa_sdk import Tracker

from actions.contact_form import ActionPlaceOrder, ValidateContactForm, clean_email
from actions.order_form import ActionStartOrder, ValidateOrderForm
from actions.service_actions import ActionListProducts
from tests.support.trackers import Reading, Asking, FULL_PC, make_tracker, run, slot_events


async def test_greeting_lists_every_product_as_a_button(demo_catalog):
    _, messages = await run(ActionListProducts(), make_tracker("hi", intent="greet"))
    assert [b["title"] for b in messages[0]["buttons"]] == [p.name for p in demo_catalog.products]
    assert messages[0]["text"].startswith("Hello!")


@pytest.mark.parametrize("text, product, selections", [
    ("I need a gaming PC", "custom_pc", {}), ("a shirt", "tailored_shirt", {}),
    # "bakery" is one of the food-grade environment's synonyms in the catalog.
    ("a conveyor for our bakery", "conveyor", {"environment": "food_grade"}),
    ("I'd like a spaceship", None, {}),
    ("slim fit linen shirt, button-down collar, neck 15.5 inches", "tailored_shirt",
     {"fabric": "linen_natural", "fit": "slim", "collar": "button_down", "neck": 39.4}),
])
async def test_start_order_finds_the_product_and_values_in_words(text, product, selections):
    events, _ = await run(ActionStartOrder(), make_tracker(text, intent="order_product"))
    slots = slot_events(events)
    assert slots["product"] == product
    assert slots["selections"] == selections and slots["draft_id"]


async def test_start_order_takes_the_product_from_a_button():
    tracker = make_tracker('/order_product{"product":"conveyor"}', intent="order_product",
                           entities=[{"entity": "product", "value": "conveyor"}])
    events, _ = await run(ActionStartOrder(), tracker)
    assert slot_events(events)["product"] == "conveyor"


FULL_PC_BEFORE_CASE = {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb", "graphics": "rtx_4070_super"}


def order_form_tracker(text: str, selections: Dict[str, Any], product: str = "custom_pc", **kwargs) -> Tracker:
    return make_tracker(text, slots={
        "product": product, "selections": selections, "requested_slot": "specs_complete", "answered_turn": 2,
    }, **kwargs)


async def test_a_valid_answer_fills_the_option_and_keeps_asking():
    events, messages = await run(Reading(ValidateOrderForm()), order_form_tracker("the 7800X3D", {}))
    slots = slot_events(events)
    assert slots["selections"] == {"cpu": "ryzen7_7800x3d"}
    assert slots["specs_complete"] is None
    # The answer is said back before the next question (was: nothing said, issue 10).
    assert [m["text"] for m in messages] == ["Got it: CPU: AMD Ryzen 7 7800X3D."]


async def test_the_last_answer_leads_to_the_summary_and_yes_confirms_it():
    selections = {key: value for key, value in FULL_PC.items() if key != "os"}
    events, _ = await run(Reading(ValidateOrderForm()), order_form_tracker("linux", selections))
    slots = slot_events(events)
    assert slots["selections"]["os"] == "ubuntu_24_04"
    assert slots["specs_complete"] is None  # the form now shows the summary
    _, messages = await run(Asking("specs_complete"), order_form_tracker("", slots["selections"]))
    assert "Total: €1,503.00" in messages[0]["text"] and "Shall I place this order?" in messages[0]["text"]
    events, _ = await run(Reading(ValidateOrderForm()), order_form_tracker("yes", slots["selections"], intent="affirm"))
    assert slot_events(events)["specs_complete"] is True and slot_events(events)["order_confirmed"] is True


async def test_no_at_the_summary_asks_which_option_to_change():
    events, _ = await run(Reading(ValidateOrderForm()), order_form_tracker("no", dict(FULL_PC), intent="deny"))
    changing = slot_events(events)["changing"]
    assert changing == {"mode": "which"}
    tracker = order_form_tracker("the memory", dict(FULL_PC))
    tracker.slots["changing"] = changing
    events, _ = await run(Reading(ValidateOrderForm()), tracker)
    slots = slot_events(events)
    assert "memory" not in slots["selections"]
    assert slots["changing"] == {"option": "memory", "old": "ddr5_32gb"}


async def test_a_broken_rule_is_explained_and_nothing_is_stored():
    events, messages = await run(Reading(ValidateOrderForm()), order_form_tracker("32gb ddr4", {"cpu": "ryzen7_7800x3d"}))
    slots = slot_events(events)
    assert slots["selections"] == {"cpu": "ryzen7_7800x3d"} and slots["specs_complete"] is None
    assert slots["failures"] == {"memory": 1}
    assert "DDR5 memory only" in messages[0]["text"]
    assert "16 GB DDR5, 32 GB DDR5 or 64 GB DDR5" in messages[0]["text"]


async def test_an_out_of_stock_value_offers_the_values_in_stock():
    events, messages = await run(Reading(ValidateOrderForm()), order_form_tracker("silk please", {}, product="tailored_shirt"))
    assert "selections" not in slot_events(events)
    assert "out of stock" in messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/inform{"choice":"oxford_white"}', '/inform{"choice":"poplin_light_blue"}',
        '/inform{"choice":"linen_natural"}', '/inform{"choice":"twill_navy"}',
    ]


async def test_a_button_payload_is_taken_as_the_exact_value():
    tracker = order_form_tracker('/inform{"choice":"core_i5_14400f"}', {},
                                 entities=[{"entity": "choice", "value": "core_i5_14400f"}])
    events, _ = await run(Reading(ValidateOrderForm()), tracker)
    assert slot_events(events)["selections"] == {"cpu": "core_i5_14400f"}


async def test_inches_are_converted_and_the_customer_is_told():
    selections = {"fabric": "linen_natural", "fit": "slim", "collar": "spread", "cuffs": "barrel"}
    events, messages = await run(Reading(ValidateOrderForm()), order_form_tracker("15.5", selections, product="tailored_shirt"))
    assert slot_events(events)["selections"]["neck"] == 39.4
    assert messages[0]["text"] == "I took 15.5 as inches = 39.4 cm."


async def test_a_message_already_read_is_not_read_again():
    tracker = order_form_tracker("the 7800X3D", {})
    tracker.slots["answered_turn"] = 3
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    assert events == [] and messages == []


async def test_naming_an_option_and_its_new_value_changes_it_at_once():
    events, messages = await run(Reading(ValidateOrderForm()), order_form_tracker("64GB memory", dict(FULL_PC)))
    slots = slot_events(events)
    assert slots["selections"]["memory"] == "ddr5_64gb"
    assert messages[0]["text"].splitlines()[0] == "Memory: 32 GB DDR5 -> 64 GB DDR5, +100 EUR"


async def test_several_values_in_one_message_fill_several_options():
    tracker = order_form_tracker("the 7800X3D with 32 gigs of DDR5 and a 2TB SSD", {})
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    assert slot_events(events)["selections"] == {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb"}
    assert "Got it" in messages[0]["text"]


async def test_a_change_that_breaks_a_rule_asks_the_conflicting_option_again():
    selections = {"cpu": "core_i5_14400f", "memory": "ddr4_32gb"}
    tracker = order_form_tracker("actually make it a Ryzen 7 7800X3D", selections)
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    assert slot_events(events)["selections"] == {"cpu": "ryzen7_7800x3d"}
    assert "CPU: Intel Core i5-14400F -> AMD Ryzen 7 7800X3D" in messages[0]["text"]
    assert "ask for it again" in messages[0]["text"]


async def test_a_question_mid_order_is_answered_and_nothing_is_lost():
    tracker = order_form_tracker("how much is it so far?", {"cpu": "ryzen7_7800x3d"}, intent="ask_price")
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    assert "selections" not in slot_events(events)
    assert "So far €498.00" in messages[0]["text"]


async def test_cancel_asks_for_confirmation_first():
    tracker = order_form_tracker("cancel", {"cpu": "ryzen7_7800x3d"}, intent="cancel")
    events, _ = await run(Reading(ValidateOrderForm()), tracker)
    assert slot_events(events)["pending"] == "cancel"
    confirm = order_form_tracker("yes", {"cpu": "ryzen7_7800x3d"}, intent="affirm")
    confirm.slots["pending"] = "cancel"
    events, messages = await run(Reading(ValidateOrderForm()), confirm)
    assert slot_events(events)["product"] is None
    assert {"event": "active_loop", "name": None} in [
        {"event": e["event"], "name": e.get("name")} for e in events if e["event"] == "active_loop"]
    assert "nothing was stored" in messages[0]["text"]


@pytest.mark.parametrize("text, selections, expected", [
    ("mid tower, and I don't want an operating system", {**FULL_PC_BEFORE_CASE}, {"case": "mid_tower", "os": "none"}),
    ("32 gb ddr5 and I don't want a graphics card", {"cpu": "ryzen7_7800x3d"}, {"memory": "ddr5_32gb",
                                                                                  "graphics": "none"}),
])
async def test_answers_the_intent_model_reads_as_a_cancel_are_taken(text, selections, expected):
    """Every part answers an option ("I don't want ..." turns one down): no cancel asked, and
    the values, dropped before, are taken and said back."""
    events, messages = await run(Reading(ValidateOrderForm()), order_form_tracker(text, selections, intent="cancel"))
    slots = slot_events(events)
    assert "pending" not in slots and slots["selections"] == {**selections, **expected}
    assert "Got it" in messages[0]["text"]


async def test_a_cancel_beside_a_value_is_still_a_cancel():
    tracker = order_form_tracker("cancel it, the 4080 super is too dear", {"cpu": "ryzen7_7800x3d"}, intent="cancel")
    events, _ = await run(Reading(ValidateOrderForm()), tracker)
    assert slot_events(events)["pending"] == "cancel"


async def test_the_next_question_offers_only_values_that_fit_earlier_choices():
    tracker = order_form_tracker("", {"cpu": "ryzen5_7600"})
    _, messages = await run(Asking("specs_complete"), tracker)
    assert messages[0]["text"].startswith("(2/6) How much memory")
    assert [b["title"] for b in messages[0]["buttons"]] == [
        "16 GB DDR5 (+€59.00)", "32 GB DDR5 (+€109.00)", "64 GB DDR5 (+€209.00)",
    ]


@pytest.mark.parametrize("given, stored", [
    ("anna@example.com", "anna@example.com"), ("it's Anna@Example.com", "Anna@example.com"),
])
def test_email_is_checked_and_normalised(given, stored):
    assert clean_email(given) == stored


async def test_a_malformed_email_is_refused_with_an_example():
    tracker = make_tracker("anna@", slots={"requested_slot": "customer_email", "answered_turn": 2})
    events, messages = await run(Reading(ValidateContactForm()), tracker)
    assert slot_events(events)["customer_email"] is None
    assert "name@example.com" in messages[0]["text"]


def placing_tracker(selections: Dict[str, Any], draft_id: str = "draft-1") -> Tracker:
    return make_tracker("Hauptstrasse 12, 10115 Berlin", slots={
        "product": "custom_pc", "selections": selections, "draft_id": draft_id,
        "customer_name": "Anna Schmidt", "customer_email": "anna@example.com",
        "customer_address": "Hauptstrasse 12, 10115 Berlin",
    }, sender="test-place")


async def test_placing_an_order_stores_it_once_and_resets_the_order(order_database):
    events, messages = await run(ActionPlaceOrder(), placing_tracker(dict(FULL_PC)))
    [order] = order_database.all_orders()
    assert order["number"] in messages[0]["text"]
    assert order["total"] == "1622.00" and order["conversation_id"] == "test-place"
    slots = slot_events(events)
    assert slots["product"] is None and slots["selections"] is None and slots["last_order"] == order["number"]
    # The same draft confirmed again (a retried request) is the same order.
    await run(ActionPlaceOrder(), placing_tracker(dict(FULL_PC)))
    assert len(order_database.all_orders()) == 1


async def test_staff_hear_of_a_new_order_once(order_database, monkeypatch):
    from actions import contact_form as contact_actions

    announced = []
    monkeypatch.setattr(contact_actions, "announce_order", announced.append)
    await run(ActionPlaceOrder(), placing_tracker(dict(FULL_PC)))
    await run(ActionPlaceOrder(), placing_tracker(dict(FULL_PC)))  # a retried "yes": the same order
    [order] = order_database.all_orders()
    assert [o["number"] for o in announced] == [order["number"]]


async def test_an_order_that_breaks_a_rule_is_never_stored(order_database):
    broken = dict(FULL_PC, memory="ddr4_32gb")
    _, messages = await run(ActionPlaceOrder(), placing_tracker(broken))
    assert "nothing was stored" in messages[0]["text"]
    assert order_database.all_orders() == []


async def test_a_stuck_customer_gets_an_example_then_a_person(order_database):
    selections = {"fabric": "linen_natural", "fit": "slim", "collar": "spread", "cuffs": "barrel"}
    tracker = order_form_tracker("about a medium", dict(selections), product="tailored_shirt")
    tracker.slots["failures"] = {"neck": 1}
    events, _ = await run(Reading(ValidateOrderForm()), tracker)
    failures = slot_events(events)["failures"]
    assert failures == {"neck": 2}
    asking = order_form_tracker("", dict(selections), product="tailored_shirt")
    asking.slots["failures"] = failures
    _, messages = await run(Asking("specs_complete"), asking)
    assert 'Just the number, e.g. "33"' in messages[0]["text"]
    tracker = order_form_tracker("no idea really", dict(selections), product="tailored_shirt")
    tracker.slots["failures"] = failures
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    assert slot_events(events)["failures"] == {"neck": 3}
    assert "talk to a person" in messages[0]["text"]
    [flag] = order_database.flags_for("test-actions")
    assert flag["reason"] == "stuck at 'Neck' after 3 tries"
