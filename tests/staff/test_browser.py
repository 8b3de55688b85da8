"""The staff console in a real browser (Debian's Chromium through Playwright), against the
real servers: a customer orders through the web widget; staff sign in, find the order,
change its status, open the conversation, take it over and write to the customer (who sees
it in the widget), hand it back and export the conversation as a test story.

Screenshots of every staff page go to tests/artifacts/staff/; the README's two staff
pictures (docs/staff-*.png) are copied from this run."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bot.store.orders import OrderStore
from bot.local import ROOT
from bot.staff.accounts import StaffAccounts
from tests.support.browser import (
    open_shop,
    say,
    sender_of,
    wait_idle,
)

ARTIFACTS = ROOT / "tests" / "artifacts" / "staff"
DOCS = ROOT / "docs"
STAFF_NAME = "maria"
STAFF_PASSWORD = "a long staff password"
CONVEYOR = ["I need a conveyor", "5 m", "300", "10", "pvc", "standard", "230 V", "yes",
            "Jana Novak", "jana.novak@example.com", "Lindenweg 4, 80331 Munich"]


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def staff_account(bot):
    """A staff account in the running bot's database, made with the real command."""
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "staff", "add", STAFF_NAME, "--password-stdin"],
        input=STAFF_PASSWORD + "\n", cwd=ROOT, env=bot.env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr  # a new account: each session's bot has its own database
    return STAFF_NAME


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/staff/orders")
    assert "/staff/sign-in" in page.url  # nothing without signing in
    page.fill("#name", STAFF_NAME)
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert page.locator(".error", has_text="Wrong name or password").is_visible()
    page.fill("#name", STAFF_NAME)
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/orders$"))


def test_staff_review_an_order_and_take_over_its_conversation(bot, browser, staff_account):  # noqa: F811
    customer = browser.new_context(viewport={"width": 420, "height": 800})
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        shop = customer.new_page()
        open_shop(shop, bot.web_url)
        for text in CONVEYOR:
            say(shop, text)
        placed = shop.locator(".bespoke-bot .bespoke-text").last.inner_text()
        number = re.search(r"BSP-[0-9A-Z]{6}", placed).group(0)
        sender = sender_of(shop, bot.web_url)

        desk = staff.new_page()
        sign_in(desk, bot.web_url)

        # Find the order by the customer's name and open it.
        desk.fill("#f-q", "novak")
        desk.click("text=Show orders")
        desk.wait_for_url(re.compile(r"q=novak"))
        screenshot(desk, "orders")
        desk.click(f"a:text-is('{number}')")
        desk.wait_for_url(re.compile(rf"/staff/orders/{number}$"))
        body = desk.locator("main").inner_text()
        for expected in ("Belt width", "300 mm", "Jana Novak", "jana.novak@example.com", "received"):
            assert expected in body, expected

        # Change its status; the history records who did it.
        desk.select_option("#s-status", "confirmed")
        desk.fill("#s-reason", "payment received")
        desk.click("text=Change status")
        desk.wait_for_load_state()
        history = desk.locator("main").inner_text()
        assert "confirmed" in history and STAFF_NAME in history and "payment received" in history
        screenshot(desk, "order")

        # The customer asks the bot: the new status.
        say(shop, f"what is the status of {number}?")
        assert "confirmed" in shop.locator(".bespoke-bot .bespoke-text").last.inner_text()

        # The conversation the order came from.
        desk.click(f"a:text-is('{sender}')")
        desk.wait_for_url(re.compile(r"/staff/conversations/"))
        transcript = desk.locator("main").inner_text()
        assert "I need a conveyor" in transcript and number in transcript
        screenshot(desk, "transcript")

        # Take over: the bot stays quiet, staff's words reach the widget.
        desk.click("button:text-is('Take over')")
        desk.wait_for_selector("#message-text")
        desk.fill("#message-text", "Hello Jana, Maria from the workshop here. Your belt is on order.")
        desk.click("form[action$='/messages'] button[type=submit]")
        desk.wait_for_load_state()
        staff_bubble = shop.locator(".bespoke-staff", has_text="Maria from the workshop")
        staff_bubble.wait_for(timeout=30_000)  # the widget asks again by itself; no reload
        assert staff_bubble.locator(".bespoke-author").inner_text() == f"{STAFF_NAME} (shop staff)"
        before = shop.locator(".bespoke-bot").count()
        shop.fill(".bespoke-input", "thank you, when will it ship?")
        shop.press(".bespoke-input", "Enter")
        wait_idle(shop)
        assert shop.locator(".bespoke-bot").count() == before  # the bot said nothing
        desk.reload()
        assert "when will it ship?" in desk.locator("main").inner_text()
        assert f"{STAFF_NAME} (staff)" in desk.locator("main").inner_text()
        screenshot(desk, "transcript-taken-over")
        screenshot(shop, "widget-staff-message")

        # Hand back: the bot answers again.
        desk.click("button:text-is('Hand back to the bot')")
        desk.wait_for_load_state()
        say(shop, "my orders")
        assert number in shop.locator(".bespoke-bot .bespoke-text").last.inner_text()

        # Export the conversation as a test story.
        with desk.expect_download() as download_info:
            desk.click("text=Export as test story")
        story_path = ARTIFACTS / "exported-story.yml"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        download_info.value.save_as(str(story_path))
        story = story_path.read_text()
        assert "stories:" in story and "I need a conveyor" in story

        # The other pages, for the record.
        for name, path in (("dashboard", "/staff/"), ("conversations", "/staff/conversations"), ("queue", "/staff/queue")):
            response = desk.goto(f"{bot.web_url}{path}")
            assert response.status == 200, path
            screenshot(desk, name)
        desk.set_viewport_size({"width": 360, "height": 780})
        desk.goto(f"{bot.web_url}/staff/orders/{number}")
        assert desk.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone
        screenshot(desk, "order-phone")

        # The README's picture: the top of the transcript, as a screen shows it.
        desk.set_viewport_size({"width": 1280, "height": 1000})
        desk.goto(f"{bot.web_url}/staff/conversations/{sender}")
        DOCS.mkdir(exist_ok=True)
        desk.screenshot(path=str(DOCS / "staff-transcript.png"))
    finally:
        customer.close()
        staff.close()


