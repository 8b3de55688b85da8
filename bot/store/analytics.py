"""How the shop is doing: what the order form refused, where unfinished orders stopped, and
the figures of the staff dashboard.

Plain Python over SQLAlchemy (no Rasa import). Two tables in the order database, written
by the action server as the conversation goes:

- `answer_rejections`: every answer the order form refused (the option asked, the
  customer's words, a reason code and the bot's explanation);
- `order_drafts`: one row per order in progress (draft id), with the question asked last
  and how many options were answered; "placed" is not written here but read at query
  time from `orders.draft_id` (the order is stored by another action).

Recording never breaks a conversation and never waits for the database: every `record_*`
function puts its record on a queue and returns; one writer thread per process commits what
is queued in one transaction at most FLUSH_INTERVAL_S after the first of it was recorded
(each record keeps the moment it was made). `flush()` returns when everything recorded
before it is committed: the dashboard calls it before reading, the action server when it
stops (SIGTERM, Ctrl-C), and an interpreter exiting normally (atexit). A kill -9 loses what
was recorded in the last FLUSH_INTERVAL_S and not yet committed, nothing older. A record the
database refuses is logged with its traceback and left out (the others of its transaction
are written one by one). The `dashboard(...)` function reads everything the dashboard shows
with a handful of aggregate queries.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

from sqlalchemy import (
    Column,
    Index,
    Integer,
    String,
    Text,
    and_,
    case,
    column,
    func,
    insert,
    select,
    table,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session

from bot.core.life import OrderKind, OrderStatus
from bot.core.refusals import Refusal, reason_words
from bot.store.db import Base, Money, UTCDateTime, utcnow
from bot.store.models import Order
from bot.store.orders import OrderStore

logger = logging.getLogger(__name__)

ANSWER_MAX_CHARS = 200
DETAIL_MAX_CHARS = 1000
SUMMARY_QUESTION = "_summary"  # the last question was the priced summary ("shall I place it?")
# After the summary the contact form asks these (recorded under the slot's name).
CONTACT_QUESTIONS = {"customer_name": "name on the order", "customer_email": "email",
                     "customer_address": "delivery address"}
GIVE_UP_AFTER = timedelta(minutes=30)  # an unfinished order idle this long counts as given up
PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30

OUTCOME_OPEN = "open"
OUTCOME_PLACED = "placed"
OUTCOME_CANCELLED = "cancelled"  # the customer cancelled or started over

StoreSource = Union[OrderStore, Callable[[], OrderStore]]


# ---------------------------------------------------------------------------- models


class AnswerRejection(Base):
    """An answer the order form refused."""

    __tablename__ = "answer_rejections"
    __table_args__ = (
        Index("ix_answer_rejections_at", "at"),
        Index("ix_answer_rejections_option_reason", "product_id", "option_id", "reason", "at"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), index=True, nullable=False)  # Rasa sender id
    draft_id: Mapped[Optional[str]] = Column(String(64), nullable=True)
    product_id: Mapped[str] = Column(String(100), nullable=False)
    option_id: Mapped[str] = Column(String(100), nullable=False)
    answer: Mapped[str] = Column(String(ANSWER_MAX_CHARS), nullable=False)  # the customer's words, cut
    reason: Mapped[str] = Column(String(40), nullable=False)  # a RefusalReason (bot/core/refusals.py)
    detail: Mapped[str] = Column(Text, nullable=False)  # what the bot said
    rule_id: Mapped[Optional[str]] = Column(String(100), nullable=True)
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class OrderDraft(Base):
    """An order being specified in a conversation, as far as it got."""

    __tablename__ = "order_drafts"
    __table_args__ = (Index("ix_order_drafts_started_at", "started_at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    draft_id: Mapped[str] = Column(String(64), unique=True, nullable=False)
    conversation_id: Mapped[str] = Column(String(255), index=True, nullable=False)
    product_id: Mapped[str] = Column(String(100), nullable=False)
    last_question: Mapped[Optional[str]] = Column(String(100), nullable=True)  # an option id or SUMMARY_QUESTION
    answered: Mapped[int] = Column(Integer, nullable=False, default=0)
    started_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    outcome: Mapped[str] = Column(String(20), nullable=False, default=OUTCOME_OPEN)


# ---------------------------------------------------------------------------- recording


def _store(source: StoreSource) -> OrderStore:
    return source if isinstance(source, OrderStore) else source()


def record_rejections(source: StoreSource, conversation_id: str, draft_id: Optional[str], product_id: str,
                      answer: str, rejections: Iterable[Refusal], at: Optional[datetime] = None) -> None:
    """Keep the refused answers of one message. Logs and returns on any error."""
    try:
        rows = [
            {"conversation_id": conversation_id[:255], "draft_id": draft_id or None, "product_id": product_id,
             "option_id": rejection.option_id, "answer": (answer or "")[:ANSWER_MAX_CHARS],
             "reason": rejection.reason.value,
             "detail": (rejection.detail or rejection.reason.words)[:DETAIL_MAX_CHARS],
             "rule_id": rejection.rule_id or None, "at": at or utcnow()}
            for rejection in rejections
        ]
        if rows:
            _writer.put(_Record(_store(source), _write_rejections, rows,
                                f"a refused answer in conversation {conversation_id}"))
    except Exception:  # analytics never break a conversation; the log has the details
        logger.exception("could not record a refused answer in conversation %s", conversation_id)


def record_question(source: StoreSource, conversation_id: str, draft_id: Optional[str], product_id: str,
                    question: str, answered: int, at: Optional[datetime] = None) -> None:
    """The order form asked `question` (an option id or SUMMARY_QUESTION) of draft `draft_id`."""
    if not draft_id:
        logger.debug("no draft id in conversation %s: question %s not recorded", conversation_id, question)
        return
    try:
        values = {"draft_id": draft_id, "conversation_id": conversation_id[:255], "product_id": product_id,
                  "last_question": question, "answered": answered, "at": at or utcnow()}
        _writer.put(_Record(_store(source), _write_question, values,
                            f"question {question} of draft {draft_id} in conversation {conversation_id}"))
    except Exception:  # analytics never break a conversation; the log has the details
        logger.exception("could not record question %s of draft %s in conversation %s", question, draft_id, conversation_id)


def record_outcome(source: StoreSource, draft_id: Optional[str], outcome: str, at: Optional[datetime] = None) -> None:
    """The draft ended without an order (OUTCOME_CANCELLED: cancelled or started over)."""
    if not draft_id:
        return
    try:
        values = {"draft_id": draft_id, "outcome": outcome, "at": at or utcnow()}
        _writer.put(_Record(_store(source), _write_outcome, values, f"outcome {outcome} of draft {draft_id}"))
    except Exception:  # analytics never break a conversation; the log has the details
        logger.exception("could not record outcome %s of draft %s", outcome, draft_id)


def flush(timeout: Optional[float] = None) -> bool:
    """Wait until everything recorded before this call is committed (or logged as refused);
    False if that took longer than `timeout` seconds."""
    return _writer.flush(timeout)


# ---------------------------------------------------------------------------- writing


def _write_rejections(session: Session, rows: List[Dict[str, Any]]) -> None:
    session.execute(insert(AnswerRejection.__table__), rows)


def _write_question(session: Session, values: Dict[str, Any]) -> None:
    """One upsert: the draft's row is made at its first question and updated at the next
    (an insert racing another worker's updates it)."""
    at = values["at"]
    row = {key: values[key] for key in ("draft_id", "conversation_id", "product_id", "last_question", "answered")}
    changed = {"product_id": values["product_id"], "last_question": values["last_question"],
               "answered": values["answered"], "updated_at": at}
    dialect = session.get_bind().dialect.name
    upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OrderDraft.__table__)
    session.execute(upsert.values(**row, started_at=at, updated_at=at, outcome=OUTCOME_OPEN)
                    .on_conflict_do_update(index_elements=["draft_id"], set_=changed))


