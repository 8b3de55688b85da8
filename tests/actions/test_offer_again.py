"""Issue 10: a choice a rule refused is remembered and, once the customer changes what the
rule depends on, offered again as a question ("... Now that the width is 2.2 m, shall I
make the roof Cedar shingles?"), never set silently; "yes" (or its button) sets it and says
so, "no" keeps what there is. Played turn by turn through the order form's whole reply
(validation and question), on the demo catalog with a garden shed it has never seen."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
import yaml
from rasa_sdk import Tracker

from actions.kit import resources, tracker_after
from actions.order_form import ValidateOrderForm
from bot.core.catalog import load_catalog
from bot.core.reoffers import Refused, offer_again
from bot.local import DEMO_CATALOG
from tests.core.test_cues import SHED
from tests.support.trackers import make_tracker, run

SUMMARY = {"width": 3, "depth": 2.5, "roof": "felt", "window": False}


@pytest.fixture
def shed_shop(tmp_path, monkeypatch, order_database):
    catalog = yaml.safe_load(DEMO_CATALOG.read_text())
    catalog["products"] += SHED["products"]
    path = tmp_path / "catalog.yml"
    path.write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("BESPOKE_CATALOG", str(path))
    resources.reset()
    return load_catalog(path)


class Conversation:
    """One order of the shed, at its summary, spoken to turn by turn."""

    def __init__(self, selections: Dict[str, Any]):
        self.tracker = make_tracker("earlier", slots={"product": "garden_shed", "selections": dict(selections),
                                                      "requested_slot": "specs_complete", "draft_id": "d1",
                                                      "answered_turn": 2})
        self.tracker.events.insert(0, {"event": "slot", "name": "draft_id", "value": "d1"})

    async def say(self, text: str, intent: str = "inform", entities=None) -> List[str]:
        events = list(self.tracker.events) + [{"event": "action", "name": "action_listen"},
                                              {"event": "user", "text": text}]
        latest = {"intent": {"name": intent, "confidence": 0.95}, "entities": entities or [], "text": text}
        tracker = Tracker(self.tracker.sender_id, dict(self.tracker.slots), latest, events, False, None,
                          {"name": "order_form"}, "action_listen")
        returned, messages = await run(ValidateOrderForm(), tracker)
        self.tracker = tracker_after(tracker, returned, messages)
        return [m.get("text") or "" for m in messages]

    @property
    def selections(self) -> Dict[str, Any]:
        return self.tracker.get_slot("selections")


@pytest.mark.parametrize("refusing, widening", [
    ("actually make it cedar shingles and 1.8 m wide", "2.2 m wide then"),
    ("1.8 m wide, and the cedar shingle roof", "hmm ok make the width 2.4 metres"),
])
async def test_a_refused_choice_is_offered_again_once_the_rule_allows_it_and_yes_sets_it(shed_shop, refusing, widening):
    chat = Conversation(SUMMARY)
    said = await chat.say(refusing)
    assert any("Cedar shingles need a shed at least 2 m wide" in text for text in said), said
    assert chat.selections["roof"] == "felt" and chat.selections["width"] == 1.8
    said = await chat.say(widening)
    offer = [text for text in said if "shall I make the roof Cedar shingles?" in text]
    assert offer and "Now that the width is 2." in offer[0], said
    assert chat.selections["roof"] == "felt"  # asked, not set
    assert not any("Shall I place this order?" in text for text in said), said  # one question in the reply
    said = await chat.say("yes", intent="affirm")
    assert any("Roof: Felt -> Cedar shingles" in text for text in said), said
    assert chat.selections["roof"] == "cedar_shingles" and not chat.tracker.get_slot("order_confirmed")


async def test_no_to_the_offer_keeps_the_choice_and_is_not_a_no_to_the_summary(shed_shop):
    chat = Conversation(SUMMARY)
    await chat.say("cedar shingles and 1.8 m wide")
    await chat.say("2.2 m wide then")
    said = await chat.say("no", intent="deny")
    assert said[0] == "OK, the roof stays Felt.", said
    assert chat.selections["roof"] == "felt" and (chat.tracker.get_slot("changing") or {}).get("mode") != "which"
    said = await chat.say("2.5 m wide")  # offered once: a later change does not ask again
    assert not any("shall I make the roof" in text for text in said), said


async def test_the_offer_s_button_sets_the_value_as_data(shed_shop):
    chat = Conversation(SUMMARY)
    await chat.say("cedar shingles and 1.8 m wide")
    await chat.say("2.2 m wide then")
    said = await chat.say('/inform{"choice":"cedar_shingles","option":"roof"}', entities=[
        {"entity": "choice", "value": "cedar_shingles"}, {"entity": "option", "value": "roof"}])
    assert any("Roof: Felt -> Cedar shingles" in text for text in said), said


def test_an_offer_needs_the_rule_to_allow_it_and_is_made_once(shed_shop):
    shed = shed_shop.product("garden_shed")
    refused = [Refused("roof", "cedar_shingles", "shingles_need_width")]
    narrow = {**SUMMARY, "width": 1.8}
    assert offer_again(shed, narrow, refused, []) is None  # still too narrow
    assert offer_again(shed, {**SUMMARY, "width": 2.2}, refused, [("roof", "cedar_shingles")]) is None  # offered
    assert offer_again(shed, {**SUMMARY, "roof": "cedar_shingles"}, refused, []) is None  # chosen since
    offer = offer_again(shed, {**SUMMARY, "width": 2.2}, refused, [])
    assert offer is not None and offer.text == ("Cedar shingles need a shed at least 2 m wide. Now that the width is "
                                                "2.2 m, shall I make the roof Cedar shingles?")
