"""parse_answer: the many ways a customer writes one value, against the demo catalog.

Yes/no answers use the oak table fixture (the demo catalog has no yes/no option).
A case marked xfail(strict=True) is a bug in bot/core/values.py, described in its reason.
"""

from __future__ import annotations


import pytest

from bot.local import ROOT
from bot.core.catalog import load_catalog
from bot.core.values import parse_answer

REPO_ROOT = ROOT


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(REPO_ROOT / "catalog.yml")


@pytest.fixture(scope="module")
def oak_table():
    return load_catalog(REPO_ROOT / "tests" / "fixtures" / "catalogs" / "oak_table.yml").product("oak_table")


def answer(catalog, product_id: str, option_id: str, text: str):
    return parse_answer(catalog.product(product_id).option(option_id), text)


def bug(reason: str):
    return pytest.mark.xfail(strict=True, reason=f"BUG: {reason}")


# --- choices ---------------------------------------------------------------------------

CHOICES = [
    # CPU
    ("custom_pc", "cpu", "7800x3d", "ryzen7_7800x3d"),
    ("custom_pc", "cpu", "Ryzen 7", "ryzen7_7800x3d"),
    ("custom_pc", "cpu", "ryzen 5", "ryzen5_7600"),
    ("custom_pc", "cpu", "AMD Ryzen 5 7600", "ryzen5_7600"),
    ("custom_pc", "cpu", "r5 7600", "ryzen5_7600"),
    ("custom_pc", "cpu", "ryzen 9 7950x", "ryzen9_7950x"),
    ("custom_pc", "cpu", "7950X", "ryzen9_7950x"),
    ("custom_pc", "cpu", "14400F", "core_i5_14400f"),
    ("custom_pc", "cpu", "Core i5", "core_i5_14400f"),
    ("custom_pc", "cpu", "i7-14700K", "core_i7_14700k"),
    ("custom_pc", "cpu", "i7", "core_i7_14700k"),
    ("custom_pc", "cpu", "an i5 please", "core_i5_14400f"),
    # memory
    ("custom_pc", "memory", "32 gigs of DDR5", "ddr5_32gb"),
    ("custom_pc", "memory", "16GB DDR4", "ddr4_16gb"),
    ("custom_pc", "memory", "32gb ddr4", "ddr4_32gb"),
    ("custom_pc", "memory", "64 gigs", "ddr5_64gb"),
    # storage
    ("custom_pc", "storage", "two terabytes", "ssd_2tb"),
    ("custom_pc", "storage", "2TB", "ssd_2tb"),
    ("custom_pc", "storage", "1 tb", "ssd_1tb"),
    ("custom_pc", "storage", "half a terabyte", "ssd_512gb"),
    ("custom_pc", "storage", "4000gb", "ssd_4tb"),
    # graphics
    ("custom_pc", "graphics", "4070 super", "rtx_4070_super"),
    ("custom_pc", "graphics", "rtx 4060", "rtx_4060"),
    ("custom_pc", "graphics", "7800 XT", "rx_7800_xt"),
    ("custom_pc", "graphics", "4080s", "rtx_4080_super"),
    ("custom_pc", "graphics", "no gpu", "none"),
    ("custom_pc", "graphics", "integrated graphics", "none"),
    # case
    ("custom_pc", "case", "mid tower", "mid_tower"),
    ("custom_pc", "case", "big tower", "full_tower"),
    ("custom_pc", "case", "compact case", "compact"),
    # OS
    ("custom_pc", "os", "win 11", "windows_11_home"),
    ("custom_pc", "os", "Windows", "windows_11_home"),
    ("custom_pc", "os", "linux", "ubuntu_24_04"),
    ("custom_pc", "os", "ubuntu", "ubuntu_24_04"),
    ("custom_pc", "os", "no os", "none"),
    # shirt
    ("tailored_shirt", "fabric", "light blue poplin", "poplin_light_blue"),
    ("tailored_shirt", "fabric", "poplin", "poplin_light_blue"),
    ("tailored_shirt", "fabric", "linnen", "linen_natural"),
    ("tailored_shirt", "fabric", "I'd like linnen", "linen_natural"),
    ("tailored_shirt", "fabric", "navy", "twill_navy"),
    ("tailored_shirt", "fabric", "white oxford", "oxford_white"),
    ("tailored_shirt", "fit", "slim fit", "slim"),
    ("tailored_shirt", "fit", "loose", "relaxed"),
    ("tailored_shirt", "collar", "button down", "button_down"),
    ("tailored_shirt", "collar", "band collar", "mandarin"),
    ("tailored_shirt", "cuffs", "french cuffs", "french"),
    ("tailored_shirt", "cuffs", "double cuffs", "french"),
    ("tailored_shirt", "cuffs", "barrel", "barrel"),
    # conveyor
    ("conveyor", "belt", "rubber", "rubber"),
    ("conveyor", "belt", "stainless steel", "stainless_mesh"),
    ("conveyor", "belt", "plastic", "pvc"),
    ("conveyor", "environment", "food grade", "food_grade"),
    ("conveyor", "environment", "bakery", "food_grade"),
    ("conveyor", "power", "400v", "400v_three_phase"),
    ("conveyor", "power", "three phase", "400v_three_phase"),
    ("conveyor", "power", "single phase", "230v_single_phase"),
    ("conveyor", "power", "230 volt", "230v_single_phase"),
]


