"""Orders: list, order page, status changes, notes, CSV export and the /api/orders API.

Every decision about an order (which status may follow which, what a note may hold, how a
search matches) lives in the core and the store (bot.core.life, bot.store); these handlers only read the
request, call the store off the event loop and render the answer.

After a POST the browser is sent back to the order page with a flash message (bot/staff/kit.py).
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, Iterable, List, Optional, Tuple
from urllib.parse import urlencode

from aiohttp import web

from bot.core.amend import AmendMode, amend_mode, describe_lines, revise
from bot.core.catalog import CatalogError, CatalogFile
from bot.core.lead_time import ready_date
from bot.core.senders import channel_of
from bot.core.pricing import QUANTITY_LINE, missing_quantity_line, money
from bot.core.life import OrderKind, OrderStatus, next_statuses, normalize_order_number, status_label
from bot.store.orders import (
    NOTE_MAX_LENGTH,
    STATUS_REASON_MAX_LENGTH,
    OrderNotFoundError,
    OrderStore,
    StatusChangeError,
)
from bot.store import notices
from bot.store.revisions import (
    QUOTE_NOTE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    RevisionError,
    UnknownOrderError,
    quote_state,
    waiting_for_staff,
)
from bot.store.search import OrderQuery
from bot.staff.queries import order_params, order_query
from bot.staff.kit import (
    context_of,
    conversation_path,
    form,
    in_thread,
    order_path,
    read_flash,
    redirect,
    render,
    staff_of,
    with_flash,
)

logger = logging.getLogger("bespoke.staff.orders")

SORT_LABELS = {
    "number": "Order",
    "created_at": "Placed",
    "status": "Status",
    "customer_name": "Customer",
    "total": "Total",
}
STATUS_BADGES = {
    OrderStatus.RECEIVED: "warn", OrderStatus.CONFIRMED: "", OrderStatus.IN_PRODUCTION: "",
    OrderStatus.SHIPPED: "good", OrderStatus.DELIVERED: "good", OrderStatus.CANCELLED: "bad",
}
CSV_COLUMNS = (
    "number", "created", "status", "product", "options", "total", "currency", "customer name", "email",
    "address", "promised date", "conversation id",
)
# What made the revision; who made it follows ("by customer", "by maria").
REVISION_LABELS = {"amendment": "changed in the chat", "change_accepted": "change request accepted",
                   "quote_accepted": "quote accepted in the chat"}
QUOTE_DAYS = 14  # the validity the price form suggests
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------------------- helpers


def promised_date(order: Dict[str, Any]) -> date:
    """The day the order is promised: its creation day (UTC) plus its lead time in business days."""
    created = datetime.fromisoformat(order["created_at"]).astimezone(timezone.utc).date()
    return ready_date(int(order["lead_time_days"]), created)


def options_text(option_details: Iterable[Dict[str, Any]]) -> str:
    """"Memory: 32 GB DDR5; Storage: 1 TB NVMe"."""
    return "; ".join(f"{detail.get('name') or detail.get('id')}: {detail.get('label') or detail.get('value')}"
                     for detail in option_details)


def one_line(text: str) -> str:
    """A multi-line address as one line: "12 Analytical Row, London"."""
    return ", ".join(part.strip() for part in (text or "").splitlines() if part.strip())


def cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: one starting like a formula gets a quote first."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def amount_text(amount: Optional[str], currency: str) -> str:
    return money(Decimal(amount), currency) if amount is not None else ""


def _products(catalog_file: CatalogFile) -> Tuple[List[Tuple[str, str]], str]:
    """(product id, name) of the catalog, and a message when the catalog cannot be read."""
    try:
        return [(product.id, product.name) for product in catalog_file.catalog().products], ""
    except CatalogError as error:
        logger.error("staff order list: %s", error)
        return [], f"The catalog cannot be read, so products are shown by id only ({error})."


def _price_lines(catalog_file: CatalogFile, order: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The order's price lines; one placed before quantity lines were kept gets its quantity
    line worked out from the catalog when the figures agree, so they add up on the page."""
    lines = list(order["price_lines"])
    try:
        product = catalog_file.catalog().find_product(order["product_id"])
    except CatalogError:
        return lines
    total = Decimal(order["total"]) if order["total"] is not None else None
    added = missing_quantity_line(product, order["options"], lines, total) if product else None
    return lines + ([added] if added else [])


