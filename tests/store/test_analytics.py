"""What the order form records for the staff dashboard: refused answers (with a reason) and
the question each unfinished order is at; recording errors are logged, never shown."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.channels import staff_notice as notify
from bot.settings import Settings
from bot.core.refusals import REASON_WORDS
from bot.store import analytics
from bot.store.analytics import AnswerRejection, OrderDraft
from actions.order_form import (
    ActionStartOrder,
    ValidateOrderForm,
)
from bot.local import free_port
from tests.support.staff import staff_environment
from tests.support.trackers import Reading, Asking, action_resources, make_tracker, run, slot_events

SENDER = "web:analytics-test"
DRAFT = "d" * 32


@pytest.fixture
def store(monkeypatch, tmp_path):
    store = staff_environment(monkeypatch, tmp_path)
    with action_resources():  # the actions' store, on the database the test points at
        yield store


def rejections(store) -> List[Dict[str, Any]]:
    assert analytics.flush(timeout=30)  # recorded by a writer thread: committed when this returns
    with store.sessions.begin() as session:
        rows = session.scalars(select(AnswerRejection).order_by(AnswerRejection.id)).all()
        return [{key: getattr(row, key) for key in ("conversation_id", "draft_id", "product_id", "option_id",
                                                     "answer", "reason", "detail", "rule_id")} for row in rows]


def drafts(store) -> List[Dict[str, Any]]:
    assert analytics.flush(timeout=30)
    with store.sessions.begin() as session:
        rows = session.scalars(select(OrderDraft).order_by(OrderDraft.id)).all()
        return [{key: getattr(row, key) for key in ("draft_id", "conversation_id", "product_id", "last_question",
                                                     "answered", "outcome")} for row in rows]


def form_tracker(text: str, selections: Dict[str, Any], intent: str = "inform", **slots):
    return make_tracker(text, intent=intent, sender=SENDER, slots={
        "product": "custom_pc", "selections": selections, "requested_slot": "specs_complete", "answered_turn": 2,
        "draft_id": DRAFT, **slots,
    })


async def test_a_rule_refusal_is_recorded_with_the_rule(store):
    _, messages = await run(Reading(ValidateOrderForm()), form_tracker("16GB DDR4", {"cpu": "ryzen7_7800x3d"}))
    assert "DDR5" in messages[0]["text"]
    [row] = rejections(store)
    assert row["conversation_id"] == SENDER and row["draft_id"] == DRAFT and row["product_id"] == "custom_pc"
    assert row["option_id"] == "memory" and row["answer"] == "16GB DDR4"
    assert row["reason"] == "rule" and row["rule_id"] == "am5_takes_ddr5" and "DDR5" in row["detail"]


async def test_an_answer_not_understood_is_recorded(store):
    await run(Reading(ValidateOrderForm()), form_tracker("purple elephants dancing", {}))
    [row] = rejections(store)
    assert row["option_id"] == "cpu" and row["answer"] == "purple elephants dancing"
    assert row["reason"] in REASON_WORDS and row["reason"] != "rule"
    assert row["detail"]


async def test_a_long_answer_is_cut_to_200_characters(store):
    await run(Reading(ValidateOrderForm()), form_tracker("zz " * 300, {}))
    assert len(rejections(store)[0]["answer"]) == analytics.ANSWER_MAX_CHARS


async def test_a_refusal_in_the_first_message_is_recorded_with_the_new_draft(store):
    events, _ = await run(ActionStartOrder(), make_tracker(
        "a gaming PC with a 7800X3D and 16GB DDR4", intent="order_product", sender=SENDER))
    [row] = rejections(store)
    assert row["draft_id"] == slot_events(events)["draft_id"] and row["reason"] == "rule"


async def test_each_question_asked_updates_the_draft(store):
    await run(Asking("specs_complete"), form_tracker("", {}))
    assert drafts(store) == [{"draft_id": DRAFT, "conversation_id": SENDER, "product_id": "custom_pc",
                              "last_question": "cpu", "answered": 0, "outcome": "open"}]
    await run(Asking("specs_complete"), form_tracker("", {"cpu": "ryzen7_7800x3d"}))
    [draft] = drafts(store)
    assert (draft["last_question"], draft["answered"]) == ("memory", 1)


async def test_the_summary_is_recorded_as_the_last_question(store):
    selections = {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb",
                  "graphics": "rtx_4070_super", "case": "mid_tower", "os": "windows_11_home"}
    await run(Asking("specs_complete"), form_tracker("", selections))
    [draft] = drafts(store)
    assert (draft["last_question"], draft["answered"]) == (analytics.SUMMARY_QUESTION, 6)


async def test_a_confirmed_cancel_marks_the_draft_cancelled(store):
    await run(Asking("specs_complete"), form_tracker("", {}))
    await run(Reading(ValidateOrderForm()), form_tracker("yes", {}, intent="affirm", pending="cancel"))
    assert drafts(store)[0]["outcome"] == analytics.OUTCOME_CANCELLED


FULL_PC = {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb",
           "graphics": "rtx_4070_super", "case": "mid_tower", "os": "windows_11_home"}


async def test_the_contact_questions_are_recorded_and_a_cancel_there_too(store):
    from actions.contact_form import ValidateContactForm

    contact = {"requested_slot": "customer_email", "active_loop": "contact_form", "customer_name": "Anna Schmidt"}
    await run(Asking("customer_email"), form_tracker("", dict(FULL_PC), **contact))
    [draft] = drafts(store)
    assert (draft["last_question"], draft["answered"], draft["outcome"]) == ("customer_email", 6, "open")
    await run(Reading(ValidateContactForm()), form_tracker("yes", dict(FULL_PC), intent="affirm", pending="cancel", **contact))
    assert drafts(store)[0]["outcome"] == analytics.OUTCOME_CANCELLED


async def test_a_recording_error_is_logged_and_the_conversation_goes_on(store, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(type(store), "sessions", property(broken))
    with caplog.at_level(logging.ERROR, logger="bot.store.analytics"):
        events, messages = await run(Reading(ValidateOrderForm()), form_tracker("16GB DDR4", {"cpu": "ryzen7_7800x3d"}))
        _, asked = await run(Asking("specs_complete"), form_tracker("", {}))
        assert analytics.flush(timeout=30)  # the writer thread tries the database and logs
    assert "DDR5" in messages[0]["text"] and slot_events(events)["failures"] == {"memory": 1}
    assert asked[0]["text"].startswith("(1/6)")
    logged = [record for record in caplog.records if record.name == "bot.store.analytics"]
    assert len(logged) == 2 and all(record.exc_info for record in logged)
    assert "database is down" not in messages[0]["text"] + asked[0]["text"]


# ---------------------------------------------------------------------------- staff Telegram notice


ORDER = {"number": "BSP-7K3Q9M", "product_name": "Custom PC", "total": "1234.00", "currency": "EUR",
         "customer_name": "Jane Doe"}


class FakeBotApi:
    """Telegram's sendMessage on 127.0.0.1, recording what it was sent; `hold` keeps it from answering."""

    def __init__(self) -> None:
        self.sent: List[Dict[str, Any]] = []
        self.received = asyncio.Event()
        self.hold = asyncio.Event()
        self.hold.set()

    async def handle(self, request: web.Request) -> web.Response:
        self.sent.append({"path": request.path, **await request.json()})
        self.received.set()
        await self.hold.wait()
        return web.json_response({"ok": True, "result": {"message_id": 1}})

    async def __aenter__(self):
        app = web.Application()
        app.router.add_post("/bot{token}/sendMessage", self.handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        self.base_url = f"http://127.0.0.1:{self.server.port}/bot"
        return self

    async def __aexit__(self, *exc) -> None:
        self.hold.set()
        await self.server.close()


def telegram_env(base_url: str) -> Dict[str, str]:
    return {"STAFF_TELEGRAM_CHAT_ID": "-100123", "TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_API_BASE_URL": base_url}


def test_the_notice_text():
    assert notify.order_notice(ORDER) == "New order BSP-7K3Q9M: Custom PC, 1,234.00 EUR, Jane Doe"
    assert notify.order_notice({**ORDER, "total": None}) == "New quote request BSP-7K3Q9M: Custom PC, Jane Doe"


async def test_a_new_order_is_posted_to_the_staff_chat_without_waiting():
    async with FakeBotApi() as api:
        api.hold.clear()  # Telegram answers only when the test says so
        task = notify.announce_order(ORDER, Settings.from_env(telegram_env(api.base_url)))
        # The customer's reply does not wait: announce_order returned a task still running
        # (Telegram has not answered, nor could it have: the loop has not run since).
        assert isinstance(task, asyncio.Task) and not task.done()
        await asyncio.wait_for(api.received.wait(), 10)
        assert not task.done()
        api.hold.set()
        await asyncio.wait_for(task, 10)
    assert api.sent == [{"path": "/bot123:abc/sendMessage", "chat_id": "-100123", "disable_web_page_preview": True,
                         "text": "New order BSP-7K3Q9M: Custom PC, 1,234.00 EUR, Jane Doe"}]


async def test_telegram_down_is_logged_and_nothing_fails(caplog):
    with caplog.at_level(logging.ERROR, logger="bot.channels.staff_notice"):
        task = notify.announce_order(ORDER, Settings.from_env(telegram_env(f"http://127.0.0.1:{free_port()}/bot")))
        await asyncio.wait_for(task, 15)
    assert task.exception() is None
    [record] = [r for r in caplog.records if r.name == "bot.channels.staff_notice"]
    assert record.exc_info and "BSP-7K3Q9M" in record.getMessage()


def test_no_staff_chat_no_notice():
    assert notify.announce_order(ORDER, Settings.from_env({"TELEGRAM_BOT_TOKEN": "123:abc"})) is None
