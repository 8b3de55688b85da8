"""The order core against the demo catalog: rules, valid values, derived parts, prices.

Expected totals are worked out here from the spec (the prices in the brief), never by
calling the code under test.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from bot.local import ROOT
from bot.core.catalog import load_catalog
from bot.core.pricing import quote
from bot.core.rules import valid_values, violations
from bot.core.selections import derive, next_missing_option
from bot.core.values import display_value
from bot.core.wording import summary_text

REPO_ROOT = ROOT
DEMO_CATALOG = REPO_ROOT / "catalog.yml"

D = Decimal


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(DEMO_CATALOG)


@pytest.fixture(scope="module")
def pc(catalog):
    return catalog.product("custom_pc")


@pytest.fixture(scope="module")
def shirt(catalog):
    return catalog.product("tailored_shirt")


@pytest.fixture(scope="module")
def conveyor(catalog):
    return catalog.product("conveyor")


PC = {
    "cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb",
    "graphics": "rtx_4070_super", "case": "mid_tower", "os": "windows_11_home",
}
SHIRT = {
    "fabric": "linen_natural", "fit": "slim", "collar": "cutaway", "cuffs": "french",
    "neck": 39.5, "chest": 101.6, "waist": 86.4, "sleeve_length": 63.5, "shirt_length": 76.2,
    "monogram": "JFK", "quantity": 3,
}
CONVEYOR = {
    "length": 12.5, "belt_width": 600, "load": 40, "belt": "stainless_mesh",
    "environment": "food_grade", "power": "400v_three_phase",
}


def broken_rules(product, selections, answered):
    found = violations(product, selections, answered)
    assert all(v.option_id == answered for v in found)  # the option just answered is asked again
    return [v.rule_id for v in found]


def rule_message(product, rule_id):
    return next(rule.message for rule in product.rules if rule.id == rule_id)


# --- rules -----------------------------------------------------------------------------

PC_RULES = [
    # (selections, option just answered, rules broken)
    ({"cpu": "ryzen5_7600", "memory": "ddr4_16gb"}, "memory", ["am5_takes_ddr5"]),
    ({"cpu": "ryzen9_7950x", "memory": "ddr4_32gb"}, "cpu", ["am5_takes_ddr5"]),
    ({"cpu": "ryzen5_7600", "memory": "ddr5_16gb"}, "memory", []),
    ({"cpu": "core_i5_14400f", "memory": "ddr4_16gb"}, "memory", []),
    ({"cpu": "core_i7_14700k", "memory": "ddr5_64gb"}, "memory", []),
    ({"cpu": "core_i5_14400f", "graphics": "none"}, "graphics", ["no_gpu_needs_integrated_graphics"]),
    ({"cpu": "core_i5_14400f", "graphics": "rtx_4060"}, "graphics", []),
    ({"cpu": "core_i7_14700k", "graphics": "none"}, "graphics", []),
    ({"cpu": "ryzen5_7600", "graphics": "none"}, "graphics", []),
    ({"graphics": "rtx_4080_super", "case": "compact"}, "case", ["card_fits_case"]),
    ({"graphics": "rtx_4080_super", "case": "mid_tower"}, "case", []),
    ({"graphics": "rtx_4070_super", "case": "compact"}, "case", []),  # 267 mm <= 280 mm
    ({"graphics": "rx_7800_xt", "case": "compact"}, "case", []),
    # Two rules broken at once.
    ({"cpu": "ryzen5_7600", "memory": "ddr4_16gb", "graphics": "rtx_4080_super", "case": "compact"}, "case",
     ["am5_takes_ddr5", "card_fits_case"]),
    # A rule whose inputs are not all given yet is not judged.
    ({"cpu": "core_i5_14400f"}, "cpu", []),
    ({"memory": "ddr4_16gb"}, "memory", []),
    ({"case": "compact"}, "case", []),
    ({}, "cpu", []),
]


@pytest.mark.parametrize("selections, answered, expected", PC_RULES)
def test_pc_rules(pc, selections, answered, expected):
    assert broken_rules(pc, selections, answered) == expected


CONVEYOR_RULES = [
    ({"load": 60, "belt": "pvc"}, "belt", ["belt_carries_load"]),
    ({"load": 50.1, "belt": "pvc"}, "load", ["belt_carries_load"]),
    ({"load": 50, "belt": "pvc"}, "load", []),  # exactly the PVC limit
    ({"load": 100, "belt": "stainless_mesh"}, "load", []),
    ({"load": 100.1, "belt": "stainless_mesh"}, "load", ["belt_carries_load"]),
    ({"load": 150, "belt": "rubber"}, "load", []),
    ({"environment": "food_grade", "belt": "rubber"}, "belt", ["food_grade_needs_mesh"]),
    ({"environment": "food_grade", "belt": "pvc"}, "environment", ["food_grade_needs_mesh"]),
    ({"environment": "food_grade", "belt": "stainless_mesh"}, "belt", []),
    ({"environment": "standard", "belt": "pvc"}, "belt", []),
    # 15.01 m x 50 kg/m x 0.002 = 1.501 kW -> 2.2 kW motor
    ({"length": 15.01, "load": 50, "power": "230v_single_phase"}, "power", ["big_motor_needs_400v"]),
    ({"length": 15.01, "load": 50, "power": "400v_three_phase"}, "power", []),
    # 15 m x 50 kg/m x 0.002 = 1.5 kW exactly -> 1.5 kW motor, single phase is fine
    ({"length": 15, "load": 50, "power": "230v_single_phase"}, "power", []),
    # A motor above 4.0 kW (no instant price) still needs 400 V.
    ({"length": 30, "load": 150, "power": "230v_single_phase"}, "power", ["big_motor_needs_400v"]),
    ({"length": 30, "load": 150, "power": "400v_three_phase"}, "power", []),
    ({"power": "230v_single_phase"}, "power", []),
]


@pytest.mark.parametrize("selections, answered, expected", CONVEYOR_RULES)
def test_conveyor_rules(conveyor, selections, answered, expected):
    assert broken_rules(conveyor, selections, answered) == expected


def test_violation_carries_the_catalog_message(pc, conveyor):
    (violation,) = violations(pc, {"cpu": "ryzen5_7600", "memory": "ddr4_16gb"}, "memory")
    assert violation.message == "AMD Ryzen processors (socket AM5) take DDR5 memory only."
    (violation,) = violations(conveyor, {"length": 20, "load": 100, "power": "230v_single_phase"}, "power")
    assert violation.message == "A motor above 1.5 kW needs a 400 V three-phase supply."
    assert violation.message == rule_message(conveyor, "big_motor_needs_400v")


def test_full_demo_orders_break_no_rule(pc, shirt, conveyor):
    assert violations(pc, PC, "os") == []
    assert violations(shirt, SHIRT, "quantity") == []
    assert violations(conveyor, CONVEYOR, "power") == []


# --- valid values ----------------------------------------------------------------------

VALID_VALUES = [
    ("custom_pc", {"cpu": "ryzen5_7600"}, "memory", ["ddr5_16gb", "ddr5_32gb", "ddr5_64gb"]),
    ("custom_pc", {"cpu": "core_i5_14400f"}, "memory",
     ["ddr4_16gb", "ddr4_32gb", "ddr5_16gb", "ddr5_32gb", "ddr5_64gb"]),
    ("custom_pc", {"memory": "ddr4_32gb"}, "cpu", ["core_i5_14400f", "core_i7_14700k"]),
    ("custom_pc", {"memory": "ddr4_32gb", "graphics": "none"}, "cpu", ["core_i7_14700k"]),
    ("custom_pc", {"cpu": "core_i5_14400f"}, "graphics",
     ["rtx_4060", "rtx_4070_super", "rx_7800_xt", "rtx_4080_super"]),
    ("custom_pc", {"cpu": "core_i5_14400f", "case": "compact"}, "graphics",
     ["rtx_4060", "rtx_4070_super", "rx_7800_xt"]),
    ("custom_pc", {"cpu": "core_i7_14700k"}, "graphics",
     ["none", "rtx_4060", "rtx_4070_super", "rx_7800_xt", "rtx_4080_super"]),
    ("custom_pc", {"graphics": "rtx_4080_super"}, "case", ["mid_tower", "full_tower"]),
    ("custom_pc", {"graphics": "rtx_4070_super"}, "case", ["compact", "mid_tower", "full_tower"]),
    # The option's own current value is ignored: changing the memory of an AM5 build.
    ("custom_pc", {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb"}, "memory", ["ddr5_16gb", "ddr5_32gb", "ddr5_64gb"]),
    ("tailored_shirt", {}, "fabric", ["oxford_white", "poplin_light_blue", "linen_natural", "twill_navy"]),
    ("conveyor", {"environment": "food_grade"}, "belt", ["stainless_mesh"]),
    ("conveyor", {"load": 120}, "belt", ["rubber"]),
    ("conveyor", {"load": 80}, "belt", ["rubber", "stainless_mesh"]),
    ("conveyor", {"load": 120, "environment": "food_grade"}, "belt", []),
    ("conveyor", {"belt": "pvc"}, "environment", ["standard"]),
    ("conveyor", {"length": 20, "load": 100}, "power", ["400v_three_phase"]),  # 4.0 kW
    ("conveyor", {"length": 15, "load": 50}, "power", ["230v_single_phase", "400v_three_phase"]),  # 1.5 kW
]


@pytest.mark.parametrize("product_id, selections, option_id, expected", VALID_VALUES)
def test_valid_values(catalog, product_id, selections, option_id, expected):
    product = catalog.product(product_id)
    assert [v.id for v in valid_values(product, selections, product.option(option_id))] == expected


# --- the power supply (PC) -------------------------------------------------------------


@pytest.mark.parametrize(
    "needed, expected",
    [(0, "psu_550w"), (550, "psu_550w"), (551, "psu_750w"), (750, "psu_750w"), (751, "psu_1000w"),
     (1000, "psu_1000w"), (1001, None)],
)
def test_psu_smallest_fit_boundaries(pc, needed, expected):
    fit = pc.derived_part("psu").smallest_fit(D(needed))
    assert (fit.id if fit else None) == expected


@pytest.mark.parametrize(
    "cpu, graphics, needed, expected",
    [
        ("ryzen5_7600", "none", 65 + 0 + 150, "psu_550w"),
        ("ryzen9_7950x", "rtx_4070_super", 170 + 220 + 150, "psu_550w"),  # 540 W, the most a 550 W serves here
        ("core_i5_14400f", "rx_7800_xt", 150 + 263 + 150, "psu_750w"),  # 563 W
        ("ryzen7_7800x3d", "rtx_4080_super", 120 + 320 + 150, "psu_750w"),
        ("core_i7_14700k", "rtx_4080_super", 253 + 320 + 150, "psu_750w"),  # 723 W, the largest build
    ],
)
def test_psu_chosen_for_demo_builds(pc, cpu, graphics, needed, expected):
    (choice,) = derive(pc, {"cpu": cpu, "graphics": graphics})
    assert (choice.part_id, choice.needed, choice.unit) == ("psu", D(needed), "W")
    assert choice.value.id == expected


@pytest.fixture(scope="module")
def pc_with_gpu_watts(tmp_path_factory):
    """The demo PC with the RTX 4060 drawing `watts`, to reach the PSU boundaries."""

    def build(watts: int):
        raw = yaml.safe_load(DEMO_CATALOG.read_text(encoding="utf-8"))
        pc_raw = next(p for p in raw["products"] if p["id"] == "custom_pc")
        graphics = next(o for o in pc_raw["options"] if o["id"] == "graphics")
        next(v for v in graphics["values"] if v["id"] == "rtx_4060")["attributes"]["watts"] = watts
        path = tmp_path_factory.mktemp("catalog") / "catalog.yml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        return load_catalog(path).product("custom_pc")

    return build


@pytest.mark.parametrize(
    "gpu_watts, needed, expected",
    [
        (335, 550, "psu_550w"),  # Ryzen 5 7600: 65 + 335 + 150 = 550 exactly
        (336, 551, "psu_750w"),
        (535, 750, "psu_750w"),
        (536, 751, "psu_1000w"),
        (785, 1000, "psu_1000w"),
    ],
)
def test_psu_boundaries_through_derive(pc_with_gpu_watts, gpu_watts, needed, expected):
    product = pc_with_gpu_watts(gpu_watts)
    selections = {**PC, "cpu": "ryzen5_7600", "graphics": "rtx_4060", "case": "full_tower"}
    (choice,) = derive(product, selections)
    assert (choice.needed, choice.value.id) == (D(needed), expected)
    assert violations(product, selections, "graphics") == []


def test_no_psu_big_enough_rejects_the_build(pc_with_gpu_watts):
    product = pc_with_gpu_watts(786)  # 65 + 786 + 150 = 1001 W
    selections = {**PC, "cpu": "ryzen5_7600", "graphics": "rtx_4060", "case": "full_tower"}
    (violation,) = violations(product, selections, "graphics")
    assert (violation.rule_id, violation.option_id) == ("psu", "graphics")
    assert violation.message == "No power supply we stock is big enough for this CPU and graphics card."
    # valid_values leaves out the card no power supply can serve.
    assert [v.id for v in valid_values(product, selections, product.option("graphics"))] == [
        "none", "rtx_4070_super", "rx_7800_xt", "rtx_4080_super",
    ]


# --- the motor (conveyor) --------------------------------------------------------------

MOTOR = [
    # (length m, load kg/m, kW needed = length x load x 0.002, motor, motor price)
    (1, 5, "0.01", "motor_0_37kw", 450),
    (3.7, 50, "0.37", "motor_0_37kw", 450),  # exactly 0.37
    (3.71, 50, "0.371", "motor_0_75kw", 520),
    (7.5, 50, "0.75", "motor_0_75kw", 520),
    (7.51, 50, "0.751", "motor_1_5kw", 600),
    (15, 50, "1.5", "motor_1_5kw", 600),
    (11, 100, "2.2", "motor_2_2kw", 900),
    (20, 100, "4.0", "motor_4kw", 1200),  # exactly 4.0
]


@pytest.mark.parametrize("length, load, needed, expected, price", MOTOR)
def test_motor_boundaries(conveyor, length, load, needed, expected, price):
    selections = {"length": length, "belt_width": 300, "load": load, "belt": "rubber",
                  "environment": "standard", "power": "400v_three_phase"}
    (choice,) = derive(conveyor, selections)
    assert (choice.part_id, choice.needed, choice.unit) == ("motor", D(needed), "kW")
    assert (choice.value.id, choice.value.price) == (expected, D(price))
    priced = quote(conveyor, selections)
    # frame and belt: length x (300 + 0.4 x 300 mm); rubber: length x 40; plus the motor
    expected_total = D(str(length)) * (D(300) + D("0.4") * D(300)) + D(str(length)) * D(40) + D(price)
    assert priced.total == expected_total
    assert not priced.is_quote_request


@pytest.mark.parametrize("length, load, needed", [(20.01, 100, "4.002"), (30, 150, "9")])
def test_motor_above_4kw_is_a_quote_request(conveyor, length, load, needed):
    selections = {"length": length, "belt_width": 1200, "load": load, "belt": "rubber",
                  "environment": "standard", "power": "400v_three_phase"}
    assert violations(conveyor, selections, "load") == []  # quote_request, not reject
    priced = quote(conveyor, selections)
    assert priced.total is None and priced.is_quote_request
    (choice,) = priced.derived
    assert choice.value is None and choice.needed == D(needed)
    assert priced.notes == [conveyor.derived_part("motor").none_fits_message]
    # The lines that can be priced are still shown; the motor line is left out.
    length_d = D(str(length))
    assert [line["amount"] for line in priced.lines] == [
        length_d * (D(300) + D("0.4") * D(1200)),
        length_d * D(40),
    ]
    text = summary_text(conveyor, selections, priced)
    assert "Total" not in text
    assert f"needs {needed} kW" in text
    assert "our engineers will review it and send you a quote" in text
    assert "Lead time: 30 business days." in text


# --- totals ----------------------------------------------------------------------------


def test_pc_total(pc):
    priced = quote(pc, PC)
    # assembly 99 + Ryzen 7 7800X3D 399 + 32 GB DDR5 109 + 2 TB 129 + RTX 4070 Super 599
    # + mid tower 99 + Windows 11 Home 119 + PSU: 120 + 220 + 150 = 490 W -> 550 W, 69
    expected = D(99) + D(399) + D(109) + D(129) + D(599) + D(99) + D(119) + D(69)
    assert expected == D(1622)
    assert isinstance(priced.total, Decimal)
    assert priced.total == expected
    assert priced.currency == "EUR"
    assert priced.multiplier is None
    assert [line["amount"] for line in priced.lines] == [D(99), D(399), D(109), D(129), D(599), D(99), D(119), D(69)]
    assert priced.lines[0]["label"] == "Assembly and testing"


def test_pc_total_leaves_out_free_parts(pc):
    selections = {"cpu": "core_i7_14700k", "memory": "ddr4_16gb", "storage": "ssd_512gb",
                  "graphics": "none", "case": "compact", "os": "ubuntu_24_04"}
    priced = quote(pc, selections)
    # 99 + 389 + 45 + 45 + 0 + 89 + 0 + PSU (253 + 0 + 150 = 403 W -> 550 W) 69
    assert priced.total == D(99) + D(389) + D(45) + D(45) + D(89) + D(69)
    assert len(priced.lines) == 6


def test_shirt_total_is_price_per_shirt_times_quantity(shirt):
    priced = quote(shirt, SHIRT)
    per_shirt = D(89) + D(10) + D(9)  # linen + French cuffs + monogram
    assert priced.unit_total == per_shirt
    assert priced.multiplier == D(3)
    assert priced.total == per_shirt * 3 == D(324)
    assert priced.derived == []


@pytest.mark.parametrize(
    "changes, per_shirt, quantity",
    [
        ({"fabric": "oxford_white", "cuffs": "barrel", "monogram": None, "quantity": 1}, D(59), 1),
        ({"fabric": "poplin_light_blue", "cuffs": "barrel", "monogram": None, "quantity": 2}, D(69), 2),
        ({"fabric": "twill_navy", "cuffs": "french", "monogram": None, "quantity": 20}, D(79) + D(10), 20),
        ({"fabric": "oxford_white", "cuffs": "barrel", "monogram": "AB", "quantity": 5}, D(59) + D(9), 5),
    ],
)
def test_shirt_multiplier(shirt, changes, per_shirt, quantity):
    priced = quote(shirt, {**SHIRT, **changes})
    assert priced.unit_total == per_shirt
    assert priced.multiplier == quantity
    assert priced.total == per_shirt * quantity


def test_conveyor_total(conveyor):
    priced = quote(conveyor, CONVEYOR)
    length, width = D("12.5"), D(600)
    frame = length * (D(300) + D("0.4") * width)  # 12.5 x 540 = 6750
    surcharge = length * D(180)  # stainless mesh: 2250
    motor = D(600)  # 12.5 x 40 x 0.002 = 1.0 kW -> 1.5 kW motor
    assert priced.total == frame + surcharge + motor == D(9600)
    assert [line["amount"] for line in priced.lines] == [frame, surcharge, motor]
    assert [line["label"] for line in priced.lines] == [
        "Frame and belt: 12.5 m x (300 + 0.4 x 600 mm)",
        "Stainless steel mesh belt surcharge: 12.5 m x 180",
        "1.5 kW motor",
    ]


def test_conveyor_total_with_a_converted_length(conveyor):
    # "40 feet" is read as 12.19 m (a float in the slot); money stays exact.
    selections = {**CONVEYOR, "length": 12.19, "belt_width": 800, "belt": "rubber", "environment": "standard", "load": 55}
    priced = quote(conveyor, selections)
    length = D("12.19")
    # 12.19 x 55 x 0.002 = 1.3409 kW -> 1.5 kW motor, 600
    expected = length * (D(300) + D("0.4") * D(800)) + length * D(40) + D(600)
    assert priced.total == expected == D("8645.40")


# --- summary ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "product_id, selections, derived, total",
    [
        ("custom_pc", PC, ["Power supply (chosen for you): 550 W power supply"], "Total: €1,622.00"),
        ("tailored_shirt", SHIRT, [], "Total: €324.00"),
        ("conveyor", CONVEYOR, ["Motor (chosen for you): 1.5 kW motor"], "Total: €9,600.00"),
    ],
)
def test_summary_names_every_option_derived_part_total_and_lead_time(catalog, product_id, selections, derived, total):
    product = catalog.product(product_id)
    text = summary_text(product, selections, quote(product, selections))
    assert text.startswith(f"**{product.name}**")
    for option in product.options:
        assert f"- {option.name}: {display_value(option, selections[option.id])}\n" in text
    for line in derived:
        assert line in text
    assert total in text
    assert text.endswith(f"Lead time: {product.lead_time_days} business days.")


def test_shirt_summary_shows_the_price_per_shirt(shirt):
    text = summary_text(shirt, SHIRT, quote(shirt, SHIRT))
    for row in ["- Neck: 39.5 cm", "- Monogram: JFK", "- Quantity: 3 shirts", "Price per shirt:",
                "- Fabric: Linen, natural: €89.00", "- Cuffs: French: €10.00", "- Monogram: JFK: €9.00",
                "- 3 shirts × €108.00: €324.00", "**Total: €324.00**", "Lead time: 15 business days."]:
        assert row in text
    assert " x 3" not in text
    no_monogram = {**SHIRT, "monogram": None}
    assert "- Monogram: none" in summary_text(shirt, no_monogram, quote(shirt, no_monogram))
    one = {**SHIRT, "quantity": 1}
    assert "- 1 shirt × €108.00: €108.00" in summary_text(shirt, one, quote(shirt, one))


def test_the_summary_quantity_row_is_the_stored_quantity_line(shirt):
    """The customer's summary, the stored order and the staff page say the same line."""
    priced = quote(shirt, SHIRT)
    stored = priced.stored_lines()[-1]
    assert stored["kind"] == "quantity" and stored["label"] == "3 shirts × €108.00"
    assert f"- {stored['label']}: €{stored['amount']}" in summary_text(shirt, SHIRT, priced)


