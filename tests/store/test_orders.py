"""The order store against SQLite (a temporary file) and PostgreSQL (a schema per test).

PostgreSQL: $BESPOKE_TEST_POSTGRES_URL or postgresql+psycopg2://postgres@127.0.0.1:5432/test;
the PostgreSQL cases are skipped when that server cannot be reached (they fail under CI=true).
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.orders import new_order
from sqlalchemy import create_engine, func, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from bot import settings
from bot.store import orders as store
import bot.store.tables  # noqa: F401,E402 - the staff tables: every table the migrations make is in the metadata
from bot.store.orders import (
    ConversationFlag,
    FlagNotFoundError,
    Order,
    OrderNotCancellableError,
    OrderNotFoundError,
    OrderNotYoursError,
    OrderStatusChange,
    OrderStore,
    OrderStoreError,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"^BSP-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$")


def count_orders(order_store: OrderStore) -> int:
    with order_store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Order))


# ---------------------------------------------------------------------------- schema


def test_migrate_creates_tables_with_named_constraints(order_store):
    inspector = inspect(order_store.engine)
    assert {"orders", "order_status_changes", "conversation_flags", "alembic_version"} <= set(
        inspector.get_table_names()
    )
    assert {c["name"] for c in inspector.get_unique_constraints("orders")} == {"uq_orders_number", "uq_orders_draft_id"}
    indexes = {i["name"] for i in inspector.get_indexes("orders") if not i.get("duplicates_constraint")}
    assert "ix_orders_conversation_id" in indexes
    assert [fk["name"] for fk in inspector.get_foreign_keys("order_status_changes")] == [
        "fk_order_status_changes_order_id_orders"
    ]
    assert inspector.get_pk_constraint("conversation_flags")["name"] == "pk_conversation_flags"
    flag_indexes = {i["name"]: i for i in inspector.get_indexes("conversation_flags")}
    assert set(flag_indexes) == {"ix_conversation_flags_conversation_id", "ix_conversation_flags_open_reason"}
    assert flag_indexes["ix_conversation_flags_open_reason"]["unique"]
    assert flag_indexes["ix_conversation_flags_open_reason"]["column_names"] == ["conversation_id", "reason"]
    assert {c["name"]: c["nullable"] for c in inspector.get_columns("conversation_flags")} == {
        "id": False, "conversation_id": False, "reason": False, "raised_at": False,
        "resolved_at": True, "resolved_by": True,
    }
    order_store.migrate()  # a second run is a no-op
    with order_store.engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == "0008"  # one head


def test_models_match_migrations(order_store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with order_store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, store.metadata) == []


def test_models_match_migrations_after_downgrade_and_upgrade(order_store):
    """0002 goes down cleanly (orders kept) and up again to the schema of the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    placed = order_store.place_order(new_order())
    order_store.flag_conversation("conversation-1", "customer asked for a person")
    _alembic(order_store, "downgrade", "0001")
    inspector = inspect(order_store.engine)
    assert "conversation_flags" not in inspector.get_table_names()
    with order_store.engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == "0001"
    assert order_store.get(placed["number"]) == placed

    order_store.migrate()
    assert order_store.open_flags() == []
    with order_store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, store.metadata) == []


def test_migrate_leaves_application_logging_alone(database_url):
    logger = logging.getLogger("bespoke.test_store")
    root_handlers = list(logging.getLogger().handlers)
    order_store = OrderStore(database_url)
    try:
        order_store.migrate()
    finally:
        order_store.dispose()
    assert not logger.disabled
    assert logging.getLogger().handlers == root_handlers


