"""Units both ways (issue 10 point 6a): a refusal states the range in the unit the customer
used, with the shop's beside it; a converted figure keeps what the customer typed
(Parsed.typed) and display_value shows it beside the shop's figure."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.core.extract import find_values
from bot.core.units import convert
from bot.core.values import display_value, number_range, parse_answer


@pytest.mark.parametrize("option_id, text, fragment", [
    ("sleeve_length", "34 in", "34 in is out of range: the sleeve length must be from 21.7 to 29.5 in (55 to 75 cm)."),
    ("neck", "20 inches", "20 in is out of range: the neck must be from 13 to 19.6 in (33 to 50 cm)."),
    ("neck", "600 mm", "600 mm is out of range: the neck must be from 330 to 500 mm (33 to 50 cm)."),
    ("chest", "200 cm", "200 cm is out of range: the chest must be from 80 to 150 cm."),  # the shop's unit: as it is
])
def test_an_out_of_range_figure_is_answered_in_the_customers_unit(demo_catalog, option_id, text, fragment):
    parsed = parse_answer(demo_catalog.product("tailored_shirt").option(option_id), text)
    assert not parsed.ok and parsed.error == fragment


def test_the_range_in_feet_for_a_conveyor(demo_catalog):
    length = demo_catalog.product("conveyor").option("length")
    assert parse_answer(length, "120 ft").error == \
        "120 ft is out of range: the length must be from 3.3 to 98.4 ft (1 to 30 m)."


@pytest.mark.parametrize("option_id", ["neck", "chest", "waist", "sleeve_length", "shirt_length"])
@pytest.mark.parametrize("unit", ["in", "mm"])
def test_both_ends_of_a_range_in_another_unit_are_accepted(demo_catalog, option_id, unit):
    """The range is rounded inwards: a customer who types either end gets it taken."""
    option = demo_catalog.product("tailored_shirt").option(option_id)
    words = number_range(option, unit).split()
    low, high = words[1], words[3]
    for end in (low, high):
        parsed = parse_answer(option, f"{end} {unit}")
        assert parsed.ok, (end, parsed.error)
        assert option.min <= Decimal(str(parsed.value)) <= option.max
    # ... and no wider than needed: a tenth beyond either end is outside.
    assert convert(Decimal(low) - Decimal("0.1"), unit, "cm") < option.min
    assert convert(Decimal(high) + Decimal("0.1"), unit, "cm") > option.max


def test_a_list_of_sizes_is_given_in_the_shops_unit_with_the_customers_figure_converted(demo_catalog):
    width = demo_catalog.product("conveyor").option("belt_width")
    assert parse_answer(width, "25 inches").error == \
        "25 in = 635 mm is out of range: the belt width must be one of 300, 400, 500, 600, 800, 1000 or 1200 mm."


@pytest.mark.parametrize("text, typed", [
    ("15.5 in", "15.5 in"),
    ("15½ inches", "15½ inches"),
    ("15 1/2\"", "15 1/2\""),
    ("  15.5 INCHES ", "15.5 INCHES"),
    ("fifteen and a half inches", "15.5 in"),  # words: the figure as read
    ("15.5", "15.5 in"),  # no unit, taken as inches: said so in the note and kept
    ("395 mm", "395 mm"),
])
def test_a_converted_figure_keeps_what_the_customer_typed(demo_catalog, text, typed):
    neck = demo_catalog.product("tailored_shirt").option("neck")
    parsed = parse_answer(neck, text)
    assert parsed.ok and parsed.typed == typed


def test_a_figure_in_the_shops_unit_has_no_typed_figure(demo_catalog):
    neck = demo_catalog.product("tailored_shirt").option("neck")
    assert parse_answer(neck, "39.5 cm").typed == "" and parse_answer(neck, "40").typed == ""


def test_find_values_keeps_the_typed_figure_of_each_option(demo_catalog):
    shirt = demo_catalog.product("tailored_shirt")
    found = find_values(shirt, "Neck 15½ inches, sleeve 25in, chest 102 cm")
    assert {o: p.typed for o, p in found.values.items()} == {"neck": "15½ inches", "sleeve_length": "25in", "chest": ""}
    conveyor = demo_catalog.product("conveyor")
    found = find_values(conveyor, "40 feet long, 1200 mm belt")
    assert found.values["length"].typed == "40 feet" and found.values["belt_width"].typed == ""


def test_display_value_shows_the_customers_figure_beside_the_shops(demo_catalog):
    shirt = demo_catalog.product("tailored_shirt")
    neck = shirt.option("neck")
    assert display_value(neck, 39.4, "15.5 in") == "39.4 cm (15.5 in)"
    assert display_value(neck, 39.4, "15½ inches") == "39.4 cm (15½ inches)"
    assert display_value(neck, 39.4) == "39.4 cm" and display_value(neck, 39.4, "") == "39.4 cm"
    assert display_value(shirt.option("quantity"), 2, None) == "2 shirts"
    assert display_value(shirt.option("fabric"), "linen_natural", "whatever") == "Linen, natural"

