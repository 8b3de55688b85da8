"""The rest of a split remembered and offered as the next order (bot/core/second_order.py)."""

from __future__ import annotations

from bot.core.second_order import Remembered, after_placing, next_order, remember

SHIRT = {"fabric": "linen_natural", "fit": "slim", "collar": "spread", "cuffs": "barrel", "neck": 39.5, "chest": 102,
         "waist": 86, "sleeve_length": 64, "shirt_length": 75, "monogram": None, "quantity": 1}
SPLIT = {"fabric": [(1, "linen_natural"), (2, "poplin_light_blue")]}


def test_the_rest_of_a_split_is_what_the_placed_order_did_not_take(demo_catalog):
    shirt = demo_catalog.product("tailored_shirt")
    remembered = remember(shirt, SPLIT)
    assert remembered == Remembered("tailored_shirt", ((1, {"fabric": "linen_natural"}), (2, {"fabric": "poplin_light_blue"})))
    assert Remembered.from_slot(demo_catalog, remembered.as_slot()) == remembered  # through the slot and back
    left = after_placing(remembered, shirt, SHIRT)
    assert left is not None and left.parts == ((2, {"fabric": "poplin_light_blue"}),)
    assert after_placing(left, shirt, {**SHIRT, "fabric": "poplin_light_blue"}) is None  # nothing left
    assert after_placing(remembered, demo_catalog.product("custom_pc"), {}) is None  # another product's order


def test_the_next_order_is_the_placed_one_with_the_parts_value_and_count(demo_catalog):
    shirt = demo_catalog.product("tailored_shirt")
    left = after_placing(remember(shirt, SPLIT), shirt, SHIRT)
    following = next_order(left, shirt, SHIRT)
    assert following.selections == {**SHIRT, "fabric": "poplin_light_blue", "quantity": 2}
    assert following.said == "Fabric: Poplin, light blue; Quantity: 2 shirts"
    assert following.left is None


def test_a_split_over_two_options_remembers_both_part_by_part(demo_catalog):
    # "one linen with a spread collar and the other two in poplin with button down collars"
    shirt = demo_catalog.product("tailored_shirt")
    remembered = remember(shirt, {**SPLIT, "collar": [(1, "spread"), (2, "button_down")]})
    assert remembered is not None and remembered.parts == (
        (1, {"fabric": "linen_natural", "collar": "spread"}), (2, {"fabric": "poplin_light_blue", "collar": "button_down"}))
    assert Remembered.from_slot(demo_catalog, remembered.as_slot()) == remembered
    left = after_placing(remembered, shirt, SHIRT)  # the linen one with the spread collar was placed
    assert left is not None and left.parts == ((2, {"fabric": "poplin_light_blue", "collar": "button_down"}),)
    following = next_order(left, shirt, SHIRT)
    assert following.selections == {**SHIRT, "fabric": "poplin_light_blue", "collar": "button_down", "quantity": 2}
    assert following.said == "Fabric: Poplin, light blue; Collar: Button-down; Quantity: 2 shirts"
    # placed with linen but another collar: that order took neither part, both stay
    assert after_placing(remembered, shirt, {**SHIRT, "collar": "cutaway"}) == remembered


def test_options_not_said_part_by_part_are_left_out(demo_catalog):
    shirt = demo_catalog.product("tailored_shirt")
    remembered = remember(shirt, {**SPLIT, "fit": [(2, "regular"), (1, "slim")]})
    assert remembered is not None and remembered.option_ids == ("fabric",)


def test_a_slot_of_one_option_from_before_reads_the_same(demo_catalog):
    old = {"product": "tailored_shirt", "option": "fabric", "parts": [[1, "linen_natural"], [2, "poplin_light_blue"]]}
    assert Remembered.from_slot(demo_catalog, old) == remember(demo_catalog.product("tailored_shirt"), SPLIT)


def test_a_forged_slot_is_not_remembered(demo_catalog):
    for forged in (None, "x", {"product": "tailored_shirt", "option": "fabric", "parts": [[0, "linen_natural"]]},
                   {"product": "tailored_shirt", "option": "fabric", "parts": [[1, "velvet"]]},
                   {"product": "tailored_shirt", "parts": [[1, {"fabric": "velvet"}]]},
                   {"product": "tailored_shirt", "parts": [[1, {"wings": "linen_natural"}]]},
                   {"product": "spaceship", "option": "fabric", "parts": [[1, "linen_natural"]]}):
        assert Remembered.from_slot(demo_catalog, forged) is None
