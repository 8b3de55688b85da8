"""A shop's worth of generated data for the staff benchmark and the staff console's tests:
orders placed through OrderStore (valid specifications of every catalog product, priced by
the order core, spread over DAYS days with a mix of statuses), conversations as rows of
Rasa's SQL tracker store (`events`, Rasa's schema: user, bot, action and slot events, 10-20
per conversation, some not understood), the dashboard's orders in progress and refused
answers. `generate(folder, orders, conversations)` makes it all in a folder."""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from bot.store import analytics
from bot.core.catalog import Product, load_catalog
from bot.core.life import OrderStatus
from bot.core.pricing import quote as price_of
from bot.core.refusals import NOT_UNDERSTOOD
from bot.core.rules import valid_values, violations
from bot.core.values import display_value
from bot.store.models import Order, OrderStatusChange
from bot.store.orders import NewOrder, OrderStore
from bot.local import DEMO_CATALOG

STAFF_NAME = "bench"  # the staff account of the benchmark (status changes are by it)
DAYS = 90
FIRST_NAMES = ["Anna", "Ben", "Chloe", "Daniel", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jan", "Kofi", "Lena",
               "Marta", "Niels", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Victor", "Wen", "Yusuf"]
LAST_NAMES = ["Smith", "Müller", "García", "Rossi", "Dubois", "Nowak", "Jensen", "Silva", "Kowalski", "O'Brien",
              "Novak", "Horvat", "Ivanova", "Nagy", "Papadopoulos", "Bakker", "Lindqvist", "Moreau", "Costa", "Weber"]
STREETS = ["Main Street", "Hauptstraße", "Rue de la Paix", "Via Roma", "Kingsway", "Dorfstraße", "Calle Mayor"]
TOWNS = ["Dublin", "Berlin", "Lyon", "Milano", "Leeds", "Graz", "Sevilla", "Utrecht", "Porto", "Kraków"]


# ---------------------------------------------------------------------------- Rasa's tracker store


def events_table(metadata: sa.MetaData) -> sa.Table:
    """Rasa 3.6's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent)."""
    return sa.Table(
        "events", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("type_name", sa.String(255), nullable=False),
        sa.Column("timestamp", sa.Float),
        sa.Column("intent_name", sa.String(255)),
        sa.Column("action_name", sa.String(255)),
        sa.Column("data", sa.Text),
    )


def write_events(tracker_url: str, conversations: Sequence[Tuple[str, List[Dict[str, Any]]]]) -> int:
    """Store each conversation's events (Rasa's event dicts) as Rasa does; returns the count."""
    engine = sa.create_engine(tracker_url, future=True)
    metadata = sa.MetaData()
    events = events_table(metadata)
    metadata.create_all(engine)
    rows = [
        {"sender_id": sender, "type_name": event["event"], "timestamp": event["timestamp"],
         "intent_name": (event.get("parse_data") or {}).get("intent", {}).get("name") if event["event"] == "user" else None,
         "action_name": event.get("name") if event["event"] == "action" else None,
         "data": json.dumps(event)}
        for sender, conversation in conversations for event in conversation
    ]
    rows.sort(key=lambda row: row["timestamp"])  # ids grow with time, as in a live tracker store
    with engine.begin() as connection:
        for start in range(0, len(rows), 20000):
            connection.execute(events.insert(), rows[start:start + 20000])
    engine.dispose()
    return len(rows)


def user_event(at: float, text: str, intent: str, confidence: float, entities: Optional[list] = None) -> Dict[str, Any]:
    message_id = uuid.uuid4().hex
    return {"event": "user", "timestamp": at, "metadata": {}, "text": text, "input_channel": "rest",
            "message_id": message_id,
            "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": entities or [],
                           "text": text, "message_id": message_id, "metadata": {},
                           "intent_ranking": [{"name": intent, "confidence": confidence}]}}


