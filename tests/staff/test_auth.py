"""Staff sign-in: nothing without it, wrong passwords, forged forms, slowing down guessing,
API tokens, and the `bespoke staff` commands."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from bot.local import ROOT
from bot.store.db import utcnow
from bot.staff.accounts import FREE_FAILURES, StaffAccounts, StaffError
from bot.staff.auth import SESSION_COOKIE
from tests.support.staff import (
    STAFF_NAME,
    STAFF_PASSWORD,
    add_staff,
    page_csrf,
    sign_in,
    staff_client,
    staff_environment,
)



@pytest.fixture
def store(monkeypatch, tmp_path):
    return staff_environment(monkeypatch, tmp_path)


@pytest.fixture
async def client(store):
    client = await staff_client()
    yield client
    await client.close()


@pytest.mark.parametrize("path", ["/staff/", "/staff/orders", "/staff/conversations", "/staff/queue"])
async def test_every_staff_page_needs_sign_in(client, store, path):
    add_staff(store)
    response = await client.get(path, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith("/staff/sign-in?next=")


@pytest.mark.parametrize("path", ["/api/orders", "/api/orders/BSP-222222", "/api/conversations/web:abcdefgh"])
async def test_the_staff_api_needs_a_token(client, path):
    response = await client.get(path)
    assert response.status == 401
    assert (await response.json())["error"] == "unauthorized"
    wrong = await client.get(path, headers={"Authorization": "Bearer bsk_not-a-real-token"})
    assert wrong.status == 401


async def test_first_run_says_how_to_create_an_account(client):
    page = await (await client.get("/staff/sign-in")).text()
    assert "bespoke staff add NAME" in page


async def test_sign_in_and_out(client, store):
    add_staff(store)
    result = await sign_in(client, next_path="/staff/orders")
    assert result["status"] == 303 and result["location"] == "/staff/orders"
    [session_cookie] = [c for c in result["set_cookie"] if c.startswith(SESSION_COOKIE + "=")]
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert (await client.get("/staff/", allow_redirects=False)).status == 200
    token = await page_csrf(client)
    out = await client.post("/staff/sign-out", data={"csrf_token": token}, allow_redirects=False)
    assert out.status == 303
    assert (await client.get("/staff/", allow_redirects=False)).status == 303


async def test_wrong_password_and_unknown_name_are_refused_alike(client, store):
    add_staff(store)
    wrong = await sign_in(client, password="not the password")
    unknown = await sign_in(client, name="mallory", password=STAFF_PASSWORD)
    for result in (wrong, unknown):
        assert result["status"] == 401
        assert "Wrong name or password." in result["text"]
    assert (await client.get("/staff/", allow_redirects=False)).status == 303


async def test_a_forged_sign_in_form_is_refused(client, store):
    add_staff(store)
    await client.get("/staff/sign-in")  # a real form was shown, but its token is not sent back
    response = await client.post(
        "/staff/sign-in", data={"name": STAFF_NAME, "password": STAFF_PASSWORD, "csrf_token": "forged"},
        allow_redirects=False,
    )
    assert response.status == 403
    assert (await client.get("/staff/", allow_redirects=False)).status == 303


async def test_a_forged_form_from_a_signed_in_browser_is_refused(client, store):
    add_staff(store)
    await sign_in(client)
    response = await client.post("/staff/sign-out", data={"csrf_token": "forged"}, allow_redirects=False)
    assert response.status == 403
    assert (await client.get("/staff/", allow_redirects=False)).status == 200  # still signed in


async def test_an_offsite_redirect_after_sign_in_is_not_followed(client, store):
    add_staff(store)
    for target in ("https://evil.example/", "//evil.example/staff", "/elsewhere"):
        client.session.cookie_jar.clear()
        result = await sign_in(client, next_path=target)
        assert result["location"] == "/staff/"


async def test_a_tampered_session_cookie_is_not_accepted(client, store):
    add_staff(store)
    await sign_in(client)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/staff/"))[SESSION_COOKIE].value
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({SESSION_COOKIE: cookie[:-2] + "xx"})
    assert (await client.get("/staff/", allow_redirects=False)).status == 303


async def test_a_disabled_account_loses_its_session(client, store):
    add_staff(store)
    await sign_in(client)
    StaffAccounts(store).disable(STAFF_NAME)
    assert (await client.get("/staff/", allow_redirects=False)).status == 303
    assert (await sign_in(client))["status"] == 401


async def test_repeated_failures_slow_sign_in_down(client, store):
    add_staff(store)
    for _ in range(FREE_FAILURES):
        assert (await sign_in(client, password="guess guess guess"))["status"] == 401
    # Even the right password waits now: guessing costs time.
    result = await sign_in(client)
    assert result["status"] == 429
    assert "Too many failed sign-ins" in result["text"]


def test_the_wait_doubles_and_ends(store):
    accounts = StaffAccounts(store)
    add_staff(store)
    for _ in range(FREE_FAILURES):
        accounts.record_failure(STAFF_NAME, "10.0.0.1")
    now = utcnow()
    first = accounts.wait_before_sign_in(STAFF_NAME, "10.0.0.2", now)
    assert 0 < first <= 2
    accounts.record_failure(STAFF_NAME, "10.0.0.1")
    assert accounts.wait_before_sign_in(STAFF_NAME, "10.0.0.2", utcnow()) > first
    # From the same address, other names wait too.
    assert accounts.wait_before_sign_in("bob", "10.0.0.1", utcnow()) > 0
    assert accounts.wait_before_sign_in(STAFF_NAME, "10.0.0.2", utcnow() + timedelta(minutes=16)) == 0


def test_api_tokens_work_until_revoked(store):
    accounts = StaffAccounts(store)
    add_staff(store)
    token = accounts.create_token(STAFF_NAME)
    assert accounts.staff_for_token(token) == STAFF_NAME
    assert accounts.staff_for_token(token + "x") is None
    [info] = accounts.tokens(STAFF_NAME)
    assert token.startswith(info.hint) and info.last_used_at is not None
    accounts.revoke_token(info.id)
    assert accounts.staff_for_token(token) is None
    with pytest.raises(StaffError):
        accounts.revoke_token(999)


def test_passwords_are_stored_hashed(store):
    add_staff(store)
    with store.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT password_hash FROM staff_users").scalar_one()
    assert STAFF_PASSWORD not in stored and stored.startswith("$argon2id$")
    assert StaffAccounts(store).verify(STAFF_NAME, STAFF_PASSWORD)
    with pytest.raises(StaffError, match="at least 10"):
        StaffAccounts(store).add("bob", "short")
    with pytest.raises(StaffError, match="already"):
        StaffAccounts(store).add(STAFF_NAME, "another long password")


def test_staff_commands(store, tmp_path):
    def bespoke(*args, stdin=""):
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "staff", *args], input=stdin, cwd=ROOT,
            capture_output=True, text=True, timeout=120,
        )

    added = bespoke("add", "carol", "--password-stdin", stdin="a long enough password\n")
    assert added.returncode == 0, added.stderr
    assert bespoke("add", "carol", "--password-stdin", stdin="a long enough password\n").returncode == 2
    made = bespoke("token", "carol")
    assert made.returncode == 0
    token = made.stdout.strip()
    assert StaffAccounts(store).staff_for_token(token) == "carol"
    listed = bespoke("tokens")
    assert "carol" in listed.stdout and token not in listed.stdout
    token_id = listed.stdout.split()[0]
    assert bespoke("revoke", token_id).returncode == 0
    assert StaffAccounts(store).staff_for_token(token) is None
    assert "carol" in bespoke("list").stdout


async def test_signing_out_ends_the_session_even_for_a_copied_cookie(client, store):
    add_staff(store)
    await sign_in(client)
    copied = client.session.cookie_jar.filter_cookies(client.make_url("/staff/"))[SESSION_COOKIE].value
    token = await page_csrf(client)
    await client.post("/staff/sign-out", data={"csrf_token": token}, allow_redirects=False)
    client.session.cookie_jar.update_cookies({SESSION_COOKIE: copied})
    assert (await client.get("/staff/", allow_redirects=False)).status == 303


async def test_a_new_password_signs_every_browser_out(client, store):
    add_staff(store)
    await sign_in(client)
    StaffAccounts(store).set_password(STAFF_NAME, "a brand new password")
    assert (await client.get("/staff/", allow_redirects=False)).status == 303
    assert (await sign_in(client, password="a brand new password"))["status"] == 303
    assert (await client.get("/staff/", allow_redirects=False)).status == 200
