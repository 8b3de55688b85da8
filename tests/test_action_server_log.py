"""The action server's log keeps its secrets: an order placed and announced to the staff
Telegram chat (through the fake Bot API) leaves the bot token out of the log (httpx logged
each request's URL, https://api.telegram.org/bot<TOKEN>/sendMessage, at INFO)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import requests

from bot.local import ROOT, free_port
from bot.settings import ACTIONS_SECRET_HEADER
from bot.store.orders import OrderStore
from tests.support.fake_telegram import FakeBotApi

SHIRT = {"fabric": "oxford_white", "fit": "slim", "collar": "spread", "cuffs": "barrel", "neck": 39.5, "chest": 100,
         "waist": 90, "sleeve_length": 64, "shirt_length": 76, "monogram": None, "quantity": 1}


def test_an_order_announced_to_staff_leaves_the_bot_token_out_of_the_log(tmp_path):
    api = FakeBotApi().start()
    port, secret, bot_token = free_port(), uuid.uuid4().hex, f"123456:{uuid.uuid4().hex}"
    url = f"sqlite:///{tmp_path / 'bespoke.db'}"
    env = {**os.environ, "BESPOKE_ACTIONS_SECRET": secret, "BESPOKE_DATA_DIR": str(tmp_path), "DATABASE_URL": url,
           "BESPOKE_CATALOG": str(ROOT / "catalog.yml"), "TELEGRAM_BOT_TOKEN": bot_token,
           "TELEGRAM_API_BASE_URL": api.base_url, "STAFF_TELEGRAM_CHAT_ID": "4242", "PYTHONUNBUFFERED": "1"}
    log_path = tmp_path / "actions.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot.action_server", "--port", str(port)], cwd=ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    sender = f"web:log-{uuid.uuid4().hex[:12]}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)  # polling while the server starts
        slots = {"product": "tailored_shirt", "selections": SHIRT, "specs_complete": True, "draft_id": uuid.uuid4().hex,
                 "customer_name": "Anna Schmidt", "customer_email": "anna@example.com",
                 "customer_address": "Hauptstrasse 12, 10115 Berlin"}
        call = {"next_action": "action_place_order", "sender_id": sender, "version": "3.6.21", "domain": {},
                "tracker": {"sender_id": sender, "slots": slots, "latest_message": {"text": "yes", "intent": {}},
                            "events": [], "paused": False, "followup_action": None, "active_loop": {},
                            "latest_action_name": "action_listen"}}
        placed = requests.post(f"http://127.0.0.1:{port}/webhook", json=call, timeout=60,
                               headers={ACTIONS_SECRET_HEADER: secret})
        assert placed.status_code == 200 and "order number" in placed.text, placed.text
        deadline = time.monotonic() + 60
        while not api.sent_texts(4242) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the fake Bot API's recorded calls
        assert "New order" in api.sent_texts(4242)[0]
    finally:
        process.send_signal(signal.SIGTERM)  # its output is all written once it has exited
        process.wait(timeout=60)
        api.stop()
    store = OrderStore(url)
    assert [order["conversation_id"] for order in store.all_orders()] == [sender]
    store.dispose()
    text = log_path.read_text(errors="replace")
    assert bot_token not in text and bot_token.split(":")[1] not in text
    assert "HTTP Request" not in text, text
