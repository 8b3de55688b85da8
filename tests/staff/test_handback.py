"""Messages a customer writes while staff have the conversation are not lost: after the
hand-back the bot says it is back and answers them (the widget shows each message once).
The rule with Rasa's events, and the whole way against the real bot."""

from __future__ import annotations

import asyncio
import uuid

import requests

from bot.staff.conversation_pages import BACK_TEXT, waiting_messages
from tests.staff.test_takeover import bot_client, say  # noqa: F401  (the signed-in staff client on the bot)
from tests.support.staff import page_csrf


def user(text: str) -> dict:
    return {"event": "user", "text": text, "metadata": {}}


def test_the_messages_waiting_are_those_since_the_pause_that_staff_did_not_answer():
    staff = {"event": "bot", "text": "Hi, Alice here", "metadata": {"staff": "alice"}}
    bot = {"event": "bot", "text": "Which memory?", "metadata": {}}
    assert waiting_messages([user("hi"), bot, {"event": "pause"}, user("hello?"), user("64 GB please")]) == [
        "hello?", "64 GB please"]
    assert waiting_messages([{"event": "pause"}, user("hello?"), staff]) == []  # staff answered
    assert waiting_messages([{"event": "pause"}, user("hello?"), staff, user("and 2 TB")]) == ["and 2 TB"]
    assert waiting_messages([{"event": "pause"}, user("hello?"), {"event": "resume"}, user("hi")]) == []  # not paused
    assert waiting_messages([user("hi"), bot]) == []
    many = [{"event": "pause"}] + [user(f"message {n}") for n in range(8)]
    assert waiting_messages(many) == [f"message {n}" for n in range(3, 8)]  # the latest five
    assert waiting_messages([{"event": "pause"}, user("   "), {"event": "user"}]) == []


async def test_what_the_customer_wrote_during_a_takeover_is_answered_after_the_hand_back(bot, bot_client):  # noqa: F811
    sender = f"web:pickup{uuid.uuid4().hex[:12]}"
    assert await say(bot, sender, "hi")
    path = f"/staff/conversations/{sender}"
    token = await page_csrf(bot_client, path)
    taken = await bot_client.post(f"{path}/takeover", data={"csrf_token": token}, allow_redirects=False)
    assert taken.status == 303
    assert await say(bot, sender, "I need a gaming PC") == []  # the bot stays quiet; staff do not answer
    back = await bot_client.post(f"{path}/handback", data={"csrf_token": token}, allow_redirects=False)
    assert back.status == 303, await back.text()

    def history():
        response = requests.get(f"{bot.web_url}/api/history", params={"sender": sender}, timeout=60)
        response.raise_for_status()
        return response.json()

    shown = await asyncio.to_thread(history)
    texts = [(m["from"], m["text"]) for m in shown["messages"]]
    users = [text for who, text in texts if who == "user"]
    assert users == ["hi", "I need a gaming PC"]  # once, where it was written
    at = texts.index(("bot", BACK_TEXT))
    assert at == len(users) + 1 and texts[at - 1] == ("user", "I need a gaming PC")
    answer = " ".join(text for who, text in texts[at + 1:] if who == "bot")
    assert "Custom PC" in answer or "processor" in answer.lower() or "CPU" in answer, texts  # the order began
    assert shown["order_in_progress"] is True and shown["paused"] is False
    replies = await say(bot, sender, "the 7800X3D")  # and goes on as usual
    assert replies
