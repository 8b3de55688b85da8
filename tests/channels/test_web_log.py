"""The web server's log (`python -m bot.server`, as `bespoke run` starts it) keeps to what the
bot does: a customer's message and the widget's history checks leave no line per request,
and Rasa's API token, which goes to Rasa in the URL (?token=), never appears in it (httpx
logged every request to Rasa with its URL at INFO)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import requests

from bot.local import ROOT, free_port
from bot.store.orders import OrderStore
from tests.support.fake_rasa import FakeRasa


def test_messages_and_history_checks_leave_no_line_and_never_the_token(tmp_path):
    rasa = FakeRasa(free_port()).start()
    port, token = free_port(), f"-tok-{uuid.uuid4().hex}"
    env = {**os.environ, "BESPOKE_WEB_PORT": str(port), "BESPOKE_RASA_PORT": str(rasa.port),
           "BESPOKE_RASA_TOKEN": token, "BESPOKE_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    for name in ("DATABASE_URL", "TRACKER_DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    store = OrderStore(f"sqlite:///{tmp_path / 'bespoke.db'}")  # (the action server migrates it in a run)
    store.migrate()
    store.dispose()
    log_path = tmp_path / "web.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot.server"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if requests.get(f"{url}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)  # polling while the server starts
        sender = f"web:log-{uuid.uuid4().hex[:12]}"
        for number in range(3):
            sent = requests.post(f"{url}/api/messages", json={"sender": sender, "message": f"hi {number}"}, timeout=30)
            assert sent.status_code == 200, sent.text
            history = requests.get(f"{url}/api/history", params={"sender": sender}, timeout=30)
            assert history.status_code == 200 and history.json()["messages"]
            polled = requests.get(f"{url}/api/history", params={"sender": sender, "poll": "1"}, timeout=30)
            assert polled.status_code == 200
        assert len(rasa.received) == 3
    finally:
        process.send_signal(signal.SIGTERM)  # its output is all written once it has exited
        process.wait(timeout=30)
        rasa.stop()
    text = log_path.read_text(errors="replace")
    assert token not in text and token.lstrip("-") not in text
    assert "HTTP Request" not in text and "/api/" not in text and "webhooks/rest" not in text, text
