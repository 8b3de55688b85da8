"""The customer's own figures travel with the order: "neck 15.5 inches" is stored as
39.4 cm, shown in the summary as "39.4 cm (15.5 inches)" and kept on the stored order's
option line for staff; a figure that does not read as the selected value (left over, or
forged) is never shown as the customer's."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from actions.contact_form import ActionPlaceOrder
from actions.order_form import ValidateOrderForm
from bot.core.catalog import load_catalog
from bot.core.placement import typed_figures
from bot.local import ROOT
from tests.support.trackers import Reading, Asking, make_tracker, run, slot_events

SHIRT_BUT_NECK = {"fabric": "linen_natural", "fit": "slim", "collar": "spread", "cuffs": "barrel", "chest": 102,
                  "waist": 86, "sleeve_length": 64, "shirt_length": 75, "monogram": None, "quantity": 1}


def shirt_form(text: str, selections: Dict[str, Any], **slots: Any):
    return make_tracker(text, slots={"product": "tailored_shirt", "selections": dict(selections),
                                     "requested_slot": "specs_complete", "answered_turn": 2, **slots})


@pytest.mark.parametrize("text, typed", [("15.5 inches", "15.5 inches"), ("neck 15½ in", "15½ in")])
async def test_a_converted_figure_is_kept_as_typed_and_shown_in_the_summary(text, typed):
    selections = {k: v for k, v in SHIRT_BUT_NECK.items() if k != "neck"}
    events, _ = await run(Reading(ValidateOrderForm()), shirt_form(text, selections))
    slots = slot_events(events)
    assert slots["selections"]["neck"] == 39.4 and slots["typed"] == {"neck": typed}
    _, messages = await run(Asking("specs_complete"), shirt_form("ok", slots["selections"], typed=slots["typed"]))
    assert f"- Neck: 39.4 cm ({typed})" in messages[0]["text"]


async def test_a_figure_in_the_shops_unit_keeps_nothing_and_a_change_drops_the_old_figure():
    selections = {k: v for k, v in SHIRT_BUT_NECK.items() if k != "neck"}
    events, _ = await run(Reading(ValidateOrderForm()), shirt_form("39.5", selections, typed={}))
    assert slot_events(events)["typed"] == {}
    full = {**selections, "neck": 39.4}
    events, _ = await run(Reading(ValidateOrderForm()), shirt_form("actually the neck is 40 cm", full,
                                                          typed={"neck": "15.5 inches"}))
    slots = slot_events(events)
    assert slots["selections"]["neck"] == 40 and slots["typed"] == {}


async def test_the_stored_order_keeps_the_figure_as_typed_beside_the_shops(order_database):
    tracker = make_tracker("Hauptstrasse 12, 10115 Berlin", slots={
        "product": "tailored_shirt", "selections": {**SHIRT_BUT_NECK, "neck": 39.4}, "draft_id": "typed-1",
        "typed": {"neck": "15.5 inches", "chest": "40 in"},  # the chest figure does not read as 102 cm
        "customer_name": "Anna Schmidt", "customer_email": "anna@example.com",
        "customer_address": "Hauptstrasse 12, 10115 Berlin"})
    await run(ActionPlaceOrder(), tracker)
    [order] = order_database.all_orders()
    details = {d["id"]: d for d in order["option_details"]}
    assert details["neck"]["label"] == "39.4 cm (15.5 inches)" and details["neck"]["typed"] == "15.5 inches"
    assert details["chest"]["label"] == "102 cm" and "typed" not in details["chest"]


def test_only_figures_that_read_as_the_selected_value_are_kept():
    shirt = load_catalog(ROOT / "catalog.yml").product("tailored_shirt")
    selections = {**SHIRT_BUT_NECK, "neck": 39.4}
    assert typed_figures(shirt, selections, {"neck": "15.5 in"}) == {"neck": "15.5 in"}
    assert typed_figures(shirt, selections, {"neck": "16 in", "fabric": "linen", "waist": "\x1b[31m34 in"}) == {}
    assert typed_figures(shirt, selections, "15.5 in") == {} and typed_figures(shirt, selections, None) == {}
