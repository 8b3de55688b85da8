"""Shop questions and advice over Rasa's REST channel against the real servers: answered
from the catalog's knowledge before and during an order, nothing chosen by a question, what
the catalog does not cover said plainly and flagged for the team; the order placed after the
questions holds exactly what the customer picked."""

from __future__ import annotations

from bot.store.orders import OrderStore
from tests.support.replies import converse, place, sender

UNKNOWN = "I don't know that; I've passed your question to the team"


def test_shop_questions_before_an_order_are_answered_from_the_catalog(bot):
    who = sender("test-questions", "shop")
    paypal, vat, shirts, cheapest, neck, tables = converse(bot, who, [
        "can I pay with paypal or by bank transfer?",
        "are taxes included in your prices?",
        "do you make shirts?",
        "how much is the cheapest PC?",
        "how do I measure my neck?",
        "do you make dining tables?",
    ])
    assert "PayPal or SEPA bank transfer" in paypal
    assert "includes VAT" in vat
    assert "Yes, we make the Made-to-measure shirt" in shirts and "From €59.00" in shirts
    assert "Custom PC from €560.00" in cheapest
    assert "base of your neck" in neck
    assert "No, we make Custom PC, Made-to-measure shirt and Custom conveyor" in tables
    store = OrderStore(f"sqlite:///{bot.data_dir / 'bespoke.db'}")
    try:
        assert store.flags_for(who) == []
    finally:
        store.dispose()


def test_what_the_catalog_does_not_cover_is_flagged_not_answered_with_something_else(bot):
    who = sender("test-questions", "unknown")
    [reply] = converse(bot, who, ["are you open on sundays?"])
    assert UNKNOWN in reply
    assert "We make to order" not in reply and "The price depends" not in reply
    store = OrderStore(f"sqlite:///{bot.data_dir / 'bespoke.db'}")
    try:
        [flag] = store.flags_for(who)
    finally:
        store.dispose()
    assert "sundays" in flag["reason"]


def test_advice_mid_order_chooses_nothing_and_the_order_holds_only_what_was_picked(bot):
    who = sender("test-questions", "advice")
    replies = converse(bot, who, [
        "I need a gaming PC",
        "the 7800X3D",
        "what's the difference between 16 and 32 gb?",
        "32 GB DDR5",
        "2TB SSD",
        "is the 4070 super enough for resolve?",
    ])
    compare, enough = replies[2], replies[5]
    assert "16 GB DDR5" in compare and "32 GB DDR5" in compare
    assert "Which graphics card" not in compare  # the memory question is still the one asked
    assert "DaVinci Resolve" in enough and "GeForce RTX 4070 Super" in enough
    assert "Which graphics card would you like?" in enough  # asked again: nothing was chosen
    converse(bot, who, ["RTX 4070 Super", "mid tower", "win 11"])
    order = place(bot, who, ["Aiko Tanaka", "aiko@example.jp", "Hauptstrasse 12, 10115 Berlin"])
    assert order["options"]["graphics"] == "rtx_4070_super"
    assert order["options"]["memory"] == "ddr5_32gb" and order["total"] == "1622.00"
