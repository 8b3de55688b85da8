"""A tracker store that fails a turn when its database does, instead of Rasa's fail-safe.

Rasa wraps every tracker store in `FailSafeTrackerStore`: a load that fails returns *no
tracker*, so the message starts a new conversation (the customer's order half-way forgotten,
a new session written after the old one's events), and a save that fails goes to an
in-memory store of that one process, so the customer is answered while the database never
gets the turn (the next message, on any server, sees the conversation without it). Found by
tests/scale/test_faults.py restarting PostgreSQL under load: customers went on talking to a
bot that had forgotten their order.

Here a load or save that fails raises, as the database did: the turn is not processed (or
its events not kept), and Rasa's REST channel answers nothing, not even what the turn said
before its save failed (it returned those words, and the customer, told "To place the order
I need your name", gave a name to a bot that never stored their "yes"). The web chat tells
the customer to send the message again, and the resent message finds the conversation as it
was stored.
The lock is released on the way out (Rasa's lock context manager). `keys()` (the API's
conversation list) keeps Rasa's fail-safe: nothing is decided from it.

The same for an action that fails (the action server killed mid-call, its database away):
Rasa logs "Bot will continue, but the actions events are lost", records the action as run
and predicts the next one, so a contact form whose call failed was followed by placing the
order without a name, e-mail or address (refused, the order reset: "Let's start again").
Here the turn fails instead: nothing of it is kept, and the customer's message sent again
runs the turn again (an order an earlier action of the turn placed is placed once: its
draft id). A rejection (ActionExecutionRejection, a form's "not this slot") is Rasa's as
before.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Optional

logger = logging.getLogger(__name__)


def kept_or_nothing(on_new_message: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
    """`on_new_message` whose collected words are dropped when the turn raises: Rasa's REST
    channel returns them whatever happened after (a save that failed)."""
    from rasa.core.channels.channel import CollectingOutputChannel

    async def handle(message: Any) -> None:
        try:
            await on_new_message(message)
        except Exception:
            if isinstance(message.output_channel, CollectingOutputChannel):
                message.output_channel.messages.clear()  # the words of a turn that is not kept
            raise

    return handle


class TurnFailed(Exception):
    """An action of the turn failed: the turn is not kept."""


def fail_turns_whose_action_fails() -> None:
    """Rasa's MessageProcessor._run_action, the same but for an exception of the action's
    run, which ends the turn (TurnFailed) instead of continuing it without the action's events."""
    import rasa.core.actions.action
    from rasa.core.processor import MessageProcessor

    rasa_run_action = MessageProcessor._run_action

    async def _run_action(self: Any, action: Any, tracker: Any, output_channel: Any, nlg: Any,
                          prediction: Any) -> bool:
        run = action.run

        async def run_or_fail(*args: Any, **kwargs: Any) -> Any:
            try:
                return await run(*args, **kwargs)
            except rasa.core.actions.action.ActionExecutionRejection:
                raise
            except Exception as error:
                raise _Escape(error) from error

        # Rasa's own code, with the action's run that escapes its `except Exception`.
        try:
            return await rasa_run_action(self, _Running(action, run_or_fail), tracker, output_channel, nlg,
                                         prediction)
        except _Escape as escape:
            logger.error("action %s failed (%s): the turn of %s is not kept; the customer is asked to send "
                         "the message again", action.name(), escape.error, tracker.sender_id)
            raise TurnFailed(action.name()) from escape.error

    MessageProcessor._run_action = _run_action  # type: ignore[method-assign]


class _Escape(BaseException):
    """Carries an action's exception past Rasa's `except Exception` in _run_action."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _Running:
    """The action for one _run_action call, its run replaced (the action object itself may
    be shared by concurrent turns, so it is not changed)."""

    def __init__(self, action: Any, run: Any) -> None:
        self._action, self.run = action, run

    def __getattr__(self, name: str) -> Any:
        return getattr(self._action, name)


def install_strict_tracker_store() -> None:
    """Every Rasa agent's tracker store wrapped in StrictTrackerStore instead, and Rasa's REST
    channel answering nothing for a turn that raised."""
    from rasa.core.agent import Agent
    from rasa.core.channels.rest import RestInput
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    class StrictTrackerStore(FailSafeTrackerStore):
        async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
            try:
                return await self._tracker_store.retrieve(sender_id)
            except Exception:
                logger.exception("could not load the conversation %s: this turn is not processed", sender_id)
                raise

        async def retrieve_full_tracker(self, sender_id: str) -> Optional[DialogueStateTracker]:
            try:
                return await self._tracker_store.retrieve_full_tracker(sender_id)
            except Exception:
                logger.exception("could not load the conversation %s", sender_id)
                raise

        async def save(self, tracker: DialogueStateTracker) -> None:
            try:
                await self._tracker_store.save(tracker)
            except Exception:
                logger.exception("could not store the turn of conversation %s: the customer is asked to send "
                                 "the message again", tracker.sender_id)
                raise

    def create_tracker_store(store: Optional[TrackerStore], domain: Domain) -> Any:
        if store is not None:
            store.domain = domain
            return StrictTrackerStore(store)
        return StrictTrackerStore(InMemoryTrackerStore(domain))

    Agent._create_tracker_store = staticmethod(create_tracker_store)  # type: ignore[method-assign]

    rest_blueprint = RestInput.blueprint

    def blueprint(self: RestInput, on_new_message: Any) -> Any:
        return rest_blueprint(self, kept_or_nothing(on_new_message))

    RestInput.blueprint = blueprint  # type: ignore[method-assign]
    fail_turns_whose_action_fails()
