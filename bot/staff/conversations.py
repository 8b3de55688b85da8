"""Conversations for the staff console: the index of every conversation, transcripts,
takeovers by staff, and the flags and orders of a conversation.

Rasa keeps every conversation in its SQL tracker store (table `events`, possibly in a
different database than the orders). This module reads that table read-only with its own
SQLAlchemy Core definition and keeps a summary per conversation in the order database
(`conversation_summaries`, migration 0005), updated incrementally: each refresh reads only
the events after the highest event id already read (a watermark kept in
`conversation_index_state`), so the lists stay fast with 50,000 conversations.

No web framework here: the pages (bot/staff/conversation_pages.py) call these functions
in a thread.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy import (
    Column,
    Index,
    Integer,
    String,
    Text,
    case,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Mapped

from bot.store.orders import (
    Base,
    ConversationFlag,
    Order,
    OrderStore,
    UTCDateTime,
    contains_text,
    utcnow,
    within_days,
)

logger = logging.getLogger("bespoke.staff.conversations")

BATCH_ROWS = 5000  # events read per query while the index catches up
MAX_SEARCH_CHARS = 100
LOW_CONFIDENCE = 0.5  # below this a customer message counts as misunderstood on the transcript
NOT_UNDERSTOOD_REPLY = re.compile(r"\bI didn't (understand|get|catch|recognise|recognize)\b", re.IGNORECASE)
NOT_UNDERSTOOD_ACTIONS = ("utter_default", "action_default_fallback")
FALLBACK_INTENT = "nlu_fallback"
CHANNELS = ("web", "telegram", "rest")
# Slots that hold what the customer gave, shown on the transcript as "took: Name = ..."
CONTACT_SLOT_NAMES = {"customer_name": "Name", "customer_email": "Email", "customer_address": "Address"}


# ---------------------------------------------------------------------------- Rasa's table

# Rasa 3.6's SQLTrackerStore.SQLEvent (rasa/core/tracker_store.py), read-only: this module
# never creates or writes it.
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


# ---------------------------------------------------------------------------- our tables


class ConversationSummary(Base):
    """One row per conversation (Rasa sender id), kept up to date by refresh_index()."""

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


# ---------------------------------------------------------------------------- small helpers


class ConversationError(Exception):
    """Something asked of a conversation cannot be done; the message is for staff."""


def channel_of(conversation_id: str) -> str:
    if conversation_id.startswith("web:"):
        return "web"
    if conversation_id.startswith("telegram:"):
        return "telegram"
    return "rest"


def telegram_chat_id(conversation_id: str) -> Optional[int]:
    """The chat id of a "telegram:<chat id>" conversation, else None."""
    if not conversation_id.startswith("telegram:"):
        return None
    try:
        return int(conversation_id.split(":", 1)[1])
    except ValueError:
        return None


def story_filename(conversation_id: str) -> str:
    """A safe download name for the conversation's test story: "web_3f2a....yml"."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", conversation_id).strip("_")[:80] or "conversation"
    return f"story_{name}.yml"


def _moment(timestamp: Optional[float]) -> Optional[datetime]:
    if timestamp is None:
        return None
    try:
        return datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return None if moment is None else moment.astimezone(timezone.utc).isoformat()


def _json(data: Optional[str]) -> Dict[str, Any]:
    if not data:
        return {}
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _first_name(event: Dict[str, Any]) -> Optional[str]:
    """The chat app's first name sent with a customer message (Telegram), if any."""
    for metadata in (event.get("metadata"), (event.get("parse_data") or {}).get("metadata")):
        if isinstance(metadata, dict):
            name = metadata.get("first_name")
            if isinstance(name, str) and name.strip():
                return " ".join(name.split())[:255]
    return None


def _not_understood_reply(action_name: Optional[str], text_: Optional[str]) -> bool:
    return action_name in NOT_UNDERSTOOD_ACTIONS or bool(text_ and NOT_UNDERSTOOD_REPLY.search(text_))


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


