"""The orders list on a 360 px phone in Chromium: nothing scrolls sideways and no order is cut
off on the right (each order a small card); the staff console served by create_app on a free
port, its store in tmp_path, no Rasa needed for this page."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from bot.local import ROOT
from bot.server import create_app
from bot.settings import Settings
from tests.support.fake_rasa import WebServer
from tests.support.browser import staff_sign_in
from tests.support.staff import add_staff, conversation_order


@pytest.fixture
def staff_server(store):
    add_staff(store)
    long_name = "Maximiliane Alexandra von Hohenzollern-Sigmaringen"
    for index in range(12):
        new = conversation_order(f"web:phone{index:04d}", name=long_name if index % 2 else "Ada Lovelace")
        new = replace(new, customer_email=f"a.very.long.address.{index}@subdomain.example-workshop.com",
                      total=Decimal("123456.78"))
        store.place_order(new)
    with WebServer(settings=Settings.from_env(), app_factory=create_app) as server:
        yield server


def test_the_orders_list_fits_a_360px_phone(staff_server, browser):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        staff_sign_in(page, staff_server.url)
        page.goto(f"{staff_server.url}/staff/orders")
        expect(page.locator("table.orders tbody tr")).to_have_count(12)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
        # Nothing scrolls inside the table's box either, and every cell is within the screen.
        wrap = page.locator(".table-wrap")
        assert wrap.evaluate("node => node.scrollWidth <= node.clientWidth")
        rights = page.locator("table.orders td, table.orders th").evaluate_all(
            "cells => cells.map(cell => cell.getBoundingClientRect().right)")
        assert rights and max(rights) <= 360
        # The order number, the total and the customer's address can all be read.
        first = page.locator("table.orders tbody tr").first
        assert first.locator("td").nth(5).is_visible() and "123,456.78" in first.inner_text()
        assert "subdomain.example-workshop.com" in first.inner_text()
        page.screenshot(path=str(screenshot_path("orders-360px")), full_page=True)
        # The sort links are still there to use.
        expect(page.locator("table.orders thead a")).to_have_count(5)
    finally:
        context.close()


def screenshot_path(name: str):
    folder = ROOT / "tests" / "artifacts" / "staff"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"
