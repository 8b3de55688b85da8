"""The order pages through the real web app: the list (filters, sorting, paging), an order's
page, status changes and notes through the forms, CSV export and the /api/orders API."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.staff.accounts import StaffAccounts
from tests.support.staff import STAFF_NAME, page_csrf, sign_in, staff_client
from tests.support.staff import (
    make_orders,
    pc_order,
)


ORDER_LINK = re.compile(r'<td class="nowrap"><a href="/staff/orders/(BSP-[0-9A-Z]{6})">')


# ---------------------------------------------------------------------------- pages




@pytest.fixture
async def client(web_store):
    client = await staff_client()
    await sign_in(client)
    yield client
    await client.close()


def flash_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["flash"][0]


async def test_order_list_filters_sorts_and_pages(client, web_store):
    many = make_orders(web_store, 60)
    response = await client.get("/staff/orders")
    page = await response.text()
    assert response.status == 200
    assert "1-50 of 60" in page and "Page 1 of 2" in page
    newest = sorted(many, key=lambda o: o["created_at"], reverse=True)
    assert ORDER_LINK.findall(page) == [o["number"] for o in newest[:50]]
    assert 'rel="next"' in page and 'href="/staff/orders?page=2"' in page
    second = await (await client.get("/staff/orders?page=2")).text()
    assert "51-60 of 60" in second and "Page 2 of 2" in second
    assert ORDER_LINK.findall(second) == [o["number"] for o in newest[50:]]

    shipped = await (await client.get("/staff/orders?status=shipped&sort=number&dir=asc")).text()
    expected = sorted(o["number"] for o in many if o["status"] == "shipped")
    assert ORDER_LINK.findall(shipped) == expected
    assert f"1-{len(expected)} of {len(expected)}" in shipped
    assert '<option value="shipped" selected>shipped</option>' in shipped
    assert 'aria-sort="ascending"' in shipped
    # the header link of the active column flips the direction and keeps the filter
    assert 'href="/staff/orders?status=shipped&amp;sort=number"' in shipped

    found = await (await client.get("/staff/orders", params={"q": "lovelace", "product": "custom_pc"})).text()
    assert set(ORDER_LINK.findall(found)) == {
        o["number"] for o in many if o["customer_name"] == "Ada Lovelace" and o["product_id"] == "custom_pc"
    }
    dated = await (await client.get("/staff/orders?from=2026-03-02&to=2026-03-04")).text()
    assert "1-3 of 3" in dated
    nothing = await (await client.get("/staff/orders?q=nobody")).text()
    assert "No orders match these filters" in nothing


@pytest.mark.parametrize("query, message", [
    ("status=lost", "Unknown status"),
    ("from=31.12.2026", "is not a date"),
    ("sort=password", "Cannot sort by"),
    ("page=abc", "is not a valid page"),
    ("page=999", "There is no page 999"),
    ("product=%3Cscript%3E", "is not a product"),
])
async def test_bad_filter_values_give_a_message(client, web_store, query, message):
    make_orders(web_store, 3)
    response = await client.get(f"/staff/orders?{query}")
    page = await response.text()
    assert response.status == 200
    assert message in page
    assert len(ORDER_LINK.findall(page)) == 3
    assert "<script>" not in page


async def test_order_page_shows_everything(client, web_store, monkeypatch):
    # Placed on a Saturday (UTC): 10 business days counted from Monday 30 Nov 2026.
    monkeypatch.setattr("bot.store.orders.utcnow", lambda: datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc))
    placed = web_store.place_order(pc_order())
    number = placed["number"]
    web_store.change_status(number, "confirmed", "bob", "paid by bank transfer")
    web_store.add_note(number, "bob", "Wants <delivery> after 5pm")
    response = await client.get(f"/staff/orders/{number}")
    page = await response.text()
    assert response.status == 200
    for shown in ("Memory", "32 GB DDR5", "Storage", "1 TB NVMe", "Desk height", "72.5 cm", "<td>cm</td>",
                  "Power supply", "750 W Gold", "Base price", "€1,200.00", "€95.00", "€1,415.00", "Total (EUR)",
                  "anna@example.com", "Hauptstrasse 12", "10 business days", "paid by bank transfer", "by bob",
                  "Wants &lt;delivery&gt; after 5pm", "Anna &lt;b&gt;Schmidt&lt;/b&gt;"):
        assert shown in page, shown
    assert "<b>Schmidt</b>" not in page
    assert 'href="/staff/conversations/web%3Aabc%201%2F2"' in page
    # promised: placed Sat 28 Nov 2026 + 10 business days
    assert "Mon 14 Dec 2026" in page
    # only the legal next status is offered, and cancelling with a reason
    status_form = page.split('id="s-status"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([a-z_]+)"', status_form) == ["in_production"]
    assert 'name="status" value="cancelled"' in page and 'id="c-reason" name="reason" required' in page
    assert page.count('name="csrf_token"') == 5  # sign-out, status, cancel, note, message to the customer


async def test_quote_request_and_unknown_order_pages(client, web_store):
    quote = web_store.place_order(pc_order(kind="quote_request", total=None, price_lines=[]))
    page = await (await client.get(f"/staff/orders/{quote['number']}")).text()
    assert "quote request" in page.lower() and "Total (" not in page
    lower = await client.get(f"/staff/orders/{quote['number'].lower()}", allow_redirects=False)
    assert lower.status == 303 and lower.headers["Location"] == f"/staff/orders/{quote['number']}"
    missing = await client.get("/staff/orders/BSP-<b>x")
    assert missing.status == 404
    text = await missing.text()
    assert "There is no order BSP-&lt;B&gt;X" in text and "<b>" not in text.split("<main")[1]


async def test_status_changes_through_the_form(client, web_store):
    number = web_store.place_order(pc_order())["number"]
    token = await page_csrf(client, f"/staff/orders/{number}")
    legal = await client.post(f"/staff/orders/{number}/status", data={"csrf_token": token, "status": "confirmed"},
                              allow_redirects=False)
    assert legal.status == 303 and legal.headers["Location"].startswith(f"/staff/orders/{number}?flash=")
    shown = await (await client.get(legal.headers["Location"])).text()
    assert f"Order {number} is now confirmed." in shown and 'class="ok"' in shown
    assert web_store.get(number)["status_history"][-1]["changed_by"] == STAFF_NAME

    illegal = await client.post(f"/staff/orders/{number}/status", data={"csrf_token": token, "status": "delivered"},
                                allow_redirects=False)
    assert illegal.status == 303
    refused = await (await client.get(illegal.headers["Location"])).text()
    assert "Not changed: order" in refused and "cannot go from confirmed to delivered" in refused
    assert 'class="error"' in refused
    no_reason = await client.post(f"/staff/orders/{number}/status",
                                  data={"csrf_token": token, "status": "cancelled", "reason": " "},
                                  allow_redirects=False)
    assert "a reason is required" in await (await client.get(no_reason.headers["Location"])).text()
    order = web_store.get(number)
    assert order["status"] == "confirmed" and len(order["status_history"]) == 2

    cancel = await client.post(f"/staff/orders/{number}/status",
                               data={"csrf_token": token, "status": "cancelled", "reason": "out of stock"},
                               allow_redirects=False)
    page = await (await client.get(cancel.headers["Location"])).text()
    assert "is now cancelled" in page and "out of stock" in page and "its status is final" in page
    # a flash message cannot be made up by whoever sends a link
    assert "Haha" not in await (await client.get(f"/staff/orders/{number}?flash=Haha")).text()
    unknown = await client.post("/staff/orders/BSP-222222/status", data={"csrf_token": token, "status": "confirmed"})
    assert unknown.status == 404


async def test_forged_forms_change_nothing(client, web_store):
    number = web_store.place_order(pc_order())["number"]
    for path, data in ((f"/staff/orders/{number}/status", {"status": "confirmed"}),
                       (f"/staff/orders/{number}/notes", {"note": "forged"})):
        for token in ({"csrf_token": "forged"}, {}):
            response = await client.post(path, data={**data, **token}, allow_redirects=False)
            assert response.status == 403
    order = web_store.get_for_staff(number)
    assert order["status"] == "received" and len(order["status_history"]) == 1 and order["notes"] == []


async def test_notes_through_the_form(client, web_store):
    number = web_store.place_order(pc_order())["number"]
    token = await page_csrf(client, f"/staff/orders/{number}")
    added = await client.post(f"/staff/orders/{number}/notes", data={"csrf_token": token, "note": "Rang, no answer"},
                              allow_redirects=False)
    page = await (await client.get(added.headers["Location"])).text()
    assert "Note added." in page and "Rang, no answer" in page
    empty = await client.post(f"/staff/orders/{number}/notes", data={"csrf_token": token, "note": "  "},
                              allow_redirects=False)
    assert "The note was not added: the note is empty." in await (await client.get(empty.headers["Location"])).text()
    [note] = web_store.notes_for(number)
    assert note["author"] == STAFF_NAME


async def test_csv_export(client, web_store):
    many = make_orders(web_store, 55)
    evil = web_store.place_order(pc_order(customer_name="=HYPERLINK(\"http://evil\")", customer_email="@me.example",
                                          customer_address="+1 Main St\n-2nd floor"))
    response = await client.get("/staff/orders.csv")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = await response.read()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["number", "created", "status", "product", "options", "total", "currency", "customer name",
                       "email", "address", "promised date", "conversation id"]
    assert len(rows) == 1 + len(many) + 1  # every order, not one page
    by_number = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    row = by_number[evil["number"]]
    assert row["customer name"] == "'=HYPERLINK(\"http://evil\")"
    assert row["email"] == "'@me.example" and row["address"] == "'+1 Main St, -2nd floor"
    assert row["options"] == "Memory: 32 GB DDR5; Storage: 1 TB NVMe; Desk height: 72.5 cm"
    assert row["total"] == "1415.00" and row["currency"] == "EUR" and row["status"] == "received"
    assert row["conversation id"] == "web:abc 1/2"
    assert datetime.fromisoformat(row["created"]).tzinfo is not None
    assert date.fromisoformat(row["promised date"]) > datetime.fromisoformat(row["created"]).date()
    quote = next(o for o in many if o["total"] is None)
    assert by_number[quote["number"]]["total"] == ""

    filtered = await client.get("/staff/orders.csv?status=shipped&q=ada")
    rows = list(csv.reader(io.StringIO((await filtered.read()).decode("utf-8-sig"))))
    assert sorted(r[0] for r in rows[1:]) == sorted(
        o["number"] for o in many if o["status"] == "shipped" and o["customer_name"] == "Ada Lovelace"
    )
    bad = await client.get("/staff/orders.csv?status=lost")
    assert bad.status == 400 and "Unknown status" in await bad.text()
    list_page = await (await client.get("/staff/orders?status=shipped&page=1")).text()
    assert 'href="/staff/orders.csv?status=shipped"' in list_page


async def test_csv_export_needs_sign_in(web_store):
    client = await staff_client()
    try:
        response = await client.get("/staff/orders.csv", allow_redirects=False)
        assert response.status == 303
    finally:
        await client.close()


# ---------------------------------------------------------------------------- API


async def test_api_orders_with_a_token(web_store):
    many = make_orders(web_store, 12)
    number = many[0]["number"]
    web_store.add_note(number, "bob", "api note")
    accounts = StaffAccounts(web_store)
    token = accounts.create_token(STAFF_NAME)
    headers = {"Authorization": f"Bearer {token}"}
    client = await staff_client()
    try:
        listed = await client.get("/api/orders?per_page=5&sort=number&dir=asc", headers=headers)
        assert listed.status == 200
        body = await listed.json()
        assert (body["total"], body["page"], body["per_page"]) == (12, 1, 5)
        assert [o["number"] for o in body["orders"]] == sorted(o["number"] for o in many)[:5]
        assert body["orders"][0] == web_store.get(body["orders"][0]["number"])
        filtered = await (await client.get("/api/orders", params={"status": "shipped"}, headers=headers)).json()
        assert {o["status"] for o in filtered["orders"]} == {"shipped"}
        bad = await client.get("/api/orders?sort=password", headers=headers)
        assert bad.status == 400 and (await bad.json())["error"] == "bad_request"

        one = await client.get(f"/api/orders/{number.lower()}", headers=headers)
        assert one.status == 200
        order = await one.json()
        assert order["number"] == number and [n["text"] for n in order["notes"]] == ["api note"]
        unknown = await client.get("/api/orders/BSP-222222", headers=headers)
        assert unknown.status == 404 and (await unknown.json())["error"] == "not_found"

        [info] = accounts.tokens(STAFF_NAME)
        accounts.revoke_token(info.id)
        revoked = await client.get(f"/api/orders/{number}", headers=headers)
        assert revoked.status == 401
        assert (await client.get("/api/orders", headers=headers)).status == 401
    finally:
        await client.close()
