"""Conversations: list, transcript, the queue of flagged conversations, taking over, story
export, and GET /api/conversations/{id}.

The data comes from bot/staff/conversations.py (the index, transcripts, takeovers); this
module talks HTTP: to Rasa's API for what changes a conversation (the `pause`, `resume`
and staff `bot` events, the test story) and to Telegram's Bot API to deliver what staff
write to a Telegram customer. A web customer's widget picks staff messages up from its
history (GET /api/history), which it polls.

The transcript is read from Rasa's events table (as the index is), not from Rasa's HTTP
tracker API: it works while Rasa is down or restarting, covers every session of the
conversation, and gives each event its id, which the page and the index share.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from datetime import datetime
from typing import Any, Dict, List, Optional
from urllib.parse import quote, urlencode

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from markupsafe import Markup, escape
from sqlalchemy.exc import DBAPIError

from bot.store.orders import FlagNotFoundError
from bot.staff import conversations as data
from bot.staff.app import (
    STAFF,
    StaffContext,
    context_of,
    form,
    in_thread,
    redirect,
    render,
    safe_next,
    staff_of,
)

logger = logging.getLogger("bespoke.staff.conversations")

RASA_TIMEOUT_S = 15
INDEX_TIME_BUDGET_S = 0.5
TRANSCRIPT_SHOWN = 400  # entries on a transcript page; a longer one shows its latest, with a link to all  # a page waits at most about this long for the index to catch up
MAX_STAFF_MESSAGE_CHARS = 2000
HTTP_KEY = "conversations_http"
INDEXER_KEY = "conversations_indexer"
INDEX_EVERY_S = 5  # how often the background indexer looks for new events
DONE = {  # ?done=<code> after a POST: what the page then says
    "taken_over": "You have taken over this conversation: the bot stays quiet until you hand it back.",
    "sent": "Message sent.",
    "sent_telegram": "Message sent to the customer on Telegram.",
    "sent_web": "Message sent: the customer's chat window shows it within a few seconds.",
    "sent_rest": "Message added to the conversation's history (this client reads its history itself: "
                 "nothing can be pushed to it).",
    "handed_back": "Handed back: the bot answers the customer again.",
    "resolved": "Flag resolved.",
}
BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)


class RasaUnavailable(Exception):
    """Rasa's HTTP API did not do what was asked; the message is for staff."""


class DeliveryFailed(Exception):
    """The customer's channel did not take the message; the message is for staff."""


# ---------------------------------------------------------------------------- formatting


def when(value: Optional[str]) -> str:
    """An ISO time as "2026-11-25 19:03 UTC" (seconds are noise on a list)."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return value


def when_exact(value: Optional[str]) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return value


def rich(text: str) -> Markup:
    """The bot's text with its **bold** shown bold; everything else escaped (line breaks by CSS)."""
    return Markup(BOLD.sub(lambda match: f"<strong>{match.group(1)}</strong>", str(escape(text))))


def conversation_href(conversation_id: str) -> str:
    return f"/staff/conversations/{quote(conversation_id, safe='')}"


# ---------------------------------------------------------------------------- Rasa and Telegram


def http_session(context: StaffContext) -> ClientSession:
    session = context.extra.get(HTTP_KEY)
    if session is None or session.closed:
        session = context.extra[HTTP_KEY] = ClientSession(timeout=ClientTimeout(total=RASA_TIMEOUT_S))
    return session


async def warm_up(app: web.Application) -> None:
    """Read the catalog in the background at start-up (it names the options on transcripts;
    the first read takes about a second), so no page waits for it; and keep the conversation
    index caught up in the background, so a page rarely has anything left to read."""
    context = app[STAFF]
    context.extra["conversations_warm_up"] = asyncio.get_running_loop().run_in_executor(None, data.catalog)
    context.extra[INDEXER_KEY] = asyncio.create_task(keep_index_current(context))


async def keep_index_current(context: StaffContext) -> None:
    while True:
        try:
            notice = await refresh(context)  # database errors are logged there
        except Exception:  # noqa: BLE001 - the indexer must outlive one bad round; pages refresh too
            logger.exception("the background conversation indexer failed; trying again in %s s", INDEX_EVERY_S)
            notice = None
        # Right away while catching up after a pause; then a light check now and then.
        await asyncio.sleep(0 if notice and "catching up" in notice else INDEX_EVERY_S)


