"""The value parser and the extractor never raise, whatever the text (issue 11 point 5): a
51-digit number, "1e308 mm", "NaN", "inf" or a huge decimal is refused as out of range
with the range; any other text is read or refused, never an exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.extract import find_values
from bot.core.refusals import RefusalReason
from bot.core.values import Parsed, parse_answer

HUGE = [
    "100000000000000000000000000000000000000000000000000 mm",
    "100000000000000000000000000000000000000000000000000",
    "9" * 400 + " in",
    "99999999999999999999999999999.5 cm",
    "1000000000000000 m",
]


@pytest.mark.parametrize("product_id, option_id", [
    ("conveyor", "length"), ("tailored_shirt", "neck"), ("conveyor", "load"), ("conveyor", "belt_width"),
    ("tailored_shirt", "quantity"), ("tailored_shirt", "sleeve_length"),
])
@pytest.mark.parametrize("text", HUGE)
def test_a_huge_number_is_out_of_range_with_the_range(demo_catalog, product_id, option_id, text):
    product = demo_catalog.product(product_id)
    option = product.option(option_id)
    parsed = parse_answer(option, text)
    assert not parsed.ok and parsed.reason == RefusalReason.OUT_OF_RANGE, parsed
    assert "out of range" in parsed.error and len(parsed.error) < 300
    found = find_values(product, text, option)
    assert found.values == {} and not found.problems
    # Said as out of range, or (a length for a load in kg/m, fitting no option) not understood.
    assert found.focus_error is None or "out of range" in found.focus_error.error


@pytest.mark.parametrize("product_id, option_id", [("conveyor", "length"), ("tailored_shirt", "neck")])
def test_the_issues_51_digit_number_mid_order(demo_catalog, product_id, option_id):
    product = demo_catalog.product(product_id)
    found = find_values(product, "100000000000000000000000000000000000000000000000000 mm", product.option(option_id))
    assert found.values == {} and found.focus_error.reason == RefusalReason.OUT_OF_RANGE
    assert found.focus_error.error.startswith("That number (51 digits) is out of range: ")


@pytest.mark.parametrize("text", ["NaN", "nan mm", "inf", "-inf cm", "1e308 mm", "1E308", "Infinity", "0x10 mm"])
def test_not_a_number_is_refused_as_one(demo_catalog, text):
    conveyor = demo_catalog.product("conveyor")
    length = conveyor.option("length")
    parsed = parse_answer(length, text)
    assert not parsed.ok and parsed.value is None and parsed.error
    assert not find_values(conveyor, text, length).values.get("length") or \
        find_values(conveyor, text, length).values["length"].value in (308, 10)  # "1e308": the digits after e


def test_a_tiny_decimal_is_rounded_not_raised(demo_catalog):
    length = demo_catalog.product("conveyor").option("length")
    assert parse_answer(length, "0." + "0" * 300 + "1 m").reason == RefusalReason.OUT_OF_RANGE
    assert parse_answer(length, "12." + "4" * 300 + " m").value == 12.44


# Text built from the pieces numbers are made of, so the parser's paths are reached often.
PIECES = st.sampled_from([
    "about", "at least", "or", "-", "x", "by", "between", "and", "½", "1/2", "/", ",", ".", "'", '"', "″",
    "in", "inches", "cm", "mm", "m", "ft", "feet", "kg", "kilos", "lb", "per", "a", "each", "metre", "/m",
    "one", "two", "forty", "half", "dozen", "the", "trays", "are", "is", "wide", "long", "deep", "of them",
    "linen", "poplin", "neck", "sleeve", "belt", "load", "ish", "~", "e308", "NaN", "inf", "0", "00", "\n",
])
NUMBERS = st.one_of(st.integers(-10**60, 10**60).map(str), st.decimals(allow_nan=True, allow_infinity=True).map(str),
                    st.floats().map(repr))
MESSAGES = st.one_of(
    st.text(max_size=80),
    st.lists(st.one_of(PIECES, NUMBERS), max_size=12).map(" ".join),
    st.lists(st.one_of(PIECES, NUMBERS), max_size=12).map("".join),
)


def _options(catalog):
    return [(product, option) for product in catalog.products for option in product.options]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=MESSAGES, pick=st.integers(min_value=0))
def test_parse_answer_never_raises(demo_catalog, text, pick):
    options = _options(demo_catalog)
    _, option = options[pick % len(options)]
    parsed = parse_answer(option, text)
    assert isinstance(parsed, Parsed)
    assert parsed.ok or parsed.error  # refused with what is wrong
    if parsed.ok and option.kind == "number" and parsed.value is not None:
        low, high = (min(option.allowed), max(option.allowed)) if option.allowed else option.bounds
        assert low <= parsed.value <= high


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=MESSAGES, pick=st.integers(min_value=0), with_focus=st.booleans())
def test_find_values_never_raises(demo_catalog, text, pick, with_focus):
    options = _options(demo_catalog)
    product, option = options[pick % len(options)]
    found = find_values(product, text, option if with_focus else None)
    for option_id, parsed in found.values.items():
        assert parsed.ok and option_id in product.option_ids
    for parsed in [*found.problems.values(), *([found.focus_error] if found.focus_error else [])]:
        assert not parsed.ok and parsed.error and parsed.reason is not None
    assert not set(found.split) & set(found.values)
