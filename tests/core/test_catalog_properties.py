"""Property tests of the catalog loader (issue 11): whatever a shop owner's file holds (any
YAML text, any structure, the small valid catalog with any one part replaced by anything),
load_catalog either loads it or raises its own CatalogError naming the file, never another
exception; and valid catalogs generated from parts load as written and round-trip (the
loaded catalog written out again loads to the same catalog).

Bounded: a few hundred examples in all, no deadline (loaded machines)."""

from __future__ import annotations

import copy
import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, List

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.catalog import RESERVED_OPTION_IDS, Catalog, CatalogError, load_catalog
from bot.local import ROOT

OAK_TABLE = ROOT / "tests" / "fixtures" / "catalogs" / "oak_table.yml"
BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def load_text(folder: Path, text: str) -> Any:
    """load_catalog on a file holding `text`: the catalog, or the CatalogError (anything else raises)."""
    path = folder / "catalog.yml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        return load_catalog(path)
    except CatalogError as error:
        assert str(path) in str(error)  # it names the file
        return error


def dumped(raw: Any) -> str:
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


# --- anything ---------------------------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10 ** 40), max_value=10 ** 40),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["", " ", "cm", "m/0", "(", "m)", "1e999", "nan", "-1", "a\x00b", "{}", "{x!z}", "length > 1",
                     "cpu.socket == 'AM5'", "__import__('os')", "EUR", "DE", "choice", "number", "yesno", "text"]),
)
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.text(max_size=12), st.integers()), inner, max_size=4)),
    max_leaves=12,
)


@BOUNDED
@given(text=st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(["products:", "\n", "  - ", "id: x", "{", "}", "[", "]", ": ", "&a", "*a", "!!binary",
                              "!!python/object:os.system", "2026-13-45", "\t", "'", '"', "---", "...", "? ",
                              "options: []", ".nan", ".inf", "0x1F", "~"]), max_size=40).map("".join),
))
def test_any_text_loads_or_raises_catalog_error(folder, text):
    load_text(folder, text)


@BOUNDED
@given(raw=structures)
def test_any_structure_loads_or_raises_catalog_error(folder, raw):
    load_text(folder, dumped(raw))
    load_text(folder, dumped({"products": raw}))
    load_text(folder, dumped({"shop": raw, "products": [yaml.safe_load(OAK_TABLE.read_text())["products"][0]]}))


def paths(node: Any, at: tuple = ()) -> List[tuple]:
    """Every place in a YAML tree (a key of a mapping, an index of a list)."""
    found = [at]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, at + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, at + (index,))
    return found


OAK_RAW = yaml.safe_load(OAK_TABLE.read_text(encoding="utf-8"))
OAK_PATHS = paths(OAK_RAW)[1:]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(OAK_PATHS), what=st.one_of(structures, st.just(KeyError)), extra=st.booleans())
def test_the_valid_catalog_with_one_part_replaced_loads_or_raises_catalog_error(folder, where, what, extra):
    raw = copy.deepcopy(OAK_RAW)
    parent = raw
    for key in where[:-1]:
        parent = parent[key]
    if what is KeyError:
        del parent[where[-1]]
    else:
        parent[where[-1]] = what
    if extra and isinstance(parent, dict):
        parent["unknown_field"] = 1
    load_text(folder, dumped(raw))


def test_the_mutations_reach_every_kind_of_mistake(folder):
    """The mutation test's own check: some of these mistakes must be refused, not all loaded
    (a loader that accepted anything would pass the tests above)."""
    product = OAK_RAW["products"][0]
    assert isinstance(load_text(folder, dumped(OAK_RAW)), Catalog)
    for where, what in [(("products", 0, "options", 1, "unit"), "m/0"), (("shop",), [1]),
                        (("products", 0, "rules", 0, "then"), "a\x00b"),
                        (("products", 0, "derived", 0, "values", 0, "attributes", "max_length"), True),
                        (("products", 0, "derived", 0, "values", 0, "attributes", "max_length"), float("nan")),
                        (("products", 0, "lead_time_days"), 10 ** 30),
                        (("products", 0, "pricing"), {"lines": [{"label": "{length!z}", "amount": "1"}]}),
                        (("products", 0, "pricing"), {"lines": [{"label": "{}", "amount": "1"}]})]:
        raw = copy.deepcopy(OAK_RAW)
        parent = raw
        for key in where[:-1]:
            parent = parent[key]
        parent[where[-1]] = what
        assert isinstance(load_text(folder, dumped(raw)), CatalogError), (where, what)
    assert product["id"] == "oak_table"
    for text in ["a: 2026-13-45\nproducts: []", "products: " + "[" * 5000 + "]" * 5000,
                 "products: " + "{a: " * 3000 + "1" + "}" * 3000]:
        assert isinstance(load_text(folder, text), CatalogError)


