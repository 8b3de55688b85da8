"""The queue: conversations flagged for a person (the customer asked for one, or the bot got
stuck), oldest first, with the takeovers in progress; the orders waiting for a staff decision
(change requests, quotes to price: bot/store/revisions.py staff_to_do); and resolving a flag."""

from __future__ import annotations

from aiohttp import web

from bot.store.conversations import active_takeovers
from bot.store.flags import FlagNotFoundError
from bot.store.revisions import staff_to_do
from bot.staff.conversations.events import iso, moment
from bot.staff.conversations.index import refresh
from bot.staff.conversations.queue import QUEUE_PAGE, queue
from bot.staff.queries import MAX_PAGE, QueryString
from bot.staff.kit import (
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
)


async def queue_page(request: web.Request) -> web.Response:
    context = context_of(request)
    warning = await refresh(context.store, context.tracker_database_url)
    page = QueryString(request.query).whole_number("page", 1, MAX_PAGE) or 1  # a bad page: the first
    rows, total = await in_thread(queue, context.store, context.tracker_database_url, page)
    pages = max(1, -(-total // QUEUE_PAGE))
    if page > pages:  # past the end (flags were resolved meanwhile): the last page
        page = pages
        rows, total = await in_thread(queue, context.store, context.tracker_database_url, page)
    takeovers = await in_thread(active_takeovers, context.store)
    for row in rows:
        row["href"] = conversation_path(row["conversation_id"])
        row["raised"] = when(row["raised_at"])
        for message in row["last_messages"]:
            message["at"] = iso(moment(message["timestamp"]))
            message["when"] = when(message["at"])
    for item in takeovers:
        item["href"] = conversation_path(item["conversation_id"])
        item["started"] = when(item["started_at"])
    to_do = await in_thread(staff_to_do, context.store.sessions)
    for item in to_do["change_requests"]:
        item["href"] = order_path(item["order_number"])
        item["asked"] = when(item["requested_at"])
    for item in to_do["quotes_to_price"]:
        item["href"] = order_path(item["order_number"])
        item["asked"] = when(item["created_at"])
    first = (page - 1) * QUEUE_PAGE + 1
    return render(request, "queue.html", rows=rows, takeovers=takeovers, warning=warning, error="", to_do=to_do,
                  done=done_message(request), total=total, first=first,
                  last=first + len(rows) - 1,
                  previous_href=f"/staff/queue?page={page - 1}" if page > 1 else "",
                  next_href=f"/staff/queue?page={page + 1}" if page < pages else "")


async def resolve_flag(request: web.Request) -> web.Response:
    fields = await form(request)
    context, staff = context_of(request), staff_of(request)
    back = safe_next(fields.get("next", "/staff/queue"))
    try:
        flag_id = int(request.match_info["flag_id"])
        await in_thread(context.store.resolve_flag, flag_id, staff)
    except (ValueError, FlagNotFoundError):
        return render(request, "queue.html", status=404, rows=[], takeovers=[], warning="", to_do=None,
                      error="There is no such flag (it may have been removed).", done="")
    separator = "&" if "?" in back else "?"
    raise redirect(f"{back}{separator}done=resolved")
