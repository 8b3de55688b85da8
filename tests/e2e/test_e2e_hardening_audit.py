"""What the audit of issue 11 found untested against the real servers: every HTTP entry
point refuses a body over its limit with 413 before reading it (the action server read up to
Sanic's 100 MB, whoever sent it, before checking the secret), and a forged placement with
Rasa's secret is refused for each reason the order core checks, storing nothing."""

from __future__ import annotations

import json
import select
import socket
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from bot.action_server import ACTIONS_SECRET_HEADER, MAX_ACTION_CALL_BYTES
from bot.core.limits import MAX_REQUEST_BYTES
from bot.server import MAX_REQUEST_BYTES as MAX_WEB_REQUEST_BYTES


def status_of_declared_body(url: str, length: int, headers: dict) -> int:
    """The status a server answers to a POST that declares a `length`-byte body and sends
    none of it: only a server that refuses by the declared length answers (else it waits)."""
    parts = urlsplit(url)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = (f"POST {parts.path}{'?' + parts.query if parts.query else ''} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {length}\r\n{head}\r\n")
    with socket.create_connection((parts.hostname, parts.port), timeout=15) as connection:
        connection.sendall(request.encode())
        try:
            status_line = connection.makefile("rb").readline()
        except socket.timeout:
            return 0  # still waiting for the body
    return int(status_line.split()[1]) if status_line else 0


def entry_points(bot) -> dict:
    """Each HTTP entry point: (url, headers, its limit in bytes)."""
    actions = f"http://127.0.0.1:{bot.actions_port}/webhook"
    return {
        "rasa rest": (bot.rest_url, {}, MAX_REQUEST_BYTES),
        "web /api/messages": (f"{bot.web_url}/api/messages", {}, MAX_REQUEST_BYTES),
        "staff sign-in form": (f"{bot.web_url}/staff/sign-in", {"Content-Type": "application/x-www-form-urlencoded"},
                               MAX_WEB_REQUEST_BYTES),
        "action server": (actions, {ACTIONS_SECRET_HEADER: bot.actions_secret}, MAX_ACTION_CALL_BYTES),
        "action server without the secret": (actions, {}, MAX_ACTION_CALL_BYTES),
    }


@pytest.mark.parametrize("name", ["rasa rest", "web /api/messages", "staff sign-in form", "action server",
                                  "action server without the secret"])
def test_a_body_over_the_limit_is_a_413(bot, name):
    url, headers, limit = entry_points(bot)[name]
    try:
        response = requests.post(url, data=b"{" + b" " * limit + b"}", timeout=60,  # just over
                                 headers={"Content-Type": "application/json", **headers})
        status = response.status_code
    except requests.ConnectionError:  # Sanic may close the connection after its 413: asked again below
        status = status_of_declared_body(url, limit + 2, headers)
    assert status == 413


@pytest.mark.parametrize("name", ["rasa rest", "web /api/messages", "action server",
                                  "action server without the secret"])
def test_a_body_declared_over_the_limit_is_a_413_before_any_of_it_is_read(bot, name):
    """(The staff console's forms are read up to aiohttp's limit, then refused: 256 KB at most.)"""
    url, headers, limit = entry_points(bot)[name]
    assert status_of_declared_body(url, limit + 1, headers) == 413
    assert status_of_declared_body(url, 100 * 1024 * 1024, headers) == 413  # over Sanic's default too


def status_of_chunked_body(url: str, size: int, headers: dict) -> int:
    """The status a server answers to a POST whose body comes in chunks (no length to refuse
    by), sent until the server answers or `size` bytes are sent."""
    parts = urlsplit(url)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
               f"Transfer-Encoding: chunked\r\n{head}\r\n")
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        connection.sendall(request.encode() + b"1\r\n{\r\n")
        sent = 0
        try:
            while sent < size and not select.select([connection], [], [], 0)[0]:
                connection.sendall(chunk)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: its answer is read below
        status_line = connection.makefile("rb").readline()
    return int(status_line.split()[1]) if status_line else 0


