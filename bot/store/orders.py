"""The order store: placed orders and their status history, and the conversations flagged
for staff, in SQLite or PostgreSQL.

Plain Python over SQLAlchemy 1.4 written in 2.0 style; no Rasa import. The schema belongs
to the Alembic migrations in alembic/versions/: call `OrderStore.migrate()` (or run
`alembic upgrade head`) before use. Nothing happens at import: the engine is created on
first use.

Every read returns plain JSON-ready dicts (see `order_as_dict`), never ORM objects.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    case,
    create_engine,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, declarative_base, relationship, sessionmaker
from sqlalchemy.types import TypeDecorator

from bot.core.life import (
    CUSTOMER_CANCELLABLE,
    NUMBER_ALPHABET,
    NUMBER_LENGTH,
    NUMBER_PREFIX,
    NUMBER_PREFIX_PATTERN,
    OrderKind,
    OrderStatus,
    known_status,
    new_order_number,
    next_statuses,
    normalize_order_number,
    status_label,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = REPO_ROOT / "alembic.ini"
ALEMBIC_DIR = REPO_ROOT / "alembic"

STATUS_REASON_MAX_LENGTH = 1000
NOTE_MAX_LENGTH = 4000
STAFF_NAME_MAX_LENGTH = 100

NUMBER_ATTEMPTS = 8  # 31**6 is ~887 million numbers: a collision is rare, several in a row never

CENT = Decimal("0.01")

# Open flags are unique per (conversation, reason) through a btree index, so a reason is
# kept well under PostgreSQL's limit on the size of an index entry (about 2700 bytes).
FLAG_REASON_MAX_LENGTH = 1000

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))
metadata = Base.metadata


# ---------------------------------------------------------------------------- errors


class OrderStoreError(Exception):
    """Something the caller asked of the store cannot be done."""


class OrderNotFoundError(OrderStoreError, LookupError):
    def __init__(self, number: str) -> None:
        super().__init__(f"there is no order {number}")
        self.number = number


class OrderNotYoursError(OrderStoreError):
    """The order exists but was placed in another conversation."""

    def __init__(self, number: str) -> None:
        super().__init__(f"order {number} was not placed in this conversation")
        self.number = number


class OrderNotCancellableError(OrderStoreError):
    """Only an order still in status "received" can be cancelled by the customer."""

    def __init__(self, number: str, status: str) -> None:
        super().__init__(f"order {number} is {status} and can no longer be cancelled")
        self.number = number
        self.status = status


class StatusChangeError(OrderStoreError, ValueError):
    """A status change staff asked for cannot be made (the message says why)."""


class IllegalStatusChangeError(StatusChangeError):
    """The order's current status does not lead to the one asked for."""

    def __init__(self, number: str, current: str, requested: str) -> None:
        allowed = next_statuses(current)
        if requested == current:
            why = f"order {number} is already {status_label(current)}"
        elif known_status(requested) is None:
            why = f"{requested!r} is not an order status (known: {', '.join(OrderStatus)})"
        else:
            why = f"order {number} cannot go from {status_label(current)} to {status_label(requested)}"
        then = ("; it can now only become " + " or ".join(status_label(s) for s in allowed)) if allowed else \
            f"; {status_label(current)} is final"
        super().__init__(why + then)
        self.number = number
        self.current = current
        self.requested = requested


class FlagNotFoundError(OrderStoreError, LookupError):
    """There is no conversation flag with this id."""

    def __init__(self, flag_id: int) -> None:
        super().__init__(f"there is no conversation flag {flag_id}")
        self.flag_id = flag_id


