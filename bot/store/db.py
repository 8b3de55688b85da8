"""The database handle: the engine, the sessions, the migrations, and what every table of
the store is built on (the declarative base with its naming convention, the column types).

SQLite or PostgreSQL through SQLAlchemy 1.4 written in 2.0 style. The schema belongs to the
Alembic migrations in alembic/versions/: call `Database.migrate()` (or run `alembic upgrade
head`) before use. Nothing happens at import: the engine is created on first use.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, MetaData, Numeric, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import declarative_base, sessionmaker
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

from bot.settings import REPO_ROOT

ALEMBIC_INI = REPO_ROOT / "alembic.ini"
ALEMBIC_DIR = REPO_ROOT / "alembic"

CENT = Decimal("0.01")
# SQLite's own lower() folds A-Z only: every SQLite connection gets this one, which folds
# with Python's str.lower (see bot.store.search.contains_text).
UNICODE_LOWER = "bespoke_lower"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))
metadata: MetaData = Base.metadata


class OrderStoreError(Exception):
    """Something the caller asked of the store cannot be done."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------------------- column types


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores `timestamp with time zone`; SQLite has no time zones, so UTC is
    stored without an offset and the offset is put back when reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a timezone-aware datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Money(TypeDecorator):
    """NUMERIC(12, 2) read and written as Decimal on every backend.

    PostgreSQL keeps exact decimals. SQLite has no decimal type: its NUMERIC columns hold
    a double, which is exact for the 12 significant digits allowed here, so the value is
    read back through the shortest repr of the double and quantized to cents (instead of
    SQLAlchemy's generic float conversion, which warns on every SQLite engine).
    """

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(12, 2, asdecimal=False))
        return dialect.type_descriptor(Numeric(12, 2))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be a Decimal, not a float")
        amount = Decimal(value).quantize(CENT)
        return format(amount, "f") if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Any) -> Optional[Decimal]:
        if value is None:
            return None
        return Decimal(repr(value) if isinstance(value, float) else value).quantize(CENT)


# ---------------------------------------------------------------------------- the handle


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    dbapi_connection.create_function(UNICODE_LOWER, 1, _lower, deterministic=True)


def _on_sqlite_file_connect(dbapi_connection: Any, record: Any) -> None:
    """A database file is written ahead (WAL) with synchronous=NORMAL.

    In the default `delete` journal mode every commit writes a rollback journal, syncs it and
    the database, and deletes the journal: the commit was the largest single cost of the
    action server's turn. In WAL mode a commit appends to the -wal file and is synced only at
    checkpoints with synchronous=NORMAL. Safe here: a commit survives the process being killed
    (kill -9: what reached the -wal file is read back by the next connection); only a power
    cut or an operating system crash can lose the last commits before a checkpoint, never
    corrupt the file. Readers no longer block the writer, which the several processes on one
    database (action server, web server, `bespoke` commands) like. WAL needs every process on
    the same machine (shared memory in the -shm file): a database on a network file system
    should use PostgreSQL. The mode is kept in the file; `secure_data` (bot/runner.py)
    already protects the -wal and -shm files.
    """
    _on_sqlite_connect(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.fetchall()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class Database:
    """The database at `url`: its engine (created on first use), its session factory and
    its migrations."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Optional[Engine] = None
        self._sessions: Optional[sessionmaker] = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({make_url(self.url)!r})"  # repr of a URL hides the password

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            url = make_url(self.url)
            if url.get_backend_name() == "sqlite":
                database = url.database or ""
                on_file = bool(database) and database != ":memory:" and "mode=memory" not in str(url)
                if on_file and not database.startswith("file:"):
                    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
                if on_file:
                    # SQLAlchemy 1.4 opens a new SQLite connection per session on a file
                    # (NullPool): the file opened, the schema read, the pragmas run for every
                    # unit of work. A pool of connections, as SQLAlchemy 2.0 does by default;
                    # a connection is used by one thread at a time (checked out from the pool).
                    engine = create_engine(url, future=True, poolclass=QueuePool, pool_size=5, max_overflow=10,
                                           connect_args={"check_same_thread": False})
                    event.listen(engine, "connect", _on_sqlite_file_connect)
                else:
                    engine = create_engine(url, future=True)
                    event.listen(engine, "connect", _on_sqlite_connect)
            else:
                engine = create_engine(url, future=True, pool_pre_ping=True)
            self._engine = engine
            self._sessions = sessionmaker(engine, future=True, expire_on_commit=False)
        return self._engine

    @property
    def sessions(self) -> sessionmaker:
        """The session factory on this engine, one session per unit of work:
        `with database.sessions.begin() as session:`."""
        if self._sessions is None:
            self.engine  # noqa: B018 - creates the engine and the session factory
        assert self._sessions is not None
        return self._sessions

    def dispose(self) -> None:
        """Close all pooled connections; the database can still be used afterwards."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._sessions = None

    def migrate(self) -> None:
        """Bring the schema up to date (Alembic `upgrade head`) on this database."""
        config = Config(str(ALEMBIC_INI)) if ALEMBIC_INI.exists() else Config()
        config.set_main_option("script_location", str(ALEMBIC_DIR))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))  # configparser interpolation
        config.attributes["configure_logging"] = False  # leave the application's logging alone
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")  # features may add migrations side by side
