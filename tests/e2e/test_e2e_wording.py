"""Wording over Rasa's REST channel against the real servers: no "did you mean" about a value
the rules exclude, one set of buttons a reply, a question at the summary answered with one
line, a goodbye for "bye", and the quantity line of a placed order in the JSON."""

from __future__ import annotations

import uuid

from bot.local import BotServers
from tests.support.replies import texts

CONTACT = ["Anna Schmidt", "anna.schmidt@example.com", "Hauptstrasse 12, 10115 Berlin"]


def new_sender(name: str) -> str:
    return f"test-{name}-{uuid.uuid4().hex[:8]}"


def button_sets(reply) -> int:
    return sum(1 for message in reply if message.get("buttons"))


def test_the_pc_conversation_is_worded_as_people_speak(bot: BotServers):
    sender = new_sender("wording-pc")
    replies = bot.converse(sender, ["I need a gaming PC", "a pentium", "the 7800X3D", "32gb ddr4", "32 gb"])
    assert button_sets(replies[1]) == 1  # "not one of our CPU options" and the question: one set of buttons
    assert "take DDR5 memory only" in texts(replies[3])
    taken = texts(replies[4])
    assert "I took 32 GB DDR5 for the memory" in taken and "Did you mean" not in taken
    replies = bot.converse(sender, ["2TB SSD", "RTX 4070 Super", "mid tower", "win 11"])
    assert texts(replies[-1]).startswith("**Custom PC**")
    for question, answer in (("how much is it?", "€1,622.00"), ("what did you put for the graphics?", "GeForce RTX 4070 Super")):
        [reply] = bot.converse(sender, [question])
        said = texts(reply)
        assert answer in said and "**Custom PC**" not in said, said
        assert reply[-1]["text"] == "Shall I place this order?" and button_sets(reply) == 1
    [reply] = bot.converse(sender, ["bye"])
    assert texts(reply).startswith("Goodbye") and "?" not in texts(reply)
    [reply] = bot.converse(sender, ["thanks, bye"])
    assert "Goodbye" in texts(reply) and "Anything else" not in texts(reply)


def test_a_two_shirt_order_keeps_its_quantity_line(bot: BotServers):
    sender = new_sender("wording-shirts")
    replies = bot.converse(sender, ["I'd like a shirt", "white oxford", "slim fit", "spread collar", "french cuffs",
                                    "39", "100", "90", "64", "75", "no monogram", "2"])
    summary = texts(replies[-1])
    assert "- Quantity: 2 shirts" in summary and "Price per shirt:" in summary and "Total: €138.00" in summary
    bot.converse(sender, ["yes", *CONTACT])
    [order] = bot.orders_of(sender)
    assert order["total"] == "138.00"
    assert [line["amount"] for line in order["price_lines"]] == ["59.00", "10.00", "138.00"]
    assert order["price_lines"][-1]["kind"] == "quantity" and order["price_lines"][-1]["label"] == "2 shirts × €69.00"
