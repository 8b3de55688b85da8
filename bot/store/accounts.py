"""The staff accounts' tables: accounts, API tokens and failed sign-ins (migrations 0003
and 0008). What may be done with them (Argon2 hashes, tokens, slowing down guessing)
lives in bot/staff/accounts.py."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped

from bot.store.db import Base, UTCDateTime, utcnow


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = Column(Integer, primary_key=True)
    name: Mapped[str] = Column(String(100), unique=True, nullable=False)
    password_hash: Mapped[str] = Column(String(255), nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    disabled_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)
    # Sign-in cookies carry the epoch they were made in: raising it ends every session of
    # the account (signing out, a new password, disabling), though cookies are not stored.
    session_epoch: Mapped[int] = Column(Integer, nullable=False, default=0, server_default="0")


class ApiToken(Base):
    __tablename__ = "staff_api_tokens"

    id: Mapped[int] = Column(Integer, primary_key=True)
    staff_id: Mapped[int] = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), index=True, nullable=False)
    digest: Mapped[str] = Column(String(64), unique=True, nullable=False)  # sha256 hex of the token
    hint: Mapped[str] = Column(String(16), nullable=False)  # the token's first characters, to tell tokens apart
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    last_used_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)
    revoked_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)


class SignInFailure(Base):
    __tablename__ = "staff_sign_in_failures"

    id: Mapped[int] = Column(Integer, primary_key=True)
    name: Mapped[str] = Column(String(100), index=True, nullable=False)
    address: Mapped[str] = Column(String(64), index=True, nullable=False)
    failed_at: Mapped[datetime] = Column(UTCDateTime, index=True, nullable=False, default=utcnow)
