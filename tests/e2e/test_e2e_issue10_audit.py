"""Issue 10 ("nothing silent"), point by point, in phrasings of our own, over Rasa's REST
channel against the real servers (trained model, action server), orders read back field by
field. The shop is the demo catalog plus two products the code has never seen: a hall bench
whose finish and legs share a word ("ash", tests/fixtures/catalogs/shared_word.yml) and the
garden shed of tests/core/test_cues.py (point 8)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, List

import pytest
import yaml

from bot.local import DEMO_CATALOG, BotServers
from tests.core.test_cues import SHED
from tests.support.replies import converse, place, sender, texts

BENCH = Path(__file__).resolve().parents[1] / "fixtures" / "catalogs" / "shared_word.yml"
CONTACT = ["Mira Okafor", "mira.okafor@example.org", "Kastanienweg 3, 04109 Leipzig"]


def audit_catalog(folder: Path) -> Path:
    """The demo catalog with the bench and the garden shed added."""
    catalog = yaml.safe_load(DEMO_CATALOG.read_text())
    catalog["products"] += yaml.safe_load(BENCH.read_text())["products"] + SHED["products"]
    path = folder / "catalog.yml"
    path.write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def shop(trained_model, tmp_path_factory) -> Iterator[BotServers]:
    folder = tmp_path_factory.mktemp("audit")
    servers = BotServers(folder / "data", catalog=audit_catalog(folder)).start()
    try:
        yield servers
    finally:
        servers.stop()


def buttons(replies: List[dict]) -> List[dict]:
    return [button for reply in replies for button in reply.get("buttons") or []]


def test_a_word_two_options_share_is_asked_with_both_and_the_answer_sets_that_one(shop):
    """Point 1 and 9: "ash" is the Ash grey finish and the Ash legs; neither is set, the
    question names both with one button each (the option as data), and the answer sets
    exactly the one picked, by button or in words, and says it back."""
    who = sender("audit", "bench")
    first = shop.converse(who, ["I'd like a hall bench, 150 cm long, in ash please"])[0]
    said = texts(first)
    assert 'did you mean the Ash grey finish or the Ash legs?' in said and "Length: 150 cm" in said, said
    tie = [b for b in buttons(first) if '"option"' in b["payload"]]
    assert [b["title"] for b in tie] == ["Finish: Ash grey", "Legs: Ash (+€40.00)"]
    assert [json.loads(b["payload"][len("/inform"):]) for b in tie] == [
        {"choice": "ash_grey", "option": "finish"}, {"choice": "ash_legs", "option": "legs"}]
    [reply] = converse(shop, who, ["the legs one"])
    assert "Legs: Ash" in reply and "Finish" not in reply.split("(1/3)")[0], reply
    replies = converse(shop, who, ["clear lacquer"])
    assert "Shall I place this order?" in replies[-1]
    [reply] = shop.converse(who, ["ash"])
    assert "the Ash grey finish or the Ash legs" in texts(reply) and "->" not in texts(reply)
    assert len([b for b in buttons(reply) if '"option"' in b["payload"]]) == 2
    assert not [b for b in buttons(reply) if b["payload"] == "/affirm"]  # one set of buttons in a reply
    [reply] = converse(shop, who, [next(b["payload"] for b in tie if '"finish"' in b["payload"])])
    assert "Finish: Clear lacquer -> Ash grey" in reply, reply
    order = place(shop, who, CONTACT)
    assert order["options"] == {"finish": "ash_grey", "legs": "ash_legs", "length": 150}


def test_figures_about_something_else_or_hedged_are_asked_not_stored(shop):
    """Point 1 in other words than the issue's: crates, per-crate weights, "or so"."""
    who = sender("audit", "conveyor")
    replies = converse(shop, who, ["we need a conveyor, 8 m long", "the crates are 50 cm wide so a bit wider than that"])
    assert "which is about the crates" in replies[-1] and "Belt width" not in replies[-1], replies[-1]
    replies = converse(shop, who, ["700 mm", "each crate weighs 30 kilos"])
    assert "Got it: Belt width: 700 mm" not in replies[0]
    said = replies[-1]
    assert "which is about each crate" in said and "Load" not in said.split("?")[0], said
    replies = converse(shop, who, ["45 kg per metre, or so"])
    assert "I need an exact load" in replies[-1], replies[-1]
    replies = converse(shop, who, ["45 kg per metre", "rubber belt, standard environment and 400 V three phase",
                                   "800 mm then"])  # 700 is not a width we make: still asked
    assert "Load: 45 kg/m" in replies[0] and "(2/6)" in replies[1] and "Shall I place this order?" in replies[-1], replies
    order = place(shop, who, CONTACT)
    assert {k: order["options"][k] for k in ("length", "belt_width", "load", "belt")} == \
        {"length": 8, "belt_width": 800, "load": 45, "belt": "rubber"}


