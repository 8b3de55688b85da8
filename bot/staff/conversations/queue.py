"""The queue: the open flags (conversations a person should look at), oldest first, with
their conversation's summary and takeover."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from bot.store.conversations import active_takeovers
from bot.store.orders import OrderStore
from bot.staff.conversations.events import channel_of
from bot.staff.conversations.listing import summaries_of

QUEUE_PAGE = 50


def queue(store: OrderStore, page: int = 1, per_page: int = QUEUE_PAGE) -> Tuple[List[Dict[str, Any]], int]:
    """One page of the open flags, oldest first, with their conversation's summary and
    takeover; and how many flags are open."""
    every = store.open_flags()
    flags = every[(page - 1) * per_page:page * per_page]
    ids = [flag["conversation_id"] for flag in flags]
    summaries = summaries_of(store, ids)
    takeovers = {t["conversation_id"]: t for t in active_takeovers(store)}
    return [
        {**flag, "summary": summaries.get(flag["conversation_id"]),
         "channel": channel_of(flag["conversation_id"]), "takeover": takeovers.get(flag["conversation_id"])}
        for flag in flags
    ], len(every)