def _no_events_table(engine: Engine, error: DBAPIError) -> bool:
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
        if _no_events_table(engine, error):
            return []
        raise


# ---------------------------------------------------------------------------- the index


@dataclass
class _Turn:
    """Where a conversation stands between events: is a customer message open (not yet
    followed by the next one), and has it been counted as not understood."""

    open: bool = False
    counted: bool = False


@dataclass
class _Changes:
    started: Optional[datetime] = None
    last_message: Optional[datetime] = None
    customer_name: Optional[str] = None
    first_name: Optional[str] = None
    user_turns: int = 0
    not_understood: int = 0
    last_event_id: int = 0
    turn: _Turn = field(default_factory=_Turn)


def _index_columns() -> List[Any]:
    e = events_table.c
    wanted = or_(
        e.type_name.in_(("user", "bot")),
        sa.and_(e.type_name == "slot", e.action_name.in_(("customer_name", "failures"))),
    )
    # The JSON text only where it is read: most events are slots and actions.
    return [e.id, e.sender_id, e.type_name, e.timestamp, e.intent_name, e.action_name,
            case((wanted, e.data), else_=None).label("data")]


def _apply(changes: _Changes, row: Any, count: bool = True) -> None:
    """One event into a conversation's changes. With count=False only the turn state moves
    (replaying events already counted, to know the state at a batch boundary)."""
    moment = _moment(row.timestamp)
    if count:
        changes.last_event_id = max(changes.last_event_id, row.id)
        if moment is not None and (changes.started is None or moment < changes.started):
            changes.started = moment
    kind = row.type_name
    if kind == "user":
        data = _json(row.data)
        # The intent alone does not decide: answers are read from the text whatever the
        # intent ("Jana Novak" is nlu_fallback, and taken as the name). A turn counts when
        # the bot said it did not understand.
        changes.turn = _Turn(open=True, counted=False)
        if count:
            changes.user_turns += 1
            changes.first_name = _first_name(data) or changes.first_name
            if moment is not None:
                changes.last_message = moment
    elif kind == "action":
        if changes.turn.open and not changes.turn.counted and row.action_name in NOT_UNDERSTOOD_ACTIONS:
            changes.turn.counted = True
            if count:
                changes.not_understood += 1
    elif kind == "bot":
        data = _json(row.data)
        if changes.turn.open and not changes.turn.counted and _not_understood_reply(None, data.get("text")):
            changes.turn.counted = True
            if count:
                changes.not_understood += 1
        if count and moment is not None:
            changes.last_message = moment
    elif kind == "slot" and row.action_name == "failures":
        # The order form counts refused answers per question in this slot: one that goes up
        # in this turn means the answer was refused.
        value = _json(row.data).get("value")
        refused = isinstance(value, dict) and any(isinstance(n, (int, float)) and n > 0 for n in value.values())
        if changes.turn.open and not changes.turn.counted and refused:
            changes.turn.counted = True
            if count:
                changes.not_understood += 1
    elif kind == "slot" and row.action_name == "customer_name" and count:
        value = _json(row.data).get("value")
        if isinstance(value, str) and value.strip():
            changes.customer_name = " ".join(value.split())[:255]


def _turn_before(connection: Any, sender_id: str, before_id: int) -> _Turn:
    """The turn state of a conversation just before event `before_id` (a batch boundary):
    replays its events since its last customer message before that."""
    e = events_table.c
    last_user = connection.execute(
        select(func.max(e.id)).where(e.sender_id == sender_id, e.type_name == "user", e.id < before_id)
    ).scalar()
    if last_user is None:
        return _Turn()
    changes = _Changes()
    rows = connection.execute(
        select(*_index_columns()).where(e.sender_id == sender_id, e.id >= last_user, e.id < before_id).order_by(e.id)
    )
    for row in rows:
        _apply(changes, row, count=False)
    return changes.turn


@dataclass
class RefreshResult:
    read: int = 0  # events read
    conversations: int = 0  # summaries inserted or updated
    caught_up: bool = True  # False: stopped by the time budget with events still unread
    rebuilt: bool = False  # the tracker database was replaced: the index started again


