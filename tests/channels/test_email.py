"""E-mail to customers against a real SMTP server the test starts (aiosmtpd on a free port):
the order confirmation and a staff status change read back (both parts, the summary's lines,
the unsubscribe link), the link followed (no more mail to that address), and a failed send
kept and retried, never lost, while placing the order went through at once."""

from __future__ import annotations

import asyncio
import email
import re
import threading
import time
from dataclasses import replace
from datetime import timedelta
from email import policy
from urllib.parse import urlsplit

import pytest

from bot.channels.email import EmailSender, Unsubscribe, retry_wait
from bot.core.catalog import CatalogFile
from bot.local import free_port
from bot.settings import Settings
from bot.store import outbox
from bot.store.db import utcnow
from tests.support.staff import STAFF_NAME, conversation_order, staff_client, staff_environment
from tests.support.waiting import wait_until


class Inbox:
    """What the SMTP server was given."""

    def __init__(self) -> None:
        self.messages: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def wait_for(self, count: int, timeout_s: float = 30.0) -> list:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"{count} mail(s) expected, {len(self.messages)} arrived")


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def parts(message) -> tuple:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


async def test_confirmation_status_mail_and_unsubscribe(monkeypatch, tmp_path, smtp_server):
    port, inbox = smtp_server
    store = staff_environment(monkeypatch, tmp_path)
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false",
                        "SMTP_FROM": "Bespoke Workshop <orders@shop.example>",
                        "BESPOKE_PUBLIC_URL": "https://shop.example"}.items():
        monkeypatch.setenv(name, value)
    client = await staff_client()  # the web server: its background sender delivers the outbox
    try:
        new = replace(conversation_order("web:mail00001", name="Ada <Lovelace>"),
                      customer_email="ada@example.org")
        placed = await asyncio.to_thread(store.place_order, new)
        # The first mail waits for the catalog (the shop's name) to load: seconds on a busy machine.
        [(to, confirmation)] = await asyncio.to_thread(inbox.wait_for, 1, 180.0)
        assert to == ["ada@example.org"]
        assert confirmation["Subject"] == f"Your order {placed['number']} at Bespoke Workshop"
        assert confirmation["From"] == "Bespoke Workshop <orders@shop.example>"
        text, html = parts(confirmation)
        for line in ["Hello Ada <Lovelace>,", f"thank you for your order {placed['number']}", "Custom PC",
                     "Memory: 32 GB DDR5", "Base: €100.00", "Total: €100.00", "12 Analytical Row, London",
                     "within 7 days"]:
            assert line in text, (line, text)
        assert "Hello Ada &lt;Lovelace&gt;," in html and "<Lovelace>" not in html  # escaped
        assert "<td>32 GB DDR5</td>" in html and "€100.00" in html
        link = re.search(r"No more e-mails about your orders: (\S+)", text).group(1)
        assert f'href="{link.replace("&", "&amp;")}"' in html or f'href="{link}"' in html
        assert confirmation["List-Unsubscribe"] == f"<{link}>"

        # Staff move the order on: a mail says so.
        await asyncio.to_thread(store.change_status, placed["number"], "confirmed", STAFF_NAME)
        [_, (_, status_mail)] = await asyncio.to_thread(inbox.wait_for, 2)
        assert status_mail["Subject"] == f"Your order {placed['number']} is now confirmed"
        text, html = parts(status_mail)
        assert f"your order {placed['number']} is now confirmed." in text and "Memory: 32 GB DDR5" in text

        # The link: the page asks (a GET changes nothing), the button records the opt-out.
        url = urlsplit(link)
        assert (url.scheme, url.netloc, url.path) == ("https", "shop.example", "/unsubscribe")
        page = await client.get(f"{url.path}?{url.query}")
        assert page.status == 200 and "ada@example.org" in await page.text()
        assert not await asyncio.to_thread(outbox.opted_out, store.sessions, "ada@example.org")
        token = re.search(r'name="token" value="([^"]+)"', await page.text()).group(1)
        done = await client.post("/unsubscribe", data={"token": token})
        assert done.status == 200 and "gets no more e-mails" in await done.text()
        assert await asyncio.to_thread(outbox.opted_out, store.sessions, "ADA@example.org")
        forged = await client.get("/unsubscribe", params={"token": token[:-3] + "abc"})
        assert forged.status == 400 and "not valid" in await forged.text()

        # No more mail to that address: the next status change is kept as not sent.
        await asyncio.to_thread(store.change_status, placed["number"], "in_production", STAFF_NAME)

        def last_done():
            mails = outbox.mails_to(store.sessions, "ada@example.org")
            return mails[-1]["sent"] and mails

        mails = await wait_until(last_done)
        assert [m["outcome"] for m in mails] == ["sent", "sent", "opted_out"]
        assert len(inbox.messages) == 2
    finally:
        await client.close()
        store.dispose()


def test_a_failed_send_is_kept_and_retried_never_lost(monkeypatch, tmp_path, smtp_server, caplog):
    port, inbox = smtp_server
    store = staff_environment(monkeypatch, tmp_path)
    try:
        catalog = CatalogFile(Settings().catalog_path)
        down = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_starttls=False)  # nothing listens
        unsubscribe = Unsubscribe("key", "https://shop.example")
        started = time.process_time()
        placed = store.place_order(conversation_order("web:mail00002"))  # the order does not wait for mail
        assert time.process_time() - started < 1.0
        assert EmailSender(down, store, unsubscribe, catalog).deliver_due() == 0
        [mail] = outbox.mails_to(store.sessions, "ada@example.org")
        assert (mail["sent"], mail["attempts"]) == (False, 1) and "Connection refused" in mail["last_error"]
        assert "not sent, attempt 1" in caplog.text
        # Not due again before its wait; then delivered by a sender that reaches the server.
        up = replace(down, smtp_port=port)
        assert EmailSender(up, store, unsubscribe, catalog).deliver_due() == 0
        later = utcnow() + retry_wait(1) + timedelta(seconds=1)
        assert EmailSender(up, store, unsubscribe, catalog).deliver_due(now=later) == 1
        [(to, message)] = inbox.wait_for(1)
        assert to == ["ada@example.org"] and placed["number"] in message["Subject"]
        assert outbox.mails_to(store.sessions, "ada@example.org")[0]["outcome"] == "sent"
        assert [retry_wait(n).total_seconds() for n in (1, 2, 3, 20)] == [30, 60, 120, 3600]
    finally:
        store.dispose()
