"""Taking over a conversation against the real bot: writing to a web and a Telegram
customer, a second person kept out, handing back, and the exported test story passing
`rasa test`."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import uuid
from typing import Any, Dict, List

import pytest
import requests

from bot.runner import ROOT, rasa_env
from bot.store import conversations as stored
from bot.staff.accounts import StaffAccounts
from bot.store.orders import OrderStore
from tests.support.staff import (
    STAFF_NAME,
    add_staff,
    count_text,
    page_csrf,
    sign_in,
    staff_client,
)

PC_CHOICES = ["hi", "I need a gaming PC", "the 7800X3D", "32 GB DDR5", "2TB SSD", "RTX 4070 Super", "mid tower",
              "win 11", "yes", "Anna Schmidt", "anna.schmidt@example.com", "Hauptstrasse 12, 10115 Berlin"]


@pytest.fixture
async def bot_client(bot, monkeypatch, tmp_path):
    """A signed-in staff client on the bot's own databases and Rasa."""
    monkeypatch.setenv("BESPOKE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{bot.data_dir / 'bespoke.db'}")
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{bot.data_dir / 'tracker.db'}")
    monkeypatch.delenv("BESPOKE_SECRET_KEY", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("TELEGRAM_API_BASE_URL", raising=False)
    store = OrderStore(f"sqlite:///{bot.data_dir / 'bespoke.db'}")
    store.migrate()
    # The bot's database is shared by the session's tests: the account is made by whichever
    # test comes first (any StaffError from making it fails the test).
    if STAFF_NAME not in {account["name"] for account in StaffAccounts(store).names()}:
        add_staff(store)
    client = await staff_client(bot.url, bot.token)
    await sign_in(client)
    yield client
    await client.close()
    store.dispose()


def history(bot, sender: str) -> List[Dict[str, Any]]:
    response = requests.get(f"{bot.web_url}/api/history", params={"sender": sender}, timeout=30)
    response.raise_for_status()
    return response.json()["messages"]


async def say(bot, sender: str, text: str) -> List[dict]:
    return await asyncio.to_thread(bot.say, sender, text)


async def test_take_over_write_and_hand_back(bot, bot_client):
    sender = f"web:takeover{uuid.uuid4().hex[:12]}"
    assert await say(bot, sender, "hi")
    path = f"/staff/conversations/{sender}"
    token = await page_csrf(bot_client, path)
    # Not taken over yet: writing is refused.
    refused = await bot_client.post(f"{path}/messages", data={"csrf_token": token, "text": "hello"})
    assert refused.status == 409 and "Take over the conversation first" in await refused.text()

    taken = await bot_client.post(f"{path}/takeover", data={"csrf_token": token}, allow_redirects=False)
    assert taken.status == 303
    assert await say(bot, sender, "I need a gaming PC") == []  # the bot stays quiet
    page = await (await bot_client.get(path)).text()
    assert "I need a gaming PC" in page and "Write to the customer" in page and "Taken over" in page

    sent = await bot_client.post(f"{path}/messages", data={"csrf_token": token, "text": "Hi, Alice here <b>!</b>"},
                                 allow_redirects=False)
    assert sent.status == 303 and "done=sent_web" in sent.headers["Location"]
    messages = await asyncio.to_thread(history, bot, sender)
    assert messages[-1]["from"] == "bot" and messages[-1]["text"] == "Hi, Alice here <b>!</b>"
    assert messages[-2] == {"from": "user", "text": "I need a gaming PC", "timestamp": messages[-2]["timestamp"]}
    page = await (await bot_client.get(path)).text()
    assert "alice (staff)" in page and "Hi, Alice here &lt;b&gt;!&lt;/b&gt;" in page

    back = await bot_client.post(f"{path}/handback", data={"csrf_token": token}, allow_redirects=False)
    assert back.status == 303
    replies = await say(bot, sender, "what can you make?")
    assert replies and "Custom PC" in replies[0]["text"]  # the bot answers again
    page = await (await bot_client.get(path)).text()
    assert "Handed back to the bot." in page and "Write to the customer" not in page


async def test_a_second_person_cannot_take_over(bot, bot_client, monkeypatch):
    sender = f"web:second{uuid.uuid4().hex[:12]}"
    await say(bot, sender, "hi")
    path = f"/staff/conversations/{sender}"
    token = await page_csrf(bot_client, path)
    assert (await bot_client.post(f"{path}/takeover", data={"csrf_token": token}, allow_redirects=False)).status == 303
    store = OrderStore(f"sqlite:///{bot.data_dir / 'bespoke.db'}")
    with pytest.raises(stored.TakenOverError, match="alice has already taken over"):
        stored.start_takeover(store, sender, "bob")
    store.dispose()
    assert (await bot_client.post(f"{path}/handback", data={"csrf_token": token}, allow_redirects=False)).status == 303


async def test_telegram_customers_get_staff_messages(bot, bot_client, monkeypatch):
    from tests.support.fake_telegram import FakeBotApi

    chat = 5550000 + uuid.uuid4().int % 10000
    sender = f"telegram:{chat}"
    await say(bot, sender, "hi")
    path = f"/staff/conversations/{sender}"
    token = await page_csrf(bot_client, path)
    await bot_client.post(f"{path}/takeover", data={"csrf_token": token}, allow_redirects=False)

    # Without a bot token the page says so, and nothing is pretended.
    page = await (await bot_client.get(path)).text()
    assert "Telegram is not configured on this server" in page
    refused = await bot_client.post(f"{path}/messages", data={"csrf_token": token, "text": "Hello from the shop"})
    assert refused.status == 502 and "TELEGRAM_BOT_TOKEN is not set" in await refused.text()

    api = FakeBotApi().start()
    try:
        # Settings are read when the server starts: a server started with a bot token.
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "test:token")
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
        configured = await staff_client(bot.url, bot.token)
        try:
            await sign_in(configured)
            sent = await configured.post(f"{path}/messages", allow_redirects=False, data={
                "csrf_token": await page_csrf(configured, path), "text": "Hello from the shop"})
            assert sent.status == 303 and "done=sent_telegram" in sent.headers["Location"]
        finally:
            await configured.close()
        assert api.sent_texts(chat) == ["Hello from the shop"]
    finally:
        api.stop()
    page = await (await bot_client.get(path)).text()
    assert "alice (staff)" in page and "Hello from the shop" in page
    await bot_client.post(f"{path}/handback", data={"csrf_token": token}, allow_redirects=False)