@pytest.mark.parametrize("product_id, option_id, text, expected", CHOICES)
def test_choice_phrasings(catalog, product_id, option_id, text, expected):
    parsed = answer(catalog, product_id, option_id, text)
    assert (parsed.ok, parsed.value, parsed.error) == (True, expected, "")


AMBIGUOUS = [
    ("custom_pc", "memory", "32", {"ddr4_32gb", "ddr5_32gb"}),
    ("custom_pc", "memory", "32 gb", {"ddr4_32gb", "ddr5_32gb"}),
    ("custom_pc", "memory", "ddr5", {"ddr5_16gb", "ddr5_32gb", "ddr5_64gb"}),
    ("custom_pc", "cpu", "ryzen", {"ryzen5_7600", "ryzen7_7800x3d", "ryzen9_7950x"}),
    ("custom_pc", "cpu", "intel", {"core_i5_14400f", "core_i7_14700k"}),
]


@pytest.mark.parametrize("product_id, option_id, text, expected", AMBIGUOUS)
def test_ambiguous_choice_asks_with_candidates(catalog, product_id, option_id, text, expected):
    parsed = answer(catalog, product_id, option_id, text)
    assert not parsed.ok and parsed.value is None
    assert {c.id for c in parsed.candidates} == expected
    assert parsed.error.startswith("Did you mean")
    for candidate in parsed.candidates:
        assert candidate.name in parsed.error


IN_STOCK_FABRICS = ["oxford_white", "poplin_light_blue", "linen_natural", "twill_navy"]


@pytest.mark.parametrize("text", ["silk", "ivory silk please", "Silk, ivory"])
def test_out_of_stock_silk_offers_the_fabrics_in_stock(catalog, text):
    parsed = answer(catalog, "tailored_shirt", "fabric", text)
    assert not parsed.ok and parsed.value is None
    assert "out of stock" in parsed.error
    assert "Silk, ivory" in parsed.error
    assert [c.id for c in parsed.candidates] == IN_STOCK_FABRICS


@pytest.mark.parametrize(
    "product_id, option_id, text",
    [
        ("tailored_shirt", "fabric", "denim"),
        ("tailored_shirt", "fabric", "none"),  # not optional: "none" is not a fabric
        ("custom_pc", "cpu", "pentium"),
    ],
)
def test_unknown_choice_lists_what_is_valid(catalog, product_id, option_id, text):
    option = catalog.product(product_id).option(option_id)
    parsed = parse_answer(option, text)
    assert not parsed.ok and parsed.value is None
    assert f'"{text}" is not one of our' in parsed.error
    assert [c.id for c in parsed.candidates] == [v.id for v in option.in_stock_values]
    for value in option.in_stock_values:
        assert value.name in parsed.error
    assert "Silk" not in parsed.error  # out-of-stock values are not offered


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_answer_says_what_is_valid(catalog, text):
    parsed = answer(catalog, "custom_pc", "os", text)
    assert not parsed.ok
    assert "didn't catch" in parsed.error and "Windows 11 Home" in parsed.error


# --- numbers ---------------------------------------------------------------------------

