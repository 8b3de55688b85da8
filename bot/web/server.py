"""The widget's server: static files and a thin JSON proxy to Rasa (REST channel, tracker).

A channel decides nothing about an order: this only checks the shape of what the browser
sends (sender id, message length), forwards it and reshapes Rasa's reply for the widget.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from aiohttp import ClientError, ClientSession, ClientTimeout, web

STATIC = Path(__file__).resolve().parent / "static"
MAX_MESSAGE_CHARS = 2000
# Made by the widget: "web:" + crypto.randomUUID().
SENDER_PATTERN = re.compile(r"^web:[A-Za-z0-9_-]{8,64}$")
logger = logging.getLogger("bespoke.web")


@dataclass
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = ""
    timeout_s: float = 30.0
    cors_origins: tuple = ()
    staff: bool = True  # the staff console under /staff and its API (off in tests of the widget alone)

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
        )


SETTINGS = web.AppKey("settings", WebSettings)
HTTP = web.AppKey("http", ClientSession)


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


RASA_DOWN = (502, "rasa_unavailable", "The shop's assistant is not reachable right now. Please try again in a moment.")
RASA_SLOW = (504, "rasa_timeout", "The shop's assistant is taking too long to answer. Please try again in a moment.")


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
        )
    settings = request.app[SETTINGS]
    try:
        async with request.app[HTTP].post(
            f"{settings.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}
        ) as response:
            if response.status != 200:
                logger.warning("Rasa answered %s to a message", response.status)
                return error(*RASA_DOWN)
            replies = await response.json()
    except asyncio.TimeoutError:
        return error(*RASA_SLOW)
    except (ClientError, ValueError) as exc:
        logger.warning("Rasa not reachable: %s", exc)
        return error(*RASA_DOWN)
    now = time.time()
    return web.json_response({"messages": [bot_message(item, now) for item in replies if isinstance(item, dict)]})


def history_from_events(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Past user and bot messages; a clicked button's payload is shown as its title."""
    messages: List[Dict[str, Any]] = []
    offered: Dict[str, str] = {}  # payload -> title of the buttons last offered
    for event in events:
        kind = event.get("event")
        if kind == "bot":
            data = event.get("data") or {}
            message = bot_message({"text": event.get("text"), **data}, event.get("timestamp"))
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


async def get_history(request: web.Request) -> web.Response:
    sender = request.query.get("sender")
    if not valid_sender(sender):
        return error(400, "bad_sender", "The conversation id is not valid. Please start a new conversation.")
    settings = request.app[SETTINGS]
    try:
        async with request.app[HTTP].get(
            f"{settings.rasa_url}/conversations/{sender}/tracker",
            params={"token": settings.rasa_token, "include_events": "ALL"},
        ) as response:
            if response.status == 404:
                return web.json_response({"messages": []})
            if response.status != 200:
                logger.warning("Rasa answered %s to a tracker request", response.status)
                return error(*RASA_DOWN)
            tracker = await response.json()
    except asyncio.TimeoutError:
        return error(*RASA_SLOW)
    except (ClientError, ValueError) as exc:
        logger.warning("Rasa not reachable: %s", exc)
        return error(*RASA_DOWN)
    return web.json_response({"messages": history_from_events(tracker.get("events") or [])})


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
        response.headers["Vary"] = "Origin"
    return response


def create_app(settings: WebSettings) -> web.Application:
    app = web.Application(middlewares=[cors], client_max_size=256 * 1024)
    app[SETTINGS] = settings

    async def http_session(app: web.Application):
        app[HTTP] = ClientSession(timeout=ClientTimeout(total=settings.timeout_s))
        yield
        await app[HTTP].close()

    app.cleanup_ctx.append(http_session)
    app.router.add_get("/", index)
    app.router.add_get("/widget.js", static_file("widget.js", "text/javascript; charset=utf-8"))
    app.router.add_get("/widget.css", static_file("widget.css", "text/css; charset=utf-8"))
    app.router.add_post("/api/messages", post_message)
    app.router.add_get("/api/history", get_history)
    app.router.add_get("/health", lambda request: web.json_response({"status": "ok"}))
    app.router.add_route("OPTIONS", "/api/{tail:.*}", lambda request: web.Response(status=204))
    if settings.staff:
        from bot.staff.app import create_context, setup_staff

        setup_staff(app, create_context(settings.rasa_url, settings.rasa_token))
    return app


def main(argv: Optional[List[str]] = None) -> int:
    settings = WebSettings.from_env()
    parser = argparse.ArgumentParser(prog="python -m bot.web", description="Serve the Bespoke web chat widget.")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    settings.host, settings.port = args.host, args.port
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)
    return 0
