"""How fast the staff pages are with a shop's worth of data.

    uv run --frozen python -m bench.staff_bench [--orders 10000 --conversations 50000] [--loads 5] [--json]

Generates, in a temporary folder: orders placed through OrderStore (valid specifications
of every catalog product, priced by the order core, spread over 90 days with a mix of
statuses), conversations as rows of Rasa's SQL tracker store (`events`, Rasa's schema:
user, bot, action and slot events, 10-20 per conversation, some not understood), the
dashboard's orders in progress and refused answers. Then starts the real web app
(bot.server.create_app: the widget and the staff console) on a free port, signs in, and loads
each page: the first load on its own (the first dashboard load brings the conversations
index up to date over every conversation), then `--loads` more for the median and max.
Pages whose feature is not there yet are skipped with a note.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple
from urllib.parse import quote

import aiohttp
import sqlalchemy as sa
from aiohttp import web

from bot.store import analytics
from bot.store import search as order_search
from bot.core.catalog import Product, load_catalog
from bot.core.life import OrderStatus
from bot.core.pricing import quote as price_of
from bot.core.rules import valid_values, violations
from bot.core.values import display_value
from bot.store.models import Order, OrderStatusChange
from bot.store.orders import NewOrder, OrderStore
from bot.local import DEMO_CATALOG, free_port
from bot.server import create_app
from bot.settings import Settings

STAFF_NAME = "bench"
STAFF_PASSWORD = "benchmark password 1"
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


def bot_event(at: float, text: str, buttons: Optional[list] = None) -> Dict[str, Any]:
    return {"event": "bot", "timestamp": at, "metadata": {}, "text": text,
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

    def turn(text: str, intent: str, reply: str, action: str, confidence: float = 0.93) -> None:
        nonlocal at
        at += rng.uniform(4, 40)
        events.append(user_event(at, text, intent, confidence))
        events.append(action_event(at + 0.05, action))
        events.append(bot_event(at + 0.06, reply))
        events.append(action_event(at + 0.07, "action_listen"))

    if rng.random() < 0.5:
        turn("hi", "greet", "Hello! What would you like us to make?", "action_list_products")
    turn(f"I'd like a {product.name.lower()}", "order_product", f"Great, let's put together your {product.name}.",
         "action_start_order")
    events.append(slot_event(at + 0.05, "product", product.id))
    for _ in range(not_understood):
        turn(rng.choice(["asdf", "hmm what", "🙂", "the blue one maybe"]), "nlu_fallback",
             "Sorry, I didn't get that.", "validate_order_form", confidence=0.31)
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
        price_lines=[{"label": line["label"], "amount": str(line["amount"])} for line in priced.lines],
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


# ---------------------------------------------------------------------------- the web app


@contextlib.contextmanager
def environment(values: Dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class WebAppThread:
    """bot.server's app (widget and staff console) on 127.0.0.1, in its own thread and event loop."""

    def __init__(self) -> None:
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="staff-bench-web", daemon=True)
        self.ready = threading.Event()
        self.error: Optional[BaseException] = None
        self.routes: List[str] = []

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            settings = replace(Settings.from_env(), host="127.0.0.1", web_port=self.port, rasa_port=9,
                               rasa_token="bench")
            app = create_app(settings)
            self.routes = [resource.canonical for resource in app.router.resources()]
            self.runner = web.AppRunner(app, shutdown_timeout=1, access_log=None)
            self.loop.run_until_complete(self.runner.setup())
            self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        except Exception as error:  # noqa: BLE001 - reported by start()
            self.error = error
            self.ready.set()
            return
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.runner.cleanup())
        self.loop.close()

    def start(self) -> "WebAppThread":
        self.thread.start()
        if not self.ready.wait(60):
            raise RuntimeError("the web app did not start within 60 s")
        if self.error is not None:
            raise RuntimeError(f"the web app did not start: {self.error!r}") from self.error
        return self

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(30)

    def has_route(self, prefix: str) -> bool:
        return any(route == prefix or route.startswith(prefix) for route in self.routes)


@dataclass
class Page:
    name: str
    path: str
    route: str  # the route the page needs (skipped when the app has none)
    api: bool = False
    first_ms: Optional[float] = None
    median_ms: Optional[float] = None
    max_ms: Optional[float] = None
    status: Optional[int] = None
    size: Optional[int] = None
    note: str = ""


