"""Run the bot's servers from Python: on free ports, with their own data folder and
catalog, until stopped. Used by the tests and the benchmark."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import urlencode

import requests

from bot.channels.rasa import RasaClient
from bot.channels.rasa import timeout as rasa_timeout
from bot.settings import REPO_ROOT

ROOT = REPO_ROOT
DEMO_CATALOG = ROOT / "catalog.yml"
START_TIMEOUT_S = 180


def stop_process_group(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM to a process started with start_new_session=True and its children; SIGKILL
    if they are not gone after `timeout` seconds."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BotServers:
    """`bespoke run --no-train` on free ports with its own data folder and catalog."""

    def __init__(self, data_dir: Path, catalog: Path = DEMO_CATALOG, extra_env: Optional[Dict[str, str]] = None):
        self.data_dir = data_dir
        self.token = (extra_env or {}).get("BESPOKE_RASA_TOKEN") or uuid.uuid4().hex
        # The secret Rasa sends the action server (a test that calls the action server as
        # Rasa does sends it in ACTIONS_SECRET_HEADER).
        self.actions_secret = (extra_env or {}).get("BESPOKE_ACTIONS_SECRET") or uuid.uuid4().hex
        self.rasa_port = free_port()
        self.actions_port = free_port()
        self.web_port = free_port()
        self.env = {
            **os.environ,
            "BESPOKE_DATA_DIR": str(data_dir),
            "BESPOKE_CATALOG": str(catalog),
            "BESPOKE_RASA_PORT": str(self.rasa_port),
            "BESPOKE_ACTIONS_PORT": str(self.actions_port),
            "BESPOKE_WEB_PORT": str(self.web_port),
            "BESPOKE_RASA_TOKEN": self.token,
            "BESPOKE_ACTIONS_SECRET": self.actions_secret,
            "RASA_TELEMETRY_ENABLED": "false",
        }
        self.env.pop("DATABASE_URL", None)
        self.env.pop("TRACKER_DATABASE_URL", None)
        self.env.update(extra_env or {})
        self.process: Optional[subprocess.Popen] = None
        self.log_path = data_dir / "servers.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        """The web chat server (demo page, widget, /api)."""
        return f"http://127.0.0.1:{self.web_port}"

    def start(self) -> "BotServers":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--no-train"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bot servers exited with {self.process.returncode}:\n{self.log_tail()}")
            if self._ready():
                return self
            time.sleep(0.2)  # polling interval while the servers load, not a wait for a result
        self.stop()
        raise RuntimeError(f"bot servers not ready after {START_TIMEOUT_S} s:\n{self.log_tail()}")

    def _ready(self) -> bool:
        try:
            status = requests.get(f"{self.url}/status", params={"token": self.token}, timeout=2)
            health = requests.get(f"http://127.0.0.1:{self.actions_port}/health", timeout=2)
            web = requests.get(f"{self.web_url}/health", timeout=2)
        except requests.RequestException:
            return False
        return status.ok and bool(status.json().get("model_file")) and health.ok and web.ok

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)

    def say(self, sender: str, text: str) -> List[dict]:
        """Rasa's reply items to one message, through the product's one Rasa client (so with
        the token its REST channel asks for); RasaError when Rasa does not answer."""

        async def send() -> List[dict]:
            async with RasaClient(self.url, self.token) as rasa:
                return await rasa.send_message(sender, text, timeout=rasa_timeout(60))

        return asyncio.run(send())

    @property
    def rest_url(self) -> str:
        """Rasa's REST channel with the token it asks for, for raw calls (malformed bodies)."""
        return f"{self.url}/webhooks/rest/webhook?{urlencode({'token': self.token})}"

    def converse(self, sender: str, messages: List[str]) -> List[List[dict]]:
        return [self.say(sender, text) for text in messages]

    def orders(self) -> List[dict]:
        """What `bespoke orders --json` prints for this data folder."""
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", "orders", "--json"],
            cwd=ROOT, env=self.env, capture_output=True, text=True, check=True, timeout=120,
        )
        return json.loads(result.stdout)

    def orders_of(self, sender: str) -> List[dict]:
        return [order for order in self.orders() if order["conversation_id"] == sender]
