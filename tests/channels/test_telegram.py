"""The Telegram channel (python -m bot.channels.telegram) against a fake Bot API server and the real
Rasa and action servers."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import uuid
from typing import Any, Dict, List, Optional

import pytest
import requests
from aiohttp import web
from telegram import Bot
from telegram.request import BaseRequest

from bot.local import free_port
from bot.channels.telegram.bot import (
    APOLOGY_DOWN,
    APOLOGY_SLOW,
    STILL_WORKING,
    MAX_TEXT,
    NO_TEXT_WITH_BUTTONS,
    WEBHOOK_MAX_BODY,
    Bridge,
    split_text,
    telegram_html,
)
from bot.channels.shared_state import InProcessState
from bot.channels.telegram.bot import main as telegram_main
from bot.settings import Settings, SettingsError
from tests.support.fake_telegram import BridgeProcess, FakeBotApi, LoopServer, TelegramUser

CONTACT = ["Anna Schmidt", "anna.schmidt@example.com", "Hauptstrasse 12, 10115 Berlin"]


@pytest.fixture
def telegram(bot, tmp_path):
    api = FakeBotApi().start()
    bridge = BridgeProcess(api, bot.rasa_port, tmp_path / "telegram.log", rasa_token=bot.token)
    try:
        yield api, bridge
    finally:
        bridge.stop()
        api.stop()


def say_and_wait(api: FakeBotApi, bridge: BridgeProcess, chat_id: int, text: str, replies: int) -> List[Dict[str, Any]]:
    """Send a message and wait for `replies` more sendMessage calls to the chat."""
    before = len(api.calls_to(chat_id, "sendMessage"))
    api.push(api.text_update(chat_id, text))
    api.wait_for(lambda: len(api.calls_to(chat_id, "sendMessage")) >= before + replies, f"a reply to {text!r}", bridge)
    return api.calls_to(chat_id, "sendMessage")[before:]


def say_and_wait_for(api: FakeBotApi, bridge: BridgeProcess, chat_id: int, text: str, needle: str) -> List[Dict[str, Any]]:
    """Send a message and wait for the reply that contains `needle` (a reply of several
    messages is read whole: the next message is not sent while this one is answered)."""
    before = len(api.calls_to(chat_id, "sendMessage"))

    def arrived() -> bool:
        return any(needle in call["text"] for call in api.calls_to(chat_id, "sendMessage")[before:])

    api.push(api.text_update(chat_id, text))
    api.wait_for(arrived, f"{needle!r} in the reply to {text!r}", bridge)
    return api.calls_to(chat_id, "sendMessage")[before:]


def test_split_text_keeps_every_character_in_pieces_telegram_accepts():
    assert split_text("short") == ["short"]
    unbroken = "x" * (MAX_TEXT * 2 + 10)
    pieces = split_text(unbroken)
    assert [len(p) for p in pieces] == [MAX_TEXT, MAX_TEXT, 10] and "".join(pieces) == unbroken
    lines = "\n".join(f"Line {n}: a gaming PC with 32 GB DDR5" for n in range(400))
    pieces = split_text(lines)
    assert len(pieces) > 1 and all(len(p) <= MAX_TEXT for p in pieces)
    assert "\n".join(pieces) == lines  # cut at line breaks only


async def test_long_payloads_get_short_callback_data():
    payloads = InProcessState()
    assert await payloads.callback_data("/affirm") == "p:/affirm"
    long = '/choose_option{"option":"memory","value":"' + "x" * 80 + '"}'
    data = await payloads.callback_data(long)
    assert len(data.encode()) <= 64 and await payloads.payload_of(data) == long
    assert await payloads.payload_of("k:unknown") is None
    assert await payloads.first_time("update:7", 60) and not await payloads.first_time("update:7", 60)


def test_a_conveyor_order_over_telegram(bot, telegram):
    api, bridge = telegram
    chat_id = 700001
    api.wait_for(lambda: any(c["method"] == "getMe" for c in api.calls), "getMe", bridge)
    say_and_wait(api, bridge, chat_id, "/start", 1)
    assert api.calls_to(chat_id, "sendChatAction")[0]["action"] == "typing"
    say_and_wait(api, bridge, chat_id, "12 metre conveyor, 600mm wide, for 40 kilos a metre", 1)
    before = len(api.calls_to(chat_id, "sendMessage"))
    api.push(api.text_update(chat_id, "rubber belt, standard environment, 400V"))

    def confirm_button():
        for call in api.calls_to(chat_id, "sendMessage")[before:]:
            for row in (call.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == "Yes, confirm":
                        return call, button
        return None

    summary, button = api.wait_for(confirm_button, "the summary with a 'Yes, confirm' button", bridge)
    assert "Total:" in summary["text"]
    assert len(button["callback_data"].encode()) <= 64
    sent_message = {"message_id": 99999, "text": summary["text"]}
    answers = len([c for c in api.calls if c["method"] == "answerCallbackQuery"])
    before = len(api.calls_to(chat_id, "sendMessage"))
    api.press(chat_id, sent_message, button["callback_data"])
    api.wait_for(lambda: len(api.calls_to(chat_id, "sendMessage")) > before, "a reply to the button", bridge)
    assert len([c for c in api.calls if c["method"] == "answerCallbackQuery"]) == answers + 1
    edits = api.calls_to(chat_id, "editMessageReplyMarkup")
    assert edits and edits[-1]["message_id"] == 99999 and not (edits[-1].get("reply_markup") or {}).get("inline_keyboard")
    for text in CONTACT:
        replies = say_and_wait(api, bridge, chat_id, text, 1)
    done = api.wait_for(
        lambda: "BSP-" in "\n".join(api.sent_texts(chat_id)[-3:]) and "\n".join(api.sent_texts(chat_id)[-3:]),
        "the order number", bridge,
    )
    assert replies
    [order] = bot.orders_of(f"telegram:{chat_id}")
    assert order["number"] in done
    assert order["options"]["length"] == 12 and order["options"]["belt_width"] == 600
    assert order["options"]["load"] == 40 and order["options"]["belt"] == "rubber"
    tracker = requests.get(f"{bot.url}/conversations/telegram:{chat_id}/tracker",
                           params={"token": bot.token}, timeout=30).json()
    metadata = [e.get("metadata") for e in tracker["events"] if e.get("event") == "user"]
    assert metadata and all((m["first_name"], m["language"]) == ("Anna", "de") for m in metadata)
    # Each message showed "typing" while Rasa worked.
    assert len(api.calls_to(chat_id, "sendChatAction")) >= 7


def test_a_duplicate_update_is_answered_once(bot, telegram):
    api, bridge = telegram
    greeting = [r.get("text", "") for r in bot.say("telegram:expected-dup", "hi") if r.get("text")]
    cancel = [r.get("text", "") for r in bot.say("telegram:expected-dup", "cancel") if r.get("text")]
    chat_id = 700002
    update = api.text_update(chat_id, "hi", update_id=5000)
    api.push(update)
    api.push(update)
    api.push(api.text_update(chat_id, "/cancel", update_id=5001))
    api.wait_for(lambda: len(api.sent_texts(chat_id)) >= len(greeting) + len(cancel), "the replies", bridge)
    # Updates are handled in order: had the duplicate been answered, its greeting would come second.
    assert api.sent_texts(chat_id)[:len(greeting) + len(cancel)] == [telegram_html(t) for t in greeting + cancel]


def test_rasa_down_gives_an_apology_not_silence(bot, tmp_path):
    api = FakeBotApi().start()
    bridge = BridgeProcess(api, free_port(), tmp_path / "telegram-down.log")  # nothing listens there
    try:
        chat_id = 700003
        say_and_wait(api, bridge, chat_id, "I need a conveyor", 1)
        assert api.sent_texts(chat_id) == [APOLOGY_DOWN]
    finally:
        bridge.stop()
        api.stop()


@pytest.mark.parametrize("token, started", [("", False), ("123:abc", True)])
def test_serve_starts_telegram_only_with_a_token(monkeypatch, tmp_path, capsys, token, started):
    from bot import runner

    added: List[str] = []

    class FakeSupervisor:
        returncode = 0

        def __init__(self, ready_text=""):
            pass

        def add_process(self, name, command, env, cwd, health=None):
            added.append(name)

        def loop(self):
            pass

    monkeypatch.setattr(runner, "Supervisor", FakeSupervisor)
    monkeypatch.setenv("BESPOKE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    assert runner.serve(runner.Settings.from_env(), tmp_path / "model.tar.gz") == 0
    assert ("telegram" in added) is started and {"actions", "rasa", "web"} <= set(added)
    assert ("TELEGRAM_BOT_TOKEN" in capsys.readouterr().out) is not started


# Reply sending, unit level: a Bot whose requests are recorded instead of sent.

class RecordingRequest(BaseRequest):
    """Answers every Bot API call offline and records (method, parameters)."""

    def __init__(self):
        self.calls: List[tuple] = []
        self.message_ids = itertools.count(1)

    @property
    def read_timeout(self) -> Optional[float]:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, url, method, request_data=None, read_timeout=None, write_timeout=None,
                         connect_timeout=None, pool_timeout=None):
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        self.calls.append((name, params))
        if name == "getMe":
            result: Any = {"id": 1, "is_bot": True, "first_name": "Bespoke", "username": "bespoke_test_bot"}
        elif name in ("sendMessage", "sendPhoto"):
            chat = {"id": params["chat_id"], "type": "private"}
            result = {"message_id": next(self.message_ids), "date": 0, "chat": chat}
        else:
            result = True
        return 200, json.dumps({"ok": True, "result": result}).encode()


@pytest.fixture
async def recorded():
    request = RecordingRequest()
    bot = Bot("1:test", request=request, get_updates_request=RecordingRequest())
    await bot.initialize()
    request.calls.clear()
    try:
        yield bot, request.calls, Bridge(Settings())
    finally:
        await bot.shutdown()


async def test_an_image_in_a_reply_is_sent_as_a_photo_after_its_text(recorded):
    bot, calls, bridge = recorded
    await bridge.send_item(bot, 42, {"text": "Your shirt's fabric:", "image": "https://shop.example/twill.jpg"})
    await bridge.send_item(bot, 42, {"image": "https://shop.example/linen.jpg"})
    await bridge.send_item(bot, 42, {"image": "file:///etc/passwd"})  # not a web address: not sent
    assert [(name, params.get("text") or params.get("photo")) for name, params in calls] == [
        ("sendMessage", "Your shirt's fabric:"),
        ("sendPhoto", "https://shop.example/twill.jpg"),
        ("sendPhoto", "https://shop.example/linen.jpg"),
    ]
    assert all(params["chat_id"] == 42 for _, params in calls)


async def test_a_long_reply_is_split_with_the_buttons_under_its_last_piece(recorded):
    bot, calls, bridge = recorded
    text = "\n".join(f"Line {n}: Memory: 32 GB DDR5, +109 EUR" for n in range(300))  # about 11,000 characters
    buttons = [{"title": "Yes, confirm", "payload": "/affirm"}, {"title": "No, change something", "payload": "/deny"}]
    await bridge.send_item(bot, 42, {"text": text, "buttons": buttons})
    assert {name for name, _ in calls} == {"sendMessage"} and len(calls) == 3
    pieces = [params["text"] for _, params in calls]
    assert all(len(piece) <= MAX_TEXT for piece in pieces) and "\n".join(pieces) == text
    assert [bool(params.get("reply_markup")) for _, params in calls] == [False, False, True]
    keyboard = calls[-1][1]["reply_markup"]
    keyboard = keyboard if isinstance(keyboard, dict) else keyboard.to_dict()
    assert [row[0]["callback_data"] for row in keyboard["inline_keyboard"]] == ["p:/affirm", "p:/deny"]


async def test_bold_is_sent_as_telegram_html_and_everything_else_escaped(recorded):
    bot, calls, bridge = recorded
    await bridge.send_item(bot, 42, {"text": "Your order number is **BSP-7K3Q9M**.\nFish & <chips> ** not bold"})
    [(name, params)] = calls
    assert params["parse_mode"] == "HTML"
    assert params["text"] == "Your order number is <b>BSP-7K3Q9M</b>.\nFish &amp; &lt;chips&gt; ** not bold"
    assert telegram_html("**a** and **b**") == "<b>a</b> and <b>b</b>"
    assert telegram_html("**across\nlines**") == "**across\nlines**"


async def test_buttons_without_text_get_a_prompt(recorded):
    bot, calls, bridge = recorded
    button = {"title": "Custom PC", "payload": '/order_product{"product":"custom_pc"}'}
    await bridge.send_item(bot, 42, {"buttons": [button]})
    [(name, params)] = calls
    assert name == "sendMessage" and params["text"] == NO_TEXT_WITH_BUTTONS


# Webhook mode.

WEBHOOK_URL = "https://chat.shop.example/telegram/hook"


@pytest.mark.parametrize("env, problem", [
    ({"TELEGRAM_WEBHOOK_URL": WEBHOOK_URL}, "TELEGRAM_WEBHOOK_SECRET is not"),
    ({"TELEGRAM_WEBHOOK_URL": WEBHOOK_URL, "TELEGRAM_WEBHOOK_SECRET": "has spaces in it"}, "only have 1-256 letters"),
    ({"TELEGRAM_WEBHOOK_URL": WEBHOOK_URL, "TELEGRAM_WEBHOOK_SECRET": "x" * 257}, "only have 1-256 letters"),
    ({"TELEGRAM_WEBHOOK_URL": "http://chat.shop.example/hook", "TELEGRAM_WEBHOOK_SECRET": "abc"}, "https://"),
    ({"TELEGRAM_WEBHOOK_URL": WEBHOOK_URL, "TELEGRAM_WEBHOOK_SECRET": "abc", "TELEGRAM_WEBHOOK_PORT": "eighty"},
     "TELEGRAM_WEBHOOK_PORT must be a port"),
])
def test_webhook_settings_that_cannot_work_stop_the_start_with_a_clear_message(monkeypatch, capsys, env, problem):
    with pytest.raises(SettingsError, match=re.escape(problem)):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:x", **env})
    for name in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_WEBHOOK_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert telegram_main([]) == 2
    assert problem in capsys.readouterr().out


def test_webhook_settings_default_to_loopback_and_the_public_urls_path():
    settings = Settings.from_env({"TELEGRAM_WEBHOOK_URL": WEBHOOK_URL, "TELEGRAM_WEBHOOK_SECRET": "s3cret-_x"})
    assert settings.telegram_webhook_listen == "127.0.0.1" and settings.telegram_webhook_port == 8443
    assert settings.telegram_webhook_path == "telegram/hook"
    assert Settings.from_env({}).telegram_webhook_url == ""  # long polling


def post_update(url: str, update: Dict[str, Any], secret: Optional[str]) -> requests.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return requests.post(url, json=update, headers=headers, timeout=30)


def test_webhook_mode_sets_the_webhook_and_answers_only_updates_with_the_secret(bot, tmp_path):
    api = FakeBotApi().start()
    port, secret = free_port(), f"s3cret-{uuid.uuid4().hex}"
    bridge = BridgeProcess(api, bot.rasa_port, tmp_path / "telegram-webhook.log", rasa_token=bot.token, extra_env={
        "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL, "TELEGRAM_WEBHOOK_SECRET": secret, "TELEGRAM_WEBHOOK_PORT": str(port),
    })
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    try:
        [set_webhook] = api.wait_for(lambda: api.calls_of("setWebhook"), "setWebhook", bridge)
        assert set_webhook["url"] == WEBHOOK_URL and set_webhook["secret_token"] == secret
        assert api.getupdates_calls == 0  # no long polling beside the webhook

        def listening() -> Optional[int]:
            try:
                return post_update(hook, {}, None).status_code  # (a Response is falsy when not ok)
            except requests.ConnectionError:
                return None

        assert api.wait_for(listening, "the webhook server", bridge) == 403
        refused = 700011
        assert post_update(hook, api.text_update(refused, "I need a gaming PC"), "wrong-secret").status_code == 403
        assert post_update(hook, api.text_update(refused, "I need a gaming PC"), None).status_code == 403
        accepted = 700012
        assert post_update(hook, api.text_update(accepted, "I need a gaming PC"), secret).status_code == 200
        reply = api.wait_for(lambda: api.sent_texts(accepted), "the reply to the accepted update", bridge)
        assert "Custom PC" in reply[0]
        # Updates are handled in order: the refused ones, sent first, would have been answered by now.
        assert api.calls_to(refused) == []
        # A body beyond the webhook's cap is refused before it is read, with the secret too,
        # and the next update is answered.
        # (Only the headers are sent: the answer comes before any of the body is read.)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
            raw.sendall(f"POST /telegram/hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n"
                        f"Content-Length: {WEBHOOK_MAX_BODY + 1}\r\n\r\n".encode())
            assert raw.recv(200).startswith(b"HTTP/1.1 400 ")
        after = 700014
        assert post_update(hook, api.text_update(after, "hi"), secret).status_code == 200
        assert api.wait_for(lambda: api.sent_texts(after), "the reply after the refused body", bridge)
        tracker = requests.get(f"{bot.url}/conversations/telegram:{refused}/tracker",
                               params={"token": bot.token}, timeout=30).json()
        assert [e for e in tracker["events"] if e.get("event") == "user"] == []
    finally:
        bridge.stop()
        api.stop()


# Rasa slow.

class SilentRasa(LoopServer):
    """Accepts Rasa's REST webhook requests, records them and never answers."""

    def __init__(self):
        super().__init__()
        self.received: List[Dict[str, Any]] = []

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/webhooks/rest/webhook", self.never_answer)

    async def never_answer(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        await asyncio.Event().wait()  # cancelled when the server stops
        return web.json_response([])


def test_rasa_much_slower_than_the_late_limit_gives_an_apology(tmp_path):
    api, rasa = FakeBotApi().start(), SilentRasa().start()
    bridge = BridgeProcess(api, rasa.port, tmp_path / "telegram-slow.log",
                           extra_env={"BESPOKE_TELEGRAM_RASA_TIMEOUT": "1", "BESPOKE_TELEGRAM_RASA_LATE_LIMIT": "2"})
    try:
        chat_id = 700004
        api.push(api.text_update(chat_id, "I need a conveyor"))
        texts = api.wait_for(lambda: api.sent_texts(chat_id)[1:], "the apology", bridge)
        assert api.sent_texts(chat_id) == [STILL_WORKING, APOLOGY_SLOW]
        assert [r["message"] for r in rasa.received] == ["I need a conveyor"]
        assert rasa.received[0]["sender"] == f"telegram:{chat_id}"
        assert rasa.received[0]["metadata"] == {"first_name": "Anna", "language": "de"}
        assert texts == [APOLOGY_SLOW]
    finally:
        bridge.stop()
        api.stop()
        rasa.stop()


class HeldRasa(LoopServer):
    """Answers "hi" at once; holds any other message until the test lets it through."""

    def __init__(self):
        super().__init__()
        self.received: List[str] = []
        self.release = None

    def routes(self, app: web.Application) -> None:
        self.release = asyncio.Event()
        app.router.add_post("/webhooks/rest/webhook", self.webhook)

    async def webhook(self, request: web.Request) -> web.Response:
        message = (await request.json())["message"]
        self.received.append(message)
        if message != "hi":
            await self.release.wait()
        return web.json_response([{"recipient_id": "x", "text": f"answer to {message}"}])

    def let_through(self) -> None:
        self.loop.call_soon_threadsafe(self.release.set)


def test_a_slow_answer_comes_late_and_other_chats_are_not_held_up(tmp_path):
    api, rasa = FakeBotApi().start(), HeldRasa().start()
    bridge = BridgeProcess(api, rasa.port, tmp_path / "telegram-late.log",
                           extra_env={"BESPOKE_TELEGRAM_RASA_TIMEOUT": "1"})
    try:
        slow_chat, other_chat = 700010, 700011
        api.push(api.text_update(slow_chat, "a conveyor please"))
        api.wait_for(lambda: api.sent_texts(slow_chat), "the still-working notice", bridge)
        # Another customer is answered while the first one's answer is still being made.
        api.push(api.text_update(other_chat, "hi"))
        assert api.wait_for(lambda: api.sent_texts(other_chat), "the other chat's answer", bridge) == ["answer to hi"]
        rasa.let_through()
        api.wait_for(lambda: api.sent_texts(slow_chat)[1:], "the late answer", bridge)
        # Sent to Rasa once, answered once: nobody was asked to send it again.
        assert api.sent_texts(slow_chat) == [STILL_WORKING, "answer to a conveyor please"]
        assert rasa.received.count("a conveyor please") == 1
    finally:
        bridge.stop()
        api.stop()
        rasa.stop()


# Commands and whole orders, pressing the buttons the bot sends.

def test_help_command(bot, telegram):
    api, bridge = telegram
    user = TelegramUser(api, bridge, 700005)
    user.say("/help")
    assert "I take orders" in user.wait_for_text("I take orders")


CONTACT_BY_BUTTON = [("press", "Use Anna"), ("say", CONTACT[1]), ("say", CONTACT[2])]
PRODUCT_ORDERS = {
    "custom_pc": ([
        ("press", "Custom PC"), ("press", "AMD Ryzen 7 7800X3D"), ("press", "32 GB DDR5"), ("press", "2 TB NVMe SSD"),
        ("press", "GeForce RTX 4070 Super"), ("press", "Mid tower"), ("press", "Windows 11 Home"),
    ], {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb", "graphics": "rtx_4070_super",
        "case": "mid_tower", "os": "windows_11_home"}, "1622.00"),
    "tailored_shirt": ([
        ("press", "Made-to-measure shirt"), ("press", "Twill, navy"), ("press", "Regular"), ("press", "Spread"),
        ("press", "Barrel"), ("say", "40"), ("say", "100"), ("say", "90"), ("say", "64"), ("say", "78"),
        ("say", "no monogram"), ("say", "1"),
    ], {"fabric": "twill_navy", "fit": "regular", "collar": "spread", "cuffs": "barrel", "neck": 40, "chest": 100,
        "waist": 90, "sleeve_length": 64, "shirt_length": 78, "monogram": None, "quantity": 1}, "79.00"),
    "conveyor": ([
        ("press", "Custom conveyor"), ("say", "12 m"), ("say", "600"), ("say", "40"), ("press", "Rubber"),
        ("press", "Standard"), ("press", "400 V three-phase"),
    ], {"length": 12, "belt_width": 600, "load": 40, "belt": "rubber", "environment": "standard",
        "power": "400v_three_phase"}, "7560.00"),  # 12 x (300 + 0.4 x 600) + 12 x 40 + 1.5 kW motor 600
}


@pytest.mark.parametrize("product", list(PRODUCT_ORDERS))
def test_a_whole_order_of_each_product_by_buttons_then_status(bot, telegram, product):
    api, bridge = telegram
    steps, options, total = PRODUCT_ORDERS[product]
    chat_id = 710000 + list(PRODUCT_ORDERS).index(product)
    user = TelegramUser(api, bridge, chat_id)
    user.say("/start")
    for kind, value in steps:
        getattr(user, kind)(value)
    summary = user.wait_for_text("Total")
    answered = len(api.calls_of("answerCallbackQuery"))
    user.press("Yes, confirm")
    assert len(api.calls_of("answerCallbackQuery")) == answered + 1
    name_question = api.calls_to(chat_id, "sendMessage")[user.turn_start]
    assert "What name should go on the order?" in name_question["text"]
    [[use_name]] = name_question["reply_markup"]["inline_keyboard"]
    assert (use_name["text"], use_name["callback_data"]) == ("Use Anna", "p:Anna")
    for kind, value in CONTACT_BY_BUTTON:
        getattr(user, kind)(value)
    done = user.wait_for_text("BSP-")
    [order] = bot.orders_of(f"telegram:{chat_id}")
    assert order["number"] in done and order["product_id"] == product and order["kind"] == "order"
    assert order["options"] == options
    assert order["total"] == total
    assert f"{float(order['total']):,.2f}" in summary
    assert (order["customer_name"], order["customer_email"], order["customer_address"]) == ("Anna", *CONTACT[1:])
    # Every pressed keyboard was removed.
    assert len(api.calls_to(chat_id, "editMessageReplyMarkup")) == sum(kind == "press" for kind, _ in steps) + 2
    user.say("/status")
    assert order["number"] in user.wait_for_text(order["number"])
