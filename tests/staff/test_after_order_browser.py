"""The order page after the order in Chromium (issue 14), as staff see it: a revision the
customer made and a change request waiting for a decision, on the real web server (staff
console included) in front of a fake Rasa. Its picture is the README's
(docs/staff-order-revisions.png, re-made by every run)."""

from __future__ import annotations

import pytest

from bot.core.amend import propose, revise
from bot.core.catalog import load_catalog
from bot.local import DEMO_CATALOG, ROOT
from tests.staff.test_after_order_pages import place, requested
from tests.support.staff import STAFF_NAME, STAFF_PASSWORD, serving_shop
from tests.support.trackers import FULL_PC

CATALOG = load_catalog(DEMO_CATALOG)
DOCS = ROOT / "docs"


@pytest.fixture
def console(monkeypatch, tmp_path):
    with serving_shop(monkeypatch, tmp_path) as served:
        yield served


def test_staff_see_the_revision_and_decide_the_change_request_on_the_order_page(console, page):
    server, store = console
    product = CATALOG.find_product("custom_pc")
    placed = place(store, "custom_pc", FULL_PC)
    proposal = propose(product, placed, "change the memory to 64 GB")
    store.amend(placed["number"], "conversation-1", revise(product, proposal.after)[0], proposal.changes)
    store.change_status(placed["number"], "confirmed", STAFF_NAME)
    requested(store, store.get(placed["number"]), "make the storage 4 TB")

    page.goto(f"{server.url}/staff/sign-in")
    page.fill("#name", STAFF_NAME)
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{server.url}/staff/orders")
    page.wait_for_selector("text=Change requested")  # the list says the order waits for staff
    page.goto(f"{server.url}/staff/orders/{placed['number']}")
    assert page.locator("text=Revision 1").first.is_visible()
    assert page.locator("text=64 GB DDR5").first.is_visible()
    assert page.locator("text=4 TB").first.is_visible()  # the request, with its accept / refuse forms
    assert page.locator("form button", has_text="Accept").first.is_visible()
    changes = page.locator("section[aria-labelledby='h-changes']")
    assert changes.locator("text=Revision 1").is_visible() and changes.locator("text=4 TB").first.is_visible()
    DOCS.mkdir(exist_ok=True)
    changes.screenshot(path=str(DOCS / "staff-order-revisions.png"))
