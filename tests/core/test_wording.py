"""Wording the customer reads: amounts in the right number, lists that cannot be misread,
statuses in people's words, and the summary's price lines adding up."""

from __future__ import annotations

import pytest

from bot.core.catalog import load_catalog
from bot.core.phrases import amount, name_list, singular, unit_word
from bot.core.values import describe_valid, display_value, parse_answer
from bot.local import ROOT


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(ROOT / "catalog.yml")


@pytest.mark.parametrize("number, unit, said", [
    (1, "shirts", "1 shirt"), (2, "shirts", "2 shirts"), (1, "shirt", "1 shirt"), (3, "shirt", "3 shirts"),
    (1, "pieces", "1 piece"), (1, "boxes", "1 box"), (1, "cm", "1 cm"), (39.5, "cm", "39.5 cm"),
    (1, "m", "1 m"), (1, "kg/m", "1 kg/m"), (2, "W", "2 W"), (5, "", "5"),
])
def test_an_amount_has_its_unit_in_the_right_number(number, unit, said):
    assert amount(number, unit) == said


def test_one_of_a_counting_unit_is_singular():
    assert singular("shirts") == "shirt" and unit_word("shirts", 1) == "shirt" and unit_word("shirts", 0) == "shirts"


def test_quantity_one_is_one_shirt(catalog):
    quantity = catalog.product("tailored_shirt").option("quantity")
    assert display_value(quantity, 1) == "1 shirt"
    assert display_value(quantity, 2) == "2 shirts"


@pytest.mark.parametrize("names, conjunction, said", [
    (["A"], "or", "A"),
    (["A", "B"], "or", "A or B"),
    (["A", "B", "C"], "and", "A, B and C"),
    (["A", "B", "C"], "", "A, B, C"),
    (["Oxford cotton, white", "Poplin, light blue", "Linen, natural"], "or",
     "Oxford cotton, white; Poplin, light blue; or Linen, natural"),
    (["Oxford cotton, white", "Linen, natural"], "and", "Oxford cotton, white; and Linen, natural"),
    ([], "and", ""),
])
def test_a_list_of_names_cannot_be_misread(names, conjunction, said):
    assert name_list(names, conjunction) == said


def test_the_fabric_list_parts_names_that_have_commas(catalog):
    fabric = catalog.product("tailored_shirt").option("fabric")
    text = describe_valid(fabric)
    assert "Oxford cotton, white; Poplin, light blue;" in text
    assert "white, Poplin" not in text and "blue, Linen" not in text
    refused = parse_answer(fabric, "silk")
    assert "white, Poplin" not in refused.error