# ---------------------------------------------------------------------------- models


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores `timestamp with time zone`; SQLite has no time zones, so UTC is
    stored without an offset and the offset is put back when reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a timezone-aware datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Money(TypeDecorator):
    """NUMERIC(12, 2) read and written as Decimal on every backend.

    PostgreSQL keeps exact decimals. SQLite has no decimal type: its NUMERIC columns hold
    a double, which is exact for the 12 significant digits allowed here, so the value is
    read back through the shortest repr of the double and quantized to cents (instead of
    SQLAlchemy's generic float conversion, which warns on every SQLite engine).
    """

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(12, 2, asdecimal=False))
        return dialect.type_descriptor(Numeric(12, 2))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be a Decimal, not a float")
        amount = Decimal(value).quantize(CENT)
        return format(amount, "f") if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Any) -> Optional[Decimal]:
        if value is None:
            return None
        return Decimal(repr(value) if isinstance(value, float) else value).quantize(CENT)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("kind IN ('order', 'quote_request')", name="kind"),
        CheckConstraint("kind <> 'order' OR total IS NOT NULL", name="order_has_total"),
        # The staff list filters by status or product within a date range and sorts by
        # creation (the default), total or customer name (see migration 0004).
        Index("ix_orders_created_at", "created_at"),
        Index("ix_orders_status_created_at", "status", "created_at"),
        Index("ix_orders_product_id_created_at", "product_id", "created_at"),
        Index("ix_orders_total", "total"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    number: Mapped[str] = Column(String(20), unique=True, nullable=False)
    draft_id: Mapped[str] = Column(String(64), unique=True, nullable=False)  # idempotency key
    conversation_id: Mapped[str] = Column(String(255), index=True, nullable=False)  # Rasa sender id
    kind: Mapped[str] = Column(String(20), nullable=False)
    product_id: Mapped[str] = Column(String(100), nullable=False)
    product_name: Mapped[str] = Column(String(255), nullable=False)
    options: Mapped[Dict[str, Any]] = Column(JSON, nullable=False)
    option_details: Mapped[List[Dict[str, Any]]] = Column(JSON, nullable=False)
    derived_parts: Mapped[List[Dict[str, Any]]] = Column(JSON, nullable=False)
    price_lines: Mapped[List[Dict[str, Any]]] = Column(JSON, nullable=False)
    total: Mapped[Optional[Decimal]] = Column(Money, nullable=True)  # None: a quote request
    currency: Mapped[str] = Column(String(3), nullable=False)
    lead_time_days: Mapped[int] = Column(Integer, nullable=False)
    customer_name: Mapped[str] = Column(String(255), nullable=False)
    customer_email: Mapped[str] = Column(String(320), nullable=False)
    customer_address: Mapped[str] = Column(Text, nullable=False)
    status: Mapped[str] = Column(String(30), nullable=False, default=OrderStatus.RECEIVED.value)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    status_history: Mapped[List["OrderStatusChange"]] = relationship(
        "OrderStatusChange",
        back_populates="order",
        cascade="all, delete-orphan",
        order_by=lambda: (OrderStatusChange.changed_at, OrderStatusChange.id),
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"<Order {self.number} {self.kind} {self.status}>"


# Sorting by customer name ignores case; the index serves that ORDER BY (migration 0004).
Index("ix_orders_customer_name_lower", func.lower(Order.customer_name))


class OrderStatusChange(Base):
    __tablename__ = "order_status_changes"

    id: Mapped[int] = Column(Integer, primary_key=True)
    order_id: Mapped[int] = Column(Integer, ForeignKey("orders.id", ondelete="CASCADE"), index=True, nullable=False)
    status: Mapped[str] = Column(String(30), nullable=False)
    changed_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    changed_by: Mapped[str] = Column(String(100), nullable=False)  # "customer", "system" or a staff name
    reason: Mapped[Optional[str]] = Column(Text, nullable=True)

    order: Mapped[Order] = relationship(Order, back_populates="status_history")


class OrderNote(Base):
    """A note staff keep on an order (never shown to the customer)."""

    __tablename__ = "order_notes"

    id: Mapped[int] = Column(Integer, primary_key=True)
    order_id: Mapped[int] = Column(Integer, ForeignKey("orders.id", ondelete="CASCADE"), index=True, nullable=False)
    author: Mapped[str] = Column(String(100), nullable=False)  # a staff name
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    text: Mapped[str] = Column(Text, nullable=False)


_OPEN_FLAG = text("resolved_at IS NULL")


class ConversationFlag(Base):
    """A conversation a person on the staff should look at (the customer asked for a
    person, or the bot got stuck). Open while resolved_at is None."""

    __tablename__ = "conversation_flags"
    __table_args__ = (
        # At most one open flag per conversation and reason: a customer who asks three
        # times is one flag, even when two workers raise it at once.
        Index(
            "ix_conversation_flags_open_reason",
            "conversation_id",
            "reason",
            unique=True,
            sqlite_where=_OPEN_FLAG,
            postgresql_where=_OPEN_FLAG,
        ),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), index=True, nullable=False)  # Rasa sender id
    reason: Mapped[str] = Column(Text, nullable=False)
    raised_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    resolved_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)
    resolved_by: Mapped[Optional[str]] = Column(String(100), nullable=True)  # a staff name

    def __repr__(self) -> str:
        state = "open" if self.resolved_at is None else "resolved"
        return f"<ConversationFlag {self.id} {self.conversation_id} {state}>"


# ---------------------------------------------------------------------------- input


def _money_text(value: Any, what: str) -> str:
    """A whole number of cents as a decimal string ("1234.00"); floats are refused."""
    if isinstance(value, (float, bool)) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"{what} must be a Decimal, int or decimal string, not {type(value).__name__}")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{what} is not a number: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"{what} is not a finite number: {value!r}")
    cents = amount.quantize(CENT)
    if cents != amount:
        raise ValueError(f"{what} is not a whole number of cents: {value!r}")
    return format(cents, "f")


