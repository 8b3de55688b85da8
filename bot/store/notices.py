"""News pushed to the customer: `tell_customer(session, order, kind, **data)` queues, in the
caller's transaction (the one that made the news: a status change, a staff message, a
quote priced ...), a notice for the channel of the order's conversation and the mail to the
order's address, so neither is lost when a sender is down, nor sent for news rolled back.

The web server delivers them (bot/channels/notices.py): a Telegram notice through the one
Telegram sender, claimed like the e-mail outbox so that with several web servers one sends
it, retried on failure; a web notice is taken when the widget next asks for the
conversation (`take_for`), exactly once, and waits while the widget is closed. A REST
conversation has no channel to push to: its notice stays queued (the mail still goes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Dict, List, Mapping, Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.core.news import NoticeKind, notice_text
from bot.core.senders import channel_of
from bot.store import outbox
from bot.store.db import utcnow
from bot.store.models import CustomerNotice, Order
from bot.store.serialize import iso

__all__ = ["NoticeKind", "Notice", "NoticeOutcome", "tell_customer", "tell_conversation", "notice_text"]

ERROR_MAX_CHARS = 2000
# Each notice kind about an order has its mail: the outbox's kind of the same name.
_MAILED = {mail.value for mail in outbox.MailKind}
MAIL_KINDS: Dict[NoticeKind, outbox.MailKind] = {kind: outbox.MailKind(kind.value) for kind in NoticeKind
                                                 if kind.value in _MAILED}


class NoticeOutcome(str, Enum):
    DELIVERED = "delivered"
    REFUSED = "refused"  # Telegram will never take it (the customer blocked the bot, no such chat)


@dataclass(frozen=True)
class Notice:
    id: int
    conversation_id: str
    channel: str
    kind: NoticeKind
    order_number: str
    data: Dict[str, Any]
    attempts: int
    next_attempt_at: datetime

    @property
    def text(self) -> str:
        return notice_text(self.kind, self.order_number, self.data)


def _notice(row: CustomerNotice) -> Notice:
    return Notice(row.id, row.conversation_id, row.channel, NoticeKind(row.kind), row.order_number, dict(row.data or {}),
                  row.attempts, row.next_attempt_at)


def _plain(data: Mapping[str, Any]) -> Dict[str, Any]:
    """The fields as JSON keeps them (a Decimal or date as its text), None left out."""
    def plain(value: Any) -> Any:
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        if isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
        if isinstance(value, Mapping):
            return {str(key): plain(item) for key, item in value.items()}
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)
    return {key: plain(value) for key, value in data.items() if value is not None}


def tell_customer(session: Session, order: Order, kind: NoticeKind, now: Optional[datetime] = None,
                  **data: Any) -> None:
    """In the caller's transaction: the news for the order's conversation (its channel read
    from the sender id) and the mail to the order's address, both with `data` (the fields
    NoticeKind lists for `kind`)."""
    kind = NoticeKind(kind)
    fields = _plain(data)
    now = now or utcnow()
    session.add(CustomerNotice(conversation_id=order.conversation_id, channel=channel_of(order.conversation_id),
                               kind=kind.value, order_number=order.number, data=fields, created_at=now,
                               attempts=0, next_attempt_at=now))
    outbox.enqueue(session, MAIL_KINDS[kind], order.number, order.customer_email, fields.get("status"), now,
                   data=fields)


def tell_conversation(session: Session, conversation_id: str, kind: NoticeKind, now: Optional[datetime] = None,
                      **data: Any) -> None:
    """In the caller's transaction: news for a conversation that is about no order (a link
    code typed in another channel): on its channel only, no mail (it may have no address)."""
    kind = NoticeKind(kind)
    if kind in MAIL_KINDS:
        raise ValueError(f"{kind.value} is news about an order: tell_customer tells it")
    now = now or utcnow()
    session.add(CustomerNotice(conversation_id=conversation_id, channel=channel_of(conversation_id), kind=kind.value,
                               order_number="", data=_plain(data), created_at=now, attempts=0, next_attempt_at=now))


# ---------------------------------------------------------------------------- Telegram: claimed, retried


def due(sessions: sessionmaker, channel: str, now: datetime, limit: int = 20) -> List[Notice]:
    """Undelivered notices of the channel whose time has come, oldest first."""
    with sessions.begin() as session:
        rows = session.scalars(
            select(CustomerNotice)
            .where(CustomerNotice.channel == channel, CustomerNotice.delivered_at.is_(None),
                   CustomerNotice.next_attempt_at <= now)
            .order_by(CustomerNotice.next_attempt_at, CustomerNotice.id).limit(limit)
        ).all()
        return [_notice(row) for row in rows]


def claim(sessions: sessionmaker, notice: Notice, lease_until: datetime) -> bool:
    """Take the notice for this sender until `lease_until`; False when another took it first."""
    with sessions.begin() as session:
        result = session.execute(
            update(CustomerNotice)
            .where(CustomerNotice.id == notice.id, CustomerNotice.delivered_at.is_(None),
                   CustomerNotice.next_attempt_at == notice.next_attempt_at)
            .values(next_attempt_at=lease_until)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def finish(sessions: sessionmaker, notice_id: int, outcome: NoticeOutcome = NoticeOutcome.DELIVERED,
           now: Optional[datetime] = None, error: Optional[str] = None) -> None:
    with sessions.begin() as session:
        session.execute(
            update(CustomerNotice).where(CustomerNotice.id == notice_id)
            .values(delivered_at=now or utcnow(), outcome=NoticeOutcome(outcome).value,
                    **({"last_error": error[:ERROR_MAX_CHARS]} if error else {}))
            .execution_options(synchronize_session=False)
        )


def failed(sessions: sessionmaker, notice_id: int, error: str, retry_in: timedelta,
           now: Optional[datetime] = None) -> None:
    """The attempt failed: the error kept, another attempt after `retry_in` (a claimed web
    notice is given back the same way)."""
    now = now or utcnow()
    with sessions.begin() as session:
        session.execute(
            update(CustomerNotice).where(CustomerNotice.id == notice_id)
            .values(attempts=CustomerNotice.attempts + 1, last_error=error[:ERROR_MAX_CHARS],
                    next_attempt_at=now + retry_in, delivered_at=None, outcome=None)
            .execution_options(synchronize_session=False)
        )


# ---------------------------------------------------------------------------- the widget: taken when it asks


def has_pending(sessions: sessionmaker, conversation_id: str, now: Optional[datetime] = None) -> bool:
    """Whether the conversation has news not yet delivered (the widget's periodic check:
    one indexed query)."""
    with sessions.begin() as session:
        return session.scalar(
            select(CustomerNotice.id)
            .where(CustomerNotice.conversation_id == conversation_id, CustomerNotice.delivered_at.is_(None),
                   CustomerNotice.next_attempt_at <= (now or utcnow()))
            .limit(1)
        ) is not None


def take_for(sessions: sessionmaker, conversation_id: str, now: Optional[datetime] = None) -> List[Notice]:
    """The conversation's undelivered notices, marked delivered: each is returned to one
    caller only, even when two web servers ask at once (a conditional UPDATE per row). A
    caller that then cannot show one gives it back with `failed`."""
    now = now or utcnow()
    taken: List[Notice] = []
    with sessions.begin() as session:
        rows = session.scalars(
            select(CustomerNotice)
            .where(CustomerNotice.conversation_id == conversation_id, CustomerNotice.delivered_at.is_(None),
                   CustomerNotice.next_attempt_at <= now)
            .order_by(CustomerNotice.id)
        ).all()
        candidates = [_notice(row) for row in rows]
    for notice in candidates:
        with sessions.begin() as session:
            result = session.execute(
                update(CustomerNotice)
                .where(CustomerNotice.id == notice.id, CustomerNotice.delivered_at.is_(None))
                .values(delivered_at=now, outcome=NoticeOutcome.DELIVERED.value)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                taken.append(notice)
    return taken


def notices_for(sessions: sessionmaker, conversation_id: str) -> List[Dict[str, Any]]:
    """Every notice of the conversation, oldest first (the tests and the staff read them)."""
    with sessions.begin() as session:
        rows = session.scalars(
            select(CustomerNotice).where(CustomerNotice.conversation_id == conversation_id)
            .order_by(CustomerNotice.id)).all()
        return [{"id": r.id, "kind": r.kind, "channel": r.channel, "order_number": r.order_number, "data": r.data,
                 "attempts": r.attempts, "delivered": r.delivered_at is not None, "outcome": r.outcome,
                 "last_error": r.last_error} for r in rows]


class NoticeState(str, Enum):
    """Where a notice is, as the staff order page shows it."""

    DELIVERED = "delivered"  # sent to Telegram, or shown in the widget
    REFUSED = "refused"  # Telegram will never take it
    RETRYING = "retrying"  # an attempt failed, another is due
    WAITING = "waiting"  # not delivered yet (a web notice waits for the widget to open)


def _state(row: CustomerNotice) -> NoticeState:
    if row.delivered_at is not None:
        return NoticeState.REFUSED if row.outcome == NoticeOutcome.REFUSED.value else NoticeState.DELIVERED
    return NoticeState.RETRYING if row.attempts else NoticeState.WAITING


def notices_of_order(sessions: sessionmaker, number: str) -> List[Dict[str, Any]]:
    """The news told about the order, oldest first: what (kind and the chat's text), when,
    on which channel and where it is (NoticeState), for the staff order page."""
    with sessions.begin() as session:
        rows = session.scalars(select(CustomerNotice).where(CustomerNotice.order_number == number)
                               .order_by(CustomerNotice.created_at, CustomerNotice.id)).all()
        return [{"id": r.id, "kind": r.kind, "channel": r.channel, "text": _notice(r).text,
                 "created_at": iso(r.created_at), "state": _state(r).value,
                 "delivered_at": None if r.delivered_at is None else iso(r.delivered_at),
                 "attempts": r.attempts, "last_error": r.last_error} for r in rows]


# ---------------------------------------------------------------------------- a staff message


MESSAGE_MAX_CHARS = 2000  # as a message staff write in a conversation they took over


def message_customer(sessions: sessionmaker, number: str, staff: str, text: str) -> Optional[str]:
    """A message from staff about the order, told the customer on their channel and by mail
    (one transaction); the channel it goes to, None when there is no such order. ValueError
    for an empty or too long message."""
    text = (text or "").strip()
    if not text:
        raise ValueError("the message is empty")
    if len(text) > MESSAGE_MAX_CHARS:
        raise ValueError(f"the message is longer than {MESSAGE_MAX_CHARS:,} characters ({len(text):,})")
    with sessions.begin() as session:
        order = session.scalars(select(Order).where(Order.number == number)).one_or_none()
        if order is None:
            return None
        tell_customer(session, order, NoticeKind.STAFF_MESSAGE, text=text, staff=staff)
        return channel_of(order.conversation_id)