NUMBERS = [
    # (product, option, text, value, note: "" for none, else a fragment it must contain)
    ("tailored_shirt", "neck", "39 cm", 39, ""),
    ("tailored_shirt", "neck", "39,5cm", 39.5, ""),
    ("tailored_shirt", "neck", "39.5", 39.5, ""),
    ("tailored_shirt", "neck", "39 1/2 cm", 39.5, ""),
    ("tailored_shirt", "neck", "39.45 cm", 39.5, ""),  # one decimal, half up
    ("tailored_shirt", "neck", "40", 40, ""),  # fits in cm: taken as cm, no note
    ("tailored_shirt", "neck", "395 mm", 39.5, "395 mm = 39.5 cm"),
    ("tailored_shirt", "neck", "15.5 in", 39.4, "15.5 in = 39.4 cm"),
    ("tailored_shirt", "neck", "15.5 inches", 39.4, "15.5 in = 39.4 cm"),
    ("tailored_shirt", "neck", "15 1/2 inches", 39.4, "15.5 in = 39.4 cm"),
    ("tailored_shirt", "neck", "15½\"", 39.4, "15.5 in = 39.4 cm"),
    ("tailored_shirt", "neck", "15.5''", 39.4, "15.5 in = 39.4 cm"),
    ("tailored_shirt", "neck", "fifteen and a half inches", 39.4, "15.5 in = 39.4 cm"),
    ("tailored_shirt", "neck", "15.5", 39.4, "I took 15.5 as inches = 39.4 cm"),  # no unit, only inches fit
    ("tailored_shirt", "chest", "40 inches", 101.6, "40 in = 101.6 cm"),
    ("tailored_shirt", "waist", "34 in", 86.4, "34 in = 86.4 cm"),
    ("tailored_shirt", "sleeve_length", "25 inches", 63.5, "25 in = 63.5 cm"),
    ("tailored_shirt", "shirt_length", "30 in", 76.2, "30 in = 76.2 cm"),
    ("conveyor", "length", "1.2 m", 1.2, ""),
    ("conveyor", "length", "12m", 12, ""),
    ("conveyor", "length", "12", 12, ""),
    ("conveyor", "length", "twelve metres", 12, ""),
    ("conveyor", "length", "ten and a half metres", 10.5, ""),
    ("conveyor", "length", "1,5 m", 1.5, ""),
    ("conveyor", "length", "12.345 m", 12.35, ""),  # two decimals, half up
    ("conveyor", "length", "1200 mm", 1.2, "1200 mm = 1.2 m"),
    ("conveyor", "length", "120 cm", 1.2, "120 cm = 1.2 m"),
    ("conveyor", "length", "40 feet", 12.19, "40 ft = 12.19 m"),
    ("conveyor", "length", "5 feet", 1.52, "5 ft = 1.52 m"),
    ("conveyor", "belt_width", "60 cm", 600, "60 cm = 600 mm"),
    ("conveyor", "belt_width", "0.6 m", 600, "0.6 m = 600 mm"),
    ("conveyor", "belt_width", "1.2 m", 1200, "1.2 m = 1200 mm"),
    ("conveyor", "belt_width", "600", 600, ""),
    ("conveyor", "belt_width", "800mm", 800, ""),
    ("conveyor", "belt_width", "1,200 mm", 1200, ""),  # thousands separator, not a decimal comma
    ("conveyor", "belt_width", "60", 600, "I took 60 as cm = 600 mm"),
    ("conveyor", "load", "forty kilos", 40, ""),
    ("conveyor", "load", "40 kg/m", 40, ""),
    ("conveyor", "load", "40kg/m", 40, ""),
    ("conveyor", "load", "40 kg per metre", 40, ""),
    ("conveyor", "load", "40", 40, ""),
    ("conveyor", "load", "20 lb/ft", 29.8, "20 lb/ft = 29.8 kg/m"),
    ("tailored_shirt", "quantity", "3", 3, ""),
    ("tailored_shirt", "quantity", "3 shirts", 3, ""),
    ("tailored_shirt", "quantity", "two", 2, ""),
    ("tailored_shirt", "quantity", "twenty", 20, ""),
    ("tailored_shirt", "quantity", "a dozen", 12, ""),
    ("tailored_shirt", "quantity", "1.0", 1, ""),
]


@pytest.mark.parametrize("product_id, option_id, text, value, note", NUMBERS)
def test_number_phrasings(catalog, product_id, option_id, text, value, note):
    parsed = answer(catalog, product_id, option_id, text)
    assert parsed.ok, parsed.error
    assert parsed.value == value
    # Slot values are JSON: whole numbers come back as int, others as float.
    assert type(parsed.value) is type(value)
    if note:
        assert note in parsed.note
    else:
        assert parsed.note == ""