_refresh_locks: Dict[str, threading.Lock] = {}
GAP_WAIT_S = 120  # how long a missing event id is looked for before it counts as never coming
MAX_GAPS = 1000  # more missing ids than this in one batch: ids were skipped, not late


@dataclass(frozen=True)
class _State:
    watermark: int = 0
    gaps_text: Optional[str] = None  # as stored: the compare-and-set compares it

    @property
    def gaps(self) -> Dict[int, float]:
        try:
            return {int(key): float(value) for key, value in json.loads(self.gaps_text or "{}").items()}
        except (ValueError, AttributeError):
            return {}


def _state(store: OrderStore) -> _State:
    with store.sessions.begin() as session:
        row = session.execute(
            select(ConversationIndexState.last_event_id, ConversationIndexState.gaps).where(ConversationIndexState.id == 1)
        ).one_or_none()
    return _State() if row is None else _State(int(row.last_event_id or 0), row.gaps)


def _gaps_text(gaps: Dict[int, float]) -> Optional[str]:
    return json.dumps({str(key): int(value) for key, value in sorted(gaps.items())}) if gaps else None


def _reset_index(store: OrderStore) -> None:
    with store.sessions.begin() as session:
        session.execute(delete(ConversationSummary))
        session.execute(delete(ConversationIndexState))


def _changes_of(connection: Any, rows: Sequence[Any], look_back: bool) -> Dict[str, _Changes]:
    """Each conversation's changes from rows in id order. With look_back, a conversation
    whose rows do not start with a customer message gets its turn state from before them."""
    by_sender: Dict[str, List[Any]] = {}
    for row in rows:
        by_sender.setdefault(row.sender_id, []).append(row)
    changes: Dict[str, _Changes] = {}
    for sender_id, sender_rows in by_sender.items():
        change = _Changes()
        if look_back and sender_rows[0].type_name != "user":
            change.turn = _turn_before(connection, sender_id, sender_rows[0].id)
        for row in sender_rows:
            _apply(change, row)
        changes[sender_id] = change
    return changes


def refresh_index(store: OrderStore, tracker_url: str, time_budget_s: Optional[float] = None) -> RefreshResult:
    """Bring conversation_summaries up to date with Rasa's events table, reading only the
    events after the watermark, BATCH_ROWS at a time. Cheap when nothing is new (one
    indexed query on each database). With a time budget it stops after the batch that
    crosses it (caught_up False); the next call goes on from there.

    Ids missing below the watermark (a PostgreSQL transaction committing after a later
    one) are remembered and read when they appear, for GAP_WAIT_S."""
    result = RefreshResult()
    engine = tracker_engine(tracker_url)
    if engine is None:
        return result
    lock = _refresh_locks.setdefault(store.url, threading.Lock())
    with lock:  # one refresh per store in this process; other processes are kept out by the CAS below
        started = time.monotonic()
        late_checked = False
        e = events_table.c
        while True:
            state = _state(store)
            gaps = state.gaps
            try:
                with engine.connect() as connection:
                    if gaps and not late_checked:
                        late_checked = True
                        wanted = sorted(gaps)
                        late = [row for start in range(0, len(wanted), 500) for row in connection.execute(
                            select(*_index_columns()).where(e.id.in_(wanted[start:start + 500])).order_by(e.id))]
                        now = time.time()
                        left = {key: seen for key, seen in gaps.items()
                                if key not in {row.id for row in late} and now - seen < GAP_WAIT_S}
                        if late or left != gaps:
                            changes = _changes_of(connection, late, look_back=True)
                            if not _save_batch(store, state, state.watermark, left, changes):
                                return result
                            result.read += len(late)
                            result.conversations += len(changes)
                            continue
                    rows = list(connection.execute(
                        select(*_index_columns()).where(e.id > state.watermark).order_by(e.id).limit(BATCH_ROWS)
                    ))
                    if not rows:
                        if state.watermark and not result.rebuilt:
                            newest = connection.execute(select(func.max(e.id))).scalar() or 0
                            if newest < state.watermark:  # a new, emptier tracker database: start again
                                logger.warning("tracker events end at %s, below the index's %s: rebuilding",
                                               newest, state.watermark)
                                _reset_index(store)
                                result.rebuilt = True
                                continue
                        return result
                    changes = _changes_of(connection, rows, look_back=bool(state.watermark))
            except DBAPIError as error:
                if _no_events_table(engine, error):
                    return result
                raise
            seen = {row.id for row in rows}
            low = state.watermark + 1 if state.watermark else rows[0].id
            missing = [key for key in range(low, rows[-1].id) if key not in seen] \
                if rows[-1].id - low + 1 - len(rows) <= MAX_GAPS else []
            now = time.time()
            new_gaps = {**gaps, **{key: now for key in missing}}
            if not _save_batch(store, state, rows[-1].id, new_gaps, changes):
                return result  # another process refreshed meanwhile; its summaries are the answer
            result.read += len(rows)
            result.conversations += len(changes)
            if len(rows) < BATCH_ROWS:
                return result
            if time_budget_s is not None and time.monotonic() - started > time_budget_s:
                result.caught_up = False
                return result


