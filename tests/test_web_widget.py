"""The web chat widget in a real browser (Debian's Chromium through Playwright) against the
real servers: the web server started by `bespoke run`, Rasa and the action server."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.local import ROOT, free_port
from bot.web.server import TokenBuckets, WebSettings, create_app, parse_limit
from tests.conftest import services_required

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts" / "web"
CONTACT = ["Anna Schmidt", "anna.schmidt@example.com", "Hauptstrasse 12, 10115 Berlin"]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]



@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists() and not services_required():
        pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed; `apt-get install chromium` (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_shop(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".bespoke-chat[data-ready='true']", state="attached")


def sender_of(page, server: str) -> str:
    return page.evaluate("key => localStorage.getItem(key)", f"bespoke-chat:sender:{server}")


def wait_idle(page) -> None:
    page.wait_for_function("!document.querySelector('.bespoke-chat').classList.contains('bespoke-busy')", timeout=60_000)


def user_count(page) -> int:
    return page.locator(".bespoke-user").count()


def say(page, text: str) -> None:
    before = user_count(page)
    page.fill(".bespoke-input", text)
    page.press(".bespoke-input", "Enter")
    wait_idle(page)
    assert user_count(page) == before + 1
    assert page.locator(".bespoke-notice").is_hidden(), page.inner_text(".bespoke-notice")


def click_choice(page, title_pattern: str, how: str = "click") -> str:
    """Click a choice of the bot's latest buttons; the title shown as the customer's message."""
    before = user_count(page)
    button = page.locator(".bespoke-choice:enabled").filter(has_text=re.compile(title_pattern, re.I)).last
    title = button.inner_text()
    if how == "dblclick":
        button.dblclick()
    elif how == "keyboard":
        button.focus()
        page.keyboard.press("Enter")
    else:
        button.click()
    wait_idle(page)
    assert user_count(page) == before + 1, "one click, one message"
    assert page.locator(".bespoke-user .bespoke-text").last.inner_text().startswith(title)
    assert page.locator(".bespoke-notice").is_hidden(), page.inner_text(".bespoke-notice")
    return title


def last_bot_text(page) -> str:
    return page.locator(".bespoke-bot .bespoke-text").last.inner_text()


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
    yes = page.locator(".bespoke-choice:enabled").filter(has_text=re.compile(r"^yes", re.I))
    if yes.count():
        click_choice(page, "^yes")
    else:
        say(page, "yes")
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
    response = requests.post(f"{bot.web_url}/api/messages", json={"sender": sender_of(page, bot.web_url), "message": text}, timeout=10)
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
    page.click(".bespoke-restart")
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
    assert "can't reach" in notice.inner_text()
    page.fill(".bespoke-input", "I need a gaming PC")
    page.press(".bespoke-input", "Enter")
    wait_idle(page)
    notice.wait_for(state="visible")
    assert "not lost" in notice.inner_text()
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
    process = subprocess.Popen([sys.executable, "-m", "bot.web"], cwd=ROOT, env=env,
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


# --- the web server's rate limits and retries, with aiohttp's test client ----------------------


class RecordingRasa:
    """A fake Rasa REST channel in the test's event loop: answers each message, remembers them."""

    def __init__(self):
        self.received: list = []
        self.app = web.Application()
        self.app.router.add_post("/webhooks/rest/webhook", self.webhook)
        self.server = TestServer(self.app, host="127.0.0.1")

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        return web.json_response([{"recipient_id": body["sender"], "text": f"You said: {body['message']}"}])


@contextlib.asynccontextmanager
async def web_app_with_fake_rasa(**settings):
    """The web app on a test server in front of a RecordingRasa; yields (rasa, client)."""
    rasa = RecordingRasa()
    await rasa.server.start_server()
    options = {"staff": False} if "staff" in WebSettings.__dataclass_fields__ else {}
    app = create_app(WebSettings(rasa_url=str(rasa.server.make_url("")).rstrip("/"), timeout_s=5, **options, **settings))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield rasa, client
    finally:
        await client.close()
        await rasa.server.close()


