"""The widget's server: static files and a thin JSON proxy to Rasa (REST channel, tracker).

A channel decides nothing about an order: this only checks the shape of what the browser
sends (sender id, message length), forwards it and reshapes Rasa's reply for the widget.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import math
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from bot.core.limits import MAX_MESSAGE_CHARS

STATIC = Path(__file__).resolve().parent / "static"
# Made by the widget: "web:" + crypto.randomUUID().
SENDER_PATTERN = re.compile(r"^web:[A-Za-z0-9_-]{8,64}$")
# The widget's id for one message, the same when it is sent again ("Try again").
MESSAGE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# The widget's interface language (data-lang), passed on to Rasa as metadata.
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
# An answer Rasa gives after the browser was told "too slow" is kept this long for the retry.
ANSWER_KEPT_S = 300
logger = logging.getLogger("bespoke.web")


def parse_limit(value: str, default: Tuple[float, float]) -> Optional[Tuple[float, float]]:
    """"20,1" -> a burst of 20 messages, then 1 per second; "off" or "0" -> no limit."""
    value = value.strip().lower()
    if not value:
        return default
    if value in ("off", "0", "none"):
        return None
    burst, _, rate = value.partition(",")
    try:
        limit = float(burst), float(rate or 1)
    except ValueError:
        raise ValueError(f"a rate limit is 'burst,per-second' (like 20,1) or 'off', not {value!r}") from None
    if min(limit) <= 0:
        raise ValueError(f"a rate limit's burst and rate must be above 0 (or 'off'), not {value!r}")
    return limit


@dataclass
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = ""
    timeout_s: float = 30.0
    cors_origins: tuple = ()
    # Messages per conversation and per client address: (burst, then per second); None: no limit.
    sender_limit: Optional[Tuple[float, float]] = (20, 1.0)
    address_limit: Optional[Tuple[float, float]] = (60, 3.0)
    staff: bool = True  # the staff console under /staff and its API (off in tests of the widget alone)
    trusted_proxies: tuple = ()  # networks whose X-Forwarded-For is believed; () = loopback only

    @classmethod
    def from_env(cls, env: Optional[Dict[str, str]] = None) -> "WebSettings":
        env = dict(os.environ if env is None else env)
        origins = env.get("BESPOKE_CORS_ORIGINS", "")
        return cls(
            host=env.get("BESPOKE_HOST", "127.0.0.1"),
            port=int(env.get("BESPOKE_WEB_PORT", "8000")),
            rasa_url=f"http://127.0.0.1:{int(env.get('BESPOKE_RASA_PORT', '5005'))}",
            rasa_token=env.get("BESPOKE_RASA_TOKEN", ""),
            timeout_s=float(env.get("BESPOKE_WEB_RASA_TIMEOUT", "30")),
            cors_origins=tuple(o.strip() for o in re.split(r"[,\s]+", origins) if o.strip()),
            sender_limit=parse_limit(env.get("BESPOKE_WEB_LIMIT_SENDER", ""), cls.sender_limit),
            address_limit=parse_limit(env.get("BESPOKE_WEB_LIMIT_ADDRESS", ""), cls.address_limit),
            trusted_proxies=trusted_proxies(env.get("BESPOKE_TRUSTED_PROXIES", "")),
        )


@dataclass
class TokenBuckets:
    """A token bucket per key, in memory: `burst` at once, then `rate` per second."""

    burst: float
    rate: float
    buckets: Dict[str, Tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, at)

    def tokens(self, key: str, now: float) -> float:
        tokens, at = self.buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` may send again; 0 if it may now."""
        return max(0.0, (1 - self.tokens(key, now)) / self.rate)

    def take(self, key: str, now: float) -> None:
        self.buckets[key] = (self.tokens(key, now) - 1, now)
        if len(self.buckets) > 10_000:  # forget the buckets that have filled up again
            self.buckets = {k: v for k, v in self.buckets.items() if self.tokens(k, now) < self.burst}


SETTINGS = web.AppKey("settings", WebSettings)
HTTP = web.AppKey("http", ClientSession)
LIMITS = web.AppKey("limits", list)  # [(TokenBuckets, key function)]
ANSWERS = web.AppKey("answers", dict)  # (sender, message id) -> the task asking Rasa


def error(status: int, code: str, message: str, **details: Any) -> web.Response:
    return web.json_response({"error": code, "message": message, **details}, status=status)


RASA_DOWN = (502, "rasa_unavailable", "The shop's assistant is not reachable right now. Please try again in a moment.")
RASA_SLOW = (504, "rasa_timeout", "The shop's assistant is taking too long to answer. Please try again in a moment.")
TOO_FAST = (429, "rate_limited", "You are sending messages faster than we can answer. Please wait a few seconds and try again.")


class RasaError(Exception):
    """Rasa answered, but not with a reply."""


def trusted_proxies(value: str) -> tuple:
    """BESPOKE_TRUSTED_PROXIES: addresses or networks ("10.0.0.0/8 192.168.1.5") whose
    X-Forwarded-For is believed; empty: proxies on this machine (loopback) only."""
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in re.split(r"[,\s]+", value) if item)
    except ValueError as error:
        raise ValueError(f"BESPOKE_TRUSTED_PROXIES: {error}") from None


