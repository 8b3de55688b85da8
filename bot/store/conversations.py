"""Takeovers: a member of staff talking to the customer in place of the bot (the
conversation_takeovers table, in bot/store/models.py).

They are read and written here, in the store rather than the staff console, because the
web widget asks whether staff have its conversation.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.store.db import utcnow
from bot.store.models import ConversationTakeover
from bot.store.orders import OrderStore
from bot.store.serialize import takeover_as_dict


# ---------------------------------------------------------------------------- takeovers


class TakenOverError(Exception):
    """Someone else has already taken over the conversation; the message is for staff."""


def _active(conversation_id: str) -> Any:
    """The query for the conversation's active takeover (at most one: a unique index)."""
    return select(ConversationTakeover).where(
        ConversationTakeover.conversation_id == conversation_id, ConversationTakeover.ended_at.is_(None)
    )


def active_takeover(store: OrderStore, conversation_id: str) -> Optional[Dict[str, Any]]:
    """The conversation's active takeover; None while the bot is in charge."""
    with store.sessions.begin() as session:
        takeover = session.scalars(_active(conversation_id)).one_or_none()
        return None if takeover is None else takeover_as_dict(takeover)


def active_takeovers(store: OrderStore) -> List[Dict[str, Any]]:
    with store.sessions.begin() as session:
        return [takeover_as_dict(t) for t in session.scalars(
            select(ConversationTakeover).where(ConversationTakeover.ended_at.is_(None))
            .order_by(ConversationTakeover.started_at, ConversationTakeover.id)
        )]


def takeovers_for(store: OrderStore, conversation_id: str) -> List[Dict[str, Any]]:
    with store.sessions.begin() as session:
        return [takeover_as_dict(t) for t in session.scalars(
            select(ConversationTakeover).where(ConversationTakeover.conversation_id == conversation_id)
            .order_by(ConversationTakeover.started_at, ConversationTakeover.id)
        )]


def start_takeover(store: OrderStore, conversation_id: str, staff: str) -> Dict[str, Any]:
    """Record that `staff` talks to the customer now. Raises TakenOverError when someone
    already has taken it over (the same person taking over again gets their takeover back)."""
    current = active_takeover(store, conversation_id)
    if current is not None:
        return _same_staff_or_refused(current, staff)
    try:
        with store.sessions.begin() as session:
            takeover = ConversationTakeover(conversation_id=conversation_id, staff=staff, started_at=utcnow())
            session.add(takeover)
            session.flush()
            return takeover_as_dict(takeover)
    except IntegrityError:  # someone took it over between the check and the insert
        current = active_takeover(store, conversation_id)
        if current is None:
            raise
        return _same_staff_or_refused(current, staff)


def _same_staff_or_refused(current: Dict[str, Any], staff: str) -> Dict[str, Any]:
    if current["staff"] == staff:
        return current
    raise TakenOverError(f"{current['staff']} has already taken over this conversation.")


def end_takeover(store: OrderStore, conversation_id: str) -> Optional[Dict[str, Any]]:
    """End the active takeover (if any) and return it."""
    with store.sessions.begin() as session:
        takeover = session.scalars(_active(conversation_id).with_for_update()).one_or_none()
        if takeover is None:
            return None
        takeover.ended_at = utcnow()
        session.flush()
        return takeover_as_dict(takeover)


def cancel_takeover(store: OrderStore, takeover_id: int) -> None:
    """Forget a takeover that never reached Rasa (the pause event failed)."""
    with store.sessions.begin() as session:
        session.execute(delete(ConversationTakeover).where(ConversationTakeover.id == takeover_id))
