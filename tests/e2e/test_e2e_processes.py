"""`bespoke run` as processes (issue 11, points 2, 4, 9, 10): one run, started with a Rasa
token that begins with "-" (one start in 64 failed on that), checked from outside as
another local user or a forger would see it: no secret in any process's command line; Rasa
and the action server listening on 127.0.0.1 only; the data folder 0700 and its databases
0600; forged calls to the action server refused before any action runs; the action server
killed -9 in the middle of an order comes back and the order completes; `ready` said once
all serve, without third-party warnings; no process loads TensorFlow (issue 12: Rasa's memory
and start), Rasa answering order turns without it."""

from __future__ import annotations

import os
import signal
import stat
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest
import requests

from bot.action_server import ACTIONS_SECRET_HEADER
from bot.local import BotServers
from tests.support.replies import texts

PC = ["I need a gaming PC", "the 7800X3D", "32 GB DDR5", "2TB SSD", "RTX 4070 Super", "mid tower", "win 11"]
CONTACT = ["yes", "Aiko Tanaka", "aiko@example.jp", "Hauptstrasse 12, 10115 Berlin", "yes"]


@pytest.fixture(scope="module")
def run(trained_model, tmp_path_factory) -> Iterator[BotServers]:
    data = tmp_path_factory.mktemp("processes")
    servers = BotServers(data, extra_env={"BESPOKE_RASA_TOKEN": "-" + uuid.uuid4().hex,
                                          "BESPOKE_ACTIONS_SECRET": "-" + uuid.uuid4().hex})
    servers.start()
    try:
        yield servers
    finally:
        servers.stop()


def descendants(root: int) -> List[int]:
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def server_pid(run: BotServers, module: str) -> Optional[int]:
    assert run.process is not None
    for pid in descendants(run.process.pid):
        if f"-m {module}" in cmdline(pid):
            return pid
    return None


def listening(port: int) -> List[str]:
    """The local addresses (hex, as /proc/net/tcp* writes them) listening on `port`."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


def poll(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)  # polling interval
    pytest.fail(f"not within {timeout} s: {what}")


def test_a_token_starting_with_a_dash_starts_and_no_command_line_holds_a_secret(run):
    assert run.token.startswith("-") and run.actions_secret.startswith("-")
    status = requests.get(f"{run.url}/status", params={"token": run.token}, timeout=10)
    assert status.ok and status.json()["model_file"]
    assert requests.get(f"{run.url}/status", timeout=10).status_code == 401
    assert run.process is not None
    pids = descendants(run.process.pid)
    lines = [cmdline(pid) for pid in pids]
    assert any("-m bot.rasa_server" in line for line in lines) and any("-m bot.action_server" in line for line in lines)
    for line in lines:
        assert run.token not in line and run.actions_secret not in line, line


def test_rasa_and_the_action_server_listen_on_loopback_only(run):
    for port in (run.rasa_port, run.actions_port):
        addresses = listening(port)
        assert addresses and set(addresses) <= {"0100007F", "00000000000000000000000001000000"}, (port, addresses)


def mapped_tensorflow(pid: int) -> List[str]:
    """The files of a TensorFlow distribution (tensorflow, its .libs, tensorflow_text, ...)
    mapped into a process: its shared libraries are there once it is imported."""
    lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    return sorted({line.split()[-1] for line in lines if "/site-packages/tensorflow" in line})


def test_rasa_answers_order_turns_and_no_process_has_loaded_tensorflow(run):
    sender = f"processes-{uuid.uuid4().hex[:8]}"
    replies = run.converse(sender, ["hi", *PC[:2]])
    assert "Which processor (CPU)" in texts(replies[1]) and "AMD Ryzen 7 7800X3D" in texts(replies[2])
    for module in ("bot.rasa_server", "bot.action_server", "bot.server"):
        pid = server_pid(run, module)
        assert pid and mapped_tensorflow(pid) == [], module


def test_the_data_folder_and_databases_are_this_users_only(run):
    assert stat.S_IMODE(run.data_dir.stat().st_mode) == 0o700
    for name in ("bespoke.db", "tracker.db"):
        assert stat.S_IMODE((run.data_dir / name).stat().st_mode) == 0o600, name


def forged_call(sender: str) -> dict:
    shirt = {"fabric": "silk_ivory", "fit": "slim", "collar": "spread", "cuffs": "barrel", "neck": 39.5, "chest": 100,
             "waist": 90, "sleeve_length": 64, "shirt_length": 76, "monogram": None, "quantity": -3}
    slots = {"product": "tailored_shirt", "selections": shirt, "specs_complete": True, "draft_id": sender,
             "customer_name": "Eve", "customer_email": "eve@example.com", "customer_address": "Street 1, 10115 Berlin"}
    return {"next_action": "action_place_order", "sender_id": sender, "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": sender, "slots": slots, "latest_message": {"text": "yes", "intent": {}},
                        "events": [], "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": "action_listen"}}


@pytest.mark.parametrize("headers, expected", [
    ({}, 403),
    ({ACTIONS_SECRET_HEADER: "guessed"}, 403),
    ({"Origin": "https://evil.example"}, 403),
    ("text/plain with the secret", 415),
])
def test_forged_calls_to_the_action_server_are_refused_and_store_nothing(run, headers, expected):
    import json

    sender = f"forged-{uuid.uuid4().hex[:8]}"
    url = f"http://127.0.0.1:{run.actions_port}/webhook"
    if headers == "text/plain with the secret":
        response = requests.post(url, data=json.dumps(forged_call(sender)), timeout=30,
                                 headers={ACTIONS_SECRET_HEADER: run.actions_secret, "Content-Type": "text/plain"})
    else:
        response = requests.post(url, json=forged_call(sender), headers=headers, timeout=30)
    assert response.status_code == expected and "responses" not in response.json()
    assert requests.get(f"http://127.0.0.1:{run.actions_port}/actions", timeout=10).status_code == 403
    assert requests.get(f"http://127.0.0.1:{run.actions_port}/health", timeout=10).ok
    assert run.orders_of(sender) == []


def test_the_action_server_killed_mid_order_comes_back_and_the_order_completes(run):
    sender = f"processes-{uuid.uuid4().hex[:8]}"
    run.converse(sender, PC[:4])
    first = server_pid(run, "bot.action_server")
    rasa = server_pid(run, "bot.rasa_server")
    assert first and rasa
    os.kill(first, signal.SIGKILL)
    second = poll(lambda: (pid := server_pid(run, "bot.action_server")) and pid != first and pid,
                  30, "the action server restarted")

    def serves() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{run.actions_port}/health", timeout=2).ok
        except requests.RequestException:
            return False

    poll(serves, 120, "the restarted action server answering")
    assert server_pid(run, "bot.rasa_server") == rasa  # Rasa was never stopped
    replies = run.converse(sender, PC[4:] + CONTACT)
    [order] = run.orders_of(sender)
    assert order["customer_name"] == "Aiko Tanaka" and order["number"] in texts(replies[-2])
    log = run.log_tail(400)
    assert "actions was killed by signal 9" in log and "restarting it in 1 s" in log
    poll(lambda: "actions serves again" in run.log_tail(400), 30, "the runner saying the action server serves again")
    assert second != first


def web_say(run: BotServers, sender: str, text: str, message_id: str) -> requests.Response:
    """A message through the web chat's /api/messages, as the widget sends it (its "Try
    again" sends the same id)."""
    return requests.post(f"{run.web_url}/api/messages", json={"sender": sender, "message": text, "id": message_id},
                         timeout=120)


