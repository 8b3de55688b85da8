"""What the actions say, worded as people speak: statuses, one set of buttons, one line at
the summary, a goodbye for "bye"."""

from __future__ import annotations

import pytest

from actions.service_actions import ActionAnswer
from tests.support.orders import new_order
from tests.support.trackers import Reading, Asking, make_tracker, run


def answer_tracker(text: str, intent: str, **slots):
    tracker = make_tracker(text, intent=intent, slots=slots, sender="test-wording")
    tracker.active_loop = {}
    return tracker


async def test_an_order_in_production_is_said_in_words_when_the_customer_cancels(order_database):
    number = order_database.place_order(new_order(conversation_id="test-wording"))["number"]
    order_database.change_status(number, "confirmed", "grace")
    order_database.change_status(number, "in_production", "grace")
    _, messages = await run(ActionAnswer(), answer_tracker(f"cancel my order {number}", "cancel_order"))
    assert f"Order {number} is already in production, so it can't be cancelled" in messages[0]["text"]
    # confirmed "yes" after staff moved the order on meanwhile
    _, messages = await run(ActionAnswer(), answer_tracker("yes", "affirm", pending=f"cancel_order:{number}"))
    assert "already in production" in messages[0]["text"]
    assert "in_production" not in " ".join(m["text"] for m in messages)


async def test_lists_of_names_are_worded_by_the_core(demo_catalog):
    from bot.core.phrases import name_list

    _, messages = await run(ActionAnswer(), answer_tracker("what are the options?", "ask_options"))
    names = [p.name for p in demo_catalog.products]
    assert f"We make: {name_list(names, 'and')}." in messages[0]["text"]
    assert f"{names[-2]} and {names[-1]}." in messages[0]["text"]


