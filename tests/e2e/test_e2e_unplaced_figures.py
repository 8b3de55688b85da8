"""Figures no option takes, over Rasa's REST channel against the real servers, orders read
back field by field: a bare figure beside other values is asked about (which option?),
never guessed from its size nor dropped; a figure labelled with something the product has
no option for is said to be about that; "2 conveyors" of a product one order holds one of
says so and takes the rest of the message. The reply asks each question once."""

from __future__ import annotations

from bot.local import BotServers
from tests.support.replies import CONTACT, asks, converse, place, sender


def test_a_bare_figure_beside_a_choice_is_asked_about_and_a_labelled_one_refused(bot: BotServers):
    who = sender("unplaced", "shirt")
    [reply] = converse(bot, who, ["I'd like a white oxford shirt, 104 cm"])
    assert "Oxford cotton, white" in reply and "I haven't taken 104 cm" in reply, reply
    assert "chest" in reply and "waist" in reply and "Chest: 104" not in reply, reply
    replies = converse(bot, who, ["slim", "spread", "barrel"])
    assert asks(replies[-1]) == "5/11", replies[-1]
    # At the neck: the neck is taken, the 98 is asked about; nothing is "not understood".
    [reply] = converse(bot, who, ["neck 40, 98"])
    assert "Neck: 40 cm" in reply and "I haven't taken 98" in reply and "didn't understand" not in reply, reply
    assert asks(reply) == "6/11", reply
    # At the chest: the hips are not the chest; the question is asked once.
    [reply] = converse(bot, who, ["hips 104"])
    assert "about the hips" in reply and asks(reply) == "6/11", reply
    assert reply.count("What is your chest measurement?") == 1, reply
    replies = converse(bot, who, ["chest 104 cm, waist 90", "64", "76", "no monogram", "1"])
    assert asks(replies[-1]) == "summary", replies[-1]
    order = place(bot, who, CONTACT)
    options = order["options"]
    assert (options["fabric"], options["neck"], options["chest"], options["waist"]) == ("oxford_white", 40, 104, 90)
    assert options["sleeve_length"] == 64 and options["shirt_length"] == 76 and options["quantity"] == 1


def test_a_count_of_a_product_without_a_quantity_is_one_order_and_the_rest_is_taken(bot: BotServers):
    who = sender("unplaced", "conveyor")
    [reply] = converse(bot, who, ["I'd like a conveyor"])
    assert asks(reply) == "1/6", reply
    [reply] = converse(bot, who, ["2 conveyors 4 m long"])
    assert "One order is for one Custom conveyor" in reply and "Length: 4 m" in reply, reply
    assert asks(reply) == "2/6", reply
    # A bare figure the one open option fits is still asked about, not taken.
    who = sender("unplaced", "conveyor-12")
    [reply] = converse(bot, who, ["a conveyor 4 m long, 12"])
    assert "Length: 4 m" in reply and "I haven't taken 12" in reply and "the load" in reply, reply
    assert "Load: 12" not in reply and "the length or" not in reply, reply
    replies = converse(bot, who, ["600 mm", "load 12 kg/m", "pvc", "standard", "230 V single phase"])
    assert "Load: 12 kg/m" in replies[1] and asks(replies[-1]) == "summary", replies
    order = place(bot, who, CONTACT)
    assert order["options"] == {"length": 4, "belt_width": 600, "load": 12, "belt": "pvc",
                                "environment": "standard", "power": "230v_single_phase"}


def test_a_figure_about_something_else_asks_the_question_once(bot: BotServers):
    who = sender("unplaced", "trays")
    converse(bot, who, ["a conveyor please", "4 m long"])
    [reply] = converse(bot, who, ["the trays are 60 cm wide"])
    assert "about the trays" in reply and reply.count("How wide should the belt be?") == 1, reply
    [reply] = converse(bot, who, ["800 mm"])
    assert "Belt width: 800 mm" in reply, reply