# --- valid catalogs from parts ----------------------------------------------------------

ids = st.from_regex(r"^[a-z][a-z0-9_]{0,10}$", fullmatch=True).filter(lambda i: i not in RESERVED_OPTION_IDS)
names = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd", "Zs")), min_size=1, max_size=20).map(
    str.strip).filter(bool)
prices = st.decimals(min_value=0, max_value=5000, places=2).map(str)


@st.composite
def choice_option(draw, option_id: str) -> dict:
    value_ids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    values = [{"id": v, "name": draw(names), "price": draw(prices), "in_stock": index == 0 or draw(st.booleans())}
              for index, v in enumerate(value_ids)]
    return {"id": option_id, "name": draw(names), "kind": "choice", "values": values}


@st.composite
def number_option(draw, option_id: str) -> dict:
    decimals = draw(st.integers(0, 2))
    low = draw(st.decimals(min_value=0, max_value=1000, places=decimals))
    high = low + draw(st.decimals(min_value=0, max_value=1000, places=decimals))
    unit = draw(st.sampled_from(["", "cm", "mm", "kg", "m"]))
    accept = {"cm": ["mm", "in"], "mm": ["cm"], "kg": ["g", "lb"], "m": ["cm"], "": []}[unit]
    return {"id": option_id, "name": draw(names), "kind": "number", "unit": unit, "min": str(low), "max": str(high),
            "decimals": decimals, "accept_units": accept}


@st.composite
def product(draw, product_id: str) -> dict:
    option_ids = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    options = []
    for option_id in option_ids:
        kind = draw(st.sampled_from(["choice", "number", "text", "yesno"]))
        if kind == "choice":
            options.append(draw(choice_option(option_id)))
        elif kind == "number":
            options.append(draw(number_option(option_id)))
        elif kind == "text":
            options.append({"id": option_id, "name": draw(names), "kind": "text", "optional": draw(st.booleans()),
                            "pattern": draw(st.sampled_from(["", "^[A-Z]{1,3}$", "^[A-Za-z ]{1,20}$"])),
                            "price": draw(prices)})
        else:
            options.append({"id": option_id, "name": draw(names), "kind": "yesno", "price": draw(prices)})
    return {"id": product_id, "name": draw(names), "lead_time_days": draw(st.integers(0, 365)),
            "currency": draw(st.sampled_from(["EUR", "USD", "GBP"])), "base_price": draw(prices), "options": options}


@st.composite
def catalog(draw) -> dict:
    product_ids = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    return {"shop": {"name": draw(names), "currency": "EUR"}, "products": [draw(product(p)) for p in product_ids]}


def number(text: Any) -> Decimal:
    return Decimal(str(text))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=catalog())
def test_valid_catalogs_from_parts_load_as_written_and_round_trip(folder, raw):
    loaded = load_text(folder, dumped(raw))
    assert isinstance(loaded, Catalog), loaded
    assert loaded.shop.name == raw["shop"]["name"]
    for written, read in zip(raw["products"], loaded.products, strict=True):
        assert (read.id, read.name, read.lead_time_days, read.currency) == (
            written["id"], written["name"], written["lead_time_days"], written["currency"])
        assert read.base_price == number(written["base_price"])
        for option, got in zip(written["options"], read.options, strict=True):
            assert (got.id, got.name, got.kind) == (option["id"], option["name"], option["kind"])
            if option["kind"] == "choice":
                assert [(v.id, v.name, v.price, v.in_stock) for v in got.values] == [
                    (v["id"], v["name"], number(v["price"]), v["in_stock"]) for v in option["values"]]
            elif option["kind"] == "number":
                assert (got.min, got.max, got.decimals, got.unit) == (
                    number(option["min"]), number(option["max"]), option["decimals"], option["unit"])
            else:
                assert got.price == number(option["price"])
    # Written out again (Decimal as text, as a shop would write it) it loads to the same catalog.
    again = json.loads(json.dumps(loaded.dict(by_alias=True), default=str))
    assert load_text(folder, dumped(again)) == loaded


@pytest.mark.parametrize("text", ["?\nproducts:", "products:\n- {1: x}", "products: []\n2: x"])
def test_a_key_that_is_not_a_name_is_a_catalog_error(tmp_path, text):
    path = tmp_path / "catalog.yml"
    path.write_text(text)
    with pytest.raises(CatalogError, match="every key must be a name"):
        load_catalog(path)