# --- helpers the form uses -------------------------------------------------------------


def test_next_missing_option_follows_catalog_order(pc):
    assert next_missing_option(pc, {}).id == "cpu"
    assert next_missing_option(pc, {"cpu": "ryzen5_7600", "storage": "ssd_1tb"}).id == "memory"
    assert next_missing_option(pc, PC) is None


def test_an_answered_optional_none_is_not_missing(shirt):
    without_monogram = {k: v for k, v in SHIRT.items() if k != "monogram"}
    assert next_missing_option(shirt, without_monogram).id == "monogram"
    assert next_missing_option(shirt, {**without_monogram, "monogram": None}) is None


@pytest.mark.parametrize(
    "product_id, option_id, value, shown",
    [
        ("custom_pc", "cpu", "ryzen7_7800x3d", "AMD Ryzen 7 7800X3D"),
        ("tailored_shirt", "neck", 39.5, "39.5 cm"),
        ("tailored_shirt", "neck", 40, "40 cm"),
        ("tailored_shirt", "quantity", 3, "3 shirts"),
        ("tailored_shirt", "monogram", "JFK", "JFK"),
        ("tailored_shirt", "monogram", None, "none"),
        ("conveyor", "load", 29.8, "29.8 kg/m"),
        ("conveyor", "belt_width", 600, "600 mm"),
    ],
)
def test_display_value(catalog, product_id, option_id, value, shown):
    assert display_value(catalog.product(product_id).option(option_id), value) == shown


