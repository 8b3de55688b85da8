"""The database handle and the schema, against SQLite (a temporary file) and PostgreSQL (a
schema per test): the migrations make the models' tables, the column types keep money and
time exact, and the store imports nothing of Rasa, the web server or the channels.

PostgreSQL: $BESPOKE_TEST_POSTGRES_URL or postgresql+psycopg2://postgres@127.0.0.1:5432/test;
the PostgreSQL cases are skipped when that server cannot be reached (they fail under CI=true).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select, text

from bot.local import ROOT
from bot.store import db
import bot.store.tables  # noqa: F401 - every table the migrations make is in the metadata
from bot.store.models import Order
from bot.store.orders import OrderStore
from tests.support.orders import new_order

REPO_ROOT = ROOT
# What no module of bot.store may import (import-linter checks the source too).
NOT_IN_THE_STORE = ("rasa", "rasa_sdk", "aiohttp", "telegram", "actions", "bot.channels", "bot.staff", "bot.server")


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
        "resolved_at": True, "resolved_by": True, "kind": False, "resolution": True, "resolved_order": True,
    }
    order_store.migrate()  # a second run is a no-op
    with order_store.engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == "0012"  # one head


def test_models_match_migrations(order_store):
    with order_store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_models_match_migrations_after_downgrade_and_upgrade(order_store):
    """0002 goes down cleanly (orders kept) and up again to the schema of the models."""
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
        assert compare_metadata(context, db.metadata) == []


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
    """Every module of bot.store, imported in a fresh interpreter, brings in none of them."""
    code = (
        "import importlib, pkgutil, sys; import bot.store\n"
        "for module in pkgutil.iter_modules(bot.store.__path__, 'bot.store.'):\n"
        "    importlib.import_module(module.name)\n"
        "print(' '.join(sorted(m for m in sys.modules if any(m == f or m.startswith(f + '.') for f in sys.argv[1:]))))"
    )
    found = subprocess.run([sys.executable, "-c", code, *NOT_IN_THE_STORE], cwd=REPO_ROOT, check=True,
                           capture_output=True, text=True)
    assert found.stdout.split() == []


def test_every_store_module_is_checked():
    code = "import pkgutil, bot.store; print(' '.join(m.name for m in pkgutil.iter_modules(bot.store.__path__)))"
    found = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True, capture_output=True, text=True)
    assert {"db", "models", "orders", "flags", "serialize", "search", "analytics", "tables"} <= set(found.stdout.split())


# ---------------------------------------------------------------------------- column types


@pytest.mark.parametrize("total", ["0.01", "9999999999.99", "0.10", "123456789.07"])
def test_total_is_exact(order_store, total):
    placed = order_store.place_order(new_order(total=Decimal(total), price_lines=[{"label": "All", "amount": Decimal(total)}]))
    assert order_store.get(placed["number"])["total"] == total
    with order_store.sessions() as session:
        assert session.scalars(select(Order.total)).one() == Decimal(total)



def _alembic(order_store: OrderStore, command_name: str, revision: str) -> None:
    """Run an Alembic command on the store's database, configured as OrderStore.migrate() does."""
    config = Config(str(db.ALEMBIC_INI))
    config.set_main_option("script_location", str(db.ALEMBIC_DIR))
    config.attributes["configure_logging"] = False
    with order_store.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, command_name)(config, revision)


# ---------------------------------------------------------------------------- SQLite connections


def test_a_sqlite_file_is_written_ahead_on_pooled_connections(tmp_path):
    """WAL with synchronous=NORMAL (a commit is an append, no sync), on connections kept in a
    pool and usable from another thread (the analytics writer's)."""
    import threading

    database = db.Database(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with database.engine.connect() as connection:
            assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
            assert connection.scalar(text("PRAGMA synchronous")) == 1  # NORMAL
            assert connection.scalar(text("PRAGMA foreign_keys")) == 1
            first = connection.connection.dbapi_connection
        with database.engine.connect() as connection:
            assert connection.connection.dbapi_connection is first  # the same connection, from the pool
        seen = []
        worker = threading.Thread(target=lambda: seen.append(database.engine.connect().scalar(text("SELECT 7"))))
        worker.start()
        worker.join(timeout=30)
        assert seen == [7]
    finally:
        database.dispose()


def test_an_in_memory_sqlite_database_keeps_its_journal(tmp_path):
    database = db.Database("sqlite://")
    with database.engine.connect() as connection:
        assert connection.scalar(text("PRAGMA journal_mode")) == "memory"
        assert connection.scalar(text("PRAGMA foreign_keys")) == 1
    database.dispose()
