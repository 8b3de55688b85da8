"""E-mail to customers: the order confirmation with its summary, and a mail on each status
change staff make, from the store's outbox (bot/store/outbox.py) through the SMTP server of
the settings (SMTP_*), each with a plain-text and an HTML part and a working unsubscribe link.

Why in the web server: its process is always running beside the staff console (whose status
changes make most mail) and already runs background work in cleanup_ctx; the action server
answers Rasa and must never wait on a mail server. A customer's turn and a staff page only
write an outbox row in their own transaction; the sender here delivers it later, off the
event loop (smtplib in a thread), retrying a failure with a growing wait (logged each time,
the error kept on the row), so a mail is never lost and never blocks anyone. Several web
servers share the outbox: each claims a row (a conditional UPDATE) before sending it.

The unsubscribe link carries the address signed with the staff console's secret key
(itsdangerous); /unsubscribe asks once more (a link scanner's GET changes nothing) and
records the opt-out in the store; mail not yet sent to that address is then not sent.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import urlencode

import jinja2
from aiohttp import web
from itsdangerous import BadSignature, URLSafeSerializer

from bot.channels.background import in_background
from bot.core.catalog import CatalogFile
from bot.core.life import status_label
from bot.core.news import NoticeKind, notice_subject, notice_text
from bot.core.pricing import money
from bot.settings import Settings
from bot.store import outbox
from bot.store.db import utcnow
from bot.store.orders import OrderStore

logger = logging.getLogger("bespoke.email")
TEMPLATES = Path(__file__).resolve().parent / "email_templates"
EVERY_S = 2.0  # how often the sender looks for due mail
LEASE = timedelta(minutes=5)  # a claimed mail is another sender's again after this
SMTP_TIMEOUT_S = 30.0
FIRST_RETRY_S = 30.0
LAST_RETRY_S = 3600.0  # the wait grows to this and stays there: a mail is never given up
UNSUBSCRIBE_SALT = "bespoke-unsubscribe"

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


def retry_wait(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 30 s, 60 s, 120 s ... up to an hour."""
    return timedelta(seconds=min(LAST_RETRY_S, FIRST_RETRY_S * 2 ** max(0, attempts - 1)))


class Unsubscribe:
    """The signed unsubscribe token of an address, and the link to the public page."""

    def __init__(self, secret_key: str, public_url: str) -> None:
        self.serializer = URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT)
        self.public_url = public_url.rstrip("/")

    def token(self, address: str) -> str:
        return self.serializer.dumps(outbox.normal_address(address))

    def address(self, token: str) -> Optional[str]:
        try:
            value = self.serializer.loads(token)
        except BadSignature:
            return None
        return value if isinstance(value, str) and value else None

    def url(self, address: str) -> str:
        return f"{self.public_url}/unsubscribe?{urlencode({'token': self.token(address)})}"


def compose(mail: outbox.Mail, order: Dict[str, Any], settings: Settings, unsubscribe: Unsubscribe,
            shop: str) -> EmailMessage:
    """The mail for an outbox row: subject, plain text and HTML (escaped), unsubscribe headers."""
    currency = order["currency"]
    label = status_label(mail.status) if mail.status else ""
    news: List[str] = []
    if mail.kind is outbox.MailKind.ORDER_PLACED:
        subject = f"Your order {order['number']} at {shop}"
    elif mail.kind is outbox.MailKind.STATUS_CHANGED:
        subject = f"Your order {order['number']} is now {label}"
    else:  # the news of bot/store/notices.py, in the chat's words (without its Markdown)
        kind, data = NoticeKind(mail.kind.value), mail.data or {}
        subject = notice_subject(kind, order["number"], data)
        news = [line.replace("**", "") for line in notice_text(kind, order["number"], data).split("\n") if line.strip()]
    reason = ""
    if mail.kind is outbox.MailKind.STATUS_CHANGED:
        changes = [c for c in order.get("status_history") or [] if c.get("status") == mail.status]
        reason = (changes[-1].get("reason") or "") if changes else ""
    values = {
        "kind": mail.kind.value, "order": order, "status_label": label, "reason": reason, "shop": shop,
        "subject": subject, "news_lines": news, "unsubscribe_url": unsubscribe.url(mail.to_address),
        "price_lines": [{"label": line["label"], "amount": money(Decimal(line["amount"]), currency)}
                        for line in order.get("price_lines") or []],
        "total": money(Decimal(order["total"]), currency) if order.get("total") is not None else "",
    }
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_from or formataddr((shop, f"orders@{settings.smtp_host or 'localhost'}"))
    message["To"] = mail.to_address
    message["Message-ID"] = make_msgid(domain=settings.smtp_host or "localhost")
    # Mail programs offer their own "unsubscribe" with these (RFC 2369, RFC 8058 one click).
    message["List-Unsubscribe"] = f"<{values['unsubscribe_url']}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(_environment.get_template("mail.txt").render(values))
    message.add_alternative(_environment.get_template("mail.html").render(values), subtype="html")
    return message


