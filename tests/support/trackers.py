"""Real rasa-sdk Trackers for action tests, running an action with a CollectingDispatcher,
and the actions' shared resources built for one test."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.kit import Resources, resources
from bot.local import ROOT

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
        sender_id=sender, slots=dict.fromkeys(DOMAIN["slots"]) | (slots or {}),
        latest_message=latest, events=events, paused=False, followup_action=None,
        active_loop={"name": "order_form"}, latest_action_name="action_listen",
    )


def slot_events(events) -> Dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


async def run(action, tracker: Tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, DOMAIN)
    return events, dispatcher.messages


@contextmanager
def action_resources() -> Iterator[Resources]:
    """The actions' catalog and order store, built anew from the environment the test set
    (its DATABASE_URL, ...) and closed afterwards."""
    resources.reset()
    try:
        yield resources
    finally:
        resources.reset()


class Asking:
    """The question a form's validation action asks for `slot` once it has read a message
    (its `ask` step alone, run like an action): the form has no action_ask_* of its own."""

    def __init__(self, slot: str):
        self.slot = slot

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]):
        from actions.contact_form import ValidateContactForm
        from actions.kit import CONTACT_SLOTS
        from actions.order_form import ValidateOrderForm

        form = ValidateContactForm() if self.slot in CONTACT_SLOTS else ValidateOrderForm()
        return form.ask(dispatcher, tracker, self.slot)


class Reading:
    """A form's validation action without its question: what it takes from the message and
    says about it (`validate`), run like an action. Its whole reply, question included, is
    tested in tests/actions/test_one_call.py."""

    def __init__(self, form: Any):
        self.form = form

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]):
        return await self.form.validate(dispatcher, tracker, domain)
