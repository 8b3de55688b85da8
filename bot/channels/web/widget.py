"""The web chat widget's part of the web application: its static files and a thin JSON API
in front of Rasa (REST channel, tracker), added by `setup_widget(app)`.

A channel decides nothing about an order: this only checks the shape of what the browser
sends (sender id, message length), forwards it and reshapes Rasa's reply for the widget.
The settings and the Rasa client come from the app (bot/channels/web/kit.py), put there by
the composition root (bot/server.py); so does `TAKEN_OVER`, how the periodic check asks
whether staff have the conversation.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional

from aiohttp import web

from bot.channels.rasa import (
    PICKED_UP, RasaBadReply, RasaError, RasaTimeout, button_titles, reply_buttons, reply_image, timeout,
)
from bot.channels.shared_state import ANSWER_KEPT_S, AnswerState, Limit
from bot.channels.web.kit import DELIVER_NOTICES, NEWS_WAITING, RASA, SETTINGS, SHARED, client_address
from bot.core.limits import MAX_MESSAGE_CHARS, MAX_REQUEST_BYTES

STATIC = Path(__file__).resolve().parent / "static"
# Made by the widget: "web:" + crypto.randomUUID().
SENDER_PATTERN = re.compile(r"^web:[A-Za-z0-9_-]{8,64}$")
# The widget's id for one message, the same when it is sent again ("Try again").
MESSAGE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# The widget's interface language (data-lang), passed on to Rasa as metadata.
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
logger = logging.getLogger("bespoke.web")


LIMITS = web.AppKey("limits", list)  # [(name, (burst, rate), key function)]
ANSWERS = web.AppKey("answers", dict)  # "sender:message id" -> this process's task asking Rasa
TELLING = web.AppKey("telling", set)  # the shared state being told an attempt ended
ANSWER_POLL_S = 0.1  # how often a retry looks whether another web server's answer has come
# Whether staff have taken the conversation over; absent: never (the widget alone).
TAKEN_OVER = web.AppKey("taken_over", Callable[[str], Awaitable[bool]])

RASA_DOWN = (502, "rasa_unavailable", "The shop's assistant is not reachable right now. Please try again in a moment.")
RASA_SLOW = (504, "rasa_timeout", "The shop's assistant is taking too long to answer. Please try again in a moment.")
TOO_FAST = (429, "rate_limited", "You are sending messages faster than we can answer. Please wait a few seconds and try again.")
BAD_SENDER = (400, "bad_sender", "The conversation id is not valid. Please start a new conversation.")
NO_ANSWER = (502, "no_answer", "Sorry, something went wrong on our side and that message got no answer. "
                               "Please try again in a moment.")


def error(status: int, code: str, message: str, **details: Any) -> web.Response:
    return web.json_response({"error": code, "message": message, **details}, status=status)


async def too_fast(request: web.Request, sender: str) -> Optional[web.Response]:
    """429 with Retry-After when this conversation or this address is over its limit (counted
    by the shared state: across every web server when there are several)."""
    limits = [Limit(name, key(request, sender), *limit) for name, limit, key in request.app[LIMITS]]
    wait = await request.app[SHARED].take(limits)
    if wait > 0:
        response = error(*TOO_FAST, retry_after=math.ceil(wait))
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    return None


async def ask_rasa(app: web.Application, sender: str, message: str, metadata: Dict[str, Any]) -> List[Dict[str, Any]]:
    settings = app[SETTINGS]
    # Not cut off when the browser is told "too slow": the answer is kept for its retry.
    wait = timeout(max(settings.web_rasa_timeout_s, ANSWER_KEPT_S))
    return await app[RASA].send_message(sender, message, metadata, timeout=wait)


def bot_message(item: Dict[str, Any], timestamp: Optional[float] = None) -> Dict[str, Any]:
    """One item of Rasa's reply (text, buttons, image) in the widget's shape."""
    message: Dict[str, Any] = {"from": "bot", "text": item.get("text") or ""}
    buttons = reply_buttons(item)
    if buttons:
        message["buttons"] = buttons
    image = reply_image(item)
    if image is not None:
        message["image"] = image
    if timestamp is not None:
        message["timestamp"] = timestamp
    return message


def valid_sender(sender: Any) -> bool:
    return isinstance(sender, str) and bool(SENDER_PATTERN.match(sender))


TOO_LARGE = (413, "request_too_large", f"The request is larger than {MAX_REQUEST_BYTES // 1024} KB.")
# JSON only: a page on another site can send text/plain or a form without asking first (no CORS
# preflight); JSON makes the browser ask, and the cors middleware refuses a foreign origin.
NOT_JSON = (415, "unsupported_media_type", "Send the message as JSON (Content-Type: application/json).")


async def json_body(request: web.Request) -> Any:
    """The request's JSON, read up to MAX_REQUEST_BYTES; a web.Response when it cannot be."""
    if request.content_length is not None and request.content_length > MAX_REQUEST_BYTES:
        return error(*TOO_LARGE, limit=MAX_REQUEST_BYTES)
    raw = await request.content.read(MAX_REQUEST_BYTES + 1)  # sent without a length: read no more than that
    if len(raw) > MAX_REQUEST_BYTES:
        return error(*TOO_LARGE, limit=MAX_REQUEST_BYTES)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return error(400, "bad_request", "The request was not JSON.")


