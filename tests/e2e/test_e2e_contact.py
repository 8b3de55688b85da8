"""Contact details in the customer's own words over Rasa's REST channel against the real
servers: each taken without its lead-in and said back in the same reply, the stored
order read back field by field; an address outside the delivery countries stores nothing."""

from __future__ import annotations

import uuid

from tests.support.replies import texts

PC = ["I need a gaming PC", "the 7800X3D", "32 GB DDR5", "2TB SSD", "RTX 4070 Super", "mid tower", "win 11"]


def new_sender(name: str) -> str:
    return f"test-contact-{name}-{uuid.uuid4().hex[:8]}"


def test_contact_details_in_free_words_are_stored_clean_and_said_back(bot):
    sender = new_sender("clean")
    bot.converse(sender, PC)
    asked = texts(bot.say(sender, "yes"))
    assert "What name should go on the order?" in asked
    # A delivery question at the name question: a plain answer, then the name question again.
    shipping = texts(bot.say(sender, "do you ship to Canada?"))
    assert "No, we don't deliver to Canada. We deliver only within the EU." in shipping
    assert "What name should go on the order?" in shipping
    named = texts(bot.say(sender, "my name is Aiko Tanaka"))
    assert "Thanks, Aiko Tanaka." in named and "What email address" in named
    mailed = texts(bot.say(sender, "my email is Aiko.Tanaka@Example.JP thanks"))
    assert "I'll send the confirmation and updates to Aiko.Tanaka@example.jp." in mailed
    assert "delivery address" in mailed
    placed = texts(bot.say(sender, "please send it to Hauptstrasse 12, 10115 Berlin"))
    assert "We'll deliver to: Hauptstrasse 12, 10115 Berlin." in placed
    [order] = bot.orders_of(sender)
    assert order["number"] in placed and "Thank you, Aiko Tanaka!" in placed
    assert order["customer_name"] == "Aiko Tanaka"
    assert order["customer_email"] == "Aiko.Tanaka@example.jp"
    assert order["customer_address"] == "Hauptstrasse 12, 10115 Berlin"
    assert order["product_id"] == "custom_pc" and order["total"] == "1622.00"


def test_junk_and_a_us_address_are_refused_and_nothing_is_stored(bot):
    sender = new_sender("refused")
    bot.converse(sender, PC + ["yes"])
    refused = texts(bot.say(sender, "42"))
    assert "“42” is a number, not a name. What name should go on the order" in refused
    both = texts(bot.say(sender, "I'm Max Muster, max@example.com"))  # the email beside the name: both taken
    assert "Thanks, Max Muster." in both and "I'll send the confirmation and updates to max@example.com." in both
    assert "delivery address" in both and "What email address" not in both
    abroad = texts(bot.say(sender, "ship to 1600 Pennsylvania Ave NW, Washington, DC 20500, USA"))
    assert ("That address is in the United States. We deliver only within the EU. "
            "Please give an address there, or ask to talk to a person.") in abroad
    assert bot.orders_of(sender) == []
    # The order is still open: an address in the EU places it.
    bot.say(sender, "Musterweg 3, 1010 Wien, Österreich")
    [order] = bot.orders_of(sender)
    assert (order["customer_name"], order["customer_email"], order["customer_address"]) == (
        "Max Muster", "max@example.com", "Musterweg 3, 1010 Wien, Österreich")
