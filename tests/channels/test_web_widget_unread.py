"""News while the widget is closed (issue 14): the closed widget's checks are told news is
waiting (`news_waiting`, not delivered yet), and in Chromium the chat button shows an unread
marker until the customer opens the chat, which then shows the news. The real web server
(create_app: the widget, the staff console and the notices) in front of a fake Rasa."""

from __future__ import annotations

import asyncio

import pytest

from bot.local import ROOT, free_port
from bot.store import notices
from tests.support.browser import open_shop, say, wait_idle
from tests.support.fake_rasa import FakeRasa
from tests.support.staff import STAFF_NAME, conversation_order, serving_shop, staff_client, staff_environment

DOCS = ROOT / "docs"


async def test_a_closed_widget_is_told_news_waits_without_taking_it(monkeypatch, tmp_path):
    store = staff_environment(monkeypatch, tmp_path)
    rasa = FakeRasa(free_port()).start()
    client = await staff_client(rasa.url)
    sender = "web:unread000001"
    try:
        placed = await asyncio.to_thread(store.place_order, conversation_order(sender))
        closed = {"sender": sender, "poll": "1", "closed": "1"}
        assert (await (await client.get("/api/history", params=closed)).json())["news_waiting"] is False
        await asyncio.to_thread(store.change_status, placed["number"], "confirmed", STAFF_NAME)
        for _ in range(2):  # asked again: still waiting, still not taken
            body = await (await client.get("/api/history", params=closed)).json()
            assert body == {"messages": None, "paused": False, "news_waiting": True}
        assert [n["delivered"] for n in notices.notices_for(store.sessions, sender)] == [False]
        opened = await (await client.get("/api/history", params={"sender": sender})).json()
        assert "news_waiting" not in opened and len(opened["messages"]) == 1  # open: shown, so not waiting
        assert (await (await client.get("/api/history", params=closed)).json())["news_waiting"] is False
    finally:
        await client.close()
        rasa.stop()
        store.dispose()


@pytest.fixture
def shop(monkeypatch, tmp_path):
    """The whole web server (widget, staff console, notices) in front of a fake Rasa, and its store."""
    with serving_shop(monkeypatch, tmp_path, web_rasa_timeout_s=5) as served:
        yield served


def test_news_while_closed_marks_the_button_until_opened(shop, page):
    server, store = shop
    open_shop(page, server.url)  # the demo page opens the chat (data-open)
    say(page, "hello")
    wait_idle(page)
    page.click(".bespoke-close")
    launcher = page.locator(".bespoke-launcher")
    assert not page.locator(".bespoke-unread-dot").is_visible()
    sender = page.evaluate(f"localStorage.getItem('bespoke-chat:sender:{server.url}')")
    placed = store.place_order(conversation_order(sender))
    store.change_status(placed["number"], "confirmed", STAFF_NAME, "wood arrived")

    # The widget's periodic check (every 8 s while the page is visible) sees it.
    page.wait_for_selector(".bespoke-launcher.bespoke-unread .bespoke-unread-dot", state="visible", timeout=40_000)
    assert launcher.get_attribute("aria-label").endswith("new message")
    assert page.locator(".bespoke-msg:has-text('News about your order')").count() == 0  # not shown before it opens

    page.click(".bespoke-launcher")
    page.wait_for_selector(".bespoke-msg.bespoke-bot:has-text('News about your order')", timeout=30_000)
    DOCS.mkdir(exist_ok=True)  # the README's picture of pushed news (re-made by every run)
    page.locator(".bespoke-panel").screenshot(path=str(DOCS / "web-chat-news.png"))
    page.click(".bespoke-close")
    assert not page.locator(".bespoke-unread-dot").is_visible()
    assert launcher.get_attribute("aria-label") == "Open chat: Bespoke Workshop"
    assert [n["delivered"] for n in notices.notices_for(store.sessions, sender)] == [True]