def test_a_shirt_in_inches_keeps_the_customers_figures_and_refuses_in_their_unit(shop):
    """Point 6: the range in inches, how this shop measures, the customer's figure kept."""
    who = sender("audit", "inches")
    replies = converse(shop, who, ["a made to measure shirt in twill, regular fit, spread collar and french cuffs",
                                   "15 1/2 in", "chest 41 in", "waist 36 inches", "sleeve 34 in"])
    assert "15.5 in = 39.4 cm" in replies[1], replies[1]
    assert "21.7 to 29.5 in" in replies[-1], replies[-1]
    [reply] = converse(shop, who, ["ok how am I supposed to measure the sleeve then?"])
    assert "shoulder" in reply and "(8/11)" in reply, reply
    replies = converse(shop, who, ["25 in", "30 in", "no monogram", "1"])
    summary = replies[-1]
    assert "Neck: 39.4 cm (15 1/2 in)" in summary and "Waist: 91.4 cm (36 inches)" in summary, summary  # as typed
    assert "1 shirt" in summary and "1 shirts" not in summary
    order = place(shop, who, CONTACT)
    assert order["options"]["neck"] == 39.4 and order["options"]["fabric"] == "twill_navy"
    assert "15 1/2 in" in json.dumps(order), order


def test_a_figure_offered_with_a_question_mark_is_asked_for_exactly_not_passed_to_the_team(shop):
    """"41? not sure" at the neck question was a question the bot could not answer ("I don't
    know that; I've passed your question to the team", flagged): it is an unsure answer."""
    who = sender("audit", "unsure-neck")
    replies = converse(shop, who, ["a made to measure shirt in twill, regular fit, spread collar and french cuffs",
                                   "41? not sure"])
    assert "I need an exact neck" in replies[-1] and "passed" not in replies[-1], replies[-1]
    [reply] = converse(shop, who, ["39.5?"])
    assert "I need an exact neck" in reply and "39.5" in reply, reply
    [reply] = converse(shop, who, ["41 cm"])
    assert "Neck: 41 cm" in reply and "exact" not in reply, reply


def test_what_an_order_is_for_is_answered_and_the_products_noun_is_no_quantity(shop):
    """"I want a PC for video editing" started the order and said nothing of the use; "a shirt
    for my wedding please" was 'not understood for the quantity'."""
    replies = converse(shop, sender("audit", "use"), ["I'd like a new pc, mainly for video editing"])
    said = "\n".join(replies)
    assert "For video editing, our catalog lists" in said and "(1/6)" in said and "choice is yours" in said, said
    replies = converse(shop, sender("audit", "wedding"), ["a shirt for my wedding please"])
    said = "\n".join(replies)
    assert "quantity" not in said.lower() and "didn't understand" not in said and "(1/11)" in said, said


def test_the_last_answer_sent_again_after_the_order_is_placed_is_told_the_order_not_a_new_one(shop):
    """The address sent again (its answer, with the order number, never reached the customer:
    found by the fault test) got "Which product would you like?", and then "yes" got "Sorry, I
    didn't recognise that product."."""
    who = sender("audit", "resent")
    converse(shop, who, ["a custom pc with the ryzen 7 7800x3d, 32 gb ddr5, 2 tb ssd, rtx 4070 super, "
                         "mid tower and windows 11 home"])
    order = place(shop, who, CONTACT)
    [reply] = converse(shop, who, [CONTACT[-1]])
    assert order["number"] in reply and "placed" in reply and "Which product" not in reply, reply
    [reply] = converse(shop, who, ["yes"])
    assert "Which product would you like?" in reply and "recognise" not in reply, reply
    assert len(shop.orders_of(who)) == 1