def _save_batch(store: OrderStore, state: _State, new_watermark: int, gaps: Dict[int, float],
                changes: Dict[str, _Changes]) -> bool:
    """Apply one batch's changes and move the watermark, in one transaction; False (and
    nothing written) when the index moved meanwhile (compare-and-set on the state row)."""
    now = utcnow()
    try:
        with store.sessions.begin() as session:
            if state.watermark or state.gaps_text:
                unchanged = ConversationIndexState.gaps.is_(None) if state.gaps_text is None \
                    else ConversationIndexState.gaps == state.gaps_text
                moved = session.execute(
                    update(ConversationIndexState)
                    .where(ConversationIndexState.id == 1, ConversationIndexState.last_event_id == state.watermark,
                           unchanged)
                    .values(last_event_id=new_watermark, gaps=_gaps_text(gaps), updated_at=now)
                ).rowcount
                if moved != 1:
                    session.rollback()
                    return False
            else:
                session.add(ConversationIndexState(id=1, last_event_id=new_watermark, gaps=_gaps_text(gaps),
                                                   updated_at=now))
            ids = list(changes)
            existing: Dict[str, ConversationSummary] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for summary in session.scalars(
                    select(ConversationSummary).where(ConversationSummary.conversation_id.in_(chunk))
                ):
                    existing[summary.conversation_id] = summary
            for conversation_id, change in changes.items():
                summary = existing.get(conversation_id)
                if summary is None:
                    started = change.started or change.last_message or now
                    summary = ConversationSummary(
                        conversation_id=conversation_id, channel=channel_of(conversation_id),
                        started_at=started, last_message_at=change.last_message or started,
                        customer_name=None, user_turns=0, not_understood=0, last_event_id=0,
                    )
                    session.add(summary)
                elif change.last_message is not None and change.last_message > summary.last_message_at:
                    summary.last_message_at = change.last_message
                if change.started is not None and change.started < summary.started_at:
                    summary.started_at = change.started
                if change.customer_name:
                    summary.customer_name = change.customer_name
                elif change.first_name and not summary.customer_name:
                    summary.customer_name = change.first_name
                summary.user_turns = (summary.user_turns or 0) + change.user_turns
                summary.not_understood = (summary.not_understood or 0) + change.not_understood
                summary.last_event_id = max(summary.last_event_id or 0, change.last_event_id)
                summary.updated_at = now
    except IntegrityError:
        return False  # the first batch was saved by another process at the same time
    except DBAPIError as error:
        if "locked" in str(error).lower():  # SQLite: another process is writing the index
            return False
        raise
    return True


# ---------------------------------------------------------------------------- the list


@dataclass
class ListFilters:
    channel: str = ""
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    has_order: Optional[bool] = None
    flagged: Optional[bool] = None
    search: str = ""
    page: int = 1
    per_page: int = 50


