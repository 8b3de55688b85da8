"""Fixtures of the conversation tests: a migrated order store in tmp_path, Rasa's events
table beside it, and a signed-in staff client on them."""

from __future__ import annotations

import pytest

from tests.support.staff import Tracker, add_staff, sign_in, staff_client, staff_environment


@pytest.fixture
def store(monkeypatch, tmp_path):
    return staff_environment(monkeypatch, tmp_path)


@pytest.fixture
def web_store(monkeypatch, tmp_path):
    """The order store of a staff console with one staff account (the order page tests)."""
    store = staff_environment(monkeypatch, tmp_path)
    add_staff(store)
    yield store
    store.dispose()


@pytest.fixture
def tracker(store, tmp_path):
    return Tracker(tmp_path / "tracker.db")


@pytest.fixture
async def client(store, tracker):
    add_staff(store)
    client = await staff_client()
    await sign_in(client)
    yield client
    await client.close()
