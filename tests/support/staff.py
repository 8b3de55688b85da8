"""Helpers for the staff console tests: a web server app on a fresh SQLite database with a
signed-in staff client; Rasa's events table written the way Rasa writes it; orders in every
status, spread over days, people and products."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy import update
from aiohttp.test_utils import TestClient, TestServer

from bot.core.life import OrderStatus
from bot.staff.conversations import listing
from bot.store.models import Order
from bot.store.orders import NewOrder, OrderStore
from bot.staff.accounts import StaffAccounts
from bot.server import create_app
from bot.settings import Settings
from bot.local import free_port
from tests.support.fake_rasa import FakeRasa, WebServer
from tests.support.orders import new_order

STAFF_NAME = "alice"
STAFF_PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def staff_environment(monkeypatch, tmp_path: Path) -> OrderStore:
    """Point the settings at tmp_path and return its migrated order store."""
    monkeypatch.setenv("BESPOKE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bespoke.db'}")
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    monkeypatch.delenv("BESPOKE_SECRET_KEY", raising=False)
    store = OrderStore(f"sqlite:///{tmp_path / 'bespoke.db'}")
    store.migrate()
    return store


def add_staff(store: OrderStore, name: str = STAFF_NAME, password: str = STAFF_PASSWORD) -> None:
    StaffAccounts(store).add(name, password)


@contextlib.contextmanager
def serving_shop(monkeypatch, tmp_path: Path, **settings: Any) -> Iterator[Tuple[WebServer, OrderStore]]:
    """The whole web server (widget, staff console, notices) on its own port in front of a
    fake Rasa, for the browser tests, with its store (a staff account in it)."""
    store = staff_environment(monkeypatch, tmp_path)
    add_staff(store)
    rasa = FakeRasa(free_port()).start()
    server = WebServer(settings=replace(Settings.from_env(), rasa_port=rasa.port, **settings),
                       app_factory=create_app).start()
    try:
        yield server, store
    finally:
        server.stop()
        rasa.stop()
        store.dispose()


async def staff_client(rasa_url: str = "http://127.0.0.1:9", rasa_token: str = "token") -> TestClient:
    """A test client on the web server's app (staff console included)."""
    app = create_app(replace(Settings.from_env(), rasa_port=urlsplit(rasa_url).port, rasa_token=rasa_token))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


def csrf_of(page: str) -> str:
    match = CSRF_FIELD.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def sign_in(client: TestClient, name: str = STAFF_NAME, password: str = STAFF_PASSWORD,
                  next_path: Optional[str] = None) -> Dict[str, object]:
    """Sign in through the form, as a browser would; returns status and location."""
    page = await client.get("/staff/sign-in")
    token = csrf_of(await page.text())
    response = await client.post(
        "/staff/sign-in",
        data={"name": name, "password": password, "csrf_token": token, "next": next_path or "/staff/"},
        allow_redirects=False,
    )
    return {
        "status": response.status,
        "location": response.headers.get("Location"),
        "text": await response.text(),
        "set_cookie": response.headers.getall("Set-Cookie", []),
    }


async def page_csrf(client: TestClient, path: str = "/staff/") -> str:
    """The CSRF token a signed-in page carries (for POSTing forms)."""
    response = await client.get(path)
    assert response.status == 200, await response.text()
    return csrf_of(await response.text())


# ---------------------------------------------------------------------------- Rasa's events

# Rasa's metadata of the bot event of the domain's utter_default ("Sorry, I didn't understand that.").
FALLBACK_REPLY = {"utter_action": "utter_default"}
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc).timestamp()


