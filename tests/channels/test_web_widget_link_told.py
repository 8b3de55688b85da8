"""A link code typed in another channel is told in the chat that showed it (issue 14): the
code shown on Telegram typed on the web, and the Telegram chat hears of it through the
notice sender (the fake Bot API), so a takeover by a guessed code is never silent to the
owner. The real web server (create_app) in front of a fake Rasa."""

from __future__ import annotations

import asyncio

from bot.local import free_port
from bot.store import links, notices
from tests.support.fake_rasa import FakeRasa
from tests.support.fake_telegram import FakeBotApi
from tests.support.staff import staff_client, staff_environment
from tests.support.waiting import wait_until


async def test_a_link_made_on_the_web_is_told_in_the_telegram_chat(monkeypatch, tmp_path):
    store = staff_environment(monkeypatch, tmp_path)
    api = FakeBotApi().start()
    rasa = FakeRasa(free_port()).start()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:link")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
    client = await staff_client(rasa.url)
    try:
        code = await asyncio.to_thread(links.new_code, store.sessions, "telegram:880001")
        linked = await asyncio.to_thread(links.redeem, store.sessions, code, "web:linkweb00001")
        assert linked.outcome is links.Redeemed.LINKED
        texts = await wait_until(lambda: api.sent_texts(880001))
        assert texts[0].startswith("This conversation is now also on the web chat: your link code was typed there")
        assert 'say "talk to a person"' in texts[0]
        events = await wait_until(lambda: rasa.conversations.get("telegram:880001"))
        assert events[-1]["metadata"]["notice"] == "channel_linked"  # the staff transcript shows it
        assert notices.notices_for(store.sessions, "web:linkweb00001") == []
    finally:
        await client.close()
        api.stop()
        rasa.stop()
        store.dispose()
