"""Every action test has its own order database: flags, analytics and orders never land in var/."""

from __future__ import annotations

import pytest

from tests.support.trackers import action_resources


@pytest.fixture(autouse=True)
def order_database(tmp_path, monkeypatch):
    """The actions' store, on a fresh SQLite file of this test."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'orders.db'}")
    with action_resources() as shared:
        yield shared.store()
