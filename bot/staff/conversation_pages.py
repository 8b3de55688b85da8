"""Conversations: list, transcript, taking over, writing to the customer, handing back,
story export, and GET /api/conversations/{id}.

The data comes from bot/staff/conversations/ (the index, the list, transcripts) and the
store's takeovers; this module talks HTTP: to Rasa (the one client, bot/channels/rasa.py)
for what changes a conversation (the `pause`, `resume` and staff `bot` events, the test
story) and to Telegram (bot/channels/telegram/sender.py) to deliver what staff write to a
Telegram customer. A web customer's widget picks staff messages up from its history
(GET /api/history), which it polls.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup, escape
from sqlalchemy.exc import DBAPIError

from bot.channels.rasa import PICKED_UP, RasaBadReply, RasaError, timeout
from bot.channels.telegram.sender import TelegramSendError
from bot.channels.web.kit import RASA
from bot.store.conversations import TakenOverError, active_takeover, cancel_takeover, end_takeover, start_takeover
from bot.staff.conversations.events import CHANNELS, channel_of, conversation_exists, telegram_chat_id
from bot.staff.conversations.index import refresh
from bot.staff.conversations.listing import ListFilters, list_conversations
from bot.staff.conversations.transcript import conversation_detail, story_filename, story_without_takeovers, transcript
from bot.staff.queries import conversation_filters, conversation_params
from bot.staff.kit import (
    StaffContext,
    context_of,
    conversation_path,
    done_message,
    form,
    in_thread,
    order_path,
    redirect,
    render,
    safe_next,
    staff_of,
    when,
    when_exact,
)

logger = logging.getLogger("bespoke.staff.conversations")

RASA_TIMEOUT_S = 15
TRANSCRIPT_SHOWN = 400  # entries on a transcript page; a longer one shows its latest, with a link to all
MAX_STAFF_MESSAGE_CHARS = 2000
BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)


class RasaUnavailable(Exception):
    """Rasa's HTTP API did not do what was asked; the message is for staff."""


class DeliveryFailed(Exception):
    """The customer's channel did not take the message; the message is for staff."""


# ---------------------------------------------------------------------------- formatting


def rich(text: str) -> Markup:
    """The bot's text with its **bold** shown bold; everything else escaped (line breaks by CSS)."""
    return Markup(BOLD.sub(lambda match: f"<strong>{match.group(1)}</strong>", str(escape(text))))


# ---------------------------------------------------------------------------- Rasa and Telegram


async def append_events(request: web.Request, conversation_id: str, events: List[Dict[str, Any]]) -> None:
    """Add events to the end of the conversation's tracker through Rasa's HTTP API."""
    try:
        await request.app[RASA].append_events(conversation_id, events, timeout=timeout(RASA_TIMEOUT_S))
    except RasaBadReply as error:
        logger.warning("Rasa answered %s to appending events to %s: %s", error.status, conversation_id, error.body)
        if error.status in (401, 403):
            raise RasaUnavailable("Rasa refused the request (its API token does not match BESPOKE_RASA_TOKEN).") from None
        raise RasaUnavailable(f"Rasa answered {error.status}; nothing was changed.") from None
    except RasaError as error:
        logger.warning("Rasa not reachable to append events to %s: %r", conversation_id, error)
        raise RasaUnavailable("The bot (Rasa) is not reachable right now; nothing was changed. Try again in a moment.") from None


async def fetch_story(request: web.Request, conversation_id: str) -> Optional[str]:
    """The conversation as Rasa test stories (YAML, every session); None if Rasa has no such conversation."""
    try:
        return await request.app[RASA].story(conversation_id, timeout=timeout(RASA_TIMEOUT_S))
    except RasaBadReply as error:
        logger.warning("Rasa answered %s to a story request for %s", error.status, conversation_id)
        raise RasaUnavailable(f"Rasa answered {error.status} when asked for the story.") from None
    except RasaError as error:
        logger.warning("Rasa not reachable for the story of %s: %r", conversation_id, error)
        raise RasaUnavailable("The bot (Rasa) is not reachable right now, and the story comes from it. "
                              "Try again in a moment.") from None


async def send_telegram(context: StaffContext, chat_id: int, text: str) -> None:
    """Send staff's message to the Telegram chat with the shop's bot."""
    if not context.telegram.configured:
        raise DeliveryFailed("Telegram is not configured on this server (TELEGRAM_BOT_TOKEN is not set), "
                             "so the message cannot reach this customer. Nothing was sent.")
    try:
        await context.telegram.send_message(chat_id, text)
    except TelegramSendError as error:
        logger.warning("Telegram did not take a staff message for chat %s: %s", chat_id, error)
        raise DeliveryFailed(f"Telegram did not take the message ({error}). Nothing was sent.") from None


# ---------------------------------------------------------------------------- helpers


