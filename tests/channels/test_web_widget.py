"""The web chat widget in a real browser (Debian's Chromium through Playwright): against the
real servers (the web server started by `bespoke run`, Rasa and the action server) and against a
fake Rasa in the test; and the web server's limits with aiohttp's test client."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import html
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.local import ROOT, free_port
from bot.channels.web.server import TokenBuckets, WebSettings, create_app, parse_limit
from tests.support.browser import (
    CONTACT, screenshot, open_shop, sender_of, wait_idle, user_count, say, click_choice, last_bot_text,
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
    process = subprocess.Popen([sys.executable, "-m", "bot.channels.web"], cwd=ROOT, env=env,
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


# --- the widget against a fake Rasa: languages, keyboard, images, slow and down, tabs ------

# A 2x2 PNG, so the browser has a real image to load.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73"
    "0000001049444154789c633861a301440c100a00235e04b16e037e1c"
    "0000000049454e44ae426082"
)


class FakeRasa:
    """Rasa's REST channel and tracker API as far as the web server uses them, on a given
    port, in a thread. It remembers every message it was given; `hold()` makes it keep its
    answers until `release()`."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.received: list = []  # (sender, message, metadata)
        self.conversations: dict = {}  # sender -> tracker events
        self.released = threading.Event()
        self.released.set()
        self.got_message = threading.Event()
        self.server = None

    def reply(self, sender: str, message: str) -> list:
        if "picture" in message:
            return [{"recipient_id": sender, "text": "Here is the case."},
                    {"recipient_id": sender, "image": f"{self.url}/case.png"}]
        if "colour" in message:
            return [{"recipient_id": sender, "text": "Which colour?", "buttons": [
                {"title": "Red", "payload": "/choose_red"}, {"title": "Blue", "payload": "/choose_blue"}]}]
        return [{"recipient_id": sender, "text": f"You said: {message}"}]

    def start(self) -> FakeRasa:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status: int, body, content_type: str = "application/json") -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                if self.path != "/webhooks/rest/webhook":
                    return self.answer(404, {})
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                sender, message = body["sender"], body["message"]
                fake.received.append((sender, message, body.get("metadata")))
                fake.got_message.set()
                fake.released.wait(timeout=60)  # held: answers only when the test says so
                replies = fake.reply(sender, message)
                events = fake.conversations.setdefault(sender, [])
                events.append({"event": "user", "text": message, "timestamp": time.time()})
                for item in replies:
                    data = {key: value for key, value in item.items() if key in ("buttons", "image")}
                    events.append({"event": "bot", "text": item.get("text"), "data": data, "timestamp": time.time()})
                self.answer(200, replies)

            def do_GET(self):
                if self.path == "/case.png":
                    return self.answer(200, PNG, "image/png")
                match = re.match(r"^/conversations/([^/?]+)/tracker", self.path)
                if not match:
                    return self.answer(404, {})
                sender = urllib.parse.unquote(match.group(1))
                self.answer(200, {"sender_id": sender, "events": fake.conversations.get(sender, [])})

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.released.set()
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def hold(self) -> None:
        self.released.clear()

    def release(self) -> None:
        self.released.set()

    def messages(self) -> list:
        return [message for _, message, _ in self.received]


class WebServer:
    """bot.channels.web's app in this process (a thread with its own event loop) on a free port."""

    def __init__(self, rasa_port: int, **settings):
        fields = WebSettings.__dataclass_fields__
        options = {"staff": False} if "staff" in fields else {}  # the widget's part only
        options.update(settings)
        self.settings = WebSettings(port=free_port(), rasa_url=f"http://127.0.0.1:{rasa_port}", timeout_s=1, **options)
        self.url = f"http://127.0.0.1:{self.settings.port}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.ready = threading.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        runner = web.AppRunner(create_app(self.settings))
        self.loop.run_until_complete(runner.setup())
        self.loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.settings.port).start())
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())
        self.loop.close()

    def start(self) -> WebServer:
        self.thread.start()
        assert self.ready.wait(timeout=30), "the web server did not start"
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)


@pytest.fixture
def fake_rasa():
    fake = FakeRasa(free_port()).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def widget_server(fake_rasa):
    server = WebServer(fake_rasa.port).start()
    try:
        yield server
    finally:
        server.stop()


