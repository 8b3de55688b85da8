"""Contact readers against garbage and any text at all (bot/core/contact.py): what a probe
sent as a name or an address is never taken; real names and addresses near those rules are
kept as typed; no text breaks a reader, and clean_text makes any text storable."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.contact import ContactProblem, read_address, read_email, read_name, read_name_and_email
from bot.core.limits import clean_text
from tests.support.shops import ANYWHERE, EU

# ---------------------------------------------------------------------------- garbage

# What a probe sent as a name and an address (and more of the same kind): never taken.
GARBAGE = [
    "NaN", "nan", "NaN NaN", "null", "null null", "undefined", "None", "true", "false", "Infinity", "inf", "-inf",
    "1e308 mm", "1e308", "0x41", "-1", "12 34", "<script>alert(1)</script>", "{{7*7}}", "' OR 1=1 --",
    "Robert'); DROP TABLE orders;--", "%s%s%s", "${jndi:ldap://x}", "\x01" * 31, "\x1b[31mAnna\x1b[0m", "😀" * 90,
    "🙂", "...", "..--..", "\u202eevil", "\u200b\u200b", "\ud800", "Anna \ud800", "Anna \ufffd Schmidt",
    "A" * 50, "ÿ" * 50, "aaaa", "x y", "a", "asdfgh jkl", "qwerty uiop", "lorem ipsum", "test test", "foo bar",
    "yes", "Yes!", "ok", "no", "yes yes", "\x00", "\t\t", "ＮａＮ",
]


@pytest.mark.parametrize("text", GARBAGE, ids=[ascii(text)[:30] for text in GARBAGE])
def test_garbage_is_never_taken_as_a_name_and_a_question_follows(text):
    reading = read_name(text)
    assert reading.value is None, reading
    assert reading.reply.endswith("?") and reading.problem is not None
    reading.reply.encode("utf-8")  # a reply never quotes what cannot be sent


@pytest.mark.parametrize("text", GARBAGE + ["NaN, NaN", "1e308 mm, 12", "null 12, undefined", "AAAAAAAA 1, BBBBBBBB"],
                         ids=[ascii(text)[:30] for text in GARBAGE + ["NaN, NaN", "1e308, 12", "null 12", "AAAA"]])
def test_garbage_is_never_taken_as_an_address_and_a_question_follows(text):
    reading = read_address(text, ANYWHERE)
    assert reading.value is None, reading
    assert reading.reply.rstrip(".").endswith(("town", "person", "?")) and reading.problem is not None
    reading.reply.encode("utf-8")


@pytest.mark.parametrize("text", ["\ud800@example.com", "anna@exa\ud800mple.com", "anna\ufffd@example.com"])
def test_broken_characters_are_refused_in_an_email(text):
    reading = read_email(text)
    assert reading.value is None and reading.problem == ContactProblem.BROKEN
    reading.reply.encode("utf-8")


def test_a_broken_character_is_said_as_such():
    for reading in (read_name("Anna \ufffd"), read_name("Anna \ud800"), read_address("Street \ufffd 1, Berlin", ANYWHERE)):
        assert reading.problem == ContactProblem.BROKEN
        assert "didn't come through" in reading.reply


# Names and addresses near the garbage rules that are real: kept as typed.
REAL_NAMES = ["Nan Li", "Li Na", "Ng", "Bo Xu", "Al Smith", "J K Rowling", "Aaron Aalto", "Oona Ooms", "Jo Null",
              "Anna-Lena Müller", "Nguyễn Thị Minh Khai", "李娜", "Ólafur Arnalds", "Mary-Kate O'Neill", "José Ñúñez",
              "Tsering Dolkar", "Dr. Aiko Tanaka", "Sarah Lee Smith", "ＴＡＮＡＫＡ Aiko", "Nana Mouskouri"]


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_names_near_the_garbage_rules_are_taken_as_typed(name):
    assert read_name(name).value == name


@pytest.mark.parametrize("address", ["Via Roma 1, Milano", "Rue X 5, 75001 Paris", "東京都千代田区1-1",
                                     "Nanstraße 4, 10115 Berlin",
                                     "Aachener Str. 1, 50674 Köln", "Hauptstrasse 12, 10115 Berlin"])
def test_real_addresses_near_the_garbage_rules_are_taken(address):
    assert read_address(address, ANYWHERE).value == address


def test_yes_at_the_name_question_is_answered_as_a_confirmation_already_given():
    for text in ("yes", "Yes!", "yes yes", "ok", "yep", "sure"):
        reading = read_name(text)
        assert reading.problem == ContactProblem.NOT_A_NAME
        assert reading.reply == ("You've confirmed the order; I only need the name that should go on it. "
                                 "What name should go on the order (for example Anna Schmidt)?"), text


# ---------------------------------------------------------------------------- any text

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Any text at all, surrogates and control characters included, and text made of the parts
# garbage is made of (junk words, digits, symbols, emoji, controls) around real letters.
ANY_TEXT = st.text(st.characters(codec=None), max_size=120)
PARTS = st.sampled_from(["NaN", "null", "1e308", "mm", "<", ">", "\x1b", "\x00", "\ud800", "\ufffd", "😀", "\u202e",
                         " ", ",", "12", "Anna", "Straße", "yes", "{", "$", "aaaa", "asdf", "'", "-", "李"])
GARBAGE_TEXT = st.lists(PARTS, min_size=1, max_size=12).map("".join)
UNPRINTABLE = {chr(code) for code in [*range(0x20), *range(0x7F, 0xA0)]} - {"\t", "\n", "\r"}


def _reads_safely(reading) -> None:
    reading.reply.encode("utf-8")  # a reply can always be sent
    if reading.value is None:
        assert reading.problem is not None and reading.reply.rstrip().endswith(("?", ".")), reading
    else:
        reading.value.encode("utf-8")
        assert not (set(reading.value) & UNPRINTABLE) and "\ufffd" not in reading.value
        assert reading.value == " ".join(reading.value.split()) or "," in reading.value


@PROPERTY
@given(st.one_of(ANY_TEXT, GARBAGE_TEXT))
def test_any_text_is_read_or_refused_with_a_reply_and_never_breaks_a_reader(text):
    for reading in (read_name(text), read_email(text), read_address(text, EU), *read_name_and_email(text)[:1]):
        _reads_safely(reading)
    name = read_name(text)
    if name.value is not None:  # what was taken reads as a name again, as it is
        assert read_name(name.value).value == name.value


@PROPERTY
@given(ANY_TEXT)
def test_clean_text_makes_any_text_storable_keeping_what_can_be_kept(text):
    cleaned = clean_text(text)
    cleaned.encode("utf-8")
    assert not set(cleaned) & UNPRINTABLE
    assert clean_text(cleaned) == cleaned
    if text.isascii() and text.isprintable():
        assert cleaned == text
    if not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):  # (a pair given as two halves becomes one character)
        assert cleaned == "".join(ch for ch in text if ch not in UNPRINTABLE)
    else:
        assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in cleaned)