def _write_outcome(session: Session, values: Dict[str, Any]) -> None:
    session.execute(update(OrderDraft.__table__).where(OrderDraft.__table__.c.draft_id == values["draft_id"])
                    .values(outcome=values["outcome"], updated_at=values["at"]))


FLUSH_INTERVAL_S = 0.01  # the longest a record waits before its commit begins: what a kill -9 can lose
MAX_BATCH = 1000  # records per transaction at most
BUSY_RETRIES = (0.2, 1.0)  # seconds before trying a transaction again when SQLite is busy


@dataclass
class _Record:
    store: OrderStore
    write: Callable[[Session, Any], None]
    values: Any
    what: str  # for the log: "question cpu of draft ... in conversation ..."


_STOP = object()


def _in_memory(store: OrderStore) -> bool:
    url = make_url(store.url)
    return url.get_backend_name() == "sqlite" and (url.database or ":memory:") == ":memory:"


class _Writer:
    """The queue of records and the thread that commits them (started on first use, in the
    process that records: a forked child starts its own)."""

    def __init__(self) -> None:
        self._queue: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self._exit_hook = False

    def put(self, record: _Record) -> None:
        if _in_memory(record.store):  # a connection per thread would be another database
            _commit([record])
            return
        self._start()
        self._queue.put(record)

    def flush(self, timeout: Optional[float] = None) -> bool:
        thread = self._thread
        if thread is None or not thread.is_alive():
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Commit what is queued and end the thread (atexit)."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(timeout)

    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="bespoke-analytics", daemon=True)
                self._thread.start()
                if not self._exit_hook:
                    atexit.register(self.stop)
                    self._exit_hook = True

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            records: List[_Record] = []
            waiting: List[threading.Event] = []
            stop = False
            deadline = time.monotonic() + FLUSH_INTERVAL_S
            while True:
                if isinstance(item, threading.Event):
                    waiting.append(item)  # a flush: commit now
                    break
                if item is _STOP:
                    stop = True
                    break
                records.append(item)
                if len(records) >= MAX_BATCH:
                    break
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            if records:
                _commit(records)
            for done in waiting:
                done.set()
            if stop:
                return


