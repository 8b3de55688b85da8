"""News a customer is told without asking (a status change, a staff message, a quote's
price ...): its kinds, and what the chat says for each, made from the kind and its fields
(never from another message's words). The store queues it (bot/store/notices.py); the
channels deliver the text (Telegram, the widget) and the e-mail says the same."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Dict, List, Mapping, Optional

from bot.core.life import status_label
from bot.core.pricing import money


class NoticeKind(str, Enum):
    """What happened, and the fields its data carries (all optional but the first listed)."""

    STATUS_CHANGED = "status_changed"  # status, reason
    STAFF_MESSAGE = "staff_message"  # text, staff (who wrote it)
    QUOTE_PRICED = "quote_priced"  # total, currency, valid_until (ISO date), note
    QUOTE_EXPIRED = "quote_expired"  # valid_until
    CHANGE_ACCEPTED = "change_accepted"  # lines (["Memory: 32 GB -> 64 GB", ...]), total, difference, currency
    CHANGE_REFUSED = "change_refused"  # reason, lines
    ORDER_REVISED = "order_revised"  # lines, total, difference, currency
    # Not about an order (told the conversation that showed a link code, no mail): channel
    # (where the code was typed: "web", "telegram" or "rest").
    CHANNEL_LINKED = "channel_linked"


LINKED_CHANNELS = {"web": "the web chat", "telegram": "Telegram", "rest": "another chat"}


def _amount(data: Mapping[str, Any], field: str) -> Optional[str]:
    value, currency = data.get(field), data.get("currency")
    if value is None or not currency:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    text = money(abs(amount), str(currency))
    if field == "difference":
        return ("+" if amount >= 0 else "-") + text
    return text


def _lines(data: Mapping[str, Any]) -> List[str]:
    lines = data.get("lines")
    return [f"- {line}" for line in lines if isinstance(line, str) and line] if isinstance(lines, list) else []


def _prices(data: Mapping[str, Any]) -> str:
    total, difference = _amount(data, "total"), _amount(data, "difference")
    if total and difference:
        return f"New total: {total} ({difference})."
    return f"New total: {total}." if total else ""


def notice_text(kind: NoticeKind, order_number: str, data: Mapping[str, Any]) -> str:
    """What the chat says (Markdown bold as the bot's other replies)."""
    kind = NoticeKind(kind)
    order = f"**{order_number}**"
    parts: List[str]
    if kind is NoticeKind.STATUS_CHANGED:
        status = str(data.get("status") or "")
        reason = str(data.get("reason") or "").strip()
        parts = [f"News about your order {order}: it is now {status_label(status)}."]
        if reason:
            parts.append(f"Note from the shop: {reason}")
    elif kind is NoticeKind.STAFF_MESSAGE:
        staff = str(data.get("staff") or "").strip()
        who = f"{staff} from the shop" if staff else "The shop"
        parts = [f"{who} wrote about your order {order}:", str(data.get("text") or "").strip()]
    elif kind is NoticeKind.QUOTE_PRICED:
        total = _amount(data, "total")
        parts = [f"Your quote {order} has a price: {total}." if total else f"Your quote {order} has a price."]
        if data.get("valid_until"):
            parts.append(f"It is valid until {data['valid_until']}.")
        if str(data.get("note") or "").strip():
            parts.append(f"Note from the shop: {str(data['note']).strip()}")
        parts.append("Say \"accept the quote\" to order it at that price, or \"decline the quote\".")
    elif kind is NoticeKind.QUOTE_EXPIRED:
        parts = [f"Your quote {order} has expired. Say \"talk to a person\" if you would like a new price."]
    elif kind is NoticeKind.CHANGE_ACCEPTED:
        parts = [f"The shop accepted your change to order {order}:", *_lines(data), _prices(data)]
    elif kind is NoticeKind.CHANGE_REFUSED:
        reason = str(data.get("reason") or "").strip()
        parts = [f"The shop could not make your change to order {order}" + (f": {reason}" if reason else "."),
                 *_lines(data), "Your order stays as it was."]
    elif kind is NoticeKind.CHANNEL_LINKED:
        other = LINKED_CHANNELS.get(str(data.get("channel") or ""), "another chat")
        parts = [f"This conversation is now also on {other}: your link code was typed there, so your orders "
                 "are listed there too.", "If that was not you, say \"talk to a person\"."]
    else:  # ORDER_REVISED
        parts = [f"Your order {order} was changed:", *_lines(data), _prices(data)]
    return "\n".join(part for part in parts if part)


def notice_subject(kind: NoticeKind, order_number: str, data: Mapping[str, Any]) -> str:
    """The e-mail's subject for the news."""
    kind = NoticeKind(kind)
    subjects: Dict[NoticeKind, str] = {
        NoticeKind.STATUS_CHANGED: f"Your order {order_number} is now {status_label(str(data.get('status') or ''))}",
        NoticeKind.STAFF_MESSAGE: f"A message about your order {order_number}",
        NoticeKind.QUOTE_PRICED: f"Your quote {order_number} has a price",
        NoticeKind.QUOTE_EXPIRED: f"Your quote {order_number} has expired",
        NoticeKind.CHANGE_ACCEPTED: f"Your change to order {order_number} was accepted",
        NoticeKind.CHANGE_REFUSED: f"Your change to order {order_number} could not be made",
        NoticeKind.ORDER_REVISED: f"Your order {order_number} was changed",
        NoticeKind.CHANNEL_LINKED: "Your conversation was linked to another chat",
    }
    return subjects[kind]