def smtp_send(settings: Settings, message: EmailMessage) -> None:
    """One mail through the SMTP server of the settings (blocking: run in a thread)."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_S) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)


@dataclass
class EmailSender:
    settings: Settings
    store: OrderStore
    unsubscribe: Unsubscribe
    catalog: CatalogFile  # the shop's name (read again when the file changes)

    @property
    def shop(self) -> str:
        return self.catalog.catalog().shop.name

    def deliver_due(self, now: Optional[datetime] = None) -> int:
        """Send every mail that is due by `now` (default: now; blocking); how many were sent."""
        sent = 0
        now = now or utcnow()
        for mail in outbox.due(self.store.sessions, now):
            if not outbox.claim(self.store.sessions, mail, now + LEASE):
                continue  # another web server has it
            sent += self.deliver(mail)
        return sent

    def deliver(self, mail: outbox.Mail) -> int:
        if outbox.opted_out(self.store.sessions, mail.to_address):
            outbox.finish(self.store.sessions, mail.id, outbox.MailOutcome.OPTED_OUT)
            return 0
        order = self.store.get(mail.order_number)
        if order is None:
            outbox.finish(self.store.sessions, mail.id, outbox.MailOutcome.NO_ORDER)
            return 0
        try:
            smtp_send(self.settings, compose(mail, order, self.settings, self.unsubscribe, self.shop))
        except (OSError, smtplib.SMTPException) as error:  # refused, unreachable, timed out, TLS
            wait = retry_wait(mail.attempts + 1)
            logger.warning("mail %s (%s, order %s) not sent, attempt %d, again in %s: %r", mail.id, mail.kind.value,
                           mail.order_number, mail.attempts + 1, wait, error)
            outbox.failed(self.store.sessions, mail.id, repr(error), wait)
            return 0
        outbox.finish(self.store.sessions, mail.id, outbox.MailOutcome.SENT)
        return 1

    async def run(self) -> None:
        """Deliver due mail every few seconds until cancelled; a store error is logged and
        the loop goes on (the mail stays in the outbox)."""
        while True:
            try:
                await asyncio.to_thread(self.deliver_due)
            except Exception:  # noqa: BLE001 - the sender outlives a bad moment of the database
                logger.exception("the e-mail sender could not read or update the outbox")
            await asyncio.sleep(EVERY_S)


SENDER = web.AppKey("email_sender", EmailSender)


async def unsubscribe_page(request: web.Request) -> web.Response:
    sender = request.app[SENDER]
    if request.method == "POST":
        token = str((await request.post()).get("token") or "")
    else:
        token = request.query.get("token", "")
    address = sender.unsubscribe.address(token)
    values: Dict[str, Any] = {"shop": sender.shop, "address": address or "", "token": token, "done": False,
                              "problem": ""}
    status = 200
    if address is None:
        values["problem"] = "This link is not valid (it may have been cut short). Please copy the whole link from the e-mail."
        status = 400
    elif request.method == "POST":
        await asyncio.to_thread(outbox.opt_out, sender.store.sessions, address)
        logger.info("an address unsubscribed from mail")
        values["done"] = True
    page = _environment.get_template("unsubscribe.html").render(values)
    return web.Response(text=page, status=status, content_type="text/html",
                        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


def setup_email(app: web.Application, settings: Settings, store: OrderStore, secret_key: str,
                catalog: CatalogFile) -> None:
    """The unsubscribe page, and the sender in the background when an SMTP host is set."""
    public_url = settings.public_url or f"http://{settings.host}:{settings.web_port}"
    app[SENDER] = EmailSender(settings, store, Unsubscribe(secret_key, public_url), catalog)
    app.router.add_get("/unsubscribe", unsubscribe_page)
    app.router.add_post("/unsubscribe", unsubscribe_page)
    if settings.smtp_host:
        app.cleanup_ctx.append(in_background(SENDER))