def parse_filters(query: Dict[str, str]) -> Tuple[ListFilters, List[str]]:
    """The list's filters from a query string, and a message per bad value (which is ignored)."""
    filters, problems = ListFilters(), []
    channel = query.get("channel", "").strip()
    if channel:
        if channel in CHANNELS:
            filters.channel = channel
        else:
            problems.append(f"Unknown channel {channel[:30]!r}: choose web, telegram or rest.")
    for name, label in (("from", "From"), ("to", "To")):
        value = query.get(name, "").strip()
        if value:
            try:
                setattr(filters, f"date_{name}", date.fromisoformat(value))
            except ValueError:
                problems.append(f"{label} date {value[:30]!r} is not a date like 2026-11-25.")
    for name, label in (("has_order", "Order placed"), ("flagged", "Flagged")):
        value = query.get(name, "").strip()
        if value in ("yes", "no"):
            setattr(filters, name, value == "yes")
        elif value:
            problems.append(f"{label}: choose yes or no, not {value[:30]!r}.")
    filters.search = query.get("q", "").strip()[:MAX_SEARCH_CHARS]
    page = query.get("page", "1").strip() or "1"
    if page.isdigit() and int(page) >= 1:
        filters.page = min(int(page), 1_000_000)
    else:
        problems.append(f"Page {page[:30]!r} is not a page number.")
    return filters, problems


def _conditions(filters: ListFilters, dialect: str) -> List[Any]:
    s = ConversationSummary
    conditions: List[Any] = []
    if filters.channel:
        conditions.append(s.channel == filters.channel)
    conditions.extend(within_days(s.started_at, filters.date_from, filters.date_to))
    if filters.has_order is not None:
        placed = select(Order.id).where(Order.conversation_id == s.conversation_id).exists()
        conditions.append(placed if filters.has_order else ~placed)
    if filters.flagged is not None:
        flagged = select(ConversationFlag.id).where(
            ConversationFlag.conversation_id == s.conversation_id, ConversationFlag.resolved_at.is_(None)
        ).exists()
        conditions.append(flagged if filters.flagged else ~flagged)
    if filters.search:
        conditions.append(or_(contains_text(s.conversation_id, filters.search, dialect),
                              contains_text(s.customer_name, filters.search, dialect)))
    return conditions


def summary_as_dict(summary: ConversationSummary) -> Dict[str, Any]:
    return {
        "conversation_id": summary.conversation_id,
        "channel": summary.channel,
        "started_at": _iso(summary.started_at),
        "last_message_at": _iso(summary.last_message_at),
        "customer_name": summary.customer_name,
        "user_turns": summary.user_turns,
        "not_understood": summary.not_understood,
    }


def list_conversations(store: OrderStore, filters: ListFilters) -> Tuple[List[Dict[str, Any]], int]:
    """One page of conversations, newest message first, with their order numbers and open
    flags; and how many match the filters."""
    s = ConversationSummary
    with store.sessions.begin() as session:
        conditions = _conditions(filters, session.get_bind().dialect.name)
        total = session.scalar(select(func.count()).select_from(s).where(*conditions)) or 0
        summaries = session.scalars(
            select(s).where(*conditions)
            .order_by(s.last_message_at.desc(), s.conversation_id.desc())
            .limit(filters.per_page).offset((filters.page - 1) * filters.per_page)
        ).all()
        rows = [summary_as_dict(summary) for summary in summaries]
        ids = [row["conversation_id"] for row in rows]
        orders: Dict[str, List[str]] = {}
        flags: Dict[str, List[str]] = {}
        if ids:
            for conversation_id, number in session.execute(
                select(Order.conversation_id, Order.number).where(Order.conversation_id.in_(ids))
                .order_by(Order.created_at, Order.id)
            ):
                orders.setdefault(conversation_id, []).append(number)
            for conversation_id, reason in session.execute(
                select(ConversationFlag.conversation_id, ConversationFlag.reason)
                .where(ConversationFlag.conversation_id.in_(ids), ConversationFlag.resolved_at.is_(None))
                .order_by(ConversationFlag.raised_at, ConversationFlag.id)
            ):
                flags.setdefault(conversation_id, []).append(reason)
    for row in rows:
        row["orders"] = orders.get(row["conversation_id"], [])
        row["open_flags"] = flags.get(row["conversation_id"], [])
    return rows, int(total)