def client_address(request: web.Request) -> str:
    """The browser's address (for rate limits and the staff sign-in's slowing down): behind a
    trusted reverse proxy, the address it appended to X-Forwarded-For; another peer's header
    is not believed."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
    proxies = request.app[SETTINGS].trusted_proxies if SETTINGS in request.app else ()
    try:
        address = ipaddress.ip_address(peer)
        trusted = any(address in network for network in proxies) if proxies else address.is_loopback
        if forwarded and trusted:
            return str(ipaddress.ip_address(forwarded))
    except ValueError:
        pass
    return peer or "unknown"


def too_fast(request: web.Request, sender: str) -> Optional[web.Response]:
    """429 with Retry-After when this conversation or this address is over its limit."""
    now = time.monotonic()
    keyed = [(buckets, key(request, sender)) for buckets, key in request.app[LIMITS]]
    wait = max((buckets.wait(key, now) for buckets, key in keyed), default=0.0)
    if wait > 0:
        response = error(*TOO_FAST, retry_after=math.ceil(wait))
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    for buckets, key in keyed:
        buckets.take(key, now)
    return None


async def ask_rasa(app: web.Application, sender: str, message: str, metadata: Dict[str, Any]) -> List[Dict[str, Any]]:
    settings = app[SETTINGS]
    async with app[HTTP].post(
        f"{settings.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": message, "metadata": metadata},
        # Not cut off when the browser is told "too slow": the answer is kept for its retry.
        timeout=ClientTimeout(total=max(settings.timeout_s, ANSWER_KEPT_S)),
    ) as response:
        if response.status != 200:
            raise RasaError(f"Rasa answered {response.status} to a message")
        replies = await response.json()
    return [item for item in replies if isinstance(item, dict)] if isinstance(replies, list) else []


def bot_message(item: Dict[str, Any], timestamp: Optional[float] = None) -> Dict[str, Any]:
    """One item of Rasa's reply (text, buttons, image) in the widget's shape."""
    message: Dict[str, Any] = {"from": "bot", "text": item.get("text") or ""}
    buttons = [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", b.get("title", "")))}
        for b in item.get("buttons") or []
    ]
    if buttons:
        message["buttons"] = buttons
    image = item.get("image")
    if isinstance(image, str) and image.startswith(("http://", "https://", "/")):
        message["image"] = image
    if timestamp is not None:
        message["timestamp"] = timestamp
    return message


def valid_sender(sender: Any) -> bool:
    return isinstance(sender, str) and bool(SENDER_PATTERN.match(sender))


async def post_message(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        return error(400, "bad_request", "The request was not JSON.")
    if not isinstance(body, dict):
        return error(400, "bad_request", "The request must be a JSON object.")
    sender, message = body.get("sender"), body.get("message")
    if not valid_sender(sender):
        return error(400, "bad_sender", "The conversation id is not valid. Please start a new conversation.")
    if not isinstance(message, str) or not message.strip():
        return error(400, "empty_message", "Please type a message.")
    if len(message) > MAX_MESSAGE_CHARS:
        return error(
            413, "message_too_long",
            f"Sorry, that message is too long ({len(message):,} characters). "
            f"Please keep it under {MAX_MESSAGE_CHARS:,} characters.",
            limit=MAX_MESSAGE_CHARS,
        )
    # The same message sent again (same id) after "too slow" waits for the first answer and
    # is not given to Rasa twice.
    message_id = body.get("id")
    key = (sender, message_id) if isinstance(message_id, str) and MESSAGE_ID_PATTERN.match(message_id) else None
    answers = request.app[ANSWERS]
    task = answers.get(key) if key else None
    if task is None:
        limited = too_fast(request, sender)
        if limited is not None:
            return limited
        language = body.get("lang")
        metadata = {"language": language} if isinstance(language, str) and LANGUAGE_PATTERN.match(language) else {}
        task = asyncio.ensure_future(ask_rasa(request.app, sender, message, metadata))
        if key:
            answers[key] = task
            task.add_done_callback(lambda done: forget_answer(answers, key, done))
    try:
        replies = await asyncio.wait_for(asyncio.shield(task), request.app[SETTINGS].timeout_s)
    except asyncio.TimeoutError:
        return error(*RASA_SLOW)
    except (ClientError, RasaError, ValueError) as exc:
        logger.warning("Rasa not reachable: %s", exc)
        return error(*RASA_DOWN)
    now = time.time()
    return web.json_response({"messages": [bot_message(item, now) for item in replies]})


def forget_answer(answers: Dict[Any, asyncio.Future], key: Any, task: asyncio.Future) -> None:
    """A failed attempt is forgotten at once (the retry asks Rasa again), an answer later."""
    if task.cancelled() or task.exception() is not None:
        answers.pop(key, None)
    else:
        asyncio.get_running_loop().call_later(ANSWER_KEPT_S, answers.pop, key, None)


def history_from_events(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Past user and bot messages; a clicked button's payload is shown as its title."""
    messages: List[Dict[str, Any]] = []
    offered: Dict[str, str] = {}  # payload -> title of the buttons last offered
    for event in events:
        kind = event.get("event")
        if kind == "bot":
            data = event.get("data") or {}
            message = bot_message({"text": event.get("text"), **data}, event.get("timestamp"))
            staff = (event.get("metadata") or {}).get("staff")
            if isinstance(staff, str) and staff:
                message["staff"] = staff  # written by a person of the shop who took over
            if not message["text"] and "buttons" not in message and "image" not in message:
                continue
            messages.append(message)
            if message.get("buttons"):
                offered = {b["payload"]: b["title"] for b in message["buttons"]}
        elif kind == "user":
            text = event.get("text") or ""
            if not text:
                continue
            messages.append({"from": "user", "text": offered.get(text, text), "timestamp": event.get("timestamp")})
            offered = {}
    return messages


