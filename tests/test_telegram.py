"""The Telegram channel (python -m bot.telegram) against a fake Bot API server and the real
Rasa and action servers."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
import requests
from aiohttp import web

from bot.local import ROOT, free_port, stop_process_group
from bot.telegram.bot import APOLOGY_DOWN, MAX_TEXT, Payloads, SeenUpdates, split_text

DEADLINE_S = 90
CONTACT = ["Anna Schmidt", "anna.schmidt@example.com", "Hauptstrasse 12, 10115 Berlin"]


class FakeBotApi:
    """Just enough of Telegram's Bot API for the bridge, recording every call."""

    def __init__(self):
        self.port = free_port()
        self.calls: List[Dict[str, Any]] = []
        self.pending: List[Dict[str, Any]] = []
        self.lock = threading.Lock()
        self.message_ids = itertools.count(1000)
        self.update_ids = itertools.count(1)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.started = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self.handle)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        self.started.set()
        self.loop.run_forever()

    def start(self) -> "FakeBotApi":
        self.thread.start()
        assert self.started.wait(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _shutdown(self) -> None:
        await self.runner.cleanup()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:  # a getUpdates long poll still waiting
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @staticmethod
    async def params(request: web.Request) -> Dict[str, Any]:
        if request.content_type == "application/json":
            return await request.json()
        params: Dict[str, Any] = {}
        for key, value in (await request.post()).items():
            try:
                params[key] = json.loads(value) if isinstance(value, str) else value
            except ValueError:
                params[key] = value
        return params

    def message(self, chat_id: Any, **fields) -> Dict[str, Any]:
        return {"message_id": next(self.message_ids), "date": int(time.time()),
                "chat": {"id": int(chat_id), "type": "private"}, **fields}

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self.params(request)
        if method == "getUpdates":
            wait = min(float(params.get("timeout") or 0), 1.0)
            deadline = time.monotonic() + wait
            while True:
                with self.lock:
                    updates, self.pending = self.pending, []
                if updates or time.monotonic() >= deadline:
                    break
                await asyncio.sleep(0.05)
            return web.json_response({"ok": True, "result": updates})
        with self.lock:
            self.calls.append({"method": method, **params})
        if method == "getMe":
            result: Any = {"id": 4242, "is_bot": True, "first_name": "Bespoke", "username": "bespoke_test_bot"}
        elif method == "sendMessage":
            result = self.message(params["chat_id"], text=params.get("text", ""))
        elif method == "sendPhoto":
            result = self.message(params["chat_id"], photo=[])
        elif method == "editMessageReplyMarkup":
            result = self.message(params.get("chat_id", 1), text="")
        else:  # deleteWebhook, answerCallbackQuery, sendChatAction, ...
            result = True
        return web.json_response({"ok": True, "result": result})

    # What the tests do as a Telegram user.
    def push(self, update: Dict[str, Any]) -> Dict[str, Any]:
        with self.lock:
            self.pending.append(update)
        return update

    def text_update(self, chat_id: int, text: str, update_id: Optional[int] = None) -> Dict[str, Any]:
        user = {"id": chat_id, "is_bot": False, "first_name": "Anna", "language_code": "de"}
        message = {"message_id": next(self.message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private", "first_name": "Anna"}, "from": user, "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": update_id or next(self.update_ids), "message": message}

    def press(self, chat_id: int, message: Dict[str, Any], data: str) -> Dict[str, Any]:
        user = {"id": chat_id, "is_bot": False, "first_name": "Anna", "language_code": "de"}
        return self.push({"update_id": next(self.update_ids), "callback_query": {
            "id": f"cb{next(self.message_ids)}", "from": user, "chat_instance": "ci", "data": data,
            "message": {"message_id": message["message_id"], "date": int(time.time()),
                        "chat": {"id": chat_id, "type": "private"}, "text": message.get("text", "")},
        }})

    def calls_to(self, chat_id: int, method: Optional[str] = None) -> List[Dict[str, Any]]:
        with self.lock:
            return [c for c in self.calls if str(c.get("chat_id")) == str(chat_id)
                    and (method is None or c["method"] == method)]

    def sent_texts(self, chat_id: int) -> List[str]:
        return [c.get("text", "") for c in self.calls_to(chat_id, "sendMessage")]

    def wait_for(self, condition: Callable[[], Any], what: str, process: "BridgeProcess") -> Any:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            assert process.process.poll() is None, f"bot.telegram exited:\n{process.log()}"
            time.sleep(0.05)  # polling interval of the recorded calls, not a wait for a result
        raise AssertionError(f"timed out waiting for {what}; calls: {self.calls[-20:]}\n{process.log()}")


class BridgeProcess:
    def __init__(self, api: FakeBotApi, rasa_port: int, log_path: Path):
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": "test:token", "TELEGRAM_API_BASE_URL": api.base_url,
               "BESPOKE_RASA_PORT": str(rasa_port), "PYTHONUNBUFFERED": "1"}
        self.log_path = log_path
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.telegram"], cwd=ROOT, env=env,
            stdout=log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )

    def log(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-40:])

    def stop(self) -> None:
        stop_process_group(self.process, timeout=20)


@pytest.fixture
def telegram(bot, tmp_path):
    api = FakeBotApi().start()
    bridge = BridgeProcess(api, bot.rasa_port, tmp_path / "telegram.log")
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


def test_split_text_keeps_every_character_in_pieces_telegram_accepts():
    assert split_text("short") == ["short"]
    unbroken = "x" * (MAX_TEXT * 2 + 10)
    pieces = split_text(unbroken)
    assert [len(p) for p in pieces] == [MAX_TEXT, MAX_TEXT, 10] and "".join(pieces) == unbroken
    lines = "\n".join(f"Line {n}: a gaming PC with 32 GB DDR5" for n in range(400))
    pieces = split_text(lines)
    assert len(pieces) > 1 and all(len(p) <= MAX_TEXT for p in pieces)
    assert "\n".join(pieces) == lines  # cut at line breaks only


def test_long_payloads_get_short_callback_data():
    payloads = Payloads()
    assert payloads.data_for("/affirm") == "p:/affirm"
    long = '/choose_option{"option":"memory","value":"' + "x" * 80 + '"}'
    data = payloads.data_for(long)
    assert len(data.encode()) <= 64 and payloads.payload_of(data) == long
    seen = SeenUpdates()
    assert seen.first_time(7) and not seen.first_time(7)


def test_a_conveyor_order_over_telegram(bot, telegram):
    api, bridge = telegram
    chat_id = 700001
    api.wait_for(lambda: any(c["method"] == "getMe" for c in api.calls), "getMe", bridge)
    say_and_wait(api, bridge, chat_id, "/start", 1)
    assert api.calls_to(chat_id, "sendChatAction")[0]["action"] == "typing"
    say_and_wait(api, bridge, chat_id, "12 metre conveyor, 600mm wide, for about 40 kilos a metre", 1)
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
    assert api.sent_texts(chat_id)[:len(greeting) + len(cancel)] == greeting + cancel


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
    import honcho.manager

    from bot import runner

    added: List[str] = []

    class FakeManager:
        returncode = 0

        def add_process(self, name, command, env, cwd):
            added.append(name)

        def loop(self):
            pass

    monkeypatch.setattr(honcho.manager, "Manager", FakeManager)
    monkeypatch.setenv("BESPOKE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    assert runner.serve(runner.Settings.from_env(), tmp_path / "model.tar.gz") == 0
    assert ("telegram" in added) is started and {"actions", "rasa", "web"} <= set(added)
    assert ("TELEGRAM_BOT_TOKEN" in capsys.readouterr().out) is not started