def summary_of(store: OrderStore, conversation_id: str) -> Optional[Dict[str, Any]]:
    with store.sessions.begin() as session:
        summary = session.get(ConversationSummary, conversation_id)
        return None if summary is None else summary_as_dict(summary)


def summaries_of(store: OrderStore, conversation_ids: Sequence[str]) -> Dict[str, Dict[str, Any]]:
    found: Dict[str, Dict[str, Any]] = {}
    ids = list(dict.fromkeys(conversation_ids))
    with store.sessions.begin() as session:
        for start in range(0, len(ids), 500):
            for summary in session.scalars(
                select(ConversationSummary).where(ConversationSummary.conversation_id.in_(ids[start:start + 500]))
            ):
                found[summary.conversation_id] = summary_as_dict(summary)
    return found


# ---------------------------------------------------------------------------- the transcript


def catalog():
    """The shop's catalog for readable option names, or None when it cannot be read."""
    try:
        from bot.core.catalog import current_catalog

        return current_catalog()
    except Exception as error:  # noqa: BLE001 - a transcript without names is still a transcript
        logger.warning("catalog not readable for transcripts: %s", error)
        return None


def _took_options(catalog: Any, product_id: Optional[str], old: Dict[str, Any], new: Dict[str, Any]) -> List[Dict[str, str]]:
    """The options whose value the customer's message set or changed, readable."""
    product = catalog.find_product(product_id) if catalog is not None and product_id else None
    took: List[Dict[str, str]] = []
    for option_id, value in new.items():
        if option_id in old and old[option_id] == value:
            continue
        name, shown = option_id, "none" if value is None else str(value)
        if product is not None:
            try:
                from bot.core.order import display_value

                option = product.option(option_id)
                name, shown = option.name, display_value(option, value)
            except (StopIteration, KeyError, ValueError, TypeError, ArithmeticError):
                pass  # an option or value no longer in the catalog: shown as stored
        took.append({"name": name, "value": shown})
    for option_id in old:
        if option_id not in new:
            name = option_id
            if product is not None:
                name = next((o.name for o in product.options if o.id == option_id), option_id)
            took.append({"name": name, "value": "(cleared)"})
    return took


def _buttons(data: Dict[str, Any]) -> List[Dict[str, str]]:
    return [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for b in (data.get("buttons") or []) if isinstance(b, dict)
    ]