def shop_page(page, server_url: str, path: str, **attributes: str) -> str:
    """A shop page on the web server's origin embedding the widget with these data-* attributes."""
    tag = " ".join(f'data-{name.replace("_", "-")}="{html.escape(value)}"' for name, value in attributes.items())
    url = f"{server_url}{path}"
    page.route(url, lambda route: route.fulfill(content_type="text/html", body=(
        "<!doctype html><html lang='en'><head><title>Shop</title></head><body><h1>A shop</h1>"
        f'<a href="#top">Top</a><script src="{server_url}/widget.js" {tag}></script></body></html>'
    )))
    return url


def type_and_send(page, text: str) -> None:
    page.locator(".bespoke-input").fill(text)
    page.locator(".bespoke-input").press("Enter")


def test_language_and_colours_come_from_the_script_tag(widget_server, fake_rasa, page):
    expect = playwright_expect()
    url = shop_page(page, widget_server.url, "/de-shop", lang="de", color="#1d6b4f", text_color="#fffbe6",
                    title="Werkstatt", open="true")
    open_shop(page, url)
    chat = page.locator(".bespoke-chat")
    expect(chat).to_have_attribute("lang", "de")
    expect(page.locator(".bespoke-input")).to_have_attribute("placeholder", "Ihre Nachricht\u2026")
    expect(page.locator(".bespoke-input")).to_have_attribute("aria-label", "Ihre Nachricht")
    expect(page.locator(".bespoke-send")).to_have_text("Senden")
    expect(page.locator(".bespoke-send")).to_have_attribute("aria-label", "Nachricht senden")
    expect(page.locator(".bespoke-restart")).to_have_text("Neues Gespr\u00e4ch")
    expect(page.locator(".bespoke-close")).to_have_attribute("aria-label", "Chat schlie\u00dfen")
    expect(page.locator(".bespoke-log")).to_have_attribute("aria-label", "Gespr\u00e4chsverlauf")
    expect(page.locator(".bespoke-typing")).to_have_attribute("aria-label", "Der Assistent schreibt")
    expect(page.locator(".bespoke-hint")).to_have_text("Hallo! Sagen Sie uns, was Sie bestellen m\u00f6chten.")
    # The colours, through the custom properties, on the header, the Send button and the
    # customer's messages.
    style = "(node, property) => getComputedStyle(node)[property]"
    assert page.locator(".bespoke-header").evaluate(style, "backgroundColor") == "rgb(29, 107, 79)"
    assert page.locator(".bespoke-header").evaluate(style, "color") == "rgb(255, 251, 230)"
    assert page.locator(".bespoke-send").evaluate(style, "backgroundColor") == "rgb(29, 107, 79)"
    type_and_send(page, "Hallo")
    expect(page.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: Hallo")  # not translated
    assert page.locator(".bespoke-user").last.evaluate(style, "backgroundColor") == "rgb(29, 107, 79)"
    assert page.locator(".bespoke-user .bespoke-sr").last.inner_text().startswith("Sie")
    assert fake_rasa.received[-1][2] == {"language": "de"}  # for Rasa, as metadata
    screenshot(page, "german-green")
    # Notices are in German too.
    page.route(f"{widget_server.url}/api/messages", lambda route: route.fulfill(
        status=504, content_type="application/json",
        body=json.dumps({"error": "rasa_timeout", "message": "The shop's assistant is taking too long."})))
    type_and_send(page, "Noch eine Frage")
    expect(page.locator(".bespoke-notice")).to_contain_text("braucht zu lange")
    expect(page.locator(".bespoke-retry")).to_have_text("Erneut versuchen")


def test_unknown_language_falls_back_to_english_and_css_cannot_be_injected(widget_server, browser):
    expect = playwright_expect()
    context = browser.new_context()
    page = context.new_page()
    try:
        external = []
        page.on("request", lambda request: external.append(request.url)
                if not request.url.startswith(widget_server.url) else None)
        url = shop_page(page, widget_server.url, "/xx-shop", lang="xx", open="true",
                        color="red; background-image: url(http://127.0.0.1:9/x.png)",
                        text_color="url(http://127.0.0.1:9/y.png)")
        open_shop(page, url)
        expect(page.locator(".bespoke-chat")).to_have_attribute("lang", "en")
        expect(page.locator(".bespoke-send")).to_have_text("Send")
        expect(page.locator(".bespoke-title")).to_have_text("Chat with us")
        style = "(node, property) => getComputedStyle(node)[property]"
        assert page.locator(".bespoke-header").evaluate(style, "backgroundColor") == "rgb(45, 58, 74)"  # the default
        assert page.locator(".bespoke-header").evaluate(style, "backgroundImage") == "none"
        assert "url" not in (page.locator(".bespoke-chat").get_attribute("style") or "")
        assert external == []
    finally:
        context.close()


def test_keyboard_only_tab_reaches_the_open_buttons_and_enter_or_space_sends(widget_server, fake_rasa, page):
    expect = playwright_expect()
    open_shop(page, widget_server.url)
    page.keyboard.type("which colours?")  # the text box has the focus when the chat opens
    page.keyboard.press("Enter")
    expect(page.locator(".bespoke-choice:enabled")).to_have_count(2)
    focused = page.locator(":focus")
    expect(page.locator(".bespoke-input")).to_be_focused()
    page.keyboard.press("Tab")
    expect(focused).to_have_text("Red")
    # The focus can be seen: the focus ring is drawn.
    assert focused.evaluate("node => node.matches(':focus-visible') && getComputedStyle(node).outlineStyle") == "solid"
    screenshot(page, "keyboard-focus")
    page.keyboard.press("Tab")
    expect(focused).to_have_text("Blue")
    page.keyboard.press("Tab")  # past the buttons: back to the text box, then on to Send
    expect(page.locator(".bespoke-input")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(".bespoke-send")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(focused).to_have_text("Blue")
    page.keyboard.press("Space")
    expect(page.locator(".bespoke-user .bespoke-text").last).to_have_text("Blue")  # the title, not the payload
    expect(page.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: /choose_blue")
    expect(page.locator(".bespoke-input")).to_be_focused()  # the keyboard goes on in the text box
    expect(page.locator(".bespoke-choice:enabled")).to_have_count(0)  # answered
    page.keyboard.type("more colours")
    page.keyboard.press("Enter")
    expect(page.locator(".bespoke-choice:enabled")).to_have_count(2)
    page.keyboard.press("Tab")
    expect(focused).to_have_text("Red")
    page.keyboard.press("Enter")
    expect(page.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: /choose_red")
    assert fake_rasa.messages() == ["which colours?", "/choose_blue", "more colours", "/choose_red"]


def test_a_bot_image_is_shown_with_alt_text(widget_server, page):
    expect = playwright_expect()
    open_shop(page, widget_server.url)
    type_and_send(page, "show me a picture")
    image = page.locator(".bespoke-bot img.bespoke-image")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("alt", "Image from Bespoke Workshop")
    page.wait_for_function("img => img.complete && img.naturalWidth === 2", arg=image.element_handle())
    screenshot(page, "image")


def test_slow_rasa_shows_a_notice_and_try_again_gets_the_answer_once(widget_server, fake_rasa, page):
    expect = playwright_expect()
    open_shop(page, widget_server.url)
    fake_rasa.hold()
    type_and_send(page, "I need a shirt")
    notice = page.locator(".bespoke-notice")
    expect(notice).to_contain_text("taking too long", timeout=10_000)  # BESPOKE_WEB_RASA_TIMEOUT=1
    expect(notice).to_contain_text("not lost")
    expect(page.locator(".bespoke-input")).to_have_value("I need a shirt")  # kept
    expect(page.locator(".bespoke-typing")).to_be_hidden()
    screenshot(page, "slow")
    fake_rasa.release()  # Rasa answers late; the web server keeps the answer for the retry
    page.locator(".bespoke-retry").click()
    expect(page.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: I need a shirt")
    expect(notice).to_be_hidden()
    expect(page.locator(".bespoke-user .bespoke-text")).to_have_text(["I need a shirt"])
    expect(page.locator(".bespoke-input")).to_have_value("")
    assert fake_rasa.messages() == ["I need a shirt"]  # given to Rasa once


def test_rasa_down_then_up_the_message_goes_through_once_and_history_retries_by_itself(browser):
    expect = playwright_expect()
    port = free_port()
    fake = FakeRasa(port)  # not started: Rasa is down
    server = WebServer(port).start()
    context = browser.new_context()
    page = context.new_page()
    try:
        open_shop(page, server.url)
        expect(page.locator(".bespoke-notice")).to_be_hidden()  # a new visitor loads no history
        type_and_send(page, "hello")
        notice = page.locator(".bespoke-notice")
        expect(notice).to_contain_text("can't reach")
        expect(notice).to_contain_text("not lost")
        expect(page.locator(".bespoke-input")).to_have_value("hello")
        expect(page.locator(".bespoke-user")).to_have_count(0)
        fake.start()  # Rasa is back
        page.locator(".bespoke-retry").click()
        expect(page.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: hello")
        expect(notice).to_be_hidden()
        assert fake.messages() == ["hello"]
        # Down again while the page reloads: the history cannot be loaded; the widget says so,
        # tries again by itself and shows the conversation when Rasa is back.
        fake.stop()
        page.reload()
        expect(notice).to_contain_text("could not be loaded")
        screenshot(page, "history-down")
        fake.start()
        expect(notice).to_be_hidden(timeout=15_000)
        expect(page.locator(".bespoke-msg .bespoke-text")).to_have_text(["hello", "You said: hello"])
        assert fake.messages() == ["hello"]
    finally:
        context.close()
        server.stop()
        fake.stop()


def test_too_many_messages_get_a_notice_with_the_wait(widget_server, fake_rasa, page):
    expect = playwright_expect()
    open_shop(page, widget_server.url)
    page.route(f"{widget_server.url}/api/messages", lambda route: route.fulfill(
        status=429, headers={"Retry-After": "7"}, content_type="application/json",
        body=json.dumps({"error": "rate_limited", "message": "You are sending messages faster than we can answer."})))
    type_and_send(page, "one more")
    notice = page.locator(".bespoke-notice")
    expect(notice).to_contain_text("wait 7 s")
    # Where the header cannot be read (another origin whose server does not expose it): the body's.
    page.route(f"{widget_server.url}/api/messages", lambda route: route.fulfill(
        status=429, content_type="application/json",
        body=json.dumps({"error": "rate_limited", "message": "Too fast.", "retry_after": 12})))
    page.locator(".bespoke-retry").click()
    expect(notice).to_contain_text("wait 12 s")
    expect(notice).to_contain_text("not lost")
    expect(page.locator(".bespoke-input")).to_have_value("one more")
    page.unroute(f"{widget_server.url}/api/messages")
    page.locator(".bespoke-retry").click()
    expect(page.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: one more")
    assert fake_rasa.messages() == ["one more"]


def test_two_tabs_share_the_conversation(widget_server, fake_rasa, browser):
    expect = playwright_expect()
    context = browser.new_context()
    try:
        first, second = context.new_page(), context.new_page()
        open_shop(first, widget_server.url)  # makes the conversation id
        open_shop(second, widget_server.url)
        assert sender_of(first, widget_server.url) == sender_of(second, widget_server.url)
        type_and_send(second, "hello from the second tab")
        expect(second.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: hello from the second tab")
        first.bring_to_front()
        expect(first.locator(".bespoke-msg .bespoke-text")).to_have_text(
            ["hello from the second tab", "You said: hello from the second tab"])
        type_and_send(first, "and from the first")
        expect(first.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: and from the first")
        second.bring_to_front()
        expect(second.locator(".bespoke-user .bespoke-text")).to_have_text(
            ["hello from the second tab", "and from the first"])
        screenshot(second, "second-tab")
        # A new conversation in one tab is the new conversation of the other too.
        first.locator(".bespoke-restart").click()
        second.bring_to_front()
        expect(second.locator(".bespoke-msg")).to_have_count(0)
        assert sender_of(first, widget_server.url) == sender_of(second, widget_server.url)
        assert fake_rasa.messages() == ["hello from the second tab", "and from the first"]
    finally:
        context.close()


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
    assert requests.get(f"{bot.web_url}/api/history", params={"sender": unknown}, timeout=30).json() == {"messages": [], "paused": False}
    assert tracker_events(bot, unknown) == 0
    say(page, "hi")
    assert tracker_events(bot, sender) > 0
    page.reload()
    page.wait_for_selector(".bespoke-chat[data-ready='true']", state="attached")
    assert history  # now there is a conversation to show
    assert page.locator(".bespoke-user .bespoke-text").first.inner_text().startswith("hi")


def playwright_expect():
    from playwright.sync_api import expect

    return expect


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
        assert body["retry_after"] == int(response.headers["Retry-After"])
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
