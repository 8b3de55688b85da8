"""Mail to customers, kept in the store: an outbox row is written in the transaction that
made the news (bot/store/orders.py: an order placed, a status changed by staff), so a mail
is never lost when the sender is down and never sent for news that was rolled back. The
sender (bot/channels/email.py) claims due rows, delivers them and records the outcome or
the error and when to try again. Addresses that unsubscribed are kept in email_opt_outs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Dict, List, Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import utcnow
from bot.store.models import EmailOptOut, EmailOutbox

ERROR_MAX_CHARS = 2000


class MailKind(str, Enum):
    ORDER_PLACED = "order_placed"  # the confirmation, with the order's summary
    STATUS_CHANGED = "status_changed"  # staff moved the order on
    # The news of bot/store/notices.py (NoticeKind of the same value), its fields in `data`.
    STAFF_MESSAGE = "staff_message"
    QUOTE_PRICED = "quote_priced"
    QUOTE_EXPIRED = "quote_expired"
    CHANGE_ACCEPTED = "change_accepted"
    CHANGE_REFUSED = "change_refused"
    ORDER_REVISED = "order_revised"


class MailOutcome(str, Enum):
    SENT = "sent"
    OPTED_OUT = "opted_out"  # the address unsubscribed before it went out: not sent
    NO_ORDER = "no_order"  # the order is gone: nothing to tell


@dataclass(frozen=True)
class Mail:
    id: int
    kind: MailKind
    order_number: str
    to_address: str
    status: Optional[str]
    attempts: int
    next_attempt_at: datetime
    data: Optional[Dict[str, Any]] = None


def normal_address(address: str) -> str:
    return address.strip().lower()


def enqueue(session: Session, kind: MailKind, order_number: str, to_address: Optional[str],
            status: Optional[str] = None, now: Optional[datetime] = None,
            data: Optional[Dict[str, Any]] = None) -> bool:
    """In the caller's transaction: a mail to `to_address` about the order. Nothing for an
    order without an address (or one too long to be an address). Whether one was written."""
    address = (to_address or "").strip()
    if not address or len(address) > 320 or "@" not in address:
        return False
    now = now or utcnow()
    session.add(EmailOutbox(kind=MailKind(kind).value, order_number=order_number, to_address=address,
                            status=status, created_at=now, attempts=0, next_attempt_at=now, data=data))
    return True


def due(sessions: sessionmaker, now: datetime, limit: int = 20) -> List[Mail]:
    """Pending mails whose time has come, oldest first."""
    with sessions.begin() as session:
        rows = session.scalars(
            select(EmailOutbox).where(EmailOutbox.sent_at.is_(None), EmailOutbox.next_attempt_at <= now)
            .order_by(EmailOutbox.next_attempt_at, EmailOutbox.id).limit(limit)
        ).all()
        return [Mail(row.id, MailKind(row.kind), row.order_number, row.to_address, row.status, row.attempts,
                     row.next_attempt_at, row.data) for row in rows]


def claim(sessions: sessionmaker, mail: Mail, lease_until: datetime) -> bool:
    """Take the mail for this sender until `lease_until` (another web server sees it as not
    due until then); False when another sender took it first."""
    with sessions.begin() as session:
        result = session.execute(
            update(EmailOutbox)
            .where(EmailOutbox.id == mail.id, EmailOutbox.sent_at.is_(None),
                   EmailOutbox.next_attempt_at == mail.next_attempt_at)
            .values(next_attempt_at=lease_until)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def finish(sessions: sessionmaker, mail_id: int, outcome: MailOutcome, now: Optional[datetime] = None) -> None:
    with sessions.begin() as session:
        session.execute(
            update(EmailOutbox).where(EmailOutbox.id == mail_id)
            .values(sent_at=now or utcnow(), outcome=MailOutcome(outcome).value)
            .execution_options(synchronize_session=False)
        )


def failed(sessions: sessionmaker, mail_id: int, error: str, retry_in: timedelta,
           now: Optional[datetime] = None) -> None:
    """The attempt failed: the error kept, another attempt after `retry_in`."""
    now = now or utcnow()
    with sessions.begin() as session:
        session.execute(
            update(EmailOutbox).where(EmailOutbox.id == mail_id)
            .values(attempts=EmailOutbox.attempts + 1, last_error=error[:ERROR_MAX_CHARS],
                    next_attempt_at=now + retry_in)
            .execution_options(synchronize_session=False)
        )


def opt_out(sessions: sessionmaker, address: str) -> None:
    """No more mail to this address (asking twice is the same)."""
    address = normal_address(address)
    if not address:
        raise ValueError("no address")
    if opted_out(sessions, address):
        return
    try:
        with sessions.begin() as session:
            session.add(EmailOptOut(address=address, opted_out_at=utcnow()))
    except IntegrityError:
        if not opted_out(sessions, address):  # not the same opt-out at once: a real error
            raise


def opted_out(sessions: sessionmaker, address: str) -> bool:
    with sessions.begin() as session:
        return session.get(EmailOptOut, normal_address(address)) is not None


def mails_to(sessions: sessionmaker, address: str) -> List[dict]:
    """Every mail to the address, oldest first (the tests and the staff read them)."""
    with sessions.begin() as session:
        rows = session.scalars(
            select(EmailOutbox).where(EmailOutbox.to_address == address).order_by(EmailOutbox.id)).all()
        return [{"id": r.id, "kind": r.kind, "order_number": r.order_number, "status": r.status,
                 "attempts": r.attempts, "sent": r.sent_at is not None, "outcome": r.outcome,
                 "last_error": r.last_error} for r in rows]