def transcript(tracker_url: str, conversation_id: str) -> List[Dict[str, Any]]:
    """Every turn of the conversation in order, from Rasa's events table (all sessions).

    Entries: {"kind": "user"} the customer's message with what the bot understood (intent,
    confidence, entities, the values it took) and "problems" (why it counts as
    misunderstood); {"kind": "bot"} a reply with its buttons and author ("Bot" or a staff
    name); {"kind": "note"} a session start, takeover or hand-back.
    """
    e = events_table.c
    rows = read_events(tracker_url, select(e.id, e.type_name, e.timestamp, e.action_name, e.data)
                       .where(e.sender_id == conversation_id).order_by(e.id))
    catalog_ = catalog() if rows else None
    entries: List[Dict[str, Any]] = []
    current: Optional[Dict[str, Any]] = None  # the customer message whose turn this is
    product_id: Optional[str] = None
    selections: Dict[str, Any] = {}
    failures: Dict[str, int] = {}
    offered: Dict[str, str] = {}  # payload -> title of every button offered so far (old ones can still be pressed)
    paused = False

    def problem(label: str) -> None:
        if current is not None and label not in current["problems"]:
            current["problems"].append(label)

    for row in rows:
        kind, moment = row.type_name, _moment(row.timestamp)
        if kind == "user":
            data = _json(row.data)
            parse = data.get("parse_data") or {}
            intent = parse.get("intent") or {}
            text_ = data.get("text") or ""
            confidence = intent.get("confidence")
            current = {
                "kind": "user", "id": row.id, "at": _iso(moment), "text": text_,
                "shown": offered.get(text_, text_), "button": text_ in offered,
                "intent": intent.get("name"),
                "confidence": None if confidence is None else round(float(confidence), 3),
                "entities": [
                    {"entity": str(x.get("entity")), "value": x.get("value")}
                    for x in parse.get("entities") or [] if isinstance(x, dict)
                ],
                "took": [], "actions": [], "problems": [], "while_taken_over": paused,
                "first_name": _first_name(data),
            }
            if current["intent"] == FALLBACK_INTENT:
                problem("Not understood (fallback)")
            elif confidence is not None and float(confidence) < LOW_CONFIDENCE:
                problem(f"Unsure ({float(confidence):.2f})")
            entries.append(current)
        elif kind == "bot":
            data = _json(row.data)
            metadata = data.get("metadata") or {}
            staff = metadata.get("staff") if isinstance(metadata, dict) else None
            payload = data.get("data") or {}
            entry = {
                "kind": "bot", "id": row.id, "at": _iso(moment), "text": data.get("text") or "",
                "buttons": _buttons(payload), "image": payload.get("image") if isinstance(payload.get("image"), str) else None,
                "staff": staff if isinstance(staff, str) else None,
            }
            if entry["staff"] is None and _not_understood_reply(None, entry["text"]):
                problem("Bot did not understand")
            if entry["buttons"]:
                offered.update({b["payload"]: b["title"] for b in entry["buttons"]})
            if entry["text"] or entry["buttons"] or entry["image"]:
                entries.append(entry)
        elif kind == "action":
            name = row.action_name or ""
            if name in NOT_UNDERSTOOD_ACTIONS:
                problem("Bot did not understand")
            if current is not None and name and name not in ("action_listen", "action_session_start"):
                current["actions"].append(name)
        elif kind == "slot":
            data = _json(row.data)
            name, value = data.get("name") or row.action_name, data.get("value")
            if name == "product":
                product_id = value if isinstance(value, str) else product_id
            elif name == "selections":
                new = value if isinstance(value, dict) else {}
                if current is not None and value is not None:
                    current["took"].extend(_took_options(catalog_, product_id, selections, new))
                selections = new
            elif name == "failures":
                new_failures = value if isinstance(value, dict) else {}
                if any(int(count or 0) > int(failures.get(key) or 0) for key, count in new_failures.items()
                       if isinstance(count, (int, float))):
                    problem("Answer refused")
                failures = {k: v for k, v in new_failures.items() if isinstance(v, (int, float))}
            elif name in CONTACT_SLOT_NAMES and isinstance(value, str) and value and current is not None:
                current["took"].append({"name": CONTACT_SLOT_NAMES[name], "value": value})
        elif kind == "pause":
            paused = True
            entries.append({"kind": "note", "id": row.id, "at": _iso(moment),
                            "text": "Staff took over: the bot stays quiet until handed back."})
        elif kind == "resume":
            paused = False
            entries.append({"kind": "note", "id": row.id, "at": _iso(moment), "text": "Handed back to the bot."})
        elif kind == "session_started":
            entries.append({"kind": "note", "id": row.id, "at": _iso(moment), "text": "New session started."})
        elif kind == "restart":
            entries.append({"kind": "note", "id": row.id, "at": _iso(moment), "text": "Conversation restarted."})
    for entry in entries:
        if entry["kind"] == "user":
            if entry["took"]:
                # The bot took values from the text, whatever the intent: not a misunderstanding.
                entry["problems"] = [p for p in entry["problems"]
                                     if not p.startswith(("Not understood (fallback)", "Unsure ("))]
            entry["misunderstood"] = bool(entry["problems"])
    return entries


