"""A list page's address as filters: one place that reads a query string into the store's
typed query, with a sentence for staff about each value left out because it made no sense.

`QueryString` reads the values every list shares (days, a date range, search text, whole
numbers for paging); a list adds its own values in a function like `order_query` or
`conversation_filters`, which returns the list's query and the problems. `order_params` and
`conversation_params` are the way back: a query as the parameters of a link.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Mapping, Optional, Tuple

from bot.core.life import known_status
from bot.staff.conversations.events import CHANNELS
from bot.staff.conversations.listing import MAX_SEARCH_CHARS, ListFilters
from bot.store.search import (
    DEFAULT_PER_PAGE,
    DEFAULT_SORT,
    MAX_PER_PAGE,
    SEARCH_MAX_LENGTH,
    SORT_KEYS,
    OrderQuery,
    is_product_id,
)

MAX_PAGE = 10**9


class QueryString:
    """The values of a page's address, read one at a time. A value that makes no sense is
    left out (the reader returns None) with a sentence for staff in `problems`."""

    def __init__(self, params: Mapping[str, str]) -> None:
        self._params = params
        self.problems: List[str] = []

    def given(self, name: str) -> str:
        """The value as typed, without surrounding spaces ("" when absent)."""
        return str(self._params.get(name) or "").strip()

    def problem(self, sentence: str) -> None:
        self.problems.append(sentence)

    def day(self, name: str) -> Optional[date]:
        """A day written as 2024-12-31."""
        value = self.given(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.problem(f"\"{value[:40]}\" is not a date (write it as 2024-12-31): the \"{name}\" date is left out.")
            return None

    def day_range(self, first: str = "from", last: str = "to") -> Tuple[Optional[date], Optional[date]]:
        """Two days, both left out when the range starts after it ends."""
        start, end = self.day(first), self.day(last)
        if start and end and start > end:
            self.problem("The date range starts after it ends: the dates are left out.")
            return None, None
        return start, end

    def search_text(self, name: str = "q", max_length: int = SEARCH_MAX_LENGTH) -> str:
        value = self.given(name)
        if len(value) > max_length:
            self.problem(f"The search text is longer than {max_length} characters: it is left out.")
            return ""
        return value

    def whole_number(self, name: str, low: int, high: int) -> Optional[int]:
        """A whole number from low to high (a page, a page size)."""
        value = self.given(name)
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            number = low - 1
        if low <= number <= high:
            return number
        self.problem(f"\"{value[:20]}\" is not a valid {name.replace('_', ' ')} (a whole number from {low} to {high}).")
        return None


# ---------------------------------------------------------------------------- the order list


def order_query(params: Mapping[str, str]) -> Tuple[OrderQuery, List[str]]:
    """The query of the order list's address (status, product, from, to, q, sort, dir, page,
    per_page) and a sentence for each value that was left out."""
    read = QueryString(params)
    values: Dict[str, Any] = {}
    status = read.given("status")
    if status:
        if known_status(status) is not None:
            values["status"] = known_status(status)
        else:
            read.problem(f"Unknown status \"{status}\": showing every status.")
    product = read.given("product")
    if product:
        if is_product_id(product):
            values["product_id"] = product
        else:
            read.problem(f"\"{product[:100]}\" is not a product: showing every product.")
    values["created_from"], values["created_to"] = read.day_range()
    values["text"] = read.search_text()
    sort = read.given("sort")
    if sort:
        if sort in SORT_KEYS:
            values["sort"] = sort
        else:
            read.problem(f"Cannot sort by \"{sort[:40]}\": sorted by date instead.")
    direction = read.given("dir")
    if direction:
        if direction in ("asc", "desc"):
            values["descending"] = direction == "desc"
        else:
            read.problem("The sort direction is \"asc\" or \"desc\": newest first instead.")
    for name, high in (("page", MAX_PAGE), ("per_page", MAX_PER_PAGE)):
        number = read.whole_number(name, 1, high)
        if number is not None:
            values[name] = number
    return OrderQuery(**values), read.problems


def order_params(query: OrderQuery, **changes: Any) -> Dict[str, str]:
    """The query (with changes) as the parameters of a link, leaving out the defaults."""
    query = query.replace(**changes) if changes else query
    pairs = {
        "status": query.status.value if query.status else "",
        "product": query.product_id or "",
        "from": query.created_from.isoformat() if query.created_from else "",
        "to": query.created_to.isoformat() if query.created_to else "",
        "q": query.text,
        "sort": "" if query.sort == DEFAULT_SORT else query.sort,
        "dir": "" if query.descending else "asc",
        "page": "" if query.page == 1 else str(query.page),
        "per_page": "" if query.per_page == DEFAULT_PER_PAGE else str(query.per_page),
    }
    return {key: value for key, value in pairs.items() if value}


# ---------------------------------------------------------------------------- the conversation list


def conversation_filters(params: Mapping[str, str]) -> Tuple[ListFilters, List[str]]:
    """The filters of the conversation list's address (channel, from, to, has_order, flagged,
    q, page) and a sentence for each value that was left out."""
    read = QueryString(params)
    filters = ListFilters()
    channel = read.given("channel")
    if channel:
        if channel in CHANNELS:
            filters.channel = channel
        else:
            read.problem(f"Unknown channel {channel[:30]!r}: choose web, telegram or rest.")
    filters.date_from, filters.date_to = read.day_range()
    for name, label in (("has_order", "Order placed"), ("flagged", "Flagged")):
        value = read.given(name)
        if value in ("yes", "no"):
            setattr(filters, name, value == "yes")
        elif value:
            read.problem(f"{label}: choose yes or no, not {value[:30]!r}.")
    filters.search = read.search_text(max_length=MAX_SEARCH_CHARS)
    filters.page = read.whole_number("page", 1, MAX_PAGE) or 1
    return filters, read.problems


def conversation_params(filters: ListFilters, **changes: Any) -> Dict[str, str]:
    """The filters (with changes) as the parameters of a link, leaving out the defaults."""
    values = {
        "channel": filters.channel,
        "from": filters.date_from.isoformat() if filters.date_from else "",
        "to": filters.date_to.isoformat() if filters.date_to else "",
        "has_order": "" if filters.has_order is None else ("yes" if filters.has_order else "no"),
        "flagged": "" if filters.flagged is None else ("yes" if filters.flagged else "no"),
        "q": filters.search,
        "page": str(filters.page),
    }
    values.update({key: str(value) for key, value in changes.items()})
    if values["page"] == "1":
        values.pop("page")
    return {key: value for key, value in values.items() if value}
