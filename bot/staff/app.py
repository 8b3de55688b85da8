"""The staff console on the web server: sign-in, sessions, CSRF, templates, API tokens.

Pages live in feature modules (orders, conversations, dashboard), each with a
`register(app)` that adds its routes; this module gives them what every page needs:
`staff_of(request)`, `render(...)`, `form(request)` (a CSRF-checked POST body) and the
`STAFF` app key holding the store, the accounts and the Rasa connection.

Sessions are signed cookies (itsdangerous), HTTP-only and SameSite=Lax, holding the staff
name, a CSRF token and the time of sign-in; the signing key is BESPOKE_SECRET_KEY or a
random key kept in the data folder (so sessions survive restarts).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Optional
from urllib.parse import quote, urlsplit

import jinja2
from aiohttp import web
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.settings import data_dir, database_url, tracker_database_url
from bot.store.orders import OrderStore
from bot.staff.accounts import StaffAccounts
from bot.channels.web.server import client_address

logger = logging.getLogger("bespoke.staff")

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "bespoke_staff"
SIGN_IN_COOKIE = "bespoke_staff_sign_in"  # carries the sign-in form's CSRF token before there is a session
SESSION_MAX_AGE_S = 12 * 3600
# Widget endpoints under /api stay public; these need an API token.
API_PREFIXES = ("/api/orders", "/api/conversations")
PUBLIC_STAFF_PATHS = ("/staff/sign-in", "/staff/static/")


@dataclass
class StaffContext:
    store: OrderStore
    accounts: StaffAccounts
    templates: jinja2.Environment
    serializer: URLSafeTimedSerializer
    tracker_database_url: str
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = ""
    secure_cookies: bool = False
    extra: Dict[str, Any] = field(default_factory=dict)  # per-feature state (caches, clients)


STAFF = web.AppKey("staff", StaffContext)


def secret_key(env: Optional[Dict[str, str]] = None) -> str:
    """BESPOKE_SECRET_KEY, or a random key made once and kept in the data folder."""
    env = os.environ if env is None else env
    configured = env.get("BESPOKE_SECRET_KEY", "").strip()
    if configured:
        return configured
    path = data_dir() / "secret_key"
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
    return templates


def create_context(
    rasa_url: str, rasa_token: str, store: Optional[OrderStore] = None, env: Optional[Dict[str, str]] = None
) -> StaffContext:
    env = dict(os.environ if env is None else env)
    store = store or OrderStore(database_url())
    return StaffContext(
        store=store,
        accounts=StaffAccounts(store),
        templates=make_templates(),
        serializer=URLSafeTimedSerializer(secret_key(env), salt="bespoke-staff-session"),
        tracker_database_url=tracker_database_url(),
        rasa_url=rasa_url,
        rasa_token=rasa_token,
        secure_cookies=env.get("BESPOKE_SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
    )


# ---------------------------------------------------------------------------- helpers for pages


def staff_of(request: web.Request) -> str:
    """The signed-in staff name (the middleware has already refused anyone else)."""
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
    """Where to go after signing in: only a path inside the staff console."""
    parts = urlsplit(location or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff") or location.startswith("//"):
        return "/staff/"
    return location


# ---------------------------------------------------------------------------- sessions


def read_session(request: web.Request) -> Optional[Dict[str, Any]]:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        session = context_of(request).serializer.loads(cookie, max_age=SESSION_MAX_AGE_S)
    except BadSignature:
        return None
    return session if isinstance(session, dict) and isinstance(session.get("staff"), str) else None


def start_session(request: web.Request, response: web.StreamResponse, staff: str, epoch: int) -> None:
    context = context_of(request)
    value = context.serializer.dumps(
        {"staff": staff, "csrf": secrets.token_urlsafe(24), "at": int(time.time()), "epoch": epoch}
    )
    response.set_cookie(
        SESSION_COOKIE, value, max_age=SESSION_MAX_AGE_S, httponly=True, samesite="Lax",
        secure=context.secure_cookies, path="/",
    )
    response.del_cookie(SIGN_IN_COOKIE, path="/staff/")


async def session_is_current(context: StaffContext, session: Dict[str, Any]) -> bool:
    """The account is active and has not ended its sessions since this one began."""
    epoch = await in_thread(context.accounts.session_epoch, session["staff"])
    return epoch is not None and session.get("epoch") == epoch


def end_session(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")


@web.middleware
async def staff_guard(request: web.Request, handler):
    """Every staff page needs a session and every staff API call a token; every POST a CSRF token."""
    path = request.path
    if path.startswith(API_PREFIXES):
        staff = await api_staff(request)
        if staff is None:
            return web.json_response(
                {"error": "unauthorized", "message": "Send a valid API token: Authorization: Bearer <token>."},
                status=401, headers={"WWW-Authenticate": 'Bearer realm="bespoke"'},
            )
        request["staff"] = staff
        return await handler(request)
    if not (path == "/staff" or path.startswith("/staff/")):
        return await handler(request)
    if path.startswith(PUBLIC_STAFF_PATHS):
        return await handler(request)
    session = read_session(request)
    context = context_of(request)
    if session is None or not await session_is_current(context, session):
        if request.method == "GET":
            response: web.HTTPException = redirect(f"/staff/sign-in?next={quote(request.path_qs, safe='')}")
        else:
            response = web.HTTPUnauthorized(text="Please sign in again.")
        if session is not None:
            end_session(response)  # expired account or session: forget it
        raise response
    request["staff"] = session["staff"]
    request["csrf"] = session["csrf"]
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.content_type != "application/x-www-form-urlencoded" \
            and request.content_type != "multipart/form-data":
        # JSON calls from staff pages carry the token in a header; forms are checked by form().
        sent = request.headers.get("X-CSRF-Token", "")
        if not hmac.compare_digest(sent, session["csrf"]):
            raise web.HTTPForbidden(text="Missing or wrong CSRF token.")
    response = await handler(request)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


async def api_staff(request: web.Request) -> Optional[str]:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await in_thread(context_of(request).accounts.staff_for_token, token.strip())


# ---------------------------------------------------------------------------- sign-in pages


async def sign_in_page(request: web.Request) -> web.Response:
    session = read_session(request)
    if session is not None and await session_is_current(context_of(request), session):
        raise redirect(safe_next(request.query.get("next", "/staff/")))
    return await _sign_in_form(request)


async def _sign_in_form(
    request: web.Request, error: str = "", name: str = "", status: int = 200, next_path: str = ""
) -> web.Response:
    context = context_of(request)
    token = secrets.token_urlsafe(24)
    request["csrf"] = token
    response = render(
        request, "sign_in.html", status=status, error=error, name=name,
        next=safe_next(next_path or request.query.get("next", "/staff/")),
        first_run=not await in_thread(context.accounts.any_account),
    )
    response.set_cookie(
        SIGN_IN_COOKIE, context.serializer.dumps(token), max_age=3600, httponly=True, samesite="Strict",
        secure=context.secure_cookies, path="/staff/",
    )
    return response


async def sign_in(request: web.Request) -> web.Response:
    context = context_of(request)
    data = await request.post()
    try:
        expected = context.serializer.loads(request.cookies.get(SIGN_IN_COOKIE, ""), max_age=3600)
    except BadSignature:
        expected = None
    if not isinstance(expected, str) or not hmac.compare_digest(str(data.get("csrf_token", "")), expected):
        return await _sign_in_form(
            request, "The sign-in form expired. Please try again.", status=403,
            next_path=safe_next(str(data.get("next", "/staff/"))),
        )
    name, password = str(data.get("name", "")).strip(), str(data.get("password", ""))
    next_path = safe_next(str(data.get("next", "/staff/")))
    address = client_address(request)
    wait = await in_thread(context.accounts.wait_before_sign_in, name, address)
    if wait:
        response = await _sign_in_form(
            request, f"Too many failed sign-ins. Please wait {wait} seconds and try again.", name, status=429,
            next_path=next_path,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    if not await in_thread(context.accounts.verify, name, password):
        await in_thread(context.accounts.record_failure, name, address)
        logger.warning("failed staff sign-in for %r from %s", name[:100], address)
        return await _sign_in_form(request, "Wrong name or password.", name, status=401, next_path=next_path)
    await in_thread(context.accounts.clear_failures, name)
    response = redirect(next_path)
    start_session(request, response, name, await in_thread(context.accounts.session_epoch, name))
    logger.info("staff %s signed in from %s", name, address)
    raise response


async def sign_out(request: web.Request) -> web.Response:
    await form(request)
    # The cookie is not stored anywhere, so ending it for sure means ending every session
    # of the account: a copied cookie stops working too.
    await in_thread(context_of(request).accounts.end_sessions, staff_of(request))
    response = redirect("/staff/sign-in")
    end_session(response)
    raise response


async def to_staff_home(request: web.Request) -> web.Response:
    raise redirect("/staff/")


def setup_staff(app: web.Application, context: StaffContext) -> None:
    """Add the staff console and the staff API to the web server's application."""
    app[STAFF] = context
    app.middlewares.append(staff_guard)
    app.router.add_get("/staff/sign-in", sign_in_page)
    app.router.add_post("/staff/sign-in", sign_in)
    app.router.add_post("/staff/sign-out", sign_out)
    app.router.add_static("/staff/static/", HERE / "static", append_version=True)
    app.router.add_get("/staff", to_staff_home)

    from bot.staff import conversation_pages, dashboard_pages, order_pages

    dashboard_pages.register(app)  # owns /staff/
    order_pages.register(app)
    conversation_pages.register(app)
