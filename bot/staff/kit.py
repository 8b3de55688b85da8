"""What every staff page uses: the staff console's context (`STAFF` app key), the signed-in
staff name, templates, CSRF-checked forms, redirects and flash messages.

Pages import this module and data modules only; sign-in and sessions are bot/staff/auth.py,
the routes are wired by bot/staff/app.py.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, Optional
from urllib.parse import quote, urlencode, urlsplit

import jinja2
from aiohttp import web
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.channels.telegram.sender import TelegramSender
from bot.core.catalog import CatalogFile
from bot.core.life import OrderKind, OrderStatus
from bot.settings import Settings
from bot.store.orders import OrderStore
from bot.staff.accounts import StaffAccounts

HERE = Path(__file__).resolve().parent
FLASH_MAX_AGE_S = 600
DONE = {  # ?done=<code> after a POST on the conversation pages and the queue: what the page then says
    "taken_over": "You have taken over this conversation: the bot stays quiet until you hand it back.",
    "sent": "Message sent.",
    "sent_telegram": "Message sent to the customer on Telegram.",
    "sent_web": "Message sent: the customer's chat window shows it within a few seconds.",
    "sent_rest": "Message added to the conversation's history (this client reads its history itself: "
                 "nothing can be pushed to it).",
    "handed_back": "Handed back: the bot answers the customer again.",
    "resolved": "Flag resolved.",
}


@dataclass
class StaffContext:
    settings: Settings
    store: OrderStore
    accounts: StaffAccounts
    templates: jinja2.Environment
    serializer: URLSafeTimedSerializer  # signs the session cookies
    telegram: TelegramSender  # what staff write to a Telegram customer
    catalog: CatalogFile  # names products and options (read again when the file changes)

    @property
    def tracker_database_url(self) -> str:
        return self.settings.tracker_database_url


STAFF = web.AppKey("staff", StaffContext)


def secret_key(settings: Settings) -> str:
    """BESPOKE_SECRET_KEY, or a random key made once and kept in the data folder (so
    sessions survive restarts)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_file("secret_key")
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def make_templates() -> jinja2.Environment:
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.filters["urlquote"] = lambda value: quote(str(value), safe="")
    templates.globals.update(OrderKind=OrderKind, OrderStatus=OrderStatus)  # the order's life as data
    return templates


def create_context(settings: Settings, store: Optional[OrderStore] = None) -> StaffContext:
    """The staff console's context: the order store (settings.database_url unless given), the
    accounts, the templates, the session signer, the Telegram sender and the catalog."""
    store = store or OrderStore(settings.database_url)
    return StaffContext(
        settings=settings,
        store=store,
        accounts=StaffAccounts(store),
        templates=make_templates(),
        serializer=URLSafeTimedSerializer(secret_key(settings), salt="bespoke-staff-session"),
        telegram=TelegramSender.from_settings(settings),
        catalog=CatalogFile(settings.catalog_path),
    )


# ---------------------------------------------------------------------------- requests and answers


def staff_of(request: web.Request) -> str:
    """The signed-in staff name (the guard has already refused anyone else)."""
    return request["staff"]


def context_of(request: web.Request) -> StaffContext:
    return request.app[STAFF]


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run blocking database work off the event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    context = context_of(request)
    page = context.templates.get_template(template).render(
        staff=request.get("staff"),
        csrf_token=request.get("csrf", ""),
        path=request.path,
        **values,
    )
    response = web.Response(text=page, status=status, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


async def form(request: web.Request) -> Dict[str, str]:
    """The POSTed form, after checking its CSRF token; refuses a forged form with 403."""
    data = await request.post()
    sent = str(data.get("csrf_token", "")) or request.headers.get("X-CSRF-Token", "")
    expected = request.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise web.HTTPForbidden(text="This form has expired or did not come from this site. Reload the page and try again.")
    return {key: str(value) for key, value in data.items() if isinstance(value, str)}


def redirect(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location)


def safe_next(location: str) -> str:
    """Where to go after signing in or a form: only a path inside the staff console."""
    parts = urlsplit(location or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff") or location.startswith("//"):
        return "/staff/"
    return location


def done_message(request: web.Request) -> str:
    """What the page says after a POST that sent the browser back with ?done=<code>."""
    return DONE.get(request.query.get("done", ""), "")


# ---------------------------------------------------------------------------- addresses and times


def order_path(number: str) -> str:
    return f"/staff/orders/{quote(number, safe='')}"


def conversation_path(conversation_id: str) -> str:
    return f"/staff/conversations/{quote(conversation_id, safe='')}"


def when(value: Optional[str]) -> str:
    """An ISO time as "2026-11-25 19:03 UTC" (seconds are noise on a list)."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return value


def when_exact(value: Optional[str]) -> str:
    """An ISO time as "2026-11-25 19:03:07 UTC"."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return value


# ---------------------------------------------------------------------------- flash messages
# After a POST the browser is sent back to the page with a message in a `flash` parameter,
# signed so that nobody can craft a link that shows staff a message of their own.


def _flasher(request: web.Request) -> URLSafeTimedSerializer:
    secret = context_of(request).serializer.secret_keys[-1]
    return URLSafeTimedSerializer(secret, salt="bespoke-staff-order-flash")


def with_flash(request: web.Request, location: str, kind: str, message: str) -> web.HTTPSeeOther:
    """A redirect to `location` showing `message` there; kind "ok" or "error"."""
    token = _flasher(request).dumps({"kind": kind, "message": message})
    return redirect(f"{location}?{urlencode({'flash': token})}")


def read_flash(request: web.Request) -> Optional[Dict[str, str]]:
    token = request.query.get("flash", "")
    if not token:
        return None
    try:
        flash = _flasher(request).loads(token, max_age=FLASH_MAX_AGE_S)
    except BadSignature:
        return None  # an old or altered link: no message rather than someone else's
    if isinstance(flash, dict) and flash.get("kind") in ("ok", "error") and isinstance(flash.get("message"), str):
        return flash
    return None