async def taken_over(app: web.Application, sender: str) -> bool:
    from bot.staff.app import STAFF, in_thread
    from bot.staff.conversations import active_takeover

    return await in_thread(active_takeover, app[STAFF].store, sender) is not None


async def get_history(request: web.Request) -> web.Response:
    sender = request.query.get("sender")
    if not valid_sender(sender):
        return error(400, "bad_sender", "The conversation id is not valid. Please start a new conversation.")
    settings = request.app[SETTINGS]
    if request.query.get("poll") == "1" and settings.staff and not await taken_over(request.app, sender):
        # The widget's periodic check: only a conversation staff have taken over can have
        # news it did not ask for; the others cost a small query, not a tracker from Rasa.
        return web.json_response({"messages": None, "paused": False})
    try:
        async with request.app[HTTP].get(
            f"{settings.rasa_url}/conversations/{sender}/tracker",
            params={"token": settings.rasa_token, "include_events": "ALL"},
        ) as response:
            if response.status == 404:
                return web.json_response({"messages": [], "paused": False})
            if response.status != 200:
                logger.warning("Rasa answered %s to a tracker request", response.status)
                return error(*RASA_DOWN)
            tracker = await response.json()
    except asyncio.TimeoutError:
        return error(*RASA_SLOW)
    except (ClientError, ValueError) as exc:
        logger.warning("Rasa not reachable: %s", exc)
        return error(*RASA_DOWN)
    return web.json_response({
        "messages": history_from_events(tracker.get("events") or []),
        # Staff took the conversation over: the widget asks more often for their messages.
        "paused": bool(tracker.get("paused")),
    })


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def preflight(request: web.Request) -> web.Response:
    return web.Response(status=204)  # the cors middleware adds the allowed origin's headers


async def index(request: web.Request) -> web.Response:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


def static_file(name: str, content_type: str):
    async def handler(request: web.Request) -> web.Response:
        return web.FileResponse(STATIC / name, headers={"Content-Type": content_type, "Cache-Control": "no-cache"})

    return handler


@web.middleware
async def cors(request: web.Request, handler):
    """The widget may be embedded on a shop's own site: allow the origins configured."""
    origin = request.headers.get("Origin")
    allowed = origin and origin in request.app[SETTINGS].cors_origins
    if request.method == "OPTIONS" and request.path.startswith("/api/"):
        response: web.StreamResponse = web.Response(status=204 if allowed else 403)
    else:
        response = await handler(request)
    if allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
        response.headers["Vary"] = "Origin"
    return response


def create_app(settings: WebSettings) -> web.Application:
    app = web.Application(middlewares=[cors], client_max_size=256 * 1024)
    app[SETTINGS] = settings
    app[LIMITS] = [
        (TokenBuckets(*limit), key) for limit, key in [
            (settings.sender_limit, lambda request, sender: sender),
            (settings.address_limit, lambda request, sender: client_address(request)),
        ] if limit
    ]
    app[ANSWERS] = {}

    async def http_session(app: web.Application):
        app[HTTP] = ClientSession(timeout=ClientTimeout(total=settings.timeout_s))
        yield
        for task in app[ANSWERS].values():
            task.cancel()
        await app[HTTP].close()

    app.cleanup_ctx.append(http_session)
    app.router.add_get("/", index)
    app.router.add_get("/widget.js", static_file("widget.js", "text/javascript; charset=utf-8"))
    app.router.add_get("/widget.css", static_file("widget.css", "text/css; charset=utf-8"))
    app.router.add_post("/api/messages", post_message)
    app.router.add_get("/api/history", get_history)
    app.router.add_get("/health", health)
    app.router.add_route("OPTIONS", "/api/{tail:.*}", preflight)
    if settings.staff:
        from bot.staff.app import create_context, setup_staff

        setup_staff(app, create_context(settings.rasa_url, settings.rasa_token))
    return app


def main(argv: Optional[List[str]] = None) -> int:
    try:
        settings = WebSettings.from_env()
    except ValueError as error:  # a malformed setting: say which, start nothing
        print(f"bespoke: {error}", file=sys.stderr, flush=True)
        return 2
    parser = argparse.ArgumentParser(prog="python -m bot.channels.web", description="Serve the Bespoke web chat widget.")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    settings.host, settings.port = args.host, args.port
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)
    return 0
