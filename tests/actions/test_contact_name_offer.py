"""The name question offers the first name a chat app sent with the customer's messages
(Telegram's, in the message metadata) as a one-tap answer."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.contact_form import (
    CONTACT_QUESTIONS,
    ValidateContactForm,
    offered_name,
)
from bot.local import ROOT
from tests.support.trackers import Asking

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())


def contact_tracker(metadata: List[Optional[Dict[str, Any]]], text: str = "yes",
                    slots: Optional[Dict[str, Any]] = None) -> Tracker:
    """A tracker in the contact form whose user messages carried `metadata`, oldest first
    (the last one is the latest message, `text`)."""
    events: List[Dict[str, Any]] = []
    for number, meta in enumerate(metadata):
        events.append({"event": "action", "name": "action_listen"})
        user = {"event": "user", "text": text if number == len(metadata) - 1 else f"earlier {number}"}
        if meta is not None:
            user["metadata"] = meta
        events.append(user)
    latest = {"intent": {"name": "inform", "confidence": 0.9}, "entities": [], "text": text,
              **({"metadata": metadata[-1]} if metadata and metadata[-1] is not None else {})}
    return Tracker(
        sender_id="telegram:42", slots=dict.fromkeys(DOMAIN["slots"]) | (slots or {}),
        latest_message=latest, events=events, paused=False, followup_action=None,
        active_loop={"name": "contact_form"}, latest_action_name="action_listen",
    )


async def ask(action, tracker: Tracker) -> List[Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, tracker, DOMAIN)
    return dispatcher.messages


async def test_the_telegram_first_name_is_offered_as_a_button_whose_payload_is_the_name():
    [message] = await ask(Asking("customer_name"), contact_tracker([{"first_name": "Anna", "language": "de"}]))
    assert message["text"] == CONTACT_QUESTIONS["customer_name"]
    assert message["buttons"] == [{"title": "Use Anna", "payload": "Anna"}]


async def test_a_first_name_from_an_earlier_message_is_offered_the_latest_first():
    tracker = contact_tracker([{"first_name": "Old"}, {"first_name": "  Anna   Maria "}, None, {"language": "de"}])
    assert offered_name(tracker) == "Anna Maria"
    [message] = await ask(Asking("customer_name"), tracker)
    assert message["buttons"] == [{"title": "Use Anna Maria", "payload": "Anna Maria"}]


@pytest.mark.parametrize("metadata", [
    [None, None],  # REST and the web chat send none
    [{}],
    [{"language": "de"}],
    [{"first_name": None}],
    [{"first_name": ""}],
    [{"first_name": "   "}],
    [{"first_name": "/cancel"}],  # would be read as an intent
    [{"first_name": 42}],
    [{"first_name": "x" * 65}],  # longer than Telegram allows: not from Telegram
    ["not a dict"],
    [{"first_name": "Anna 🌸"}],  # the name question would refuse it as typed
    [{"first_name": "42"}],
])
async def test_nothing_is_offered_without_a_usable_first_name(metadata):
    [message] = await ask(Asking("customer_name"), contact_tracker(metadata))
    assert message["text"] == CONTACT_QUESTIONS["customer_name"]
    assert message["buttons"] == []


async def test_only_the_name_question_offers_it():
    [message] = await ask(Asking("customer_email"), contact_tracker([{"first_name": "Anna"}]))
    assert message["text"] == CONTACT_QUESTIONS["customer_email"] and message["buttons"] == []


async def test_pressing_the_button_answers_the_name_question():
    # The button's payload comes back as the customer's message text.
    tracker = contact_tracker([{"first_name": "Anna"}, {"first_name": "Anna"}], text="Anna",
                              slots={"requested_slot": "customer_name"})
    dispatcher = CollectingDispatcher()
    events = await ValidateContactForm().validate(dispatcher, tracker, DOMAIN)
    assert {"event": "slot", "name": "customer_name", "value": "Anna", "timestamp": None} in events
    assert [m["text"] for m in dispatcher.messages] == ["Thanks, Anna."]  # said back in the same reply
