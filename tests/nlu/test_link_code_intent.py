"""A link code in a message makes it link_channel whatever the classifier said
(bot/nlu.py LinkCodeIntent); a message without one keeps the classifier's intent."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import LinkCodeIntent


def classified(text: str, intent: str) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": 0.8})
    message.set("intent_ranking", [{"name": intent, "confidence": 0.8}, {"name": "link_channel", "confidence": 0.1}])
    return message


@pytest.mark.parametrize("text, intent", [("bye 2855-ZMPM", "goodbye"), ("ok q7rt-m2xk", "affirm"),
                                          ("2855-ZMPM", "nlu_fallback"), ("continue HJ3K-9PQR", "resume_order")])
def test_a_code_makes_it_linking_with_the_classifier_ranking_below(text, intent):
    [message] = LinkCodeIntent().process([classified(text, intent)])
    assert message.get("intent") == {"name": "link_channel", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")] == ["link_channel", intent]


@pytest.mark.parametrize("text", ["bye", "my postcode is 10115", "the RTX-4070 please", "ABCD-EFG", "call 0176-12345678"])
def test_without_a_code_the_classifier_decides(text):
    [message] = LinkCodeIntent().process([classified(text, "goodbye")])
    assert message.get("intent")["name"] == "goodbye"
