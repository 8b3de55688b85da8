"""A change told part by part: the option changed with its own price difference, each
answer it cleared, each derived part it moved, and the new total; the parts add up to the
difference in the total, over many random changes in the demo catalog and in a catalog
built here (pricing lines, a derived part, a quantity)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Dict

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.answers import take_answers
from bot.core.catalog import Option, Product, load_catalog
from bot.core.changes import apply_answers
from bot.core.extract import Extraction
from bot.core.pricing import price_change, price_so_far, quote
from bot.core.selections import next_missing_option
from bot.core.values import Parsed
from bot.core.wording import answers_reply
from tests.support.trackers import FULL_PC

D = Decimal

# A product no code has seen: priced by formula lines that read numbers, a choice's
# attribute and a derived part, multiplied by a quantity.
SHED = {
    "id": "shed", "name": "Garden shed", "description": "A timber shed.", "synonyms": ["shed"],
    "lead_time_days": 20, "currency": "EUR", "base_price": 150, "base_price_label": "Delivery",
    "options": [
        {"id": "width", "name": "Width", "kind": "number", "unit": "m", "min": 1.5, "max": 4, "decimals": 1},
        {"id": "depth", "name": "Depth", "kind": "number", "unit": "m", "min": 1, "max": 3, "decimals": 2},
        {"id": "roof", "name": "Roof", "kind": "choice", "values": [
            {"id": "felt", "name": "Felt", "price": 0, "attributes": {"per_m2": 12.5, "kg_m2": 5}},
            {"id": "shingles", "name": "Cedar shingles", "price": 80, "attributes": {"per_m2": 41.25, "kg_m2": 15}},
            {"id": "metal", "name": "Metal sheet", "price": 35, "attributes": {"per_m2": 22, "kg_m2": 9}}]},
        {"id": "window", "name": "Window", "kind": "yesno", "price": 95},
        {"id": "sheds", "name": "Number of sheds", "kind": "number", "unit": "sheds", "min": 1, "max": 5, "decimals": 0},
    ],
    "rules": [{"id": "shingles_need_width", "kind": "requires", "if": 'roof == "shingles"', "then": "width >= 2",
               "message": "Cedar shingles need a shed at least 2 m wide."}],
    "derived": [{"id": "base", "name": "Foundation", "needed": "width * depth * roof.kg_m2", "unit": "kg", "by": "kg",
                 "values": [{"id": "slabs", "name": "Paving slabs", "price": 120, "attributes": {"kg": 60}},
                            {"id": "frame", "name": "Timber frame", "price": 260, "attributes": {"kg": 120}},
                            {"id": "concrete", "name": "Concrete base", "price": 540, "attributes": {"kg": 400}}],
                 "when_none_fits": "quote_request", "none_fits_message": "This shed needs a survey: we'll quote it."}],
    "pricing": {"multiply_by": "sheds", "lines": [
        {"label": "Walls: {width} m x {depth} m", "amount": "(width + depth) * 2 * 63.3"},
        {"label": "{roof.name} roof", "amount": "width * depth * roof.per_m2 + roof.price"},
        {"label": "Window", "amount": "95 if window else 0"},
        {"label": "{base.name}", "amount": "base.price"}]},
}
# Priced per option (no formula lines), a derived part and a quantity.
LAMP = {
    "id": "lamp", "name": "Desk lamp", "description": "A lamp.", "synonyms": ["lamp"], "lead_time_days": 3,
    "currency": "EUR", "base_price": 0,
    "options": [
        {"id": "shade", "name": "Shade", "kind": "choice", "values": [
            {"id": "paper", "name": "Paper", "price": 12.4, "attributes": {"watts": 25}},
            {"id": "brass", "name": "Brass", "price": 48.15, "attributes": {"watts": 60}}]},
        {"id": "bulbs", "name": "Bulbs", "kind": "choice", "values": [
            {"id": "one", "name": "One bulb", "price": 0, "attributes": {"count": 1}},
            {"id": "two", "name": "Two bulbs", "price": 7.35, "attributes": {"count": 2}}]},
        {"id": "engraving", "name": "Engraving", "kind": "text", "optional": True, "price": 6.5, "example": "ANNA"},
        {"id": "lamps", "name": "Quantity", "kind": "number", "unit": "lamps", "min": 1, "max": 9, "decimals": 0},
    ],
    "derived": [{"id": "driver", "name": "Driver", "needed": "shade.watts * bulbs.count", "unit": "W", "by": "watts",
                 "values": [{"id": "d30", "name": "30 W driver", "price": 9.99, "attributes": {"watts": 30}},
                            {"id": "d120", "name": "120 W driver", "price": 21.49, "attributes": {"watts": 120}}],
                 "none_fits_message": "No driver fits."}],
    "pricing": {"multiply_by": "lamps"},
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("catalog") / "catalog.yml"
    raw = {"shop": {"name": "Test shop", "currency": "EUR", "delivery": "We deliver."}, "products": [SHED, LAMP]}
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return load_catalog(path)


def reply(product: Product, before: Dict[str, Any], answers: Dict[str, Any]) -> str:
    found = Extraction({key: Parsed(value=value, ok=True) for key, value in answers.items()}, None, {})
    return take_answers(product, before, found, None).reply


# --- the example and the parts a change can move ---------------------------------


def test_a_cpu_change_is_its_own_price_and_the_memory_it_cleared_is_its_own(demo_catalog):
    pc = demo_catalog.product("custom_pc")
    before = dict(FULL_PC, cpu="core_i5_14400f", memory="ddr4_16gb")
    # before: 99 + 189 + 45 + 129 + 599 + 99 + 119 + 550 W (150 + 220 + 150 W) 69 = 1348
    # after:  99 + 199 + 129 + 599 + 99 + 119 + 550 W (65 + 220 + 150 W) 69 = 1313
    lines = reply(pc, before, {"cpu": "ryzen5_7600"}).split("\n")
    assert lines == [
        "CPU: Intel Core i5-14400F -> AMD Ryzen 5 7600, +10 EUR",
        "Memory 16 GB DDR4 (-45 EUR) no longer fits the AMD Ryzen 5 7600, so I'll ask for it again: "
        "AMD Ryzen processors (socket AM5) take DDR5 memory only.",
        "Total so far: €1,313.00",
    ]


def test_a_derived_part_the_change_moves_has_its_line_and_its_reason(demo_catalog):
    conveyor = demo_catalog.product("conveyor")
    before = {"length": 12.5, "belt_width": 600, "load": 40, "belt": "rubber", "environment": "standard",
              "power": "400v_three_phase"}
    # 12.5 x 40 x 0.002 = 1.0 kW -> 1.5 kW (600); 20 m: 1.6 kW -> 2.2 kW (900)
    # frame 12.5 x 540 = 6750 -> 20 x 540 = 10800; rubber 12.5 x 40 = 500 -> 800: +4350 for the length
    lines = reply(conveyor, before, {"length": 20}).split("\n")
    assert lines == ["Length: 12.5 m -> 20 m, +4,350 EUR",
                     "Motor: 1.5 kW motor -> 2.2 kW motor, +300 EUR, because the length is now 20 m.",
                     "Total now: €12,500.00"]


def test_an_answer_cleared_with_a_derived_part_gone_says_when_it_comes_back(demo_catalog):
    pc = demo_catalog.product("custom_pc")
    # the 4080 Super (310 mm) does not fit the compact case (280 mm): the case is cleared,
    # the power supply stays (it follows from the CPU and the card)
    before = dict(FULL_PC, case="compact")
    text = reply(pc, before, {"graphics": "rtx_4080_super"})
    assert "Graphics: GeForce RTX 4070 Super -> GeForce RTX 4080 Super, +400 EUR" in text
    assert "Case Compact (-89 EUR) no longer fits the GeForce RTX 4080 Super, so I'll ask for it again" in text
    # 120 + 320 + 150 = 590 W: the 750 W supply (99) instead of the 550 W (69)
    assert "Power supply: 550 W power supply -> 750 W power supply, +30 EUR, because the graphics is now" in text
    assert reply(pc, FULL_PC, {}) == ""  # nothing changed: nothing said


def test_a_quantity_change_and_a_value_change_in_one_message(demo_catalog):
    shirt = demo_catalog.product("tailored_shirt")
    before = {"fabric": "oxford_white", "fit": "slim", "collar": "spread", "cuffs": "french", "neck": 39,
              "chest": 100, "waist": 90, "sleeve_length": 64, "shirt_length": 75, "monogram": None, "quantity": 3}
    # 3 x (59 + 10) = 207; linen for 3 shirts: 3 x 30 = +90; then 2 shirts of 99: -99; 198
    assert reply(shirt, before, {"fabric": "linen_natural", "quantity": 2}).split("\n") == [
        "Fabric: Oxford cotton, white -> Linen, natural, +90 EUR for 3 shirts",
        "Quantity: 3 shirts -> 2 shirts, -99 EUR",
        "Total now: €198.00"]


def test_a_change_that_leaves_no_instant_price_says_so(demo_catalog):
    conveyor = demo_catalog.product("conveyor")
    before = {"length": 25, "belt_width": 600, "load": 40, "belt": "rubber", "environment": "standard",
              "power": "400v_three_phase"}
    text = reply(conveyor, before, {"load": 120})  # 25 x 120 x 0.002 = 6 kW: above the 4 kW motor
    assert "Motor: 2.2 kW motor -> above motor range (needs 6 kW)" in text
    assert "our engineers will review it" in text and "no instant price now" in text
    assert "EUR" not in text  # no figures that could not add up


def test_a_new_answer_beside_a_change_gets_its_price_too(demo_catalog):
    pc = demo_catalog.product("custom_pc")
    before = {"cpu": "core_i5_14400f", "memory": "ddr4_16gb"}
    text = reply(pc, before, {"cpu": "ryzen7_7800x3d", "storage": "ssd_1tb"})
    assert "Got it: Storage: 1 TB NVMe SSD (+69 EUR)." in text
    assert "CPU: Intel Core i5-14400F -> AMD Ryzen 7 7800X3D, +210 EUR" in text
    assert "Memory 16 GB DDR4 (-45 EUR)" in text
    assert "Total so far: €567.00" in text  # 99 + 399 + 69


# --- the parts add up, over many random changes -------------------------------------------


def option_value(option: Option) -> st.SearchStrategy:
    if option.kind == "choice":
        return st.sampled_from([value.id for value in option.values])
    if option.kind == "yesno":
        return st.booleans()
    if option.kind == "text":
        return st.sampled_from([option.example or "A", None] if option.optional else [option.example or "A"])
    if option.allowed:
        return st.sampled_from([float(value) for value in option.allowed])
    low, high = option.bounds
    step = D(1).scaleb(-option.decimals)
    steps = int((high - low) / step)
    return st.integers(0, steps).map(lambda n: float(low + n * step))


@st.composite
def selections(draw, product: Product, complete: bool = False) -> Dict[str, Any]:
    chosen = {}
    for option in product.options:
        if complete or draw(st.booleans()):
            chosen[option.id] = draw(option_value(option))
    return chosen


def product_strategy(catalog) -> st.SearchStrategy:
    return st.sampled_from(catalog.products)


def check_adds_up(product: Product, before: Dict[str, Any], after: Dict[str, Any]) -> None:
    costs = price_change(product, before, after)
    assert costs.before == price_so_far(product, before) and costs.after == price_so_far(product, after)
    if next_missing_option(product, after) is None and costs.after is not None:
        assert costs.after == quote(product, after).total  # the total said is the summary's
    if not costs.priced:
        return
    parts = sum(costs.options.values(), D(0)) + sum((part.amount for part in costs.derived), D(0))
    assert parts == costs.after - costs.before
    for amount in [*costs.options.values(), *(part.amount for part in costs.derived)]:
        assert amount == amount.quantize(D("0.01"))  # whole cents: what is shown is what adds up
    if not product.pricing.lines and not product.pricing.multiply_by:
        # priced per option: an option's part is its own price difference
        for option in product.options:
            if option.kind == "choice" and option.id in costs.options:
                old, new = before.get(option.id), after.get(option.id)
                cost = (option.value(new).price if new is not None else 0) - (option.value(old).price if old is not None else 0)
                assert costs.options[option.id] == cost


def said_figures_add_up(product: Product, before: Dict[str, Any], answers: Dict[str, Any]) -> None:
    """What the customer reads adds up: every signed figure in the reply, from the total before."""
    text = reply(product, before, answers)
    applied = apply_answers(product, before, answers)
    total = re.search(r"Total (?:now|so far): \D*([\d,.]+)", text)
    old, new = price_so_far(product, before), price_so_far(product, applied.selections)
    if total is None or old is None:
        return
    assert D(total.group(1).replace(",", "")) == new
    figures = [D(sign + number.replace(",", "")) for sign, number in re.findall(r"([+-])([\d,.]*\d) EUR", text)]
    assert sum(figures, D(0)) == new - old, text


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.data())
def test_the_parts_add_up_in_the_demo_catalog(demo_catalog, data):
    product = data.draw(product_strategy(demo_catalog))
    check_adds_up(product, data.draw(selections(product)), data.draw(selections(product)))


@PROPERTY
@given(st.data())
def test_the_parts_add_up_in_a_catalog_built_here(built, data):
    product = data.draw(product_strategy(built))
    check_adds_up(product, data.draw(selections(product)), data.draw(selections(product)))


@PROPERTY
@given(st.data())
def test_what_the_customer_reads_adds_up_after_a_change(demo_catalog, built, data):
    catalog = data.draw(st.sampled_from([demo_catalog, built]))
    product = data.draw(product_strategy(catalog))
    before = data.draw(selections(product, complete=data.draw(st.booleans())))
    answers = data.draw(selections(product))
    said_figures_add_up(product, before, answers)
    check_adds_up(product, before, apply_answers(product, before, answers).selections)


def test_a_change_with_nothing_to_price_says_only_the_change(built):
    lamp = built.product("lamp")
    before = {"shade": "paper", "bulbs": "one", "engraving": None, "lamps": 2}
    text = answers_reply(lamp, before, Extraction({}, None, {}), apply_answers(lamp, before, {}), None)
    assert text == ""
    # 2 x (48.15 - 12.40) = +71.50; the driver: 60 W -> 120 W driver, 2 x (21.49 - 9.99) = +23.00
    lines = reply(lamp, before, {"shade": "brass"}).split("\n")
    assert lines == ["Shade: Paper -> Brass, +71.50 EUR for 2 lamps",
                     "Driver: 30 W driver -> 120 W driver, +23 EUR for 2 lamps, because the shade is now Brass.",
                     "Total now: €139.28"]  # 2 x (48.15 + 21.49)


def test_a_derived_part_nothing_fits_says_the_need_in_round_figures(demo_catalog):
    conveyor = demo_catalog.product("conveyor")
    before = {"length": 22.22, "belt_width": 600, "load": 40, "belt": "rubber", "environment": "standard",
              "power": "400v_three_phase"}
    # 22.22 x 117.6 x 0.002 = 5.226144 kW: above the 4 kW motor
    text = reply(conveyor, before, {"load": 117.6})
    assert "Motor: 2.2 kW motor -> above motor range (needs 5.227 kW), because the load is now 117.6 kg/m." in text


def test_a_change_that_is_refused_clears_nothing(demo_catalog):
    """Found by the property above: the length change cleared the belt, then was refused
    (its motor needs 400 V, which the same message kept at 230 V); the load change cleared
    the belt again, so the customer read the belt's -40 EUR twice."""
    from bot.core.changes import apply_answers

    conveyor = demo_catalog.product("conveyor")
    before = {"length": 1.0, "belt_width": 300.0, "load": 84.9, "belt": "rubber", "environment": "food_grade",
              "power": "230v_single_phase"}
    applied = apply_answers(conveyor, before, {"length": 8.84, "load": 5.0, "environment": "standard",
                                               "power": "230v_single_phase"})
    cleared = [change.option.id for change in applied.cleared]
    assert len(cleared) == len(set(cleared)), cleared
    assert all(option_id not in applied.selections for option_id in cleared)