def _commit(records: List[_Record]) -> None:
    """The records in one transaction per store; when that fails, one by one, and each one
    the database refuses is logged. Never raises."""
    stores: Dict[int, List[_Record]] = {}
    for record in records:
        stores.setdefault(id(record.store), []).append(record)
    for batch in stores.values():
        if _transaction(batch):
            continue
        for record in batch:
            try:
                with record.store.sessions.begin() as session:
                    record.write(session, record.values)
            except Exception:  # analytics never break a conversation; the log has the details
                logger.exception("could not record %s", record.what)


def _transaction(batch: List[_Record]) -> bool:
    for pause in (*BUSY_RETRIES, None):
        try:
            with batch[0].store.sessions.begin() as session:
                for record in batch:
                    record.write(session, record.values)
            return True
        except Exception as error:  # logged below, and each record is tried alone after
            if not isinstance(error, OperationalError) or pause is None:
                logger.warning("could not commit %d analytics records together; writing them one by one",
                               len(batch), exc_info=True)
                return False
            time.sleep(pause)  # SQLite busy beyond its timeout; in the writer thread, never in a conversation
    return False


_writer = _Writer()


# ---------------------------------------------------------------------------- reading

# The conversations index (bot/staff/conversations.py, migration 0005) is read as a plain
# table so that this module works before, and without, that feature.
summaries = table(
    "conversation_summaries",
    column("conversation_id", String()),
    column("started_at", UTCDateTime()),
    column("user_turns", Integer()),
)

OptionNamer = Callable[[str, str], str]  # (product_id, option_id) -> "Custom PC: Memory"


