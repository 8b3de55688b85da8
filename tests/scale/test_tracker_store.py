"""bot/scale/tracker_store.py: a tracker store whose database fails makes the turn fail, and
Rasa's REST channel then answers nothing; Rasa's own fail-safe forgot the conversation
(no tracker on a failed load) or kept a failed save in one process's memory."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.scale.tracker_store import install_strict_tracker_store, kept_or_nothing


class DatabaseAway(InMemoryTrackerStore):
    """A store whose database is gone (PostgreSQL restarting)."""

    async def retrieve(self, sender_id):
        raise ConnectionError("server closed the connection unexpectedly")

    async def save(self, tracker):
        raise ConnectionError("server closed the connection unexpectedly")


@pytest.fixture
def strict(monkeypatch):
    # Restored after the test: the patch is the Rasa server's, not this test process's.
    monkeypatch.setattr(Agent, "_create_tracker_store", Agent._create_tracker_store)
    monkeypatch.setattr(RestInput, "blueprint", RestInput.blueprint)
    install_strict_tracker_store()


def test_rasas_fail_safe_forgets_the_conversation_when_the_database_is_away():
    store = Agent._create_tracker_store(DatabaseAway(Domain.empty()), Domain.empty())
    # What the strict store replaces: no tracker (a new conversation), the save swallowed.
    assert asyncio.run(store.retrieve("customer")) is None
    asyncio.run(store.save(DialogueStateTracker("customer", [])))


def test_a_failed_load_or_save_fails_the_turn(strict):
    store = Agent._create_tracker_store(DatabaseAway(Domain.empty()), Domain.empty())
    with pytest.raises(ConnectionError):
        asyncio.run(store.retrieve("customer"))
    with pytest.raises(ConnectionError):
        asyncio.run(store.save(DialogueStateTracker("customer", [])))
    # A store that works is used as before.
    working = Agent._create_tracker_store(InMemoryTrackerStore(Domain.empty()), Domain.empty())
    asyncio.run(working.save(DialogueStateTracker("customer", [])))
    assert asyncio.run(working.retrieve("customer")).sender_id == "customer"


def test_the_rest_channel_says_nothing_of_a_turn_that_failed():
    async def turn_whose_save_fails(message):
        await message.output_channel.send_text_message(message.sender_id, "To place the order I need your name.")
        raise ConnectionError("the save failed")

    async def turn_that_works(message):
        await message.output_channel.send_text_message(message.sender_id, "Which CPU would you like?")

    failed, kept = CollectingOutputChannel(), CollectingOutputChannel()
    with pytest.raises(ConnectionError):
        asyncio.run(kept_or_nothing(turn_whose_save_fails)(UserMessage("yes", failed, "customer")))
    assert failed.messages == []
    asyncio.run(kept_or_nothing(turn_that_works)(UserMessage("a PC", kept, "customer")))
    assert [message["text"] for message in kept.messages] == ["Which CPU would you like?"]



def test_a_turn_whose_action_fails_is_not_continued(monkeypatch):
    """Rasa recorded a failed action as run and predicted the next one (a contact form whose
    call failed was followed by placing the order without the contact details)."""
    from rasa.core.actions.action import ActionExecutionRejection
    from rasa.core.processor import MessageProcessor

    from bot.scale.tracker_store import TurnFailed, fail_turns_whose_action_fails

    continued = []

    async def rasa_run_action(self, action, tracker, output_channel, nlg, prediction):
        try:  # what Rasa's _run_action does with the action's run
            await action.run(output_channel, nlg, tracker, None)
        except ActionExecutionRejection:
            return True
        except Exception:  # noqa: BLE001 - Rasa's: "Bot will continue, but the actions events are lost"
            pass
        continued.append(action.name())
        return True

    class Action:
        def __init__(self, error=None):
            self.error = error

        def name(self):
            return "contact_form"

        async def run(self, *args):
            if self.error:
                raise self.error
            return []

    monkeypatch.setattr(MessageProcessor, "_run_action", rasa_run_action)
    fail_turns_whose_action_fails()
    tracker = DialogueStateTracker("customer", [])
    run = MessageProcessor._run_action
    with pytest.raises(TurnFailed):
        asyncio.run(run(None, Action(ConnectionError("the action server is gone")), tracker, None, None, None))
    assert continued == []
    assert asyncio.run(run(None, Action(ActionExecutionRejection("contact_form")), tracker, None, None, None))
    assert asyncio.run(run(None, Action(), tracker, None, None, None)) and continued == ["contact_form"]
