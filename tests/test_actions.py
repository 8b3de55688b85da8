"""The custom actions with rasa-sdk's CollectingDispatcher and real Trackers."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import order_actions
from actions.order_actions import (
    ActionAskSpecsComplete,
    ActionListProducts,
    ActionPlaceOrder,
    ActionStartOrder,
    ValidateContactForm,
    ValidateOrderForm,
)
from tests.conftest import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
FULL_PC = {
    "cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb",
    "graphics": "rtx_4070_super", "case": "mid_tower", "os": "windows_11_home",
}


def make_tracker(
    text: str,
    intent: str = "inform",
    slots: Optional[Dict[str, Any]] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    turns: int = 3,
    sender: str = "test-actions",
) -> Tracker:
    """A tracker whose last event is the customer's `text` (message number `turns`)."""
    events: List[Dict[str, Any]] = []
    for number in range(turns):
        events.append({"event": "action", "name": "action_listen"})
        events.append({"event": "user", "text": text if number == turns - 1 else f"earlier {number}"})
    latest = {"intent": {"name": intent, "confidence": 0.9}, "entities": entities or [], "text": text}
    return Tracker(
        sender_id=sender, slots={slot: None for slot in DOMAIN["slots"]} | (slots or {}),
        latest_message=latest, events=events, paused=False, followup_action=None,
        active_loop={"name": "order_form"}, latest_action_name="action_listen",
    )


def slot_events(events) -> Dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


async def run(action, tracker: Tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, DOMAIN)
    return events, dispatcher.messages


async def test_greeting_lists_every_product_as_a_button(demo_catalog):
    _, messages = await run(ActionListProducts(), make_tracker("hi", intent="greet"))
    assert [b["title"] for b in messages[0]["buttons"]] == [p.name for p in demo_catalog.products]
    assert messages[0]["text"].startswith("Hello!")


@pytest.mark.parametrize("text, product", [
    ("I need a gaming PC", "custom_pc"), ("a shirt", "tailored_shirt"),
    ("a conveyor for our bakery", "conveyor"), ("I'd like a spaceship", None),
])
async def test_start_order_finds_the_product_in_words(text, product):
    events, _ = await run(ActionStartOrder(), make_tracker(text, intent="order_product"))
    slots = slot_events(events)
    assert slots["product"] == product
    assert slots["selections"] == {} and slots["draft_id"]


async def test_start_order_takes_the_product_from_a_button():
    tracker = make_tracker('/order_product{"product":"conveyor"}', intent="order_product",
                           entities=[{"entity": "product", "value": "conveyor"}])
    events, _ = await run(ActionStartOrder(), tracker)
    assert slot_events(events)["product"] == "conveyor"


def order_form_tracker(text: str, selections: Dict[str, Any], product: str = "custom_pc", **kwargs) -> Tracker:
    return make_tracker(text, slots={
        "product": product, "selections": selections, "requested_slot": "specs_complete", "answered_turn": 2,
    }, **kwargs)


async def test_a_valid_answer_fills_the_option_and_keeps_asking():
    events, messages = await run(ValidateOrderForm(), order_form_tracker("the 7800X3D", {}))
    slots = slot_events(events)
    assert slots["selections"] == {"cpu": "ryzen7_7800x3d"}
    assert slots["specs_complete"] is None
    assert messages == []


async def test_the_last_answer_completes_the_specification():
    selections = {key: value for key, value in FULL_PC.items() if key != "os"}
    events, _ = await run(ValidateOrderForm(), order_form_tracker("linux", selections))
    slots = slot_events(events)
    assert slots["selections"]["os"] == "ubuntu_24_04"
    assert slots["specs_complete"] is True


async def test_a_broken_rule_is_explained_and_nothing_is_stored():
    events, messages = await run(ValidateOrderForm(), order_form_tracker("32gb ddr4", {"cpu": "ryzen7_7800x3d"}))
    slots = slot_events(events)
    assert "selections" not in slots and slots["specs_complete"] is None
    assert "DDR5 memory only" in messages[0]["text"]
    assert "16 GB DDR5, 32 GB DDR5, 64 GB DDR5" in messages[0]["text"]


