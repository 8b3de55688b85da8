"""Conversations flagged for staff: raised by the bot (the customer asked for a person, the
bot got stuck), resolved by a member of staff. Used through OrderStore (bot/store/orders.py),
which hands over its session factory."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Dict, List, Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import OrderStoreError, utcnow
from bot.store.models import STAFF_NAME_MAX_LENGTH, ConversationFlag
from bot.store.serialize import flag_as_dict
from bot.core.limits import clean_text

# Open flags are unique per (conversation, reason) through a btree index, so a reason is
# kept well under PostgreSQL's limit on the size of an index entry (about 2700 bytes).
FLAG_REASON_MAX_LENGTH = 1000


class FlagKind(str, Enum):
    """Why a conversation was flagged, as data (the reason text is its detail)."""

    PERSON_ASKED = "person_asked"  # the customer asked for a person
    STUCK = "stuck"  # the customer's answers to one question were refused again and again
    UNANSWERED_QUESTION = "unanswered_question"  # a question the catalog does not answer
    UNDELIVERED = "undelivered"  # a reply could not reach the customer's chat
    OTHER = "other"  # raised before kinds were kept (migration 0009), or by another caller

    @property
    def label(self) -> str:
        return FLAG_KIND_LABELS[self]


FLAG_KIND_LABELS = {
    FlagKind.PERSON_ASKED: "Asked for a person",
    FlagKind.STUCK: "Stuck on a question",
    FlagKind.UNANSWERED_QUESTION: "A question the bot could not answer",
    FlagKind.UNDELIVERED: "A reply did not reach the customer",
    FlagKind.OTHER: "Flagged",
}


class FlagResolution(str, Enum):
    """How a flag ended."""

    STAFF = "staff"  # a member of staff resolved it (resolved_by: who)
    ORDER_PLACED = "order_placed"  # the customer then placed an order (resolved_order: which)


# Who resolved a flag the bot resolved itself (staff names are people's names).
BOT_RESOLVER = "bot"


class FlagNotFoundError(OrderStoreError, LookupError):
    """There is no conversation flag with this id."""

    def __init__(self, flag_id: int) -> None:
        super().__init__(f"there is no conversation flag {flag_id}")
        self.flag_id = flag_id


def raise_flag(sessions: sessionmaker, conversation_id: str, reason: str,
               kind: FlagKind = FlagKind.OTHER) -> Dict[str, Any]:
    """Flag the conversation for staff and return the flag. While a flag with the same
    reason is still open in this conversation, that flag is returned instead of a
    second one (a retried message, a customer asking again, two workers at once)."""
    if not conversation_id or len(conversation_id) > 255:
        raise ValueError("conversation_id must be 1 to 255 characters")
    conversation_id = clean_text(conversation_id)
    reason = clean_text(reason or "").strip()  # may quote the customer: storable whatever they sent
    if not reason or len(reason) > FLAG_REASON_MAX_LENGTH:
        raise ValueError(f"reason must be 1 to {FLAG_REASON_MAX_LENGTH} characters")
    kind = FlagKind(kind)  # ValueError for anything else
    existing = _open_flag(sessions, conversation_id, reason)
    if existing is not None:
        return existing
    try:
        with sessions.begin() as session:
            flag = ConversationFlag(conversation_id=conversation_id, reason=reason, raised_at=utcnow(),
                                    kind=kind.value)
            session.add(flag)
            session.flush()
            raised = flag_as_dict(flag)
        return raised
    except IntegrityError:
        # The same open flag was raised meanwhile (a race): that one is the answer.
        existing = _open_flag(sessions, conversation_id, reason)
        if existing is None:
            raise  # some other constraint: a real error
        return existing


def resolve_flag(sessions: sessionmaker, flag_id: int, resolved_by: str) -> Dict[str, Any]:
    """Mark the flag resolved by a member of staff and return it. Resolving a flag that
    is already resolved changes nothing and returns it as it is (two people clicking at
    once). Raises FlagNotFoundError."""
    if not resolved_by or len(resolved_by) > STAFF_NAME_MAX_LENGTH:
        raise ValueError(f"resolved_by must be 1 to {STAFF_NAME_MAX_LENGTH} characters")
    with sessions.begin() as session:
        flag = session.scalars(
            select(ConversationFlag).where(ConversationFlag.id == flag_id).with_for_update()
        ).one_or_none()
        if flag is None:
            raise FlagNotFoundError(flag_id)
        if flag.resolved_at is None:
            flag.resolved_at = utcnow()
            flag.resolved_by = resolved_by
            flag.resolution = FlagResolution.STAFF.value
            session.flush()
        return flag_as_dict(flag)


def resolve_stuck_flags(session: Session, conversation_id: str, order_number: str, now: datetime) -> int:
    """In the caller's transaction (the one placing the order): the conversation's open
    "stuck" flags are resolved by the order, the bot and the order number recorded. The
    other kinds stay open (a customer who asked for a person still wants one). How many."""
    result = session.execute(
        update(ConversationFlag)
        .where(ConversationFlag.conversation_id == conversation_id, ConversationFlag.resolved_at.is_(None),
               ConversationFlag.kind == FlagKind.STUCK.value)
        .values(resolved_at=now, resolved_by=BOT_RESOLVER, resolution=FlagResolution.ORDER_PLACED.value,
                resolved_order=order_number)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def open_flags(sessions: sessionmaker) -> List[Dict[str, Any]]:
    """The flags not yet resolved, of every conversation, oldest first."""
    with sessions.begin() as session:
        flags = session.scalars(
            select(ConversationFlag)
            .where(ConversationFlag.resolved_at.is_(None))
            .order_by(ConversationFlag.raised_at, ConversationFlag.id)
        ).all()
        return [flag_as_dict(flag) for flag in flags]


def flags_for(sessions: sessionmaker, conversation_id: str) -> List[Dict[str, Any]]:
    """Every flag of the conversation, open and resolved, oldest first."""
    with sessions.begin() as session:
        flags = session.scalars(
            select(ConversationFlag)
            .where(ConversationFlag.conversation_id == conversation_id)
            .order_by(ConversationFlag.raised_at, ConversationFlag.id)
        ).all()
        return [flag_as_dict(flag) for flag in flags]


def _open_flag(sessions: sessionmaker, conversation_id: str, reason: str) -> Optional[Dict[str, Any]]:
    with sessions.begin() as session:
        flag = session.scalars(
            select(ConversationFlag).where(
                ConversationFlag.conversation_id == conversation_id,
                ConversationFlag.reason == reason,
                ConversationFlag.resolved_at.is_(None),
            )
        ).one_or_none()
        return None if flag is None else flag_as_dict(flag)