NUMBER_ERRORS = [
    # (product, option, text, fragments the error must contain)
    ("tailored_shirt", "neck", "60 cm", ["60 cm is out of range", "from 33 to 50 cm"]),
    ("tailored_shirt", "neck", "55 cm", ["out of range", "from 33 to 50 cm"]),
    ("tailored_shirt", "neck", "20", ["out of range", "from 33 to 50 cm"]),
    ("tailored_shirt", "neck", "39 or 40", ['I need an exact neck: you said "39 or 40"', "from 33 to 50 cm"]),
    ("tailored_shirt", "neck", "39 40", ["several numbers (39 and 40)", "from 33 to 50 cm"]),
    ("tailored_shirt", "neck", "abc", ["I need a number from 33 to 50 cm"]),
    ("tailored_shirt", "neck", "none", ["I need a number"]),  # not optional
    ("conveyor", "length", "0.5 m", ["0.5 m is out of range", "from 1 to 30 m"]),
    ("conveyor", "length", "100 feet", ["100 ft is out of range", "from 3.3 to 98.4 ft (1 to 30 m)"]),
    ("conveyor", "belt_width", "650 mm", ["out of range", "one of 300, 400, 500, 600, 800, 1000 or 1200 mm"]),
    ("conveyor", "belt_width", "24 inches", ["24 in = 609.6 mm is out of range", "one of 300, 400"]),
    ("conveyor", "load", "200 kg/m", ["200 kg/m is out of range", "from 5 to 150 kg/m"]),
    ("conveyor", "load", "40 lbs", ["kg/m or lb/ft"]),  # a weight, not a weight per length
    ("tailored_shirt", "quantity", "2.5", ["whole number", "from 1 to 20 shirts"]),
    ("tailored_shirt", "quantity", "21", ["21 shirts is out of range", "from 1 to 20 shirts"]),
    ("tailored_shirt", "quantity", "0", ["out of range", "from 1 to 20 shirts"]),
    # The customer wrote the catalog's own unit: an out-of-range number must not be
    # re-read in another unit.
    ("conveyor", "length", "31 m", ["31 m is out of range", "from 1 to 30 m"]),
    ("tailored_shirt", "neck", "16 cm", ["16 cm is out of range", "from 33 to 50 cm"]),
    ("conveyor", "load", "4 kg/m", ["4 kg/m is out of range", "from 5 to 150 kg/m"]),
    ("tailored_shirt", "quantity", "-2", ["out of range", "from 1 to 20 shirts"]),
]


@pytest.mark.parametrize("product_id, option_id, text, fragments", NUMBER_ERRORS)
def test_number_rejected_with_what_is_valid(catalog, product_id, option_id, text, fragments):
    parsed = answer(catalog, product_id, option_id, text)
    assert not parsed.ok and parsed.value is None, parsed
    for fragment in fragments:
        assert fragment in parsed.error


# --- text ------------------------------------------------------------------------------

MONOGRAMS = [
    ("JFK", "JFK"),
    ("jfk", "JFK"),
    ("J.F.K.", "JFK"),
    ("  abc ", "ABC"),
    ('"ab"', "AB"),
    ("A", "A"),
    ("my initials are JFK", "JFK"),
    ("no monogram", None),
    ("none", None),
    ("no thanks", None),
    ("skip", None),
    ("J F K", "JFK"),
    ("j.f.k", "JFK"),
]


@pytest.mark.parametrize("text, expected", MONOGRAMS)
def test_monogram_phrasings(catalog, text, expected):
    parsed = answer(catalog, "tailored_shirt", "monogram", text)
    assert (parsed.ok, parsed.value, parsed.error) == (True, expected, "")


@pytest.mark.parametrize(
    "text",
    [
        "ABCD",
        "A1",
        "ÉLA",
        "AB CD",
    ],
)
def test_monogram_rejected_with_the_rule(catalog, text):
    parsed = answer(catalog, "tailored_shirt", "monogram", text)
    assert not parsed.ok and parsed.value is None
    assert parsed.error.startswith("A monogram is 1 to 3 letters from A to Z.")
    assert '"JFK"' in parsed.error and '"none"' in parsed.error


def test_optional_text_with_spaces_and_quotes(oak_table):
    engraving = oak_table.option("engraving")
    assert parse_answer(engraving, "The Smiths").value == "The Smiths"
    assert parse_answer(engraving, '"Anna and Tom"').value == "Anna and Tom"
    assert parse_answer(engraving, "no engraving").value is None
    rejected = parse_answer(engraving, "Anna & Tom")
    assert not rejected.ok and "up to 20 letters and spaces" in rejected.error


# --- yes / no (oak table fixture) ------------------------------------------------------

YES_NO = [
    ("yes", True), ("Yes please", True), ("YES", True), ("yes!", True), ("yeah", True), ("yep", True),
    ("y", True), ("sure", True), ("ok", True), ("of course", True), ("definitely", True), ("absolutely", True),
    ("yes please add it", True),
    ("no", False), ("No thanks", False), ("no, thanks", False), ("nope", False), ("nah", False),
    ("n", False), ("never", False), ("without", False), ("no extension leaf", False),
    ("no leaf", False), ("no way", False),
]


@pytest.mark.parametrize("text, expected", YES_NO)
def test_yes_no_phrasings(oak_table, text, expected):
    parsed = parse_answer(oak_table.option("extension_leaf"), text)
    assert (parsed.ok, parsed.value) == (True, expected)


@pytest.mark.parametrize(
    "text",
    [
        "maybe",
        "not sure",
        "I'm not sure",
        "no idea",
        "yes and no",
    ],
)
def test_yes_no_unclear_is_asked_again(oak_table, text):
    parsed = parse_answer(oak_table.option("extension_leaf"), text)
    assert not parsed.ok and parsed.value is None
    assert parsed.error == "Please answer yes or no: Would you like an extension leaf?"