def test_a_chunked_body_over_the_limit_is_a_413_at_the_action_server(bot):
    """Sanic stops at the limit; rasa-sdk's handler of every exception answered that with 500."""
    url, headers, limit = entry_points(bot)["action server"]
    assert status_of_chunked_body(url, limit + 1024 * 1024, headers) == 413


def test_a_long_conversations_call_still_reaches_the_action_server(bot):
    """A call of a session far longer than any order (1 MB of events) is not refused for its size."""
    sender = f"audit-long-{uuid.uuid4().hex[:8]}"
    events = [{"event": "user", "text": "what does it cost?", "timestamp": 1.0, "parse_data": {"intent": {}}}] * 12000
    call = {"next_action": "action_no_such_action", "sender_id": sender, "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": sender, "slots": {}, "latest_message": {}, "events": events, "paused": False,
                        "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"}}
    body = json.dumps(call).encode()
    assert 1024 * 1024 < len(body) < MAX_ACTION_CALL_BYTES
    response = requests.post(f"http://127.0.0.1:{bot.actions_port}/webhook", data=body, timeout=60,
                             headers={"Content-Type": "application/json", ACTIONS_SECRET_HEADER: bot.actions_secret})
    assert response.status_code == 404 and "action_no_such_action" in response.text  # read, and no such action


CONVEYOR = {"length": 12, "belt_width": 600, "load": 40, "belt": "pvc", "environment": "standard",
            "power": "230v_single_phase"}
SHIRT = {"fabric": "oxford_white", "fit": "slim", "collar": "spread", "cuffs": "barrel", "neck": 39.5, "chest": 100,
         "waist": 90, "sleeve_length": 64, "shirt_length": 76, "monogram": None, "quantity": 1}
FORGED = [
    ("conveyor", {**CONVEYOR, "length": -12}, "Length: -12 m is outside 1 m to 30 m"),
    ("conveyor", {**CONVEYOR, "belt_width": 700}, "Belt width: 700 mm is not one of the sizes made"),
    ("conveyor", {**CONVEYOR, "length": 12.3456}, "Length: 12.3456 has more than 2 decimals"),
    ("conveyor", {**CONVEYOR, "belt": "unobtainium"}, "Belt"),
    ("tailored_shirt", {**SHIRT, "fabric": "silk_ivory"}, "Fabric: Silk, ivory is out of stock"),
    ("tailored_shirt", {**SHIRT, "quantity": -3}, "Quantity"),
    ("tailored_shirt", {**SHIRT, "quantity": 2.5}, "Quantity: 2.5 is not a whole number"),
    ("tailored_shirt", {**SHIRT, "neck": 10 ** 50}, "Neck"),
]


@pytest.mark.parametrize("product, selections, reason", FORGED, ids=[reason[:30] for _, _, reason in FORGED])
def test_a_forged_placement_with_rasas_secret_is_refused_for_its_reason_and_stores_nothing(bot, product,
                                                                                          selections, reason):
    sender = f"audit-forged-{uuid.uuid4().hex[:8]}"
    slots = {"product": product, "selections": selections, "specs_complete": True, "draft_id": uuid.uuid4().hex,
             "customer_name": "Eve Example", "customer_email": "eve@example.com",
             "customer_address": "Hauptstrasse 12, 10115 Berlin"}
    call = {"next_action": "action_place_order", "sender_id": sender, "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": sender, "slots": slots, "latest_message": {"text": "yes", "intent": {}},
                        "events": [], "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": "action_listen"}}
    response = requests.post(f"http://127.0.0.1:{bot.actions_port}/webhook", json=call, timeout=30,
                             headers={ACTIONS_SECRET_HEADER: bot.actions_secret})
    assert response.status_code == 200, response.text
    said = " ".join(reply.get("text") or "" for reply in response.json()["responses"])
    assert "Sorry, I can't place this order" in said and reason in said, said
    assert "order number" not in said
    assert bot.orders_of(sender) == []
