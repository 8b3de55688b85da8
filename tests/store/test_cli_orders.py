"""`bespoke orders` (table and --json) never lets what a customer typed reach the staff's
terminal as a control sequence: ESC, CSI, a bidi override are written as escapes, and the
JSON stays valid and reads back the same text."""

from __future__ import annotations

import json

from sqlalchemy import update

from bot.cli import main
from bot.store.models import Order
from bot.store.orders import OrderStore
from tests.support.orders import new_order

NASTY = "Anna\x1b[2J\x1b]0;pwned\x07\x9b31m\u202eSchmidt\nsecond line"


def stored_with_nasty_name(monkeypatch, tmp_path) -> OrderStore:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BESPOKE_DATA_DIR", str(tmp_path))
    store = OrderStore(url)
    store.migrate()
    placed = store.place_order(new_order())
    with store.sessions.begin() as session:  # stored before the store cleaned text
        session.execute(update(Order).where(Order.number == placed["number"]).values(customer_name=NASTY))
    return store


def test_the_orders_table_escapes_control_characters(monkeypatch, tmp_path, capsys):
    stored_with_nasty_name(monkeypatch, tmp_path).dispose()
    assert main(["orders"]) == 0
    out = capsys.readouterr().out
    assert "Anna\\u001b[2J\\u001b]0;pwned\\u0007\\u009b31m\\u202eSchmidt second line" in out
    assert not any(ord(ch) < 0x20 and ch != "\n" or 0x7F <= ord(ch) <= 0x9F or ch == "\u202e" for ch in out)
    assert out.count("\n") == 1  # one order, one line


def test_the_orders_json_escapes_them_and_reads_back_the_same(monkeypatch, tmp_path, capsys):
    stored_with_nasty_name(monkeypatch, tmp_path).dispose()
    assert main(["orders", "--json"]) == 0
    out = capsys.readouterr().out
    assert not any(ord(ch) < 0x20 and ch not in "\n " or 0x7F <= ord(ch) <= 0x9F or ch == "\u202e" for ch in out)
    [order] = json.loads(out)
    assert order["customer_name"] == NASTY
