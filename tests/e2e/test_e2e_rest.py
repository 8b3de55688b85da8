"""Whole conversations over Rasa's REST channel against the real servers, read back
with `bespoke orders --json`."""

from __future__ import annotations

import uuid

import pytest

from tests.support.replies import texts
from bot.local import BotServers

CONTACT = ["Anna Schmidt", "anna.schmidt@example.com", "Hauptstrasse 12, 10115 Berlin"]


def new_sender(name: str) -> str:
    return f"test-{name}-{uuid.uuid4().hex[:8]}"


def finish(bot: BotServers, sender: str, contact=CONTACT) -> str:
    """Confirm the summary and give contact details; the bot's last words."""
    replies = bot.converse(sender, ["yes", *contact])
    return texts(replies[-1])


def test_custom_pc_order_is_stored_field_by_field(bot):
    sender = new_sender("pc")
    replies = bot.converse(sender, [
        "hi", "I need a gaming PC", "the 7800X3D", "32 GB DDR5", "2TB SSD", "RTX 4070 Super", "mid tower", "win 11",
    ])
    assert "Custom PC" in texts(replies[0])
    summary = texts(replies[-1])
    assert "Power supply (chosen for you): 550 W power supply" in summary
    assert "Total: €1,622.00" in summary
    assert "7 business days" in summary
    done = finish(bot, sender)
    [order] = bot.orders_of(sender)
    assert order["number"] in done
    assert order["product_id"] == "custom_pc"
    assert order["kind"] == "order"
    assert order["options"] == {
        "cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb",
        "graphics": "rtx_4070_super", "case": "mid_tower", "os": "windows_11_home",
    }
    assert [(p["id"], p["value"], p["price"]) for p in order["derived_parts"]] == [("psu", "psu_550w", "69")]
    assert order["total"] == "1622.00"
    assert order["currency"] == "EUR"
    assert order["lead_time_days"] == 7
    assert (order["customer_name"], order["customer_email"], order["customer_address"]) == tuple(CONTACT)
    assert order["status"] == "received"
    assert sum(float(line["amount"]) for line in order["price_lines"]) == 1622.0


def test_shirt_order_converts_inches_and_multiplies_by_quantity(bot):
    sender = new_sender("shirt")
    replies = bot.converse(sender, [
        "I'd like a shirt", "silk", "light blue poplin", "slim fit", "button-down", "french cuffs",
        "15.5", "40 inches", "34", "25 in", "78 cm", "no monogram", "3",
    ])
    assert "out of stock" in texts(replies[1])
    assert "I took 15.5 as inches = 39.4 cm" in texts(replies[6])
    summary = texts(replies[-1])
    assert "3 shirts × €79.00: €237.00" in summary and "Total: €237.00" in summary
    finish(bot, sender)
    [order] = bot.orders_of(sender)
    assert order["options"] == {
        "fabric": "poplin_light_blue", "fit": "slim", "collar": "button_down", "cuffs": "french",
        "neck": 39.4, "chest": 101.6, "waist": 86.4, "sleeve_length": 63.5, "shirt_length": 78,
        "monogram": None, "quantity": 3,
    }
    assert order["total"] == "237.00"
    assert order["lead_time_days"] == 15
    neck = next(detail for detail in order["option_details"] if detail["id"] == "neck")
    # The customer's own figure is kept beside the shop's ("15.5" was taken as inches).
    assert (neck["unit"], neck["label"], neck["typed"]) == ("cm", "39.4 cm (15.5 in)", "15.5 in")
    chest = next(detail for detail in order["option_details"] if detail["id"] == "chest")
    assert (chest["label"], chest["typed"]) == ("101.6 cm (40 inches)", "40 inches")
    assert "- Neck: 39.4 cm (15.5 in)" in summary


def test_conveyor_order_with_rule_rejections(bot):
    sender = new_sender("conveyor")
    replies = bot.converse(sender, [
        "a conveyor for our bakery", "45 m", "12 m", "650 mm", "600mm", "60 kilos a metre",
        "pvc", "stainless steel mesh", "230 V",
    ])
    # "bakery" is a synonym of the food-grade environment: taken from the first message.
    assert "Environment: Food-grade" in texts(replies[0])
    assert "out of range" in texts(replies[1])
    assert "one of 300, 400, 500, 600, 800, 1000 or 1200 mm" in texts(replies[3])
    refused = texts(replies[6])
    assert "That belt cannot carry this load" in refused and "needs the stainless steel mesh belt" in refused
    assert refused.count("these would work: Stainless steel mesh.") == 1
    summary = texts(replies[-1])
    # 12 x 60 x 0.002 = 1.44 kW needed: the 1.5 kW motor, which still runs on 230 V.
    assert "1.5 kW motor" in summary
    # 12 x (300 + 0.4 x 600) + 12 x 180 + 600 = 6480 + 2160 + 600
    assert "Total: €9,240.00" in summary
    finish(bot, sender)
    [order] = bot.orders_of(sender)
    assert order["options"] == {
        "length": 12, "belt_width": 600, "load": 60, "belt": "stainless_mesh",
        "environment": "food_grade", "power": "230v_single_phase",
    }
    assert order["derived_parts"][0]["value"] == "motor_1_5kw"
    assert order["total"] == "9240.00"


