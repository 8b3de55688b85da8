"""One customer across channels: a conversation shows a short code (`new_code`), the same
person types it in another channel's conversation (`redeem`), and the two conversations
are linked as one customer (customer_links): "my orders" then lists the orders of both
(`conversations_of`), and an order left unfinished where the code was made can be resumed
where it is typed (the slots carried with the code).

A code is 8 characters of the order numbers' alphabet (31 letters and digits, no 0/O,
1/I/L), shown as ABCD-EFGH: 31^8 = 8.5e11 codes (39.6 bits). It works once, for
CODE_LIFETIME, and only its SHA-256 is stored; a newer code of the same conversation
replaces the older. The actions limit the tries (actions/identity.py), so guessing any
live code at all is hopeless; a guess that hits gives nothing but the link, and the
conversation that showed the code is told on its channel (a CHANNEL_LINKED notice).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Dict, List, Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.core.life import NUMBER_ALPHABET
from bot.core.news import NoticeKind
from bot.core.senders import channel_of
from bot.store.db import utcnow
from bot.store.models import CustomerLink, LinkCode
from bot.store.notices import tell_conversation

CODE_ALPHABET = NUMBER_ALPHABET
LINK_INTENT = "link_channel"  # the intent of asking for a code or typing one (bot/nlu.py LinkCodeIntent)
CODE_LENGTH = 8
CODE_LIFETIME = timedelta(minutes=10)
_CHARS = f"[{CODE_ALPHABET}{CODE_ALPHABET.lower()}]"
# ABCD-EFGH as shown, typed in any case, with a hyphen, a space or nothing in the middle.
CODE_PATTERN = re.compile(rf"(?<![A-Za-z0-9-])({_CHARS}{{4}})[- ]?({_CHARS}{{4}})(?![A-Za-z0-9-])")
# Only a code shown with its hyphen is read out of a longer message (a plain 8-letter word is not one).
HYPHENATED = re.compile(rf"(?<![A-Za-z0-9-])({_CHARS}{{4}})-({_CHARS}{{4}})(?![A-Za-z0-9-])")


class Redeemed(str, Enum):
    LINKED = "linked"
    UNKNOWN = "unknown"  # no such code (mistyped, guessed, or replaced by a newer one)
    EXPIRED = "expired"
    USED = "used"  # it worked once already
    OWN = "own"  # typed in the conversation that showed it


@dataclass(frozen=True)
class LinkResult:
    outcome: Redeemed
    other: Optional[str] = None  # the conversation that showed the code (LINKED)
    carried: Dict[str, Any] = field(default_factory=dict)  # its unfinished order's slots (LINKED)


def shown(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def _hash(code: str) -> str:
    return hashlib.sha256(code.upper().encode()).hexdigest()


def find_code(text: str, whole: bool = False) -> Optional[str]:
    """The code in a message (8 characters, upper case): one with its hyphen anywhere in
    it, or the message alone when `whole` ("abcdefgh" typed on its own). None when none."""
    match = HYPHENATED.search(text or "")
    if match is None and whole:
        match = CODE_PATTERN.fullmatch((text or "").strip())
    return (match.group(1) + match.group(2)).upper() if match else None


def new_code(sessions: sessionmaker, conversation_id: str, carried: Optional[Dict[str, Any]] = None,
             now: Optional[datetime] = None) -> str:
    """A new code for the conversation (its older unused ones stop working), as shown."""
    now = now or utcnow()
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    with sessions.begin() as session:
        session.execute(
            update(LinkCode).where(LinkCode.conversation_id == conversation_id, LinkCode.used_at.is_(None))
            .values(expires_at=now).execution_options(synchronize_session=False))
        session.add(LinkCode(code_hash=_hash(code), conversation_id=conversation_id, created_at=now,
                             expires_at=now + CODE_LIFETIME, carried=carried or None))
    return shown(code)


def redeem(sessions: sessionmaker, code: str, conversation_id: str, now: Optional[datetime] = None) -> LinkResult:
    """The code typed in `conversation_id`: links it to the conversation that showed it,
    once (a conditional UPDATE: two conversations typing it at once, one wins)."""
    now = now or utcnow()
    with sessions.begin() as session:
        row = session.get(LinkCode, _hash(code.replace("-", "").replace(" ", "")))
        if row is None:
            return LinkResult(Redeemed.UNKNOWN)
        if row.conversation_id == conversation_id:
            return LinkResult(Redeemed.OWN)
        if row.used_at is not None:
            return LinkResult(Redeemed.USED)
        if row.expires_at <= now:
            return LinkResult(Redeemed.EXPIRED)
        taken = session.execute(
            update(LinkCode).where(LinkCode.code_hash == row.code_hash, LinkCode.used_at.is_(None))
            .values(used_at=now, used_by=conversation_id).execution_options(synchronize_session=False))
        if taken.rowcount != 1:
            return LinkResult(Redeemed.USED)
        other, carried = row.conversation_id, dict(row.carried or {})
        _link(session, other, conversation_id, now)
        # The conversation that showed the code hears of it on its own channel, so a link
        # made by someone else (a guessed or overheard code) is never silent to its owner.
        tell_conversation(session, other, NoticeKind.CHANNEL_LINKED, now, channel=channel_of(conversation_id))
        return LinkResult(Redeemed.LINKED, other, carried)


def _link(session: Session, first: str, second: str, now: datetime) -> None:
    """Both conversations under one customer id (two customers already: they merge)."""
    a, b = session.get(CustomerLink, first), session.get(CustomerLink, second)
    if a is not None and b is not None:
        if a.customer_id != b.customer_id:
            session.execute(update(CustomerLink).where(CustomerLink.customer_id == b.customer_id)
                            .values(customer_id=a.customer_id).execution_options(synchronize_session=False))
        return
    customer_id = a.customer_id if a is not None else b.customer_id if b is not None else uuid.uuid4().hex
    for conversation_id, row in ((first, a), (second, b)):
        if row is None:
            session.add(CustomerLink(conversation_id=conversation_id, customer_id=customer_id, linked_at=now))


def conversations_of(sessions: sessionmaker, conversation_id: str) -> List[str]:
    """The conversation and every one linked to it (the conversation first)."""
    with sessions.begin() as session:
        row = session.get(CustomerLink, conversation_id)
        if row is None:
            return [conversation_id]
        others = session.scalars(select(CustomerLink.conversation_id).where(
            CustomerLink.customer_id == row.customer_id, CustomerLink.conversation_id != conversation_id)
            .order_by(CustomerLink.linked_at, CustomerLink.conversation_id)).all()
        return [conversation_id, *others]
