"""What the order form records for the staff dashboard: refused answers (with a reason) and
the question each unfinished order is at; recording errors are logged, never shown."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

import pytest
from sqlalchemy import select

from actions import analytics
from actions.analytics import AnswerRejection, OrderDraft
from actions.order_actions import (
    ActionAskSpecsComplete,
    ActionStartOrder,
    ValidateOrderForm,
)
from tests.staff_support import staff_environment
from tests.test_actions import make_tracker, run, slot_events

SENDER = "web:analytics-test"
DRAFT = "d" * 32


@pytest.fixture
def store(monkeypatch, tmp_path):
    return staff_environment(monkeypatch, tmp_path)


def rejections(store) -> List[Dict[str, Any]]:
    with store.sessions.begin() as session:
        rows = session.scalars(select(AnswerRejection).order_by(AnswerRejection.id)).all()
        return [{key: getattr(row, key) for key in ("conversation_id", "draft_id", "product_id", "option_id",
                                                     "answer", "reason", "detail", "rule_id")} for row in rows]


def drafts(store) -> List[Dict[str, Any]]:
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
    _, messages = await run(ValidateOrderForm(), form_tracker("16GB DDR4", {"cpu": "ryzen7_7800x3d"}))
    assert "DDR5" in messages[0]["text"]
    [row] = rejections(store)
    assert row["conversation_id"] == SENDER and row["draft_id"] == DRAFT and row["product_id"] == "custom_pc"
    assert row["option_id"] == "memory" and row["answer"] == "16GB DDR4"
    assert row["reason"] == "rule" and row["rule_id"] == "am5_takes_ddr5" and "DDR5" in row["detail"]


async def test_an_answer_not_understood_is_recorded(store):
    await run(ValidateOrderForm(), form_tracker("purple elephants dancing", {}))
    [row] = rejections(store)
    assert row["option_id"] == "cpu" and row["answer"] == "purple elephants dancing"
    assert row["reason"] in analytics.REASONS and row["reason"] != "rule"
    assert row["detail"]


async def test_a_long_answer_is_cut_to_200_characters(store):
    await run(ValidateOrderForm(), form_tracker("zz " * 300, {}))
    assert len(rejections(store)[0]["answer"]) == analytics.ANSWER_MAX_CHARS


async def test_a_refusal_in_the_first_message_is_recorded_with_the_new_draft(store):
    events, _ = await run(ActionStartOrder(), make_tracker(
        "a gaming PC with a 7800X3D and 16GB DDR4", intent="order_product", sender=SENDER))
    [row] = rejections(store)
    assert row["draft_id"] == slot_events(events)["draft_id"] and row["reason"] == "rule"


@pytest.mark.parametrize("error, reason", [
    ("", "not_understood"),
    ('Sorry, "silk" is not one of our fabric options. Choose one of: ...', "unknown_value"),
    ("Sorry, Irish linen is out of stock at the moment. In stock: cotton.", "out_of_stock"),
    ("Did you mean 16 GB DDR5 or 16 GB DDR4?", "ambiguous"),
    ("80 cm is out of range: the neck must be 35 to 50 cm.", "out_of_range"),
    ("Is that 40 feet or 40 metres? Please add the unit.", "missing_unit"),
    ("Something new the core says", "invalid_answer"),
])
def test_reason_codes(error, reason):
    assert analytics.rejection_reason(error) == reason


async def test_each_question_asked_updates_the_draft(store):
    await run(ActionAskSpecsComplete(), form_tracker("", {}))
    assert drafts(store) == [{"draft_id": DRAFT, "conversation_id": SENDER, "product_id": "custom_pc",
                              "last_question": "cpu", "answered": 0, "outcome": "open"}]
    await run(ActionAskSpecsComplete(), form_tracker("", {"cpu": "ryzen7_7800x3d"}))
    [draft] = drafts(store)
    assert (draft["last_question"], draft["answered"]) == ("memory", 1)


async def test_the_summary_is_recorded_as_the_last_question(store):
    selections = {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb",
                  "graphics": "rtx_4070_super", "case": "mid_tower", "os": "windows_11_home"}
    await run(ActionAskSpecsComplete(), form_tracker("", selections))
    [draft] = drafts(store)
    assert (draft["last_question"], draft["answered"]) == (analytics.SUMMARY_QUESTION, 6)


async def test_a_confirmed_cancel_marks_the_draft_cancelled(store):
    await run(ActionAskSpecsComplete(), form_tracker("", {}))
    await run(ValidateOrderForm(), form_tracker("yes", {}, intent="affirm", pending="cancel"))
    assert drafts(store)[0]["outcome"] == analytics.OUTCOME_CANCELLED


async def test_a_recording_error_is_logged_and_the_conversation_goes_on(store, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(type(store), "sessions", property(broken))
    with caplog.at_level(logging.ERROR, logger="actions.analytics"):
        events, messages = await run(ValidateOrderForm(), form_tracker("16GB DDR4", {"cpu": "ryzen7_7800x3d"}))
        _, asked = await run(ActionAskSpecsComplete(), form_tracker("", {}))
    assert "DDR5" in messages[0]["text"] and slot_events(events)["failures"] == {"memory": 1}
    assert asked[0]["text"].startswith("(1/6)")
    logged = [record for record in caplog.records if record.name == "actions.analytics"]
    assert len(logged) == 2 and all(record.exc_info for record in logged)
    assert "database is down" not in messages[0]["text"] + asked[0]["text"]