def pages_for(data: Generated) -> List[Page]:
    per_page = order_search.DEFAULT_PER_PAGE
    deep = max(1, (data.orders // per_page) * 3 // 4)
    since = (datetime.now(timezone.utc) - timedelta(days=30)).date().isoformat()
    return [
        Page("dashboard (30 days)", "/staff/", "/staff/"),
        Page("dashboard (90 days)", "/staff/?days=90", "/staff/"),
        Page("orders: first page", "/staff/orders", "/staff/orders"),
        Page("orders: filtered (status, product, dates)", f"/staff/orders?status=shipped&product=custom_pc&from={since}",
             "/staff/orders"),
        Page(f"orders: search \"{data.search}\"", f"/staff/orders?q={quote(data.search)}", "/staff/orders"),
        Page(f"orders: deep page ({deep})", f"/staff/orders?page={deep}", "/staff/orders"),
        Page("order page", f"/staff/orders/{data.order_number}", "/staff/orders/{"),
        Page("orders CSV export (all)", "/staff/orders.csv", "/staff/orders.csv"),
        Page("conversations: first page", "/staff/conversations", "/staff/conversations"),
        Page("transcript", f"/staff/conversations/{quote(data.conversation_id, safe='')}", "/staff/conversations/{"),
        Page("queue", "/staff/queue", "/staff/queue"),
        Page("API: /api/orders", "/api/orders", "/api/orders", api=True),
    ]


async def sign_in(session: aiohttp.ClientSession, base: str) -> None:
    async with session.get(f"{base}/staff/sign-in") as response:
        page = await response.text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("the sign-in page has no CSRF token")
    data = {"name": STAFF_NAME, "password": STAFF_PASSWORD, "csrf_token": token.group(1), "next": "/staff/"}
    async with session.post(f"{base}/staff/sign-in", data=data, allow_redirects=False) as response:
        if response.status != 303:
            raise RuntimeError(f"signing in answered {response.status}: {(await response.text())[:300]}")


async def load(session: aiohttp.ClientSession, url: str, headers: Dict[str, str]) -> Tuple[float, int, int]:
    started = time.perf_counter()
    async with session.get(url, headers=headers, allow_redirects=False) as response:
        body = await response.read()
    return (time.perf_counter() - started) * 1000, response.status, len(body)


def index_catch_up() -> Optional[float]:
    """Seconds to bring the conversations index fully up to date (None: no index yet)."""
    try:
        from bot.staff.conversations.index import refresh_index
    except ImportError:
        return None
    settings = Settings.from_env()
    store = OrderStore(settings.database_url)
    started = time.monotonic()
    try:
        refresh_index(store, settings.tracker_database_url)
    finally:
        store.dispose()
    return time.monotonic() - started


async def measure(base: str, pages: List[Page], loads: int, token: str, server: WebAppThread) -> float:
    """Loads every page; returns the first dashboard load in ms. The first dashboard load
    starts the conversations index (for a limited time); the rest is read before the
    other loads and its time reported."""
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as session:
        await sign_in(session, base)
        first_dashboard = None
        for page in pages:
            if not server.has_route(page.route):
                page.note = "skipped: the page does not exist yet"
                continue
            headers = {"Authorization": f"Bearer {token}"} if page.api else {}
            first, page.status, page.size = await load(session, base + page.path, headers)
            page.first_ms = round(first, 1)
            if first_dashboard is None and page.route == "/staff/":
                first_dashboard = page.first_ms
                catch_up = await asyncio.to_thread(index_catch_up)
                if catch_up is not None:
                    page.note = f"then {catch_up:,.1f} s to read the rest of the conversations"
            times = []
            for _ in range(loads):
                elapsed, status, _size = await load(session, base + page.path, headers)
                times.append(elapsed)
                if status != page.status:
                    page.note = f"answered {page.status} then {status}"
            if times:
                page.median_ms = round(statistics.median(times), 1)
                page.max_ms = round(max(times), 1)
    return first_dashboard or 0.0


@dataclass
class Result:
    orders: int
    conversations: int
    events: int
    drafts: int
    rejections: int
    generation_s: float
    loads: int
    first_dashboard_ms: float
    pages: List[Dict[str, Any]] = field(default_factory=list)


def run(orders: int = 10000, conversations: int = 50000, loads: int = 5, folder: Optional[Path] = None,
        seed: int = 7) -> Result:
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bespoke-staff-bench-")))
        data = generate(folder, orders, conversations, seed)
        store = OrderStore(data.database_url)
        from bot.staff.accounts import StaffAccounts

        accounts = StaffAccounts(store)
        accounts.add(STAFF_NAME, STAFF_PASSWORD)
        token = accounts.create_token(STAFF_NAME)
        store.dispose()
        stack.enter_context(environment({
            "BESPOKE_DATA_DIR": str(folder), "DATABASE_URL": data.database_url,
            "TRACKER_DATABASE_URL": data.tracker_url, "BESPOKE_SECRET_KEY": secrets.token_urlsafe(32),
        }))
        server = WebAppThread().start()
        stack.callback(server.stop)
        pages = pages_for(data)
        first = asyncio.run(measure(f"http://127.0.0.1:{server.port}", pages, loads, token, server))
        return Result(orders, conversations, data.events, data.drafts, data.rejections, data.seconds, loads, first,
                      [asdict(page) for page in pages])


def table(result: Result) -> str:
    lines = [
        (f"{result.orders:,} orders, {result.conversations:,} conversations ({result.events:,} tracker events), "
         f"{result.drafts:,} orders in progress, {result.rejections:,} refused answers; generated in "
         f"{result.generation_s} s"),
        f"first dashboard load (starts reading the conversations into the index): {result.first_dashboard_ms:,.0f} ms",
        "",
        f"{'page':44} {'status':>6} {'first ms':>9} {'median ms':>10} {'max ms':>8} {'size':>10}",
    ]
    for page in result.pages:
        if page["status"] is None:
            lines.append(f"{page['name']:44} {page['note']}")
            continue
        lines.append(f"{page['name']:44} {page['status']:>6} {page['first_ms']:>9,.1f} {page['median_ms'] or 0:>10,.1f} "
                     f"{page['max_ms'] or 0:>8,.1f} {page['size']:>10,}" + (f"  {page['note']}" if page["note"] else ""))
    lines.append(f"(median and max of {result.loads} loads after the first)")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.staff_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10000)
    parser.add_argument("--conversations", type=int, default=50000)
    parser.add_argument("--loads", type=int, default=5, help="loads of each page after the first (default 5)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="generate into this (empty) folder and keep it")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    result = run(args.orders, args.conversations, args.loads, args.keep, args.seed)
    print(json.dumps(asdict(result), indent=2) if args.json else table(result))
    failed = [page["name"] for page in result.pages if page["status"] not in (None, 200)]
    if failed:
        print(f"pages that did not answer 200: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
