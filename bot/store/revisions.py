"""After the order (issue 14): revisions of a placed order, change requests staff decide,
and the prices staff give quote requests.

The caller (an action, a staff page) works out the order after a change with the order
core (bot/core/amend.py `revise`: checked and priced from the catalog alone); the store
writes it in one transaction with its revision, under a lock on the order row, and queues
the customer's news (bot/store/notices.py) in that same transaction. Each function takes
the sessionmaker; OrderStore (bot/store/orders.py) offers them as methods.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Dict, List, Mapping, Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.amend import AmendMode, Revised, amend_mode, describe_lines
from bot.core.life import OrderKind, OrderStatus, normalize_order_number
from bot.store.db import OrderStoreError, utcnow
from bot.store.models import Order, OrderChangeRequest, OrderQuote, OrderRevision
from bot.store.notices import NoticeKind, tell_customer
from bot.store.serialize import iso, jsonable, money_text, order_as_dict, storable

REASON_MAX_LENGTH = 1000
QUOTE_NOTE_MAX_LENGTH = 2000


class RevisionKind(str, Enum):
    AMENDMENT = "amendment"  # the customer changed the order while it was received
    CHANGE_ACCEPTED = "change_accepted"  # staff accepted the customer's change request
    QUOTE_ACCEPTED = "quote_accepted"  # the customer accepted the staff's price: now an order


class ChangeRequestStatus(str, Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    REPLACED = "replaced"  # the customer asked for another change before staff decided


class QuoteAnswer(str, Enum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


class QuoteState(str, Enum):
    """Where a quote request is, for the bot and the staff page."""

    WAITING = "waiting"  # no price from staff yet
    OFFERED = "offered"  # a price valid until a date, not answered
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


# ---------------------------------------------------------------------------- errors


class RevisionError(OrderStoreError, ValueError):
    """The change cannot be stored (the message says why, for the customer or staff)."""


class OrderClosedError(RevisionError):
    """A delivered or cancelled order: nothing about it changes."""


class NotAmendableError(RevisionError):
    """The order's status no longer allows this kind of change (it moved on meanwhile)."""


class QuoteExpiredError(RevisionError):
    pass


class UnknownOrderError(RevisionError, LookupError):
    pass


class NotYourOrderError(RevisionError):
    """The order was placed in another conversation."""


# ---------------------------------------------------------------------------- helpers


def _locked(session: Session, number: str) -> Order:
    order = session.scalars(select(Order).where(Order.number == normalize_order_number(number))
                            .with_for_update()).one_or_none()
    if order is None:
        raise UnknownOrderError(f"there is no order {normalize_order_number(number)}")
    return order


def _check_owner(order: Order, conversation_id: Optional[str]) -> None:
    if conversation_id is not None and order.conversation_id != conversation_id:
        raise NotYourOrderError(f"order {order.number} was not placed in this conversation")


def _snapshot(order: Order) -> Dict[str, Any]:
    return {"kind": order.kind, "options": order.options, "option_details": order.option_details,
            "derived_parts": order.derived_parts, "price_lines": order.price_lines,
            "total": None if order.total is None else format(order.total, "f"), "lead_time_days": order.lead_time_days}