async def test_an_exported_story_passes_rasa_test(bot, bot_client, trained_model, tmp_path):
    """A real order, with a takeover in the middle of it, exported and run by `rasa test`."""
    sender = f"web:story{uuid.uuid4().hex[:12]}"
    path = f"/staff/conversations/{sender}"
    for text in PC_CHOICES[:3]:
        await say(bot, sender, text)
    token = await page_csrf(bot_client, path)
    await bot_client.post(f"{path}/takeover", data={"csrf_token": token}, allow_redirects=False)
    assert await say(bot, sender, "is the 7800X3D good for video editing?") == []
    await bot_client.post(f"{path}/messages", data={"csrf_token": token, "text": "Yes, it is a fine choice."},
                          allow_redirects=False)
    await bot_client.post(f"{path}/handback", data={"csrf_token": token}, allow_redirects=False)
    for text in PC_CHOICES[3:]:
        await say(bot, sender, text)
    assert len(await asyncio.to_thread(bot.orders_of, sender)) == 1
    response = await bot_client.get(f"{path}/story.yml")
    assert response.status == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="story_{sender.replace(":", "_")}.yml"'
    story = await response.text()
    assert f"story: {sender}" in story and "action: action_place_order" in story
    assert "I need a gaming PC" in story and "video editing" not in story
    path = tmp_path / "exported.yml"
    path.write_text(story, encoding="utf-8")
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "rasa", "test", "core", "--stories", str(path), "--model", str(trained_model),
         "--fail-on-prediction-errors", "--out", str(tmp_path / "results")],
        cwd=ROOT, env=rasa_env(__import__("os").environ), capture_output=True, text=True, timeout=600,
    )
    failed = tmp_path / "results" / "failed_test_stories.yml"
    report = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, report + result.stdout[-3000:] + result.stderr[-2000:]
    assert "None of the test stories failed" in report

    # The conversation is on the list with its order.
    page = await (await bot_client.get(f"/staff/conversations?q={sender}")).text()
    assert count_text(page) == "1-1 of 1"
    assert "Anna Schmidt" in page and re.search(r"BSP-[A-Z0-9]{6}</a>", page)


async def test_exporting_an_unknown_conversation(bot, bot_client):
    response = await bot_client.get("/staff/conversations/web:neverseen0001/story.yml")
    assert response.status == 404 and "no conversation with this id" in await response.text()
