"""The web chat widget in a real browser (Debian's Chromium through Playwright) against the
real servers: the web server started by `bespoke run` (python -m bot.server), Rasa and the
action server. The widget against a fake Rasa is test_web_widget_fake_rasa.py; the web
server's limits with aiohttp's test client, test_web_limits.py."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time

import pytest
import requests

from bot.local import ROOT, free_port
from tests.support.browser import (
    CONTACT, screenshot, open_shop, restart_and_wait, sender_of, wait_idle, user_count, say, click_choice,
    last_bot_text,
)


def test_custom_pc_ordered_by_clicking_buttons(bot, page):
    open_shop(page, bot.web_url)
    assert page.locator(".bespoke-panel").is_visible()  # data-open="true"
    say(page, "hi")
    welcome = page.locator(".bespoke-bot").last
    assert welcome.locator("strong", has_text="Custom PC").count() == 1  # **bold**
    assert welcome.locator(".bespoke-text br").count() >= 3  # line breaks
    assert welcome.locator("time").count() == 1
    click_choice(page, "^Custom PC$", how="dblclick")
    assert page.locator(".bespoke-user .bespoke-text").last.inner_text().startswith("Custom PC")
    steps = 0
    while "Total" not in page.locator(".bespoke-log").inner_text() and steps < 20:
        steps += 1
        enabled = page.locator(".bespoke-choice:enabled")
        assert enabled.count(), f"no buttons to click after: {last_bot_text(page)}"
        click_choice(page, re.escape(enabled.first.inner_text()) + "$", how="keyboard" if steps == 1 else "click")
    # Answered questions keep their buttons, disabled; only the latest can be chosen.
    assert page.locator(".bespoke-choice:disabled").count() >= 6
    screenshot(page, "order-summary")
    # The summary asks for confirmation with its buttons: "Yes, confirm" is pressed, not typed.
    yes = page.locator(".bespoke-choice:enabled").filter(has_text=re.compile(r"^yes", re.I))
    assert yes.count() == 1, last_bot_text(page)
    assert click_choice(page, "^yes").startswith("Yes")
    for line in CONTACT:
        say(page, line)
    done = last_bot_text(page)
    screenshot(page, "order-done")
    sender = sender_of(page, bot.web_url)
    assert sender.startswith("web:")
    [order] = bot.orders_of(sender)
    assert order["number"] in done
    assert order["product_id"] == "custom_pc"
    assert (order["customer_name"], order["customer_email"], order["customer_address"]) == tuple(CONTACT)


def test_a_message_over_2000_characters_gets_a_polite_notice(bot, page):
    open_shop(page, bot.web_url)
    text = "a" * 2001
    page.fill(".bespoke-input", text)
    page.press(".bespoke-input", "Enter")
    notice = page.locator(".bespoke-notice")
    notice.wait_for(state="visible")
    assert "too long" in notice.inner_text() and "2,000" in notice.inner_text()
    assert page.input_value(".bespoke-input") == text  # kept, to shorten
    assert user_count(page) == 0
    screenshot(page, "too-long")
    response = requests.post(f"{bot.web_url}/api/messages",
                             json={"sender": sender_of(page, bot.web_url), "message": text}, timeout=10)
    assert response.status_code == 413 and response.json()["error"] == "message_too_long"


def test_reload_mid_order_restores_the_conversation_at_360px(bot, browser):
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    try:
        open_shop(page, bot.web_url)
        say(page, "I'd like a shirt")
        fabric = click_choice(page, "^Twill")
        sender = sender_of(page, bot.web_url)
        before = page.locator(".bespoke-msg").count()
        page.reload()
        page.wait_for_selector(".bespoke-chat[data-ready='true']", state="attached")
        assert sender_of(page, bot.web_url) == sender
        assert page.locator(".bespoke-msg").count() == before
        users = page.locator(".bespoke-user .bespoke-text")
        assert users.nth(0).inner_text().startswith("I'd like a shirt")
        assert users.nth(1).inner_text().startswith(fabric)  # the button's title, not its payload
        assert "fit" in last_bot_text(page)
        assert page.locator(".bespoke-choice:enabled").count() == 3  # only the open question's
        # Usable at 360 px: the panel fits and nothing scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        box = page.locator(".bespoke-panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
        screenshot(page, "reloaded-360px")
        click_choice(page, "^Regular")
        assert "collar" in last_bot_text(page)
    finally:
        context.close()


def test_new_conversation_starts_empty_with_a_new_sender(bot, page):
    open_shop(page, bot.web_url)
    say(page, "hi")
    first = sender_of(page, bot.web_url)
    restart_and_wait(page)  # no order in progress: no question, a new conversation at once
    page.wait_for_selector(".bespoke-chat[data-ready='true']", state="attached")
    second = sender_of(page, bot.web_url)
    assert second != first and second.startswith("web:")
    assert page.locator(".bespoke-msg").count() == 0


def test_server_down_shows_a_notice_and_keeps_the_message(bot, page):
    closed = free_port()
    shop = f"{bot.web_url}/test-shop-with-server-down"  # same origin: Chromium blocks a public page loading from loopback
    page.route(shop, lambda route: route.fulfill(content_type="text/html", body=(
        "<!doctype html><html><head><title>Shop</title></head><body><h1>A shop</h1>"
        f'<script src="{bot.web_url}/widget.js" data-server="http://127.0.0.1:{closed}" '
        'data-title="Test shop" data-open="true"></script></body></html>'
    )))
    open_shop(page, shop)
    notice = page.locator(".bespoke-notice")
    assert notice.is_hidden()  # a new visitor's widget asks the server nothing before the first message
    page.fill(".bespoke-input", "I need a gaming PC")
    page.press(".bespoke-input", "Enter")
    wait_idle(page)
    notice.wait_for(state="visible")
    assert "can't reach" in notice.inner_text() and "not lost" in notice.inner_text()
    assert page.input_value(".bespoke-input") == "I need a gaming PC"
    assert page.locator(".bespoke-retry").is_visible()
    screenshot(page, "server-down")


@pytest.fixture
def web_alone(tmp_path):
    """The web server alone, with Rasa's port on a socket that never answers."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = free_port()
    env = {**os.environ, "BESPOKE_WEB_PORT": str(port), "BESPOKE_RASA_PORT": str(silent.getsockname()[1]),
           "BESPOKE_WEB_RASA_TIMEOUT": "1"}
    process = subprocess.Popen([sys.executable, "-m", "bot.server"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)  # polling while the server starts
        yield url, silent
    finally:
        process.terminate()
        process.wait(timeout=10)
        silent.close()


def test_api_checks_senders_and_reports_rasa_down_or_slow(web_alone):
    url, silent = web_alone
    sender = "web:0b7c1f9e-3a52-4c1e-9d1a-5b2f0c3e4d6f"
    for bad in ["", "me", "web:short", "web:" + "x" * 65, "web:../../status", 42]:
        response = requests.post(f"{url}/api/messages", json={"sender": bad, "message": "hi"}, timeout=10)
        assert response.status_code == 400 and response.json()["error"] == "bad_sender"
    assert requests.get(f"{url}/api/history", params={"sender": "web:a/b"}, timeout=10).status_code == 400
    slow = requests.post(f"{url}/api/messages", json={"sender": sender, "message": "hi"}, timeout=10)
    assert slow.status_code == 504 and slow.json()["error"] == "rasa_timeout"
    silent.close()
    down = requests.post(f"{url}/api/messages", json={"sender": sender, "message": "hi"}, timeout=10)
    assert down.status_code == 502 and down.json()["error"] == "rasa_unavailable"
    assert requests.get(f"{url}/api/history", params={"sender": sender}, timeout=10).status_code == 502
    for path, kind in [("/widget.js", "javascript"), ("/widget.css", "text/css"), ("/", "text/html")]:
        response = requests.get(f"{url}{path}", timeout=10)
        assert response.ok and kind in response.headers["Content-Type"]



def tracker_events(bot, sender: str) -> int:
    with sqlite3.connect(bot.data_dir / "tracker.db") as db:
        return db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def test_a_new_visitor_asks_rasa_nothing_and_stores_nothing(bot, page):
    history = []
    page.on("request", lambda request: history.append(request.url) if "/api/history" in request.url else None)
    open_shop(page, bot.web_url)
    sender = sender_of(page, bot.web_url)
    assert history == []  # no history asked for an id that has sent nothing
    assert tracker_events(bot, sender) == 0
    # Rasa's own tracker API with the SQL tracker store keeps nothing for an unknown id either
    # (it builds the new session in memory only), but it is a round trip to Rasa per page view.
    unknown = "web:never-sent-anything-0001"
    history_of_unknown = requests.get(f"{bot.web_url}/api/history", params={"sender": unknown}, timeout=30).json()
    assert history_of_unknown == {"messages": [], "paused": False, "order_in_progress": False}
    assert tracker_events(bot, unknown) == 0
    say(page, "hi")
    assert tracker_events(bot, sender) > 0
    page.reload()
    page.wait_for_selector(".bespoke-chat[data-ready='true']", state="attached")
    assert history  # now there is a conversation to show
    assert page.locator(".bespoke-user .bespoke-text").first.inner_text().startswith("hi")