@dataclass
class Dashboard:
    days: int
    since: datetime
    until: datetime
    day_list: List[date]
    orders_per_day: Dict[date, int]
    revenue_per_day: Dict[str, Dict[date, Decimal]]  # currency -> day -> revenue
    orders_total: int
    quote_requests: int
    cancelled: int
    revenue_total: Dict[str, Decimal]
    conversations: int
    converted: int
    messages_per_order: Optional[Decimal]
    drafts_started: int
    drafts_placed: int
    gave_up: int
    give_ups: List[Dict[str, Any]] = field(default_factory=list)
    rejections_total: int = 0
    rejections: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def conversion_percent(self) -> Optional[Decimal]:
        if not self.conversations:
            return None
        return (Decimal(self.converted) * 100 / Decimal(self.conversations)).quantize(Decimal("0.1"))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def dashboard(store: OrderStore, days: int = DEFAULT_PERIOD, now: Optional[datetime] = None,
              option_name: Optional[OptionNamer] = None) -> Dashboard:
    """Every figure of the dashboard for the last `days` days (UTC days, today included)."""
    flush()  # what this process recorded is counted (the action server's records are its own)
    now = now or utcnow()
    first_day = now.date() - timedelta(days=days - 1)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=timezone.utc)
    option_name = option_name or (lambda product_id, option_id: option_id)
    with store.sessions.begin() as session:
        dialect = session.get_bind().dialect.name
        created = func.timezone("UTC", Order.created_at) if dialect == "postgresql" else Order.created_at
        day = func.date(created).label("day")
        sold = and_(Order.kind == OrderKind.ORDER.value, Order.status != OrderStatus.CANCELLED.value)
        rows = session.execute(
            select(
                day, Order.currency, func.count(Order.id),
                type_coerce(func.sum(case((sold, Order.total), else_=None)), Money()),
                func.sum(case((Order.kind == OrderKind.QUOTE_REQUEST.value, 1), else_=0)),
                func.sum(case((Order.status == OrderStatus.CANCELLED.value, 1), else_=0)),
            ).where(Order.created_at >= since).group_by(day, Order.currency)
        ).all()
        orders_per_day: Dict[date, int] = {}
        revenue: Dict[str, Dict[date, Decimal]] = {}
        quotes = cancelled = 0
        for row_day, currency, count, amount, quote_count, cancelled_count in rows:
            when = _day(row_day)
            orders_per_day[when] = orders_per_day.get(when, 0) + count
            per_currency = revenue.setdefault(currency, {})
            per_currency[when] = per_currency.get(when, Decimal("0.00")) + (amount or Decimal("0.00"))
            quotes += int(quote_count or 0)
            cancelled += int(cancelled_count or 0)

        # Conversations started in the period; those with an order (placed at any time),
        # their customer messages and their orders, in one pass over the orders' conversations.
        total = session.scalar(select(func.count()).select_from(summaries).where(summaries.c.started_at >= since))
        per_conversation = select(Order.conversation_id, func.count(Order.id).label("orders")) \
            .group_by(Order.conversation_id).subquery()
        converted, turns, orders_of_converted = session.execute(
            select(func.count(), func.sum(summaries.c.user_turns), func.sum(per_conversation.c.orders))
            .select_from(summaries.join(per_conversation,
                                        per_conversation.c.conversation_id == summaries.c.conversation_id))
            .where(summaries.c.started_at >= since)
        ).one()
        per_order = (Decimal(turns or 0) / Decimal(orders_of_converted)).quantize(Decimal("0.1")) \
            if orders_of_converted else None

        # Orders in progress started in the period, by the question they are at: how many,
        # how many were placed (an order with their draft id), how many were given up.
        placed = Order.id.is_not(None)
        idle = and_(~placed, OrderDraft.outcome == OUTCOME_OPEN, OrderDraft.updated_at < now - GIVE_UP_AFTER)
        draft_rows = session.execute(
            select(
                OrderDraft.product_id, OrderDraft.last_question, func.count(),
                func.sum(case((placed, 1), else_=0)), func.sum(case((idle, 1), else_=0)),
                func.sum(case((idle, OrderDraft.answered), else_=0)),
            )
            .select_from(OrderDraft).outerjoin(Order, Order.draft_id == OrderDraft.draft_id)
            .where(OrderDraft.started_at >= since)
            .group_by(OrderDraft.product_id, OrderDraft.last_question)
        ).all()
        drafts_started = sum(row[2] for row in draft_rows)
        drafts_placed = sum(int(row[3] or 0) for row in draft_rows)
        gave_up = sum(int(row[4] or 0) for row in draft_rows)
        give_ups = [
            {"product_id": product_id, "question": question or "", "count": int(count),
             "label": option_name(product_id, question or ""),
             "percent": (Decimal(int(count)) * 100 / Decimal(gave_up)).quantize(Decimal("0.1")),
             "answered": (Decimal(int(answered or 0)) / Decimal(int(count))).quantize(Decimal("0.1"))}
            for product_id, question, _, _, count, answered in draft_rows if count
        ]
        give_ups.sort(key=lambda row: (-row["count"], row["product_id"], row["question"]))

        in_period = AnswerRejection.at >= since
        rejections_total = session.scalar(select(func.count(AnswerRejection.id)).where(in_period)) or 0
        top = session.execute(
            select(AnswerRejection.product_id, AnswerRejection.option_id, AnswerRejection.reason, func.count())
            .where(in_period)
            .group_by(AnswerRejection.product_id, AnswerRejection.option_id, AnswerRejection.reason)
            .order_by(func.count().desc(), AnswerRejection.product_id, AnswerRejection.option_id, AnswerRejection.reason)
            .limit(8)
        ).all()
        rejections = []
        for product_id, option_id, reason, count in top:
            recent = session.execute(
                select(AnswerRejection.answer, AnswerRejection.detail).where(
                    in_period, AnswerRejection.product_id == product_id, AnswerRejection.option_id == option_id,
                    AnswerRejection.reason == reason,
                ).order_by(AnswerRejection.at.desc(), AnswerRejection.id.desc()).limit(30)
            ).all()
            examples = list(dict.fromkeys(answer for answer, _ in recent if answer.strip()))[:3]
            rejections.append({
                "product_id": product_id, "option_id": option_id, "label": option_name(product_id, option_id),
                "reason": reason, "reason_text": reason_words(reason), "count": count,
                "detail": recent[0][1] if recent else "", "examples": examples,
            })

    return Dashboard(
        days=days, since=since, until=now,
        day_list=[first_day + timedelta(days=offset) for offset in range(days)],
        orders_per_day=orders_per_day, revenue_per_day=revenue,
        orders_total=sum(orders_per_day.values()), quote_requests=quotes, cancelled=cancelled,
        revenue_total={currency: sum(per_day.values(), Decimal("0.00")) for currency, per_day in revenue.items()},
        conversations=int(total or 0), converted=int(converted or 0),
        messages_per_order=per_order, drafts_started=int(drafts_started or 0), drafts_placed=int(drafts_placed or 0),
        gave_up=gave_up, give_ups=give_ups, rejections_total=rejections_total, rejections=rejections,
    )
