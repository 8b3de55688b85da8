"""How many calls Rasa makes to the action server per customer turn, counted by a proxy
between the two real servers (issue 12): each call posts the whole tracker, so a form turn
should make one (the validation action asks the next question itself), not two."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Iterator, List

import pytest
import requests
import yaml
from aiohttp import ClientSession, web

from bot.channels.rasa import RasaClient
from bot.channels.rasa import timeout as rasa_timeout
from bot.local import ROOT, free_port, stop_process_group
from bot.runner import procfile_processes, process_env, write_endpoints
from bot.settings import Settings
from tests.support.replies import texts

START_TIMEOUT_S = 600  # two Rasa-sized starts on a shared 2-core machine


class CountingProxy:
    """Forwards Rasa's action calls to the action server and notes each call's action name."""

    def __init__(self, target: str):
        self.target = target
        self.port = free_port()
        self.calls: List[str] = []
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.calls.append(json.loads(body).get("next_action", ""))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with ClientSession() as session:
            async with session.post(f"{self.target}{request.path}", data=body, headers=headers) as answer:
                return web.Response(body=await answer.read(), status=answer.status,
                                    content_type=answer.content_type)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/{path:.*}", self._forward)
        runner = web.AppRunner(app)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self._started.set()
        self._loop.run_forever()

    def start(self) -> "CountingProxy":
        self._thread.start()
        self._started.wait(30)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


class CountedBot:
    """Rasa and the action server (the Procfile's commands, as `bespoke run` starts them),
    with the proxy between them."""

    def __init__(self, data_dir: Path, model: Path):
        env = {**os.environ, "BESPOKE_DATA_DIR": str(data_dir), "BESPOKE_RASA_PORT": str(free_port()),
               "BESPOKE_ACTIONS_PORT": str(free_port()), "BESPOKE_WEB_PORT": str(free_port()),
               "BESPOKE_RASA_TOKEN": uuid.uuid4().hex, "BESPOKE_ACTIONS_SECRET": uuid.uuid4().hex}
        env.pop("DATABASE_URL", None)
        env.pop("TRACKER_DATABASE_URL", None)
        self.settings = Settings.from_env(env)
        self.proxy = CountingProxy(f"http://127.0.0.1:{self.settings.actions_port}")
        endpoints = write_endpoints(self.settings)
        config = yaml.safe_load(endpoints.read_text())
        config["action_endpoint"]["url"] = f"http://127.0.0.1:{self.proxy.port}/webhook"
        endpoints.write_text(yaml.safe_dump(config, sort_keys=False))
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            self.env = process_env(self.settings, model, endpoints)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.url = f"http://127.0.0.1:{self.settings.rasa_port}"
        self.log = (data_dir / "servers.log").open("ab")
        self.processes: List[subprocess.Popen] = []

    def start(self) -> "CountedBot":
        self.proxy.start()
        commands = procfile_processes()
        for name in ("actions", "rasa"):
            self.processes.append(subprocess.Popen(["sh", "-c", f"exec {commands[name]}"], cwd=ROOT, env=self.env,
                                                   stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._ready():
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                self.stop()
                raise RuntimeError("the servers did not start; see servers.log")
            time.sleep(0.2)  # polling interval while the servers load
        return self

    def _ready(self) -> bool:
        try:
            status = requests.get(f"{self.url}/status", params={"token": self.env["BESPOKE_RASA_TOKEN"]}, timeout=2)
            health = requests.get(f"http://127.0.0.1:{self.settings.actions_port}/health", timeout=2)
        except requests.RequestException:
            return False
        return status.ok and bool(status.json().get("model_file")) and health.ok

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            stop_process_group(process)
        self.proxy.stop()

    def say(self, sender: str, text: str):
        """The bot's reply items and the actions Rasa called for this one message."""
        self.proxy.calls.clear()

        async def send():
            async with RasaClient(self.url, self.env["BESPOKE_RASA_TOKEN"]) as rasa:
                return await rasa.send_message(sender, text, timeout=rasa_timeout(120))

        reply = asyncio.run(send())
        return reply, list(self.proxy.calls)


@pytest.fixture(scope="module")
def counted_bot(trained_model, tmp_path_factory) -> Iterator[CountedBot]:
    bot = CountedBot(tmp_path_factory.mktemp("counted"), trained_model).start()
    try:
        yield bot
    finally:
        bot.stop()


# (what the customer says, the actions Rasa should call for it, a word of the reply)
ORDER = [
    ("hi", ["action_session_start", "action_list_products"], "Hello"),
    # Activation: the product and what the message names, then the form's first question.
    ("I need a gaming PC", ["action_start_order", "validate_order_form"], "CPU"),
    ("the 7800X3D", ["validate_order_form"], "memory"),
    ("32gb ddr4", ["validate_order_form"], "DDR5"),  # refused by a rule
    ("how long does it take to make?", ["validate_order_form"], "business days"),  # a question inside the form
    ("32 GB DDR5", ["validate_order_form"], "SSD"),
    ("2TB SSD", ["validate_order_form"], "graphics"),
    ("RTX 4070 Super", ["validate_order_form"], "case"),
    ("mid tower", ["validate_order_form"], "operating system"),
    ("win 11", ["validate_order_form"], "Shall I place this order?"),  # the summary
    ("no", ["validate_order_form"], "Which option would you like to change?"),
    ("the memory", ["validate_order_form"], "memory"),
    ("64 GB DDR5", ["validate_order_form"], "Shall I place this order?"),
    # The order form ends and the contact form starts (its first question) in one call.
    ("yes", ["validate_order_form", "validate_contact_form"], "name"),
    ("Anna Schmidt", ["validate_contact_form"], "email"),
    ("anna.schmidt@example.com", ["validate_contact_form"], "address"),
    # The contact form ends and the order is placed.
    ("Hauptstrasse 12, 10115 Berlin", ["validate_contact_form", "action_place_order"], "order"),
]


def test_each_form_turn_calls_the_action_server_once(counted_bot):
    sender = f"test-calls-{uuid.uuid4().hex[:8]}"
    seen = []
    for text, _, _ in ORDER:
        reply, calls = counted_bot.say(sender, text)
        seen.append((text, calls, texts(reply)))
    table = "\n".join(f"{text!r}: {calls}" for text, calls, _ in seen)
    assert [(text, calls) for text, calls, _ in seen] == [(text, calls) for text, calls, _ in ORDER], table
    unexpected = [(text, said) for (text, _, said), (_, _, word) in zip(seen, ORDER, strict=True)
                  if word.lower() not in said.lower()]
    assert not unexpected
