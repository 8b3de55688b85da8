"""A form's validation action reads the message and asks the form's next question in the
same reply (issue 12: one action-server call per form turn; the domain has no action_ask_*)."""

from __future__ import annotations

from typing import Any, Dict

from actions.contact_form import CONTACT_QUESTIONS, ValidateContactForm
from actions.order_form import ValidateOrderForm
from tests.support.trackers import DOMAIN, FULL_PC, make_tracker, run, slot_events


def order_form(text: str, selections: Dict[str, Any], intent: str = "inform", **slots: Any):
    return make_tracker(text, intent=intent, slots={
        "product": "custom_pc", "selections": selections, "requested_slot": "specs_complete", "answered_turn": 2,
        **slots,
    })


def test_the_domain_has_no_question_action_for_a_form_slot():
    """Rasa's form calls an action_ask_<slot> (or utters utter_ask_<slot>) when the domain has
    one: a second call, and a second question."""
    names = set(DOMAIN["actions"]) | set(DOMAIN.get("responses") or {})
    for form, spec in DOMAIN["forms"].items():
        for slot in spec["required_slots"]:
            asks = {f"action_ask_{slot}", f"action_ask_{form}_{slot}", f"utter_ask_{slot}", f"utter_ask_{form}_{slot}"}
            assert not asks & names, (form, slot)


async def test_an_answer_is_said_back_then_the_next_option_is_asked():
    events, messages = await run(ValidateOrderForm(), order_form("the 7800X3D", {}))
    assert slot_events(events)["selections"] == {"cpu": "ryzen7_7800x3d"}
    assert slot_events(events)["requested_slot"] == "specs_complete"
    assert [m["text"] for m in messages][0] == "Got it: CPU: AMD Ryzen 7 7800X3D."
    assert "memory" in messages[1]["text"].lower() and messages[1]["buttons"]
    assert len(messages) == 2


async def test_a_message_already_read_gets_only_the_question():
    """Back in the form after another action (or at activation, after action_start_order):
    nothing is read again, the question is asked."""
    tracker = order_form("the 7800X3D", {})
    tracker.slots["answered_turn"] = 3
    events, messages = await run(ValidateOrderForm(), tracker)
    assert events == [{"event": "slot", "timestamp": None, "name": "requested_slot", "value": "specs_complete"}]
    assert len(messages) == 1 and "CPU" in messages[0]["text"]


async def test_a_refusal_with_buttons_is_followed_by_the_question_without_them():
    events, messages = await run(ValidateOrderForm(), order_form("silk please", {}, product="tailored_shirt"))
    assert "out of stock" in messages[0]["text"] and messages[0]["buttons"]
    assert len(messages) == 2 and messages[1]["buttons"] == []  # one set of buttons per reply


async def test_the_last_answer_is_followed_by_the_summary():
    selections = {key: value for key, value in FULL_PC.items() if key != "os"}
    _, messages = await run(ValidateOrderForm(), order_form("linux", selections))
    assert "Total: €1,503.00" in messages[-1]["text"] and "Shall I place this order?" in messages[-1]["text"]


async def test_yes_at_the_summary_asks_nothing_and_the_form_ends():
    events, messages = await run(ValidateOrderForm(), order_form("yes", dict(FULL_PC), intent="affirm"))
    assert slot_events(events)["specs_complete"] is True and "requested_slot" not in slot_events(events)
    assert messages == []


async def test_no_at_the_summary_asks_which_option_to_change():
    _, messages = await run(ValidateOrderForm(), order_form("no", dict(FULL_PC), intent="deny"))
    assert messages[-1]["text"].startswith("Which option would you like to change?")


async def test_a_confirmed_cancel_ends_the_form_without_a_question():
    events, messages = await run(ValidateOrderForm(), order_form("yes", {}, intent="affirm", pending="cancel"))
    assert {"event": "active_loop", "timestamp": None, "name": None} in events
    assert [m["text"] for m in messages] == ["Your order is cancelled; nothing was stored. "
                                             "Say hello any time to start a new one."]


async def test_cancel_is_asked_to_be_confirmed():
    _, messages = await run(ValidateOrderForm(), order_form("cancel", {}, intent="cancel"))
    assert [m["text"] for m in messages] == ["Cancel this order? Nothing will be stored."]


async def test_an_unknown_product_is_followed_by_the_product_question():
    tracker = make_tracker("a spaceship", slots={"requested_slot": "product", "answered_turn": 2})
    events, messages = await run(ValidateOrderForm(), tracker)
    assert slot_events(events)["requested_slot"] == "product"
    assert messages[-1]["text"].startswith("Which product would you like?") and messages[-1]["buttons"]


async def test_a_product_named_is_followed_by_its_first_question():
    tracker = make_tracker("a shirt", slots={"requested_slot": "product", "answered_turn": 2})
    events, messages = await run(ValidateOrderForm(), tracker)
    assert slot_events(events)["product"] == "tailored_shirt"
    assert slot_events(events)["requested_slot"] == "specs_complete"
    assert "fabric" in messages[-1]["text"].lower()


def contact_form(text: str, requested: str, **slots: Any):
    tracker = make_tracker(text, slots={"product": "custom_pc", "selections": dict(FULL_PC), "specs_complete": True,
                                        "requested_slot": requested, "answered_turn": 2, **slots})
    tracker.active_loop = {"name": "contact_form"}
    return tracker


async def test_a_name_is_followed_by_the_email_question():
    events, messages = await run(ValidateContactForm(), contact_form("Anna Schmidt", "customer_name"))
    assert slot_events(events)["customer_name"] == "Anna Schmidt"
    assert slot_events(events)["requested_slot"] == "customer_email"
    assert messages[-1]["text"] == CONTACT_QUESTIONS["customer_email"]


async def test_the_contact_form_starts_with_the_name_question():
    tracker = contact_form("yes", None)
    tracker.slots["answered_turn"] = 3  # read by the order form in this turn
    events, messages = await run(ValidateContactForm(), tracker)
    assert slot_events(events) == {"requested_slot": "customer_name"}
    assert messages[-1]["text"] == CONTACT_QUESTIONS["customer_name"]


async def test_the_last_detail_asks_nothing():
    tracker = contact_form("Hauptstrasse 12, 10115 Berlin", "customer_address", customer_name="Anna Schmidt",
                           customer_email="anna@example.com")
    events, messages = await run(ValidateContactForm(), tracker)
    assert slot_events(events)["customer_address"] == "Hauptstrasse 12, 10115 Berlin"
    assert "requested_slot" not in slot_events(events)
    assert len(messages) == 1  # the address said back, no question
