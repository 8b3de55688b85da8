"""The link from a Telegram chat to the web chat (?link=ABCD-EFGH, actions/identity.py) in a
real browser against a fake Rasa: the widget opens, types "link <code>" for the customer
once, and takes the code out of the address (a reload does not send it again)."""

from __future__ import annotations

from tests.support.browser import open_shop, wait_idle


def test_the_link_types_the_code_once(widget_server, fake_rasa, page):
    open_shop(page, f"{widget_server.url}/?link=AB3D-EF9H&utm=tg")
    page.wait_for_selector(".bespoke-bot", timeout=60_000)
    wait_idle(page)
    assert page.locator(".bespoke-panel").is_visible()
    assert fake_rasa.messages() == ["link AB3D-EF9H"]
    assert page.locator(".bespoke-bot .bespoke-text").last.inner_text() == "You said: link AB3D-EF9H"
    assert page.evaluate("window.location.search") == "?utm=tg"
    page.reload()
    page.wait_for_selector(".bespoke-chat[data-ready='true']", state="attached")
    wait_idle(page)
    assert fake_rasa.messages() == ["link AB3D-EF9H"]  # not sent again


def test_anything_else_in_link_is_not_sent(widget_server, fake_rasa, page):
    open_shop(page, f"{widget_server.url}/?link=%3Cscript%3E")
    wait_idle(page)
    assert fake_rasa.messages() == []