def test_a_customer_gets_an_apology_while_rasa_or_the_action_server_is_down_and_the_message_is_not_lost(run):
    """kill -9 of Rasa, then of the action server, each between two messages of one web
    conversation: the message sent meanwhile gets a 502 the widget shows with "Try again"
    (never an empty reply), the same message sent again once the process is back is
    answered where the order was, and the other processes were never stopped."""
    sender = f"web:processes-{uuid.uuid4().hex[:12]}"
    for number, text in enumerate(PC[:2]):
        assert web_say(run, sender, text, f"before-{number:04d}").status_code == 200
    rasa, actions = server_pid(run, "bot.rasa_server"), server_pid(run, "bot.action_server")
    web = server_pid(run, "bot.server")
    assert rasa and actions and web
    os.kill(rasa, signal.SIGKILL)
    down = web_say(run, sender, "32 GB DDR5", "memory-0001")  # at once: the restart waits 1 s first
    assert down.status_code == 502 and down.json()["error"] == "rasa_unavailable", down.text
    assert "Please try again" in down.json()["message"]

    def rasa_serves() -> bool:
        try:
            status = requests.get(f"{run.url}/status", params={"token": run.token}, timeout=2)
            return status.ok and bool(status.json().get("model_file"))
        except requests.RequestException:
            return False

    poll(rasa_serves, 240, "the restarted Rasa serving its model")
    assert server_pid(run, "bot.rasa_server") not in (None, rasa)
    again = web_say(run, sender, "32 GB DDR5", "memory-0001")  # "Try again"
    assert again.status_code == 200, again.text
    assert "Memory: 32 GB DDR5" in " ".join(m["text"] or "" for m in again.json()["messages"])

    os.kill(actions, signal.SIGKILL)
    failed = web_say(run, sender, "2TB SSD", "storage-0001")  # Rasa answers, its action call fails
    assert failed.status_code == 502 and failed.json()["error"] == "no_answer", failed.text
    assert "Please try again" in failed.json()["message"]

    def actions_serve() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{run.actions_port}/health", timeout=2).ok
        except requests.RequestException:
            return False

    poll(actions_serve, 120, "the restarted action server answering")
    again = web_say(run, sender, "2TB SSD", "storage-0001")
    assert again.status_code == 200, again.text
    assert "Storage: 2 TB NVMe SSD" in " ".join(m["text"] or "" for m in again.json()["messages"])
    assert server_pid(run, "bot.server") == web  # the web server was never stopped
    log = run.log_tail(2000)
    assert "rasa was killed by signal 9" in log and "actions was killed by signal 9" in log


def test_ready_comes_after_every_process_answers_and_the_log_is_the_bots(run):
    log = run.log_tail(2000)
    assert "| ready" in log and f"web chat:  http://127.0.0.1:{run.web_port}/" in log
    before_ready = log.split("| ready")[0]
    assert "web chat:" not in before_ready  # the URLs only once all serve
    for noise in ("DeprecationWarning", "PendingDeprecationWarning", "UserWarning",
                  "%|", "it/s]"):  # (and no progress bar: tqdm's "100%|####| 3/3 [00:00, 9.1it/s]")
        assert noise not in log, noise
    assert log.count("| ready") == 1
    assert run.token not in log and run.actions_secret not in log  # (Rasa's token travels in URLs)
