"""Staff accounts, API tokens and the record of failed sign-ins.

Passwords are stored as Argon2id hashes (argon2-cffi); API tokens only as SHA-256 digests
(a token is 256 random bits, so a fast hash is enough and lookups stay indexed). The tables
are in bot/store/accounts.py.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select

from bot.store.accounts import ApiToken, SignInFailure, StaffUser
from bot.store.db import utcnow
from bot.store.orders import OrderStore

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "bsk_"

# Failed sign-ins within THROTTLE_WINDOW, per account name and per client address: the
# first FREE_FAILURES cost nothing, each further one doubles the wait (capped).
THROTTLE_WINDOW = timedelta(minutes=15)
FREE_FAILURES = 3
FIRST_WAIT_S = 2
MAX_WAIT_S = 300

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class StaffError(Exception):
    """A staff account or token request that cannot be done; the message says why."""


@dataclass(frozen=True)
class TokenInfo:
    id: int
    staff: str
    hint: str
    created_at: datetime
    last_used_at: Optional[datetime]
    revoked_at: Optional[datetime]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_PATTERN.match(name):
        raise StaffError(
            "a staff name is 1-100 letters, digits, dots, dashes or underscores, starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise StaffError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


class StaffAccounts:
    """Staff accounts and API tokens in the order store's database."""

    def __init__(self, store: OrderStore) -> None:
        self.store = store

    # -- accounts

    def add(self, name: str, password: str) -> None:
        name, password = check_name(name), check_password(password)
        with self.store.sessions.begin() as session:
            if session.scalars(select(StaffUser).where(StaffUser.name == name)).one_or_none() is not None:
                raise StaffError(f"there is already a staff account {name!r}")
            session.add(StaffUser(name=name, password_hash=_hasher.hash(password)))

    def set_password(self, name: str, password: str) -> None:
        password = check_password(password)
        with self.store.sessions.begin() as session:
            user = self._user(session, name)
            user.password_hash = _hasher.hash(password)
            user.session_epoch += 1  # a new password signs every browser out

    def disable(self, name: str) -> None:
        """The account can no longer sign in; its API tokens stop working."""
        with self.store.sessions.begin() as session:
            user = self._user(session, name)
            user.disabled_at = user.disabled_at or utcnow()
            user.session_epoch += 1

    def names(self) -> List[Dict[str, object]]:
        with self.store.sessions() as session:
            users = session.scalars(select(StaffUser).order_by(StaffUser.name)).all()
            return [{"name": u.name, "created_at": u.created_at, "disabled": u.disabled_at is not None} for u in users]

    def any_account(self) -> bool:
        with self.store.sessions() as session:
            return session.scalar(select(func.count()).select_from(StaffUser)) > 0

    def session_epoch(self, name: str) -> Optional[int]:
        """The account's current session epoch; None when there is no active account."""
        with self.store.sessions() as session:
            user = session.scalars(select(StaffUser).where(StaffUser.name == name)).one_or_none()
            return None if user is None or user.disabled_at is not None else user.session_epoch

    def end_sessions(self, name: str) -> None:
        """Every sign-in of the account ends, in every browser."""
        with self.store.sessions.begin() as session:
            self._user(session, name).session_epoch += 1

    def verify(self, name: str, password: str) -> bool:
        """True when name and password match an active account. Hashes made with older
        parameters are upgraded on a successful sign-in."""
        with self.store.sessions.begin() as session:
            user = session.scalars(select(StaffUser).where(StaffUser.name == (name or "").strip())).one_or_none()
            if user is None or user.disabled_at is not None:
                _hasher.hash("spend the same time as a real check")  # no timing hint that the name is unknown
                return False
            try:
                _hasher.verify(user.password_hash, password or "")
            except (VerificationError, InvalidHashError):
                return False
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            return True

    # -- slowing down guessing

    def wait_before_sign_in(self, name: str, address: str, now: Optional[datetime] = None) -> int:
        """Seconds to wait before another sign-in for this name or from this address (0: go)."""
        now = now or utcnow()
        with self.store.sessions() as session:
            failures = session.scalars(
                select(SignInFailure.failed_at)
                .where(SignInFailure.failed_at > now - THROTTLE_WINDOW)
                .where(or_(SignInFailure.name == (name or "").strip().lower(), SignInFailure.address == address))
                .order_by(SignInFailure.failed_at.desc())
            ).all()
        if len(failures) < FREE_FAILURES:
            return 0
        wait = min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** (len(failures) - FREE_FAILURES))
        remaining = (failures[0] + timedelta(seconds=wait) - now).total_seconds()
        return max(0, int(remaining + 0.999))

    def record_failure(self, name: str, address: str) -> None:
        with self.store.sessions.begin() as session:
            session.add(SignInFailure(name=(name or "").strip().lower()[:100], address=address[:64]))
            # Old failures no longer count: keep the table small.
            session.execute(delete(SignInFailure).where(SignInFailure.failed_at < utcnow() - THROTTLE_WINDOW))

    def clear_failures(self, name: str) -> None:
        with self.store.sessions.begin() as session:
            session.execute(delete(SignInFailure).where(SignInFailure.name == (name or "").strip().lower()))

    # -- API tokens

    def create_token(self, name: str) -> str:
        """A new API token for the account; only its digest is stored, so this is the one
        time it can be shown."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.store.sessions.begin() as session:
            user = self._user(session, name)
            if user.disabled_at is not None:
                raise StaffError(f"the staff account {user.name!r} is disabled")
            session.add(ApiToken(staff_id=user.id, digest=_digest(token), hint=token[: len(TOKEN_PREFIX) + 6]))
        return token

    def staff_for_token(self, token: str) -> Optional[str]:
        """The staff name a valid, unrevoked token belongs to; None otherwise."""
        if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        with self.store.sessions.begin() as session:
            row = session.execute(
                select(ApiToken, StaffUser)
                .join(StaffUser, StaffUser.id == ApiToken.staff_id)
                .where(ApiToken.digest == _digest(token))
            ).one_or_none()
            if row is None:
                return None
            api_token, user = row
            if api_token.revoked_at is not None or user.disabled_at is not None:
                return None
            now = utcnow()
            # Written at most once a minute: a busy integration does not turn reads into writes.
            if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=1):
                api_token.last_used_at = now
            return user.name

    def tokens(self, name: Optional[str] = None) -> List[TokenInfo]:
        with self.store.sessions() as session:
            query = select(ApiToken, StaffUser.name).join(StaffUser, StaffUser.id == ApiToken.staff_id)
            if name:
                query = query.where(StaffUser.name == name)
            rows = session.execute(query.order_by(ApiToken.id)).all()
            return [
                TokenInfo(t.id, staff, t.hint, t.created_at, t.last_used_at, t.revoked_at) for t, staff in rows
            ]

    def revoke_token(self, token_id: int) -> TokenInfo:
        with self.store.sessions.begin() as session:
            row = session.execute(
                select(ApiToken, StaffUser.name)
                .join(StaffUser, StaffUser.id == ApiToken.staff_id)
                .where(ApiToken.id == token_id)
            ).one_or_none()
            if row is None:
                raise StaffError(f"there is no API token {token_id}")
            api_token, staff = row
            api_token.revoked_at = api_token.revoked_at or utcnow()
            return TokenInfo(
                api_token.id, staff, api_token.hint, api_token.created_at, api_token.last_used_at, api_token.revoked_at
            )

    @staticmethod
    def _user(session, name: str) -> StaffUser:
        user = session.scalars(select(StaffUser).where(StaffUser.name == (name or "").strip())).one_or_none()
        if user is None:
            raise StaffError(f"there is no staff account {name!r}")
        return user