def bot_event(at: float, text: str, buttons: Optional[list] = None,
              metadata: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    return {"event": "bot", "timestamp": at, "metadata": dict(metadata or {}), "text": text,
            "data": {"elements": None, "quick_replies": None, "buttons": buttons, "attachment": None,
                     "image": None, "custom": None}}


def action_event(at: float, name: str) -> Dict[str, Any]:
    return {"event": "action", "timestamp": at, "metadata": {}, "name": name, "policy": "RulePolicy",
            "confidence": 1.0, "action_text": None, "hide_rule_turn": False}


def slot_event(at: float, name: str, value: Any) -> Dict[str, Any]:
    return {"event": "slot", "timestamp": at, "metadata": {}, "name": name, "value": value}


def conversation_events(rng: random.Random, start: float, product: Product, ordered: bool,
                        not_understood: int) -> List[Dict[str, Any]]:
    """A plausible conversation: greeting, the product, a few answers (some not understood)."""
    at = start
    events: List[Dict[str, Any]] = [action_event(at, "action_session_start"),
                                    {"event": "session_started", "timestamp": at, "metadata": {}},
                                    action_event(at, "action_listen")]

    def turn(text: str, intent: str, reply: str, action: str, confidence: float = 0.93,
             reply_metadata: Optional[Dict[str, Any]] = None) -> None:
        nonlocal at
        at += rng.uniform(4, 40)
        events.append(user_event(at, text, intent, confidence))
        events.append(action_event(at + 0.05, action))
        events.append(bot_event(at + 0.06, reply, metadata=reply_metadata))
        events.append(action_event(at + 0.07, "action_listen"))

    if rng.random() < 0.5:
        turn("hi", "greet", "Hello! What would you like us to make?", "action_list_products")
    turn(f"I'd like a {product.name.lower()}", "order_product", f"Great, let's put together your {product.name}.",
         "action_start_order")
    events.append(slot_event(at + 0.05, "product", product.id))
    for _ in range(not_understood):
        turn(rng.choice(["asdf", "hmm what", "🙂", "the blue one maybe"]), "nlu_fallback",
             "Sorry, I didn't get that.", "validate_order_form", confidence=0.31, reply_metadata=NOT_UNDERSTOOD)
    for option in product.options[:rng.randint(0, 2)]:
        turn(f"{option.name.lower()} please", "inform", option.question or f"What {option.name.lower()}?", "order_form")
    if ordered:
        turn("yes", "affirm", "Thank you! Your order number is **BSP-XXXXXX**.", "action_place_order")
    return events


# ---------------------------------------------------------------------------- data


@dataclass
class Generated:
    folder: Path
    database_url: str
    tracker_url: str
    orders: int
    conversations: int
    events: int
    drafts: int
    rejections: int
    order_number: str  # one to open
    conversation_id: str  # one with an order, to open
    search: str  # a surname to search for
    seconds: float


def fast_sqlite(engine: sa.engine.Engine) -> None:
    """Generation only: no fsync per commit (the pages are measured with the default settings)."""
    @sa.event.listens_for(engine, "connect")
    def _pragmas(connection, _record):
        cursor = connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


def spec_pool(product: Product, rng: random.Random, size: int = 40) -> List[Dict[str, Any]]:
    """Valid, different specifications of the product (chosen as a customer could)."""
    pool: Dict[str, Dict[str, Any]] = {}
    for _attempt in range(size * 10):
        selections: Dict[str, Any] = {}
        for option in product.options:
            if option.kind == "choice":
                fitting = valid_values(product, selections, option)
                if not fitting:
                    break
                selections[option.id] = rng.choice(fitting).id
            elif option.kind == "number":
                if option.allowed:
                    value = float(rng.choice(option.allowed))
                else:
                    value = round(rng.uniform(float(option.min or 0), float(option.max or 100)), option.decimals or 0)
                selections[option.id] = int(value) if value == int(value) else value  # as the slot holds it
            elif option.kind == "yesno":
                selections[option.id] = rng.random() < 0.4
            else:
                selections[option.id] = option.example if (option.example and rng.random() < 0.5) or not option.optional \
                    else None
        else:
            if not any(violations(product, selections, option.id) for option in product.options):
                pool[json.dumps(selections, sort_keys=True)] = selections
        if len(pool) >= size:
            break
    return list(pool.values())


def new_order(product: Product, selections: Dict[str, Any], conversation_id: str, rng: random.Random) -> NewOrder:
    priced = price_of(product, selections)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return NewOrder(
        draft_id=uuid.uuid4().hex, conversation_id=conversation_id,
        kind="quote_request" if priced.is_quote_request else "order",
        product_id=product.id, product_name=product.name,
        options={option.id: selections.get(option.id) for option in product.options},
        option_details=[{"id": o.id, "name": o.name, "value": selections.get(o.id),
                         "label": display_value(o, selections.get(o.id)), "unit": o.unit} for o in product.options],
        derived_parts=[{"id": c.part_id, "name": c.name, "value": c.value.id if c.value else None, "label": c.label,
                        "price": str(c.value.price) if c.value else None} for c in priced.derived],
        price_lines=priced.stored_lines(),  # as the order form stores them: with the quantity line
        total=priced.total, currency=priced.currency, lead_time_days=product.lead_time_days,
        customer_name=f"{first} {last}",
        customer_email=f"{first}.{re.sub('[^a-z]', '', last.lower())}{rng.randint(1, 999)}@example.com".lower(),
        customer_address=f"{rng.randint(1, 200)} {rng.choice(STREETS)}, {rng.randint(1000, 99999)} {rng.choice(TOWNS)}",
    )


def generate(folder: Path, orders: int, conversations: int, seed: int = 7, catalog_path: Path = DEMO_CATALOG,
             now: Optional[datetime] = None) -> Generated:
    started = time.monotonic()
    rng = random.Random(seed)
    now = now or datetime.now(timezone.utc)
    database_url = f"sqlite:///{folder / 'bespoke.db'}"
    tracker_url = f"sqlite:///{folder / 'tracker.db'}"
    store = OrderStore(database_url)
    fast_sqlite(store.engine)
    store.migrate()
    catalog = load_catalog(catalog_path)
    products = catalog.products
    pools = {product.id: spec_pool(product, rng) for product in products}
    weights = [5, 3, 2, 1, 1][:len(products)] + [1] * max(0, len(products) - 5)

    # Conversations: when each started, which product it is about; the first `orders` of
    # them (shuffled) placed an order, and half of the others started one.
    ids = [f"web:{uuid.UUID(int=rng.getrandbits(128))}" if rng.random() < 0.7 else f"telegram:{rng.randint(10**8, 10**10)}"
           for _ in range(conversations)]
    starts = [now - timedelta(seconds=rng.uniform(0, DAYS * 86400)) for _ in range(conversations)]
    about = [rng.choices(products, weights)[0] for _ in range(conversations)]
    with_order = set(rng.sample(range(conversations), min(orders, conversations)))
    order_conversations = sorted(with_order) or [0]

    statuses = [status.value for status in OrderStatus]
    placed: List[Tuple[int, str, str, datetime, str]] = []  # (conversation, number, draft id, created, status)
    for count in range(orders):
        index = order_conversations[count % len(order_conversations)]
        product = about[index]
        stored = store.place_order(new_order(product, rng.choice(pools[product.id]), ids[index], rng))
        created = min(now - timedelta(minutes=1), starts[index] + timedelta(minutes=rng.uniform(3, 15)))
        age_days = (now - created).days
        if rng.random() < 0.06:
            status = "cancelled"
        else:
            progress = [s for s in statuses if s != "cancelled"]
            status = progress[min(len(progress) - 1, int(age_days / 8 * rng.uniform(0.6, 1.4)))]
        placed.append((index, stored["number"], "", created, status))

    with store.sessions.begin() as session:
        rows = session.execute(sa.select(Order.id, Order.number, Order.draft_id)).all()
        by_number = {number: (order_id, draft_id) for order_id, number, draft_id in rows}
        session.execute(sa.delete(OrderStatusChange))
        updates, history = [], []
        for _index, number, _, created, status in placed:
            order_id, draft_id = by_number[number]
            updates.append({"b_id": order_id, "b_created": created, "b_status": status})
            history.append({"order_id": order_id, "status": "received", "changed_at": created, "changed_by": "customer"})
            if status != "received":
                history.append({"order_id": order_id, "status": status, "changed_at": created + timedelta(days=1),
                                "changed_by": STAFF_NAME, "reason": "generated" if status == "cancelled" else None})
        table = Order.__table__
        session.execute(
            table.update().where(table.c.id == sa.bindparam("b_id"))
            .values(created_at=sa.bindparam("b_created", type_=table.c.created_at.type),
                    updated_at=sa.bindparam("b_created", type_=table.c.created_at.type),
                    status=sa.bindparam("b_status")),
            updates,
        )
        session.execute(sa.insert(OrderStatusChange), history)
        placed_drafts = {index: (by_number[number][1], created) for index, number, _, created, _ in placed}

        # Orders in progress: every placed order's draft, and half of the other conversations.
        drafts, refusals = [], []
        for index in range(conversations):
            product = about[index]
            if index in placed_drafts:
                draft_id, created = placed_drafts[index]
                drafts.append({"draft_id": draft_id, "conversation_id": ids[index], "product_id": product.id,
                               "last_question": analytics.SUMMARY_QUESTION, "answered": len(product.options),
                               "started_at": starts[index], "updated_at": created, "outcome": "open"})
            elif rng.random() < 0.5:
                stop = min(len(product.options), int(rng.expovariate(0.45)))
                question = product.options[stop].id if stop < len(product.options) else analytics.SUMMARY_QUESTION
                drafts.append({"draft_id": uuid.uuid4().hex, "conversation_id": ids[index], "product_id": product.id,
                               "last_question": question, "answered": stop, "started_at": starts[index],
                               "updated_at": starts[index] + timedelta(minutes=stop + 1),
                               "outcome": "cancelled" if rng.random() < 0.1 else "open"})
            if rng.random() < 0.35:
                option = rng.choice(product.options)
                reason = rng.choices(["not_understood", "unknown_value", "rule", "out_of_range", "out_of_stock"],
                                     [4, 3, 2, 2, 1])[0]
                answer = rng.choice(["dunno", "the cheap one", "blue", "16gb ddr4", "about 2 metres", "asdf", "silk",
                                     "whatever is best", "🙂", "neck 60"])
                refusals.append({"conversation_id": ids[index], "draft_id": None, "product_id": product.id,
                                 "option_id": option.id, "answer": answer, "reason": reason,
                                 "detail": f"Sorry, \"{answer}\" doesn't work for the {option.name.lower()}.",
                                 "rule_id": "generated_rule" if reason == "rule" else None,
                                 "at": starts[index] + timedelta(minutes=2)})
        if drafts:
            session.execute(sa.insert(analytics.OrderDraft), drafts)
        if refusals:
            session.execute(sa.insert(analytics.AnswerRejection), refusals)
    store.dispose()

    events = write_events(tracker_url, [
        (ids[index], conversation_events(rng, starts[index].timestamp(), about[index], index in with_order,
                                         rng.choices([0, 1, 2], [8, 2, 1])[0]))
        for index in range(conversations)
    ])
    sample_index, sample_number = placed[len(placed) // 2][0], placed[len(placed) // 2][1]
    return Generated(
        folder=folder, database_url=database_url, tracker_url=tracker_url, orders=orders,
        conversations=conversations, events=events, drafts=len(drafts), rejections=len(refusals),
        order_number=sample_number, conversation_id=ids[sample_index], search=rng.choice(LAST_NAMES[:5]),
        seconds=round(time.monotonic() - started, 1),
    )
