"""Every part of a message accounted for, over Rasa's REST channel against the real servers
(trained model, action server), orders read back field by field: a question never fills an
option whatever intent the NLU gives it, a pick beside a question is taken and the question
answered, "skip the graphics card" and "normal buttoned cuffs" are taken, "change the
storage" at the summary asks the storage again, two changes in one message are both made,
and a split over the quantity changes nothing."""

from __future__ import annotations

from bot.local import BotServers
from tests.support.replies import CONTACT, asks, converse, place, sender


def test_questions_fill_nothing_and_picks_beside_them_are_taken(bot: BotServers):
    who = sender("clauses", "pc")
    replies = converse(bot, who, ["I need a gaming PC", "the 7800X3D", "32gb ddr5", "2tb"])
    assert asks(replies[-1]) == "4/6"
    # Questions, whatever the NLU makes of them: the graphics question stays open.
    for question in ("is the 4070 super enough for resolve or do I need the 4080?",
                     "would the rx 7800 xt be quieter than the 4070 super?"):
        [reply] = converse(bot, who, [question])
        assert asks(reply) == "4/6" and "->" not in reply, reply
    [reply] = converse(bot, who, ["I'll take the 4080 super, is that enough?"])
    assert "GeForce RTX 4080 Super" in reply and asks(reply) == "5/6", reply
    [reply] = converse(bot, who, ["full tower. when would it be ready if I order today?"])
    assert "ready around" in reply and asks(reply) == "6/6", reply
    [reply] = converse(bot, who, ["windows 11"])
    assert asks(reply) == "summary"
    [reply] = converse(bot, who, ["change the storage"])
    assert "change the storage" in reply and asks(reply) == "3/6", reply
    [reply] = converse(bot, who, ["4tb"])
    assert "2 TB NVMe SSD -> 4 TB NVMe SSD" in reply and asks(reply) == "summary", reply
    [reply] = converse(bot, who, ["change the cpu to the ryzen 5 and the memory to 64gb"])
    assert "AMD Ryzen 7 7800X3D -> AMD Ryzen 5 7600" in reply and "32 GB DDR5 -> 64 GB DDR5" in reply, reply
    order = place(bot, who, CONTACT)
    assert order["options"] == {"cpu": "ryzen5_7600", "memory": "ddr5_64gb", "storage": "ssd_4tb",
                                "graphics": "rtx_4080_super", "case": "full_tower", "os": "windows_11_home"}


def test_a_shirt_with_described_cuffs_a_split_and_two_changes_at_once(bot: BotServers):
    who = sender("clauses", "shirt")
    replies = converse(bot, who, ["I'd like a made to measure shirt", "does the linen wrinkle?"])
    assert asks(replies[-1]) == "1/11", replies[-1]
    replies = converse(bot, who, ["linen", "slim fit", "spread collar and normal buttoned cuffs"])
    assert "Barrel" in replies[-1] and asks(replies[-1]) == "5/11", replies[-1]
    [reply] = converse(bot, who, ["how do I measure my neck?"])
    assert asks(reply) == "5/11", reply
    replies = converse(bot, who, ["39", "102", "86", "64", "75", "no monogram", "3"])
    assert asks(replies[-1]) == "summary"
    [reply] = converse(bot, who, ["can 1 of them be linen and the other 2 in the light blue poplin?"])
    assert "One order holds one configuration" in reply and "->" not in reply, reply
    [reply] = converse(bot, who, ["let's do the white oxford instead, and make it 2 of them"])
    assert "Oxford cotton, white" in reply and "3 shirts -> 2 shirts" in reply, reply
    order = place(bot, who, CONTACT)
    options = order["options"]
    assert (options["fabric"], options["cuffs"], options["collar"], options["quantity"]) == \
        ("oxford_white", "barrel", "spread", 2)


def test_skipping_an_option_in_a_clause_is_taken(bot: BotServers):
    who = sender("clauses", "skip")
    replies = converse(bot, who, ["a pc with the ryzen 7 7800x3d", "32gb ddr5", "2tb and skip the graphics card"])
    assert "No graphics card" in replies[-1] and asks(replies[-1]) == "5/6", replies[-1]
