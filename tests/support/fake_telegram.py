"""A local fake of Telegram's Bot API and the Telegram bridge (python -m bot.channels.telegram) as a
process pointed at it: what the Telegram tests and the shared channel scenario use."""

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
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from aiohttp import web

from bot.local import ROOT, free_port, stop_process_group

DEADLINE_S = 90
# What Telegram answers when it refuses a call (its description for each status).
REFUSAL_DESCRIPTIONS = {
    429: "Too Many Requests: retry after {retry_after}",
    403: "Forbidden: bot was blocked by the user",
    400: "Bad Request: can't parse entities: unsupported start tag \"x\" at byte offset 0",
}


class LoopServer:
    """An aiohttp application on 127.0.0.1 (a free port) in its own thread and event loop."""

    def __init__(self):
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.started = threading.Event()

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        self.routes(app)
        self.runner = web.AppRunner(app, shutdown_timeout=1)
        self.loop.run_until_complete(self.runner.setup())
        self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        self.started.set()
        self.loop.run_forever()

    def start(self):
        self.thread.start()
        assert self.started.wait(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _shutdown(self) -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:  # requests still waiting (a long poll, a request never answered)
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.runner.cleanup()


class Refusal:
    """The next `times` calls of `method` to `chat_id` (that have the parameter `only_with`,
    when given) are refused with `status`."""

    def __init__(self, chat_id: Any, status: int, times: int, method: str, retry_after: Optional[int],
                 only_with: Optional[str], description: Optional[str]):
        assert status in REFUSAL_DESCRIPTIONS, status
        self.chat_id, self.status, self.times, self.method = str(chat_id), status, times, method
        # 1 s at least, as Telegram: python-telegram-bot reads retry_after 0 as no retry_after at all.
        self.retry_after = (1 if retry_after is None else retry_after) if status == 429 else None
        assert self.retry_after is None or self.retry_after >= 1, "Telegram never asks to wait less than 1 s"
        self.only_with = only_with
        self.description = description or REFUSAL_DESCRIPTIONS[status].format(retry_after=self.retry_after)

    def applies(self, method: str, params: Dict[str, Any]) -> bool:
        return (self.times > 0 and method == self.method and str(params.get("chat_id")) == self.chat_id
                and (self.only_with is None or params.get(self.only_with) not in (None, "")))

    def answer(self) -> web.Response:
        self.times -= 1
        body: Dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.status)


