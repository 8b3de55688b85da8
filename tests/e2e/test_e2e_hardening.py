"""Bad input against the real servers (Rasa, the action server, the web server with the
staff console): a lone surrogate in the name sent through /api/messages costs neither the
order nor the staff console; a 2 MB body is refused with 413 at once while another
customer is answered; JSON that is not an object or is nested too deep is a 400; two "yes"
at once at the summary give one order with the name the customer typed; a forged call to
the action server stores nothing."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
import uuid

import requests

from bot.action_server import ACTIONS_SECRET_HEADER

from bot.local import ROOT
from tests.support.replies import texts

PC = ["I need a gaming PC", "the 7800X3D", "32 GB DDR5", "2TB SSD", "RTX 4070 Super", "mid tower", "win 11"]
STAFF, PASSWORD = "hardening", "a long enough password"


def web_sender() -> str:
    return f"web:hardening-{uuid.uuid4().hex[:12]}"


def web_say(bot, sender: str, raw_message: str) -> str:
    """A message through the web chat's /api/messages, written as raw JSON (so "\\ud800"
    arrives as the lone surrogate a browser's JSON can carry); the replies as one text."""
    body = '{"sender": "%s", "message": "%s"}' % (sender, raw_message)
    response = requests.post(f"{bot.web_url}/api/messages", data=body.encode(),
                             headers={"Content-Type": "application/json"}, timeout=60)
    assert response.status_code == 200, response.text
    replies = [message["text"] for message in response.json()["messages"]]
    assert replies and all(isinstance(text, str) for text in replies)
    return "\n".join(replies)