def test_the_benchmark_shop_stores_quantity_lines_as_the_order_form_does(shirt):
    """bench/shop_data.py's orders (the staff benchmark's and the dashboard's data) carry the
    quantity line, so their pages add up like a real two-shirt order's."""
    import random

    from bench.shop_data import new_order

    order = new_order(shirt, SHIRT, "web:bench", random.Random(1))
    assert order.price_lines == quote(shirt, SHIRT).stored_lines()
    *lines, quantity = order.price_lines
    assert quantity["kind"] == "quantity" and quantity["label"] == "3 shirts × €108.00"
    assert sum(line["amount"] for line in lines) * 3 == quantity["amount"] == order.total == D("324.00")


def test_a_quote_request_summary_says_the_need_in_round_figures(conveyor):
    # above the 4 kW motor: a quote request
    selections = {**CONVEYOR, "length": 22.22, "load": 95.5, "belt": "rubber", "environment": "standard"}
    text = summary_text(conveyor, selections, quote(conveyor, selections))
    assert "- Motor (chosen for you): above motor range (needs 4.245 kW)" in text  # 22.22 x 95.5 x 0.002 = 4.24404, rounded up


def test_the_summary_leaves_out_a_line_that_adds_nothing(conveyor):
    selections = {"length": 6, "belt_width": 600, "load": 25, "belt": "pvc", "environment": "standard",
                  "power": "230v_single_phase"}
    priced = quote(conveyor, selections)
    assert [line["amount"] for line in priced.lines][1] == 0  # the PVC belt's surcharge is still priced (and stored)
    text = summary_text(conveyor, selections, priced)
    assert "surcharge" not in text and "€0.00" not in text
    assert "Frame and belt: 6 m x (300 + 0.4 x 600 mm): €3,240.00" in text
