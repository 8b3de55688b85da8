"""Loading catalog.yml: the demo catalog, a new product added by editing YAML only, and
the CatalogError a shop owner sees for each kind of mistake.

Every malformed catalog starts from tests/fixtures/catalogs/oak_table.yml (a small valid
product with one option of every kind), breaks one thing, and is written to tmp_path.
The error must say where (file, product, option, rule...) and what is wrong.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
import yaml

from bot.local import ROOT
from bot.core.catalog import CatalogError, load_catalog
from bot.core.pricing import quote
from bot.core.rules import violations
from bot.core.wording import summary_text
from bot.core.values import parse_answer

REPO_ROOT = ROOT
DEMO_CATALOG = REPO_ROOT / "catalog.yml"
OAK_TABLE = REPO_ROOT / "tests" / "fixtures" / "catalogs" / "oak_table.yml"

Mutation = Callable[[Dict[str, Any]], None]


# --- helpers ---------------------------------------------------------------------------


def oak_table_raw() -> Dict[str, Any]:
    return yaml.safe_load(OAK_TABLE.read_text(encoding="utf-8"))


def product(raw: Dict[str, Any]) -> Dict[str, Any]:
    return raw["products"][0]


def option(raw: Dict[str, Any], option_id: str) -> Dict[str, Any]:
    return next(o for o in product(raw)["options"] if o["id"] == option_id)


def write_catalog(tmp_path: Path, mutate: Mutation) -> Path:
    raw = copy.deepcopy(oak_table_raw())
    mutate(raw)
    path = tmp_path / "shop_catalog.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    return str(caught.value)


def assert_mentions(message: str, fragments: List[str]) -> None:
    missing = [fragment for fragment in fragments if fragment not in message]
    assert not missing, f"{missing} not in CatalogError message: {message!r}"


# --- the demo catalog ------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    return load_catalog(DEMO_CATALOG)


def test_demo_catalog_loads_with_its_three_products(demo):
    assert demo.shop.currency == "EUR"
    assert [p.id for p in demo.products] == ["custom_pc", "tailored_shirt", "conveyor"]
    pc, shirt, conveyor = demo.products
    assert pc.option_ids == ["cpu", "memory", "storage", "graphics", "case", "os"]
    assert shirt.option_ids == [
        "fabric", "fit", "collar", "cuffs", "neck", "chest", "waist", "sleeve_length",
        "shirt_length", "monogram", "quantity",
    ]
    assert conveyor.option_ids == ["length", "belt_width", "load", "belt", "environment", "power"]
    assert [part.id for part in pc.derived] == ["psu"]
    assert [part.id for part in conveyor.derived] == ["motor"]
    assert (pc.lead_time_days, shirt.lead_time_days) == (7, 15)
    assert pc.base_price == Decimal(99)
    assert shirt.pricing.multiply_by == "quantity"


# The prices of the spec, value by value, so a typo in catalog.yml shows up here and
# not in a customer's total.
SPEC_PRICES = {
    ("custom_pc", "cpu"): {
        "ryzen5_7600": 199, "ryzen7_7800x3d": 399, "ryzen9_7950x": 549,
        "core_i5_14400f": 189, "core_i7_14700k": 389,
    },
    ("custom_pc", "memory"): {
        "ddr4_16gb": 45, "ddr4_32gb": 79, "ddr5_16gb": 59, "ddr5_32gb": 109, "ddr5_64gb": 209,
    },
    ("custom_pc", "storage"): {"ssd_512gb": 45, "ssd_1tb": 69, "ssd_2tb": 129, "ssd_4tb": 259},
    ("custom_pc", "graphics"): {
        "none": 0, "rtx_4060": 299, "rtx_4070_super": 599, "rx_7800_xt": 499, "rtx_4080_super": 999,
    },
    ("custom_pc", "case"): {"compact": 89, "mid_tower": 99, "full_tower": 149},
    ("custom_pc", "os"): {"none": 0, "windows_11_home": 119, "ubuntu_24_04": 0},
    ("tailored_shirt", "fabric"): {
        "oxford_white": 59, "poplin_light_blue": 69, "linen_natural": 89, "twill_navy": 79, "silk_ivory": 149,
    },
    ("tailored_shirt", "cuffs"): {"barrel": 0, "french": 10},
}


@pytest.mark.parametrize("product_id, option_id", list(SPEC_PRICES))
def test_demo_choice_prices_match_the_spec(demo, product_id, option_id):
    values = demo.product(product_id).option(option_id).values
    assert {v.id: v.price for v in values} == {k: Decimal(p) for k, p in SPEC_PRICES[product_id, option_id].items()}


def test_demo_part_attributes_match_the_spec(demo):
    pc = demo.product("custom_pc")
    cpus = {v.id: v.attributes for v in pc.option("cpu").values}
    assert {k: (a["socket"], a["memory_types"], a["integrated_graphics"], a["watts"]) for k, a in cpus.items()} == {
        "ryzen5_7600": ("AM5", ["DDR5"], True, 65),
        "ryzen7_7800x3d": ("AM5", ["DDR5"], True, 120),
        "ryzen9_7950x": ("AM5", ["DDR5"], True, 170),
        "core_i5_14400f": ("LGA1700", ["DDR4", "DDR5"], False, 150),
        "core_i7_14700k": ("LGA1700", ["DDR4", "DDR5"], True, 253),
    }
    gpus = {v.id: (v.attributes["watts"], v.attributes["length_mm"]) for v in pc.option("graphics").values}
    assert gpus == {
        "none": (0, 0), "rtx_4060": (115, 240), "rtx_4070_super": (220, 267),
        "rx_7800_xt": (263, 267), "rtx_4080_super": (320, 310),
    }
    assert {v.id: v.attributes["max_gpu_mm"] for v in pc.option("case").values} == {
        "compact": 280, "mid_tower": 360, "full_tower": 420,
    }
    psu = pc.derived_part("psu")
    assert [(v.attributes["watts"], v.price) for v in psu.values] == [(550, 69), (750, 99), (1000, 159)]

    shirt = demo.product("tailored_shirt")
    assert [v.id for v in shirt.option("fabric").in_stock_values] == [
        "oxford_white", "poplin_light_blue", "linen_natural", "twill_navy",
    ]
    ranges = {o.id: (o.min, o.max, o.decimals) for o in shirt.options if o.kind == "number"}
    assert ranges == {
        "neck": (33, 50, 1), "chest": (80, 150, 1), "waist": (60, 150, 1),
        "sleeve_length": (55, 75, 1), "shirt_length": (65, 90, 1), "quantity": (1, 20, 0),
    }

    conveyor = demo.product("conveyor")
    assert conveyor.option("belt_width").allowed == [300, 400, 500, 600, 800, 1000, 1200]
    motor = conveyor.derived_part("motor")
    assert [(v.attributes["kw"], v.price) for v in motor.values] == [
        (0.37, 450), (0.75, 520), (1.5, 600), (2.2, 900), (4.0, 1200),
    ]
    assert motor.when_none_fits == "quote_request"


# --- a fourth product, added by editing YAML only -------------------------------------


def test_oak_table_fixture_loads_and_takes_the_shop_currency():
    catalog = load_catalog(OAK_TABLE)
    table = catalog.product("oak_table")
    assert table.currency == "EUR"  # not given on the product: the shop's default
    assert {o.id: o.kind for o in table.options} == {
        "finish": "choice", "length": "number", "extension_leaf": "yesno", "engraving": "text",
    }


def test_a_fourth_product_added_to_the_demo_catalog_works_end_to_end(tmp_path):
    raw = yaml.safe_load(DEMO_CATALOG.read_text(encoding="utf-8"))
    raw["products"].append(product(oak_table_raw()))
    path = tmp_path / "catalog.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")

    catalog = load_catalog(path)
    assert [p.id for p in catalog.products] == ["custom_pc", "tailored_shirt", "conveyor", "oak_table"]
    table = catalog.product("oak_table")

    answers = {"finish": "beeswax", "length": "1.9 m", "extension_leaf": "yes please", "engraving": "The Smiths"}
    selections = {}
    for option_id, text in answers.items():
        parsed = parse_answer(table.option(option_id), text)
        assert parsed.ok, (option_id, text, parsed.error)
        selections[option_id] = parsed.value
    assert selections == {"finish": "waxed", "length": 190, "extension_leaf": True, "engraving": "The Smiths"}
    assert violations(table, selections, "engraving") == []

    priced = quote(table, selections)
    # base 400 + waxed 40 + extension leaf 150 + engraving 35 + reinforced frame (190 > 180 cm) 120
    assert priced.total == Decimal(400) + Decimal(40) + Decimal(150) + Decimal(35) + Decimal(120)
    assert [c.value.id for c in priced.derived] == ["reinforced_frame"]
    text = summary_text(table, selections, priced)
    assert "Extension leaf: yes" in text
    assert "Lead time: 20 business days." in text

    # The new product's `excludes` rule works like the demo's rules.
    broken = violations(table, {**selections, "length": 210}, "length")
    assert [(v.rule_id, v.option_id) for v in broken] == [("no_leaf_on_long_tables", "length")]
    assert broken[0].message == "An extension leaf is only available for tables up to 200 cm."


# --- malformed catalogs ----------------------------------------------------------------


def test_invalid_yaml_names_the_file_and_the_line(tmp_path):
    path = tmp_path / "shop_catalog.yml"
    path.write_text("products:\n  - id: oak_table\n    name: [unclosed\n", encoding="utf-8")
    message = load_error(path)
    assert_mentions(message, [str(path), "not valid YAML", "line 3"])


def test_invalid_yaml_does_not_call_the_file_unicode_string(tmp_path):
    path = tmp_path / "shop_catalog.yml"
    path.write_text("products:\n  - id: oak_table\n    name: [unclosed\n", encoding="utf-8")
    assert "<unicode string>" not in load_error(path)


def test_missing_file_names_the_file(tmp_path):
    path = tmp_path / "nowhere.yml"
    assert_mentions(load_error(path), [str(path), "cannot read"])


def _drop(key: str, where: Callable[[Dict[str, Any]], Dict[str, Any]] = lambda raw: raw) -> Mutation:
    return lambda raw: where(raw).pop(key)


def _set(key: str, value: Any, where: Callable[[Dict[str, Any]], Dict[str, Any]] = lambda raw: raw) -> Mutation:
    def mutate(raw: Dict[str, Any]) -> None:
        where(raw)[key] = value
    return mutate


def _choice(raw):
    return option(raw, "finish")


def _length(raw):
    return option(raw, "length")


def _engraving(raw):
    return option(raw, "engraving")


def _rule(raw):
    return product(raw)["rules"][0]


def _duplicate_product(raw):
    raw["products"].append(copy.deepcopy(product(raw)))


def _duplicate_value_id(raw):
    _choice(raw)["values"][1]["id"] = "oiled"


def _no_min_max(raw):
    _length(raw).pop("min")
    _length(raw).pop("max")


def _frame_value_without_by(raw):
    product(raw)["derived"][0]["values"][1]["attributes"] = {}


# Each case: how to break the oak table, and what the message must contain besides the
# file name. The product id is always there; the option (or rule, derived part) where
# there is one; then words that say the problem.
MALFORMED = [
    pytest.param(_drop("products"), ["needs a 'products' list"], id="missing-products"),
    pytest.param(_set("options", [], product), ["product 'oak_table'", "options"], id="product-without-options"),
    pytest.param(_drop("options", product), ["product 'oak_table'", "options", "required"], id="product-options-key-missing"),
    pytest.param(_set("values", [], _choice), ["product 'oak_table'", "option 'finish'", "at least one value"],
                 id="choice-without-values"),
    pytest.param(_drop("values", _choice), ["product 'oak_table'", "option 'finish'", "at least one value"],
                 id="choice-values-key-missing"),
    pytest.param(_duplicate_value_id, ["product 'oak_table'", "option 'finish'", "duplicate value ids", "oiled"],
                 id="duplicate-value-ids"),
    pytest.param(_no_min_max, ["product 'oak_table'", "option 'length'", "needs min and max"], id="number-without-min-max"),
    pytest.param(_drop("max", _length), ["product 'oak_table'", "option 'length'", "needs min and max"],
                 id="number-without-max"),
    pytest.param(_set("min", 300, _length), ["product 'oak_table'", "option 'length'", "min is greater than max"],
                 id="min-greater-than-max"),
    pytest.param(_set("accept_units", ["cm", "wibbles"], _length),
                 ["product 'oak_table'", "option 'length'", "unknown unit 'wibbles'"], id="unknown-unit"),
    # pint knows furlongs and parsecs: their ratio is a pure number, not a length.
    pytest.param(_set("accept_units", ["cm", "furlongs per parsec"], _length),
                 ["product 'oak_table'", "option 'length'", "'furlongs per parsec'", "cannot be converted to 'cm'"],
                 id="nonsense-unit"),
    pytest.param(_set("accept_units", ["cm", "kg"], _length),
                 ["product 'oak_table'", "option 'length'", "'kg'", "cannot be converted to 'cm'"], id="incompatible-unit"),
    pytest.param(_set("pattern", "^[A-Z{1,3}$", _engraving),
                 ["product 'oak_table'", "option 'engraving'", "pattern is not a valid regular expression"],
                 id="bad-regex"),
    pytest.param(_set("then", "lenght > 200", _rule),
                 ["product 'oak_table'", "rule 'no_leaf_on_long_tables'", "unknown names: lenght"],
                 id="rule-unknown-option"),
    pytest.param(_set("then", "length >> > 200", _rule),
                 ["product 'oak_table'", "rule 'no_leaf_on_long_tables'", "not a valid expression"],
                 id="rule-syntax-error"),
    pytest.param(_set("needed", "lenght", lambda raw: product(raw)["derived"][0]),
                 ["product 'oak_table'", "derived part 'frame'", "unknown names: lenght"], id="derived-unknown-option"),
    pytest.param(_frame_value_without_by,
                 ["product 'oak_table'", "derived part 'frame'", "'reinforced_frame'", "'max_length'"],
                 id="derived-value-without-by-attribute"),
    pytest.param(_set("pricing", {"multiply_by": "quantity"}, product),
                 ["product 'oak_table'", "pricing.multiply_by", "unknown option 'quantity'"], id="multiply-by-unknown"),
    pytest.param(_set("pricing", {"multiply_by": "finish"}, product),
                 ["product 'oak_table'", "pricing.multiply_by", "number option"], id="multiply-by-choice"),
    pytest.param(_set("pricing", {"lines": [{"label": "Top", "amount": "lenght * 2"}]}, product),
                 ["product 'oak_table'", "price line 'Top'", "unknown names: lenght"], id="price-line-unknown-option"),
    pytest.param(_duplicate_product, ["duplicate product ids", "oak_table"], id="duplicate-product-ids"),
    pytest.param(_set("pirce", 5, product), ["product 'oak_table'", "pirce", "not permitted"], id="unknown-product-field"),
    pytest.param(_set("pirce", 5, _engraving), ["product 'oak_table'", "option 'engraving'", "pirce", "not permitted"],
                 id="unknown-option-field"),
    pytest.param(_set("pirce", 5, lambda raw: _choice(raw)["values"][1]),
                 ["product 'oak_table'", "option 'finish'", "value 'waxed'", "pirce", "not permitted"],
                 id="unknown-value-field"),
    pytest.param(_set("id", "finish", _length), ["product 'oak_table'", "duplicate", "finish"], id="duplicate-option-ids"),
    pytest.param(_set("kind", "multiple", _choice), ["product 'oak_table'", "option 'finish'", "kind", "'choice'"],
                 id="unknown-option-kind"),
    pytest.param(lambda raw: [v.update(in_stock=False) for v in _choice(raw)["values"]],
                 ["product 'oak_table'", "option 'finish'", "out of stock"], id="every-value-out-of-stock"),
    pytest.param(_set("id", "product", _length), ["product 'oak_table'", "option 'product'", "reserved"],
                 id="reserved-option-id"),
    # Beyond the brief's list: mistakes a schema check could catch but load_catalog does not.
    pytest.param(_set("products", []), ["products", "at least"], id="empty-products-list"),
    pytest.param(lambda raw: product(raw)["rules"].append(
                     {"id": "glossy", "kind": "limit", "check": "finish.glossiness > 1", "message": "Too glossy."}),
                 ["product 'oak_table'", "rule 'glossy'", "glossiness"], id="rule-unknown-attribute"),
    pytest.param(lambda raw: product(raw)["rules"].append(
                     {"id": "lacquer_short", "kind": "requires", "if": "finish == 'lacqured'",
                      "then": "length <= 200", "message": "Lacquered tables are up to 200 cm."}),
                 ["product 'oak_table'", "rule 'lacquer_short'", "lacqured"], id="rule-unknown-value-id"),
    # The shop's knowledge: FAQ entries, uses of values, help on options.
    pytest.param(_set("shop", {"faq": [{"id": "pay", "questions": [], "answer": "By card."}]}),
                 ["shop", "faq entry 'pay'", "questions", "at least 1"], id="faq-without-questions"),
    pytest.param(_set("shop", {"faq": [{"id": "pay", "questions": ["How do I pay?"]}]}),
                 ["shop", "faq entry 'pay'", "answer", "required"], id="faq-without-answer"),
    pytest.param(_set("shop", {"faq": [{"id": "pay", "questions": ["  "], "answer": "By card."}]}),
                 ["shop", "faq entry 'pay'", "questions", "not empty"], id="faq-empty-question"),
    pytest.param(_set("shop", {"faq": [{"id": "pay", "questions": ["How?"], "answer": "Card."},
                                       {"id": "pay", "questions": ["When?"], "answer": "Later."}]}),
                 ["shop", "faq", "duplicate faq ids: pay"], id="faq-duplicate-ids"),
    pytest.param(_set("shop", {"faq": [{"id": "pay", "question": "How?", "answer": "Card."}]}),
                 ["shop", "faq entry 'pay'", "questions", "required"], id="faq-typo-question-for-questions"),
    pytest.param(_set("uses", ["dining", ""], lambda raw: _choice(raw)["values"][1]),
                 ["product 'oak_table'", "option 'finish'", "value 'waxed'", "uses", "not empty"], id="value-empty-use"),
    pytest.param(_set("halp", "Measure it.", _length), ["product 'oak_table'", "option 'length'", "halp", "not permitted"],
                 id="option-help-typo"),
]


@pytest.mark.parametrize("mutate, fragments", MALFORMED)
def test_malformed_catalog_says_where_and_what(tmp_path, mutate, fragments):
    path = write_catalog(tmp_path, mutate)
    message = load_error(path)
    assert_mentions(message, [str(path), *fragments])


def test_demo_catalog_carries_the_shops_knowledge(demo):
    """FAQ entries, help on every measurement and uses on the values advice is given from."""
    faq = {entry.id: entry for entry in demo.shop.faq}
    assert {"payment", "vat", "warranty", "returns", "delivery_cost"} <= faq.keys()
    assert all(len(entry.questions) >= 2 and entry.answer for entry in faq.values())
    shirt = demo.product("tailored_shirt")
    measured = [o for o in shirt.options if o.kind == "number" and o.unit == "cm"]
    assert measured and all(o.help for o in measured)
    assert "shoulder seam" in shirt.option("sleeve_length").help
    assert demo.product("conveyor").option("load").help
    graphics = demo.product("custom_pc").option("graphics")
    assert "video editing" in graphics.value("rtx_4070_super").uses


def test_knowledge_fields_are_optional(tmp_path):
    """A catalog without faq, help or uses loads as before (older catalogs keep working)."""
    catalog = load_catalog(write_catalog(tmp_path, lambda raw: None))
    assert catalog.shop.faq == []
    assert all(not o.help for p in catalog.products for o in p.options)
    assert all(not v.uses for p in catalog.products for o in p.options for v in o.values)


def test_unknown_field_typo_message_names_the_field_not_python(tmp_path):
    path = write_catalog(tmp_path, _set("pirce", 5, lambda raw: _choice(raw)["values"][1]))
    message = load_error(path)
    assert "Traceback" not in message and "ValidationError" not in message
    assert message.count("\n") == 0


def test_empty_file_names_what_is_missing(tmp_path):
    path = tmp_path / "shop_catalog.yml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert_mentions(load_error(path), [str(path), "products"])