def run_async(test):
    """Runs an async test in its own thread and event loop: the module's Playwright (sync API)
    keeps an event loop running in this thread, so pytest-asyncio's could not run here."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, test()).result(timeout=120)


SENDER_A = "web:aaaaaaaa-0000-4000-8000-000000000001"
SENDER_B = "web:bbbbbbbb-0000-4000-8000-000000000002"


def test_token_buckets_allow_a_burst_then_the_rate():
    buckets = TokenBuckets(burst=3, rate=0.5)
    for _ in range(3):
        assert buckets.wait("a", now=100.0) == 0
        buckets.take("a", now=100.0)
    assert buckets.wait("a", now=100.0) == pytest.approx(2.0)  # one more every 2 s
    assert buckets.wait("a", now=101.0) == pytest.approx(1.0)
    assert buckets.wait("a", now=102.0) == 0
    assert buckets.wait("b", now=100.0) == 0  # every key has its own
    assert parse_limit("", (20, 1.0)) == (20, 1.0)
    assert parse_limit("10,2", (20, 1.0)) == (10.0, 2.0)
    assert parse_limit("off", (20, 1.0)) is None
    settings = WebSettings.from_env({"BESPOKE_WEB_LIMIT_SENDER": "5,0.5", "BESPOKE_WEB_LIMIT_ADDRESS": "off"})
    assert (settings.sender_limit, settings.address_limit) == ((5.0, 0.5), None)
    assert WebSettings.from_env({}).sender_limit == (20, 1.0)


def test_messages_over_the_limit_get_429_with_retry_after():
    run_async(over_the_limit)


async def over_the_limit():
    async with web_app_with_fake_rasa(sender_limit=(3, 0.2), address_limit=(5, 0.2)) as (rasa, client):
        for n in range(3):
            response = await client.post("/api/messages", json={"sender": SENDER_A, "message": f"a{n}"})
            assert response.status == 200
        response = await client.post("/api/messages", json={"sender": SENDER_A, "message": "too many"})
        assert response.status == 429
        assert int(response.headers["Retry-After"]) in (4, 5)  # one message every 5 s
        body = await response.json()
        assert body["error"] == "rate_limited" and "wait" in body["message"]
        # Another conversation from the same address: two more, then the address's limit.
        for n in range(2):
            assert (await client.post("/api/messages", json={"sender": SENDER_B, "message": f"b{n}"})).status == 200
        response = await client.post("/api/messages", json={"sender": SENDER_B, "message": "b2"})
        assert response.status == 429
        # Behind a reverse proxy on this machine, each browser's address counts, not the proxy's.
        proxied = {"X-Forwarded-For": "203.0.113.7"}
        sender_c = "web:cccccccc-0000-4000-8000-000000000003"
        assert (await client.post("/api/messages", json={"sender": sender_c, "message": "c"}, headers=proxied)).status == 200
        assert [body["message"] for body in rasa.received] == ["a0", "a1", "a2", "b0", "b1", "c"]  # refused: not sent


def test_limits_can_be_off():
    run_async(limits_off)


async def limits_off():
    async with web_app_with_fake_rasa(sender_limit=None, address_limit=None) as (rasa, client):
        for n in range(30):
            assert (await client.post("/api/messages", json={"sender": SENDER_A, "message": f"m{n}"})).status == 200
        assert len(rasa.received) == 30


def test_a_message_sent_again_with_its_id_reaches_rasa_once_and_the_language_goes_along():
    run_async(sent_again)


async def sent_again():
    async with web_app_with_fake_rasa() as (rasa, client):
        message = {"sender": SENDER_A, "message": "hello", "id": "3f2a9c1e-7b7d-4a52-9f00-1c1b2a3d4e5f", "lang": "de"}
        first = await client.post("/api/messages", json=message)
        again = await client.post("/api/messages", json=message)
        assert first.status == again.status == 200
        assert (await first.json())["messages"][0]["text"] == (await again.json())["messages"][0]["text"] == "You said: hello"
        other = await client.post("/api/messages", json={**message, "id": "another-id-0001", "lang": "not a language"})
        assert other.status == 200
        assert [(body["message"], body["metadata"]) for body in rasa.received] == [
            ("hello", {"language": "de"}), ("hello", {})]
        too_long = await client.post("/api/messages", json={"sender": SENDER_A, "message": "x" * 2001})
        assert too_long.status == 413 and (await too_long.json())["limit"] == 2000
