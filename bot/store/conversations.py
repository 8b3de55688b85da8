"""The conversations' tables in the order database, and takeovers by staff.

- conversation_summaries: one row per conversation (Rasa sender id), kept up to date from
  Rasa's events by the staff console's indexer (bot/staff/conversations/index.py);
- conversation_index_state: that indexer's watermark;
- conversation_takeovers: a member of staff talking to the customer in place of the bot.

Their schema is migration 0005. Takeovers are read here (not in the staff console) because
the web widget asks whether staff have its conversation.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from sqlalchemy import Column, Index, Integer, String, Text, delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped

from bot.store.db import Base, UTCDateTime, utcnow
from bot.store.orders import OrderStore


class ConversationSummary(Base):
    """One row per conversation (Rasa sender id), kept up to date by the indexer."""

    __tablename__ = "conversation_summaries"
    __table_args__ = (
        Index("ix_conversation_summaries_last_message_at", "last_message_at"),
        Index("ix_conversation_summaries_channel_last_message_at", "channel", "last_message_at"),
        Index("ix_conversation_summaries_started_at", "started_at"),
    )

    conversation_id: Mapped[str] = Column(String(255), primary_key=True)
    channel: Mapped[str] = Column(String(20), nullable=False)  # "web", "telegram" or "rest"
    started_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    last_message_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    customer_name: Mapped[Optional[str]] = Column(String(255), nullable=True)
    user_turns: Mapped[int] = Column(Integer, nullable=False, default=0)
    not_understood: Mapped[int] = Column(Integer, nullable=False, default=0)
    last_event_id: Mapped[int] = Column(Integer, nullable=False, default=0)  # Rasa's events.id read so far
    updated_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class ConversationIndexState(Base):
    """The watermark of the index: the highest events.id already read (one row, id 1).
    Updated compare-and-set, so two refreshes at once never count an event twice."""

    __tablename__ = "conversation_index_state"

    id: Mapped[int] = Column(Integer, primary_key=True)
    last_event_id: Mapped[int] = Column(Integer, nullable=False, default=0)
    # Event ids below the watermark not seen yet, as JSON {"id": first seen (epoch s)}: on
    # PostgreSQL a transaction can commit after a later one, so its (lower) ids show up late.
    gaps: Mapped[Optional[str]] = Column(Text, nullable=True)
    updated_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


_ACTIVE_TAKEOVER = text("ended_at IS NULL")


class ConversationTakeover(Base):
    """A member of staff talking to the customer in place of the bot; active while ended_at is None."""

    __tablename__ = "conversation_takeovers"
    __table_args__ = (
        # One active takeover per conversation, even when two people click at once.
        Index(
            "ix_conversation_takeovers_active", "conversation_id", unique=True,
            sqlite_where=_ACTIVE_TAKEOVER, postgresql_where=_ACTIVE_TAKEOVER,
        ),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), index=True, nullable=False)
    staff: Mapped[str] = Column(String(100), nullable=False)
    started_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    ended_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)


# ---------------------------------------------------------------------------- takeovers


class TakenOverError(Exception):
    """Someone else has already taken over the conversation; the message is for staff."""


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return None if moment is None else moment.astimezone(timezone.utc).isoformat()


def takeover_as_dict(takeover: ConversationTakeover) -> Dict[str, Any]:
    return {
        "id": takeover.id,
        "conversation_id": takeover.conversation_id,
        "staff": takeover.staff,
        "started_at": _iso(takeover.started_at),
        "ended_at": _iso(takeover.ended_at),
    }


def active_takeover(store: OrderStore, conversation_id: str) -> Optional[Dict[str, Any]]:
    """The conversation's active takeover; None while the bot is in charge."""
    with store.sessions.begin() as session:
        takeover = session.scalars(
            select(ConversationTakeover).where(
                ConversationTakeover.conversation_id == conversation_id, ConversationTakeover.ended_at.is_(None)
            )
        ).one_or_none()
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
        if current["staff"] == staff:
            return current
        raise TakenOverError(f"{current['staff']} has already taken over this conversation.")
    try:
        with store.sessions.begin() as session:
            takeover = ConversationTakeover(conversation_id=conversation_id, staff=staff, started_at=utcnow())
            session.add(takeover)
            session.flush()
            return takeover_as_dict(takeover)
    except IntegrityError:
        current = active_takeover(store, conversation_id)
        if current is None:
            raise
        if current["staff"] == staff:
            return current
        raise TakenOverError(f"{current['staff']} has already taken over this conversation.") from None


def end_takeover(store: OrderStore, conversation_id: str) -> Optional[Dict[str, Any]]:
    """End the active takeover (if any) and return it."""
    with store.sessions.begin() as session:
        takeover = session.scalars(
            select(ConversationTakeover).where(
                ConversationTakeover.conversation_id == conversation_id, ConversationTakeover.ended_at.is_(None)
            ).with_for_update()
        ).one_or_none()
        if takeover is None:
            return None
        takeover.ended_at = utcnow()
        session.flush()
        return takeover_as_dict(takeover)


def cancel_takeover(store: OrderStore, takeover_id: int) -> None:
    """Forget a takeover that never reached Rasa (the pause event failed)."""
    with store.sessions.begin() as session:
        session.execute(delete(ConversationTakeover).where(ConversationTakeover.id == takeover_id))