def test_alembic_command_line_upgrade(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(REPO_ROOT / "alembic.ini"), "upgrade", "head"],
        cwd=tmp_path, env=env, check=True, capture_output=True,
    )
    engine = create_engine(env["DATABASE_URL"], future=True)
    assert {"orders", "order_status_changes", "conversation_flags"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_store_module_does_not_import_rasa():
    code = "import sys, bot.store.orders; sys.exit(any(m.split('.')[0] in ('rasa', 'rasa_sdk') for m in sys.modules))"
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


# ---------------------------------------------------------------------------- placing


def test_place_and_get_round_trip(order_store):
    placed = order_store.place_order(new_order())
    assert NUMBER.match(placed["number"])
    assert placed["total"] == "1234.50"
    assert placed["status"] == "received"
    assert placed["price_lines"] == [
        {"label": "Base price", "amount": "1000.00"},
        {"label": "Length: 180 cm", "amount": "84.40"},
        {"label": "Table top: Top up to 200 cm", "amount": "150.10"},
    ]
    assert placed["derived_parts"][0]["price"] == "150.10"
    assert [(h["status"], h["changed_by"], h["reason"]) for h in placed["status_history"]] == [
        ("received", "customer", None)
    ]

    fetched = order_store.get(placed["number"])
    assert fetched == placed
    assert order_store.get(placed["number"].lower() + " ") == placed  # as a customer may type it
    assert fetched["options"] == {"length": 180, "finish": "oiled", "legs": "tapered"}
    assert fetched["customer_address"] == "12 Analytical Row\nLondon"
    assert fetched["conversation_id"] == "conversation-1"
    assert order_store.get("BSP-XXXXXX") is None

    with order_store._session_factory() as session:
        order = session.scalars(select(Order).where(Order.number == placed["number"])).one()
        assert order.total == Decimal("1234.50") and isinstance(order.total, Decimal)
        assert order.created_at.tzinfo is not None and order.created_at.utcoffset().total_seconds() == 0
        assert order.created_at.tzinfo == timezone.utc


@pytest.mark.parametrize("total", ["0.01", "9999999999.99", "0.10", "123456789.07"])
def test_total_is_exact(order_store, total):
    placed = order_store.place_order(new_order(total=Decimal(total), price_lines=[{"label": "All", "amount": Decimal(total)}]))
    assert order_store.get(placed["number"])["total"] == total
    with order_store._session_factory() as session:
        assert session.scalars(select(Order.total)).one() == Decimal(total)


def test_place_is_idempotent_on_draft_id(order_store):
    draft = new_order()
    first = order_store.place_order(draft)
    second = order_store.place_order(draft)
    assert second["number"] == first["number"]
    assert second == first
    assert count_orders(order_store) == 1
    with order_store.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(OrderStatusChange)) == 1


def test_place_is_idempotent_under_a_race(order_store, monkeypatch):
    """Another worker stores the same draft between our look-up and our insert."""
    draft = new_order()
    other_worker = OrderStore(order_store.url)
    theirs = other_worker.place_order(draft)
    other_worker.dispose()
    monkeypatch.setattr(order_store, "_find_by_draft_id", _none_once(order_store._find_by_draft_id))
    ours = order_store.place_order(draft)
    assert ours["number"] == theirs["number"]
    assert count_orders(order_store) == 1


def test_place_is_idempotent_with_concurrent_workers(order_store):
    draft = new_order()
    workers = [OrderStore(order_store.url) for _ in range(6)]
    barrier = threading.Barrier(len(workers))

    def place(worker):
        barrier.wait()
        return worker.place_order(draft)["number"]

    try:
        with ThreadPoolExecutor(len(workers)) as pool:
            numbers = set(pool.map(place, workers))
    finally:
        for worker in workers:
            worker.dispose()
    assert len(numbers) == 1
    assert count_orders(order_store) == 1


def test_number_collision_is_retried(order_store, monkeypatch):
    taken = order_store.place_order(new_order())["number"]
    numbers = iter([taken, taken, "BSP-22222Z"])
    monkeypatch.setattr(store, "new_order_number", lambda: next(numbers))
    placed = order_store.place_order(new_order())
    assert placed["number"] == "BSP-22222Z"
    assert count_orders(order_store) == 2


def test_number_collisions_give_up(order_store, monkeypatch):
    taken = order_store.place_order(new_order())["number"]
    monkeypatch.setattr(store, "new_order_number", lambda: taken)
    with pytest.raises(OrderStoreError, match="no free order number"):
        order_store.place_order(new_order())


def test_different_drafts_get_different_numbers(order_store):
    numbers = {order_store.place_order(new_order())["number"] for _ in range(5)}
    assert len(numbers) == 5
    assert all(NUMBER.match(number) for number in numbers)
    assert count_orders(order_store) == 5


