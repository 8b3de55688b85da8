"""Data in and out of the store as plain JSON-ready values.

Going in, money and the JSON columns are checked and copied (`money_text`, `jsonable`);
coming out, every read of the store returns dicts made here (json.dumps works on them as
they are), never ORM objects: amounts as decimal strings ("1234.50"), moments as ISO 8601
in UTC.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, Mapping, Optional

from bot.core.limits import clean_text
from bot.store.db import CENT
from bot.store.models import ConversationFlag, ConversationTakeover, Order, OrderNote


def money_text(value: Any, what: str) -> str:
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


def storable(text: Any) -> Any:
    """Text any database stores and any page or terminal shows: the core's clean_text (a
    lone surrogate, which no encoding can store, becomes U+FFFD; NUL, which PostgreSQL
    refuses, and the other control characters are removed). Customer text is cleaned where
    it enters Rasa already; this is the store's own guarantee for any caller."""
    return None if text is None else clean_text(str(text))


def jsonable(value: Any, where: str) -> Any:
    """A deep copy of value made of JSON types only; Decimals become decimal strings and
    text is storable()."""
    if isinstance(value, str):
        return storable(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return {storable(key): jsonable(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item, f"{where}[{index}]") for index, item in enumerate(value)]
    raise TypeError(f"{where} holds a {type(value).__name__}, which cannot be stored as JSON")


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def _amount(total: Optional[Decimal]) -> Optional[str]:
    return None if total is None else format(Decimal(total).quantize(CENT), "f")


def order_as_dict(order: Order) -> Dict[str, Any]:
    """The order as plain JSON-ready data."""
    return {
        "number": order.number,
        "kind": order.kind,
        "product_id": order.product_id,
        "product_name": order.product_name,
        "options": copy.deepcopy(order.options),
        "option_details": copy.deepcopy(order.option_details),
        "derived_parts": copy.deepcopy(order.derived_parts),
        "price_lines": copy.deepcopy(order.price_lines),
        "total": _amount(order.total),
        "currency": order.currency,
        "lead_time_days": order.lead_time_days,
        "customer_name": order.customer_name,
        "customer_email": order.customer_email,
        "customer_address": order.customer_address,
        "status": order.status,
        "conversation_id": order.conversation_id,
        "created_at": iso(order.created_at),
        "updated_at": iso(order.updated_at),
        "status_history": [
            {
                "status": change.status,
                "changed_at": iso(change.changed_at),
                "changed_by": change.changed_by,
                "reason": change.reason,
            }
            for change in order.status_history
        ],
    }


def order_row_as_dict(row: Any) -> Dict[str, Any]:
    """A row of selected order columns (a list row, a CSV row) as plain JSON-ready data."""
    values = dict(row._mapping)
    values["total"] = _amount(values["total"])
    values["created_at"] = iso(values["created_at"])
    values["updated_at"] = iso(values["updated_at"])
    return values


def note_as_dict(note: OrderNote) -> Dict[str, Any]:
    return {"id": note.id, "author": note.author, "created_at": iso(note.created_at), "text": note.text}


def flag_as_dict(flag: ConversationFlag) -> Dict[str, Any]:
    """The flag as plain JSON-ready data; resolved_at and resolved_by are None while open."""
    return {
        "id": flag.id,
        "conversation_id": flag.conversation_id,
        "reason": flag.reason,
        "raised_at": iso(flag.raised_at),
        "resolved_at": None if flag.resolved_at is None else iso(flag.resolved_at),
        "resolved_by": flag.resolved_by,
        "kind": flag.kind,
        "resolution": flag.resolution,
        "resolved_order": flag.resolved_order,
    }


def takeover_as_dict(takeover: ConversationTakeover) -> Dict[str, Any]:
    """The takeover as plain JSON-ready data; ended_at is None while staff have the conversation."""
    return {
        "id": takeover.id,
        "conversation_id": takeover.conversation_id,
        "staff": takeover.staff,
        "started_at": iso(takeover.started_at),
        "ended_at": None if takeover.ended_at is None else iso(takeover.ended_at),
    }
