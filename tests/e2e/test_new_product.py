"""A fourth product is a catalog edit only: no Python, domain or training-data change,
and the same trained model takes orders for it. The conversation also survives a restart
of the servers (SQL tracker store)."""

from __future__ import annotations

from pathlib import Path
from typing import List

import requests
import yaml

from tests.support.replies import texts
from bot.local import DEMO_CATALOG, BotServers

OAK_TABLE = {
    "id": "oak_table",
    "name": "Oak dining table",
    "description": "A solid oak dining table made to your size.",
    "synonyms": ["table", "dining table", "oak table", "kitchen table"],
    "lead_time_days": 20,
    "base_price": 400,
    "base_price_label": "Workshop and finishing",
    "options": [
        {"id": "table_length", "name": "Table length", "kind": "number", "unit": "cm", "min": 120, "max": 300,
         "decimals": 0, "accept_units": ["cm", "m", "in", "ft"], "question": "How long should the table be?"},
        {"id": "finish", "name": "Finish", "kind": "choice", "question": "Which finish?", "values": [
            {"id": "oiled", "name": "Natural oil", "price": 0, "synonyms": ["oil", "oiled"]},
            {"id": "dark_stain", "name": "Dark stain", "price": 80, "synonyms": ["dark", "stained"]},
        ]},
        {"id": "extendable", "name": "Extension leaf", "kind": "yesno", "price": 250,
         "question": "Should it have an extension leaf?"},
        {"id": "engraving", "name": "Engraving", "kind": "text", "optional": True, "pattern": "^[A-Za-z ]{1,20}$",
         "example": "The Millers", "price": 30, "question": "Any engraving (up to 20 letters)? Say none if not."},
    ],
    "rules": [
        {"id": "leaf_needs_length", "kind": "requires", "if": "extendable", "then": "table_length >= 160",
         "message": "An extension leaf needs a table of at least 160 cm."},
    ],
    "pricing": {"lines": [
        {"label": "Oak top, {table_length} cm", "amount": "table_length * 4"},
        {"label": "Finish: {finish.name}", "amount": "finish.price"},
        {"label": "Extension leaf", "amount": "250 if extendable else 0"},
        {"label": "Engraving", "amount": "30 if engraving else 0"},
    ]},
}


def served_model(servers: BotServers) -> str:
    """The file name of the model Rasa has loaded."""
    status = requests.get(f"{servers.url}/status", params={"token": servers.token}, timeout=30)
    status.raise_for_status()
    return Path(status.json()["model_file"]).name


def test_a_fourth_product_is_ordered_by_chat_after_a_catalog_edit(trained_model, tmp_path):
    trained = (trained_model.stat().st_mtime_ns, trained_model.stat().st_size)
    served: List[str] = []
    catalog = yaml.safe_load(DEMO_CATALOG.read_text())
    catalog["products"].append(OAK_TABLE)
    catalog_file = tmp_path / "catalog.yml"
    catalog_file.write_text(yaml.safe_dump(catalog, sort_keys=False))

    servers = BotServers(tmp_path / "data", catalog=catalog_file).start()
    sender = "test-oak-table"
    try:
        served.append(served_model(servers))
        replies = servers.converse(sender, ["hello", "I'd like an oak dining table", "1.5 m", "dark", "yes"])
        assert "Oak dining table" in [b["title"] for b in replies[0][0]["buttons"]]
        assert "at least 160 cm" in texts(replies[-1])
        servers.say(sender, "no")
    finally:
        servers.stop()

    # Same data folder, new processes: the half-filled order is still there.
    servers = BotServers(tmp_path / "data", catalog=catalog_file).start()
    try:
        served.append(served_model(servers))
        replies = servers.converse(sender, ["The Millers"])
        summary = texts(replies[-1])
        assert "Table length: 150 cm" in summary and "Extension leaf: no" in summary
        # 400 + 150 x 4 + 80 + 0 + 30
        assert "Total: €1,110.00" in summary
        done = texts(servers.converse(sender, ["yes", "Eva Miller", "eva@example.org", "Lindenallee 4, 50667 Köln"])[-1])
        [order] = servers.orders_of(sender)
    finally:
        servers.stop()
    assert order["number"] in done
    assert order["product_id"] == "oak_table"
    assert order["options"] == {"table_length": 150, "finish": "dark_stain", "extendable": False, "engraving": "The Millers"}
    assert order["total"] == "1110.00"
    assert order["lead_time_days"] == 20
    # A new product needs no new model: both runs served the model trained for the repository's
    # data before the catalog edit, and that file was not trained again.
    assert served == [trained_model.name, trained_model.name]
    assert (trained_model.stat().st_mtime_ns, trained_model.stat().st_size) == trained
