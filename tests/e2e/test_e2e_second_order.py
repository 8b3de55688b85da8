"""A second order in one conversation, over Rasa's REST channel against the real servers:
the rest of a split (over one option or several at once) is offered once the first order
is placed, the offer stands through a question or a thanks until it is answered, and the
first order's contact details are offered back, said in full, never reused without a yes.
Rasa's own commands typed by a customer (/restart, /back, /session_start) and a message of
control characters only get replies in words."""

from __future__ import annotations

import requests

from tests.support.replies import converse, sender, texts

CONTACT = ["Aiko Tanaka", "aiko@example.jp", "Hauptstrasse 12, 10115 Berlin"]
SHIRT_ANSWERS = ["linen", "slim", "spread", "barrel", "39.5", "102", "86", "64", "75", "no monogram"]


def first_order_of_a_split(bot, who: str, split: str, answers) -> str:
    """3 shirts, split: the first order placed with one shirt; the reply that placed it."""
    converse(bot, who, ["I want 3 shirts"])
    [reply] = converse(bot, who, [split])
    assert "One order holds one configuration" in reply, reply
    replies = converse(bot, who, answers)
    assert "Shall I place this order?" in replies[-1], replies[-1]
    [one] = converse(bot, who, ["change the quantity to 1"])
    assert "Quantity: 3 shirts -> 1 shirt" in one, one
    return converse(bot, who, ["yes", *CONTACT])[-1]


def test_the_offer_stands_through_a_question_and_the_details_are_offered_back(bot):
    who = sender("second", "details")
    done = first_order_of_a_split(bot, who, "can 1 of them be linen and the other 2 in the light blue poplin?",
                                  SHIRT_ANSWERS)
    assert "You also asked for 2 × Poplin, light blue. Shall I start that as another order" in done, done
    [first] = bot.orders_of(who)
    question, thanks = converse(bot, who, ["how long does it take to make?", "thanks"])
    assert "business days" in question and "About the rest: You also asked for 2 × Poplin, light blue" in question, question
    assert "You're welcome" in thanks and "Shall I start that as another order" in thanks, thanks
    [second] = converse(bot, who, ["yes"])
    assert "with Fabric: Poplin, light blue; Quantity: 2 shirts." in second, second
    [details] = converse(bot, who, ["yes"])
    assert (f"Same details as for order {first['number']}: Aiko Tanaka, aiko@example.jp, Hauptstrasse 12, 10115 Berlin?"
            in details), details
    assert "What name" not in details and not [o for o in bot.orders_of(who) if o["number"] != first["number"]]
    [placed] = converse(bot, who, ["yes"])
    assert "Got it, the same details as order" in placed and "Name: Aiko Tanaka" in placed, placed
    orders = bot.orders_of(who)
    assert len(orders) == 2
    latest = next(o for o in orders if o["number"] != first["number"])
    assert latest["number"] in placed
    assert latest["options"] == {**first["options"], "fabric": "poplin_light_blue", "quantity": 2}
    assert (latest["customer_name"], latest["customer_email"], latest["customer_address"]) == tuple(CONTACT)


def test_a_split_over_two_options_is_remembered_whole_and_new_details_can_be_given(bot):
    who = sender("second", "two-options")
    done = first_order_of_a_split(
        bot, who, "one linen with a spread collar and the other two in poplin with button down collars",
        SHIRT_ANSWERS)
    assert "You also asked for 2 × Poplin, light blue, Button-down." in done, done
    [first] = bot.orders_of(who)
    assert (first["options"]["fabric"], first["options"]["collar"]) == ("linen_natural", "spread")
    [second] = converse(bot, who, ["yes"])
    assert "with Fabric: Poplin, light blue; Collar: Button-down; Quantity: 2 shirts." in second, second
    offered, name = converse(bot, who, ["yes", "no"])
    assert "Same details as for order" in offered, offered
    assert "OK, new details for this order." in name and "What name should go on the order?" in name, name
    converse(bot, who, ["Kenji Tanaka", "kenji@example.jp", "Hauptstrasse 12, 10115 Berlin"])
    latest = next(o for o in bot.orders_of(who) if o["number"] != first["number"])
    assert latest["options"] == {**first["options"], "fabric": "poplin_light_blue", "collar": "button_down", "quantity": 2}
    assert latest["customer_name"] == "Kenji Tanaka" and latest["customer_email"] == "kenji@example.jp"


def test_rasas_own_commands_typed_mid_order_are_answered(bot):
    who = sender("second", "own")
    converse(bot, who, ["I'd like a made to measure shirt", "linen"])
    back, session, resumed = converse(bot, who, ["/back", "/session_start", "/resume_order"])
    assert "I can't go back a step" in back and "(2/11)" in back, back  # the question asked again, nothing read
    assert "Welcome back! You have an unfinished Made-to-measure shirt order (1 of 11 answered)" in session, session
    assert "(2/11)" in resumed, resumed
    [restart] = converse(bot, who, ["/restart"])
    assert ("Starting over: this conversation begins again, and your unfinished Made-to-measure shirt order "
            "(1 of 11 answered) is cleared." in restart), restart
    [chosen] = converse(bot, who, ["what have I chosen?"])
    assert "You haven't started an order yet." in chosen, chosen


def test_a_message_of_control_characters_only_is_told_it_was_empty(bot):
    for who, before in [(sender("second", "empty"), []), (sender("second", "empty-mid"), ["I'd like a shirt"])]:
        converse(bot, who, before)
        response = requests.post(bot.rest_url, json={"sender": who, "message": "\u0001\u0002\u001b"},
                                 timeout=60)
        assert response.status_code == 200, response.text
        reply = texts(response.json())
        assert "Your message came through empty" in reply and "didn't understand" not in reply, reply
