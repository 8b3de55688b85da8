"""Fake Rasas and the widget's part of the web application in this process.

- RecordingRasa: Rasa's REST channel in the test's event loop, answering each message with a
  reply function (echo, silent, ...); web_app_with_fake_rasa puts the web app in front of it
  (the web chat's API tests).
- FakeRasa: the REST channel and tracker API in a thread, on a port, with hold/release; and
  WebServer, the widget's part of the app in a thread: what the widget's browser tests run
  against."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
import urllib.parse
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.local import free_port
from bot.channels.web.widget import TAKEN_OVER
from bot.server import create_widget_app
from bot.settings import Settings
from tests.support.fake_telegram import LoopServer

Reply = Callable[[Dict[str, Any]], List[Dict[str, Any]]]


def echo(body: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Rasa answering every message: "You said: <message>"."""
    return [{"recipient_id": body["sender"], "text": f"You said: {body['message']}"}]


def silent(body: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Rasa's REST channel when an action failed: an empty list of replies."""
    return []


class RecordingRasa:
    """A fake Rasa REST channel in the test's event loop: remembers every body it is given
    and answers it with `reply(body)`."""

    def __init__(self, reply: Reply = echo):
        self.reply = reply
        self.received: List[Dict[str, Any]] = []
        self.app = web.Application()
        self.app.router.add_post("/webhooks/rest/webhook", self.webhook)
        self.server = TestServer(self.app, host="127.0.0.1")

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        return web.json_response(self.reply(body))


@contextlib.asynccontextmanager
async def web_app_with_fake_rasa(
    reply: Reply = echo, taken_over: Optional[Callable[[str], Any]] = None, **settings: Any,
) -> AsyncIterator[Tuple[RecordingRasa, TestClient]]:
    """The widget's part of the web app (create_widget_app, these settings; `taken_over`: how
    it asks whether staff have a conversation) on a test server in front of a RecordingRasa
    answering with `reply`; yields (rasa, client)."""
    rasa = RecordingRasa(reply)
    await rasa.server.start_server()
    app = create_widget_app(Settings(rasa_port=rasa.server.port, web_rasa_timeout_s=5, **settings))
    if taken_over is not None:
        app[TAKEN_OVER] = taken_over
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield rasa, client
    finally:
        await client.close()
        await rasa.server.close()

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
        self.slots: dict = {}  # sender -> the tracker's slots, as a test sets them
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
                appended = re.match(r"^/conversations/([^/?]+)/tracker/events", self.path)
                if appended:  # events added by the web server (a staff message, a notice)
                    sender = urllib.parse.unquote(appended.group(1))
                    added = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                    fake.conversations.setdefault(sender, []).extend(
                        {**event, "timestamp": time.time()} for event in added)
                    return self.answer(200, {"sender_id": sender})
                if urllib.parse.urlsplit(self.path).path != "/webhooks/rest/webhook":  # ?token= after it
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
                self.answer(200, {"sender_id": sender, "events": fake.conversations.get(sender, []),
                                  "slots": fake.slots.get(sender, {})})

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
    """A web application of bot.server in this process, in a thread with its own event loop,
    on a free port: by default the widget's part (create_widget_app: no staff console) in
    front of Rasa on `rasa_port`, its answers "too slow" after 1 s; or `app_factory` (e.g.
    create_app, the widget and the staff console) with `settings`."""

    def __init__(self, rasa_port: int = 0, settings: Optional[Settings] = None,
                 app_factory: Callable[[Settings], web.Application] = create_widget_app):
        base = settings or Settings(rasa_port=rasa_port, web_rasa_timeout_s=1)
        self.settings = replace(base, web_port=free_port())
        self.app_factory = app_factory
        self.url = f"http://127.0.0.1:{self.settings.web_port}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.ready = threading.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        runner = web.AppRunner(self.app_factory(self.settings))
        self.loop.run_until_complete(runner.setup())
        self.loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.settings.web_port).start())
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

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    """A FakeRasa on a free port (the widget tests import this fixture)."""
    fake = FakeRasa(free_port()).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def widget_server(fake_rasa: FakeRasa) -> Iterator[WebServer]:
    """The widget's web server in front of `fake_rasa`."""
    with WebServer(fake_rasa.port) as server:
        yield server


class RasaOnPort(LoopServer):
    """RecordingRasa's REST channel on a free port of its own thread, for a process (the
    Telegram bridge) to reach: remembers every body and answers it with `reply(body)`."""

    def __init__(self, reply: Reply = echo):
        super().__init__()
        self.reply = reply
        self.received: List[Dict[str, Any]] = []

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/webhooks/rest/webhook", self.webhook)

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        return web.json_response(self.reply(body))