def test_quote_request_without_total(order_store):
    placed = order_store.place_order(new_order(kind="quote_request", total=None, price_lines=[]))
    assert placed["kind"] == "quote_request"
    assert placed["total"] is None
    assert order_store.get(placed["number"])["total"] is None


def test_invalid_input_is_refused(order_store):
    with pytest.raises(ValueError, match="needs a total"):
        new_order(total=None)
    with pytest.raises(TypeError, match="Decimal"):
        new_order(total=1234.5)
    with pytest.raises(ValueError, match="kind"):
        new_order(kind="wish")
    with pytest.raises(ValueError, match="whole number of cents"):
        order_store.place_order(new_order(total=Decimal("10.005")))
    with pytest.raises(TypeError, match="float"):
        order_store.place_order(new_order(price_lines=[{"label": "Base", "amount": 10.5}]))
    with pytest.raises(TypeError, match="JSON"):
        order_store.place_order(new_order(options={"when": object()}))
    assert count_orders(order_store) == 0


# ---------------------------------------------------------------------------- reading


def test_all_orders_in_order_and_json_ready(order_store):
    placed = [
        order_store.place_order(new_order(conversation_id="a")),
        order_store.place_order(new_order(conversation_id="b", kind="quote_request", total=None)),
        order_store.place_order(new_order(conversation_id="a")),
    ]
    everything = order_store.all_orders()
    assert [o["number"] for o in everything] == [o["number"] for o in placed]
    assert json.loads(json.dumps(everything)) == everything
    assert [o["number"] for o in order_store.orders_for_conversation("a")] == [placed[0]["number"], placed[2]["number"]]
    assert order_store.orders_for_conversation("nobody") == []
    for order in everything:
        assert order["created_at"].endswith("+00:00") and order["updated_at"].endswith("+00:00")
        assert set(order) >= {
            "number", "kind", "product_id", "product_name", "options", "option_details", "derived_parts",
            "price_lines", "total", "currency", "lead_time_days", "customer_name", "customer_email",
            "customer_address", "status", "conversation_id", "created_at", "updated_at", "status_history",
        }


# ---------------------------------------------------------------------------- cancelling


def test_cancel_records_history(order_store):
    placed = order_store.place_order(new_order())
    cancelled = order_store.cancel(placed["number"], "conversation-1", "changed my mind")
    assert cancelled["status"] == "cancelled"
    assert cancelled["updated_at"] >= placed["updated_at"]
    assert [(h["status"], h["changed_by"], h["reason"]) for h in cancelled["status_history"]] == [
        ("received", "customer", None),
        ("cancelled", "customer", "changed my mind"),
    ]
    assert order_store.get(placed["number"]) == cancelled
    with pytest.raises(OrderNotCancellableError) as raised:
        order_store.cancel(placed["number"], "conversation-1", "again")
    assert raised.value.status == "cancelled"
    assert len(order_store.get(placed["number"])["status_history"]) == 2


def test_cancel_only_from_the_same_conversation(order_store):
    placed = order_store.place_order(new_order())
    with pytest.raises(OrderNotYoursError):
        order_store.cancel(placed["number"], "someone-else", None)
    with pytest.raises(OrderNotFoundError):
        order_store.cancel("BSP-XXXXXX", "conversation-1", None)
    after = order_store.get(placed["number"])
    assert after["status"] == "received" and len(after["status_history"]) == 1


def test_cancel_only_while_received(order_store):
    placed = order_store.place_order(new_order())
    with order_store._session_factory.begin() as session:
        session.execute(update(Order).where(Order.number == placed["number"]).values(status="in_production"))
    with pytest.raises(OrderNotCancellableError, match="in_production"):
        order_store.cancel(placed["number"], "conversation-1", None)
    assert order_store.get(placed["number"])["status"] == "in_production"


# ---------------------------------------------------------------------------- conversation flags

ASKED = "customer asked for a person"
STUCK = "stuck at 'neck' after 3 tries"


def count_flags(order_store: OrderStore) -> int:
    with order_store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(ConversationFlag))


