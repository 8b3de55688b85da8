"""Answers that list values, and questions the catalog cannot answer, over Rasa's REST
channel against the real servers, the order read back field by field: "ok that one" after
three CPUs are listed asks which (never a guess), "the second one" takes it and says so;
"is the case waterproof?" is said not to be in the catalog, with the cases listed, and the
conversation is flagged for the team; "which collars do you offer" in a conveyor order says
the collar is the shirt's."""

from __future__ import annotations


from bot.local import BotServers
from bot.store.orders import OrderStore
from tests.support.replies import CONTACT, asks, converse, place, sender


def flags(bot: BotServers, who: str):
    store = OrderStore(f"sqlite:///{bot.data_dir / 'bespoke.db'}")
    try:
        return store.flags_for(who)
    finally:
        store.dispose()


def test_that_one_after_a_list_is_asked_about_and_a_place_in_it_taken(bot: BotServers):
    who = sender("listed", "pc")
    replies = converse(bot, who, ["I want a pc", "what's the cheapest cpu?"])
    assert "Intel Core i5-14400F" in replies[-1] and asks(replies[-1]) == "1/6", replies[-1]
    [reply] = converse(bot, who, ["ok that one"])
    assert "Which one do you mean" in reply and "Got it" not in reply and asks(reply) == "1/6", reply
    [reply] = converse(bot, who, ["the second one"])
    assert "Got it: CPU: AMD Ryzen 5 7600" in reply and "didn't understand" not in reply, reply
    assert asks(reply) == "2/6", reply
    replies = converse(bot, who, ["is 16gb enough for gaming?", "the cheapest one then"])
    assert "Got it: Memory: 16 GB DDR5" in replies[-1], replies[-1]  # DDR4 needs an Intel CPU: not listed
    replies = converse(bot, who, ["1tb", "rtx 4060", "mid tower", "windows 11"])
    assert asks(replies[-1]) == "summary", replies[-1]
    order = place(bot, who, CONTACT)
    assert order["options"] == {"cpu": "ryzen5_7600", "memory": "ddr5_16gb", "storage": "ssd_1tb",
                                "graphics": "rtx_4060", "case": "mid_tower", "os": "windows_11_home"}


def test_a_quality_the_catalog_does_not_give_is_said_and_flagged(bot: BotServers):
    who = sender("unsaid", "case")
    converse(bot, who, ["I want a pc", "i5", "16gb ddr5", "1tb", "rtx 4060"])
    [reply] = converse(bot, who, ["is the case waterproof?"])
    assert "doesn't say that" in reply and "Mid tower" in reply and asks(reply) == "5/6", reply
    assert "Got it" not in reply, reply
    [flag] = flags(bot, who)
    assert "waterproof" in flag["reason"]


def test_another_products_option_is_said_to_be_theirs(bot: BotServers):
    who = sender("elsewhere", "conveyor")
    converse(bot, who, ["a conveyor please"])
    [reply] = converse(bot, who, ["which collars do you offer"])
    assert "has no collar option" in reply and "Made-to-measure shirt" in reply and "Length" in reply, reply
    assert asks(reply) == "1/6", reply