def conversation_id_of(request: web.Request) -> str:
    conversation_id = request.match_info["conversation_id"]
    if not conversation_id or len(conversation_id) > 255:
        raise web.HTTPNotFound(text="There is no such conversation.")
    return conversation_id


def list_link(filters: ListFilters, **changes: Any) -> str:
    return f"/staff/conversations?{urlencode(conversation_params(filters, **changes))}"


# ---------------------------------------------------------------------------- pages


async def conversation_list(request: web.Request) -> web.Response:
    context = context_of(request)
    filters, problems = conversation_filters(request.query)
    warning = await refresh(context.store, context.tracker_database_url)
    rows, total = await in_thread(list_conversations, context.store, filters)
    pages = max(1, -(-total // filters.per_page))
    first = (filters.page - 1) * filters.per_page + 1 if rows else 0
    for row in rows:
        row["href"] = conversation_path(row["conversation_id"])
        row["started"] = when(row["started_at"])
        row["last"] = when(row["last_message_at"])
    filtered = any([filters.channel, filters.date_from, filters.date_to, filters.has_order is not None,
                    filters.flagged is not None, filters.search])
    return render(
        request, "conversations.html", rows=rows, total=total, first=first, last=first + len(rows) - 1 if rows else 0,
        page=filters.page, page_count=pages, filters=filters, problems=problems, warning=warning, filtered=filtered,
        channels=CHANNELS,
        previous_href=list_link(filters, page=filters.page - 1) if filters.page > 1 else "",
        next_href=list_link(filters, page=filters.page + 1) if filters.page < pages else "",
    )


async def transcript_page(request: web.Request, error: str = "", status: int = 200,
                          draft: str = "") -> web.Response:
    context = context_of(request)
    conversation_id = conversation_id_of(request)
    await refresh(context.store, context.tracker_database_url)
    try:
        detail = await in_thread(conversation_detail, context.store, context.tracker_database_url, conversation_id,
                                 context.catalog)
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
        order["href"] = order_path(order["number"])
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
        error=error, done=done_message(request), draft=draft,
        misunderstood=sum(1 for e in detail["transcript"] if e["kind"] == "user" and e["misunderstood"]),
        telegram_missing=channel == "telegram" and not context.telegram.configured, last_id=last_id,
        shown=shown, earlier=earlier,
        max_message=MAX_STAFF_MESSAGE_CHARS,
        **_page_tools(conversation_id),
    )


def _page_tools(conversation_id: str) -> Dict[str, Any]:
    href = conversation_path(conversation_id)
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
        turns = await in_thread(transcript, context.tracker_database_url, conversation_id, context.catalog)
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
    if not await in_thread(conversation_exists, context.tracker_database_url, conversation_id):
        return await transcript_page(request, "There is no conversation with this id to take over.", 404)
    try:
        record = await in_thread(start_takeover, context.store, conversation_id, staff)
    except TakenOverError as error:
        return await transcript_page(request, str(error), 409)
    try:
        await append_events(request, conversation_id, [{"event": "pause"}])
    except RasaUnavailable as error:
        await in_thread(cancel_takeover, context.store, record["id"])
        return await transcript_page(request, f"Could not take over: {error}", 502)
    logger.info("staff %s took over %s", staff, conversation_id)
    raise redirect(f"{conversation_path(conversation_id)}?done=taken_over" if not fields.get("next")
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
    if await in_thread(active_takeover, context.store, conversation_id) is None:
        return await transcript_page(request, "Take over the conversation first: while the bot is in charge, "
                                              "it answers the customer.", 409, draft=text)
    channel = channel_of(conversation_id)
    if channel == "telegram":
        chat_id = telegram_chat_id(conversation_id)
        if chat_id is None:
            return await transcript_page(request, "This Telegram conversation id has no chat number; "
                                                  "the message cannot be delivered.", 400, draft=text)
        try:
            await send_telegram(context, chat_id, text)
        except DeliveryFailed as error:
            return await transcript_page(request, str(error), 502, draft=text)
    try:
        await append_events(request, conversation_id, [{"event": "bot", "text": text, "metadata": {"staff": staff}}])
    except RasaUnavailable as error:
        if channel == "telegram":
            return await transcript_page(
                request, f"The customer got the message on Telegram, but it could not be added to the transcript: {error}",
                502)
        return await transcript_page(request, f"Could not send the message: {error}", 502, draft=text)
    logger.info("staff %s wrote to %s", staff, conversation_id)
    raise redirect(f"{conversation_path(conversation_id)}?done=sent_{channel}#write")


# What the bot says when it is handed a conversation whose customer wrote meanwhile, before it
# answers those messages; marked in the bot event's metadata (BACK) as data.
BACK_TEXT = ("I'm back: the shop's team has handed the conversation back to me. You wrote while they had it, "
             "so I'm picking up from your message.")
BACK = "handed_back"
MAX_PICKED_UP = 5  # the customer's latest messages answered after a hand-back


def waiting_messages(events: List[Dict[str, Any]]) -> List[str]:
    """The customer's messages written while staff had the conversation (since its last
    pause) and not followed by a staff message: the bot answers them after the hand-back."""
    waiting: List[str] = []
    paused = False
    for event in events:
        kind = event.get("event")
        if kind in ("pause", "resume"):
            paused, waiting = kind == "pause", []
        elif paused and kind == "user" and str(event.get("text") or "").strip():
            waiting.append(str(event["text"]))
        elif paused and kind == "bot" and (event.get("metadata") or {}).get("staff"):
            waiting = []  # staff answered what came before
    return waiting[-MAX_PICKED_UP:] if paused else []


async def pick_up(request: web.Request, conversation_id: str, waiting: List[str]) -> List[str]:
    """The bot answers the customer's waiting messages (given to Rasa again, marked PICKED_UP
    so the widget shows each once); a Telegram customer gets the answers sent. What went wrong, for staff."""
    context = context_of(request)
    chat_id = telegram_chat_id(conversation_id) if channel_of(conversation_id) == "telegram" else None
    texts = [BACK_TEXT]
    problems: List[str] = []
    for text in waiting:
        try:
            replies = await request.app[RASA].send_message(conversation_id, text, {PICKED_UP: True},
                                                           timeout=timeout(RASA_TIMEOUT_S * 4))
        except RasaError as error:
            logger.warning("Rasa did not answer a waiting message of %s: %r", conversation_id, error)
            problems.append("the bot could not answer a message the customer wrote meanwhile (Rasa not reachable); "
                            "please answer it yourself")
            break
        texts += [str(reply.get("text")) for reply in replies if reply.get("text")]
    if chat_id is not None:
        for text in texts:
            try:
                await send_telegram(context, chat_id, text)
            except DeliveryFailed as error:
                problems.append(str(error))
                break
    return problems


async def hand_back(request: web.Request) -> web.Response:
    await form(request)
    context, staff = context_of(request), staff_of(request)
    conversation_id = conversation_id_of(request)
    try:
        tracker = await request.app[RASA].tracker(conversation_id, timeout=timeout(RASA_TIMEOUT_S))
    except RasaError as error:
        logger.warning("Rasa not reachable to hand %s back: %r", conversation_id, error)
        return await transcript_page(request, "Could not hand back: the bot (Rasa) is not reachable right now; "
                                              "nothing was changed. Try again in a moment.", 502)
    waiting = waiting_messages((tracker or {}).get("events") or [])
    back = [{"event": "bot", "text": BACK_TEXT, "metadata": {BACK: True}}] if waiting else []
    try:
        await append_events(request, conversation_id, [{"event": "resume"}] + back)
    except RasaUnavailable as error:
        return await transcript_page(request, f"Could not hand back: {error}", 502)
    problems = await pick_up(request, conversation_id, waiting) if waiting else []
    # Ended after the bot answered: the widget reads its history once more when it sees the end.
    await in_thread(end_takeover, context.store, conversation_id)
    logger.info("staff %s handed %s back to the bot (%d waiting messages)", staff, conversation_id, len(waiting))
    if problems:
        return await transcript_page(request, "Handed back, but " + "; ".join(problems) + ".", 502)
    raise redirect(f"{conversation_path(conversation_id)}?done=handed_back")


async def story(request: web.Request) -> web.Response:
    context = context_of(request)
    conversation_id = conversation_id_of(request)
    try:
        text = await fetch_story(request, conversation_id)
    except RasaUnavailable as error:
        return await transcript_page(request, f"Could not export the story: {error}", 502)
    if text is None:
        return await transcript_page(request, "Rasa has no conversation with this id, so there is no story to export.", 404)
    turns = await in_thread(transcript, context.tracker_database_url, conversation_id)  # no names needed
    text = story_without_takeovers(text, turns)
    return web.Response(
        text=text, content_type="application/x-yaml", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{story_filename(conversation_id)}"',
                 "Cache-Control": "no-store"},
    )


async def api_conversation(request: web.Request) -> web.Response:
    context = context_of(request)
    conversation_id = request.match_info["conversation_id"]
    await refresh(context.store, context.tracker_database_url)
    try:
        detail = await in_thread(conversation_detail, context.store, context.tracker_database_url, conversation_id,
                                 context.catalog)
    except DBAPIError:
        logger.exception("could not read the conversation %s", conversation_id)
        return web.json_response({"error": "tracker_unavailable",
                                  "message": "Could not read Rasa's tracker database."}, status=502)
    if detail is None:
        return web.json_response({"error": "not_found", "message": f"There is no conversation {conversation_id!r}."},
                                 status=404)
    detail.pop("active_takeover", None)
    return web.json_response(detail)
