"""Rasa's tracker store on PostgreSQL (issue 11; every other end-to-end test uses SQLite): the
bot with TRACKER_DATABASE_URL on the local PostgreSQL, in a database of its own made by the
test and dropped after it, takes a whole order over REST; the order is stored; Rasa's events
are in that database's events table; and the staff console's conversation list and
transcript, which read that table, show the conversation.

Skipped when PostgreSQL cannot be reached, failing under CI=true (tests/support/services.py)."""

from __future__ import annotations

import json
import uuid
from typing import Iterator

import pytest
import requests
from sqlalchemy import create_engine, text

from bot.local import BotServers
from tests.e2e.test_e2e_hardening import signed_in
from tests.support.replies import texts
from tests.support.services import postgres_database

PC = ["hi", "I need a gaming PC", "the 7800X3D", "32 GB DDR5", "2TB SSD", "RTX 4070 Super", "mid tower", "win 11"]
CONTACT = ["Jana Nováková", "jana@example.cz", "Vinohradská 12, 120 00 Praha"]


@pytest.fixture(scope="module")
def tracker_url() -> Iterator[str]:
    with postgres_database("bespoke_tracker") as url:
        yield url


@pytest.fixture(scope="module")
def postgres_bot(trained_model, tracker_url, tmp_path_factory) -> Iterator[BotServers]:
    servers = BotServers(tmp_path_factory.mktemp("pg-tracker"), extra_env={"TRACKER_DATABASE_URL": tracker_url})
    servers.start()
    try:
        yield servers
    finally:
        servers.stop()


def test_a_whole_order_with_rasas_tracker_on_postgresql(postgres_bot, tracker_url):
    bot = postgres_bot
    sender = f"pg-tracker-{uuid.uuid4().hex[:8]}"
    replies = [texts(reply) for reply in bot.converse(sender, PC + ["yes", *CONTACT])]
    assert "Total: €1,622.00" in replies[len(PC) - 1]
    [order] = bot.orders_of(sender)
    assert order["number"] in replies[-1]
    assert order["options"] == {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb",
                                "graphics": "rtx_4070_super", "case": "mid_tower", "os": "windows_11_home"}
    assert (order["total"], order["customer_name"], order["customer_address"]) == ("1622.00", *CONTACT[::2])
    assert not (bot.data_dir / "tracker.db").exists()  # not the SQLite default

    # Rasa's events are in the test's PostgreSQL database, every message of the customer's.
    engine = create_engine(tracker_url, future=True)
    try:
        with engine.connect() as connection:
            said = connection.execute(text(
                "SELECT data FROM events WHERE sender_id = :sender AND type_name = 'user' ORDER BY id"),
                {"sender": sender}).scalars().all()
    finally:
        engine.dispose()
    assert [json.loads(data)["text"] for data in said] == PC + ["yes", *CONTACT]

    # The staff console reads them there: the list and the transcript show the conversation.
    staff = signed_in(bot)
    listing = staff.get(f"{bot.web_url}/staff/conversations", timeout=120)
    assert listing.status_code == 200 and sender in listing.text
    transcript = staff.get(f"{bot.web_url}/staff/conversations/{sender}", timeout=120)
    assert transcript.status_code == 200
    for message in ["I need a gaming PC", "RTX 4070 Super", "Jana Nováková", order["number"]]:
        assert message in transcript.text, message


def test_a_sender_too_long_for_the_tracker_is_refused_not_lost(postgres_bot, tracker_url):
    sender = "too-long-" + "x" * 300
    response = requests.post(postgres_bot.rest_url, json={"sender": sender, "message": "hi"},
                             timeout=60)
    engine = create_engine(tracker_url, future=True)
    try:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM events WHERE sender_id LIKE 'too-long-%'")).scalar()
    finally:
        engine.dispose()
    assert response.status_code == 400 and "at most 255" in response.json()["message"], response.text
    assert stored == 0
