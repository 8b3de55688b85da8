"""Helpers for the staff console tests: a web server app on a fresh SQLite database with a
signed-in staff client."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Dict, Optional
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient, TestServer

from bot.store.orders import OrderStore
from bot.staff.accounts import StaffAccounts
from bot.server import create_app
from bot.settings import Settings

STAFF_NAME = "alice"
STAFF_PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def staff_environment(monkeypatch, tmp_path: Path) -> OrderStore:
    """Point the settings at tmp_path and return its migrated order store."""
    monkeypatch.setenv("BESPOKE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bespoke.db'}")
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    monkeypatch.delenv("BESPOKE_SECRET_KEY", raising=False)
    store = OrderStore(f"sqlite:///{tmp_path / 'bespoke.db'}")
    store.migrate()
    return store


def add_staff(store: OrderStore, name: str = STAFF_NAME, password: str = STAFF_PASSWORD) -> None:
    StaffAccounts(store).add(name, password)


async def staff_client(rasa_url: str = "http://127.0.0.1:9", rasa_token: str = "token") -> TestClient:
    """A test client on the web server's app (staff console included)."""
    app = create_app(replace(Settings.from_env(), rasa_port=urlsplit(rasa_url).port, rasa_token=rasa_token))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


def csrf_of(page: str) -> str:
    match = CSRF_FIELD.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def sign_in(client: TestClient, name: str = STAFF_NAME, password: str = STAFF_PASSWORD,
                  next_path: Optional[str] = None) -> Dict[str, object]:
    """Sign in through the form, as a browser would; returns status and location."""
    page = await client.get("/staff/sign-in")
    token = csrf_of(await page.text())
    response = await client.post(
        "/staff/sign-in",
        data={"name": name, "password": password, "csrf_token": token, "next": next_path or "/staff/"},
        allow_redirects=False,
    )
    return {
        "status": response.status,
        "location": response.headers.get("Location"),
        "text": await response.text(),
        "set_cookie": response.headers.getall("Set-Cookie", []),
    }


async def page_csrf(client: TestClient, path: str = "/staff/") -> str:
    """The CSRF token a signed-in page carries (for POSTing forms)."""
    response = await client.get(path)
    assert response.status == 200, await response.text()
    return csrf_of(await response.text())