async def post_message(request: web.Request) -> web.Response:
    if request.content_type != "application/json":
        return error(*NOT_JSON)
    body = await json_body(request)
    if isinstance(body, web.Response):
        return body
    if not isinstance(body, dict):
        return error(400, "bad_request", "The request must be a JSON object.")
    sender, message = body.get("sender"), body.get("message")
    if not valid_sender(sender):
        return error(*BAD_SENDER)
    if not isinstance(message, str) or not message.strip():
        return error(400, "empty_message", "Please type a message.")
    if len(message) > MAX_MESSAGE_CHARS:
        return error(
            413, "message_too_long",
            f"Sorry, that message is too long ({len(message):,} characters). "
            f"Please keep it under {MAX_MESSAGE_CHARS:,} characters.",
            limit=MAX_MESSAGE_CHARS,
        )
    # The same message sent again (same id) after "too slow" waits for the first answer, on
    # whichever web server asks Rasa for it, and is not given to Rasa twice.
    message_id = body.get("id")
    key = f"{sender}:{message_id}" if isinstance(message_id, str) and MESSAGE_ID_PATTERN.match(message_id) else None
    app, shared = request.app, request.app[SHARED]
    answers = app[ANSWERS]
    wait_s = app[SETTINGS].web_rasa_timeout_s
    deadline = time.monotonic() + wait_s
    task = answers.get(key) if key else None
    while task is None and key and not await shared.claim_answer(key):
        state, kept = await shared.answer(key)  # another server asks Rasa, or has asked
        if state is AnswerState.DONE:
            return await answered(app, sender, kept or [])
        if time.monotonic() > deadline:
            return error(*RASA_SLOW)
        if state is AnswerState.PENDING:
            await asyncio.sleep(ANSWER_POLL_S)
        task = answers.get(key)  # this server may have started asking meanwhile
    if task is None:
        limited = await too_fast(request, sender)
        if limited is not None:
            if key:
                await shared.drop_answer(key)
            return limited
        language = body.get("lang")
        metadata = {"language": language} if isinstance(language, str) and LANGUAGE_PATTERN.match(language) else {}
        task = asyncio.ensure_future(ask_rasa(app, sender, message, metadata))
        if key:
            answers[key] = task
            task.add_done_callback(lambda done: forget_answer(app, key, done))
    try:
        replies = await asyncio.wait_for(asyncio.shield(task), max(0.0, deadline - time.monotonic()))
    except (asyncio.TimeoutError, RasaTimeout):
        return error(*RASA_SLOW)
    except RasaError as exc:
        logger.warning("Rasa not reachable: %s", exc)
        return error(*RASA_DOWN)
    return await answered(app, sender, replies)


async def answered(app: web.Application, sender: str, replies: List[Dict[str, Any]]) -> web.Response:
    if not replies and not await taken_over(app, sender):
        # Rasa answered nothing: an action failed (the action server down or restarting).
        # Staff holding the conversation is the one time no answer is right.
        logger.warning("Rasa gave no reply to a message of %s", sender)
        return error(*NO_ANSWER)
    now = time.time()
    return web.json_response({"messages": [bot_message(item, now) for item in replies]})


async def taken_over(app: web.Application, sender: str) -> bool:
    check = app.get(TAKEN_OVER)
    return check is not None and await check(sender)


