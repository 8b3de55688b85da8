"""The composition root of the web server: `create_app(settings)` builds the one web
application, the chat widget's API (bot/channels/web) and the staff console (bot/staff),
with the clients they share opened in cleanup_ctx. Only this module knows both parts.

`python -m bot.server` serves it (the Procfile's `web:` process).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
from typing import AsyncIterator, List, Optional

from aiohttp import web

from bot.channels.email import setup_email
from bot.channels.notices import setup_notices
from bot.channels.rasa import RasaClient, timeout
from bot.channels.shared_state import RedisState, open_shared_state
from bot.channels.web.kit import RASA, SETTINGS, SHARED
from bot.channels.web.widget import TAKEN_OVER, setup_widget
from bot.settings import Settings, SettingsError
from bot.staff.app import setup_staff
from bot.staff.kit import STAFF, create_context, secret_key
from bot.store.conversations import active_takeover

MAX_REQUEST_BYTES = 256 * 1024


async def rasa_client(app: web.Application) -> AsyncIterator[None]:
    """One Rasa client (one connection pool) for the widget and the staff console."""
    settings = app[SETTINGS]
    async with RasaClient(settings.rasa_url, settings.rasa_token, timeout(settings.web_rasa_timeout_s)) as rasa:
        app[RASA] = rasa
        yield


async def shared_state(app: web.Application) -> AsyncIterator[None]:
    """The state every web server shares (Redis when REDIS_URL is set, else this process's)."""
    state = open_shared_state(app[SETTINGS])
    if isinstance(state, RedisState) and await state.ping():
        logging.getLogger("bespoke.web").info("the rate limits and late answers are shared in Redis (REDIS_URL)")
    app[SHARED] = state
    try:
        yield
    finally:
        await state.close()


def base_app(settings: Settings) -> web.Application:
    """The application with the settings, the Rasa client and the shared state, and no routes yet."""
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[SETTINGS] = settings
    app.cleanup_ctx.append(rasa_client)
    app.cleanup_ctx.append(shared_state)
    return app


def create_widget_app(settings: Settings) -> web.Application:
    """The chat widget alone (no staff console, no database): the widget's own tests."""
    app = base_app(settings)
    setup_widget(app)
    return app


def create_app(settings: Settings) -> web.Application:
    """The web server: the widget and its API, and the staff console under /staff."""
    app = create_widget_app(settings)
    setup_staff(app, create_context(settings))
    store = app[STAFF].store
    # Mail to customers: the unsubscribe page, and the sender when SMTP_HOST is set.
    setup_email(app, settings, store, secret_key(settings), app[STAFF].catalog)
    # News on the customer's channel: the widget's, and the Telegram sender when a token is set.
    setup_notices(app, settings, store)

    async def taken_over(sender: str) -> bool:
        return await asyncio.to_thread(active_takeover, store, sender) is not None

    app[TAKEN_OVER] = taken_over
    return app


def main(argv: Optional[List[str]] = None) -> int:
    try:
        settings = Settings.from_env()
    except SettingsError as error:  # a malformed setting: say which, start nothing
        print(f"bespoke: {error}", file=sys.stderr, flush=True)
        return 2
    parser = argparse.ArgumentParser(prog="python -m bot.server",
                                     description="Serve the Bespoke web chat widget and the staff console.")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.web_port)
    args = parser.parse_args(argv)
    settings = dataclasses.replace(settings, host=args.host, web_port=args.port)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # httpx logs every request at INFO with its URL: a line per message and history check,
    # with Rasa's API token (?token=) and, for Telegram notices, the bot token in it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # No access log: every open chat tab polls /api/history each second, which would be a
    # line per tab per second; errors are logged by the handlers themselves.
    web.run_app(create_app(settings), host=settings.host, port=settings.web_port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