def test_flag_is_json_ready(order_store):
    flag = order_store.flag_conversation("conversation-1", ASKED)
    assert isinstance(flag["id"], int)
    assert flag == {
        "id": flag["id"], "conversation_id": "conversation-1", "reason": ASKED,
        "raised_at": flag["raised_at"], "resolved_at": None, "resolved_by": None,
    }
    assert flag["raised_at"].endswith("+00:00")
    assert json.loads(json.dumps(flag)) == flag
    resolved = order_store.resolve_flag(flag["id"], "Grace")
    assert resolved["resolved_by"] == "Grace"
    assert resolved["resolved_at"].endswith("+00:00") and resolved["resolved_at"] >= resolved["raised_at"]
    assert json.loads(json.dumps(resolved)) == resolved
    with order_store._session_factory() as session:
        stored = session.get(ConversationFlag, flag["id"])
        assert stored.raised_at.tzinfo == timezone.utc and stored.resolved_at.tzinfo == timezone.utc


def test_flagging_twice_with_the_same_reason_is_one_open_flag(order_store):
    first = order_store.flag_conversation("conversation-1", ASKED)
    assert order_store.flag_conversation("conversation-1", ASKED) == first
    assert order_store.flag_conversation("conversation-1", f"  {ASKED}\n") == first  # surrounding blanks ignored
    assert order_store.open_flags() == [first]
    assert count_flags(order_store) == 1


def test_a_different_reason_is_a_second_flag(order_store):
    asked = order_store.flag_conversation("conversation-1", ASKED)
    stuck = order_store.flag_conversation("conversation-1", STUCK)
    elsewhere = order_store.flag_conversation("conversation-2", ASKED)  # same reason, other conversation
    assert len({asked["id"], stuck["id"], elsewhere["id"]}) == 3
    assert order_store.open_flags() == [asked, stuck, elsewhere]


def test_resolve_then_flag_again_is_a_new_flag(order_store):
    first = order_store.flag_conversation("conversation-1", ASKED)
    resolved = order_store.resolve_flag(first["id"], "Grace")
    again = order_store.flag_conversation("conversation-1", ASKED)
    assert again["id"] != first["id"]
    assert again["resolved_at"] is None and again["resolved_by"] is None
    assert order_store.flag_conversation("conversation-1", ASKED) == again
    assert order_store.flags_for("conversation-1") == [resolved, again]
    assert order_store.open_flags() == [again]


def test_open_flags_exclude_resolved_ones_oldest_first(order_store):
    a = order_store.flag_conversation("a", ASKED)
    b = order_store.flag_conversation("b", ASKED)
    c = order_store.flag_conversation("c", STUCK)
    d = order_store.flag_conversation("d", STUCK)
    # c was raised first of all: the order is by time raised, not by id.
    with order_store._session_factory.begin() as session:
        session.execute(
            update(ConversationFlag)
            .where(ConversationFlag.id == c["id"])
            .values(raised_at=store.utcnow() - timedelta(hours=1))
        )
    order_store.resolve_flag(b["id"], "Grace")
    assert [f["id"] for f in order_store.open_flags()] == [c["id"], a["id"], d["id"]]
    assert all(f["resolved_at"] is None for f in order_store.open_flags())
    for flag in (a, c, d):
        order_store.resolve_flag(flag["id"], "Grace")
    assert order_store.open_flags() == []


def test_flags_for_filters_by_conversation(order_store):
    asked = order_store.flag_conversation("conversation-1", ASKED)
    order_store.flag_conversation("conversation-2", ASKED)
    stuck = order_store.flag_conversation("conversation-1", STUCK)
    asked = order_store.resolve_flag(asked["id"], "Grace")
    assert order_store.flags_for("conversation-1") == [asked, stuck]  # resolved ones too
    assert [f["conversation_id"] for f in order_store.flags_for("conversation-2")] == ["conversation-2"]
    assert order_store.flags_for("nobody") == []


