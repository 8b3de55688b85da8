"""The web chat widget in a real browser (Debian's Chromium through Playwright) against a fake
Rasa (tests/support/fake_rasa.py): languages and colours, the keyboard, images, Rasa slow and
down, rate-limit notices, two tabs."""

from __future__ import annotations

import html
import json


from bot.local import free_port
from tests.support.browser import open_shop, screenshot, sender_of
from tests.support.fake_rasa import FakeRasa, WebServer


def shop_page(page, server_url: str, path: str, **attributes: str) -> str:
    """A shop page on the web server's origin embedding the widget with these data-* attributes."""
    tag = " ".join(f'data-{name.replace("_", "-")}="{html.escape(value)}"' for name, value in attributes.items())
    url = f"{server_url}{path}"
    page.route(url, lambda route: route.fulfill(content_type="text/html", body=(
        "<!doctype html><html lang='en'><head><title>Shop</title></head><body><h1>A shop</h1>"
        f'<a href="#top">Top</a><script src="{server_url}/widget.js" {tag}></script></body></html>'
    )))
    return url


def type_and_send(page, text: str) -> None:
    page.locator(".bespoke-input").fill(text)
    page.locator(".bespoke-input").press("Enter")


def test_language_and_colours_come_from_the_script_tag(widget_server, fake_rasa, page):
    expect = playwright_expect()
    url = shop_page(page, widget_server.url, "/de-shop", lang="de", color="#1d6b4f", text_color="#fffbe6",
                    title="Werkstatt", open="true")
    open_shop(page, url)
    chat = page.locator(".bespoke-chat")
    expect(chat).to_have_attribute("lang", "de")
    expect(page.locator(".bespoke-input")).to_have_attribute("placeholder", "Ihre Nachricht\u2026")
    expect(page.locator(".bespoke-input")).to_have_attribute("aria-label", "Ihre Nachricht")
    expect(page.locator(".bespoke-send")).to_have_text("Senden")
    expect(page.locator(".bespoke-send")).to_have_attribute("aria-label", "Nachricht senden")
    expect(page.locator(".bespoke-restart")).to_have_text("Neues Gespr\u00e4ch")
    expect(page.locator(".bespoke-close")).to_have_attribute("aria-label", "Chat schlie\u00dfen")
    expect(page.locator(".bespoke-log")).to_have_attribute("aria-label", "Gespr\u00e4chsverlauf")
    expect(page.locator(".bespoke-typing")).to_have_attribute("aria-label", "Der Assistent schreibt")
    expect(page.locator(".bespoke-hint")).to_have_text("Hallo! Sagen Sie uns, was Sie bestellen m\u00f6chten.")
    # The colours, through the custom properties, on the header, the Send button and the
    # customer's messages.
    style = "(node, property) => getComputedStyle(node)[property]"
    assert page.locator(".bespoke-header").evaluate(style, "backgroundColor") == "rgb(29, 107, 79)"
    assert page.locator(".bespoke-header").evaluate(style, "color") == "rgb(255, 251, 230)"
    assert page.locator(".bespoke-send").evaluate(style, "backgroundColor") == "rgb(29, 107, 79)"
    type_and_send(page, "Hallo")
    expect(page.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: Hallo")  # not translated
    assert page.locator(".bespoke-user").last.evaluate(style, "backgroundColor") == "rgb(29, 107, 79)"
    assert page.locator(".bespoke-user .bespoke-sr").last.inner_text().startswith("Sie")
    assert fake_rasa.received[-1][2] == {"language": "de"}  # for Rasa, as metadata
    screenshot(page, "german-green")
    # Notices are in German too.
    page.route(f"{widget_server.url}/api/messages", lambda route: route.fulfill(
        status=504, content_type="application/json",
        body=json.dumps({"error": "rasa_timeout", "message": "The shop's assistant is taking too long."})))
    type_and_send(page, "Noch eine Frage")
    expect(page.locator(".bespoke-notice")).to_contain_text("braucht zu lange")
    expect(page.locator(".bespoke-retry")).to_have_text("Erneut versuchen")


def test_unknown_language_falls_back_to_english_and_css_cannot_be_injected(widget_server, browser):
    expect = playwright_expect()
    context = browser.new_context()
    page = context.new_page()
    try:
        external = []
        page.on("request", lambda request: external.append(request.url)
                if not request.url.startswith(widget_server.url) else None)
        url = shop_page(page, widget_server.url, "/xx-shop", lang="xx", open="true",
                        color="red; background-image: url(http://127.0.0.1:9/x.png)",
                        text_color="url(http://127.0.0.1:9/y.png)")
        open_shop(page, url)
        expect(page.locator(".bespoke-chat")).to_have_attribute("lang", "en")
        expect(page.locator(".bespoke-send")).to_have_text("Send")
        expect(page.locator(".bespoke-title")).to_have_text("Chat with us")
        style = "(node, property) => getComputedStyle(node)[property]"
        assert page.locator(".bespoke-header").evaluate(style, "backgroundColor") == "rgb(45, 58, 74)"  # the default
        assert page.locator(".bespoke-header").evaluate(style, "backgroundImage") == "none"
        assert "url" not in (page.locator(".bespoke-chat").get_attribute("style") or "")
        assert external == []
    finally:
        context.close()


def test_keyboard_only_tab_reaches_the_open_buttons_and_enter_or_space_sends(widget_server, fake_rasa, page):
    expect = playwright_expect()
    open_shop(page, widget_server.url)
    page.keyboard.type("which colours?")  # the text box has the focus when the chat opens
    page.keyboard.press("Enter")
    expect(page.locator(".bespoke-choice:enabled")).to_have_count(2)
    focused = page.locator(":focus")
    expect(page.locator(".bespoke-input")).to_be_focused()
    page.keyboard.press("Tab")
    expect(focused).to_have_text("Red")
    # The focus can be seen: the focus ring is drawn.
    assert focused.evaluate("node => node.matches(':focus-visible') && getComputedStyle(node).outlineStyle") == "solid"
    screenshot(page, "keyboard-focus")
    page.keyboard.press("Tab")
    expect(focused).to_have_text("Blue")
    page.keyboard.press("Tab")  # past the buttons: back to the text box, then on to Send
    expect(page.locator(".bespoke-input")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(".bespoke-send")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(focused).to_have_text("Blue")
    page.keyboard.press("Space")
    expect(page.locator(".bespoke-user .bespoke-text").last).to_have_text("Blue")  # the title, not the payload
    expect(page.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: /choose_blue")
    expect(page.locator(".bespoke-input")).to_be_focused()  # the keyboard goes on in the text box
    expect(page.locator(".bespoke-choice:enabled")).to_have_count(0)  # answered
    page.keyboard.type("more colours")
    page.keyboard.press("Enter")
    expect(page.locator(".bespoke-choice:enabled")).to_have_count(2)
    page.keyboard.press("Tab")
    expect(focused).to_have_text("Red")
    page.keyboard.press("Enter")
    expect(page.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: /choose_red")
    assert fake_rasa.messages() == ["which colours?", "/choose_blue", "more colours", "/choose_red"]


def test_a_bot_image_is_shown_with_alt_text(widget_server, page):
    expect = playwright_expect()
    open_shop(page, widget_server.url)
    type_and_send(page, "show me a picture")
    image = page.locator(".bespoke-bot img.bespoke-image")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("alt", "Image from Bespoke Workshop")
    page.wait_for_function("img => img.complete && img.naturalWidth === 2", arg=image.element_handle())
    screenshot(page, "image")


def test_slow_rasa_shows_a_notice_and_try_again_gets_the_answer_once(widget_server, fake_rasa, page):
    expect = playwright_expect()
    open_shop(page, widget_server.url)
    fake_rasa.hold()
    type_and_send(page, "I need a shirt")
    notice = page.locator(".bespoke-notice")
    expect(notice).to_contain_text("taking too long", timeout=10_000)  # BESPOKE_WEB_RASA_TIMEOUT=1
    expect(notice).to_contain_text("not lost")
    expect(page.locator(".bespoke-input")).to_have_value("I need a shirt")  # kept
    expect(page.locator(".bespoke-typing")).to_be_hidden()
    screenshot(page, "slow")
    fake_rasa.release()  # Rasa answers late; the web server keeps the answer for the retry
    page.locator(".bespoke-retry").click()
    expect(page.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: I need a shirt")
    expect(notice).to_be_hidden()
    expect(page.locator(".bespoke-user .bespoke-text")).to_have_text(["I need a shirt"])
    expect(page.locator(".bespoke-input")).to_have_value("")
    assert fake_rasa.messages() == ["I need a shirt"]  # given to Rasa once


def test_rasa_down_then_up_the_message_goes_through_once_and_history_retries_by_itself(browser):
    expect = playwright_expect()
    port = free_port()
    fake = FakeRasa(port)  # not started: Rasa is down
    server = WebServer(port).start()
    context = browser.new_context()
    page = context.new_page()
    try:
        open_shop(page, server.url)
        expect(page.locator(".bespoke-notice")).to_be_hidden()  # a new visitor loads no history
        type_and_send(page, "hello")
        notice = page.locator(".bespoke-notice")
        expect(notice).to_contain_text("can't reach")
        expect(notice).to_contain_text("not lost")
        expect(page.locator(".bespoke-input")).to_have_value("hello")
        expect(page.locator(".bespoke-user")).to_have_count(0)
        fake.start()  # Rasa is back
        page.locator(".bespoke-retry").click()
        expect(page.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: hello")
        expect(notice).to_be_hidden()
        assert fake.messages() == ["hello"]
        # Down again while the page reloads: the history cannot be loaded; the widget says so,
        # tries again by itself and shows the conversation when Rasa is back.
        fake.stop()
        page.reload()
        expect(notice).to_contain_text("could not be loaded")
        screenshot(page, "history-down")
        fake.start()
        expect(notice).to_be_hidden(timeout=15_000)
        expect(page.locator(".bespoke-msg .bespoke-text")).to_have_text(["hello", "You said: hello"])
        assert fake.messages() == ["hello"]
    finally:
        context.close()
        server.stop()
        fake.stop()


def test_too_many_messages_get_a_notice_with_the_wait(widget_server, fake_rasa, page):
    expect = playwright_expect()
    open_shop(page, widget_server.url)
    page.route(f"{widget_server.url}/api/messages", lambda route: route.fulfill(
        status=429, headers={"Retry-After": "7"}, content_type="application/json",
        body=json.dumps({"error": "rate_limited", "message": "You are sending messages faster than we can answer."})))
    type_and_send(page, "one more")
    notice = page.locator(".bespoke-notice")
    expect(notice).to_contain_text("wait 7 s")
    # Where the header cannot be read (another origin whose server does not expose it): the body's.
    page.route(f"{widget_server.url}/api/messages", lambda route: route.fulfill(
        status=429, content_type="application/json",
        body=json.dumps({"error": "rate_limited", "message": "Too fast.", "retry_after": 12})))
    page.locator(".bespoke-retry").click()
    expect(notice).to_contain_text("wait 12 s")
    expect(notice).to_contain_text("not lost")
    expect(page.locator(".bespoke-input")).to_have_value("one more")
    page.unroute(f"{widget_server.url}/api/messages")
    page.locator(".bespoke-retry").click()
    expect(page.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: one more")
    assert fake_rasa.messages() == ["one more"]


def test_two_tabs_share_the_conversation(widget_server, fake_rasa, browser):
    expect = playwright_expect()
    context = browser.new_context()
    try:
        first, second = context.new_page(), context.new_page()
        open_shop(first, widget_server.url)  # makes the conversation id
        open_shop(second, widget_server.url)
        assert sender_of(first, widget_server.url) == sender_of(second, widget_server.url)
        type_and_send(second, "hello from the second tab")
        expect(second.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: hello from the second tab")
        first.bring_to_front()
        expect(first.locator(".bespoke-msg .bespoke-text")).to_have_text(
            ["hello from the second tab", "You said: hello from the second tab"])
        type_and_send(first, "and from the first")
        expect(first.locator(".bespoke-bot .bespoke-text").last).to_have_text("You said: and from the first")
        second.bring_to_front()
        expect(second.locator(".bespoke-user .bespoke-text")).to_have_text(
            ["hello from the second tab", "and from the first"])
        screenshot(second, "second-tab")
        # A new conversation in one tab is the new conversation of the other too.
        first.locator(".bespoke-restart").click()
        second.bring_to_front()
        expect(second.locator(".bespoke-msg")).to_have_count(0)
        assert sender_of(first, widget_server.url) == sender_of(second, widget_server.url)
        assert fake_rasa.messages() == ["hello from the second tab", "and from the first"]
    finally:
        context.close()



def playwright_expect():
    from playwright.sync_api import expect

    return expect
