"""The staff console's routes and background work, wired onto the web application.

`setup_staff(app, context)` is the one place that knows every page: the composition root
(bot/server.py) calls it. Pages (orders, conversations, queue, dashboard) import the web
kit (bot/staff/kit.py) and data modules only; sign-in is bot/staff/auth.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator

from aiohttp import web

from bot.staff import auth, conversation_pages, dashboard_pages, order_pages, queue_pages
from bot.staff.conversations.index import keep_current
from bot.staff.conversations.transcript import readable_catalog
from bot.staff.kit import HERE, STAFF, StaffContext


async def background(app: web.Application) -> AsyncIterator[None]:
    """At start-up, read the catalog in the background (it names the options on transcripts;
    the first read takes about a second), so no page waits for it; keep the conversation
    index caught up, so a page rarely has anything left to read; and record expired quotes
    (their customers told). At the end, stop them."""
    context = app[STAFF]
    warm_up = asyncio.get_running_loop().run_in_executor(None, readable_catalog, context.catalog)
    indexer = asyncio.create_task(keep_current(context.store, context.tracker_database_url))
    quotes = asyncio.create_task(order_pages.keep_quotes_current(context.store))
    yield
    for task in (indexer, quotes):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    warm_up.cancel()


def setup_staff(app: web.Application, context: StaffContext) -> None:
    """Add the staff console and the staff API to the web application."""
    app[STAFF] = context
    auth.setup_auth(app)
    app.router.add_static("/staff/static/", HERE / "static", append_version=True)
    app.router.add_get("/staff/", dashboard_pages.dashboard)

    app.router.add_get("/staff/orders", order_pages.order_list)
    app.router.add_get("/staff/orders.csv", order_pages.order_csv)
    app.router.add_get("/staff/orders/{number}", order_pages.order_page)
    app.router.add_post("/staff/orders/{number}/status", order_pages.change_status)
    app.router.add_post("/staff/orders/{number}/notes", order_pages.add_note)
    app.router.add_post("/staff/orders/{number}/message", order_pages.message_customer)
    app.router.add_post("/staff/orders/{number}/changes/{request_id}", order_pages.decide_change)
    app.router.add_post("/staff/orders/{number}/quote", order_pages.price_quote)
    app.router.add_get("/api/orders", order_pages.api_orders)
    app.router.add_get("/api/orders/{number}", order_pages.api_order)

    conversation = "/staff/conversations/{conversation_id:[^/]+}"
    app.router.add_get("/staff/conversations", conversation_pages.conversation_list)
    app.router.add_get(f"{conversation}/story.yml", conversation_pages.story)
    app.router.add_post(f"{conversation}/takeover", conversation_pages.takeover)
    app.router.add_post(f"{conversation}/messages", conversation_pages.send_message)
    app.router.add_post(f"{conversation}/handback", conversation_pages.hand_back)
    app.router.add_get(f"{conversation}/turns", conversation_pages.turns_since)
    app.router.add_get(conversation, conversation_pages.transcript_get)
    app.router.add_get("/api/conversations/{conversation_id:[^/]+}", conversation_pages.api_conversation)

    app.router.add_get("/staff/queue", queue_pages.queue_page)
    app.router.add_post("/staff/queue/flags/{flag_id}/resolve", queue_pages.resolve_flag)

    app.cleanup_ctx.append(background)