def _jsonable(value: Any, where: str) -> Any:
    """A deep copy of value made of JSON types only; Decimals become decimal strings."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item, f"{where}[{index}]") for index, item in enumerate(value)]
    raise TypeError(f"{where} holds a {type(value).__name__}, which cannot be stored as JSON")


@dataclass(frozen=True)
class NewOrder:
    """What the bot knows when the customer confirms: the input of `OrderStore.place_order`."""

    draft_id: str  # idempotency key: one stored order per draft, however often it is placed
    conversation_id: str
    kind: str  # "order" or "quote_request"
    product_id: str
    product_name: str
    options: Mapping[str, Any]  # {option_id: canonical value}
    option_details: Sequence[Mapping[str, Any]]  # {"id", "name", "value", "label", "unit"}
    derived_parts: Sequence[Mapping[str, Any]]  # {"id", "name", "value", "label", "price"}
    price_lines: Sequence[Mapping[str, Any]]  # {"label", "amount"}
    total: Optional[Decimal]  # None for a quote request
    currency: str
    lead_time_days: int
    customer_name: str
    customer_email: str
    customer_address: str

    def __post_init__(self) -> None:
        if not self.draft_id or len(self.draft_id) > 64:
            raise ValueError("draft_id must be 1 to 64 characters")
        if not self.conversation_id:
            raise ValueError("conversation_id is required")
        kinds = tuple(kind.value for kind in OrderKind)
        if self.kind not in kinds:
            raise ValueError(f"kind must be one of {kinds}, not {self.kind!r}")
        if self.total is None and self.kind == OrderKind.ORDER:
            raise ValueError("an order needs a total; without one it is a quote_request")
        if self.total is not None and not isinstance(self.total, Decimal):
            raise TypeError(f"total must be a Decimal or None, not {type(self.total).__name__}")
        if len(self.currency or "") != 3:
            raise ValueError(f"currency must be a 3-letter code, not {self.currency!r}")


# ---------------------------------------------------------------------------- output


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def order_as_dict(order: Order) -> Dict[str, Any]:
    """The order as plain JSON-ready data (json.dumps works on it as it is)."""
    return {
        "number": order.number,
        "kind": order.kind,
        "product_id": order.product_id,
        "product_name": order.product_name,
        "options": copy.deepcopy(order.options),
        "option_details": copy.deepcopy(order.option_details),
        "derived_parts": copy.deepcopy(order.derived_parts),
        "price_lines": copy.deepcopy(order.price_lines),
        "total": None if order.total is None else format(Decimal(order.total).quantize(CENT), "f"),
        "currency": order.currency,
        "lead_time_days": order.lead_time_days,
        "customer_name": order.customer_name,
        "customer_email": order.customer_email,
        "customer_address": order.customer_address,
        "status": order.status,
        "conversation_id": order.conversation_id,
        "created_at": _iso(order.created_at),
        "updated_at": _iso(order.updated_at),
        "status_history": [
            {
                "status": change.status,
                "changed_at": _iso(change.changed_at),
                "changed_by": change.changed_by,
                "reason": change.reason,
            }
            for change in order.status_history
        ],
    }


def flag_as_dict(flag: ConversationFlag) -> Dict[str, Any]:
    """The flag as plain JSON-ready data; resolved_at and resolved_by are None while open."""
    return {
        "id": flag.id,
        "conversation_id": flag.conversation_id,
        "reason": flag.reason,
        "raised_at": _iso(flag.raised_at),
        "resolved_at": None if flag.resolved_at is None else _iso(flag.resolved_at),
        "resolved_by": flag.resolved_by,
    }


def note_as_dict(note: OrderNote) -> Dict[str, Any]:
    return {"id": note.id, "author": note.author, "created_at": _iso(note.created_at), "text": note.text}


# ---------------------------------------------------------------------------- searching

SORT_KEYS = ("created_at", "total", "status", "customer_name", "number")
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
SEARCH_MAX_LENGTH = 200
_NUMBER_WITH_PREFIX = re.compile(rf"^\s*{NUMBER_PREFIX_PATTERN}\s*([a-z0-9]*)\s*$", re.IGNORECASE)
_NUMBER_PART = re.compile(rf"^[{NUMBER_ALPHABET}]{{1,{NUMBER_LENGTH}}}$")
_PRODUCT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class InvalidOrderQueryError(OrderStoreError, ValueError):
    """A filter, sort or page value that makes no sense (the message says which and why)."""


@dataclass(frozen=True)
class OrderQuery:
    """Which orders to list and how: the filters, the sort and the page.

    created_from / created_to are whole days in UTC, both included. text matches an order
    number (with the BSP- prefix any part of it, without the prefix a whole number or a
    part holding a digit), or a part of the customer's name or email, ignoring case.
    """

    status: Optional[str] = None
    product_id: Optional[str] = None
    created_from: Optional[date] = None
    created_to: Optional[date] = None
    text: str = ""
    sort: str = "created_at"
    descending: bool = True
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise InvalidOrderQueryError("; ".join(problems))

    def _problems(self) -> List[str]:
        problems = []
        if self.status is not None and known_status(self.status) is None:
            problems.append(f"unknown status {self.status!r} (known: {', '.join(OrderStatus)})")
        if self.product_id is not None and not _PRODUCT_ID.match(self.product_id):
            problems.append(f"{self.product_id!r} is not a product id")
        if self.created_from and self.created_to and self.created_from > self.created_to:
            problems.append(f"the date range starts ({self.created_from}) after it ends ({self.created_to})")
        if len(self.text) > SEARCH_MAX_LENGTH:
            problems.append(f"the search text is longer than {SEARCH_MAX_LENGTH} characters")
        if self.sort not in SORT_KEYS:
            problems.append(f"cannot sort by {self.sort!r} (only by {', '.join(SORT_KEYS)})")
        if self.page < 1:
            problems.append("the page number starts at 1")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            problems.append(f"a page holds 1 to {MAX_PER_PAGE} orders")
        return problems

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> Tuple["OrderQuery", List[str]]:
        """The query of a list page's address (status, product, from, to, q, sort, dir, page,
        per_page) and a message for each value that was left out because it made no sense."""
        values: Dict[str, Any] = {}
        problems: List[str] = []

        def given(name: str) -> str:
            return str(params.get(name) or "").strip()

        if given("status"):
            if known_status(given("status")) is not None:
                values["status"] = given("status")
            else:
                problems.append(f"Unknown status \"{given('status')}\": showing every status.")
        if given("product"):
            if _PRODUCT_ID.match(given("product")):
                values["product_id"] = given("product")
            else:
                problems.append(f"\"{given('product')[:100]}\" is not a product: showing every product.")
        for name, key in (("from", "created_from"), ("to", "created_to")):
            if given(name):
                try:
                    values[key] = date.fromisoformat(given(name))
                except ValueError:
                    problems.append(f"\"{given(name)[:40]}\" is not a date (write it as 2024-12-31): "
                                    f"the \"{name}\" date is left out.")
        if values.get("created_from") and values.get("created_to") and values["created_from"] > values["created_to"]:
            problems.append("The date range starts after it ends: the dates are left out.")
            del values["created_from"], values["created_to"]
        if given("q"):
            if len(given("q")) <= SEARCH_MAX_LENGTH:
                values["text"] = given("q")
            else:
                problems.append(f"The search text is longer than {SEARCH_MAX_LENGTH} characters: it is left out.")
        if given("sort"):
            if given("sort") in SORT_KEYS:
                values["sort"] = given("sort")
            else:
                problems.append(f"Cannot sort by \"{given('sort')[:40]}\": sorted by date instead.")
        if given("dir"):
            if given("dir") in ("asc", "desc"):
                values["descending"] = given("dir") == "desc"
            else:
                problems.append("The sort direction is \"asc\" or \"desc\": newest first instead.")
        for name, low, high in (("page", 1, 10**9), ("per_page", 1, MAX_PER_PAGE)):
            if given(name):
                try:
                    number = int(given(name))
                except ValueError:
                    number = 0
                if low <= number <= high:
                    values[name] = number
                else:
                    problems.append(f"\"{given(name)[:20]}\" is not a valid {name.replace('_', ' ')} "
                                    f"(a whole number from {low} to {high}).")
        return cls(**values), problems

    def params(self, **changes: Any) -> Dict[str, str]:
        """This query (with changes) as address parameters, leaving out the defaults."""
        query = self.replace(**changes) if changes else self
        pairs = {
            "status": query.status or "",
            "product": query.product_id or "",
            "from": query.created_from.isoformat() if query.created_from else "",
            "to": query.created_to.isoformat() if query.created_to else "",
            "q": query.text,
            "sort": "" if query.sort == "created_at" else query.sort,
            "dir": "" if query.descending else "asc",
            "page": "" if query.page == 1 else str(query.page),
            "per_page": "" if query.per_page == DEFAULT_PER_PAGE else str(query.per_page),
        }
        return {key: value for key, value in pairs.items() if value}

    def replace(self, **changes: Any) -> "OrderQuery":
        return OrderQuery(**{**self.__dict__, **changes})

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def _like_pattern(term: str) -> str:
    """A LIKE pattern (escape character "/") matching term anywhere."""
    escaped = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def contains_text(column: Any, term: str, dialect: str) -> Any:
    """The column holds `term` anywhere, ignoring case (beyond ASCII: "ünal" finds "Ünal");
    % and _ in the term are literal. `dialect` is the session's dialect name."""
    pattern = _like_pattern(term.strip().lower())
    if dialect == "postgresql":
        return column.ilike(pattern, escape="/")
    if dialect == "sqlite":
        # SQLite's lower() and LIKE fold ASCII only: fold with Python's str.lower.
        return func.bespoke_lower(column).like(pattern, escape="/")
    return func.lower(column).like(pattern, escape="/")


