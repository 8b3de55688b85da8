"""What the action server's savings per turn keep: an expression parsed once evaluates as
before with every call's values; a reply leaves out only the SlotSets that change nothing
anyone reads; the analytics records are committed when the server is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest
import requests
import simpleeval
from sqlalchemy import select

from bot.core import expressions
from bot.action_server import without_unchanged_slots
from bot.core.expressions import ChoiceRef, ExpressionError
from bot.local import ROOT, free_port
from bot.settings import ACTIONS_SECRET_HEADER
from bot.store.analytics import OrderDraft
from bot.store.orders import OrderStore
from tests.support.trackers import DOMAIN, make_tracker


@pytest.fixture
def parses(monkeypatch):
    """The texts simpleeval parses from now on."""
    seen = []
    parse = simpleeval.SimpleEval.parse

    def counting(text):
        seen.append(text)
        return parse(text)

    monkeypatch.setattr(simpleeval.SimpleEval, "parse", staticmethod(counting))
    expressions._parsed.cache_clear()
    yield seen
    expressions._parsed.cache_clear()


def test_an_expression_is_parsed_once_and_evaluated_with_each_calls_names(parses):
    text = "length * 2 + (0.5 if belt == 'pvc' else 1)"
    assert expressions.evaluate(text, {"length": Decimal("3"), "belt": ChoiceRef("pvc", "PVC", None, {})}) \
        == Decimal("6.5")
    assert expressions.evaluate(text, {"length": Decimal("10"), "belt": ChoiceRef("rubber", "Rubber", None, {})}) \
        == Decimal("21")
    assert parses == [text]


def test_errors_are_raised_on_every_call_and_names_are_not_kept(parses):
    for _ in range(2):
        with pytest.raises(ExpressionError, match="width"):
            expressions.evaluate("width > 2", {"length": Decimal("1")})
        with pytest.raises(ExpressionError):
            expressions.evaluate("", {})
    assert parses.count("") == 2  # a text that does not parse is not cached
    assert expressions.evaluate("width > 2", {"width": Decimal("3")}) is True
    assert parses.count("width > 2") == 1
    with pytest.raises(ExpressionError):
        expressions.evaluate("width > 2", {})  # the previous call's names are gone


def test_each_thread_evaluates_with_its_own_names():
    results = {}

    def worker(number: int) -> None:
        results[number] = [expressions.evaluate("n * n", {"n": Decimal(number)}) for _ in range(200)]

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == {number: [Decimal(number * number)] * 200 for number in range(1, 5)}


# ---------------------------------------------------------------------------- unchanged slots


def slot(name, value):
    return {"event": "slot", "name": name, "value": value, "timestamp": None}


def tracker(slots, events=()):
    return {"slots": slots, "events": [{"event": "user", "text": "earlier"}, {"event": "action", "name": "order_form"},
                                       *events]}


ORDER_SLOTS = {"selections": {"cpu": "ryzen7_7800x3d"}, "typed": {}, "changing": None, "failures": {},
               "specs_complete": None, "answered_turn": 2, "requested_slot": "specs_complete", "pending": None,
               "product": "custom_pc", "customer_name": None}


def test_a_slot_set_to_the_value_it_has_is_left_out_and_the_rest_keeps_its_order():
    bot = {"event": "bot", "text": "Got it."}
    reply = [slot("answered_turn", 3), slot("selections", {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb"}),
             bot, slot("typed", {}), slot("changing", None), slot("failures", {}), slot("specs_complete", None)]
    assert without_unchanged_slots("validate_order_form", tracker(ORDER_SLOTS), reply) == reply[:3]


def test_what_the_form_and_the_staff_console_read_is_kept():
    slots = {**ORDER_SLOTS, "failures": {"memory": 1}, "customer_name": "Anna Schmidt"}
    reply = [slot("requested_slot", "specs_complete"), slot("failures", {"memory": 1}),
             slot("customer_name", "Anna Schmidt"), slot("pending", None)]
    assert without_unchanged_slots("action_x", tracker(slots), reply) == reply[:3]


def test_a_slot_set_in_this_turn_before_the_action_is_kept():
    """A form validates the slots extracted from the message: its SlotSet of one stays."""
    given = tracker(ORDER_SLOTS, [slot("product", "custom_pc"), {"event": "action", "name": "order_form"}])
    assert without_unchanged_slots("validate_order_form", given, [slot("product", "custom_pc")]) \
        == [slot("product", "custom_pc")]
    assert without_unchanged_slots("action_x", tracker(ORDER_SLOTS), [slot("product", "custom_pc")]) == []


@pytest.mark.parametrize("old, new", [(1, True), (1, 1.0), (None, False), ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
                                      ([], None), ("1", 1)])
def test_only_the_same_json_is_the_same_value(old, new):
    assert without_unchanged_slots("action_x", tracker({"answered_turn": old}), [slot("answered_turn", new)]) \
        == [slot("answered_turn", new)]


def test_the_replys_own_events_come_first_and_nothing_after_a_reset_is_left_out():
    reply = [slot("changing", {"mode": "which"}), slot("changing", None)]
    assert without_unchanged_slots("action_x", tracker(ORDER_SLOTS), reply) == reply
    reply = [slot("typed", {}), {"event": "reset_slots"}, slot("typed", {})]
    assert without_unchanged_slots("action_x", tracker(ORDER_SLOTS), reply) == reply[1:]
    assert without_unchanged_slots("action_x", tracker(ORDER_SLOTS), [slot("unknown_slot", None)]) \
        == [slot("unknown_slot", None)]


def test_a_validation_action_keeps_one_slot_set_so_the_form_knows_it_read_the_message():
    reply = [{"event": "bot", "text": "Sorry?"}, slot("typed", {}), slot("changing", None),
             slot("requested_slot", "specs_complete")]
    assert without_unchanged_slots("validate_order_form", tracker(ORDER_SLOTS), reply) == reply[:2] + reply[3:]
    assert without_unchanged_slots("action_ask_specs_complete", tracker(ORDER_SLOTS), reply) == [reply[0], reply[3]]


# ---------------------------------------------------------------------------- the server process

# The action server with records committed only on a flush (60 s of batching): what is in the
# database after SIGTERM was committed because the server stopped.
SERVER = ("import sys; from bot.store import analytics; analytics.FLUSH_INTERVAL_S = 60.0; "
          "from bot.action_server import main; main()")


@pytest.fixture
def server(tmp_path):
    secret = "test-secret"
    port = free_port()
    env = {**os.environ, "BESPOKE_ACTIONS_SECRET": secret, "BESPOKE_DATA_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'bespoke.db'}", "BESPOKE_CATALOG": str(ROOT / "catalog.yml")}
    log = (tmp_path / "actions.log").open("wb")
    process = subprocess.Popen([sys.executable, "-c", SERVER, "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if requests.get(f"{url}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)  # polling while the server starts, not a wait for a result
        assert process.poll() is None, (tmp_path / "actions.log").read_text()
        yield url, secret, process, OrderStore(env["DATABASE_URL"])
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        log.close()


def call(url, secret, action, given):
    body = {"next_action": action, "sender_id": given.sender_id, "tracker": given.current_state(),
            "domain": DOMAIN, "version": "3.6.2"}
    response = requests.post(f"{url}/webhook", json=body, headers={ACTIONS_SECRET_HEADER: secret}, timeout=60)
    response.raise_for_status()
    return response.json()["events"]


def test_the_server_leaves_out_unchanged_slots_and_commits_its_records_when_stopped(server):
    url, secret, process, store = server
    slots = {"product": "custom_pc", "selections": {}, "typed": {}, "changing": None, "failures": {},
             "requested_slot": "specs_complete", "answered_turn": 2, "draft_id": "d" * 32}
    events = call(url, secret, "validate_order_form", make_tracker("the 7800X3D", slots=slots, sender="web:stop"))
    # requested_slot is always kept (the form follows the validation's SlotSet of it): the
    # validation asks the next question itself, in the same call (one call per form turn).
    assert [(e["name"], e["value"]) for e in events if e["event"] == "slot"] == [
        ("answered_turn", 3), ("selections", {"cpu": "ryzen7_7800x3d"}), ("requested_slot", "specs_complete")]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    with store.sessions.begin() as session:
        [draft] = session.scalars(select(OrderDraft)).all()
        # The CPU answered, the memory asked in the same call: both written before the exit.
        assert (draft.draft_id, draft.last_question, draft.answered) == ("d" * 32, "memory", 1)
    store.dispose()
