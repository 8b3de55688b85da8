"""What the parts of the one web application share (the widget API here, the staff console
in bot/staff): the typed app keys for the settings, the Rasa client and the shared state, which the
composition root (bot/server.py) fills, and the client's address behind a reverse proxy."""

from __future__ import annotations

import ipaddress
from typing import Awaitable, Callable

from aiohttp import web

from bot.channels.rasa import RasaClient
from bot.channels.shared_state import SharedState
from bot.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
RASA = web.AppKey("rasa", RasaClient)  # opened and closed by the root's cleanup_ctx
# What several web servers share (rate limits, late answers): opened by the root's cleanup_ctx.
SHARED = web.AppKey("shared", SharedState)


def client_address(request: web.Request) -> str:
    """The browser's address (for rate limits and the staff sign-in's slowing down): behind a
    trusted reverse proxy (BESPOKE_TRUSTED_PROXIES; default: one on this machine), the address
    it appended to X-Forwarded-For; another peer's header is not believed."""
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


# News for the conversation (bot/channels/notices.py): added to it now, and whether any was;
# absent (the widget alone, no store): never.
DELIVER_NOTICES = web.AppKey("deliver_notices", Callable[[str], Awaitable[bool]])
# Whether the conversation has news waiting (the closed widget's check: it marks its button
# unread); absent: never.
NEWS_WAITING = web.AppKey("news_waiting", Callable[[str], Awaitable[bool]])
