"""Alembic environment of the order store.

The database URL comes from the Alembic config (OrderStore.migrate() sets it, and may
hand over an open connection in config.attributes["connection"]); otherwise from
bot.settings.Settings.from_env().database_url, that is $DATABASE_URL or var/bespoke.db.
"""

from logging.config import fileConfig

from sqlalchemy import create_engine, pool

from alembic import context
from bot.settings import Settings
from bot.store.db import Money, UTCDateTime, metadata
import bot.store.tables  # noqa: F401,E402 - every table module, so that the metadata holds every table

config = context.config

# Only the command line configures logging; an application calling migrate() keeps its own.
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url


def _render_item(type_: str, obj, autogen_context):
    """Write the store's own column types as plain SQLAlchemy types into migrations."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, Money):
        return "sa.Numeric(precision=12, scale=2)"
    return False  # the default rendering


def _configure(**kwargs) -> None:
    url = kwargs.get("url")
    connection = kwargs.get("connection")
    backend = connection.dialect.name if connection is not None else str(url).split(":", 1)[0].split("+", 1)[0]
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=backend == "sqlite",  # SQLite can only ALTER by copying the table
        compare_type=True,
        render_item=_render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool, future=True)
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
