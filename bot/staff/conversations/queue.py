"""The queue: the open flags (conversations a person should look at), oldest first, with
why each was raised (its kind, as data, and its detail), what the customer last said, and
their conversation's summary and takeover."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import sqlalchemy as sa

from bot.channels.rasa import button_titles, reply_buttons
from bot.store.conversations import active_takeovers
from bot.store.flags import FlagKind
from bot.store.orders import OrderStore
from bot.staff.conversations.events import channel_of, event_data, events_table, read_events
from bot.staff.conversations.listing import summaries_of

QUEUE_PAGE = 50
LAST_MESSAGES = 3  # the customer's messages shown per flag, the latest last
# Events read per conversation to find them: the customer's and the bot's (a clicked
# button is shown as its title, read from the bot message that offered it).
LAST_EVENTS = 4 * LAST_MESSAGES
MESSAGE_CHARS = 300  # each cut to this on the page


def last_messages(tracker_url: str, conversation_ids: Sequence[str],
                  count: int = LAST_MESSAGES) -> Dict[str, List[Dict[str, Any]]]:
    """Each conversation's last `count` customer messages (text, timestamp), oldest first;
    a button's payload as the button's title. One query for all of them."""
    if not conversation_ids:
        return {}
    e = events_table.c
    latest = sa.func.row_number().over(partition_by=e.sender_id, order_by=e.id.desc()).label("latest")
    recent = (sa.select(e.id, e.sender_id, e.type_name, e.timestamp, e.data, latest)
              .where(e.sender_id.in_(list(conversation_ids)), e.type_name.in_(("user", "bot")))
              .subquery())
    rows = read_events(tracker_url, sa.select(recent).where(recent.c.latest <= LAST_EVENTS)
                       .order_by(recent.c.sender_id, recent.c.id))
    found: Dict[str, List[Dict[str, Any]]] = {}
    offered: Dict[str, Dict[str, str]] = {}  # conversation -> payload -> title of the last buttons
    for row in rows:
        data = event_data(row.data)
        if row.type_name == "bot":
            buttons = reply_buttons(data.get("data") or {})
            offered[row.sender_id] = button_titles(buttons) if buttons else {}
            continue
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        text = offered.get(row.sender_id, {}).get(text, text)
        messages = found.setdefault(row.sender_id, [])
        messages.append({"text": text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS - 1] + "\u2026",
                         "timestamp": row.timestamp})
        offered[row.sender_id] = {}
    return {conversation: messages[-count:] for conversation, messages in found.items()}


def kind_of(flag: Dict[str, Any]) -> FlagKind:
    try:
        return FlagKind(flag.get("kind"))
    except ValueError:  # a kind this version does not know (written by a newer one)
        return FlagKind.OTHER


def queue(store: OrderStore, tracker_url: str = "", page: int = 1,
          per_page: int = QUEUE_PAGE) -> Tuple[List[Dict[str, Any]], int]:
    """One page of the open flags, oldest first, with their kind's label, the customer's
    last messages, their conversation's summary and takeover; and how many flags are open."""
    every = store.open_flags()
    flags = every[(page - 1) * per_page:page * per_page]
    ids = [flag["conversation_id"] for flag in flags]
    summaries = summaries_of(store, ids)
    said = last_messages(tracker_url, ids) if tracker_url else {}
    takeovers = {t["conversation_id"]: t for t in active_takeovers(store)}
    return [
        {**flag, "kind_label": kind_of(flag).label, "summary": summaries.get(flag["conversation_id"]),
         "last_messages": said.get(flag["conversation_id"], []),
         "channel": channel_of(flag["conversation_id"]), "takeover": takeovers.get(flag["conversation_id"])}
        for flag in flags
    ], len(every)