def test_resolve_unknown_flag_raises(order_store):
    with pytest.raises(FlagNotFoundError, match="no conversation flag 4242") as raised:
        order_store.resolve_flag(4242, "Grace")
    assert isinstance(raised.value, OrderStoreError) and isinstance(raised.value, LookupError)
    assert raised.value.flag_id == 4242


def test_resolve_twice_keeps_the_first_resolution(order_store):
    flag = order_store.flag_conversation("conversation-1", ASKED)
    first = order_store.resolve_flag(flag["id"], "Grace")
    assert order_store.resolve_flag(flag["id"], "Alan") == first
    assert order_store.flags_for("conversation-1") == [first]


def test_invalid_flags_are_refused(order_store):
    flag = order_store.flag_conversation("conversation-1", ASKED)
    with pytest.raises(ValueError, match="reason"):
        order_store.flag_conversation("conversation-1", "  ")
    with pytest.raises(ValueError, match="reason"):
        order_store.flag_conversation("conversation-1", "x" * (store.FLAG_REASON_MAX_LENGTH + 1))
    with pytest.raises(ValueError, match="conversation_id"):
        order_store.flag_conversation("", ASKED)
    with pytest.raises(ValueError, match="resolved_by"):
        order_store.resolve_flag(flag["id"], "")
    assert count_flags(order_store) == 1
    assert order_store.open_flags() == [flag]


def test_the_database_allows_one_open_flag_per_reason(order_store):
    """The partial unique index, not only the look-up before the insert, keeps flags single."""
    now = store.utcnow()
    with order_store._session_factory.begin() as session:
        session.add_all([
            ConversationFlag(conversation_id="c", reason=ASKED, raised_at=now, resolved_at=now, resolved_by="Grace"),
            ConversationFlag(conversation_id="c", reason=ASKED, raised_at=now, resolved_at=now, resolved_by="Grace"),
            ConversationFlag(conversation_id="c", reason=ASKED, raised_at=now),
        ])
    with pytest.raises(IntegrityError):
        with order_store._session_factory.begin() as session:
            session.add(ConversationFlag(conversation_id="c", reason=ASKED, raised_at=now))
    assert count_flags(order_store) == 3


def test_flagging_under_a_race_is_one_flag(order_store, monkeypatch):
    """Another worker raises the same flag between our look-up and our insert."""
    other_worker = OrderStore(order_store.url)
    theirs = other_worker.flag_conversation("conversation-1", ASKED)
    other_worker.dispose()
    monkeypatch.setattr(order_store, "_find_open_flag", _none_once(order_store._find_open_flag))
    assert order_store.flag_conversation("conversation-1", ASKED) == theirs
    assert count_flags(order_store) == 1


def test_flagging_with_concurrent_workers_is_one_flag(order_store):
    workers = [OrderStore(order_store.url) for _ in range(6)]
    barrier = threading.Barrier(len(workers))

    def flag(worker):
        barrier.wait()
        return worker.flag_conversation("conversation-1", ASKED)["id"]

    try:
        with ThreadPoolExecutor(len(workers)) as pool:
            ids = set(pool.map(flag, workers))
    finally:
        for worker in workers:
            worker.dispose()
    assert len(ids) == 1
    assert count_flags(order_store) == 1


# ---------------------------------------------------------------------------- settings


def test_settings_read_the_environment_when_called(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("BESPOKE_DATA_DIR", str(tmp_path / "data"))
    assert settings.data_dir() == tmp_path / "data" and (tmp_path / "data").is_dir()
    assert settings.database_url() == f"sqlite:///{tmp_path / 'data' / 'bespoke.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://shop@db/bespoke")
    assert settings.database_url() == "postgresql+psycopg2://shop@db/bespoke"


def _alembic(order_store: OrderStore, command_name: str, revision: str) -> None:
    """Run an Alembic command on the store's database, configured as OrderStore.migrate() does."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(store.ALEMBIC_INI))
    config.set_main_option("script_location", str(store.ALEMBIC_DIR))
    config.attributes["configure_logging"] = False
    with order_store.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, command_name)(config, revision)


def _none_once(find):
    calls = []

    def find_but_miss_the_first_time(*args):
        calls.append(args)
        return None if len(calls) == 1 else find(*args)

    return find_but_miss_the_first_time
