"""What the store hands out is plain JSON-ready data, and what it takes in is checked:
money in whole cents (never a float), JSON columns of JSON types only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bot.store.serialize import iso, jsonable, money_text

@pytest.mark.parametrize("value, text", [(Decimal("12.3"), "12.30"), (7, "7.00"), ("0.10", "0.10"), ("-1.5", "-1.50")])
def test_money_text_is_whole_cents(value, text):
    assert money_text(value, "amount") == text


@pytest.mark.parametrize("value, error, words", [
    (10.5, TypeError, "not float"), (True, TypeError, "not bool"), (None, TypeError, "not NoneType"),
    ("ten", ValueError, "not a number"), ("NaN", ValueError, "not a finite number"),
    (Decimal("1.005"), ValueError, "not a whole number of cents"),
])
def test_money_text_refuses_what_is_not_cents(value, error, words):
    with pytest.raises(error, match=words):
        money_text(value, "amount")


def test_jsonable_copies_and_turns_decimals_into_strings():
    value = {"a": [Decimal("1.50"), {"b": (1, None, True)}], 2: "x"}
    copied = jsonable(value, "options")
    assert copied == {"a": ["1.50", {"b": [1, None, True]}], "2": "x"}
    copied["a"].append("changed")
    assert value["a"] == [Decimal("1.50"), {"b": (1, None, True)}]
    with pytest.raises(TypeError, match=r"options\.a\[1\]\.when holds a set"):
        jsonable({"a": [1, {"when": {1}}]}, "options")


def test_iso_is_utc():
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert iso(moment) == "2026-03-01T10:00:00+00:00"
