"""Searching the store: the order list's query (filters, sort, page) as SQL, and the text
and day conditions the conversation list shares with it.

An `OrderQuery` is typed and valid once made (a value that makes no sense raises
InvalidOrderQueryError); reading one from a page's address, with a sentence for staff about
each value left out, is the staff console's job (bot/staff/queries.py).
"""

from __future__ import annotations

import re
import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, List, Optional

from sqlalchemy import case, func, or_

from bot.core.life import NUMBER_ALPHABET, NUMBER_LENGTH, NUMBER_PREFIX, NUMBER_PREFIX_PATTERN, OrderStatus, known_status
from bot.store.db import UNICODE_LOWER, OrderStoreError
from bot.store.models import Order

SORT_KEYS = ("created_at", "total", "status", "customer_name", "number")
DEFAULT_SORT = "created_at"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
SEARCH_MAX_LENGTH = 200
_PRODUCT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
# A search for an order number: with the prefix any part of it; without, a whole number or
# a part holding a digit (letters alone are more likely a name).
_NUMBER_WITH_PREFIX = re.compile(rf"^\s*{NUMBER_PREFIX_PATTERN}\s*([a-z0-9]*)\s*$", re.IGNORECASE)
_NUMBER_PART = re.compile(rf"^[{NUMBER_ALPHABET}]{{1,{NUMBER_LENGTH}}}$")


def is_product_id(text: str) -> bool:
    """Whether text can be a product id of the catalog (letters, digits, _ . -)."""
    return bool(_PRODUCT_ID.match(text))


class InvalidOrderQueryError(OrderStoreError, ValueError):
    """A filter, sort or page value that makes no sense (the message says which and why)."""


@dataclass(frozen=True)
class OrderQuery:
    """Which orders to list and how: the filters, the sort and the page.

    created_from / created_to are whole days in UTC, both included. text matches an order
    number (with the BSP- prefix any part of it, without the prefix a whole number or a
    part holding a digit), or a part of the customer's name or email, ignoring case.
    """

    status: Optional[OrderStatus] = None
    product_id: Optional[str] = None
    created_from: Optional[date] = None
    created_to: Optional[date] = None
    text: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = True
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise InvalidOrderQueryError("; ".join(problems))
        if self.status is not None:
            object.__setattr__(self, "status", OrderStatus(self.status))  # a status given as its string

    def _problems(self) -> List[str]:
        problems = []
        if self.status is not None and known_status(self.status) is None:
            problems.append(f"unknown status {self.status!r} (known: {', '.join(OrderStatus)})")
        if self.product_id is not None and not is_product_id(self.product_id):
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

    def replace(self, **changes: Any) -> "OrderQuery":
        return dataclasses.replace(self, **changes)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


# ---------------------------------------------------------------------------- conditions


def like_pattern(term: str) -> str:
    """A LIKE pattern (escape character "/") matching term anywhere."""
    escaped = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def contains_text(column: Any, term: str, dialect: str) -> Any:
    """The column holds `term` anywhere, ignoring case (beyond ASCII: "ünal" finds "Ünal");
    % and _ in the term are literal. `dialect` is the session's dialect name."""
    pattern = like_pattern(term.strip().lower())
    if dialect == "postgresql":
        return column.ilike(pattern, escape="/")
    if dialect == "sqlite":
        return getattr(func, UNICODE_LOWER)(column).like(pattern, escape="/")
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
        conditions.append(Order.number.like(like_pattern(NUMBER_PREFIX + prefixed.group(1).upper()), escape="/"))
    else:
        bare = term.upper().replace(" ", "")
        if _NUMBER_PART.match(bare):
            if len(bare) == NUMBER_LENGTH:
                conditions.append(Order.number == NUMBER_PREFIX + bare)
            elif any(character.isdigit() for character in bare):
                conditions.append(Order.number.like(like_pattern(bare), escape="/"))
    conditions.extend(contains_text(column, term, dialect) for column in (Order.customer_name, Order.customer_email))
    return or_(*conditions)


def order_conditions(query: OrderQuery, dialect: str) -> List[Any]:
    """The WHERE conditions of the query's filters."""
    conditions: List[Any] = []
    if query.status:
        conditions.append(Order.status == query.status.value)
    if query.product_id:
        conditions.append(Order.product_id == query.product_id)
    conditions.extend(within_days(Order.created_at, query.created_from, query.created_to))
    if query.text.strip():
        conditions.append(_text_condition(query.text, dialect))
    return conditions


def order_ordering(query: OrderQuery) -> List[Any]:
    """The ORDER BY of the query's sort, the id last so that pages never overlap."""

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
SUMMARY_COLUMNS = (
    Order.number, Order.kind, Order.status, Order.product_id, Order.product_name, Order.total, Order.currency,
    Order.customer_name, Order.customer_email, Order.conversation_id, Order.created_at, Order.updated_at,
    Order.lead_time_days,
)
EXPORT_COLUMNS = SUMMARY_COLUMNS + (Order.option_details, Order.derived_parts, Order.customer_address)