def forget_answer(app: web.Application, key: str, task: asyncio.Future) -> None:
    """A failed attempt or no reply at all is forgotten at once (the retry asks Rasa again),
    an answer after ANSWER_KEPT_S; the shared state is told either way (for other servers)."""
    answers, shared = app[ANSWERS], app[SHARED]
    if task.cancelled() or task.exception() is not None or not task.result():
        answers.pop(key, None)
        telling = asyncio.ensure_future(shared.drop_answer(key))
    else:
        asyncio.get_running_loop().call_later(ANSWER_KEPT_S, answers.pop, key, None)
        telling = asyncio.ensure_future(shared.keep_answer(key, task.result()))
    app[TELLING].add(telling)
    telling.add_done_callback(app[TELLING].discard)


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
                offered = button_titles(message["buttons"])
        elif kind == "user":
            text = event.get("text") or ""
            if not text or (event.get("metadata") or {}).get(PICKED_UP):  # shown once, when it was written
                continue
            messages.append({"from": "user", "text": offered.get(text, text), "timestamp": event.get("timestamp")})
            offered = {}
    return messages


async def get_history(request: web.Request) -> web.Response:
    sender = request.query.get("sender")
    if not valid_sender(sender):
        return error(*BAD_SENDER)
    taken_over = request.app.get(TAKEN_OVER)
    # The shop's news for this conversation, shown now; it waits while the chat is closed
    # (the closed widget is told it waits: its button shows it unread).
    closed = request.query.get("closed") == "1"
    deliver = request.app.get(DELIVER_NOTICES) if not closed else None
    news = deliver is not None and await deliver(sender)
    waiting = request.app.get(NEWS_WAITING) if closed else None
    unread = {"news_waiting": await waiting(sender)} if waiting is not None else {}
    if request.query.get("poll") == "1" and not news and (taken_over is None or not await taken_over(sender)):
        # The widget's periodic check: only a conversation staff have taken over, or with
        # the shop's news just added, can have messages it did not ask for; the others cost
        # small queries, not a tracker from Rasa.
        return web.json_response({"messages": None, "paused": False, **unread})
    try:
        tracker = await request.app[RASA].tracker(sender, timeout=timeout(request.app[SETTINGS].web_rasa_timeout_s))
    except RasaTimeout:
        return error(*RASA_SLOW)
    except RasaBadReply as exc:
        logger.warning("%s", exc)
        return error(*RASA_DOWN)
    except RasaError as exc:
        logger.warning("Rasa not reachable: %s", exc)
        return error(*RASA_DOWN)
    if tracker is None:
        return web.json_response({"messages": [], "paused": False, "order_in_progress": False, **unread})
    return web.json_response({
        **unread,
        "messages": history_from_events(tracker.get("events") or []),
        # Staff took the conversation over: the widget asks more often for their messages.
        "paused": bool(tracker.get("paused")),
        # An order begun and not yet placed or cancelled (its product chosen): "New
        # conversation" asks before it discards it.
        "order_in_progress": (tracker.get("slots") or {}).get("product") is not None,
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
    """The widget may be embedded on a shop's own site: allow the origins configured, for the
    API only (widget.js and the demo page load without CORS; nothing else is for other sites)."""
    origin = request.headers.get("Origin")
    api = request.path.startswith("/api/")
    allowed = api and origin and origin in request.app[SETTINGS].cors_origins
    if request.method == "OPTIONS" and api:
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


async def answers_kept(app: web.Application) -> AsyncIterator[None]:
    app[ANSWERS], app[TELLING] = {}, set()
    yield
    asking = list(app[ANSWERS].values())
    for task in asking:  # answers nobody waits for any more
        task.cancel()
    # Their callbacks tell the shared state the attempts ended (another server's retry asks
    # Rasa again instead of waiting for an answer that will not come).
    await asyncio.gather(*asking, return_exceptions=True)
    await asyncio.gather(*app[TELLING], return_exceptions=True)


def setup_widget(app: web.Application) -> None:
    """Add the widget (demo page, widget.js/.css, /api/messages, /api/history, /health) and
    its CORS and rate limits to the application; app[SETTINGS] must be set."""
    settings = app[SETTINGS]
    app.middlewares.append(cors)
    app[LIMITS] = [
        (name, limit, key) for name, limit, key in [
            ("sender", settings.web_sender_limit, lambda request, sender: sender),
            ("address", settings.web_address_limit, lambda request, sender: client_address(request)),
        ] if limit
    ]
    app.cleanup_ctx.append(answers_kept)
    app.router.add_get("/", index)
    app.router.add_get("/widget.js", static_file("widget.js", "text/javascript; charset=utf-8"))
    app.router.add_get("/widget.css", static_file("widget.css", "text/css; charset=utf-8"))
    app.router.add_post("/api/messages", post_message)
    app.router.add_get("/api/history", get_history)
    app.router.add_get("/health", health)
    app.router.add_route("OPTIONS", "/api/{tail:.*}", preflight)
