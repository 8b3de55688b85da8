"""An order whose price is multiplied (2 shirts) shows the quantity line on its page and in
the JSON, so the figures add up; an order stored before quantity lines still renders."""

from __future__ import annotations

from decimal import Decimal


from bot.core.catalog import load_catalog
from bot.core.pricing import quote
from bot.local import DEMO_CATALOG
from bot.staff.accounts import StaffAccounts
from tests.support.staff import STAFF_NAME, pc_order, sign_in, staff_client

SHIRTS = {"fabric": "oxford_white", "fit": "slim", "collar": "spread", "cuffs": "french", "neck": 39, "chest": 100,
          "waist": 90, "sleeve_length": 64, "shirt_length": 75, "monogram": None, "quantity": 2}




def two_shirts():
    priced = quote(load_catalog(DEMO_CATALOG).product("tailored_shirt"), SHIRTS)
    return pc_order(product_id="tailored_shirt", product_name="Tailored shirt", options=SHIRTS,
                    option_details=[], derived_parts=[], price_lines=priced.stored_lines(), total=priced.total)


def test_the_core_prices_a_multiplied_order_with_its_quantity_line():
    lines = two_shirts().price_lines
    assert [(line["label"], line["amount"]) for line in lines] == [
        ("Fabric: Oxford cotton, white", Decimal("59.00")), ("Cuffs: French", Decimal("10.00")),
        ("2 shirts × €69.00", Decimal("138.00"))]
    assert lines[-1]["kind"] == "quantity" and lines[-1]["quantity"] == 2 and lines[-1]["unit_amount"] == Decimal("69.00")
    assert "kind" not in lines[0]


async def test_the_order_page_and_the_json_show_the_quantity_line(web_store):
    number = web_store.place_order(two_shirts())["number"]
    old = web_store.place_order(pc_order())["number"]  # price lines without a quantity line
    client = await staff_client()
    try:
        await sign_in(client)
        page = await (await client.get(f"/staff/orders/{number}")).text()
        for shown in ("Fabric: Oxford cotton, white", "€59.00", "Cuffs: French", "€10.00",
                      '<tr class="quantity-line"><th scope="row">2 shirts × €69.00</th><td class="num">€138.00</td>',
                      "Total (EUR)"):
            assert shown in page, shown
        old_page = await client.get(f"/staff/orders/{old}")
        assert old_page.status == 200 and "quantity-line" not in await old_page.text()
        headers = {"Authorization": f"Bearer {StaffAccounts(web_store).create_token(STAFF_NAME)}"}
        order = await (await client.get(f"/api/orders/{number}", headers=headers)).json()
        assert order["price_lines"][-1] == {"kind": "quantity", "label": "2 shirts × €69.00", "amount": "138.00",
                                            "option": "quantity", "quantity": "2", "unit_amount": "69.00"}
        assert order["total"] == "138.00"
    finally:
        await client.close()


async def test_a_two_shirt_order_stored_before_quantity_lines_gets_one_on_its_page(web_store):
    old_lines = [line for line in two_shirts().price_lines if "kind" not in line]  # as orders were stored
    number = web_store.place_order(pc_order(product_id="tailored_shirt", product_name="Tailored shirt", options=SHIRTS,
                                            option_details=[], derived_parts=[], price_lines=old_lines,
                                            total=Decimal("138.00")))["number"]
    wrong = web_store.place_order(pc_order(product_id="tailored_shirt", product_name="Tailored shirt",
                                           options=dict(SHIRTS, quantity=3), option_details=[], derived_parts=[],
                                           price_lines=old_lines, total=Decimal("138.00")))["number"]
    client = await staff_client()
    try:
        await sign_in(client)
        page = await (await client.get(f"/staff/orders/{number}")).text()
        assert '<tr class="quantity-line"><th scope="row">2 shirts × €69.00</th><td class="num">€138.00</td>' in page
        assert web_store.get(number)["price_lines"] == [{"label": line["label"], "amount": str(line["amount"])}
                                                         for line in old_lines]  # the stored order is not rewritten
        # figures that do not agree are shown as stored, never made to agree
        assert "quantity-line" not in await (await client.get(f"/staff/orders/{wrong}")).text()
    finally:
        await client.close()
