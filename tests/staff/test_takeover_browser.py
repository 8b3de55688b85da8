"""Staff and a customer talking in real browsers (Debian's Chromium through Playwright, the
`browser` fixture of tests/support/browser.py), against the real servers: the customer in
the widget, staff on the transcript page, each seeing the other's messages appear by
themselves."""

from __future__ import annotations

from bot.staff.accounts import StaffAccounts
from bot.store.orders import OrderStore
from tests.support.browser import staff_sign_in
from tests.support.staff import STAFF_NAME, add_staff


def chat_say(page, text: str) -> None:
    page.fill(".bespoke-input", text)
    page.press(".bespoke-input", "Enter")
    page.wait_for_function("!document.querySelector('.bespoke-chat').classList.contains('bespoke-busy')"
                           " && !document.querySelector('.bespoke-pending')", timeout=60_000)


def test_staff_and_customer_talk_without_reloading(bot, browser):
    """The customer in the widget, staff on the transcript page: each sees the other's
    messages appear by themselves."""
    store = OrderStore(f"sqlite:///{bot.data_dir / 'bespoke.db'}")
    store.migrate()
    # The bot's database is shared by the session's tests: the account is made by whichever
    # test comes first (any StaffError from making it fails the test).
    if STAFF_NAME not in {account["name"] for account in StaffAccounts(store).names()}:
        add_staff(store)
    store.dispose()
    customer = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
    customer.goto(bot.web_url)
    customer.wait_for_selector(".bespoke-chat[data-ready='true']", state="attached")
    chat_say(customer, "hi")
    sender = customer.evaluate(f"localStorage.getItem('bespoke-chat:sender:{bot.web_url}')")

    staff = browser.new_context(viewport={"width": 1000, "height": 900}).new_page()
    staff_sign_in(staff, bot.web_url)
    staff.goto(f"{bot.web_url}/staff/conversations/{sender}")
    staff.click("button:has-text('Take over')")
    staff.wait_for_selector("text=You have taken over this conversation")
    shown = customer.locator(".bespoke-msg").count()
    staff.fill("#message-text", "Hello, Alice from the workshop here.")
    staff.click("button:has-text('Send')")
    staff.wait_for_selector("text=Message sent: the customer's chat window shows it")

    # The widget shows it by itself (it asks for its history every few seconds); nothing twice.
    customer.wait_for_selector(".bespoke-msg.bespoke-bot:has-text('Alice from the workshop')", timeout=40_000)
    assert customer.locator(".bespoke-msg").count() == shown + 1

    # The customer answers (the bot stays quiet); the staff page shows it without a reload.
    chat_say(customer, "Great, thanks!")
    staff.wait_for_selector("ol.transcript li.turn.user:has-text('Great, thanks!')", timeout=40_000)
    staff.fill("#message-text", "You're welcome.")
    staff.click("button:has-text('Send')")
    customer.wait_for_selector(".bespoke-msg.bespoke-bot:has-text(\"You're welcome.\")", timeout=40_000)
    texts = customer.locator(".bespoke-msg .bespoke-text").all_inner_texts()
    assert texts[-3:] == ["Hello, Alice from the workshop here.", "Great, thanks!", "You're welcome."]
    assert staff.locator("ol.transcript li.turn.staff").count() == 2
    assert "alice (staff)" in staff.inner_text("ol.transcript")

    staff.click("button:has-text('Hand back to the bot')")
    staff.wait_for_selector("text=Handed back: the bot answers the customer again.")
    chat_say(customer, "what can you make?")
    assert "Custom PC" in customer.locator(".bespoke-bot .bespoke-text").last.inner_text()