def _price_lines(lines: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    return [{**jsonable(dict(line), f"price_lines[{index}]"), "label": storable(line["label"]),
             "amount": money_text(line["amount"], f"price_lines[{index}].amount")} for index, line in enumerate(lines)]


def _apply(session: Session, order: Order, revised: Revised, changes: Sequence[Mapping[str, Any]], kind: RevisionKind,
           by: str, now: datetime) -> OrderRevision:
    """Write the revised order and its revision (the caller holds the row's lock)."""
    if revised.total is None and revised.kind == OrderKind.ORDER:
        raise RevisionError("an order needs a total")
    number = (session.scalar(select(func.max(OrderRevision.number)).where(OrderRevision.order_id == order.id)) or 0) + 1
    revision = OrderRevision(order_id=order.id, number=number, kind=kind.value, created_at=now, created_by=by,
                             changes=jsonable(list(changes), "changes"), previous=jsonable(_snapshot(order), "previous"),
                             old_total=order.total, new_total=revised.total)
    order.kind = OrderKind(revised.kind).value
    order.options = jsonable(dict(revised.options), "options")
    order.option_details = jsonable(list(revised.option_details), "option_details")
    order.derived_parts = jsonable(list(revised.derived_parts), "derived_parts")
    order.price_lines = _price_lines(revised.price_lines)
    order.total = None if revised.total is None else Decimal(money_text(revised.total, "total"))
    order.lead_time_days = int(revised.lead_time_days)
    order.updated_at = now
    session.add(revision)
    session.flush()
    return revision


def _difference(old: Optional[Decimal], new: Optional[Decimal]) -> Optional[Decimal]:
    return None if old is None or new is None else new - old


def revision_as_dict(revision: OrderRevision) -> Dict[str, Any]:
    return {"number": revision.number, "kind": revision.kind, "created_at": iso(revision.created_at),
            "created_by": revision.created_by, "changes": list(revision.changes or []),
            "old_total": None if revision.old_total is None else format(revision.old_total, "f"),
            "new_total": None if revision.new_total is None else format(revision.new_total, "f")}


def request_as_dict(request: OrderChangeRequest) -> Dict[str, Any]:
    return {"id": request.id, "status": request.status, "requested_at": iso(request.requested_at),
            "options": dict(request.options or {}), "changes": list(request.changes or []),
            "old_total": None if request.old_total is None else format(request.old_total, "f"),
            "new_total": None if request.new_total is None else format(request.new_total, "f"),
            "decided_at": None if request.decided_at is None else iso(request.decided_at),
            "decided_by": request.decided_by, "reason": request.reason, "revision_number": request.revision_number}


def quote_as_dict(quote: OrderQuote) -> Dict[str, Any]:
    return {"id": quote.id, "total": format(quote.total, "f"), "valid_until": iso(quote.valid_until),
            "note": quote.note, "priced_at": iso(quote.priced_at), "priced_by": quote.priced_by,
            "answer": quote.answer, "answered_at": None if quote.answered_at is None else iso(quote.answered_at)}


# ---------------------------------------------------------------------------- the customer's changes


def amend(sessions: sessionmaker, number: str, conversation_id: str, revised: Revised,
          changes: Sequence[Mapping[str, Any]], now: Optional[datetime] = None) -> Dict[str, Any]:
    """The customer's change, stored as a revision while the order is received (the status
    read under the row's lock: staff confirming it meanwhile make this a NotAmendableError,
    and the caller asks again, as a request). Returns {"order", "revision"}."""
    now = now or utcnow()
    with sessions.begin() as session:
        order = _locked(session, number)
        _check_owner(order, conversation_id)
        mode = amend_mode(order.status)
        if mode is AmendMode.CLOSED:
            raise OrderClosedError(f"order {order.number} is {order.status}: it can no longer be changed")
        if mode is not AmendMode.DIRECT:
            raise NotAmendableError(f"order {order.number} is {order.status}: a change is now a request to the staff")
        old_total = order.total
        revision = _apply(session, order, revised, changes, RevisionKind.AMENDMENT, "customer", now)
        tell_customer(session, order, NoticeKind.ORDER_REVISED, now=now, lines=describe_lines(list(changes), order.currency),
                      total=order.total, difference=_difference(old_total, order.total), currency=order.currency)
        return {"order": order_as_dict(order), "revision": revision_as_dict(revision)}


def request_change(sessions: sessionmaker, number: str, conversation_id: str, options: Mapping[str, Any],
                   changes: Sequence[Mapping[str, Any]], new_total: Optional[Decimal],
                   now: Optional[datetime] = None) -> Dict[str, Any]:
    """A change asked for once the order is confirmed or later: stored pending for staff (an
    older pending request of the order is replaced). Returns the request."""
    now = now or utcnow()
    with sessions.begin() as session:
        order = _locked(session, number)
        _check_owner(order, conversation_id)
        if amend_mode(order.status) is AmendMode.CLOSED:
            raise OrderClosedError(f"order {order.number} is {order.status}: it can no longer be changed")
        for older in session.scalars(select(OrderChangeRequest).where(
                OrderChangeRequest.order_id == order.id, OrderChangeRequest.status == ChangeRequestStatus.PENDING.value)):
            older.status = ChangeRequestStatus.REPLACED.value
            older.decided_at = now
            older.decided_by = "customer"
        session.flush()  # the old one is no longer pending before the new one is
        request = OrderChangeRequest(order_id=order.id, status=ChangeRequestStatus.PENDING.value, requested_at=now,
                                     options=jsonable(dict(options), "options"), changes=jsonable(list(changes), "changes"),
                                     old_total=order.total,
                                     new_total=None if new_total is None else Decimal(money_text(new_total, "new_total")))
        session.add(request)
        session.flush()
        return request_as_dict(request)


def pending_request(sessions: sessionmaker, number: str) -> Optional[Dict[str, Any]]:
    with sessions.begin() as session:
        request = session.scalars(select(OrderChangeRequest).join(Order).where(
            Order.number == normalize_order_number(number),
            OrderChangeRequest.status == ChangeRequestStatus.PENDING.value)).one_or_none()
        return None if request is None else request_as_dict(request)


def accept_change(sessions: sessionmaker, number: str, request_id: int, revised: Revised, by: str,
                  now: Optional[datetime] = None) -> Dict[str, Any]:
    """Staff accept the pending request: `revised` is the requested selection checked and
    priced again now (bot/core/amend.revise). Stored as a revision; the customer is told."""
    now = now or utcnow()
    with sessions.begin() as session:
        order = _locked(session, number)
        request = _pending(session, order, request_id)
        if amend_mode(order.status) is AmendMode.CLOSED:
            raise OrderClosedError(f"order {order.number} is {order.status}: it can no longer be changed")
        old_total = order.total
        revision = _apply(session, order, revised, request.changes, RevisionKind.CHANGE_ACCEPTED, by, now)
        request.status = ChangeRequestStatus.ACCEPTED.value
        request.decided_at, request.decided_by, request.revision_number = now, by, revision.number
        tell_customer(session, order, NoticeKind.CHANGE_ACCEPTED, now=now,
                      lines=describe_lines(list(request.changes), order.currency), total=order.total,
                      difference=_difference(old_total, order.total), currency=order.currency)
        return {"order": order_as_dict(order), "revision": revision_as_dict(revision), "request": request_as_dict(request)}


def refuse_change(sessions: sessionmaker, number: str, request_id: int, by: str, reason: str,
                  now: Optional[datetime] = None) -> Dict[str, Any]:
    """Staff refuse the pending request, saying why (the customer is told)."""
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX_LENGTH:
        raise RevisionError(f"say why the change is refused (1 to {REASON_MAX_LENGTH} characters)")
    now = now or utcnow()
    with sessions.begin() as session:
        order = _locked(session, number)
        request = _pending(session, order, request_id)
        request.status = ChangeRequestStatus.REFUSED.value
        request.decided_at, request.decided_by, request.reason = now, by, storable(reason)
        tell_customer(session, order, NoticeKind.CHANGE_REFUSED, now=now, reason=request.reason,
                      lines=describe_lines(list(request.changes), order.currency))
        session.flush()
        return request_as_dict(request)


def _pending(session: Session, order: Order, request_id: int) -> OrderChangeRequest:
    request = session.get(OrderChangeRequest, request_id)
    if request is None or request.order_id != order.id:
        raise RevisionError(f"order {order.number} has no change request {request_id}")
    if request.status != ChangeRequestStatus.PENDING.value:
        raise RevisionError(f"that change request of order {order.number} is already {request.status}")
    return request


# ---------------------------------------------------------------------------- quotes


def _latest_quote(session: Session, order: Order) -> Optional[OrderQuote]:
    return session.scalars(select(OrderQuote).where(OrderQuote.order_id == order.id)
                           .order_by(OrderQuote.priced_at.desc(), OrderQuote.id.desc()).limit(1)).first()


def quote_state(quote: Optional[Mapping[str, Any]], now: Optional[datetime] = None) -> QuoteState:
    """A quote (quote_as_dict, or None for no price yet) as the customer sees it now."""
    if quote is None:
        return QuoteState.WAITING
    if quote["answer"]:
        return QuoteState(quote["answer"])
    return QuoteState.EXPIRED if datetime.fromisoformat(quote["valid_until"]) < (now or utcnow()) else QuoteState.OFFERED


def price_quote(sessions: sessionmaker, number: str, total: Decimal, valid_until: datetime, note: str, by: str,
                now: Optional[datetime] = None) -> Dict[str, Any]:
    """Staff give a quote request a price valid until a moment (re-pricing adds a newer
    one, an expired quote too); the customer is told."""
    now = now or utcnow()
    note = (note or "").strip()
    if len(note) > QUOTE_NOTE_MAX_LENGTH:
        raise RevisionError(f"the note is longer than {QUOTE_NOTE_MAX_LENGTH} characters")
    if not isinstance(total, Decimal) or not total.is_finite() or total <= 0:
        raise RevisionError("the price must be a positive amount")
    if valid_until <= now:
        raise RevisionError("the quote must be valid until a moment still to come")
    with sessions.begin() as session:
        order = _locked(session, number)
        if order.kind != OrderKind.QUOTE_REQUEST.value:
            raise RevisionError(f"{order.number} is not a quote request")
        if amend_mode(order.status) is AmendMode.CLOSED:
            raise OrderClosedError(f"quote request {order.number} is {order.status}")
        quote = OrderQuote(order_id=order.id, total=Decimal(money_text(total, "total")), valid_until=valid_until,
                           note=storable(note), priced_at=now, priced_by=by)
        session.add(quote)
        session.flush()
        tell_customer(session, order, NoticeKind.QUOTE_PRICED, now=now, total=quote.total, currency=order.currency,
                      valid_until=valid_until.date(), note=quote.note or None)
        return quote_as_dict(quote)


def current_quote(sessions: sessionmaker, number: str) -> Optional[Dict[str, Any]]:
    with sessions.begin() as session:
        order = session.scalars(select(Order).where(Order.number == normalize_order_number(number))).one_or_none()
        quote = None if order is None else _latest_quote(session, order)
        return None if quote is None else quote_as_dict(quote)


def answer_quote(sessions: sessionmaker, number: str, conversation_id: str, accept: bool,
                 now: Optional[datetime] = None) -> Dict[str, Any]:
    """The customer's answer to the latest price. Accepted before it expires, the request
    becomes an order at that price (status received, a revision saying so); declined, it is
    recorded; expired, it is recorded as such, the customer told, and QuoteExpiredError
    raised (committed first). Returns {"order", "quote"}."""
    now = now or utcnow()
    expired = False
    with sessions.begin() as session:
        order = _locked(session, number)
        _check_owner(order, conversation_id)
        quote = _latest_quote(session, order)
        if order.kind != OrderKind.QUOTE_REQUEST.value or quote is None:
            raise RevisionError(f"{order.number} has no price to answer")
        if amend_mode(order.status) is AmendMode.CLOSED:
            raise OrderClosedError(f"quote request {order.number} is {order.status}")
        if quote.answer is not None:
            raise RevisionError(f"the quote for {order.number} was already {quote.answer}")
        if quote.valid_until < now:
            _expire(session, order, quote, now)
            expired = True
        elif accept:
            # The quoted price is the total: one line, not the instant parts of a price that had none.
            revised = Revised(kind=OrderKind.ORDER.value, options=dict(order.options),
                              option_details=list(order.option_details), derived_parts=list(order.derived_parts),
                              price_lines=[{"kind": "quoted", "label": "Price quoted by the shop", "amount": quote.total}],
                              total=quote.total, currency=order.currency, lead_time_days=order.lead_time_days)
            changes = [{"kind": "quote", "name": "Price", "old_label": "to be quoted",
                        "new_label": f"{format(quote.total, 'f')} {order.currency}", "amount": None}]
            _apply(session, order, revised, changes, RevisionKind.QUOTE_ACCEPTED, "customer", now)
            quote.answer, quote.answered_at = QuoteAnswer.ACCEPTED.value, now
        else:
            quote.answer, quote.answered_at = QuoteAnswer.DECLINED.value, now
        session.flush()
        result = {"order": order_as_dict(order), "quote": quote_as_dict(quote)}
    if expired:
        raise QuoteExpiredError(f"the quote for {result['order']['number']} expired on {result['quote']['valid_until'][:10]}")
    return result


def _expire(session: Session, order: Order, quote: OrderQuote, now: datetime) -> None:
    quote.answer, quote.answered_at = QuoteAnswer.EXPIRED.value, now
    tell_customer(session, order, NoticeKind.QUOTE_EXPIRED, now=now, valid_until=quote.valid_until.date())


def expire_quotes(sessions: sessionmaker, now: Optional[datetime] = None) -> List[str]:
    """Every unanswered quote past its date recorded as expired and its customer told; the
    numbers of their orders."""
    now = now or utcnow()
    with sessions.begin() as session:
        # Locked: with several web servers sweeping at once, a quote is told expired once.
        rows = session.execute(select(OrderQuote, Order).join(Order).where(
            OrderQuote.answer.is_(None), OrderQuote.valid_until < now, Order.kind == OrderKind.QUOTE_REQUEST.value,
            Order.status.notin_([OrderStatus.CANCELLED.value, OrderStatus.DELIVERED.value]))
            .with_for_update(of=OrderQuote)).all()
        for quote, order in rows:
            latest = _latest_quote(session, order)
            if latest is not None and quote.id == latest.id:  # an older price re-priced since is not news
                _expire(session, order, quote, now)
        return [order.number for _quote, order in rows]


def after_order(sessions: sessionmaker, number: str) -> Dict[str, Any]:
    """What the staff page shows after the order: its revisions, change requests (newest
    first) and quotes."""
    with sessions.begin() as session:
        order = session.scalars(select(Order).where(Order.number == normalize_order_number(number))).one_or_none()
        if order is None:
            return {"revisions": [], "requests": [], "quotes": []}
        revisions = session.scalars(select(OrderRevision).where(OrderRevision.order_id == order.id)
                                    .order_by(OrderRevision.number)).all()
        requests = session.scalars(select(OrderChangeRequest).where(OrderChangeRequest.order_id == order.id)
                                   .order_by(OrderChangeRequest.requested_at.desc(), OrderChangeRequest.id.desc())).all()
        quotes = session.scalars(select(OrderQuote).where(OrderQuote.order_id == order.id)
                                 .order_by(OrderQuote.priced_at.desc(), OrderQuote.id.desc())).all()
        return {"revisions": [revision_as_dict(r) for r in revisions], "requests": [request_as_dict(r) for r in requests],
                "quotes": [quote_as_dict(q) for q in quotes]}


# ---------------------------------------------------------------------------- what waits for staff


class StaffAttention(str, Enum):
    """Why an order waits for a person (the orders list's badge, the queue's list)."""

    CHANGE_REQUESTED = "change_requested"  # a change request waits for staff to accept or refuse
    QUOTE_TO_PRICE = "quote_to_price"  # a quote request has no price from staff yet

    @property
    def label(self) -> str:
        return STAFF_ATTENTION_LABELS[self]


STAFF_ATTENTION_LABELS = {
    StaffAttention.CHANGE_REQUESTED: "Change requested",
    StaffAttention.QUOTE_TO_PRICE: "Quote to price",
}
_CLOSED_STATUSES = (OrderStatus.CANCELLED.value, OrderStatus.DELIVERED.value)


def _quotes_to_price(numbers: Optional[Sequence[str]] = None) -> Any:
    """Quote requests still open that staff have not priced yet."""
    statement = (select(Order).where(Order.kind == OrderKind.QUOTE_REQUEST.value, Order.status.notin_(_CLOSED_STATUSES),
                                     ~select(OrderQuote.id).where(OrderQuote.order_id == Order.id).exists()))
    return statement if numbers is None else statement.where(Order.number.in_(list(numbers)))


def waiting_for_staff(sessions: sessionmaker, numbers: Sequence[str]) -> Dict[str, List[StaffAttention]]:
    """Of these orders, those waiting for staff and why (two queries for a page of orders)."""
    if not numbers:
        return {}
    found: Dict[str, List[StaffAttention]] = {}
    with sessions.begin() as session:
        requested = session.scalars(
            select(Order.number).join(OrderChangeRequest, OrderChangeRequest.order_id == Order.id)
            .where(Order.number.in_(list(numbers)), OrderChangeRequest.status == ChangeRequestStatus.PENDING.value)
            .distinct()).all()
        for number in requested:
            found.setdefault(number, []).append(StaffAttention.CHANGE_REQUESTED)
        for order in session.scalars(_quotes_to_price(numbers)).all():
            found.setdefault(order.number, []).append(StaffAttention.QUOTE_TO_PRICE)
    return found


def staff_to_do(sessions: sessionmaker, limit: int = 50) -> Dict[str, List[Dict[str, Any]]]:
    """What waits for a staff decision, oldest first: the pending change requests (with the
    order's number, customer and currency) and the quote requests without a price."""
    with sessions.begin() as session:
        rows = session.execute(
            select(OrderChangeRequest, Order).join(Order, OrderChangeRequest.order_id == Order.id)
            .where(OrderChangeRequest.status == ChangeRequestStatus.PENDING.value)
            .order_by(OrderChangeRequest.requested_at, OrderChangeRequest.id).limit(limit)).all()
        requests = [{**request_as_dict(request), "order_number": order.number, "customer_name": order.customer_name,
                     "conversation_id": order.conversation_id, "currency": order.currency,
                     "lines": describe_lines(list(request.changes or []), order.currency)}
                    for request, order in rows]
        quotes = [{"order_number": order.number, "customer_name": order.customer_name, "product_name": order.product_name,
                   "conversation_id": order.conversation_id, "created_at": iso(order.created_at)}
                  for order in session.scalars(_quotes_to_price().order_by(Order.created_at, Order.id)
                                               .limit(limit)).all()]
    return {"change_requests": requests, "quotes_to_price": quotes}
