"""Other languages over REST against the real servers: a message in Spanish or German
mid-order is answered in that language and in English, nothing is taken from it, the order
is kept and its question asked again; the customer then finishes the order in English.
Orders are read back field by field."""

from __future__ import annotations


from bot.core.language import other_language_reply
from tests.support import replies
from tests.support.replies import converse

CONTACT = ["Lucía Fernández", "lucia.fernandez@example.org", "Lindenstrasse 7, 10969 Berlin"]


def sender(name: str) -> str:
    return replies.sender("lang", name)


def place(bot, who):
    """Confirm the summary and give the contact details; the stored order."""
    order = replies.place(bot, who, CONTACT)
    return order


def test_spanish_first_and_mid_order_then_the_shirt_in_english(bot):
    who = sender("es")
    said = converse(bot, who, [
        "Hola, quiero una camisa a medida de lino",  # first message: no product taken
        "a linen shirt, slim fit",
        "Quiero el cuello italiano y los puños dobles, por favor",  # mid-order: nothing taken
        "button-down collar and french cuffs", "neck 39, chest 100, waist 86", "sleeve 64, shirt length 78",
        "no monogram", "1",
    ])
    assert said[0].startswith(other_language_reply("es"))  # no order yet: none "kept"
    assert "What would you like?" in said[0]  # "Hola": the greeting's products, in English
    assert "Fabric: Linen, natural" in said[1]
    assert said[2].startswith(other_language_reply("es", order_kept=True))
    assert "collar" in said[2].lower() and "->" not in said[2]  # the pending question again, nothing changed
    assert "Total: €99.00" in said[-1]  # 89 + French cuffs 10
    order = place(bot, who)
    assert order["options"] == {
        "fabric": "linen_natural", "fit": "slim", "collar": "button_down", "cuffs": "french", "neck": 39,
        "chest": 100, "waist": 86, "sleeve_length": 64, "shirt_length": 78, "monogram": None, "quantity": 1,
    }


def test_german_at_the_summary_places_nothing_then_yes_in_english_places_it(bot):
    who = sender("de")
    said = converse(bot, who, [
        "a gaming PC with a 7800X3D, 32 gigs of DDR5 and a 2TB SSD", "rtx 4070 super, mid tower and win 11",
        "Ja, bitte bestellen Sie das so",
        "Können Sie das auch mit einer größeren Festplatte machen?",
    ])
    assert "Total: €1,622.00" in said[1]
    for reply in said[2:]:
        assert reply.startswith(other_language_reply("de", order_kept=True))
        assert "Shall I place" in reply  # the summary's question again, in English
    assert bot.orders_of(who) == []  # "ja" in German placed nothing
    order = place(bot, who)
    assert order["options"] == {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb",
                                "graphics": "rtx_4070_super", "case": "mid_tower", "os": "windows_11_home"}
    assert order["total"] == "1622.00"