def test_food_grade_with_a_rubber_belt_is_refused_and_asked_again(bot):
    sender = new_sender("foodgrade")
    replies = bot.converse(sender, ["I need a conveyor", "10 m", "400", "20", "rubber", "food grade"])
    answer = texts(replies[-1])
    assert "food-grade conveyor needs the stainless steel mesh belt" in answer
    assert "Will it run in a standard or a food-grade environment?" in answer
    assert bot.orders_of(sender) == []


def test_big_conveyor_becomes_a_quote_request_without_total(bot):
    sender = new_sender("quote")
    replies = bot.converse(sender, [
        "we need a conveyor", "30 m", "1200 mm", "100 kg/m", "rubber", "standard", "230 V", "400 V three-phase",
    ])
    assert "400 V three-phase supply" in texts(replies[6])
    summary = texts(replies[-1])
    assert "no instant price" in summary and "Total" not in summary
    done = finish(bot, sender)
    assert "quote request number" in done
    [order] = bot.orders_of(sender)
    assert order["kind"] == "quote_request"
    assert order["total"] is None


def test_declining_the_summary_changes_one_option_and_shows_the_price_change(bot):
    sender = new_sender("change")
    replies = bot.converse(sender, [
        "/order_product{\"product\":\"custom_pc\"}", "Ryzen 5 7600", "16gb ddr5", "512gb", "none", "compact",
        "no os", "no", "memory", "64GB",
    ])
    assert "Which option would you like to change?" in texts(replies[-3])
    assert "Memory: 16 GB DDR5 -> 64 GB DDR5, +150 EUR" in texts(replies[-1])
    finish(bot, sender)
    [order] = bot.orders_of(sender)
    assert order["options"]["memory"] == "ddr5_64gb"
    # 99 + 199 + 209 + 45 + 0 + 89 + 0 + PSU 69 (65 W + 0 W + 150 W)
    assert order["total"] == "710.00"


def test_a_repeated_confirmation_stores_one_order(bot):
    sender = new_sender("twice")
    bot.converse(sender, ["shirt", "oxford", "regular", "spread", "barrel", "40", "100", "90", "64", "78", "JFK", "1"])
    finish(bot, sender)
    again = bot.say(sender, "yes")
    assert "is placed" in texts(again)
    orders = bot.orders_of(sender)
    assert len(orders) == 1
    assert orders[0]["options"]["monogram"] == "JFK"
    assert orders[0]["total"] == "68.00"


def test_an_invalid_email_is_asked_again(bot):
    sender = new_sender("email")
    bot.converse(sender, ["conveyor", "5 m", "300", "10", "pvc", "standard", "230 V", "yes", "Max Muster"])
    refused = texts(bot.say(sender, "max at example"))
    assert "An email address has an @ in it" in refused  # said plainly, in our words
    bot.converse(sender, ["max@example.com", "Industriestr. 5, 70565 Stuttgart"])
    [order] = bot.orders_of(sender)
    assert order["customer_email"] == "max@example.com"


@pytest.mark.parametrize("text", ["I'd like to buy a spaceship", "I want to order a submarine"])
def test_an_unknown_product_gets_the_product_list_and_stores_nothing(bot, text):
    sender = new_sender("unknown")
    replies = bot.say(sender, text)
    buttons = [button["title"] for reply in replies for button in reply.get("buttons", [])]
    assert {"Custom PC", "Made-to-measure shirt", "Custom conveyor"} <= set(buttons), texts(replies)
    assert bot.orders_of(sender) == []


@pytest.mark.parametrize("text", ["asdfgh", "qwpoeiruty zxmn"])
def test_nonsense_is_not_understood_and_says_how_to_see_the_products(bot, text):
    sender = new_sender("nonsense")
    said = texts(bot.say(sender, text))
    assert "didn't understand" in said and "what can you make?" in said
    assert bot.orders_of(sender) == []
