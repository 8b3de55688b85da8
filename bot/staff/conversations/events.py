"""Rasa's events table, read-only, and what the other modules read from its rows.

Rasa keeps every conversation in its SQL tracker store (table `events`, possibly in a
different database than the orders). This module reads it with its own SQLAlchemy Core
definition of Rasa 3.6's SQLTrackerStore.SQLEvent (rasa/core/tracker_store.py) and never
creates or writes it.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy import Column, Integer, String, Text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from bot.core.limits import clean_json
from bot.core.refusals import NOT_UNDERSTOOD_KEY
from bot.core.senders import CHANNELS, channel_of, telegram_chat_id  # noqa: F401 - read from here too

# Rasa's own fallback: the core fallback action, or the "not understood" rule's response,
# whose bot event Rasa marks with the response's name (metadata "utter_action").
NOT_UNDERSTOOD_ACTIONS = ("utter_default", "action_default_fallback")

tracker_metadata = sa.MetaData()
events_table = sa.Table(
    "events",
    tracker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", sa.Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


# ---------------------------------------------------------------------------- conversation ids


# channel_of, telegram_chat_id and CHANNELS: bot/core/senders.py (the store needs them too).


# ---------------------------------------------------------------------------- event data


def moment(timestamp: Optional[float]) -> Optional[datetime]:
    """An event's timestamp (epoch seconds) as a UTC datetime; None when it has none."""
    if timestamp is None:
        return None
    try:
        return datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def iso(when: Optional[datetime]) -> Optional[str]:
    return None if when is None else when.astimezone(timezone.utc).isoformat()


def event_data(data: Optional[str]) -> Dict[str, Any]:
    """An event's JSON (the `data` column) as a dict; {} when it is missing, not an object
    or nested too deep to read. Its text is cleaned (bot.core.limits.clean_text): events
    stored before Rasa's input was cleaned, or written past it, may hold a lone surrogate
    ("\\ud800" in the JSON), which no database stores and no page can be encoded with."""
    if not data:
        return {}
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return {}
    return clean_json(value) if isinstance(value, dict) else {}



def first_name(event: Dict[str, Any]) -> Optional[str]:
    """The chat app's first name sent with a customer message (Telegram), if any."""
    for metadata in (event.get("metadata"), (event.get("parse_data") or {}).get("metadata")):
        if isinstance(metadata, dict):
            name = metadata.get("first_name")
            if isinstance(name, str) and name.strip():
                return " ".join(name.split())[:255]
    return None


def not_understood_reply(event: Dict[str, Any]) -> bool:
    """Whether a bot event tells the customer the bot did not understand: the actions mark
    such replies (bot.core.refusals.NOT_UNDERSTOOD), Rasa names its fallback response."""
    metadata = event.get("metadata")
    if not isinstance(metadata, dict):
        return False
    return metadata.get(NOT_UNDERSTOOD_KEY) is True or metadata.get("utter_action") in NOT_UNDERSTOOD_ACTIONS


# ---------------------------------------------------------------------------- the tracker database

_engines: Dict[str, Engine] = {}
_engines_lock = threading.Lock()


def tracker_engine(url: str) -> Optional[Engine]:
    """A read-only use engine on Rasa's tracker database; None when it is a SQLite file
    that does not exist yet (opening it would create it)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:" or not Path(database).expanduser().exists():
            return None
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            options: Dict[str, Any] = {"future": True}
            if parsed.get_backend_name() != "sqlite":
                options["pool_pre_ping"] = True
            engine = _engines[url] = sa.create_engine(parsed, **options)
        return engine


def no_events_table(engine: Engine, error: DBAPIError) -> bool:
    """Whether a failed query failed because Rasa has not created its table yet."""
    try:
        return not sa.inspect(engine).has_table("events")
    except DBAPIError:
        raise error from None


def read_events(tracker_url: str, query: sa.sql.Select) -> List[Any]:
    """Rows of a query on Rasa's events table; [] when the database or table is not there yet."""
    engine = tracker_engine(tracker_url)
    if engine is None:
        return []
    try:
        with engine.connect() as connection:
            return list(connection.execute(query))
    except DBAPIError as error:
        if no_events_table(engine, error):
            return []
        raise


def conversation_exists(tracker_url: str, conversation_id: str) -> bool:
    e = events_table.c
    return bool(read_events(tracker_url, sa.select(e.id).where(e.sender_id == conversation_id).limit(1)))
