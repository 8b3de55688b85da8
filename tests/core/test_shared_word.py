"""A word two options share ("ash" is the Ash grey finish and the Ash legs of the bench in
tests/fixtures/catalogs/shared_word.yml): it names the asked option's value, or none, and
the question names both options' candidates, each with its option as data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.catalog import Product, load_catalog
from bot.core.choices import named_choices, one_word_value, tie_answer, tie_asked, tie_data, tie_from_data
from bot.core.clauses import read_message
from bot.core.extract import find_values
from bot.core.numbers import prepare_numbers
from bot.core.refusals import RefusalReason

BENCH = Path(__file__).resolve().parents[1] / "fixtures" / "catalogs" / "shared_word.yml"


@pytest.fixture(scope="module")
def bench() -> Product:
    return load_catalog(BENCH).product("bench")


def read(product: Product, text: str, focus_id: str | None):
    focus = product.option(focus_id) if focus_id else None
    return read_message(product, text, find_values(product, text, focus), focus).taken


@pytest.mark.parametrize("focus_id", [None, "length"])
@pytest.mark.parametrize("text", ["ash", "the ash please", "120 cm, ash", "ash, thanks"])
def test_a_shared_word_sets_neither_option_and_asks_with_both(bench, text, focus_id):
    taken = read(bench, text, focus_id)
    assert "finish" not in taken.values and "legs" not in taken.values
    [problem] = [p for p in taken.problems.values() if p.across]
    assert problem.reason == RefusalReason.AMBIGUOUS
    assert "the Ash grey finish or the Ash legs" in problem.error
    assert [(c.option_id, c.value.id) for c in problem.across] == [("finish", "ash_grey"), ("legs", "ash_legs")]


@pytest.mark.parametrize("focus_id, option_id, value_id", [("finish", "finish", "ash_grey"), ("legs", "legs", "ash_legs")])
def test_a_shared_word_answers_the_option_asked(bench, focus_id, option_id, value_id):
    taken = read(bench, "ash", focus_id)
    assert {k: v.value for k, v in taken.values.items()} == {option_id: value_id}
    assert not taken.problems


@pytest.mark.parametrize("text, expected", [
    ("ash finish", {"finish": "ash_grey"}),  # the option's own name beside the word
    ("ash legs", {"legs": "ash_legs"}),
    ("ash grey and black steel", {"finish": "ash_grey", "legs": "black_steel"}),  # "black" is inside "black steel"
    ("the ash legs and the black finish", {"finish": "black_finish", "legs": "ash_legs"}),
])
def test_a_name_inside_a_longer_name_of_another_option_is_that_options(bench, text, expected):
    taken = read(bench, text, None)
    assert {k: v.value for k, v in taken.values.items()} == expected
    assert not taken.problems


def test_named_choices_reports_the_tie_and_its_words(bench):
    named, ties = named_choices(bench, "I'd go with ash", None)
    assert named == {}
    [(said, candidates)] = ties
    assert said == "ash" and [c.option_id for c in candidates] == ["finish", "legs"]


@pytest.mark.parametrize("text, option_id", [
    ("the finish one", "finish"), ("legs", "legs"), ("for the legs please", "legs"), ("ash grey", "finish"),
    ("the grey", "finish"), ("ash legs", "legs"),
])
def test_the_answer_to_the_tie_picks_one_candidate(bench, text, option_id):
    candidates = tie_asked(read(bench, "ash", None).problems.values())
    picked = tie_answer(bench, candidates, text)
    assert picked is not None and picked.option_id == option_id


@pytest.mark.parametrize("text", ["ash", "both", "the finish and the legs", "hmm"])
def test_an_answer_that_picks_neither_or_both_is_none(bench, text):
    candidates = tie_asked(read(bench, "ash", None).problems.values())
    assert tie_answer(bench, candidates, text) is None


def test_the_candidates_round_trip_as_metadata(bench):
    candidates = tie_asked(read(bench, "ash", None).problems.values())
    assert tie_from_data(bench, tie_data(candidates)) == candidates
    assert tie_from_data(bench, [{"option": "legs", "choice": "ash_grey"}, "x", None]) == []  # not a legs value
    assert tie_from_data(bench, "not a list") == []


@pytest.mark.parametrize("focus_id", [None, "length"])
def test_a_common_word_of_two_options_is_asked_with_both(bench, focus_id):
    """"natural" is too common a word to name a value outright; alone it is the Natural oil
    finish or the Natural wood legs (one_word_value): asked about with both."""
    focus = bench.option(focus_id) if focus_id else None
    option_id, parsed = one_word_value(bench, "natural please", focus, set())
    assert not parsed.ok and parsed.reason == RefusalReason.AMBIGUOUS
    assert "the Natural oil finish or the Natural wood legs" in parsed.error
    assert [(c.option_id, c.value.id) for c in parsed.across] == [("finish", "natural_oil"), ("legs", "natural_wood")]
    taken = read(bench, "natural please", focus_id)
    assert "finish" not in taken.values and "legs" not in taken.values
    assert tie_asked(taken.problems.values()) == parsed.across


@pytest.mark.parametrize("text", ["the finish one", "the legs one please", "a black one"])
def test_one_after_an_article_and_a_word_is_a_pronoun_not_a_figure(bench, text):
    """"the finish one" at the length question was read as 1 (then "I took 1 as m = 100 cm")."""
    taken = read(bench, text, "length")
    assert "length" not in taken.values
    assert all(not parsed.note for parsed in taken.values.values())
    assert prepare_numbers(text) == text