def signed_in(bot) -> requests.Session:
    """A staff session on the bot's web server (the account is made with `bespoke staff add`)."""
    subprocess.run([sys.executable, "-m", "bot.cli", "staff", "add", STAFF, "--password-stdin"], cwd=ROOT,
                   env=bot.env, input=PASSWORD + "\n", text=True, capture_output=True, timeout=120)
    session = requests.Session()
    page = session.get(f"{bot.web_url}/staff/sign-in", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    signed = session.post(f"{bot.web_url}/staff/sign-in", timeout=30, allow_redirects=False,
                          data={"name": STAFF, "password": PASSWORD, "csrf_token": token, "next": "/staff/"})
    assert signed.status_code in (302, 303), signed.text
    return session


def test_a_lone_surrogate_costs_neither_the_order_nor_the_staff_console(bot):
    sender = web_sender()
    for message in PC + ["yes"]:
        web_say(bot, sender, message)
    refused = web_say(bot, sender, "Anna \\ud800 Schmidt")
    assert "Part of that didn't come through (a broken character)." in refused
    assert "What name should go on the order" in refused
    assert web_say(bot, sender, "hi \\ud800\\u001b[2J there")  # a free message with them: answered
    assert "Thanks, Anna Schmidt." in web_say(bot, sender, "Anna Schmidt")
    web_say(bot, sender, "anna@example.com")
    placed = web_say(bot, sender, "Hauptstrasse 12, 10115 Berlin")
    [order] = bot.orders_of(sender)
    assert order["number"] in placed and order["customer_name"] == "Anna Schmidt"

    # And a conversation whose events still hold a lone surrogate (sent to Rasa's REST
    # channel straight, as the probe did): the pages stay 200, now and at the next refresh.
    rest = f"hardening-rest-{uuid.uuid4().hex[:8]}"
    raw = requests.post(bot.rest_url, timeout=60, headers={"Content-Type": "application/json"},
                        data=('{"sender": "%s", "message": "my name is \\ud800", '
                              '"metadata": {"first_name": "\\ud800"}}' % rest).encode())
    assert raw.status_code == 200 and raw.json()
    staff = signed_in(bot)
    for _refresh in range(2):
        for path in ["/staff/", "/staff/conversations", "/staff/queue", "/staff/orders",
                     f"/staff/conversations/{sender}", f"/staff/conversations/{rest}"]:
            page = staff.get(f"{bot.web_url}{path}", timeout=60)
            assert page.status_code == 200, (path, page.text[:500])
    assert order["number"] in staff.get(f"{bot.web_url}/staff/orders", timeout=60).text


def test_a_2_mb_body_is_refused_at_once_while_another_customer_is_answered(bot):
    big = b'{"sender": "hardening-big", "message": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    results = {}

    def send_big():
        started = time.monotonic()
        try:
            response = requests.post(bot.rest_url, data=big, timeout=60,
                                     headers={"Content-Type": "application/json"})
            results["big"] = (response.status_code, time.monotonic() - started)
        except requests.ConnectionError:  # Sanic may close the connection after its 413
            results["big"] = (413, time.monotonic() - started)

    thread = threading.Thread(target=send_big)
    thread.start()
    started = time.monotonic()
    hello = bot.say(f"hardening-hi-{uuid.uuid4().hex[:8]}", "hi")
    hello_s = time.monotonic() - started
    thread.join(60)
    status, big_s = results["big"]
    print(f"2 MB body to Rasa's REST webhook: {status} in {big_s:.2f} s; another customer's 'hi' answered in "
          f"{hello_s:.2f} s")
    assert status == 413 and big_s < 5, results
    assert texts(hello) and hello_s < 20
    web = requests.post(f"{bot.web_url}/api/messages", data=big, headers={"Content-Type": "application/json"},
                        timeout=60)
    assert web.status_code == 413 and web.json()["error"] == "request_too_large"


def test_json_that_is_not_an_object_or_nested_too_deep_is_a_400(bot):
    for body in ["[]", '"hi"', "42", "null", '[{"sender": "x", "message": "hi"}]',
                 '{"sender": ["x"], "message": "hi"}', '{"sender": "x", "message": {"text": "hi"}}']:
        response = requests.post(bot.rest_url, data=body, timeout=30,
                                 headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (body, response.status_code, response.text[:300])
        assert "must be" in response.text
    nested = "[" * 30_000 + "]" * 30_000
    response = requests.post(f"{bot.web_url}/api/messages", data=nested, timeout=30,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == "bad_request"
    assert texts(bot.say(f"hardening-after-{uuid.uuid4().hex[:8]}", "hi"))  # still answering


def test_two_yes_at_once_give_one_order_with_the_name_typed(bot):
    sender = f"hardening-yes-{uuid.uuid4().hex[:8]}"
    bot.converse(sender, PC)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(texts(bot.say(sender, "yes")))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 2 and all(answers)
    assert any("You've confirmed the order; I only need the name" in answer for answer in answers), answers
    bot.converse(sender, ["Aiko Tanaka", "aiko@example.jp"])
    placed = texts(bot.say(sender, "Hauptstrasse 12, 10115 Berlin"))
    again = texts(bot.say(sender, "yes"))
    [order] = bot.orders_of(sender)
    assert order["customer_name"] == "Aiko Tanaka" and order["number"] in placed
    assert f"Your order {order['number']} is placed." in again


def test_a_forged_call_to_the_action_server_stores_nothing(bot):
    sender = f"hardening-forged-{uuid.uuid4().hex[:8]}"
    shirt = {"fabric": "silk_ivory", "fit": "slim", "collar": "spread", "cuffs": "barrel", "neck": 39.5, "chest": 100,
             "waist": 90, "sleeve_length": 64, "shirt_length": 76, "monogram": None, "quantity": -3}
    slots = {"product": "tailored_shirt", "selections": shirt, "specs_complete": True, "draft_id": sender,
             "customer_name": "Eve", "customer_email": "eve@example.com", "customer_address": "Street 1, 10115 Berlin"}
    call = {"next_action": "action_place_order", "sender_id": sender, "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": sender, "slots": slots, "latest_message": {"text": "yes", "intent": {}},
                        "events": [], "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": "action_listen"}}
    # With Rasa's secret: the order core's re-check, not the door, must refuse it.
    response = requests.post(f"http://127.0.0.1:{bot.actions_port}/webhook", json=call, timeout=30,
                             headers={ACTIONS_SECRET_HEADER: bot.actions_secret})
    said = " ".join(reply.get("text") or "" for reply in response.json().get("responses", []))
    assert "Sorry, I can't place this order" in said and "out of stock" in said
    assert bot.orders_of(sender) == []