async def close_http(app: web.Application) -> None:
    indexer = app[STAFF].extra.pop(INDEXER_KEY, None)
    if indexer is not None:
        indexer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await indexer
    session = app[STAFF].extra.pop(HTTP_KEY, None)
    if session is not None:
        await session.close()


def rasa_conversation_url(context: StaffContext, conversation_id: str, tail: str) -> str:
    # Rasa's route takes the id as a path (<conversation_id:path>): ":" may stay as it is.
    return f"{context.rasa_url}/conversations/{quote(conversation_id, safe=':@')}/{tail}"


async def append_events(context: StaffContext, conversation_id: str, events: List[Dict[str, Any]]) -> None:
    """POST events to the conversation's tracker through Rasa's HTTP API."""
    url = rasa_conversation_url(context, conversation_id, "tracker/events")
    try:
        async with http_session(context).post(url, params={"token": context.rasa_token}, json=events) as response:
            if response.status != 200:
                body = (await response.text())[:300]
                logger.warning("Rasa answered %s to appending events to %s: %s", response.status, conversation_id, body)
                if response.status in (401, 403):
                    raise RasaUnavailable("Rasa refused the request (its API token does not match BESPOKE_RASA_TOKEN).")
                raise RasaUnavailable(f"Rasa answered {response.status}; nothing was changed.")
    except (ClientError, asyncio.TimeoutError) as error:
        logger.warning("Rasa not reachable to append events to %s: %r", conversation_id, error)
        raise RasaUnavailable("The bot (Rasa) is not reachable right now; nothing was changed. Try again in a moment.") from None


async def fetch_story(context: StaffContext, conversation_id: str) -> Optional[str]:
    """The conversation as Rasa test stories (YAML, every session); None if Rasa has no such conversation."""
    url = rasa_conversation_url(context, conversation_id, "story")
    try:
        async with http_session(context).get(
            url, params={"token": context.rasa_token, "all_sessions": "true"}
        ) as response:
            if response.status == 404:
                return None
            if response.status != 200:
                logger.warning("Rasa answered %s to a story request for %s", response.status, conversation_id)
                raise RasaUnavailable(f"Rasa answered {response.status} when asked for the story.")
            return await response.text()
    except (ClientError, asyncio.TimeoutError) as error:
        logger.warning("Rasa not reachable for the story of %s: %r", conversation_id, error)
        raise RasaUnavailable("The bot (Rasa) is not reachable right now, and the story comes from it. "
                              "Try again in a moment.") from None


def telegram_configured() -> bool:
    return bool(os.environ.get("TELEGRAM_BOT_TOKEN", "").strip())


async def send_telegram(chat_id: int, text: str) -> None:
    """Send staff's message to the Telegram chat with the shop's bot (as bot/channels/telegram does)."""
    from telegram import Bot
    from telegram.error import TelegramError

    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        raise DeliveryFailed("Telegram is not configured on this server (TELEGRAM_BOT_TOKEN is not set), "
                             "so the message cannot reach this customer. Nothing was sent.")
    base_url = os.environ.get("TELEGRAM_API_BASE_URL", "").strip()
    bot = Bot(token, base_url=base_url) if base_url else Bot(token)
    try:
        async with bot:
            await bot.send_message(chat_id=chat_id, text=text)
    except TelegramError as error:
        logger.warning("Telegram did not take a staff message for chat %s: %s", chat_id, error)
        raise DeliveryFailed(f"Telegram did not take the message ({error}). Nothing was sent.") from None


# ---------------------------------------------------------------------------- helpers


async def refresh(context: StaffContext) -> Optional[str]:
    """Catch the index up (briefly); a message for the page when it could not."""
    try:
        result = await in_thread(data.refresh_index, context.store, context.tracker_database_url, INDEX_TIME_BUDGET_S)
    except DBAPIError as error:
        logger.exception("could not bring the conversation index up to date")
        return f"Could not bring the list of conversations up to date ({type(error.orig).__name__}, see the " \
               "server log); it may miss the latest conversations."
    if not result.caught_up:
        return "The conversation index is still catching up with older conversations; reload in a moment to see all."
    return None


def conversation_id_of(request: web.Request) -> str:
    conversation_id = request.match_info["conversation_id"]
    if not conversation_id or len(conversation_id) > 255:
        raise web.HTTPNotFound(text="There is no such conversation.")
    return conversation_id


