"""The conversation list: its filters (read from a page's address by bot/staff/queries.py)
and one page of conversation_summaries, with their orders and open flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import func, or_, select

from bot.store.models import ConversationSummary
from bot.store.models import ConversationFlag, Order
from bot.store.orders import OrderStore
from bot.store.search import contains_text, within_days
from bot.staff.conversations.events import iso

MAX_SEARCH_CHARS = 100
PER_PAGE = 50


@dataclass
class ListFilters:
    channel: str = ""
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    has_order: Optional[bool] = None
    flagged: Optional[bool] = None
    search: str = ""
    page: int = 1
    per_page: int = PER_PAGE


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
        "started_at": iso(summary.started_at),
        "last_message_at": iso(summary.last_message_at),
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


