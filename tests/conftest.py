"""Shared fixtures: the demo catalog, one trained model per session, real bot servers."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Iterator, List

import pytest

from bot.local import DEMO_CATALOG, ROOT, BotServers  # noqa: F401 - shared with the tests


@pytest.fixture(scope="session", autouse=True)
def data_folder_outside_the_checkout(tmp_path_factory) -> Iterator[Path]:
    """Nothing a test writes by default (SQLite files, the staff console's signing key)
    lands in the checkout's var/: each session has its own data folder."""
    folder = tmp_path_factory.mktemp("var")
    saved = {key: os.environ.get(key) for key in ("BESPOKE_DATA_DIR", "DATABASE_URL", "TRACKER_DATABASE_URL")}
    os.environ["BESPOKE_DATA_DIR"] = str(folder)
    for key in ("DATABASE_URL", "TRACKER_DATABASE_URL"):
        os.environ.pop(key, None)
    yield folder
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def demo_catalog():
    from actions.catalog import load_catalog

    return load_catalog(DEMO_CATALOG)


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """Trained once per session, and only when data, domain or config changed."""
    from bot.runner import ensure_model

    return ensure_model()


@pytest.fixture(scope="session")
def bot(trained_model, tmp_path_factory) -> Iterator[BotServers]:
    """The bot on the demo catalog, shared by the end-to-end tests (each uses its own sender)."""
    servers = BotServers(tmp_path_factory.mktemp("bot")).start()
    try:
        yield servers
    finally:
        servers.stop()


def texts(replies: List[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def services_required() -> bool:
    """On CI the production services must be there; elsewhere their tests may skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


POSTGRES_URL = os.environ.get("BESPOKE_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A URL whose every connection works in a fresh PostgreSQL schema, dropped afterwards.
    Skips the test when PostgreSQL is not reachable, except on CI, where it fails."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    admin = create_engine(POSTGRES_URL, future=True)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        admin.dispose()
        if services_required():
            pytest.fail(f"PostgreSQL must run for CI at {POSTGRES_URL}: {error.orig}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {error.orig}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
