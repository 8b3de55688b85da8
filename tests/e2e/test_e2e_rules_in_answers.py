"""Questions inside an order answered beside its choices, over Rasa's REST channel against
the real servers, the order read back field by field: "what's the difference between 16 and
32 gb?" after a Ryzen compares the DDR5 modules only and chooses nothing; "do I need ddr5 for
that?" is answered yes from the rule; two belt widths are compared with what the wider
costs; "how many can I order at once?" gets the count; "put AK on the cuff" is asked about
and set only when the customer says so."""

from __future__ import annotations

from bot.local import BotServers
from tests.support.replies import CONTACT, asks, converse, place, sender


def test_questions_beside_a_ryzen_choose_nothing_and_leave_the_ddr4_out(bot: BotServers):
    who = sender("rules", "pc")
    converse(bot, who, ["I want a custom pc", "ryzen 7"])
    [reply] = converse(bot, who, ["what's the difference between 16 and 32 gb?"])
    assert "- **16 GB DDR5**" in reply and "- **16 GB DDR4**" not in reply and "would not fit" in reply, reply
    assert "Got it" not in reply and "I took" not in reply and asks(reply) == "2/6", reply
    [reply] = converse(bot, who, ["do I need ddr5 for that?"])
    assert reply.startswith("Yes: AMD Ryzen processors (socket AM5) take DDR5 memory only.") and asks(reply) == "2/6", reply
    replies = converse(bot, who, ["32gb ddr5", "1tb", "rtx 4070 super", "mid tower", "windows 11"])
    assert asks(replies[-1]) == "summary", replies[-1]
    order = place(bot, who, CONTACT)
    assert order["options"] == {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_1tb",
                                "graphics": "rtx_4070_super", "case": "mid_tower", "os": "windows_11_home"}


def test_two_widths_compared_and_the_count_an_order_holds(bot: BotServers):
    who = sender("rules", "conveyor")
    converse(bot, who, ["I need a conveyor", "3 m"])
    [reply] = converse(bot, who, ["what's the difference between 500 and 600 mm?"])
    assert "600 mm costs €120.00 more than 500 mm" in reply and asks(reply) == "2/6", reply
    [reply] = converse(bot, who, ["how many can I order at once?"])
    assert "One Custom conveyor per order" in reply and "cancel" not in reply and asks(reply) == "2/6", reply


def test_capitals_for_the_monogram_are_asked_about_then_taken_when_said(bot: BotServers):
    who = sender("rules", "shirt")
    converse(bot, who, ["I'd like a shirt"])
    [reply] = converse(bot, who, ["put AK on the cuff"])
    assert 'You wrote "AK": is that for the monogram?' in reply and "Got it" not in reply, reply
    assert asks(reply) == "1/11", reply
    [reply] = converse(bot, who, ["monogram AK"])
    assert "Got it: Monogram: AK" in reply, reply


def test_a_figure_asked_about_at_the_summary_changes_nothing(bot: BotServers):
    who = sender("rules", "summary")
    replies = converse(bot, who, ["I need a conveyor", "5 m", "600 mm", "40 kg per metre", "pvc", "standard", "230v"])
    assert asks(replies[-1]) == "summary", replies[-1]
    [reply] = converse(bot, who, ["would 800 mm cost much more?"])
    assert "Instead of your 600 mm: €400.00 more, €3,620.00 in all." in reply and asks(reply) == "summary", reply
    [reply] = converse(bot, who, ["can I get 2 of them with different belts?"])
    assert "One order is for one Custom conveyor" in reply and asks(reply) == "summary", reply
    order = place(bot, who, CONTACT)
    assert order["options"]["belt_width"] == 600 and order["options"]["length"] == 5 and order["total"] == "3220.00"
