"""What the action server's savings per turn keep: an expression parsed once evaluates as
before with every call's values."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import simpleeval

from bot.core import expressions
from bot.core.expressions import ChoiceRef, ExpressionError


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
