"""The dashboard: figures checked against a small hand-made shop, charts without scripts,
the period selector; and a small run of bench.staff_bench (every staff page answers 200)."""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Dict, List, Optional

import pytest
from sqlalchemy import update

from bot.core.refusals import Refusal, RefusalReason
from bot.store import analytics
from bot.store.models import Order
from bot.store.orders import NewOrder, OrderStore
from bench import shop_data, staff_bench
from tests.support.services import postgres_schema
from tests.support.staff import add_staff, sign_in, staff_client, staff_environment


# The dashboard's clock (analytics.utcnow) is frozen 20 minutes after midnight UTC: "today"
# has barely begun, the hour that broke figures computed from the real clock.
NOW = datetime(2026, 12, 2, 0, 20, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(analytics, "utcnow", lambda: NOW)
    return NOW


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, monkeypatch, tmp_path):
    """The staff console's order database on SQLite, and on PostgreSQL (the production
    setting), where the per-day figures use its own date functions."""
    staff_environment(monkeypatch, tmp_path)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bespoke.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("DATABASE_URL", url)
    store = OrderStore(url)
    store.migrate()
    add_staff(store)
    yield store
    store.dispose()


@pytest.fixture
def postgres_url():
    with postgres_schema("test_dash") as url:
        yield url


@pytest.fixture
async def client(store):
    client = await staff_client()
    await sign_in(client)
    yield client
    await client.close()


def place(store, conversation: str, total: Optional[str], created: datetime, status: str = "received",
          draft_id: Optional[str] = None) -> str:
    new = NewOrder(
        draft_id=draft_id or f"draft-{conversation}", conversation_id=conversation,
        kind="order" if total else "quote_request", product_id="custom_pc", product_name="Custom PC",
        options={}, option_details=[], derived_parts=[], price_lines=[],
        total=Decimal(total) if total else None, currency="EUR", lead_time_days=10,
        customer_name="Jane Doe", customer_email="jane@example.com", customer_address="1 Main Street, Dublin",
    )
    number = store.place_order(new)["number"]
    with store.sessions.begin() as session:
        session.execute(update(Order).where(Order.number == number).values(created_at=created, status=status))
    return number


def conversation(sender: str, started: datetime, turns: int) -> List[Dict[str, Any]]:
    at = started.timestamp()
    events = [shop_data.action_event(at, "action_listen")]
    for turn in range(turns):
        at += 10
        events += [shop_data.user_event(at, f"message {turn}", "inform", 0.9),
                   shop_data.action_event(at + 1, "order_form"), shop_data.bot_event(at + 1, "OK."),
                   shop_data.action_event(at + 1, "action_listen")]
    return events


@pytest.fixture
def shop(store, tmp_path):
    """Five orders (one 40 days ago), seven orders in progress, four refused answers, ten conversations."""
    now = NOW
    today = datetime.combine(now.date(), time(0, 0, 1), tzinfo=timezone.utc)
    place(store, "web:c1", "1000.00", today)
    place(store, "web:c2", "234.50", today)
    place(store, "web:c3", None, today)  # a quote request
    place(store, "web:c4", "100.00", now - timedelta(days=2), status="cancelled")
    place(store, "web:c5", "500.00", now - timedelta(days=40))
    for sender in ("web:c1", "web:c2"):
        analytics.record_question(store, sender, f"draft-{sender}", "custom_pc", analytics.SUMMARY_QUESTION, 6,
                                  at=now - timedelta(hours=2))
    asked = [("web:c6", "memory", 1, 2), ("web:c7", "memory", 1, 1), ("web:c8", "cpu", 0, 3),
             ("web:c9", "os", 5, 0.05), ("web:c10", "graphics", 3, 2)]
    for sender, question, answered, hours in asked:
        analytics.record_question(store, sender, f"draft-{sender}", "custom_pc", question, answered,
                                  at=now - timedelta(hours=hours))
    analytics.record_outcome(store, "draft-web:c10", analytics.OUTCOME_CANCELLED, at=now - timedelta(hours=2))
    rule = Refusal("memory", RefusalReason.RULE, "AMD Ryzen processors (socket AM5) take DDR5 memory only.", "am5_takes_ddr5")
    for answer, minutes in (("16GB DDR4", 30), ("16GB DDR4", 20), ("ddr4 32", 10)):
        analytics.record_rejections(store, "web:c6", "draft-web:c6", "custom_pc", answer, [rule],
                                    at=now - timedelta(minutes=minutes))
    analytics.record_rejections(store, "web:c8", "draft-web:c8", "custom_pc", "<b>purple</b>",
                                [Refusal("cpu", RefusalReason.UNKNOWN_VALUE,
                                         'Sorry, "<b>purple</b>" is not one of our options.')],
                                at=now - timedelta(minutes=5))
    turns = {"web:c1": 6, "web:c2": 8, "web:c3": 4, "web:c4": 2}
    shop_data.write_events(f"sqlite:///{tmp_path / 'tracker.db'}", [
        (sender, conversation(sender, now - timedelta(days=40 if sender == "web:c5" else 3), turns.get(sender, 3)))
        for sender in (f"web:c{number}" for number in range(1, 11))
    ])
    return now