def within_days(column: Any, first: Optional[date], last: Optional[date]) -> List[Any]:
    """Conditions for a timestamp column on the UTC days first..last (both included; either
    may be None)."""
    conditions: List[Any] = []
    if first:
        conditions.append(column >= datetime.combine(first, time(0), tzinfo=timezone.utc))
    if last:
        conditions.append(column < datetime.combine(last + timedelta(days=1), time(0), tzinfo=timezone.utc))
    return conditions


def _text_condition(term: str, dialect: str) -> Any:
    term = term.strip()
    conditions = []
    prefixed = _NUMBER_WITH_PREFIX.match(term)
    if prefixed:
        conditions.append(Order.number.like(_like_pattern(NUMBER_PREFIX + prefixed.group(1).upper()), escape="/"))
    else:
        bare = term.upper().replace(" ", "")
        if _NUMBER_PART.match(bare):
            if len(bare) == NUMBER_LENGTH:
                conditions.append(Order.number == NUMBER_PREFIX + bare)
            elif any(character.isdigit() for character in bare):
                conditions.append(Order.number.like(_like_pattern(bare), escape="/"))
    conditions.extend(contains_text(column, term, dialect) for column in (Order.customer_name, Order.customer_email))
    return or_(*conditions)


def _conditions(query: OrderQuery, dialect: str) -> List[Any]:
    conditions: List[Any] = []
    if query.status:
        conditions.append(Order.status == query.status)
    if query.product_id:
        conditions.append(Order.product_id == query.product_id)
    conditions.extend(within_days(Order.created_at, query.created_from, query.created_to))
    if query.text.strip():
        conditions.append(_text_condition(query.text, dialect))
    return conditions