def test_a_model_we_do_not_sell_is_refused_and_a_question_beside_a_pick_is_answered(shop):
    """Points 2, 3 and 1: "windows 11 pro" was stored as Windows 11 Home."""
    who = sender("audit", "pc")
    replies = converse(shop, who, ["a pc with the ryzen 9 and 64gb, also is wifi built in?", "2tb is fine",
                                   "hmm is the 4080 super overkill for davinci?"])
    assert "CPU: AMD Ryzen 9 7950X" in replies[0] and "Memory: 64 GB DDR5" in replies[0], replies[0]
    assert "team" in replies[0]  # not in the catalog: passed on, never an unrelated answer
    assert "(4/6)" in replies[-1] and "Got it" not in replies[-1], replies[-1]
    replies = converse(shop, who, ["the 4080 super please", "mid tower. do you ship to switzerland?", "windows 11 pro"])
    assert "No, we don't deliver to Switzerland" in replies[1] and "Case: Mid tower" in replies[1], replies[1]
    assert "we don't offer" in replies[-1] and "Shall I place" not in replies[-1], replies[-1]
    converse(shop, who, ["ubuntu then"])
    order = place(shop, who, CONTACT)
    assert order["options"] == {"cpu": "ryzen9_7950x", "memory": "ddr5_64gb", "storage": "ssd_2tb",
                                "graphics": "rtx_4080_super", "case": "mid_tower", "os": "ubuntu_24_04"}


def test_a_garden_shed_from_its_catalog_entry_alone_with_changes(shop):
    """Point 8 in free phrasing: both sizes in one message, a change the rule refuses said
    with what was kept, then a change that fits."""
    who = sender("audit", "shed")
    replies = converse(shop, who, ["I'd like a garden shed, 3 metres wide and 2.5 deep", "felt please", "no window"])
    assert "Width: 3 m" in replies[0] and "Depth: 2.5 m" in replies[0], replies[0]
    assert "Shall I place this order?" in replies[-1]
    [reply] = converse(shop, who, ["actually make it cedar shingles and 1.8 m wide"])
    assert "Cedar shingles need a shed at least 2 m wide" in reply and "Width: 3 m -> 1.8 m" in reply, reply
    [reply] = converse(shop, who, ["2.2 m wide then, with the cedar shingles"])
    assert "Width: 1.8 m -> 2.2 m" in reply and "Roof: Felt -> Cedar shingles" in reply, reply
    order = place(shop, who, CONTACT)
    assert order["options"] == {"width": 2.2, "depth": 2.5, "roof": "cedar_shingles", "window": False}


def test_a_hedge_is_its_own_clauses_and_the_firm_values_beside_it_are_taken(shop):
    """Points 1 and 2: "neck 41? not sure, sleeve 64" at the neck question asks the neck
    (the hedge is the neck's) and takes the sleeve, saying it back; a hedge after a comma
    is its own part's too."""
    who = sender("audit", "hedge-clause")
    replies = converse(shop, who, ["a made to measure shirt in twill, regular fit, spread collar and french cuffs",
                                   "neck 41? not sure, sleeve 64"])
    said = replies[-1]
    assert 'I need an exact neck: you said "neck 41? not sure"' in said and "Sleeve length: 64 cm" in said, said
    assert "(5/11)" in said  # the neck asked again
    replies = converse(shop, who, ["41", "chest 102, waist maybe 88"])
    said = replies[-1]
    assert "Chest: 102 cm" in said and 'you said "maybe 88"' in said and "(7/11)" in said, said
    replies = converse(shop, who, ["88", "76", "no monogram", "1"])
    assert "Shall I place this order?" in replies[-1], replies[-1]
    order = place(shop, who, CONTACT)
    assert {k: order["options"][k] for k in ("neck", "chest", "waist", "sleeve_length", "shirt_length")} == \
        {"neck": 41, "chest": 102, "waist": 88, "sleeve_length": 64, "shirt_length": 76}


def test_a_yes_no_option_beside_other_values_is_taken_and_said_back(shop):
    """Point 1: "I don't want a window" beside the roof (once stored as a window, "want"
    read as yes) is no, said on its line; at the summary a window added beside a change of
    width gets a line of its own."""
    who = sender("audit", "shed-window")
    replies = converse(shop, who, ["I'd like a garden shed, 3 metres wide and 2.5 deep",
                                   "felt, and I don't want a window"])
    said = replies[-1]
    assert "Roof: Felt" in said and "Window: no" in said and "Shall I place this order?" in said, said
    [reply] = converse(shop, who, ["add a window and make it 2.2 m wide"])
    assert "Window: no -> yes" in reply and "Width: 3 m -> 2.2 m" in reply, reply
    order = place(shop, who, CONTACT)
    assert order["options"] == {"width": 2.2, "depth": 2.5, "roof": "felt", "window": True}