class Tracker:
    """Rasa's events table (created with Rasa's own SQLTrackerStore model) in a SQLite file,
    written the way Rasa writes it."""

    def __init__(self, path: Path):
        from rasa.core.tracker_store import SQLTrackerStore

        self.url = f"sqlite:///{path}"
        self.engine = sa.create_engine(self.url, future=True)
        SQLTrackerStore.Base.metadata.create_all(self.engine)
        self.table = SQLTrackerStore.SQLEvent.__table__
        self.clock = T0

    def add(self, sender: str, event: Dict[str, Any], at: Optional[float] = None, id: Optional[int] = None) -> None:
        self.clock = at if at is not None else self.clock + 1
        event = {**event, "timestamp": self.clock}
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        values = {"sender_id": sender, "type_name": event["event"], "timestamp": self.clock, "intent_name": intent,
                  "action_name": event.get("name"), "data": json.dumps(event)}
        with self.engine.begin() as connection:
            connection.execute(self.table.insert().values(**values, **({"id": id} if id else {})))

    def user(self, sender: str, text: str, intent: str = "inform", confidence: float = 0.9,
             metadata: Optional[Dict[str, Any]] = None, at: Optional[float] = None) -> None:
        self.add(sender, {"event": "user", "text": text, "metadata": metadata or {}, "parse_data": {
            "intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text}}, at)

    def bot(self, sender: str, text: str, buttons=None, staff: Optional[str] = None,
            metadata: Optional[Dict[str, Any]] = None) -> None:
        """A bot message; `metadata` as Rasa stores it: NOT_UNDERSTOOD from the actions,
        FALLBACK_REPLY for the domain's "not understood" response."""
        metadata = {**(metadata or {}), **({"staff": staff} if staff else {})}
        self.add(sender, {"event": "bot", "text": text, "metadata": metadata, "data": {"buttons": buttons, "image": None}})

    def action(self, sender: str, name: str) -> None:
        self.add(sender, {"event": "action", "name": name})

    def slot(self, sender: str, name: str, value: Any) -> None:
        self.add(sender, {"event": "slot", "name": name, "value": value})

    def simple(self, sender: str, at: float, text: str = "hello", intent: str = "greet") -> None:
        """A session start and one exchange."""
        self.add(sender, {"event": "action", "name": "action_session_start"}, at)
        self.add(sender, {"event": "session_started"})
        self.user(sender, text, intent)
        self.action(sender, "action_list_products")
        self.bot(sender, "Hello! What would you like?")
        self.action(sender, "action_listen")

    def rows(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(self.table)).scalar_one()



def summary(store: OrderStore, conversation_id: str) -> Dict[str, Any]:
    found = listing.summary_of(store, conversation_id)
    assert found is not None, f"{conversation_id} is not indexed"
    return found



def conversation_order(conversation_id: str, name: str = "Ada Lovelace") -> NewOrder:
    return NewOrder(
        draft_id=uuid.uuid4().hex, conversation_id=conversation_id, kind="order", product_id="custom_pc",
        product_name="Custom PC", options={"memory": "ddr5_32gb"},
        option_details=[{"id": "memory", "name": "Memory", "value": "ddr5_32gb", "label": "32 GB DDR5", "unit": None}],
        derived_parts=[], price_lines=[{"label": "Base", "amount": Decimal("100.00")}], total=Decimal("100.00"),
        currency="EUR", lead_time_days=7, customer_name=name, customer_email="ada@example.org",
        customer_address="12 Analytical Row, London",
    )



def pc_conversation(tracker: Tracker, sender: str) -> None:
    tracker.add(sender, {"event": "action", "name": "action_session_start"}, T0)
    tracker.add(sender, {"event": "session_started"})
    tracker.user(sender, "I need a gaming PC", "order_product", 0.99)
    tracker.action(sender, "action_start_order")
    tracker.slot(sender, "product", "custom_pc")
    tracker.slot(sender, "selections", {})
    tracker.bot(sender, "(2/6) How much memory (RAM) would you like?",
                buttons=[{"title": "32 GB DDR5 (+€109.00)", "payload": '/inform{"choice":"ddr5_32gb"}'}])
    tracker.user(sender, "<script>alert(1)</script> zzz", "nlu_fallback", 0.21)
    tracker.action(sender, "order_form")
    tracker.slot(sender, "failures", {"memory": 1})
    tracker.bot(sender, 'Sorry, "zzz" is not one of our memory options.')
    tracker.user(sender, '/inform{"choice":"ddr5_32gb"}', "inform", 1.0)
    tracker.action(sender, "order_form")
    tracker.slot(sender, "selections", {"memory": "ddr5_32gb"})
    tracker.slot(sender, "failures", {})
    tracker.bot(sender, "**Great**, 32 GB it is.")
    tracker.user(sender, "maybe the 64", "inform", 0.42)
    tracker.bot(sender, "Which one?")
    tracker.add(sender, {"event": "pause"})
    tracker.user(sender, "hello? a person please")
    tracker.bot(sender, "Hi, Alice here. How can I help?", staff="alice")
    tracker.add(sender, {"event": "resume"})



def count_text(page: str) -> str:
    """A list page's "1-50 of 120"."""
    match = re.search(r'<span class="count">([^<]*)</span>', page)
    assert match, "no count on the page"
    return match.group(1)


# ---------------------------------------------------------------------------- orders

PATH_TO = {  # the legal way from "received" to each status
    "received": [],
    "confirmed": ["confirmed"],
    "in_production": ["confirmed", "in_production"],
    "shipped": ["confirmed", "in_production", "shipped"],
    "delivered": ["confirmed", "in_production", "shipped", "delivered"],
    "cancelled": ["cancelled"],
}


def walk(store: OrderStore, number: str, status: str) -> Dict[str, Any]:
    order = store.get(number)
    for step in PATH_TO[status]:
        order = store.change_status(number, step, "grace", "no longer needed" if step == "cancelled" else None)
    return order


def set_created(store: OrderStore, number: str, moment: datetime) -> None:
    with store.sessions.begin() as session:
        session.execute(update(Order).where(Order.number == number).values(created_at=moment))


PEOPLE = [
    ("Ada Lovelace", "ada@example.org"), ("Grace Hopper", "grace@navy.example"),
    ("Alan Turing", "alan@bletchley.example"), ("Ünal Öztürk", "UNAL@example.com"),
    ("Katherine Johnson", "kj@nasa.example"), ("100% Percent_Co", "percent@example.com"),
]
PRODUCTS = [("oak_table", "Oak dining table"), ("custom_pc", "Custom PC"), ("conveyor", "Conveyor")]
START = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def make_orders(store: OrderStore, count: int = 36) -> List[Dict[str, Any]]:
    """count orders, one a day from START (the last ones at the very start and end of a day),
    spread over people, products and statuses; some are quote requests."""
    made = []
    for index in range(count):
        name, email = PEOPLE[index % len(PEOPLE)]
        product_id, product_name = PRODUCTS[index % len(PRODUCTS)]
        quote = index % 7 == 3
        total = None if quote else Decimal(100 + (index * 37) % 900) + Decimal("0.50")
        order = store.place_order(new_order(
            conversation_id=f"web:conversation-{index}", product_id=product_id, product_name=product_name,
            customer_name=name, customer_email=email, kind="quote_request" if quote else "order", total=total,
            price_lines=[] if quote else [{"label": "Base price", "amount": total}],
        ))
        created = START + timedelta(days=index)
        set_created(store, order["number"], created)
        status = list(OrderStatus)[index % len(OrderStatus)]
        walk(store, order["number"], status)
        made.append(store.get(order["number"]))
    return made


def pc_order(**changes: Any):
    values: Dict[str, Any] = dict(  # noqa: C408 - reads like NewOrder's keywords
        conversation_id="web:abc 1/2", product_id="custom_pc", product_name="Custom PC",
        options={"memory": "ddr5_32gb", "storage": "ssd_1tb"},
        option_details=[
            {"id": "memory", "name": "Memory", "value": "ddr5_32gb", "label": "32 GB DDR5", "unit": None},
            {"id": "storage", "name": "Storage", "value": "ssd_1tb", "label": "1 TB NVMe", "unit": None},
            {"id": "height", "name": "Desk height", "value": 72.5, "label": "72.5 cm", "unit": "cm"},
        ],
        derived_parts=[{"id": "psu", "name": "Power supply", "value": "psu_750", "label": "750 W Gold",
                        "price": "95.00"}],
        price_lines=[{"label": "Base price", "amount": Decimal("1200.00")},
                     {"label": "Memory: 32 GB DDR5", "amount": Decimal("120.00")},
                     {"label": "Power supply: 750 W Gold", "amount": Decimal("95.00")}],
        total=Decimal("1415.00"), currency="EUR", lead_time_days=10,
        customer_name="Anna <b>Schmidt</b>", customer_email="anna@example.com",
        customer_address="Hauptstrasse 12\n10115 Berlin",
    )
    values.update(changes)
    return new_order(**values)