def _ordering(query: OrderQuery) -> List[Any]:
    def direction(column: Any) -> Any:
        return column.desc() if query.descending else column.asc()

    if query.sort == "total":
        keys = [Order.total.is_(None).asc(), direction(Order.total)]  # quote requests (no total) last
    elif query.sort == "status":
        rank = case({status.value: index for index, status in enumerate(OrderStatus)}, value=Order.status,
                    else_=len(OrderStatus))
        keys = [direction(rank), direction(Order.created_at)]
    elif query.sort == "customer_name":
        keys = [direction(func.lower(Order.customer_name))]
    elif query.sort == "number":
        keys = [direction(Order.number)]
    else:
        keys = [direction(Order.created_at)]
    return keys + [direction(Order.id)]


# What a list row shows (and the CSV export adds option_details, address and lead time).
_SUMMARY_COLUMNS = (
    Order.number, Order.kind, Order.status, Order.product_id, Order.product_name, Order.total, Order.currency,
    Order.customer_name, Order.customer_email, Order.conversation_id, Order.created_at, Order.updated_at,
    Order.lead_time_days,
)
_EXPORT_COLUMNS = _SUMMARY_COLUMNS + (Order.option_details, Order.derived_parts, Order.customer_address)


def _row_as_dict(row: Any) -> Dict[str, Any]:
    values = dict(row._mapping)
    values["total"] = None if values["total"] is None else format(Decimal(values["total"]).quantize(CENT), "f")
    values["created_at"] = _iso(values["created_at"])
    values["updated_at"] = _iso(values["updated_at"])
    return values