async def test_no_ambiguity_question_about_a_value_the_rules_exclude():
    from actions.order_form import ValidateOrderForm
    from tests.support.trackers import slot_events

    tracker = make_tracker("32 gb", slots={"product": "custom_pc", "selections": {"cpu": "ryzen7_7800x3d"},
                                           "requested_slot": "specs_complete", "answered_turn": 2})
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    assert slot_events(events)["selections"] == {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb"}
    text = " ".join(m["text"] for m in messages)
    assert "I took 32 GB DDR5 for the memory" in text and "Did you mean" not in text


async def test_a_refusal_with_buttons_and_the_question_after_it_are_one_set_of_buttons():
    from actions.order_form import ValidateOrderForm

    slots = {"product": "custom_pc", "selections": {}, "requested_slot": "specs_complete", "answered_turn": 2}
    _, refusal = await run(Reading(ValidateOrderForm()), make_tracker("a pentium", slots=slots))
    assert refusal[0]["buttons"]  # "not one of our CPU options", with the CPUs as buttons
    asking = make_tracker("a pentium", slots=slots)
    asking.events.append({"event": "bot", "text": refusal[0]["text"], "data": {"buttons": refusal[0]["buttons"]}})
    _, question = await run(Asking("specs_complete"), asking)
    assert question[0]["text"].startswith("(1/6)") and not question[0]["buttons"]
    # a question the customer just reached (no buttons sent yet in this reply) keeps its buttons
    _, question = await run(Asking("specs_complete"), make_tracker("hi", slots=slots))
    assert len(question[0]["buttons"]) == 5


def at_summary(text: str, intent: str, seen, selections):
    """The order form at its summary; `seen`: the selections of the summary shown before."""
    tracker = make_tracker(text, intent=intent, slots={
        "product": "custom_pc", "selections": dict(selections), "requested_slot": "specs_complete", "answered_turn": 2})
    if seen is not None:
        tracker.events.insert(-1, {"event": "bot", "text": "the summary", "metadata": {"summary_of": dict(seen)}})
    return tracker


@pytest.mark.parametrize("text, intent, answer", [
    ("how much is it?", "ask_price", "comes to €1,622.00 in total"),
    ("when would it be ready?", "ask_lead_time", "7 business days"),
    ("what did you put for the memory?", "ask_summary", "Memory: 32 GB DDR5."),
    ("what cases are there?", "ask_options", "Case options for the Custom PC"),
])
async def test_a_question_at_the_summary_gets_its_answer_and_one_line(text, intent, answer):
    from actions.order_form import ValidateOrderForm
    from tests.support.trackers import FULL_PC

    events, messages = await run(Reading(ValidateOrderForm()), at_summary(text, intent, FULL_PC, FULL_PC))
    assert answer in messages[0]["text"] and "**Custom PC**" not in messages[0]["text"]
    _, asked = await run(Asking("specs_complete"), at_summary(text, intent, FULL_PC, FULL_PC))
    assert asked[0]["text"] == "Shall I place this order?"
    assert [b["payload"] for b in asked[0]["buttons"]] == ["/affirm", "/deny"]


async def test_the_summary_is_shown_in_full_the_first_time_and_after_a_change():
    from tests.support.trackers import FULL_PC

    _, first = await run(Asking("specs_complete"), at_summary("linux", "inform", None, FULL_PC))
    assert first[0]["text"].startswith("**Custom PC**") and first[0]["summary_of"] == FULL_PC
    changed = dict(FULL_PC, memory="ddr5_64gb")
    _, again = await run(Asking("specs_complete"), at_summary("make it 64gb", "inform", FULL_PC, changed))
    assert again[0]["text"].startswith("**Custom PC**") and "64 GB DDR5" in again[0]["text"]


@pytest.mark.parametrize("selections", [{}, {"cpu": "ryzen5_7600"}])
async def test_bye_in_the_order_form_gets_a_goodbye_and_no_question_after_it(selections):
    from actions.order_form import ValidateOrderForm

    slots = {"product": "custom_pc", "selections": selections, "requested_slot": "specs_complete", "answered_turn": 2}
    events, said = await run(Reading(ValidateOrderForm()), make_tracker("bye", intent="goodbye", slots=slots))
    assert [m["text"] for m in said] == ["Goodbye! Your Custom PC order is kept here; come back any time to finish it."]
    _, asked = await run(Asking("specs_complete"), make_tracker("bye", intent="goodbye", slots=slots))
    assert asked == []
    _, asked = await run(Asking("product"), make_tracker("see you", intent="goodbye", slots={"requested_slot": "product"}))
    assert asked == []
    _, asked = await run(Asking("specs_complete"), make_tracker("hi", intent="greet", slots=slots))
    assert asked and asked[0]["text"].startswith("(")  # back again: the question is asked


async def test_a_placed_order_of_two_shirts_keeps_its_quantity_line(order_database):
    from actions.contact_form import ActionPlaceOrder

    shirts = {"fabric": "oxford_white", "fit": "slim", "collar": "spread", "cuffs": "french", "neck": 39,
              "chest": 100, "waist": 90, "sleeve_length": 64, "shirt_length": 75, "monogram": None, "quantity": 2}
    tracker = make_tracker("Hauptstrasse 12, 10115 Berlin", sender="test-wording", slots={
        "product": "tailored_shirt", "selections": shirts, "draft_id": "draft-shirts", "customer_name": "Anna Schmidt",
        "customer_email": "anna@example.com", "customer_address": "Hauptstrasse 12, 10115 Berlin"})
    await run(ActionPlaceOrder(), tracker)
    [order] = order_database.all_orders()
    assert [line["amount"] for line in order["price_lines"]] == ["59.00", "10.00", "138.00"]
    assert order["price_lines"][-1]["kind"] == "quantity" and order["price_lines"][-1]["label"] == "2 shirts × €69.00"
    assert order["total"] == "138.00"


@pytest.mark.parametrize("text", ["change the cpu to the ryzen 5", "actually make it a Ryzen 5 7600 instead"])
async def test_a_change_tells_each_part_with_its_own_price(text):
    """Issue 10: 'CPU: ... -> AMD Ryzen 5 7600, -35 EUR' folded the cleared DDR4 into the CPU's
    price; now the CPU is +10, the memory it cleared -45, and the total follows."""
    from actions.order_form import ValidateOrderForm
    from tests.support.trackers import FULL_PC, slot_events

    before = dict(FULL_PC, cpu="core_i5_14400f", memory="ddr4_16gb")
    tracker = make_tracker(text, slots={"product": "custom_pc", "selections": before,
                                        "requested_slot": "specs_complete", "answered_turn": 2})
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    selections = slot_events(events)["selections"]
    assert selections["cpu"] == "ryzen5_7600" and "memory" not in selections
    said = "\n".join(m["text"] for m in messages)
    assert "CPU: Intel Core i5-14400F -> AMD Ryzen 5 7600, +10 EUR" in said
    assert "Memory 16 GB DDR4 (-45 EUR) no longer fits the AMD Ryzen 5 7600, so I'll ask for it again" in said
    assert "Total so far: €1,313.00" in said  # 1348 + 10 - 45
    assert "-35 EUR" not in said