def section(page: str, element_id: str) -> str:
    """The text of the element with this id, tags removed, spaces collapsed."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:div|section)>', page, re.DOTALL)
    assert match, f"no #{element_id} on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


async def test_the_dashboard_shows_the_shop_at_a_glance(client, store, shop):
    response = await client.get("/staff/")
    assert response.status == 200
    page = await response.text()
    assert "1 quote request, 1 cancelled" in section(page, "kpi-orders")
    assert section(page, "kpi-orders").startswith("Orders 4 ")
    assert "€1,234.50" in section(page, "kpi-revenue")
    # c1-c4 and c6-c10 started in the period (c5 40 days ago); c1-c4 placed orders.
    conversion = section(page, "kpi-conversion")
    assert "44.4 %" in conversion and "4 of 9" in conversion
    assert "5.0" in section(page, "kpi-messages")  # (6 + 8 + 4 + 2) customer messages / 4 orders
    assert "3 of 7 started (42.9 %); 2 placed" in section(page, "kpi-gave-up")

    give_ups = section(page, "give-ups")
    assert "Custom PC: Memory 2 66.7 % 1.0" in give_ups and "Custom PC: CPU 1 33.3 % 0.0" in give_ups
    assert "Operating system" not in give_ups and "Graphics" not in give_ups  # still active; cancelled
    assert give_ups.index("Memory") < give_ups.index("CPU")

    refused = section(page, "rejections")
    assert "4 refused answers" in refused
    assert refused.index("Custom PC: Memory") < refused.index("Custom PC: CPU")
    assert "Custom PC: Memory does not fit the other choices (a product rule) 3" in refused
    assert "“ddr4 32” “16GB DDR4”" in refused and "take DDR5 memory only" in refused
    assert "&lt;b&gt;purple&lt;/b&gt;" in page and "<b>purple</b>" not in page


async def test_the_period_selector(client, store, shop):
    page = await (await client.get("/staff/?days=90")).text()
    assert section(page, "kpi-orders").startswith("Orders 5 ")
    assert "€1,734.50" in section(page, "kpi-revenue")
    assert '<option value="90" selected>' in page
    seven = await (await client.get("/staff/?days=7")).text()
    assert section(seven, "kpi-orders").startswith("Orders 4 ")
    bad = await client.get("/staff/?days=12")
    assert bad.status == 400
    text = await bad.text()
    assert "There is no period" in text and "choose 7, 30 or 90 days" in text and "Traceback" not in text
    assert section(text, "kpi-orders").startswith("Orders 4 ")


async def test_charts_are_inline_svg_without_scripts_with_a_table(client, store, shop):
    page = await (await client.get("/staff/")).text()
    svgs = re.findall(r"<svg\b.*?</svg>", page, re.DOTALL)
    assert len(svgs) == 2  # orders, revenue in EUR
    for svg in svgs:
        assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
        assert "<script" not in svg and "xlink:href" not in svg and not re.search(r"(?:href|src)=\"https?:", svg)
    assert '<title id="orders-chart-title">Orders per day</title>' in page
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert re.search(r"<th scope=\"row\">Wed 02 Dec 2026</th><td class=\"num\">3</td>", page)
    assert re.search(r"<th scope=\"row\">Wed 02 Dec 2026</th><td class=\"num\">€1,234.50</td>", page)


async def test_an_empty_shop_has_a_dashboard_too(client):
    response = await client.get("/staff/")
    assert response.status == 200
    page = await response.text()
    assert "No unfinished orders in this period." in page and "No refused answers in this period." in page


def test_the_staff_bench_loads_every_page(tmp_path):
    result = staff_bench.run(orders=300, conversations=1000, loads=1, folder=tmp_path)
    pages = {page["name"]: page for page in result.pages}
    assert pages["dashboard (30 days)"]["status"] == 200
    assert len(result.pages) == 12  # every page of bench.staff_bench: none left out
    for page in result.pages:
        assert page["status"] == 200, page  # every page's feature exists: none may be skipped
    assert result.events >= 10 * 1000 and result.first_dashboard_ms > 0
