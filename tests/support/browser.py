"""Chromium through Playwright for the browser tests: the browser and page fixtures (a pytest
plugin, see tests/conftest.py) and the widget moves a customer makes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.local import ROOT
from tests.support.services import services_required

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts" / "web"
CONTACT = ["Anna Schmidt", "anna.schmidt@example.com", "Hauptstrasse 12, 10115 Berlin"]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]



@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists() and not services_required():
        pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed; `apt-get install chromium` (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_shop(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".bespoke-chat[data-ready='true']", state="attached")


def restart_and_wait(page) -> None:
    """"New conversation" clicked, and its check (is an order in progress?) over: the button
    is disabled while the widget asks the server."""
    page.click(".bespoke-restart")
    page.wait_for_function("!document.querySelector('.bespoke-restart').disabled", timeout=30_000)


def sender_of(page, server: str) -> str:
    return page.evaluate("key => localStorage.getItem(key)", f"bespoke-chat:sender:{server}")


def wait_idle(page) -> None:
    page.wait_for_function("!document.querySelector('.bespoke-chat').classList.contains('bespoke-busy')", timeout=60_000)


def user_count(page) -> int:
    return page.locator(".bespoke-user").count()


def say(page, text: str) -> None:
    before = user_count(page)
    page.fill(".bespoke-input", text)
    page.press(".bespoke-input", "Enter")
    wait_idle(page)
    assert user_count(page) == before + 1
    assert page.locator(".bespoke-notice").is_hidden(), page.inner_text(".bespoke-notice")


def click_choice(page, title_pattern: str, how: str = "click") -> str:
    """Click a choice of the bot's latest buttons; the title shown as the customer's message."""
    before = user_count(page)
    button = page.locator(".bespoke-choice:enabled").filter(has_text=re.compile(title_pattern, re.I)).last
    title = button.inner_text()
    if how == "dblclick":
        button.dblclick()
    elif how == "keyboard":
        button.focus()
        page.keyboard.press("Enter")
    else:
        button.click()
    wait_idle(page)
    assert user_count(page) == before + 1, "one click, one message"
    assert page.locator(".bespoke-user .bespoke-text").last.inner_text().startswith(title)
    assert page.locator(".bespoke-notice").is_hidden(), page.inner_text(".bespoke-notice")
    return title


def last_bot_text(page) -> str:
    return page.locator(".bespoke-bot .bespoke-text").last.inner_text()


def staff_sign_in(page, base: str) -> None:
    """Signs the test's staff account (tests/support/staff.py) in to the console at `base`."""
    from tests.support.staff import STAFF_NAME, STAFF_PASSWORD

    page.goto(f"{base}/staff/sign-in")
    page.fill("input[name=name]", STAFF_NAME)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base}/staff/")
