"""The production services the tests use (PostgreSQL), and whether CI requires them."""

from __future__ import annotations

import contextlib
import os
import uuid
from typing import Iterator

import pytest


def services_required() -> bool:
    """On CI the production services must be there; elsewhere their tests may skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


POSTGRES_URL = os.environ.get("BESPOKE_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def _postgres_made(create: str, drop: str) -> Iterator[None]:
    """Runs `create` on the local PostgreSQL (autocommit: CREATE DATABASE needs it), then
    `drop` afterwards. Skips the test when PostgreSQL is not reachable, except on CI, where
    it fails."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    admin = create_engine(POSTGRES_URL, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(create))
    except OperationalError as error:
        admin.dispose()
        if services_required():
            pytest.fail(f"PostgreSQL must run for CI at {POSTGRES_URL}: {error.orig}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {error.orig}")
    try:
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text(drop))
        admin.dispose()


@contextlib.contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A URL whose every connection works in a fresh PostgreSQL schema, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _postgres_made(f'CREATE SCHEMA "{schema}"', f'DROP SCHEMA "{schema}" CASCADE'):
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


@contextlib.contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """The URL of a fresh PostgreSQL database, dropped afterwards (Rasa's tracker store takes a
    database, not a schema: its settings have no search_path)."""
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _postgres_made(f'CREATE DATABASE "{name}"', f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'):
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
