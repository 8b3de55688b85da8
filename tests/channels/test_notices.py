"""News pushed to the customer's channel, against the real web server (create_app): a
status change reaches a Telegram customer through the fake Bot API, and a widget customer
the next time the widget asks (not before: a closed widget keeps it waiting), once; a
chat Telegram refuses for good is given up, one it cannot reach now is retried."""

from __future__ import annotations

import asyncio

from bot.channels.notices import SENDER
from bot.store import notices
from tests.support.fake_rasa import FakeRasa
from tests.support.fake_telegram import FakeBotApi
from tests.support.staff import STAFF_NAME, conversation_order, staff_client, staff_environment
from tests.support.waiting import wait_until
from bot.local import free_port


async def test_a_status_change_reaches_the_widget_once_when_it_asks(monkeypatch, tmp_path):
    store = staff_environment(monkeypatch, tmp_path)
    rasa = FakeRasa(free_port()).start()
    client = await staff_client(rasa.url)
    sender = "web:notice00001"
    try:
        placed = await asyncio.to_thread(store.place_order, conversation_order(sender))
        await asyncio.to_thread(store.change_status, placed["number"], "confirmed", STAFF_NAME, "wood arrived")
        # The widget closed: its checks say so, and the news waits until it opens.
        closed = await (await client.get("/api/history", params={"sender": sender, "poll": "1", "closed": "1"})).json()
        assert closed["messages"] is None
        assert await asyncio.to_thread(notices.has_pending, store.sessions, sender)
        poll = await (await client.get("/api/history", params={"sender": sender, "poll": "1"})).json()
        texts = [m["text"] for m in poll["messages"]]
        assert texts == [f"News about your order **{placed['number']}**: it is now confirmed.\n"
                         "Note from the shop: wood arrived"]
        again = await (await client.get("/api/history", params={"sender": sender, "poll": "1"})).json()
        assert again["messages"] is None  # delivered once: the next check has nothing new
        history = await (await client.get("/api/history", params={"sender": sender})).json()
        assert [m["text"] for m in history["messages"]] == texts  # and it stays in the conversation
        assert [n["outcome"] for n in notices.notices_for(store.sessions, sender)] == ["delivered"]
    finally:
        await client.close()
        rasa.stop()
        store.dispose()


async def test_rasa_down_keeps_the_widget_news_for_the_next_time(monkeypatch, tmp_path):
    store = staff_environment(monkeypatch, tmp_path)
    client = await staff_client(f"http://127.0.0.1:{free_port()}")  # nothing listens there
    sender = "web:notice00002"
    try:
        placed = await asyncio.to_thread(store.place_order, conversation_order(sender))
        await asyncio.to_thread(store.change_status, placed["number"], "confirmed", STAFF_NAME)
        await client.get("/api/history", params={"sender": sender, "poll": "1"})
        [kept] = notices.notices_for(store.sessions, sender)
        assert not kept["delivered"] and kept["attempts"] == 1 and kept["last_error"]
    finally:
        await client.close()
        store.dispose()


async def test_a_status_change_reaches_a_telegram_customer(monkeypatch, tmp_path):
    store = staff_environment(monkeypatch, tmp_path)
    api = FakeBotApi().start()
    rasa = FakeRasa(free_port()).start()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:notice")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
    client = await staff_client(rasa.url)
    try:
        placed = await asyncio.to_thread(store.place_order, conversation_order("telegram:770001"))
        await asyncio.to_thread(store.change_status, placed["number"], "confirmed", STAFF_NAME)
        texts = await wait_until(lambda: api.sent_texts(770001))
        assert texts == [f"News about your order <b>{placed['number']}</b>: it is now confirmed."]
        assert api.calls_to(770001, "sendMessage")[0]["parse_mode"] == "HTML"
        [done] = await wait_until(lambda: [n for n in notices.notices_for(store.sessions, "telegram:770001")
                                           if n["delivered"]])
        assert done["outcome"] == "delivered"
        # The staff transcript shows it: added to the conversation, marked as a notice.
        events = await wait_until(lambda: rasa.conversations.get("telegram:770001"))
        assert events[-1]["metadata"]["notice"] == "status_changed"
    finally:
        await client.close()
        api.stop()
        rasa.stop()
        store.dispose()


async def test_telegram_failures_retried_or_given_up(monkeypatch, tmp_path):
    store = staff_environment(monkeypatch, tmp_path)
    api = FakeBotApi().start()
    rasa = FakeRasa(free_port()).start()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:notice")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
    monkeypatch.setattr("bot.channels.notices.EVERY_S", 3600.0)  # this test delivers by itself
    client = await staff_client(rasa.url)
    sender = client.server.app[SENDER]
    try:
        await asyncio.sleep(0)  # the background loop's first round (nothing due yet) is over
        blocked = await asyncio.to_thread(store.place_order, conversation_order("telegram:770002"))
        away = await asyncio.to_thread(store.place_order, conversation_order("telegram:770003"))
        api.refuse(770002, 403)  # the customer blocked the bot
        api.refuse(770003, 429, retry_after=1)  # flood control: not now
        for placed in (blocked, away):
            await asyncio.to_thread(store.change_status, placed["number"], "confirmed", STAFF_NAME)
        await sender.deliver_due()
        [refused] = notices.notices_for(store.sessions, "telegram:770002")
        assert refused["delivered"] and refused["outcome"] == "refused" and refused["last_error"]
        [waiting] = notices.notices_for(store.sessions, "telegram:770003")
        assert not waiting["delivered"] and waiting["attempts"] == 1
        assert await sender.deliver_due() == 0  # not yet due again (30 s)
        assert api.sent_texts(770002) == [] and api.sent_texts(770003) == []
    finally:
        await client.close()
        api.stop()
        rasa.stop()
        store.dispose()

