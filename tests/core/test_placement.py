"""The placement's re-check (bot/core/placement.py): a valid order of each demo product
passes, and every option of every product, given a value it could never have been given
through the order form (generated from the option's kind and the catalog's data, not
written per product), is refused with its reason; rules, derived parts, quantity, a
negative total and the contact details too."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.core.catalog import Option, load_catalog
from bot.core.placement import PlacementReason, check_contact, check_order, check_value
from bot.local import ROOT

CATALOG = load_catalog(ROOT / "catalog.yml")
VALID = {
    "custom_pc": {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb", "graphics": "rtx_4070_super",
                  "case": "mid_tower", "os": "windows_11_home"},
    "tailored_shirt": {"fabric": "oxford_white", "fit": "slim", "collar": "spread", "cuffs": "barrel", "neck": 39.5,
                       "chest": 100, "waist": 90, "sleeve_length": 64, "shirt_length": 76, "monogram": "JFK",
                       "quantity": 2},
    "conveyor": {"length": 12, "belt_width": 600, "load": 40, "belt": "pvc", "environment": "standard",
                 "power": "230v_single_phase"},
}


def impossible_values(option: Option):
    """(value, reason) pairs the order form never stores for this option."""
    yield [option.id], PlacementReason.WRONG_KIND
    yield {"value": 1}, PlacementReason.WRONG_KIND
    if not option.optional:
        yield None, PlacementReason.MISSING
    if option.kind == "choice":
        yield "no_such_value", PlacementReason.UNKNOWN_VALUE
        yield 1, PlacementReason.WRONG_KIND
        for value in option.values:
            if not value.in_stock:
                yield value.id, PlacementReason.OUT_OF_STOCK
    elif option.kind == "number":
        yield True, PlacementReason.WRONG_KIND
        yield "12", PlacementReason.WRONG_KIND
        yield float("nan"), PlacementReason.WRONG_KIND
        yield float("inf"), PlacementReason.WRONG_KIND
        if option.allowed:
            yield int(max(option.allowed)) + 1, PlacementReason.NOT_ALLOWED
            yield -int(min(option.allowed)), PlacementReason.NOT_ALLOWED
        else:
            low, high = option.bounds
            yield float(high + 1), PlacementReason.OUT_OF_RANGE
            yield float(low - 1), PlacementReason.OUT_OF_RANGE
            yield -abs(float(high)), PlacementReason.OUT_OF_RANGE
            yield float(low) + float(Decimal(1).scaleb(-option.decimals - 1)), PlacementReason.TOO_MANY_DECIMALS
    elif option.kind == "text":
        yield "x" * 201, PlacementReason.PATTERN
        yield "A\x1b[31m", PlacementReason.PATTERN
        yield "A\ud800", PlacementReason.PATTERN
        yield "", PlacementReason.WRONG_KIND
    else:
        yield "yes", PlacementReason.WRONG_KIND
        yield 1, PlacementReason.WRONG_KIND


CASES = [(product.id, option.id, value, reason) for product in CATALOG.products for option in product.options
         for value, reason in impossible_values(option)]


def test_a_valid_order_of_each_product_passes():
    assert set(VALID) == {product.id for product in CATALOG.products}
    for product in CATALOG.products:
        assert check_order(product, VALID[product.id]) == [], product.id


@pytest.mark.parametrize("product_id, option_id, value, reason", CASES,
                         ids=[f"{p}-{o}-{r.value}-{i}" for i, (p, o, _, r) in enumerate(CASES)])
def test_every_option_refuses_what_the_order_form_never_stores(product_id, option_id, value, reason):
    product = CATALOG.product(product_id)
    problems = check_order(product, {**VALID[product_id], option_id: value})
    assert [(p.reason, p.option_id) for p in problems] == [(reason, option_id)], problems
    assert problems[0].message.startswith(product.option(option_id).name)


def test_unknown_options_missing_options_and_no_product():
    product = CATALOG.product("custom_pc")
    unknown = check_order(product, {**VALID["custom_pc"], "turbo": True})
    assert [(p.reason, p.option_id) for p in unknown] == [(PlacementReason.UNKNOWN_OPTION, "turbo")]
    missing = check_order(product, {})
    assert {p.option_id for p in missing} == {o.id for o in product.options}
    assert {p.reason for p in missing} == {PlacementReason.MISSING}
    assert check_order(None, {})[0].reason == PlacementReason.NO_PRODUCT
    assert check_order(product, ["cpu"])[0].reason == PlacementReason.WRONG_KIND


def test_rules_and_derived_parts_are_checked_again():
    pc = CATALOG.product("custom_pc")
    broken = check_order(pc, {**VALID["custom_pc"], "memory": "ddr4_32gb"})
    assert [p.reason for p in broken] == [PlacementReason.RULE]
    assert "DDR5" in broken[0].message


def test_quantity_below_one_and_a_negative_total_are_refused_whatever_the_catalog_allows():
    shirt = CATALOG.product("tailored_shirt")

    def changed(option_id, **fields):
        return shirt.copy(update={"options": [o.copy(update=fields) if o.id == option_id else o
                                              for o in shirt.options]})

    loose = changed("quantity", min=Decimal(-5))  # a catalog that forgot its minimum
    problems = check_order(loose, {**VALID["tailored_shirt"], "quantity": -3})
    assert [p.reason for p in problems] == [PlacementReason.QUANTITY]
    assert check_order(loose, {**VALID["tailored_shirt"], "quantity": 0})[0].reason == PlacementReason.QUANTITY
    fabric = shirt.option("fabric")
    discount = changed("fabric", values=[v.copy(update={"price": Decimal(-500)}) for v in fabric.values])
    assert [p.reason for p in check_order(discount, VALID["tailored_shirt"])] == [PlacementReason.NEGATIVE_TOTAL]


def test_an_optional_option_may_be_none_and_a_choice_value_must_exist():
    shirt = CATALOG.product("tailored_shirt")
    assert check_order(shirt, {**VALID["tailored_shirt"], "monogram": None}) == []
    assert check_value(shirt.option("fabric"), "silk_ivory").reason == PlacementReason.OUT_OF_STOCK


@pytest.mark.parametrize("name, email, address, bad", [
    (None, "a@example.com", "Street 1, Town", {"customer_name"}),
    ("  ", "a@example.com", "Street 1, Town", {"customer_name"}),
    ("Anna", 42, "Street 1, Town", {"customer_email"}),
    ("Anna \ud800", "a@example.com", "Street\x00 1, Town", {"customer_name", "customer_address"}),
    ("Anna", "a@example.com", "x" * 400, {"customer_address"}),
    ("Anna Schmidt", "a@example.com", "Hauptstrasse 12, 10115 Berlin", set()),
])
def test_the_contact_details_must_be_there_and_storable(name, email, address, bad):
    assert {p.option_id for p in check_contact(name, email, address)} == bad


def test_too_many_decimals_is_said_in_the_options_terms():
    [fraction] = check_order(CATALOG.product("tailored_shirt"), {**VALID["tailored_shirt"], "quantity": 2.5})
    assert (fraction.reason, fraction.message) == (PlacementReason.TOO_MANY_DECIMALS, "Quantity: 2.5 is not a whole number")
    [places] = check_order(CATALOG.product("conveyor"), {**VALID["conveyor"], "length": 12.3456})
    assert places.message == "Length: 12.3456 has more than 2 decimals"
