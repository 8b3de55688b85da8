"""The widget's "New conversation" in Chromium: with an order in progress (the server's
order_in_progress, read from the tracker's slots) it asks in the panel first, "Keep my order" /
"Start over", by mouse or keyboard; with none it just starts. Against a fake Rasa whose tracker
slots the test sets, and the real servers for what the real tracker says."""

from __future__ import annotations

import uuid

import requests

from tests.support.browser import open_shop, restart_and_wait, screenshot, sender_of


def expect():
    from playwright.sync_api import expect

    return expect


def say(page, text: str) -> None:
    before = page.locator(".bespoke-bot").count()
    page.locator(".bespoke-input").fill(text)
    page.locator(".bespoke-input").press("Enter")
    expect()(page.locator(".bespoke-bot")).to_have_count(before + 1)


def test_no_order_in_progress_starts_at_once(widget_server, fake_rasa, page):
    open_shop(page, widget_server.url)
    say(page, "hi")
    first = sender_of(page, widget_server.url)
    restart_and_wait(page)
    expect()(page.locator(".bespoke-msg")).to_have_count(0)
    assert page.locator(".bespoke-confirm").is_hidden()
    assert sender_of(page, widget_server.url) not in (first, None)


def test_an_order_in_progress_is_kept_or_discarded_only_when_asked(widget_server, fake_rasa, page):
    check = expect()
    open_shop(page, widget_server.url)
    say(page, "I'd like a shirt")
    sender = sender_of(page, widget_server.url)
    fake_rasa.slots[sender] = {"product": "tailored_shirt", "selections": {}}
    shown = page.locator(".bespoke-msg").count()

    # Asked in the panel, the focus on the safe answer; "Keep my order" keeps everything.
    restart_and_wait(page)
    confirm = page.locator(".bespoke-confirm")
    check(confirm).to_be_visible()
    check(confirm).to_have_attribute("role", "alertdialog")
    check(page.locator(".bespoke-confirm-text")).to_have_text("Start over? The order you have begun will be discarded.")
    check(page.locator(".bespoke-keep")).to_have_text("Keep my order")
    check(page.locator(".bespoke-keep")).to_be_focused()
    screenshot(page, "restart-confirm")
    page.click(".bespoke-keep")
    check(confirm).to_be_hidden()
    check(page.locator(".bespoke-restart")).to_be_focused()
    assert sender_of(page, widget_server.url) == sender
    assert page.locator(".bespoke-msg").count() == shown
    say(page, "twill")  # the conversation goes on
    assert fake_rasa.received[-1][0] == sender

    # Keyboard only: Escape keeps the order, Tab moves between the two answers, Enter chooses.
    page.locator(".bespoke-restart").focus()
    page.keyboard.press("Enter")
    check(page.locator(".bespoke-keep")).to_be_focused()
    page.keyboard.press("Escape")
    check(confirm).to_be_hidden()
    assert sender_of(page, widget_server.url) == sender
    page.keyboard.press("Enter")  # the focus is back on "New conversation"
    check(page.locator(".bespoke-keep")).to_be_focused()
    page.keyboard.press("Tab")
    check(page.locator(".bespoke-start-over")).to_be_focused()
    page.keyboard.press("Tab")
    check(page.locator(".bespoke-keep")).to_be_focused()  # the focus stays with the question
    page.keyboard.press("Shift+Tab")
    check(page.locator(".bespoke-start-over")).to_be_focused()
    page.keyboard.press("Enter")
    check(confirm).to_be_hidden()
    check(page.locator(".bespoke-msg")).to_have_count(0)
    check(page.locator(".bespoke-input")).to_be_focused()
    assert sender_of(page, widget_server.url) not in (sender, None)


def test_a_placed_or_cancelled_order_is_not_asked_about(widget_server, fake_rasa, page):
    open_shop(page, widget_server.url)
    say(page, "yes, place it")
    sender = sender_of(page, widget_server.url)
    fake_rasa.slots[sender] = {"product": None, "last_order": "BSP-2026-0001"}  # as after placing
    restart_and_wait(page)
    expect()(page.locator(".bespoke-msg")).to_have_count(0)
    assert page.locator(".bespoke-confirm").is_hidden()


def test_when_the_server_cannot_say_the_customer_is_asked_in_german(widget_server, page):
    check = expect()
    url = f"{widget_server.url}/de-shop"
    page.route(url, lambda route: route.fulfill(content_type="text/html", body=(
        "<!doctype html><html><body><h1>Shop</h1>"
        f'<script src="{widget_server.url}/widget.js" data-lang="de" data-open="true"></script></body></html>')))
    open_shop(page, url)
    say(page, "Hallo")
    sender = sender_of(page, widget_server.url)
    page.route(f"{widget_server.url}/api/history*", lambda route: route.fulfill(
        status=502, content_type="application/json", body='{"error": "rasa_unavailable", "message": "down"}'))
    restart_and_wait(page)
    check(page.locator(".bespoke-confirm")).to_be_visible()
    check(page.locator(".bespoke-keep")).to_have_text("Bestellung behalten")
    page.click(".bespoke-start-over")
    check(page.locator(".bespoke-msg")).to_have_count(0)
    assert sender_of(page, widget_server.url) != sender


def test_the_real_tracker_says_when_an_order_is_in_progress(bot):
    sender = f"web:restart-{uuid.uuid4().hex[:12]}"

    def in_progress() -> bool:
        history = requests.get(f"{bot.web_url}/api/history", params={"sender": sender}, timeout=60)
        assert history.status_code == 200, history.text
        return history.json()["order_in_progress"]

    assert in_progress() is False  # no such conversation yet
    for text, expected in [("hi", False), ("I'd like a shirt", True), ("cancel the order", None)]:
        reply = requests.post(f"{bot.web_url}/api/messages", json={"sender": sender, "message": text}, timeout=120)
        assert reply.status_code == 200, reply.text
        if expected is not None:
            assert in_progress() is expected, (text, reply.json())
