"""Shared fixtures: the demo catalog, one trained model per session, real bot servers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from bot.local import DEMO_CATALOG, BotServers

# Fixtures shared across folders: the browser and page (Chromium through Playwright) and an
# empty order database on SQLite and PostgreSQL (database_url, order_store), the session's own
# redis-server (redis_server, redis_up), a fake Rasa and the widget in front of it (fake_rasa, widget_server).
pytest_plugins = ["tests.support.browser", "tests.support.orders", "tests.support.redis_server",
                  "tests.support.fake_rasa"]


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
    from bot.core.catalog import load_catalog

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
