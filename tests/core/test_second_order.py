"""The rest of a split remembered and offered as the next order (bot/core/second_order.py)."""

from __future__ import annotations

from bot.core.second_order import Remembered, after_placing, next_order, remember

SHIRT = {"fabric": "linen_natural", "fit": "slim", "collar": "spread", "cuffs": "barrel", "neck": 39.5, "chest": 102,
         "waist": 86, "sleeve_length": 64, "shirt_length": 75, "monogram": None, "quantity": 1}
SPLIT = {"fabric": [(1, "linen_natural"), (2, "poplin_light_blue")]}


def test_the_rest_of_a_split_is_what_the_placed_order_did_not_take(demo_catalog):
    shirt = demo_catalog.product("tailored_shirt")
    remembered = remember(shirt, SPLIT)
    assert remembered == Remembered("tailored_shirt", "fabric", ((1, "linen_natural"), (2, "poplin_light_blue")))
    assert Remembered.from_slot(demo_catalog, remembered.as_slot()) == remembered  # through the slot and back
    left = after_placing(remembered, shirt, SHIRT)
    assert left is not None and left.parts == ((2, "poplin_light_blue"),)
    assert after_placing(left, shirt, {**SHIRT, "fabric": "poplin_light_blue"}) is None  # nothing left
    assert after_placing(remembered, demo_catalog.product("custom_pc"), {}) is None  # another product's order


def test_the_next_order_is_the_placed_one_with_the_parts_value_and_count(demo_catalog):
    shirt = demo_catalog.product("tailored_shirt")
    left = after_placing(remember(shirt, SPLIT), shirt, SHIRT)
    following = next_order(left, shirt, SHIRT)
    assert following.selections == {**SHIRT, "fabric": "poplin_light_blue", "quantity": 2}
    assert following.said == "Fabric: Poplin, light blue; Quantity: 2 shirts"
    assert following.left is None


def test_a_split_over_two_options_or_a_forged_slot_is_not_remembered(demo_catalog):
    shirt = demo_catalog.product("tailored_shirt")
    assert remember(shirt, {**SPLIT, "fit": [(1, "slim"), (2, "regular")]}) is None
    for forged in (None, "x", {"product": "tailored_shirt", "option": "fabric", "parts": [[0, "linen_natural"]]},
                   {"product": "tailored_shirt", "option": "fabric", "parts": [[1, "velvet"]]},
                   {"product": "spaceship", "option": "fabric", "parts": [[1, "linen_natural"]]}):
        assert Remembered.from_slot(demo_catalog, forged) is None
