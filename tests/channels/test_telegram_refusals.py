"""Telegram refusing a message: the fake Bot API answers 429 (flood control, with
parameters.retry_after), 403 (the customer blocked the bot) or 400 (a bad request) on demand,
and the bridge's send waits and resends, marks the chat, or resends as plain text, telling
staff (a flag on the conversation, a message to the staff chat) whenever the customer did
not get a reply. No Rasa: the bridge's send is driven directly, or the bridge process talks
to a small fake Rasa."""

from __future__ import annotations

import time
from typing import Any, Dict, List

import pytest
from telegram import Bot

from bot.channels.telegram.bot import MAX_SEND_ATTEMPTS, Bridge, SendProblem
from bot.settings import Settings
from bot.store.orders import OrderStore
from tests.support.fake_rasa import RasaOnPort
from tests.support.fake_telegram import BridgeProcess, FakeBotApi

STAFF_CHAT = 900900


@pytest.fixture
def api():
    server = FakeBotApi().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'bespoke.db'}"


@pytest.fixture
async def sending(api, database_url):
    """A python-telegram-bot Bot on the fake and a Bridge whose staff chat is STAFF_CHAT."""
    bot = Bot("test:token", base_url=api.base_url)
    await bot.initialize()
    settings = Settings(database_url=database_url, telegram_token="test:token",
                        telegram_api_base_url=api.base_url, staff_telegram_chat_id=str(STAFF_CHAT))
    bridge = Bridge(settings)
    try:
        yield bot, bridge
    finally:
        await bot.shutdown()
        if bridge._store is not None:
            bridge._store.dispose()


def flag_reasons(database_url: str, chat_id: int) -> List[str]:
    store = OrderStore(database_url)
    try:
        store.migrate()
        return [flag["reason"] for flag in store.flags_for(f"telegram:{chat_id}")]
    finally:
        store.dispose()


async def test_flood_control_waits_as_long_as_telegram_says_then_sends_again(api, sending, database_url):
    bot, bridge = sending
    api.refuse(7001, 429, retry_after=1)
    started = time.monotonic()
    await bridge.send_item(bot, 7001, {"text": "Your total is **1,234.00 EUR**."})
    waited = time.monotonic() - started
    assert [(c["method"], c["status"], c["text"]) for c in api.refused] == [
        ("sendMessage", 429, "Your total is <b>1,234.00 EUR</b>.")]
    assert api.sent_texts(7001) == ["Your total is <b>1,234.00 EUR</b>."]  # sent again, once
    assert waited >= 1.0  # the retry_after Telegram gave, not at once
    assert flag_reasons(database_url, 7001) == [] and api.sent_texts(STAFF_CHAT) == []


async def test_flood_control_that_does_not_end_is_bounded_and_told_to_staff(api, sending, database_url):
    bot, bridge = sending
    api.refuse(7002, 429, times=100, retry_after=1)
    await bridge.send_item(bot, 7002, {"text": "Which memory would you like?"})
    assert len(api.refused) == MAX_SEND_ATTEMPTS and api.sent_texts(7002) == []
    assert flag_reasons(database_url, 7002) == [SendProblem.FLOOD.value]
    [notice] = api.sent_texts(STAFF_CHAT)
    assert notice.startswith(f"telegram:7002: {SendProblem.FLOOD.value}")


async def test_a_flood_wait_longer_than_the_limit_is_not_waited_for(api, sending, database_url):
    bot, bridge = sending
    api.refuse(7003, 429, retry_after=3600)
    started = time.monotonic()
    await bridge.send_item(bot, 7003, {"text": "Which case would you like?"})
    assert time.monotonic() - started < 60  # not the hour Telegram asked for
    assert len(api.refused) == 1 and api.sent_texts(7003) == []
    assert flag_reasons(database_url, 7003) == [SendProblem.FLOOD.value]


