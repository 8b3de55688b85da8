"""The order form reads every part of a message (CollectingDispatcher, real Trackers): a
question never fills an option whatever intent the NLU gives it, a pick beside a question
is taken and the question answered, "none" and description words named in a clause are
taken, at the summary every change of a message is made and "change the storage" asks the
storage again, a split over the quantity changes nothing, and a part neither taken nor
answered is said to be not understood."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from rasa_sdk import Tracker

from actions.order_form import ValidateOrderForm
from tests.support.trackers import Reading, Asking, FULL_PC, make_tracker, run, slot_events

SHIRT = {"fabric": "linen_natural", "fit": "slim", "collar": "spread", "cuffs": "barrel", "neck": 39.5,
         "chest": 102, "waist": 86, "sleeve_length": 64, "shirt_length": 75, "monogram": None, "quantity": 3}


def form(text: str, selections: Dict[str, Any], product: str = "custom_pc", intent: str = "inform",
         **slots: Any) -> Tracker:
    return make_tracker(text, intent=intent, slots={
        "product": product, "selections": dict(selections), "requested_slot": "specs_complete", "answered_turn": 2,
        **slots,
    })


def said(messages) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


UP_TO_GRAPHICS = {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb"}


@pytest.mark.parametrize("text, intent, selections, product", [
    ("is the 4070 super enough for resolve or do I need the 4080?", "inform", UP_TO_GRAPHICS, "custom_pc"),
    ("is the 4070 super enough for resolve or do I need the 4080?", "ask_options", UP_TO_GRAPHICS, "custom_pc"),
    ("what's the difference between 16 and 32 for gaming?", "inform", {"cpu": "ryzen7_7800x3d"}, "custom_pc"),
    ("would the ryzen 7 be better?", "inform", {}, "custom_pc"),
    ("does the linen wrinkle?", "inform", {}, "tailored_shirt"),
    ("how do I measure my neck?", "inform",
     {"fabric": "linen_natural", "fit": "slim", "collar": "spread", "cuffs": "barrel"}, "tailored_shirt"),
    ("would the rx 7800 xt run cooler", "inform", UP_TO_GRAPHICS, "custom_pc"),
    ("the 4080 super?", "affirm", UP_TO_GRAPHICS, "custom_pc"),
])
async def test_a_question_never_fills_an_option_whatever_the_intent(text, intent, selections, product):
    events, messages = await run(Reading(ValidateOrderForm()), form(text, selections, product=product, intent=intent))
    assert "selections" not in slot_events(events)
    assert messages, "the question gets an answer"
    assert "Got it" not in said(messages) and "->" not in said(messages)


async def test_a_question_read_as_an_answer_is_answered_from_the_catalog():
    _, messages = await run(Reading(ValidateOrderForm()), form("would the ryzen 7 be better?", {}))
    assert "AMD Ryzen 7 7800X3D" in said(messages)  # the catalog's words on the value it names


async def test_the_question_beside_a_pick_is_answered_about_the_pick():
    events, messages = await run(Reading(ValidateOrderForm()), form("I'll take the 4080 super, is that enough?", UP_TO_GRAPHICS))
    assert slot_events(events)["selections"]["graphics"] == "rtx_4080_super"
    assert "GeForce RTX 4080 Super" in said(messages)


@pytest.mark.parametrize("text, option, value", [
    ("can I have the 4080?", "graphics", "rtx_4080_super"),
    ("I'll take the 4080 super, is that enough?", "graphics", "rtx_4080_super"),
    ("could you put in the rx 7800 xt please?", "graphics", "rx_7800_xt"),
])
async def test_a_clear_pick_is_taken_even_as_a_question(text, option, value):
    events, messages = await run(Reading(ValidateOrderForm()), form(text, UP_TO_GRAPHICS))
    assert slot_events(events)["selections"][option] == value


async def test_a_value_beside_a_question_is_taken_and_the_question_answered():
    selections = {key: value for key, value in FULL_PC.items() if key not in ("case", "os")}
    tracker = form("full tower. when would it be ready if I order today?", selections, intent="ask_lead_time")
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    assert slot_events(events)["selections"]["case"] == "full_tower"
    assert messages[0]["text"] == "Got it: Case: Full tower."  # said back before the answer
    assert "ready around" in said(messages)
    # The form's next question follows: the operating system.
    _, asked = await run(Asking("specs_complete"), form("", slot_events(events)["selections"]))
    assert asked[0]["text"].startswith("(6/6)")


async def test_a_price_question_beside_a_pick_is_answered_with_the_new_price():
    events, messages = await run(Reading(ValidateOrderForm()), form("64gb please, how much is it now?", {"cpu": "ryzen7_7800x3d"},
                                                           intent="ask_price"))
    assert slot_events(events)["selections"]["memory"] == "ddr5_64gb"
    assert "So far €707.00" in said(messages)  # 99 + 399 + 209


async def test_a_described_value_is_taken_and_said_back():
    selections = {"fabric": "oxford_white", "fit": "regular"}
    events, messages = await run(Reading(ValidateOrderForm()), form("spread collar and normal buttoned cuffs", selections,
                                                           product="tailored_shirt"))
    assert slot_events(events)["selections"] == {**selections, "collar": "spread", "cuffs": "barrel"}
    assert 'I took "normal buttoned cuffs" as Barrel for the cuffs' in said(messages)


async def test_words_for_an_option_that_name_no_value_are_said_not_understood():
    selections = {"fabric": "oxford_white", "fit": "regular"}
    events, messages = await run(Reading(ValidateOrderForm()), form("spread collar, cuffs with tiny pearl studs", selections,
                                                           product="tailored_shirt"))
    assert slot_events(events)["selections"] == {**selections, "collar": "spread"}
    assert 'I didn\'t understand "cuffs with tiny pearl studs" for the cuffs' in said(messages)


async def test_skipping_an_option_with_a_none_value_in_a_clause_takes_it():
    selections = {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb"}
    events, messages = await run(Reading(ValidateOrderForm()), form("2tb and skip the graphics card", selections))
    assert slot_events(events)["selections"] == {**selections, "storage": "ssd_2tb", "graphics": "none"}
    assert "Graphics: No graphics card" in said(messages)


async def test_a_part_neither_taken_nor_answered_is_said():
    events, messages = await run(Reading(ValidateOrderForm()), form("the 7800X3D please, and paint it purple", {}))
    assert slot_events(events)["selections"] == {"cpu": "ryzen7_7800x3d"}
    assert 'I didn\'t understand "paint it purple"' in said(messages)


async def test_two_changes_at_the_summary_are_both_made():
    tracker = form("change the cpu to the ryzen 5 and the memory to 64gb", dict(FULL_PC))
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    selections = slot_events(events)["selections"]
    assert selections["cpu"] == "ryzen5_7600" and selections["memory"] == "ddr5_64gb"
    assert "CPU: AMD Ryzen 7 7800X3D -> AMD Ryzen 5 7600" in said(messages)
    assert "Memory: 32 GB DDR5 -> 64 GB DDR5" in said(messages)


async def test_change_an_option_at_the_summary_asks_it_again():
    events, messages = await run(Reading(ValidateOrderForm()), form("change the storage", dict(FULL_PC)))
    slots = slot_events(events)
    assert "storage" not in slots["selections"]
    assert slots["changing"] == {"option": "storage", "old": "ssd_2tb"}
    assert said(messages) == "OK, let's change the storage (now 2 TB NVMe SSD)."
    _, asked = await run(Asking("specs_complete"), form("", slots["selections"], changing=slots["changing"]))
    assert asked[0]["text"].startswith("(3/6) Which SSD")


@pytest.mark.parametrize("text", ["i'd like to swap the case", "can we change the operating system"])
async def test_other_ways_to_reopen_an_option_at_the_summary(text):
    events, _ = await run(Reading(ValidateOrderForm()), form(text, dict(FULL_PC)))
    assert slot_events(events)["changing"]["option"] in ("case", "os")


async def test_fabric_and_quantity_at_the_summary_are_both_changed():
    tracker = form("let's do the white oxford instead, and make it 2 of them", SHIRT, product="tailored_shirt")
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    selections = slot_events(events)["selections"]
    assert selections["fabric"] == "oxford_white"
    assert selections["quantity"] == 2, said(messages)


@pytest.mark.parametrize("text, selections", [
    ("can 1 of them be linen and the other 2 in the light blue poplin?", SHIRT),
    ("two in white and one in blue", {key: value for key, value in SHIRT.items() if key != "fabric"}),
])
async def test_a_split_over_the_quantity_changes_nothing(text, selections):
    events, messages = await run(Reading(ValidateOrderForm()), form(text, selections, product="tailored_shirt"))
    assert "selections" not in slot_events(events)
    assert "One order holds one configuration" in said(messages) and "another order" in said(messages)


async def test_a_question_at_the_summary_changes_nothing():
    tracker = form("would the 4080 super fit in the compact case?", dict(FULL_PC))
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    assert "selections" not in slot_events(events)
    assert messages


async def test_an_unclear_message_at_the_summary_quotes_what_was_not_understood():
    _, messages = await run(Reading(ValidateOrderForm()), form("paint it purple", dict(FULL_PC)))
    assert said(messages).startswith('Sorry, I didn\'t understand "paint it purple"')


async def test_a_question_in_the_first_message_fills_nothing_but_the_product():
    from actions.order_form import ActionStartOrder

    tracker = make_tracker("a gaming pc - would the 4080 super be enough for 4k?", intent="order_product")
    events, messages = await run(ActionStartOrder(), tracker)
    slots = slot_events(events)
    assert slots["product"] == "custom_pc" and slots["selections"] == {}
    assert len(messages) >= 2  # the order begins, and the question gets an answer


async def test_a_pick_in_the_first_message_beside_a_question_is_taken():
    from actions.order_form import ActionStartOrder

    tracker = make_tracker("a linen shirt please, how long do you need for it?", intent="order_product")
    events, _ = await run(ActionStartOrder(), tracker)
    assert slot_events(events)["selections"] == {"fabric": "linen_natural"}


async def test_a_yes_with_a_question_mark_still_confirms_the_summary():
    events, _ = await run(Reading(ValidateOrderForm()), form("yes?", dict(FULL_PC), intent="affirm"))
    assert slot_events(events)["order_confirmed"] is True


async def test_changing_an_earlier_answer_mid_order_asks_it_again():
    events, messages = await run(Reading(ValidateOrderForm()), form("can we change the cpu?", UP_TO_GRAPHICS))
    slots = slot_events(events)
    assert "cpu" not in slots["selections"] and slots["changing"] == {"option": "cpu", "old": "ryzen7_7800x3d"}
    assert said(messages) == "OK, let's change the CPU (now AMD Ryzen 7 7800X3D)."


@pytest.mark.parametrize("text", [
    "i was thinking the 4070 super but not sure, is it good for streaming?",
    "I like the rx 7800 xt, but would the 4070 super be better for streaming?",
])
async def test_a_value_still_being_decided_on_beside_a_question_is_not_taken(text):
    events, messages = await run(Reading(ValidateOrderForm()), form(text, UP_TO_GRAPHICS))
    assert "selections" not in slot_events(events) and messages


async def test_what_is_wrong_with_an_answer_beside_a_question_is_said_with_the_answer():
    events, messages = await run(Reading(ValidateOrderForm()), form("32 gb, but does the type matter for gaming?",
                                                           {"cpu": "core_i5_14400f"}))
    assert "selections" not in slot_events(events)
    assert messages[0]["text"] == "Did you mean 32 GB DDR4 or 32 GB DDR5?" and len(messages) == 2


async def test_a_value_turned_down_is_not_taken_and_said():
    events, messages = await run(Reading(ValidateOrderForm()), form("the 4070 super, and I don't want windows", UP_TO_GRAPHICS))
    assert slot_events(events)["selections"] == {**UP_TO_GRAPHICS, "graphics": "rtx_4070_super"}
    assert "Noted: not Windows 11 Home" in said(messages)


async def test_an_option_named_by_its_initials_is_reopened_at_the_summary():
    events, messages = await run(Reading(ValidateOrderForm()), form("looks good but change the os", dict(FULL_PC)))
    assert slot_events(events)["changing"] == {"option": "os", "old": "windows_11_home"}
    assert said(messages) == "OK, let's change the operating system (now Windows 11 Home)."


async def test_a_question_at_the_product_question_is_answered_whatever_the_intent():
    tracker = make_tracker("which one would you recommend for video editing?", intent="inform",
                           slots={"requested_slot": "product", "answered_turn": 2})
    events, messages = await run(Reading(ValidateOrderForm()), tracker)
    assert slot_events(events)["product"] is None
    assert messages and "didn't recognise" not in said(messages)


@pytest.mark.parametrize("text, selections, product, intent, quoted", [
    ("maybe the linen", {}, "tailored_shirt", "inform", '"maybe the linen"'),
    ("perhaps the Slim?", {"fabric": "linen_natural"}, "tailored_shirt", "ask_options", '"perhaps the Slim?"'),
    ("my brother has the linen", {}, "tailored_shirt", "inform", "your brother"),
    ("probably the 4070 super", UP_TO_GRAPHICS, "custom_pc", "inform", '"probably the 4070 super"'),
])
async def test_a_guess_or_an_aside_is_asked_about_and_nothing_stored(text, selections, product, intent, quoted):
    """Issue 10: a guess is a question; someone else's value is not the customer's."""
    events, messages = await run(Reading(ValidateOrderForm()), form(text, selections, product=product, intent=intent))
    assert "selections" not in slot_events(events)
    assert quoted in said(messages) and "Got it" not in said(messages)
    assert messages[0].get("buttons"), "the value named is offered as a button"


@pytest.mark.parametrize("text, selections, product, expected, said_back", [
    ("the 4070 super, mid", UP_TO_GRAPHICS, "custom_pc", {"graphics": "rtx_4070_super", "case": "mid_tower"}, "Mid tower"),
    ("linen and make it 3", {}, "tailored_shirt", {"fabric": "linen_natural", "quantity": 3}, "3 shirts"),
    ("would 106.4 cm be too much? my chest is 98 cm",
     {"fabric": "linen_natural", "fit": "slim", "collar": "spread", "cuffs": "barrel", "neck": 40}, "tailored_shirt",
     {"chest": 98}, "Chest: 98 cm"),
])
async def test_every_plain_value_is_taken_and_said_back(text, selections, product, expected, said_back):
    events, messages = await run(Reading(ValidateOrderForm()), form(text, selections, product=product))
    assert slot_events(events)["selections"] == {**selections, **expected}
    assert said_back in said(messages)
