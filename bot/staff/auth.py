"""Signing in: sessions, the guard in front of every staff page and API call, API tokens'
check, and the sign-in and sign-out pages.

Sessions are signed cookies (itsdangerous), HTTP-only and SameSite=Lax, holding the staff
name, a CSRF token, the time of sign-in and the account's session epoch (raised to end
every session of the account); the signing key is BESPOKE_SECRET_KEY or a random key kept
in the data folder (so sessions survive restarts).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from typing import Any, Dict, Optional
from urllib.parse import quote

from aiohttp import web
from itsdangerous import BadSignature

from bot.channels.web.kit import client_address
from bot.staff.kit import StaffContext, context_of, form, in_thread, redirect, render, safe_next, staff_of

logger = logging.getLogger("bespoke.staff")

SESSION_COOKIE = "bespoke_staff"
SIGN_IN_COOKIE = "bespoke_staff_sign_in"  # carries the sign-in form's CSRF token before there is a session
SESSION_MAX_AGE_S = 12 * 3600
# Widget endpoints under /api stay public; these need an API token.
API_PREFIXES = ("/api/orders", "/api/conversations")
PUBLIC_STAFF_PATHS = ("/staff/sign-in", "/staff/static/")


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
        secure=context.settings.secure_cookies, path="/",
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
        secure=context.settings.secure_cookies, path="/staff/",
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


def setup_auth(app: web.Application) -> None:
    """The guard in front of /staff and the staff API, and the sign-in and sign-out pages."""
    app.middlewares.append(staff_guard)
    app.router.add_get("/staff/sign-in", sign_in_page)
    app.router.add_post("/staff/sign-in", sign_in)
    app.router.add_post("/staff/sign-out", sign_out)
    app.router.add_get("/staff", to_staff_home)
