"""The conversations index: one summary per conversation in `conversation_summaries`
(bot/store/models.py), kept up to date incrementally from Rasa's events table.

Each refresh reads only the events after the highest event id already read (a watermark
kept in `conversation_index_state`), so the lists stay fast with 50,000 conversations.
Ids missing below the watermark (a PostgreSQL transaction committing after a later one)
are remembered and read when they appear.

`refresh` and `keep_current` run it off the event loop for the pages and in the
background.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from bot.channels.rasa import PICKED_UP
from bot.store.models import ConversationIndexState, ConversationSummary
from bot.store.db import utcnow
from bot.store.orders import OrderStore
from bot.staff.conversations.events import (
    NOT_UNDERSTOOD_ACTIONS,
    channel_of,
    event_data,
    events_table,
    first_name,
    moment,
    no_events_table,
    not_understood_reply,
    tracker_engine,
)

logger = logging.getLogger("bespoke.staff.conversations")

BATCH_ROWS = 5000  # events read per query while the index catches up
GAP_WAIT_S = 120  # how long a missing event id is looked for before it counts as never coming
MAX_GAPS = 1000  # more missing ids than this in one batch: ids were skipped, not late
PAGE_BUDGET_S = 0.5  # a page waits at most about this long for the index to catch up
EVERY_S = 5  # how often the background indexer looks for new events


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
    at = moment(row.timestamp)
    if count:
        changes.last_event_id = max(changes.last_event_id, row.id)
        if at is not None and (changes.started is None or at < changes.started):
            changes.started = at
    kind = row.type_name
    if kind == "user":
        data = event_data(row.data)
        # The intent alone does not decide: answers are read from the text whatever the
        # intent ("Jana Novak" is nlu_fallback, and taken as the name). A turn counts when
        # the bot said it did not understand.
        changes.turn = _Turn(open=True, counted=False)
        if count and not (data.get("metadata") or {}).get(PICKED_UP):  # counted when it was written
            changes.user_turns += 1
            changes.first_name = first_name(data) or changes.first_name
            if at is not None:
                changes.last_message = at
    elif kind == "action":
        if changes.turn.open and not changes.turn.counted and row.action_name in NOT_UNDERSTOOD_ACTIONS:
            changes.turn.counted = True
            if count:
                changes.not_understood += 1
    elif kind == "bot":
        data = event_data(row.data)
        if changes.turn.open and not changes.turn.counted and not_understood_reply(data):
            changes.turn.counted = True
            if count:
                changes.not_understood += 1
        if count and at is not None:
            changes.last_message = at
    elif kind == "slot" and row.action_name == "failures":
        # The order form counts refused answers per question in this slot: one that goes up
        # in this turn means the answer was refused.
        value = event_data(row.data).get("value")
        refused = isinstance(value, dict) and any(isinstance(n, (int, float)) and n > 0 for n in value.values())
        if changes.turn.open and not changes.turn.counted and refused:
            changes.turn.counted = True
            if count:
                changes.not_understood += 1
    elif kind == "slot" and row.action_name == "customer_name" and count:
        value = event_data(row.data).get("value")
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
    skipped: bool = False  # another web server is refreshing the index right now: nothing done


_refresh_locks: Dict[str, threading.Lock] = {}
# pg_try_advisory_xact_lock's key for "refreshing the conversation index" (any 64-bit number
# that nothing else in the database uses: the first bytes of "bespoke conversation index").
INDEX_LOCK_KEY = 0x6265_7370_6F6B_6569


@contextlib.contextmanager
def _only_writer(store: OrderStore) -> Iterator[bool]:
    """True while this process is the only one refreshing the index. On PostgreSQL (several
    web servers) a transaction-level advisory lock, tried without waiting: False at once when
    another server holds it, and released when the transaction ends, even if this process dies.
    Elsewhere (SQLite: one web server) always True; the compare-and-set in _save_batch keeps
    the index right whatever happens."""
    if store.engine.dialect.name != "postgresql":
        yield True
        return
    with store.engine.connect() as connection, connection.begin():
        yield bool(connection.execute(select(func.pg_try_advisory_xact_lock(INDEX_LOCK_KEY))).scalar())


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
    # One refresh per store in this process (on PostgreSQL a second one skips, as it does when
    # another web server refreshes; on SQLite it waits, one web server being all there is);
    # the compare-and-set below besides.
    shared = store.engine.dialect.name == "postgresql"
    if not lock.acquire(blocking=not shared):
        result.skipped = True
        return result
    try:
        return _refresh_alone(store, engine, result, time_budget_s)
    finally:
        lock.release()


def _refresh_alone(store: OrderStore, engine: Any, result: RefreshResult, time_budget_s: Optional[float]) -> RefreshResult:
    with _only_writer(store) as alone:
        if not alone:
            result.skipped = True  # the pages show the index as the other server leaves it
            return result
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
                            if not _save_or_skip(store, state, state.watermark, left, changes):
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
                if no_events_table(engine, error):
                    return result
                raise
            seen = {row.id for row in rows}
            low = state.watermark + 1 if state.watermark else rows[0].id
            missing = [key for key in range(low, rows[-1].id) if key not in seen] \
                if rows[-1].id - low + 1 - len(rows) <= MAX_GAPS else []
            now = time.time()
            new_gaps = {**gaps, **dict.fromkeys(missing, now)}
            if not _save_or_skip(store, state, rows[-1].id, new_gaps, changes):
                return result  # another process refreshed meanwhile; its summaries are the answer
            result.read += len(rows)
            result.conversations += len(changes)
            if len(rows) < BATCH_ROWS:
                return result
            if time_budget_s is not None and time.monotonic() - started > time_budget_s:
                result.caught_up = False
                return result


def _bad_data(error: Exception) -> bool:
    """An error about what was written (text the database cannot take), not about the
    database: a connection lost or a lock is tried again at the next refresh instead."""
    if isinstance(error, DataError):
        return True
    if isinstance(error, DBAPIError):
        return False
    return isinstance(error, (ValueError, StatementError))  # UnicodeEncodeError, NUL, a wrapped one


def _save_or_skip(store: OrderStore, state: _State, new_watermark: int, gaps: Dict[int, float],
                  changes: Dict[str, _Changes]) -> bool:
    """_save_batch; a batch the database refuses for its data is saved again without the
    names read from the events (the only free text), and if even that fails, skipped with
    the watermark moved past it: one bad event never stops the index, and it is logged."""
    try:
        return _save_batch(store, state, new_watermark, gaps, changes)
    except Exception as error:  # noqa: BLE001 - only bad data is handled; the rest is raised
        if not _bad_data(error):
            raise
        logger.exception("could not save the conversation index up to event %s (conversations %s); "
                         "saving it again without the names read from the events", new_watermark, sorted(changes))
    nameless = {key: replace(change, customer_name=None, first_name=None) for key, change in changes.items()}
    try:
        return _save_batch(store, state, new_watermark, gaps, nameless)
    except Exception as error:  # noqa: BLE001
        if not _bad_data(error):
            raise
        logger.exception("could not save the conversation index up to event %s even without names: "
                         "skipping these events for conversations %s", new_watermark, sorted(changes))
    return _save_batch(store, state, new_watermark, gaps, {})


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




# ---------------------------------------------------------------------------- off the event loop


async def refresh(store: OrderStore, tracker_url: str) -> Optional[str]:
    """Catch the index up (briefly) for a page; a message for the page when it could not."""
    try:
        result = await asyncio.to_thread(refresh_index, store, tracker_url, PAGE_BUDGET_S)
    except DBAPIError as error:
        logger.exception("could not bring the conversation index up to date")
        return f"Could not bring the list of conversations up to date ({type(error.orig).__name__}, see the " \
               "server log); it may miss the latest conversations."
    if not result.caught_up:
        return "The conversation index is still catching up with older conversations; reload in a moment to see all."
    return None


async def keep_current(store: OrderStore, tracker_url: str) -> None:
    """Keep the index caught up in the background, so a page rarely has anything left to read."""
    while True:
        caught_up = True
        try:
            caught_up = (await asyncio.to_thread(refresh_index, store, tracker_url, PAGE_BUDGET_S)).caught_up
        except DBAPIError:
            logger.exception("could not bring the conversation index up to date")
        except Exception:  # noqa: BLE001 - the indexer must outlive one bad round; pages refresh too
            logger.exception("the background conversation indexer failed; trying again in %s s", EVERY_S)
        # Right away while catching up after a pause; then a light check now and then.
        await asyncio.sleep(EVERY_S if caught_up else 0)
