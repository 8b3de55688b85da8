"""Issue 10's dialogue gaps over Rasa's REST channel against the real servers (trained model,
action server), orders read back field by field: a message the NLU is unsure of outside an
order is read before it is given up, a bare figure asks which product, a service question
the catalog does not cover is passed to the team, every value taken is said back, and the
rest of a split is offered as the next order once the first is placed."""

from __future__ import annotations

from bot.store.orders import OrderStore
from tests.support.replies import converse, place, sender

CONTACT = ["Aiko Tanaka", "aiko@example.jp", "Hauptstrasse 12, 10115 Berlin"]
UNKNOWN = "I don't know that; I've passed your question to the team"
NOT_UNDERSTOOD = "Sorry, I didn't understand that"


def flags(bot, who: str):
    store = OrderStore(f"sqlite:///{bot.data_dir / 'bespoke.db'}")
    try:
        return store.flags_for(who)
    finally:
        store.dispose()


def test_an_unsure_message_after_do_you_make_shirts_starts_the_order_and_answers_the_question(bot):
    who = sender("gaps", "fallback")
    shirts, order = converse(bot, who, [
        "do you make shirts?", "great, a slim linen one with a spread collar please. can I pay with paypal?"])
    assert "Yes, we make the Made-to-measure shirt" in shirts
    assert NOT_UNDERSTOOD not in order
    assert "Got it: Fabric: Linen, natural; Fit: Slim; Collar: Spread." in order, order
    assert "PayPal" in order and order.rstrip().endswith("(4/11) Which cuffs would you like?"), order
    replies = converse(bot, who, ["barrel", "39.5", "102", "86", "64", "75", "no monogram", "1"])
    assert "Shall I place this order?" in replies[-1], replies[-1]
    placed = place(bot, who, CONTACT)
    assert {k: placed["options"][k] for k in ("fabric", "fit", "collar", "cuffs")} == {
        "fabric": "linen_natural", "fit": "slim", "collar": "spread", "cuffs": "barrel"}


def test_a_bare_figure_asks_which_product_and_what_is_not_understood_says_so(bot):
    who = sender("gaps", "figure")
    [figure] = converse(bot, who, ["15.5 inches"])
    assert "I can't tell which product “15.5 inches” is for, so I haven't kept it yet." in figure
    assert "Which product would you like?" in figure and "Got it" not in figure, figure
    [shirt] = converse(bot, who, ["the shirt"])
    assert "Neck" not in shirt and "(1/11)" in shirt, shirt  # nothing was kept of the figure
    other = sender("gaps", "nonsense")
    [nonsense] = converse(bot, other, ["xkcd qqq zzzt"])
    assert NOT_UNDERSTOOD in nonsense


def test_a_service_question_is_passed_to_the_team_and_a_product_question_gets_a_yes(bot):
    who = sender("gaps", "service")
    wrapping, shirts = converse(bot, who, ["do you offer gift wrapping?", "do you make shirts?"])
    assert UNKNOWN in wrapping and "No, we make" not in wrapping, wrapping
    assert "Yes, we make the Made-to-measure shirt" in shirts
    assert len(flags(bot, who)) == 1


def test_every_answer_is_said_back_before_the_next_question(bot):
    who = sender("gaps", "echo")
    replies = converse(bot, who, ["I'd like a made to measure shirt", "oxford white", "slim"])
    assert "Got it: Fabric: Oxford cotton, white." in replies[1] and "(2/11)" in replies[1], replies[1]
    assert "Got it: Fit: Slim." in replies[2] and "(3/11)" in replies[2], replies[2]


def test_the_rest_of_a_split_is_offered_after_the_first_order_and_started_on_yes(bot):
    who = sender("gaps", "split")
    converse(bot, who, ["I want 3 shirts"])
    [split] = converse(bot, who, ["can 1 of them be linen and the other 2 in the light blue poplin?"])
    assert "One order holds one configuration" in split and "->" not in split, split
    replies = converse(bot, who, ["linen", "slim", "spread", "barrel", "39.5", "102", "86", "64", "75", "no monogram"])
    assert "Shall I place this order?" in replies[-1], replies[-1]
    [one] = converse(bot, who, ["change the quantity to 1"])
    assert "Quantity: 3 shirts -> 1 shirt" in one, one
    done = converse(bot, who, ["yes", *CONTACT])[-1]
    assert "You also asked for 2 × Poplin, light blue. Shall I start that as another order" in done, done
    [first] = bot.orders_of(who)
    assert first["options"]["fabric"] == "linen_natural" and first["options"]["quantity"] == 1
    [second] = converse(bot, who, ["yes"])
    assert "with Fabric: Poplin, light blue; Quantity: 2 shirts." in second, second
    assert "- Fabric: Poplin, light blue" in second and "Shall I place this order?" in second, second
    converse(bot, who, ["yes", "yes"])  # the same details as the first order, offered back and taken
    orders = bot.orders_of(who)
    assert len(orders) == 2
    latest = next(o for o in orders if o["number"] != first["number"])
    assert latest["options"] == {**first["options"], "fabric": "poplin_light_blue", "quantity": 2}