# ---------------------------------------------------------------------------- store


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # Case-insensitive search beyond ASCII (SQLite's own lower() folds A-Z only).
    dbapi_connection.create_function("bespoke_lower", 1, _lower, deterministic=True)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class OrderStore:
    """Placed orders and conversation flags in the database at `url`. The engine is
    created on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Optional[Engine] = None
        self._sessions: Optional[sessionmaker] = None

    def __repr__(self) -> str:
        return f"OrderStore({make_url(self.url)!r})"  # repr of a URL hides the password

    # -- plumbing

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            url = make_url(self.url)
            if url.get_backend_name() == "sqlite":
                database = url.database or ""
                if database and database != ":memory:" and not database.startswith("file:"):
                    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(url, future=True)
                event.listen(engine, "connect", _enable_sqlite_foreign_keys)
            else:
                engine = create_engine(url, future=True, pool_pre_ping=True)
            self._engine = engine
            self._sessions = sessionmaker(engine, future=True, expire_on_commit=False)
        return self._engine

    @property
    def sessions(self) -> sessionmaker:
        """The session factory on this store's engine, for modules that keep their own
        tables in the same database (the staff console): `with store.sessions.begin() as s:`."""
        return self._session_factory

    @property
    def _session_factory(self) -> sessionmaker:
        if self._sessions is None:
            self.engine  # noqa: B018 - creates the engine and the session factory
        assert self._sessions is not None
        return self._sessions

    def dispose(self) -> None:
        """Close all pooled connections; the store can still be used afterwards."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._sessions = None

    def migrate(self) -> None:
        """Bring the schema up to date (Alembic `upgrade head`) on this store's database."""
        from alembic import command
        from alembic.config import Config

        config = Config(str(ALEMBIC_INI)) if ALEMBIC_INI.exists() else Config()
        config.set_main_option("script_location", str(ALEMBIC_DIR))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))  # configparser interpolation
        config.attributes["configure_logging"] = False  # leave the application's logging alone
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")  # features may add migrations side by side

    # -- writes

    def place_order(self, new: NewOrder) -> Dict[str, Any]:
        """Store the order once per draft_id and return it; placing the same draft again
        (a retried message, two workers at once) returns the order already stored."""
        values = dict(
            draft_id=new.draft_id,
            conversation_id=new.conversation_id,
            kind=OrderKind(new.kind).value,
            product_id=new.product_id,
            product_name=new.product_name,
            options=_jsonable(dict(new.options), "options"),
            option_details=_jsonable(list(new.option_details), "option_details"),
            derived_parts=_jsonable(list(new.derived_parts), "derived_parts"),
            price_lines=[
                {
                    **_jsonable(dict(line), f"price_lines[{index}]"),
                    "label": str(line["label"]),
                    "amount": _money_text(line["amount"], f"price_lines[{index}].amount"),
                }
                for index, line in enumerate(new.price_lines)
            ],
            total=None if new.total is None else Decimal(_money_text(new.total, "total")),
            currency=new.currency.upper(),
            lead_time_days=int(new.lead_time_days),
            customer_name=new.customer_name,
            customer_email=new.customer_email,
            customer_address=new.customer_address,
        )
        existing = self._find_by_draft_id(new.draft_id)
        if existing is not None:
            return existing
        for _attempt in range(NUMBER_ATTEMPTS):
            number = new_order_number()
            try:
                with self._session_factory.begin() as session:
                    now = utcnow()
                    order = Order(number=number, status=OrderStatus.RECEIVED.value, created_at=now, updated_at=now, **values)
                    order.status_history.append(
                        OrderStatusChange(status=OrderStatus.RECEIVED.value, changed_at=now, changed_by="customer")
                    )
                    session.add(order)
                    session.flush()
                    placed = order_as_dict(order)
                return placed
            except IntegrityError:
                # Either this draft was stored meanwhile (a race) or the number is taken.
                existing = self._find_by_draft_id(new.draft_id)
                if existing is not None:
                    return existing
                if self.get(number) is None:
                    raise  # some other constraint: a real error, not a collision
        raise OrderStoreError(f"no free order number after {NUMBER_ATTEMPTS} attempts")

    def cancel(self, number: str, conversation_id: str, reason: Optional[str] = None) -> Dict[str, Any]:
        """Cancel an order for the customer who placed it, while it is still "received".

        Raises OrderNotFoundError, OrderNotYoursError or OrderNotCancellableError.
        """
        number = normalize_order_number(number)
        with self._session_factory.begin() as session:
            order = session.scalars(select(Order).where(Order.number == number).with_for_update()).one_or_none()
            if order is None:
                raise OrderNotFoundError(number)
            if order.conversation_id != conversation_id:
                raise OrderNotYoursError(number)
            if order.status not in CUSTOMER_CANCELLABLE:
                raise OrderNotCancellableError(number, order.status)
            now = utcnow()
            order.status = OrderStatus.CANCELLED.value
            order.updated_at = now
            order.status_history.append(
                OrderStatusChange(status=OrderStatus.CANCELLED.value, changed_at=now, changed_by="customer", reason=reason)
            )
            session.flush()
            return order_as_dict(order)

    def change_status(self, number: str, new_status: str, by: str, reason: Optional[str] = None) -> Dict[str, Any]:
        """Move the order to new_status on behalf of `by` (a staff name) and return it.

        Only the steps in NEXT_STATUSES are allowed; cancelling needs a reason. The change
        is an UPDATE conditional on the status just read, in the same transaction as its
        history entry: when two people change the same order at once, the second finds the
        status changed and gets IllegalStatusChangeError, and nothing of theirs is stored.
        Raises OrderNotFoundError, IllegalStatusChangeError or StatusChangeError.
        """
        number = normalize_order_number(number)
        by = (by or "").strip()
        if not by or len(by) > STAFF_NAME_MAX_LENGTH:
            raise StatusChangeError(f"who changes the status must be 1 to {STAFF_NAME_MAX_LENGTH} characters")
        reason = (reason or "").strip() or None
        if reason is not None and len(reason) > STATUS_REASON_MAX_LENGTH:
            raise StatusChangeError(f"the reason is longer than {STATUS_REASON_MAX_LENGTH} characters")
        with self._session_factory.begin() as session:
            found = session.execute(select(Order.id, Order.status).where(Order.number == number)).one_or_none()
            if found is None:
                raise OrderNotFoundError(number)
            order_id, current = found
            if new_status not in next_statuses(current):
                raise IllegalStatusChangeError(number, current, new_status)
            if new_status == OrderStatus.CANCELLED and reason is None:
                raise StatusChangeError(f"say why order {number} is cancelled: a reason is required")
            new_status = OrderStatus(new_status).value  # stored as the plain string
            now = utcnow()
            changed = session.execute(
                update(Order)
                .where(Order.id == order_id, Order.status == current)
                .values(status=new_status, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:
                # Someone else changed it between our read and our update.
                latest = session.scalar(select(Order.status).where(Order.id == order_id))
                raise IllegalStatusChangeError(number, latest or current, new_status)
            session.add(OrderStatusChange(order_id=order_id, status=new_status, changed_at=now, changed_by=by,
                                          reason=reason))
            session.flush()
            order = session.get(Order, order_id, populate_existing=True)
            return order_as_dict(order)

    def add_note(self, number: str, author: str, note: str) -> Dict[str, Any]:
        """Keep a staff note on the order and return it. Raises OrderNotFoundError, or
        ValueError for an empty or too long note or author."""
        number = normalize_order_number(number)
        author = (author or "").strip()
        if not author or len(author) > STAFF_NAME_MAX_LENGTH:
            raise ValueError(f"the author must be 1 to {STAFF_NAME_MAX_LENGTH} characters")
        note = (note or "").strip()
        if not note:
            raise ValueError("the note is empty")
        if len(note) > NOTE_MAX_LENGTH:
            raise ValueError(f"the note is longer than {NOTE_MAX_LENGTH} characters ({len(note)})")
        with self._session_factory.begin() as session:
            order_id = session.scalar(select(Order.id).where(Order.number == number))
            if order_id is None:
                raise OrderNotFoundError(number)
            added = OrderNote(order_id=order_id, author=author, created_at=utcnow(), text=note)
            session.add(added)
            session.flush()
            return note_as_dict(added)

    def flag_conversation(self, conversation_id: str, reason: str) -> Dict[str, Any]:
        """Flag the conversation for staff and return the flag. While a flag with the same
        reason is still open in this conversation, that flag is returned instead of a
        second one (a retried message, a customer asking again, two workers at once)."""
        if not conversation_id or len(conversation_id) > 255:
            raise ValueError("conversation_id must be 1 to 255 characters")
        reason = (reason or "").strip()
        if not reason or len(reason) > FLAG_REASON_MAX_LENGTH:
            raise ValueError(f"reason must be 1 to {FLAG_REASON_MAX_LENGTH} characters")
        existing = self._find_open_flag(conversation_id, reason)
        if existing is not None:
            return existing
        try:
            with self._session_factory.begin() as session:
                flag = ConversationFlag(conversation_id=conversation_id, reason=reason, raised_at=utcnow())
                session.add(flag)
                session.flush()
                raised = flag_as_dict(flag)
            return raised
        except IntegrityError:
            # The same open flag was raised meanwhile (a race): that one is the answer.
            existing = self._find_open_flag(conversation_id, reason)
            if existing is None:
                raise  # some other constraint: a real error
            return existing

    def resolve_flag(self, flag_id: int, resolved_by: str) -> Dict[str, Any]:
        """Mark the flag resolved by a member of staff and return it. Resolving a flag
        that is already resolved changes nothing and returns it as it is (two people
        clicking at once). Raises FlagNotFoundError."""
        if not resolved_by or len(resolved_by) > 100:
            raise ValueError("resolved_by must be 1 to 100 characters")
        with self._session_factory.begin() as session:
            flag = session.scalars(
                select(ConversationFlag).where(ConversationFlag.id == flag_id).with_for_update()
            ).one_or_none()
            if flag is None:
                raise FlagNotFoundError(flag_id)
            if flag.resolved_at is None:
                flag.resolved_at = utcnow()
                flag.resolved_by = resolved_by
                session.flush()
            return flag_as_dict(flag)

    # -- reads

    def get(self, number: str) -> Optional[Dict[str, Any]]:
        with self._session_factory.begin() as session:
            order = session.scalars(select(Order).where(Order.number == normalize_order_number(number))).one_or_none()
            return None if order is None else order_as_dict(order)

    def orders_for_conversation(self, conversation_id: str) -> List[Dict[str, Any]]:
        with self._session_factory.begin() as session:
            orders = session.scalars(
                select(Order).where(Order.conversation_id == conversation_id).order_by(Order.created_at, Order.id)
            ).all()
            return [order_as_dict(order) for order in orders]

    def all_orders(self) -> List[Dict[str, Any]]:
        with self._session_factory.begin() as session:
            orders = session.scalars(select(Order).order_by(Order.created_at, Order.id)).all()
            return [order_as_dict(order) for order in orders]

    def notes_for(self, number: str) -> List[Dict[str, Any]]:
        """The staff notes of an order, oldest first. Raises OrderNotFoundError."""
        number = normalize_order_number(number)
        with self._session_factory.begin() as session:
            order_id = session.scalar(select(Order.id).where(Order.number == number))
            if order_id is None:
                raise OrderNotFoundError(number)
            notes = session.scalars(
                select(OrderNote).where(OrderNote.order_id == order_id).order_by(OrderNote.created_at, OrderNote.id)
            ).all()
            return [note_as_dict(note) for note in notes]

    def get_for_staff(self, number: str) -> Optional[Dict[str, Any]]:
        """The order (order_as_dict) with its staff notes under "notes"; None if unknown."""
        number = normalize_order_number(number)
        with self._session_factory.begin() as session:
            order = session.scalars(select(Order).where(Order.number == number)).one_or_none()
            if order is None:
                return None
            notes = session.scalars(
                select(OrderNote).where(OrderNote.order_id == order.id).order_by(OrderNote.created_at, OrderNote.id)
            ).all()
            return {**order_as_dict(order), "notes": [note_as_dict(note) for note in notes]}

    def search_orders(self, query: OrderQuery, full: bool = False) -> Dict[str, Any]:
        """One page of the orders matching the query, and how many match in all:
        {"orders": [...], "total": n, "page": p, "per_page": k}. The rows are summaries
        (number, kind, status, product, total, currency, customer, dates) or, with
        full=True, whole orders as order_as_dict gives them."""
        with self._session_factory.begin() as session:
            conditions = _conditions(query, session.get_bind().dialect.name)
            total = session.scalar(select(func.count(Order.id)).where(*conditions))
            if full:
                statement = select(Order).where(*conditions).order_by(*_ordering(query))
                orders = session.scalars(statement.limit(query.per_page).offset(query.offset)).all()
                rows = [order_as_dict(order) for order in orders]
            else:
                statement = select(*_SUMMARY_COLUMNS).where(*conditions).order_by(*_ordering(query))
                rows = [_row_as_dict(row) for row in session.execute(statement.limit(query.per_page).offset(query.offset))]
            return {"orders": rows, "total": total, "page": query.page, "per_page": query.per_page}

    def export_orders(self, query: OrderQuery) -> Iterator[Dict[str, Any]]:
        """Every order matching the query's filters (not only one page), in its sort order,
        with the options, derived parts and address: the rows of a CSV export. Read in
        batches; the rows are yielded while the session is open."""
        with self._session_factory.begin() as session:
            conditions = _conditions(query, session.get_bind().dialect.name)
            statement = select(*_EXPORT_COLUMNS).where(*conditions).order_by(*_ordering(query))
            for row in session.execute(statement.execution_options(yield_per=1000)):
                yield _row_as_dict(row)

    def _find_by_draft_id(self, draft_id: str) -> Optional[Dict[str, Any]]:
        with self._session_factory.begin() as session:
            order = session.scalars(select(Order).where(Order.draft_id == draft_id)).one_or_none()
            return None if order is None else order_as_dict(order)

    def open_flags(self) -> List[Dict[str, Any]]:
        """The flags not yet resolved, of every conversation, oldest first."""
        with self._session_factory.begin() as session:
            flags = session.scalars(
                select(ConversationFlag)
                .where(ConversationFlag.resolved_at.is_(None))
                .order_by(ConversationFlag.raised_at, ConversationFlag.id)
            ).all()
            return [flag_as_dict(flag) for flag in flags]

    def flags_for(self, conversation_id: str) -> List[Dict[str, Any]]:
        """Every flag of the conversation, open and resolved, oldest first."""
        with self._session_factory.begin() as session:
            flags = session.scalars(
                select(ConversationFlag)
                .where(ConversationFlag.conversation_id == conversation_id)
                .order_by(ConversationFlag.raised_at, ConversationFlag.id)
            ).all()
            return [flag_as_dict(flag) for flag in flags]

    def _find_open_flag(self, conversation_id: str, reason: str) -> Optional[Dict[str, Any]]:
        with self._session_factory.begin() as session:
            flag = session.scalars(
                select(ConversationFlag).where(
                    ConversationFlag.conversation_id == conversation_id,
                    ConversationFlag.reason == reason,
                    ConversationFlag.resolved_at.is_(None),
                )
            ).one_or_none()
            return None if flag is None else flag_as_dict(flag)
