"""A product the catalog marks quote_only (issue 14 item 2): never an instant price, always a
quote request for staff, its price lines still worked out; the flag is read from YAML."""

from __future__ import annotations

import yaml

from bot.core.amend import order_fields
from bot.core.catalog import load_catalog
from bot.core.placement import check_order
from bot.core.pricing import quote
from bot.core.wording import place_question, summary_text
from bot.local import DEMO_CATALOG
from tests.support.trackers import FULL_PC


def quote_only_pc(tmp_path):
    data = yaml.safe_load(DEMO_CATALOG.read_text())
    pc = next(product for product in data["products"] if product["id"] == "custom_pc")
    pc["quote_only"] = True
    path = tmp_path / "catalog.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return load_catalog(path).find_product("custom_pc")


def test_a_quote_only_product_is_a_quote_request(tmp_path, demo_catalog):
    assert demo_catalog.find_product("custom_pc").quote_only is False
    product = quote_only_pc(tmp_path)
    assert check_order(product, FULL_PC) == []
    priced = quote(product, FULL_PC)
    assert priced.total is None and priced.is_quote_request
    assert priced.lines and "priced by our team" in priced.notes[-1]
    assert place_question(priced) == "Shall I send this quote request?"
    assert "priced by our team" in summary_text(product, FULL_PC, priced)
    fields = order_fields(product, FULL_PC)
    assert (fields.kind, fields.total) == ("quote_request", None)
