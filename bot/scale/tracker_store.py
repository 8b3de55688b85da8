"""A tracker store that fails a turn when its database does, instead of Rasa's fail-safe.

Rasa wraps every tracker store in `FailSafeTrackerStore`: a load that fails returns *no
tracker*, so the message starts a new conversation (the customer's order half-way forgotten,
a new session written after the old one's events), and a save that fails goes to an
in-memory store of that one process, so the customer is answered while the database never
gets the turn (the next message, on any server, sees the conversation without it). Found by
tests/scale/test_faults.py restarting PostgreSQL under load: customers went on talking to a
bot that had forgotten their order.

Here a load or save that fails raises, as the database did: the turn is not processed (or
its events not kept), Rasa's REST channel answers nothing, the web chat tells the customer
to send the message again, and the resent message finds the conversation as it was stored.
The lock is released on the way out (Rasa's lock context manager). `keys()` (the API's
conversation list) keeps Rasa's fail-safe: nothing is decided from it.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

logger = logging.getLogger(__name__)


def install_strict_tracker_store() -> None:
    """Every Rasa agent's tracker store wrapped in StrictTrackerStore instead."""
    from rasa.core.agent import Agent
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
