""""Message the customer" on the staff order page (CSRF like the other forms): the message
reaches the web chat the next time the widget asks, and the order's address by e-mail (a
real SMTP server, aiosmtpd); an empty one or a forged form sends nothing."""

from __future__ import annotations

import asyncio

from bot.local import free_port
from bot.store import notices, outbox
from tests.channels.test_email import parts, smtp_server  # noqa: F401 - the SMTP server fixture
from tests.support.fake_rasa import FakeRasa
from tests.support.staff import (
    STAFF_NAME, add_staff, conversation_order, page_csrf, sign_in, staff_client, staff_environment,
)


async def test_a_staff_message_reaches_the_widget_and_the_mailbox(monkeypatch, tmp_path, smtp_server):  # noqa: F811
    port, inbox = smtp_server
    store = staff_environment(monkeypatch, tmp_path)
    add_staff(store)
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false"}.items():
        monkeypatch.setenv(name, value)
    rasa = FakeRasa(free_port()).start()
    client = await staff_client(rasa.url)
    sender = "web:message0001"
    try:
        await sign_in(client)
        number = (await asyncio.to_thread(store.place_order, conversation_order(sender)))["number"]
        page = f"/staff/orders/{number}"
        token = await page_csrf(client, page)
        assert "Message the customer" in await (await client.get(page)).text()
        forged = await client.post(f"{page}/message", data={"csrf_token": "nope", "message": "Hi"},
                                   allow_redirects=False)
        assert forged.status == 403
        empty = await client.post(f"{page}/message", data={"csrf_token": token, "message": "  "}, allow_redirects=False)
        assert "The message was not sent: the message is empty." in await (await client.get(empty.headers["Location"])).text()
        assert notices.notices_for(store.sessions, sender) == []

        sent = await client.post(f"{page}/message", data={"csrf_token": token, "message": "Your oak <arrived> today."},
                                 allow_redirects=False)
        assert "Message sent in the web chat (when it next opens) and by e-mail." in await (
            await client.get(sent.headers["Location"])).text()
        poll = await (await client.get("/api/history", params={"sender": sender, "poll": "1"})).json()
        assert [m["text"] for m in poll["messages"]] == [
            f"{STAFF_NAME} from the shop wrote about your order **{number}**:\nYour oak <arrived> today."]

        mails = await asyncio.to_thread(inbox.wait_for, 2, 180.0)  # the confirmation, then the message
        [message] = [mail for _, mail in mails if mail["Subject"] == f"A message about your order {number}"]
        text, html = parts(message)
        assert f"{STAFF_NAME} from the shop wrote about your order {number}:" in text
        assert "Your oak <arrived> today." in text and "Your oak &lt;arrived&gt; today." in html
        assert [m["kind"] for m in outbox.mails_to(store.sessions, "ada@example.org")] == ["order_placed", "staff_message"]
    finally:
        await client.close()
        rasa.stop()
        store.dispose()