class FakeBotApi(LoopServer):
    """Just enough of Telegram's Bot API for the bridge, recording every call; `refuse()`
    makes it refuse calls as Telegram does (flood control, a blocked bot, a bad request)."""

    def __init__(self):
        super().__init__()
        self.calls: List[Dict[str, Any]] = []  # the calls it took
        self.refused: List[Dict[str, Any]] = []  # the calls it refused, with their "status"
        self.refusals: List[Refusal] = []
        # Updates pushed and not yet confirmed: as Telegram does, an update given out stays
        # until a getUpdates with a higher offset confirms it, so an update given to a
        # bridge that died before handling it reaches the next bridge.
        self.pending: List[Tuple[int, Dict[str, Any]]] = []  # (push number, update)
        self.given_out: Set[int] = set()  # push numbers of pending updates given out at least once
        self.pushes = itertools.count(1)
        self.lock = threading.Lock()
        self.message_ids = itertools.count(1000)
        self.update_ids = itertools.count(1)
        self.getupdates_calls = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self.handle)

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

    def refuse(self, chat_id: Any, status: int, times: int = 1, method: str = "sendMessage",
               retry_after: Optional[int] = None, only_with: Optional[str] = None,
               description: Optional[str] = None) -> None:
        """Refuse the next `times` calls of `method` to the chat with HTTP `status`: 429 with
        parameters.retry_after (1 s unless given), 403 (the customer blocked the bot), 400 (a bad
        request; `only_with="parse_mode"` refuses only calls that ask for formatting)."""
        with self.lock:
            self.refusals.append(Refusal(chat_id, status, times, method, retry_after, only_with, description))

    def message(self, chat_id: Any, **fields) -> Dict[str, Any]:
        return {"message_id": next(self.message_ids), "date": int(time.time()),
                "chat": {"id": int(chat_id), "type": "private"}, **fields}

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self.params(request)
        if method == "getUpdates":
            self.getupdates_calls += 1
            wait = min(float(params.get("timeout") or 0), 1.0)
            deadline = time.monotonic() + wait
            offset = int(params.get("offset") or 0)
            while True:
                with self.lock:
                    self.pending = [(n, u) for n, u in self.pending
                                    if not (n in self.given_out and u["update_id"] < offset)]
                    updates = [u for _, u in self.pending]
                    self.given_out.update(n for n, _ in self.pending)
                if updates or time.monotonic() >= deadline:
                    break
                await asyncio.sleep(0.05)
            return web.json_response({"ok": True, "result": updates})
        with self.lock:
            refusal = next((r for r in self.refusals if r.applies(method, params)), None)
            if refusal is not None:
                self.refused.append({"method": method, "status": refusal.status, **params})
                return refusal.answer()
            self.calls.append({"method": method, **params})
        if method == "getMe":
            result: Any = {"id": 4242, "is_bot": True, "first_name": "Bespoke", "username": "bespoke_test_bot"}
        elif method == "sendMessage":
            result = self.message(params["chat_id"], text=params.get("text", ""))
        elif method == "sendPhoto":
            result = self.message(params["chat_id"], photo=[])
        elif method == "editMessageReplyMarkup":
            result = self.message(params.get("chat_id", 1), text="")
        else:  # setWebhook, deleteWebhook, answerCallbackQuery, sendChatAction, ...
            result = True
        return web.json_response({"ok": True, "result": result})

    # What the tests do as a Telegram user.
    def push(self, update: Dict[str, Any]) -> Dict[str, Any]:
        with self.lock:
            self.pending.append((next(self.pushes), update))
        return update

    @staticmethod
    def user(chat_id: int) -> Dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": "Anna", "language_code": "de"}

    def text_update(self, chat_id: int, text: str, update_id: Optional[int] = None) -> Dict[str, Any]:
        message = {"message_id": next(self.message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private", "first_name": "Anna"},
                   "from": self.user(chat_id), "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": update_id or next(self.update_ids), "message": message}

    def press_update(self, chat_id: int, message: Dict[str, Any], data: str) -> Dict[str, Any]:
        return {"update_id": next(self.update_ids), "callback_query": {
            "id": f"cb{next(self.message_ids)}", "from": self.user(chat_id), "chat_instance": "ci", "data": data,
            "message": {"message_id": message["message_id"], "date": int(time.time()),
                        "chat": {"id": chat_id, "type": "private"}, "text": message.get("text", "")},
        }}

    def press(self, chat_id: int, message: Dict[str, Any], data: str) -> Dict[str, Any]:
        return self.push(self.press_update(chat_id, message, data))

    def calls_to(self, chat_id: int, method: Optional[str] = None) -> List[Dict[str, Any]]:
        with self.lock:
            return [c for c in self.calls if str(c.get("chat_id")) == str(chat_id)
                    and (method is None or c["method"] == method)]

    def calls_of(self, method: str) -> List[Dict[str, Any]]:
        with self.lock:
            return [c for c in self.calls if c["method"] == method]

    def sent_texts(self, chat_id: int) -> List[str]:
        return [c.get("text", "") for c in self.calls_to(chat_id, "sendMessage")]

    def find_button(self, chat_id: int, title: str, since: int = 0) -> Optional[Dict[str, Any]]:
        """The latest inline button whose text starts with `title` among the chat's messages
        from number `since` on."""
        for call in reversed(self.calls_to(chat_id, "sendMessage")[since:]):
            for row in (call.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"].startswith(title):
                        return button
        return None

    def wait_for(self, condition: Callable[[], Any], what: str, process: "BridgeProcess") -> Any:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            assert process.process.poll() is None, f"bot.channels.telegram exited:\n{process.log()}"
            time.sleep(0.05)  # polling interval of the recorded calls, not a wait for a result
        raise AssertionError(f"timed out waiting for {what}; calls: {self.calls[-20:]}\n{process.log()}")


class BridgeProcess:
    """`python -m bot.channels.telegram` talking to the fake Bot API and to Rasa on `rasa_port`."""

    def __init__(self, api: FakeBotApi, rasa_port: int, log_path: Path, extra_env: Optional[Dict[str, str]] = None,
                 rasa_token: str = ""):
        """`rasa_token`: the real Rasa's (BotServers.token), whose REST channel asks for it."""
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": "test:token", "TELEGRAM_API_BASE_URL": api.base_url,
               "BESPOKE_RASA_PORT": str(rasa_port), "BESPOKE_RASA_TOKEN": rasa_token, "PYTHONUNBUFFERED": "1"}
        for name in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_WEBHOOK_LISTEN",
                     "TELEGRAM_WEBHOOK_PORT", "BESPOKE_TELEGRAM_RASA_TIMEOUT"):
            env.pop(name, None)
        env.update(extra_env or {})
        self.log_path = log_path
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.channels.telegram"], cwd=ROOT, env=env,
            stdout=log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )

    def log(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-40:])

    def stop(self) -> None:
        stop_process_group(self.process, timeout=20)


class TelegramUser:
    """One chat with the bridge: types messages and presses buttons, one turn at a time.

    The bridge handles a chat's updates in order, so the next turn can be sent as soon as
    the previous one has been answered at all; a turn that must press a button waits for it."""

    def __init__(self, api: FakeBotApi, bridge: BridgeProcess, chat_id: int):
        self.api, self.bridge, self.chat_id = api, bridge, chat_id
        self.turn_start = 0  # number of the first message sent in answer to the latest turn

    def _sent(self) -> int:
        return len(self.api.calls_to(self.chat_id, "sendMessage"))

    def _wait_reply(self, what: str) -> None:
        self.api.wait_for(lambda: self._sent() > self.turn_start, f"a reply to {what!r}", self.bridge)

    def say(self, text: str) -> None:
        self.turn_start = self._sent()
        self.api.push(self.api.text_update(self.chat_id, text))
        self._wait_reply(text)

    def press(self, title: str) -> Dict[str, Any]:
        """Press the latest button whose text starts with `title` (waiting for it to be sent)."""
        since = self.turn_start
        button = self.api.wait_for(lambda: self.api.find_button(self.chat_id, title, since),
                                   f"a button {title!r}", self.bridge)
        call = next(c for c in reversed(self.api.calls_to(self.chat_id, "sendMessage"))
                    if button in [b for row in (c.get("reply_markup") or {}).get("inline_keyboard", []) for b in row])
        self.turn_start = self._sent()
        self.api.press(self.chat_id, {"message_id": 99999, "text": call.get("text", "")}, button["callback_data"])
        self._wait_reply(title)
        return button

    def wait_for_text(self, needle: str) -> str:
        """The first message since the latest turn that contains `needle` (waiting for it)."""
        def found():
            return next((t for t in self.api.sent_texts(self.chat_id)[self.turn_start:] if needle in t), None)
        return self.api.wait_for(found, f"a message with {needle!r}", self.bridge)