async def test_a_blocked_bot_marks_the_chat_sends_it_nothing_more_and_staff_hear_once(api, sending, database_url):
    bot, bridge = sending
    api.refuse(7004, 403)
    await bridge.send_item(bot, 7004, {"text": "Your order is stored.", "image": "https://shop.example/pc.jpg"})
    await bridge.send_item(bot, 7004, {"text": "Anything else?"})
    assert [(c["method"], c["status"]) for c in api.refused] == [("sendMessage", 403)]
    assert api.calls_to(7004) == []  # neither the photo nor the next message was tried
    assert 7004 in bridge.unreachable
    assert flag_reasons(database_url, 7004) == [SendProblem.BLOCKED.value]
    [notice] = api.sent_texts(STAFF_CHAT)
    assert "telegram:7004" in notice and "blocked by the user" in notice
    # Another customer is not affected.
    await bridge.send_item(bot, 7005, {"text": "Hello"})
    assert api.sent_texts(7005) == ["Hello"]


async def test_a_reply_telegram_cannot_parse_is_sent_again_as_plain_text_with_its_buttons(api, sending, database_url):
    bot, bridge = sending
    api.refuse(7006, 400, only_with="parse_mode")
    buttons = [{"title": "Yes, confirm", "payload": "/affirm"}]
    await bridge.send_item(bot, 7006, {"text": "Your order number will be **BSP-7K3Q9M** <ok>.", "buttons": buttons})
    assert [c["status"] for c in api.refused] == [400] and api.refused[0]["parse_mode"] == "HTML"
    [call] = api.calls_to(7006, "sendMessage")
    assert call["text"] == "Your order number will be BSP-7K3Q9M <ok>." and not call.get("parse_mode")
    assert call["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "p:/affirm"
    assert flag_reasons(database_url, 7006) == []


async def test_a_request_refused_as_plain_text_too_is_told_to_staff_and_the_next_reply_still_sent(
        api, sending, database_url):
    bot, bridge = sending
    api.refuse(7007, 400, times=2, description="Bad Request: message is too long")
    await bridge.send_item(bot, 7007, {"text": "A summary"})
    await bridge.send_item(bot, 7007, {"text": "Shall I place the order?"})
    assert [c["status"] for c in api.refused] == [400, 400]
    assert api.sent_texts(7007) == ["Shall I place the order?"]
    assert flag_reasons(database_url, 7007) == [SendProblem.REFUSED.value]
    [notice] = api.sent_texts(STAFF_CHAT)
    assert "Message is too long" in notice  # Telegram's description, as python-telegram-bot gives it


def two_replies(body: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Rasa answering every message with two texts."""
    return [{"recipient_id": body["sender"], "text": f"first answer to {body['message']}"},
            {"recipient_id": body["sender"], "text": "second answer"}]


def test_the_bridge_process_flags_a_blocked_chat_and_sends_again_once_it_writes(api, database_url, tmp_path):
    rasa = RasaOnPort(two_replies).start()
    bridge = BridgeProcess(api, rasa.port, tmp_path / "telegram-blocked.log",
                           extra_env={"DATABASE_URL": database_url, "STAFF_TELEGRAM_CHAT_ID": str(STAFF_CHAT)})
    try:
        chat_id = 7008
        api.refuse(chat_id, 403)
        api.push(api.text_update(chat_id, "I need a shirt"))
        api.wait_for(lambda: api.sent_texts(STAFF_CHAT), "the staff notice", bridge)
        assert flag_reasons(database_url, chat_id) == [SendProblem.BLOCKED.value]
        assert [c["text"] for c in api.refused] == ["first answer to I need a shirt"]
        assert api.sent_texts(chat_id) == []  # the second answer was not tried
        # The customer unblocks the bot and writes again: answered.
        api.push(api.text_update(chat_id, "hello again"))
        api.wait_for(lambda: len(api.sent_texts(chat_id)) >= 2, "the answers after unblocking", bridge)
        assert api.sent_texts(chat_id) == ["first answer to hello again", "second answer"]
        assert [m["message"] for m in rasa.received] == ["I need a shirt", "hello again"]
    finally:
        bridge.stop()
        rasa.stop()
