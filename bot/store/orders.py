"""Placed orders: what is stored when the customer confirms, the status changes staff make,
their notes, and the reads of the bot and the staff console.

`OrderStore` is the store's one entry point: the database handle (bot/store/db.py) with the
order operations written here and the flag operations of bot/store/flags.py.

Every read returns plain JSON-ready dicts (bot/store/serialize.py), never ORM objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.core.life import (
    CUSTOMER_CANCELLABLE,
    OrderKind,
    OrderStatus,
    known_status,
    new_order_number,
    next_statuses,
    normalize_order_number,
    status_label,
)
from bot.store import flags, notices, outbox
from bot.store import revisions
from bot.store.db import Database, OrderStoreError, utcnow
from bot.store.models import STAFF_NAME_MAX_LENGTH, Order, OrderNote, OrderStatusChange
from bot.store.search import EXPORT_COLUMNS, SUMMARY_COLUMNS, OrderQuery, order_conditions, order_ordering
from bot.store.serialize import jsonable, money_text, note_as_dict, order_as_dict, order_row_as_dict, storable

STATUS_REASON_MAX_LENGTH = 1000
NOTE_MAX_LENGTH = 4000
NUMBER_ATTEMPTS = 8  # 31**6 is ~887 million numbers: a collision is rare, several in a row never


# ---------------------------------------------------------------------------- errors


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


# ---------------------------------------------------------------------------- input


@dataclass(frozen=True)
class NewOrder:
    """What the bot knows when the customer confirms: the input of `OrderStore.place_order`."""

    draft_id: str  # idempotency key: one stored order per draft, however often it is placed
    conversation_id: str
    kind: str  # an OrderKind
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
        if self.total is not None and (not self.total.is_finite() or self.total < 0):  # the store's floor
            raise ValueError(f"total must not be negative (nor infinite), not {self.total}")
        if len(self.currency or "") != 3:
            raise ValueError(f"currency must be a 3-letter code, not {self.currency!r}")


# ---------------------------------------------------------------------------- store


class OrderStore(Database):
    """Placed orders and conversation flags in the database at `url`. The engine is
    created on first use."""

    # -- writes

    def place_order(self, new: NewOrder) -> Dict[str, Any]:
        """Store the order once per draft_id and return it; placing the same draft again
        (a retried message, two workers at once) returns the order already stored."""
        values = {
            "draft_id": new.draft_id,
            "conversation_id": storable(new.conversation_id),
            "kind": OrderKind(new.kind).value,
            "product_id": storable(new.product_id),
            "product_name": storable(new.product_name),
            "options": jsonable(dict(new.options), "options"),
            "option_details": jsonable(list(new.option_details), "option_details"),
            "derived_parts": jsonable(list(new.derived_parts), "derived_parts"),
            "price_lines": [
                {
                    **jsonable(dict(line), f"price_lines[{index}]"),
                    "label": storable(line["label"]),
                    "amount": money_text(line["amount"], f"price_lines[{index}].amount"),
                }
                for index, line in enumerate(new.price_lines)
            ],
            "total": None if new.total is None else Decimal(money_text(new.total, "total")),
            "currency": new.currency.upper(),
            "lead_time_days": int(new.lead_time_days),
            # Storable whatever a caller sends: one character never stops an order.
            "customer_name": storable(new.customer_name),
            "customer_email": storable(new.customer_email),
            "customer_address": storable(new.customer_address),
        }
        existing = self._find_by_draft_id(new.draft_id)
        if existing is not None:
            return existing
        for _attempt in range(NUMBER_ATTEMPTS):
            number = new_order_number()
            try:
                with self.sessions.begin() as session:
                    now = utcnow()
                    order = Order(number=number, status=OrderStatus.RECEIVED.value, created_at=now, updated_at=now, **values)
                    order.status_history.append(
                        OrderStatusChange(status=OrderStatus.RECEIVED.value, changed_at=now, changed_by="customer")
                    )
                    session.add(order)
                    session.flush()
                    # The customer got through: their "stuck" flags end with this order.
                    flags.resolve_stuck_flags(session, values["conversation_id"], number, now)
                    # The confirmation mail, sent by the e-mail sender (bot/channels/email.py).
                    outbox.enqueue(session, outbox.MailKind.ORDER_PLACED, number, values["customer_email"], now=now)
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
        with self.sessions.begin() as session:
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
        with self.sessions.begin() as session:
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
            # The customer's channel (Telegram, the widget) and the mail, in this transaction.
            notices.tell_customer(session, order, notices.NoticeKind.STATUS_CHANGED, now=now, status=new_status,
                                  reason=reason)
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
        with self.sessions.begin() as session:
            order_id = session.scalar(select(Order.id).where(Order.number == number))
            if order_id is None:
                raise OrderNotFoundError(number)
            added = OrderNote(order_id=order_id, author=author, created_at=utcnow(), text=note)
            session.add(added)
            session.flush()
            return note_as_dict(added)

    # -- reads

    def get(self, number: str) -> Optional[Dict[str, Any]]:
        with self.sessions.begin() as session:
            order = session.scalars(select(Order).where(Order.number == normalize_order_number(number))).one_or_none()
            return None if order is None else order_as_dict(order)

    def orders_for_conversation(self, conversation_id: str) -> List[Dict[str, Any]]:
        with self.sessions.begin() as session:
            orders = session.scalars(
                select(Order).where(Order.conversation_id == conversation_id).order_by(Order.created_at, Order.id)
            ).all()
            return [order_as_dict(order) for order in orders]

    def all_orders(self) -> List[Dict[str, Any]]:
        with self.sessions.begin() as session:
            orders = session.scalars(select(Order).order_by(Order.created_at, Order.id)).all()
            return [order_as_dict(order) for order in orders]

    def notes_for(self, number: str) -> List[Dict[str, Any]]:
        """The staff notes of an order, oldest first. Raises OrderNotFoundError."""
        number = normalize_order_number(number)
        with self.sessions.begin() as session:
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
        with self.sessions.begin() as session:
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
        with self.sessions.begin() as session:
            conditions = order_conditions(query, session.get_bind().dialect.name)
            total = session.scalar(select(func.count(Order.id)).where(*conditions))
            if full:
                statement = select(Order).where(*conditions).order_by(*order_ordering(query))
                orders = session.scalars(statement.limit(query.per_page).offset(query.offset)).all()
                rows = [order_as_dict(order) for order in orders]
            else:
                statement = select(*SUMMARY_COLUMNS).where(*conditions).order_by(*order_ordering(query))
                rows = [order_row_as_dict(row) for row in session.execute(statement.limit(query.per_page).offset(query.offset))]
            return {"orders": rows, "total": total, "page": query.page, "per_page": query.per_page}

    def export_orders(self, query: OrderQuery) -> Iterator[Dict[str, Any]]:
        """Every order matching the query's filters (not only one page), in its sort order,
        with the options, derived parts and address: the rows of a CSV export. Read in
        batches; the rows are yielded while the session is open."""
        with self.sessions.begin() as session:
            conditions = order_conditions(query, session.get_bind().dialect.name)
            statement = select(*EXPORT_COLUMNS).where(*conditions).order_by(*order_ordering(query))
            for row in session.execute(statement.execution_options(yield_per=1000)):
                yield order_row_as_dict(row)

    def _find_by_draft_id(self, draft_id: str) -> Optional[Dict[str, Any]]:
        with self.sessions.begin() as session:
            order = session.scalars(select(Order).where(Order.draft_id == draft_id)).one_or_none()
            return None if order is None else order_as_dict(order)

    # -- after the order: revisions, change requests, quotes (bot/store/revisions.py)

    def amend(self, number: str, conversation_id: str, revised: Any, changes: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
        return revisions.amend(self.sessions, number, conversation_id, revised, changes)

    def request_change(self, number: str, conversation_id: str, options: Mapping[str, Any],
                       changes: Sequence[Mapping[str, Any]], new_total: Optional[Decimal]) -> Dict[str, Any]:
        return revisions.request_change(self.sessions, number, conversation_id, options, changes, new_total)

    def pending_request(self, number: str) -> Optional[Dict[str, Any]]:
        return revisions.pending_request(self.sessions, number)

    def accept_change(self, number: str, request_id: int, revised: Any, by: str) -> Dict[str, Any]:
        return revisions.accept_change(self.sessions, number, request_id, revised, by)

    def refuse_change(self, number: str, request_id: int, by: str, reason: str) -> Dict[str, Any]:
        return revisions.refuse_change(self.sessions, number, request_id, by, reason)

    def price_quote(self, number: str, total: Decimal, valid_until: Any, note: str, by: str) -> Dict[str, Any]:
        return revisions.price_quote(self.sessions, number, total, valid_until, note, by)

    def current_quote(self, number: str) -> Optional[Dict[str, Any]]:
        return revisions.current_quote(self.sessions, number)

    def answer_quote(self, number: str, conversation_id: str, accept: bool) -> Dict[str, Any]:
        return revisions.answer_quote(self.sessions, number, conversation_id, accept)

    def expire_quotes(self) -> List[str]:
        return revisions.expire_quotes(self.sessions)

    def after_order(self, number: str) -> Dict[str, Any]:
        return revisions.after_order(self.sessions, number)

    # -- conversation flags (bot/store/flags.py)

    def flag_conversation(self, conversation_id: str, reason: str,
                          kind: flags.FlagKind = flags.FlagKind.OTHER) -> Dict[str, Any]:
        return flags.raise_flag(self.sessions, conversation_id, reason, kind)

    def resolve_flag(self, flag_id: int, resolved_by: str) -> Dict[str, Any]:
        return flags.resolve_flag(self.sessions, flag_id, resolved_by)

    def open_flags(self) -> List[Dict[str, Any]]:
        return flags.open_flags(self.sessions)

    def flags_for(self, conversation_id: str) -> List[Dict[str, Any]]:
        return flags.flags_for(self.sessions, conversation_id)
