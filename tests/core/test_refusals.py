"""Why an answer is refused travels as data: each refusal the core words carries its
reason code (the codes the staff dashboard has always stored), and a reply that says the
bot did not understand is marked as such."""

from __future__ import annotations

import pytest

from bot.core.answers import STUCK_PERSON_AFTER, take_answers, unanswered
from bot.core.extract import find_values
from bot.core.refusals import REASON_WORDS, RefusalReason, reason_words
from bot.core.rules import violations
from bot.core.values import parse_answer


@pytest.mark.parametrize("product_id, option_id, answer, reason", [
    ("tailored_shirt", "fabric", "purple", "unknown_value"),
    ("tailored_shirt", "fabric", "silk", "out_of_stock"),
    ("custom_pc", "memory", "ddr5", "ambiguous"),
    ("tailored_shirt", "neck", "80", "out_of_range"),
    ("tailored_shirt", "neck", "about a medium", "out_of_range"),
    ("tailored_shirt", "neck", "39.5 40", "out_of_range"),
    ("tailored_shirt", "quantity", "2.5", "out_of_range"),
    ("tailored_shirt", "neck", "40 kg", "missing_unit"),
    ("conveyor", "length", "40", "missing_unit"),
    ("tailored_shirt", "monogram", "!!!!!!!!", "invalid_answer"),
    ("tailored_shirt", "fabric", "", "invalid_answer"),
])
def test_each_refused_reading_carries_its_reason(demo_catalog, product_id, option_id, answer, reason):
    parsed = parse_answer(demo_catalog.product(product_id).option(option_id), answer)
    assert not parsed.ok and parsed.error
    assert parsed.reason == reason
    assert parsed.refusal(option_id).reason == reason and parsed.refusal(option_id).detail == parsed.error


def test_a_broken_rule_is_refused_as_a_rule(demo_catalog):
    pc = demo_catalog.product("custom_pc")
    [broken] = violations(pc, {"cpu": "ryzen7_7800x3d", "memory": "ddr4_32gb"}, "memory")
    refusal = broken.refusal
    assert (refusal.option_id, refusal.reason, refusal.rule_id) == ("memory", "rule", "am5_takes_ddr5")
    assert refusal.detail == broken.message


def test_a_message_lists_every_refusal_with_its_reason(demo_catalog):
    shirt = demo_catalog.product("tailored_shirt")
    taken = take_answers(shirt, {}, find_values(shirt, "silk, slim fit"), None)
    assert taken.applied.selections == {"fit": "slim"}
    assert [(r.option_id, r.reason) for r in taken.refusals] == [("fabric", RefusalReason.OUT_OF_STOCK)]
    pc = demo_catalog.product("custom_pc")
    taken = take_answers(pc, {"cpu": "ryzen7_7800x3d"}, find_values(pc, "32gb ddr4"), pc.option("memory"))
    assert [(r.option_id, r.reason, r.rule_id) for r in taken.refusals] == [("memory", "rule", "am5_takes_ddr5")]
    assert taken.failures({"memory": 1, "cpu": 2}) == {"memory": 2, "cpu": 2}


def test_a_question_not_answered_at_all_is_not_understood(demo_catalog):
    pc = demo_catalog.product("custom_pc")
    cpu = pc.option("cpu")
    refused = unanswered(pc, {}, cpu, None, {})
    assert refused.text == f"Sorry, I didn't get that. {cpu.question}"
    assert refused.refusal.reason == RefusalReason.NOT_UNDERSTOOD and refused.not_understood
    assert refused.failures == {"cpu": 1} and refused.stuck is None
    blank = unanswered(pc, {}, cpu, parse_answer(cpu, " "), {})
    assert blank.text.startswith("I didn't catch that.") and blank.not_understood
    assert blank.refusal.reason == RefusalReason.INVALID_ANSWER  # as the dashboard has always counted it
    wrong = unanswered(pc, {}, cpu, parse_answer(cpu, "purple"), {"cpu": STUCK_PERSON_AFTER - 1})
    assert not wrong.not_understood and wrong.refusal.reason == RefusalReason.UNKNOWN_VALUE
    assert wrong.stuck == f"stuck at 'CPU' after {STUCK_PERSON_AFTER} tries" and "talk to a person" in wrong.text
    assert wrong.refusal.detail == wrong.text.split("\n")[0]


def test_the_dashboards_words_for_each_reason():
    assert {reason.value: words for reason, words in REASON_WORDS.items()} == {
        "not_understood": "nothing in the answer could be read",
        "unknown_value": "not one of the options",
        "ambiguous": "could be several options",
        "out_of_stock": "out of stock",
        "out_of_range": "outside the allowed range",
        "missing_unit": "a number without a clear unit",
        "invalid_answer": "could not be read as an answer",
        "rule": "does not fit the other choices (a product rule)",
        "hedged": "a value or figure not stated plainly (maybe, about, a range)",
        "other_subject": "about someone or something else (another person, an old one, per item)",
    }
    assert set(REASON_WORDS) == set(RefusalReason)
    assert reason_words("rule") == RefusalReason.RULE.words and reason_words("something_else") == "something_else"