def story_without_takeovers(story: str, turns: Sequence[Dict[str, Any]]) -> str:
    """Rasa's test story of the conversation without the customer messages sent while staff
    had taken over (the bot did not answer them, so as a test they would fail). `turns` is
    the conversation's transcript(); the story is returned as it is when there was no
    takeover, or when its customer messages do not line up with the transcript's."""
    import yaml

    paused = [entry["while_taken_over"] for entry in turns if entry["kind"] == "user"]
    if not any(paused):
        return story
    try:
        document = yaml.safe_load(story)
        stories = document["stories"]
        steps = [step for item in stories for step in item.get("steps") or []]
    except (yaml.YAMLError, TypeError, KeyError, AttributeError):
        logger.warning("Rasa's story is not as expected; exported as it is")
        return story
    if sum(1 for step in steps if isinstance(step, dict) and "user" in step) != len(paused):
        logger.warning("Rasa's story has other customer messages than the transcript; exported as it is")
        return story
    index = 0
    for item in stories:
        kept = []
        for step in item.get("steps") or []:
            if isinstance(step, dict) and "user" in step:
                index += 1
                if paused[index - 1]:
                    continue
            kept.append(step)
        item["steps"] = kept
    note = "# Customer messages sent while staff had taken over are left out: the bot did not answer them.\n"
    return note + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000)


def conversation_exists(tracker_url: str, conversation_id: str) -> bool:
    e = events_table.c
    return bool(read_events(tracker_url, select(e.id).where(e.sender_id == conversation_id).limit(1)))


# ---------------------------------------------------------------------------- takeovers


def takeover_as_dict(takeover: ConversationTakeover) -> Dict[str, Any]:
    return {
        "id": takeover.id,
        "conversation_id": takeover.conversation_id,
        "staff": takeover.staff,
        "started_at": _iso(takeover.started_at),
        "ended_at": _iso(takeover.ended_at),
    }


def active_takeover(store: OrderStore, conversation_id: str) -> Optional[Dict[str, Any]]:
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
    """Record that `staff` talks to the customer now. Raises ConversationError when someone
    already has taken it over (the same person taking over again gets their takeover back)."""
    current = active_takeover(store, conversation_id)
    if current is not None:
        if current["staff"] == staff:
            return current
        raise ConversationError(f"{current['staff']} has already taken over this conversation.")
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
        raise ConversationError(f"{current['staff']} has already taken over this conversation.") from None


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


# ---------------------------------------------------------------------------- the queue and details


QUEUE_PAGE = 50


def queue(store: OrderStore, page: int = 1, per_page: int = QUEUE_PAGE) -> Tuple[List[Dict[str, Any]], int]:
    """One page of the open flags, oldest first, with their conversation's summary and
    takeover; and how many flags are open."""
    every = store.open_flags()
    flags = every[(page - 1) * per_page:page * per_page]
    ids = [flag["conversation_id"] for flag in flags]
    summaries = summaries_of(store, ids)
    takeovers = {t["conversation_id"]: t for t in active_takeovers(store)}
    return [
        {**flag, "summary": summaries.get(flag["conversation_id"]),
         "channel": channel_of(flag["conversation_id"]), "takeover": takeovers.get(flag["conversation_id"])}
        for flag in flags
    ], len(every)


def conversation_detail(store: OrderStore, tracker_url: str, conversation_id: str) -> Optional[Dict[str, Any]]:
    """Everything about one conversation (the transcript page and the API); None when
    there is no such conversation."""
    turns = transcript(tracker_url, conversation_id)
    summary = summary_of(store, conversation_id)
    orders = store.orders_for_conversation(conversation_id)
    if not turns and summary is None and not orders:
        return None
    return {
        "conversation_id": conversation_id,
        "channel": channel_of(conversation_id),
        "summary": summary,
        "transcript": turns,
        "orders": orders,
        "flags": store.flags_for(conversation_id),
        "takeovers": takeovers_for(store, conversation_id),
        "active_takeover": active_takeover(store, conversation_id),
    }


def flag_ids_of(store: OrderStore, conversation_id: str) -> Iterable[int]:
    return [flag["id"] for flag in store.flags_for(conversation_id) if flag["resolved_at"] is None]