def _store(request: web.Request) -> OrderStore:
    return context_of(request).store


# ---------------------------------------------------------------------------- list and CSV


async def order_list(request: web.Request) -> web.Response:
    query, problems = order_query(request.query)
    store = _store(request)
    found = await in_thread(store.search_orders, query)
    pages = max(1, -(-found["total"] // query.per_page))
    if query.page > pages:
        problems.append(f"There is no page {query.page}: showing the last page.")
        query = query.replace(page=pages)
        found = await in_thread(store.search_orders, query)
    products, catalog_problem = await in_thread(_products, context_of(request).catalog)
    if query.product_id and query.product_id not in {product_id for product_id, _ in products}:
        products.append((query.product_id, query.product_id))
    first = query.offset + 1 if found["orders"] else 0
    last = query.offset + len(found["orders"])

    def link(**changes: Any) -> str:
        params = order_params(query, **changes)
        return "/staff/orders" + (f"?{urlencode(params)}" if params else "")

    columns = []
    for key in ("number", "created_at", "status", "customer_name", "total"):
        active = query.sort == key
        descending = not query.descending if active else key in ("created_at", "total")
        columns.append({
            "key": key, "label": SORT_LABELS[key], "active": active,
            "aria_sort": ("descending" if query.descending else "ascending") if active else "none",
            "href": link(sort=key, descending=descending, page=1),
            "arrow": ("▼" if query.descending else "▲") if active else "",
        })
    waiting = await in_thread(waiting_for_staff, store.sessions, [order["number"] for order in found["orders"]])
    rows = [
        {**order, "status_label": status_label(order["status"]), "badge": STATUS_BADGES.get(order["status"], ""),
         "waiting": waiting.get(order["number"], []),
         "total_text": amount_text(order["total"], order["currency"]) or "quote requested",
         "placed": order["created_at"][:16].replace("T", " "), "href": order_path(order["number"])}
        for order in found["orders"]
    ]
    export_params = order_params(query, page=1)
    export_params.pop("per_page", None)
    return render(
        request, "orders.html",
        query=query, rows=rows, total=found["total"], first=first, last=last, page_count=pages,
        problems=problems + ([catalog_problem] if catalog_problem else []),
        statuses=[(status.value, status_label(status)) for status in OrderStatus],
        products=products, columns=columns,
        previous_href=link(page=query.page - 1) if query.page > 1 else "",
        next_href=link(page=query.page + 1) if query.page < pages else "",
        csv_href="/staff/orders.csv" + (f"?{urlencode(export_params)}" if export_params else ""),
        filtered=bool(query.status or query.product_id or query.created_from or query.created_to or query.text),
    )


def csv_bytes(store: OrderStore, query: OrderQuery) -> Tuple[bytes, int]:
    """The CSV file of every order matching the query (UTF-8 with a BOM, so Excel reads it as
    UTF-8) and its number of rows."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for order in store.export_orders(query):
        writer.writerow([
            cell(order["number"]), order["created_at"], cell(order["status"]), cell(order["product_name"]),
            cell(options_text(order["option_details"])), order["total"] or "", cell(order["currency"]),
            cell(order["customer_name"]), cell(order["customer_email"]), cell(one_line(order["customer_address"])),
            promised_date(order).isoformat(), cell(order["conversation_id"]),
        ])
        count += 1
    return buffer.getvalue().encode("utf-8"), count


async def order_csv(request: web.Request) -> web.Response:
    query, problems = order_query(request.query)
    if problems:
        # A file with a silently different content is worse than no file.
        raise web.HTTPBadRequest(text="The export was not made: " + " ".join(problems))
    body, count = await in_thread(csv_bytes, _store(request), query)
    logger.info("staff %s exported %d orders", staff_of(request), count)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
    return web.Response(
        body=body, content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="orders-{stamp}.csv"', "Cache-Control": "no-store"},
    )


# ---------------------------------------------------------------------------- one order


async def order_page(request: web.Request) -> web.Response:
    number = normalize_order_number(request.match_info["number"])
    order = await in_thread(_store(request).get_for_staff, number)
    if order is None:
        return render(request, "order.html", status=404, order=None, number=number[:40], flash=None)
    if order["number"] != request.match_info["number"]:
        raise redirect(order_path(order["number"]))  # typed in lower case: one address per order
    history = [
        {**change, "label": status_label(change["status"]), "at": change["changed_at"][:16].replace("T", " ")}
        for change in order["status_history"]
    ]
    notes = [{**note, "at": note["created_at"][:16].replace("T", " ")} for note in order["notes"]]
    next_steps = [(status.value, status_label(status)) for status in next_statuses(order["status"])
                  if status != OrderStatus.CANCELLED]
    return render(
        request, "order.html",
        order=order, number=order["number"], flash=read_flash(request),
        status_text=status_label(order["status"]), badge=STATUS_BADGES.get(order["status"], ""),
        placed=order["created_at"][:16].replace("T", " "),
        promised=promised_date(order), history=history, notes=notes,
        next_statuses=next_steps, can_cancel=OrderStatus.CANCELLED in next_statuses(order["status"]),
        price_lines=[{"label": line["label"], "amount": amount_text(line["amount"], order["currency"]),
                      "quantity": line.get("kind") == QUANTITY_LINE}
                     for line in await in_thread(_price_lines, context_of(request).catalog, order)],
        total_text=amount_text(order["total"], order["currency"]),
        derived=[{**part, "price_text": amount_text(part.get("price"), order["currency"])}
                 for part in order["derived_parts"]],
        conversation_href=conversation_path(order["conversation_id"]),
        note_max=NOTE_MAX_LENGTH, reason_max=STATUS_REASON_MAX_LENGTH,
        message_max=notices.MESSAGE_MAX_CHARS, message_channel=CHANNEL_WORDS[channel_of(order["conversation_id"])],
        after=_after_order_view(await in_thread(_store(request).after_order, order["number"]), order),
        news=_news_view(await in_thread(notices.notices_of_order, _store(request).sessions, order["number"])),
    )


async def change_status(request: web.Request) -> web.Response:
    data = await form(request)
    number = normalize_order_number(request.match_info["number"])
    status = data.get("status", "").strip()
    location = order_path(number)
    try:
        await in_thread(_store(request).change_status, number, status, staff_of(request), data.get("reason"))
    except OrderNotFoundError as error:
        raise web.HTTPNotFound(text=f"{str(error).capitalize()}.") from None
    except StatusChangeError as error:
        logger.info("staff %s: status change of %s to %r refused: %s", staff_of(request), number, status, error)
        raise with_flash(request, location, "error", f"Not changed: {error}.") from None
    logger.info("staff %s changed %s to %s", staff_of(request), number, status)
    raise with_flash(request, location, "ok", f"Order {number} is now {status_label(status)}.")


async def add_note(request: web.Request) -> web.Response:
    data = await form(request)
    number = normalize_order_number(request.match_info["number"])
    location = order_path(number)
    try:
        await in_thread(_store(request).add_note, number, staff_of(request), data.get("note", ""))
    except OrderNotFoundError as error:
        raise web.HTTPNotFound(text=f"{str(error).capitalize()}.") from None
    except ValueError as error:
        raise with_flash(request, location, "error", f"The note was not added: {error}.") from None
    raise with_flash(request, location, "ok", "Note added.")


# Where a staff message reaches the customer, besides the order's e-mail address.
CHANNEL_WORDS = {"telegram": "on Telegram", "web": "in the web chat (when it next opens)",
                 "rest": "in no chat (this conversation has none to push to)"}


async def message_customer(request: web.Request) -> web.Response:
    """"Message the customer": a STAFF_MESSAGE notice on their channel and by mail."""
    data = await form(request)
    number = normalize_order_number(request.match_info["number"])
    location = order_path(number)
    try:
        channel = await in_thread(notices.message_customer, _store(request).sessions, number, staff_of(request),
                                  data.get("message", ""))
    except ValueError as error:
        raise with_flash(request, location, "error", f"The message was not sent: {error}.") from None
    if channel is None:
        raise web.HTTPNotFound(text=f"There is no order {number[:40]}.")
    logger.info("staff %s wrote to the customer of %s (%s)", staff_of(request), number, channel)
    raise with_flash(request, location, "ok", f"Message sent {CHANNEL_WORDS[channel]} and by e-mail.")


# ---------------------------------------------------------------------------- after the order


NEWS_CHANNELS = {"telegram": "Telegram", "web": "web chat", "rest": "REST (no chat)"}
WAITING_WORDS = {"telegram": "waiting to be sent", "web": "waiting for the widget to open",
                 "rest": "not pushed: this conversation has no chat (the e-mail still goes)"}


def _news_view(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The notices told about the order (bot/store/notices.py notices_of_order) as the page shows them."""
    def when(moment: Optional[str]) -> str:
        return (moment or "")[:16].replace("T", " ")

    shown = []
    for row in rows:
        state = notices.NoticeState(row["state"])
        if state is notices.NoticeState.DELIVERED:
            words, badge = f"delivered {when(row['delivered_at'])} UTC", "good"
        elif state is notices.NoticeState.REFUSED:
            words, badge = "refused by Telegram (blocked or no such chat)", "bad"
        elif state is notices.NoticeState.RETRYING:
            words, badge = f"retrying after {row['attempts']} failed attempt{'s' if row['attempts'] != 1 else ''}", "warn"
        else:
            words, badge = WAITING_WORDS.get(row["channel"], "waiting"), "warn"
        shown.append({**row, "text": row["text"].replace("**", ""), "at": when(row["created_at"]),
                      "channel_name": NEWS_CHANNELS.get(row["channel"], row["channel"]),
                      "state_words": words, "badge": badge})
    return shown


def _after_order_view(after: Dict[str, Any], order: Dict[str, Any]) -> Dict[str, Any]:
    """Revisions, change requests and quotes as the order page shows them."""
    currency = order["currency"]

    def when(moment: Optional[str]) -> str:
        return (moment or "")[:16].replace("T", " ")

    revisions = [{**r, "at": when(r["created_at"]), "kind_label": REVISION_LABELS.get(r["kind"], r["kind"]),
                  "lines": describe_lines(r["changes"], currency),
                  "old_text": amount_text(r["old_total"], currency) or "no price",
                  "new_text": amount_text(r["new_total"], currency) or "no price"} for r in after["revisions"]]
    requests = [{**r, "at": when(r["requested_at"]), "decided": when(r["decided_at"]),
                 "lines": describe_lines(r["changes"], currency),
                 "new_text": amount_text(r["new_total"], currency) or "no instant price"} for r in after["requests"]]
    quotes = [{**q, "at": when(q["priced_at"]), "until": q["valid_until"][:10],
               "total_text": amount_text(q["total"], currency)} for q in after["quotes"]]
    state = quote_state(after["quotes"][0] if after["quotes"] else None)
    pending = next((r for r in requests if r["status"] == "pending"), None)
    return {"revisions": revisions, "requests": requests, "pending": pending,
            "quotes": quotes, "quote_state": state.value,
            # Re-pricing is always possible while it is a quote request (an expired or declined price too).
            "can_price": order["kind"] == OrderKind.QUOTE_REQUEST and amend_mode(order["status"]) is not AmendMode.CLOSED,
            "quote_note_max": QUOTE_NOTE_MAX_LENGTH, "refuse_max": REASON_MAX_LENGTH,
            "default_until": (datetime.now(timezone.utc).date() + timedelta(days=QUOTE_DAYS)).isoformat()}


QUOTE_SWEEP_S = 60.0  # how often the web server records quotes past their date and tells the customers


async def keep_quotes_current(store: OrderStore, every: float = QUOTE_SWEEP_S) -> None:
    """In the web server's background: quotes past their validity recorded as expired and
    their customers told (store.expire_quotes, once per quote even with several servers)."""
    while True:
        await asyncio.sleep(every)
        try:
            expired = await in_thread(store.expire_quotes)
        except Exception:  # noqa: BLE001 - the sweep outlives a bad moment of the database
            logger.exception("could not record expired quotes")
            continue
        if expired:
            logger.info("quotes expired: %s", ", ".join(expired))


def _accept(store: OrderStore, catalog_file: CatalogFile, number: str, request_id: int, by: str) -> Dict[str, Any]:
    """The request's selection checked and priced again now, from the catalog, then stored."""
    request = store.pending_request(number)
    order = store.get(number)
    if request is None or order is None or request["id"] != request_id:
        raise RevisionError(f"order {number} has no pending change request {request_id}")
    product = catalog_file.catalog().find_product(order["product_id"])
    revised, problems = revise(product, request["options"])
    if revised is None:
        raise RevisionError("the change no longer fits the catalog: " + "; ".join(p.message for p in problems[:3]))
    return store.accept_change(number, request_id, revised, by)


async def decide_change(request: web.Request) -> web.Response:
    """Accept or refuse the customer's change request (staff form, CSRF checked)."""
    data = await form(request)
    number = normalize_order_number(request.match_info["number"])
    location = order_path(number)
    try:
        request_id = int(request.match_info["request_id"])
    except ValueError:
        raise web.HTTPNotFound(text="There is no such change request.") from None
    store, staff = _store(request), staff_of(request)
    try:
        if data.get("decision") == "accept":
            done = await in_thread(_accept, store, context_of(request).catalog, number, request_id, staff)
            message = f"Change accepted: order {number} is now revision {done['revision']['number']}; the customer is told."
        elif data.get("decision") == "refuse":
            await in_thread(store.refuse_change, number, request_id, staff, data.get("reason", ""))
            message = "Change refused; the customer is told why."
        else:
            raise RevisionError("choose accept or refuse")
    except UnknownOrderError as error:
        raise web.HTTPNotFound(text=f"{str(error).capitalize()}.") from None
    except (RevisionError, CatalogError) as error:
        raise with_flash(request, location, "error", f"Not done: {error}.") from None
    logger.info("staff %s: change request %s of %s: %s", staff, request_id, number, data.get("decision"))
    raise with_flash(request, location, "ok", message)


async def price_quote(request: web.Request) -> web.Response:
    """Staff give a quote request its price, how long it holds and a note for the customer."""
    data = await form(request)
    number = normalize_order_number(request.match_info["number"])
    location = order_path(number)
    try:
        total = Decimal(data.get("total", "").strip().replace(",", ""))
        until = date.fromisoformat(data.get("valid_until", "").strip())
    except (InvalidOperation, ValueError):
        raise with_flash(request, location, "error", "Not priced: give the price as a number and the date as YYYY-MM-DD.") \
            from None
    # Valid through the whole of that day (UTC).
    valid_until = datetime.combine(until, time.max, tzinfo=timezone.utc)
    try:
        await in_thread(_store(request).price_quote, number, total, valid_until, data.get("note", ""), staff_of(request))
    except UnknownOrderError as error:
        raise web.HTTPNotFound(text=f"{str(error).capitalize()}.") from None
    except RevisionError as error:
        raise with_flash(request, location, "error", f"Not priced: {error}.") from None
    logger.info("staff %s priced quote %s", staff_of(request), number)
    raise with_flash(request, location, "ok", f"Quote {number} priced; the customer is told.")


# ---------------------------------------------------------------------------- JSON API


def api_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


async def api_orders(request: web.Request) -> web.Response:
    query, problems = order_query(request.query)
    if problems:
        return api_error(400, "bad_request", " ".join(problems))
    found = await in_thread(_store(request).search_orders, query, True)
    return web.json_response(found)


async def api_order(request: web.Request) -> web.Response:
    number = normalize_order_number(request.match_info["number"])
    order = await in_thread(_store(request).get_for_staff, number)
    if order is None:
        return api_error(404, "not_found", f"There is no order {number[:40]}.")
    # After the order: revisions (oldest first), change requests and quotes (newest first),
    # as bot/store/revisions.py gives them (revision_as_dict, request_as_dict, quote_as_dict).
    after = await in_thread(_store(request).after_order, order["number"])
    return web.json_response({**order, "revisions": after["revisions"], "change_requests": after["requests"],
                              "quotes": after["quotes"]})