async def test_an_out_of_stock_value_offers_the_values_in_stock():
    events, messages = await run(ValidateOrderForm(), order_form_tracker("silk please", {}, product="tailored_shirt"))
    assert "selections" not in slot_events(events)
    assert "out of stock" in messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/inform{"choice":"oxford_white"}', '/inform{"choice":"poplin_light_blue"}',
        '/inform{"choice":"linen_natural"}', '/inform{"choice":"twill_navy"}',
    ]


async def test_a_button_payload_is_taken_as_the_exact_value():
    tracker = order_form_tracker('/inform{"choice":"core_i5_14400f"}', {},
                                 entities=[{"entity": "choice", "value": "core_i5_14400f"}])
    events, _ = await run(ValidateOrderForm(), tracker)
    assert slot_events(events)["selections"] == {"cpu": "core_i5_14400f"}


async def test_inches_are_converted_and_the_customer_is_told():
    selections = {"fabric": "linen_natural", "fit": "slim", "collar": "spread", "cuffs": "barrel"}
    events, messages = await run(ValidateOrderForm(), order_form_tracker("15.5", selections, product="tailored_shirt"))
    assert slot_events(events)["selections"]["neck"] == 39.4
    assert messages[0]["text"] == "I took 15.5 as inches = 39.4 cm."


async def test_a_message_already_read_is_not_read_again():
    tracker = order_form_tracker("the 7800X3D", {})
    tracker.slots["answered_turn"] = 3
    events, messages = await run(ValidateOrderForm(), tracker)
    assert events == [] and messages == []


async def test_naming_an_option_and_its_new_value_changes_it_at_once():
    events, messages = await run(ValidateOrderForm(), order_form_tracker("64GB memory", dict(FULL_PC)))
    slots = slot_events(events)
    assert slots["selections"]["memory"] == "ddr5_64gb"
    assert slots["specs_complete"] is True
    assert messages[0]["text"] == "Memory: 32 GB DDR5 -> 64 GB DDR5, +100 EUR"


async def test_the_next_question_offers_only_values_that_fit_earlier_choices():
    tracker = order_form_tracker("", {"cpu": "ryzen5_7600"})
    _, messages = await run(ActionAskSpecsComplete(), tracker)
    assert messages[0]["text"].startswith("(2/6) How much memory")
    assert [b["title"] for b in messages[0]["buttons"]] == [
        "16 GB DDR5 (+€59.00)", "32 GB DDR5 (+€109.00)", "64 GB DDR5 (+€209.00)",
    ]


@pytest.mark.parametrize("given, stored", [
    ("anna@example.com", "anna@example.com"), ("it's Anna@Example.com", "Anna@example.com"),
])
def test_email_is_checked_and_normalised(given, stored):
    result = ValidateContactForm().validate_customer_email(given, CollectingDispatcher(), make_tracker(given), DOMAIN)
    assert result == {"customer_email": stored}


def test_a_malformed_email_is_refused_with_an_example():
    dispatcher = CollectingDispatcher()
    result = ValidateContactForm().validate_customer_email("anna@", dispatcher, make_tracker("anna@"), DOMAIN)
    assert result == {"customer_email": None}
    assert "name@example.com" in dispatcher.messages[0]["text"]


@pytest.fixture
def order_database(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'orders.db'}")
    monkeypatch.setattr(order_actions, "_stores", {})
    yield order_actions.order_store()
    order_actions.order_store().dispose()


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


async def test_an_order_that_breaks_a_rule_is_never_stored(order_database):
    broken = dict(FULL_PC, memory="ddr4_32gb")
    _, messages = await run(ActionPlaceOrder(), placing_tracker(broken))
    assert "nothing was stored" in messages[0]["text"]
    assert order_database.all_orders() == []