def test_dashboard_of_a_busy_shop(browser, tmp_path):  # noqa: F811
    """Generated data (bench.staff_bench): the dashboard's charts and tables filled, as the
    README shows them, and every page at 360 px without sideways scrolling."""
    from bench import staff_bench

    data = staff_bench.generate(tmp_path, orders=600, conversations=2000, seed=11)
    store = OrderStore(data.database_url)
    StaffAccounts(store).add(STAFF_NAME, STAFF_PASSWORD)
    store.dispose()
    with staff_bench.environment({
        "BESPOKE_DATA_DIR": str(tmp_path), "DATABASE_URL": data.database_url,
        "TRACKER_DATABASE_URL": data.tracker_url, "BESPOKE_SECRET_KEY": "test-secret-key-0123456789",
    }):
        server = staff_bench.WebAppThread().start()
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        try:
            desk = context.new_page()
            base = f"http://127.0.0.1:{server.port}"
            desk.goto(f"{base}/staff/")
            desk.fill("#name", STAFF_NAME)
            desk.fill("#password", STAFF_PASSWORD)
            desk.click("button[type=submit]")
            desk.wait_for_url(re.compile(r"/staff/$"))
            body = desk.locator("main").inner_text()
            for heading in ("Orders per day", "Where customers give up", "Answers the bot refused most"):
                assert heading in body
            assert desk.locator("svg[role=img]").count() >= 2
            screenshot(desk, "dashboard-busy")
            DOCS.mkdir(exist_ok=True)
            desk.screenshot(path=str(DOCS / "staff-dashboard.png"), full_page=True)
            desk.set_viewport_size({"width": 360, "height": 780})
            for name, path in (("dashboard", "/staff/"), ("orders", "/staff/orders"),
                               ("conversations", "/staff/conversations"), ("queue", "/staff/queue"),
                               ("order", f"/staff/orders/{data.order_number}"),
                               ("transcript", f"/staff/conversations/{data.conversation_id}")):
                assert desk.goto(f"{base}{path}").status == 200, path
                width = desk.evaluate("document.documentElement.scrollWidth")
                assert width <= 360, f"{path} is {width} px wide at 360"
                screenshot(desk, f"phone-{name}")
        finally:
            context.close()
            server.stop()
