"""The tables of orders and of conversations.

- `orders`: a placed order or quote request, with everything the customer chose and the
  price as it was shown (JSON columns), and its current status (an OrderStatus value);
- `order_status_changes`: its status history, one row per change;
- `order_notes`: what staff note on an order (never shown to the customer);
- `conversation_flags`: a conversation a person on the staff should look at;
- `conversation_summaries`: one row per conversation (Rasa sender id), kept up to date from
  Rasa's events by the staff console's indexer (bot/staff/conversations/index.py), and
  `conversation_index_state`, that indexer's watermark;
- `conversation_takeovers`: a member of staff talking to the customer in place of the bot;
- `email_outbox` and `email_opt_outs`: mail to customers waiting to be sent, and the
  addresses that unsubscribed;
- `order_revisions`, `order_change_requests` and `order_quotes`: what happens after the order
  (issue 14): each change applied to it, changes waiting for staff, prices staff gave a quote.

Their schema is the migrations'; tests/store/test_db.py checks that these models match.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List, Optional

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, relationship

from bot.core.life import OrderStatus
from bot.store.db import Base, Money, UTCDateTime, utcnow

STAFF_NAME_MAX_LENGTH = 100  # who changed a status, wrote a note, resolved a flag


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        # As migration 0001 wrote them: a new OrderKind needs a migration of these.
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
    changed_by: Mapped[str] = Column(String(STAFF_NAME_MAX_LENGTH), nullable=False)  # "customer", "system" or a staff name
    reason: Mapped[Optional[str]] = Column(Text, nullable=True)

    order: Mapped[Order] = relationship(Order, back_populates="status_history")


class OrderNote(Base):
    """A note staff keep on an order (never shown to the customer)."""

    __tablename__ = "order_notes"

    id: Mapped[int] = Column(Integer, primary_key=True)
    order_id: Mapped[int] = Column(Integer, ForeignKey("orders.id", ondelete="CASCADE"), index=True, nullable=False)
    author: Mapped[str] = Column(String(STAFF_NAME_MAX_LENGTH), nullable=False)  # a staff name
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
    resolved_by: Mapped[Optional[str]] = Column(String(STAFF_NAME_MAX_LENGTH), nullable=True)  # a staff name
    # Why it was raised and how it ended, as data (bot/store/flags.py FlagKind, FlagResolution);
    # `reason` is the detail shown beside the kind. Migration 0009.
    kind: Mapped[str] = Column(String(40), nullable=False, default="other", server_default="other")
    resolution: Mapped[Optional[str]] = Column(String(40), nullable=True)
    resolved_order: Mapped[Optional[str]] = Column(String(20), nullable=True)  # the order that ended it

    def __repr__(self) -> str:
        state = "open" if self.resolved_at is None else "resolved"
        return f"<ConversationFlag {self.id} {self.conversation_id} {state}>"


class ConversationSummary(Base):
    """One row per conversation (Rasa sender id), kept up to date by the indexer."""

    __tablename__ = "conversation_summaries"
    __table_args__ = (
        Index("ix_conversation_summaries_last_message_at", "last_message_at"),
        Index("ix_conversation_summaries_channel_last_message_at", "channel", "last_message_at"),
        Index("ix_conversation_summaries_started_at", "started_at"),
    )

    conversation_id: Mapped[str] = Column(String(255), primary_key=True)
    channel: Mapped[str] = Column(String(20), nullable=False)  # "web", "telegram" or "rest"
    started_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    last_message_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    customer_name: Mapped[Optional[str]] = Column(String(255), nullable=True)
    user_turns: Mapped[int] = Column(Integer, nullable=False, default=0)
    not_understood: Mapped[int] = Column(Integer, nullable=False, default=0)
    last_event_id: Mapped[int] = Column(Integer, nullable=False, default=0)  # Rasa's events.id read so far
    updated_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class ConversationIndexState(Base):
    """The watermark of the index: the highest events.id already read (one row, id 1).
    Updated compare-and-set, so two refreshes at once never count an event twice."""

    __tablename__ = "conversation_index_state"

    id: Mapped[int] = Column(Integer, primary_key=True)
    last_event_id: Mapped[int] = Column(Integer, nullable=False, default=0)
    # Event ids below the watermark not seen yet, as JSON {"id": first seen (epoch s)}: on
    # PostgreSQL a transaction can commit after a later one, so its (lower) ids show up late.
    gaps: Mapped[Optional[str]] = Column(Text, nullable=True)
    updated_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


_ACTIVE_TAKEOVER = text("ended_at IS NULL")


class ConversationTakeover(Base):
    """A member of staff talking to the customer in place of the bot; active while ended_at is None."""

    __tablename__ = "conversation_takeovers"
    __table_args__ = (
        # One active takeover per conversation, even when two people click at once.
        Index(
            "ix_conversation_takeovers_active", "conversation_id", unique=True,
            sqlite_where=_ACTIVE_TAKEOVER, postgresql_where=_ACTIVE_TAKEOVER,
        ),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), index=True, nullable=False)
    staff: Mapped[str] = Column(String(100), nullable=False)
    started_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    ended_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)


class EmailOutbox(Base):
    """A mail to a customer, written in the transaction that made its news (an order placed,
    a status changed by staff) and delivered by the e-mail sender (bot/channels/email.py)
    with retries: pending while sent_at is None. Migration 0010."""

    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    kind: Mapped[str] = Column(String(40), nullable=False)  # bot/store/outbox.py MailKind
    order_number: Mapped[str] = Column(String(20), nullable=False)
    to_address: Mapped[str] = Column(String(320), nullable=False)
    status: Mapped[Optional[str]] = Column(String(40), nullable=True)  # the new status of a status mail
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)  # or found not to be sent
    outcome: Mapped[Optional[str]] = Column(String(20), nullable=True)  # MailOutcome, once done
    last_error: Mapped[Optional[str]] = Column(Text, nullable=True)
    # What a notice's mail says beyond the status (bot/store/notices.py): migration 0012.
    data: Mapped[Optional[Dict[str, Any]]] = Column(JSON, nullable=True)


class EmailOptOut(Base):
    """An address that asked for no more mail (the unsubscribe link). Migration 0010."""

    __tablename__ = "email_opt_outs"

    address: Mapped[str] = Column(String(320), primary_key=True)  # lower case
    opted_out_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)



class OrderRevision(Base):
    """One change applied to a placed order (issue 14): the customer's amendment while it
    was received, a change request staff accepted, or a staff quote the customer accepted.
    The order row holds the current state; a revision keeps what changed (as data: the
    core's change lines) and the totals before and after. Migration 0011."""

    __tablename__ = "order_revisions"
    __table_args__ = (
        Index("ix_order_revisions_order_id_number", "order_id", "number", unique=True),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    order_id: Mapped[int] = Column(Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[int] = Column(Integer, nullable=False)  # 1, 2, ... per order
    kind: Mapped[str] = Column(String(30), nullable=False)  # bot/store/revisions.py RevisionKind
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = Column(String(STAFF_NAME_MAX_LENGTH), nullable=False)  # "customer" or a staff name
    changes: Mapped[List[Dict[str, Any]]] = Column(JSON, nullable=False)
    # What the order was before (options, details, parts, lines), so a revision can be read alone.
    previous: Mapped[Dict[str, Any]] = Column(JSON, nullable=False)
    old_total: Mapped[Optional[Decimal]] = Column(Money, nullable=True)  # None: was a quote request
    new_total: Mapped[Optional[Decimal]] = Column(Money, nullable=True)


_PENDING_REQUEST = text("status = 'pending'")


class OrderChangeRequest(Base):
    """A change the customer asked for once the order was confirmed or later: staff accept
    it (then it is applied as a revision, re-checked and re-priced) or refuse it."""

    __tablename__ = "order_change_requests"
    __table_args__ = (
        # One pending request per order: a newer request replaces the older one.
        Index(
            "ix_order_change_requests_pending", "order_id", unique=True,
            sqlite_where=_PENDING_REQUEST, postgresql_where=_PENDING_REQUEST,
        ),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    order_id: Mapped[int] = Column(Integer, ForeignKey("orders.id", ondelete="CASCADE"), index=True, nullable=False)
    status: Mapped[str] = Column(String(20), nullable=False, default="pending")  # ChangeRequestStatus
    requested_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    options: Mapped[Dict[str, Any]] = Column(JSON, nullable=False)  # the whole selection asked for
    changes: Mapped[List[Dict[str, Any]]] = Column(JSON, nullable=False)  # as shown to the customer
    old_total: Mapped[Optional[Decimal]] = Column(Money, nullable=True)
    new_total: Mapped[Optional[Decimal]] = Column(Money, nullable=True)  # as priced when asked
    decided_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)
    decided_by: Mapped[Optional[str]] = Column(String(STAFF_NAME_MAX_LENGTH), nullable=True)
    reason: Mapped[Optional[str]] = Column(Text, nullable=True)  # why refused (shown to the customer)
    revision_number: Mapped[Optional[int]] = Column(Integer, nullable=True)  # once accepted


class OrderQuote(Base):
    """A price staff give a quote request: valid until a date, with a note for the customer.
    Re-pricing adds a row; the newest one is the quote. The customer's answer (accepted,
    declined) or its expiry is kept on the row."""

    __tablename__ = "order_quotes"

    id: Mapped[int] = Column(Integer, primary_key=True)
    order_id: Mapped[int] = Column(Integer, ForeignKey("orders.id", ondelete="CASCADE"), index=True, nullable=False)
    total: Mapped[Decimal] = Column(Money, nullable=False)
    valid_until: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    note: Mapped[str] = Column(Text, nullable=False, default="")
    priced_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    priced_by: Mapped[str] = Column(String(STAFF_NAME_MAX_LENGTH), nullable=False)
    answer: Mapped[Optional[str]] = Column(String(20), nullable=True)  # QuoteAnswer once answered or expired
    answered_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)


class CustomerNotice(Base):
    """News for a customer on the channel of the order's conversation (bot/store/notices.py),
    written in the transaction that made it: a Telegram notice is sent by the web server's
    notice sender (claimed like the outbox), a web one is added to the conversation when the
    widget next asks for it. Pending while delivered_at is None. Migration 0012."""

    __tablename__ = "customer_notices"
    __table_args__ = (
        Index("ix_customer_notices_pending", "channel", "delivered_at", "next_attempt_at"),
        Index("ix_customer_notices_conversation", "conversation_id", "delivered_at"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False)  # Rasa sender id of the order
    channel: Mapped[str] = Column(String(20), nullable=False)  # "web", "telegram" or "rest"
    kind: Mapped[str] = Column(String(40), nullable=False)  # bot/store/notices.py NoticeKind
    order_number: Mapped[str] = Column(String(20), nullable=False)
    data: Mapped[Dict[str, Any]] = Column(JSON, nullable=False)  # the kind's fields (status, text, total ...)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    delivered_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)  # or given up
    outcome: Mapped[Optional[str]] = Column(String(20), nullable=True)  # NoticeOutcome, once done
    last_error: Mapped[Optional[str]] = Column(Text, nullable=True)


class LinkCode(Base):
    """A short single-use code one conversation shows so that the same customer can link
    another channel's conversation to it (bot/store/links.py). Only the code's hash is
    kept. Migration 0012."""

    __tablename__ = "customer_link_codes"

    code_hash: Mapped[str] = Column(String(64), primary_key=True)  # sha256 hex of the normalised code
    conversation_id: Mapped[str] = Column(String(255), index=True, nullable=False)  # who showed it
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    used_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)
    used_by: Mapped[Optional[str]] = Column(String(255), nullable=True)  # the conversation that typed it
    # The unfinished order (the tracker's order and contact slots) when the code was made: the
    # conversation that types the code can resume it.
    carried: Mapped[Optional[Dict[str, Any]]] = Column(JSON, nullable=True)


class CustomerLink(Base):
    """Conversations of one customer: every conversation linked by a code carries the same
    customer id ("my orders" lists the orders of all of them). Migration 0012."""

    __tablename__ = "customer_links"

    conversation_id: Mapped[str] = Column(String(255), primary_key=True)
    customer_id: Mapped[str] = Column(String(64), index=True, nullable=False)
    linked_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