def page_query(filters: data.ListFilters, **changes: Any) -> str:
    values = {
        "channel": filters.channel,
        "from": filters.date_from.isoformat() if filters.date_from else "",
        "to": filters.date_to.isoformat() if filters.date_to else "",
        "has_order": "" if filters.has_order is None else ("yes" if filters.has_order else "no"),
        "flagged": "" if filters.flagged is None else ("yes" if filters.flagged else "no"),
        "q": filters.search,
        "page": str(filters.page),
    }
    values.update({key: str(value) for key, value in changes.items()})
    if values["page"] == "1":
        values.pop("page")
    return urlencode({key: value for key, value in values.items() if value})


# ---------------------------------------------------------------------------- pages


async def conversation_list(request: web.Request) -> web.Response:
    context = context_of(request)
    filters, problems = data.parse_filters(dict(request.query))
    warning = await refresh(context)
    rows, total = await in_thread(data.list_conversations, context.store, filters)
    pages = max(1, -(-total // filters.per_page))
    first = (filters.page - 1) * filters.per_page + 1 if rows else 0
    for row in rows:
        row["href"] = conversation_href(row["conversation_id"])
        row["started"] = when(row["started_at"])
        row["last"] = when(row["last_message_at"])
    filtered = any([filters.channel, filters.date_from, filters.date_to, filters.has_order is not None,
                    filters.flagged is not None, filters.search])
    return render(
        request, "conversations.html", rows=rows, total=total, first=first, last=first + len(rows) - 1 if rows else 0,
        page=filters.page, page_count=pages, filters=filters, problems=problems, warning=warning, filtered=filtered,
        channels=data.CHANNELS,
        previous_href=f"/staff/conversations?{page_query(filters, page=filters.page - 1)}" if filters.page > 1 else "",
        next_href=f"/staff/conversations?{page_query(filters, page=filters.page + 1)}" if filters.page < pages else "",
    )


async def transcript_page(request: web.Request, error: str = "", status: int = 200,
                          draft: str = "") -> web.Response:
    context = context_of(request)
    conversation_id = conversation_id_of(request)
    await refresh(context)
    try:
        detail = await in_thread(data.conversation_detail, context.store, context.tracker_database_url, conversation_id)
    except DBAPIError:
        logger.exception("could not read the transcript of %s", conversation_id)
        return render(request, "transcript.html", status=502, conversation_id=conversation_id, detail=None,
                      error="Could not read this conversation from Rasa's tracker database. Try again in a moment.",
                      done="", draft="", **_page_tools(conversation_id))
    if detail is None:
        return render(request, "transcript.html", status=404, conversation_id=conversation_id, detail=None,
                      error=error or "There is no conversation with this id.", done="", draft="", **_page_tools(conversation_id))
    earlier = 0  # entries left out of a very long transcript (the latest are shown)
    if request.query.get("all") != "1" and len(detail["transcript"]) > TRANSCRIPT_SHOWN:
        earlier = len(detail["transcript"]) - TRANSCRIPT_SHOWN
        shown = detail["transcript"][earlier:]
    else:
        shown = detail["transcript"]
    for entry in shown:
        entry["when"] = when_exact(entry["at"])
    for flag in detail["flags"]:
        flag["raised"] = when(flag["raised_at"])
        flag["resolved"] = when(flag["resolved_at"])
    for takeover in detail["takeovers"]:
        takeover["started"] = when(takeover["started_at"])
        takeover["ended"] = when(takeover["ended_at"])
    for order in detail["orders"]:
        order["href"] = f"/staff/orders/{quote(order['number'], safe='')}"
        order["placed"] = when(order["created_at"])
    last_id = max((entry["id"] for entry in detail["transcript"]), default=0)
    summary = detail["summary"] or {  # not indexed yet (Rasa's database unreadable a moment ago)
        "customer_name": None, "started_at": None, "last_message_at": None,
        "user_turns": sum(1 for e in detail["transcript"] if e["kind"] == "user"),
    }
    channel = detail["channel"]
    return render(
        request, "transcript.html", status=status, conversation_id=conversation_id, detail=detail,
        summary=summary, started=when(summary.get("started_at")), last=when(summary.get("last_message_at")),
        error=error, done=DONE.get(request.query.get("done", ""), ""), draft=draft,
        misunderstood=sum(1 for e in detail["transcript"] if e["kind"] == "user" and e["misunderstood"]),
        telegram_missing=channel == "telegram" and not telegram_configured(), last_id=last_id,
        shown=shown, earlier=earlier,
        max_message=MAX_STAFF_MESSAGE_CHARS,
        **_page_tools(conversation_id),
    )


def _page_tools(conversation_id: str) -> Dict[str, Any]:
    href = conversation_href(conversation_id)
    return {"href": href, "story_href": f"{href}/story.yml", "rich": rich}


async def transcript_get(request: web.Request) -> web.Response:
    return await transcript_page(request)


async def turns_since(request: web.Request) -> web.Response:
    """The turns after event `after`, rendered, for a transcript page watching a takeover."""
    context = context_of(request)
    conversation_id = conversation_id_of(request)
    after = request.query.get("after", "0")
    if not after.isdigit():
        return web.json_response({"error": "bad_request", "message": "after must be an event id."}, status=400)
    try:
        turns = await in_thread(data.transcript, context.tracker_database_url, conversation_id)
    except DBAPIError:
        logger.exception("could not read the transcript of %s", conversation_id)
        return web.json_response({"error": "tracker_unavailable", "message": "Could not read the conversation."},
                                 status=502)
    new = [entry for entry in turns if entry["id"] > int(after)]
    for entry in new:
        entry["when"] = when_exact(entry["at"])
    html = context.templates.get_template("transcript_turns.html").render(entries=new, rich=rich) if new else ""
    response = web.json_response({"html": html, "last": max([int(after)] + [entry["id"] for entry in new])})
    response.headers["Cache-Control"] = "no-store"
    return response


async def takeover(request: web.Request) -> web.Response:
    fields = await form(request)
    context, staff = context_of(request), staff_of(request)
    conversation_id = conversation_id_of(request)
    if not await in_thread(data.conversation_exists, context.tracker_database_url, conversation_id):
        return await transcript_page(request, "There is no conversation with this id to take over.", 404)
    try:
        record = await in_thread(data.start_takeover, context.store, conversation_id, staff)
    except data.ConversationError as error:
        return await transcript_page(request, str(error), 409)
    try:
        await append_events(context, conversation_id, [{"event": "pause"}])
    except RasaUnavailable as error:
        await in_thread(data.cancel_takeover, context.store, record["id"])
        return await transcript_page(request, f"Could not take over: {error}", 502)
    logger.info("staff %s took over %s", staff, conversation_id)
    raise redirect(f"{conversation_href(conversation_id)}?done=taken_over" if not fields.get("next")
                   else safe_next(fields["next"]))


async def send_message(request: web.Request) -> web.Response:
    fields = await form(request)
    context, staff = context_of(request), staff_of(request)
    conversation_id = conversation_id_of(request)
    text = fields.get("text", "").strip()
    if not text:
        return await transcript_page(request, "Please type a message to send.", 400)
    if len(text) > MAX_STAFF_MESSAGE_CHARS:
        return await transcript_page(
            request, f"That message is too long ({len(text):,} characters); keep it under "
                     f"{MAX_STAFF_MESSAGE_CHARS:,}.", 413, draft=text)
    if await in_thread(data.active_takeover, context.store, conversation_id) is None:
        return await transcript_page(request, "Take over the conversation first: while the bot is in charge, "
                                              "it answers the customer.", 409, draft=text)
    channel = data.channel_of(conversation_id)
    if channel == "telegram":
        chat_id = data.telegram_chat_id(conversation_id)
        if chat_id is None:
            return await transcript_page(request, "This Telegram conversation id has no chat number; "
                                                  "the message cannot be delivered.", 400, draft=text)
        try:
            await send_telegram(chat_id, text)
        except DeliveryFailed as error:
            return await transcript_page(request, str(error), 502, draft=text)
    try:
        await append_events(context, conversation_id, [{"event": "bot", "text": text, "metadata": {"staff": staff}}])
    except RasaUnavailable as error:
        if channel == "telegram":
            return await transcript_page(
                request, f"The customer got the message on Telegram, but it could not be added to the transcript: {error}",
                502)
        return await transcript_page(request, f"Could not send the message: {error}", 502, draft=text)
    logger.info("staff %s wrote to %s", staff, conversation_id)
    raise redirect(f"{conversation_href(conversation_id)}?done=sent_{channel}#write")


async def hand_back(request: web.Request) -> web.Response:
    await form(request)
    context, staff = context_of(request), staff_of(request)
    conversation_id = conversation_id_of(request)
    try:
        await append_events(context, conversation_id, [{"event": "resume"}])
    except RasaUnavailable as error:
        return await transcript_page(request, f"Could not hand back: {error}", 502)
    await in_thread(data.end_takeover, context.store, conversation_id)
    logger.info("staff %s handed %s back to the bot", staff, conversation_id)
    raise redirect(f"{conversation_href(conversation_id)}?done=handed_back")


async def resolve_flag(request: web.Request) -> web.Response:
    fields = await form(request)
    context, staff = context_of(request), staff_of(request)
    back = safe_next(fields.get("next", "/staff/queue"))
    try:
        flag_id = int(request.match_info["flag_id"])
        await in_thread(context.store.resolve_flag, flag_id, staff)
    except (ValueError, FlagNotFoundError):
        return render(request, "queue.html", status=404, rows=[], takeovers=[], warning="",
                      error="There is no such flag (it may have been removed).", done="")
    separator = "&" if "?" in back else "?"
    raise redirect(f"{back}{separator}done=resolved")


async def story(request: web.Request) -> web.Response:
    context = context_of(request)
    conversation_id = conversation_id_of(request)
    try:
        text = await fetch_story(context, conversation_id)
    except RasaUnavailable as error:
        return await transcript_page(request, f"Could not export the story: {error}", 502)
    if text is None:
        return await transcript_page(request, "Rasa has no conversation with this id, so there is no story to export.", 404)
    turns = await in_thread(data.transcript, context.tracker_database_url, conversation_id)
    text = data.story_without_takeovers(text, turns)
    return web.Response(
        text=text, content_type="application/x-yaml", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{data.story_filename(conversation_id)}"',
                 "Cache-Control": "no-store"},
    )


async def queue_page(request: web.Request) -> web.Response:
    context = context_of(request)
    warning = await refresh(context)
    raw_page = request.query.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 100_000 else 1
    rows, total = await in_thread(data.queue, context.store, page)
    pages = max(1, -(-total // data.QUEUE_PAGE))
    if page > pages:  # past the end (flags were resolved meanwhile): the last page
        page = pages
        rows, total = await in_thread(data.queue, context.store, page)
    takeovers = await in_thread(data.active_takeovers, context.store)
    for row in rows:
        row["href"] = conversation_href(row["conversation_id"])
        row["raised"] = when(row["raised_at"])
    for item in takeovers:
        item["href"] = conversation_href(item["conversation_id"])
        item["started"] = when(item["started_at"])
    first = (page - 1) * data.QUEUE_PAGE + 1
    return render(request, "queue.html", rows=rows, takeovers=takeovers, warning=warning, error="",
                  done=DONE.get(request.query.get("done", ""), ""), total=total, first=first,
                  last=first + len(rows) - 1,
                  previous_href=f"/staff/queue?page={page - 1}" if page > 1 else "",
                  next_href=f"/staff/queue?page={page + 1}" if page < pages else "")


async def api_conversation(request: web.Request) -> web.Response:
    context = context_of(request)
    conversation_id = request.match_info["conversation_id"]
    await refresh(context)
    try:
        detail = await in_thread(data.conversation_detail, context.store, context.tracker_database_url, conversation_id)
    except DBAPIError:
        logger.exception("could not read the conversation %s", conversation_id)
        return web.json_response({"error": "tracker_unavailable",
                                  "message": "Could not read Rasa's tracker database."}, status=502)
    if detail is None:
        return web.json_response({"error": "not_found", "message": f"There is no conversation {conversation_id!r}."},
                                 status=404)
    detail.pop("active_takeover", None)
    return web.json_response(detail)


def register(app: web.Application) -> None:
    segment = "{conversation_id:[^/]+}"
    app.router.add_get("/staff/conversations", conversation_list)
    app.router.add_get(f"/staff/conversations/{segment}/story.yml", story)
    app.router.add_post(f"/staff/conversations/{segment}/takeover", takeover)
    app.router.add_post(f"/staff/conversations/{segment}/messages", send_message)
    app.router.add_post(f"/staff/conversations/{segment}/handback", hand_back)
    app.router.add_get(f"/staff/conversations/{segment}/turns", turns_since)
    app.router.add_get(f"/staff/conversations/{segment}", transcript_get)
    app.router.add_get("/staff/queue", queue_page)
    app.router.add_post("/staff/queue/flags/{flag_id}/resolve", resolve_flag)
    app.router.add_get(f"/api/conversations/{segment}", api_conversation)
    app.on_startup.append(warm_up)
    app.on_cleanup.append(close_http)
