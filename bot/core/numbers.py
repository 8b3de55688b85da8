"""Figures in a customer's words: number words, fractions and units made plain digits
("fifteen and a half inches" -> 15.5 in), and every quantity in a message with its unit.

Reading a figure for an option (its range, its unit) is values.parse_answer's; whether a
figure is exact is hedges'.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Iterator, Optional, Tuple

from bot.core.expressions import format_number

Mention = Tuple[Decimal, Optional[str], "re.Match[str]"]  # (number, unit or None, where it is written)

# Spelled-out units people use, mapped to names pint knows.
UNIT_WORDS = {
    "cm": "cm", "cms": "cm", "centimeter": "cm", "centimeters": "cm", "centimetre": "cm", "centimetres": "cm",
    "mm": "mm", "millimeter": "mm", "millimeters": "mm", "millimetre": "mm", "millimetres": "mm",
    "m": "m", "meter": "m", "meters": "m", "metre": "m", "metres": "m", "mtr": "m", "mtrs": "m",
    "in": "in", "inch": "in", "inches": "in", '"': "in", "''": "in", "”": "in", "″": "in",
    "ft": "ft", "foot": "ft", "feet": "ft", "'": "ft", "′": "ft",
    "kg": "kg", "kgs": "kg", "kilo": "kg", "kilos": "kg", "kilogram": "kg", "kilograms": "kg",
    "lb": "lb", "lbs": "lb", "pound": "lb", "pounds": "lb",
}
PER_WORDS = r"(?:/|per|a|an|each|every|for each)"
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a dozen": 12, "dozen": 12,
    "a couple": 2, "couple": 2, "a pair": 2, "half": Decimal("0.5"), "a half": Decimal("0.5"),
}
VULGAR_FRACTIONS = {"½": "1/2", "¼": "1/4", "¾": "3/4", "⅓": "1/3", "⅔": "2/3", "⅛": "1/8", "⅜": "3/8", "⅝": "5/8", "⅞": "7/8"}


_NUMBER = r"-?\d+(?:[.,]\d+)?(?:\s+\d+/\d+|\s*/\s*\d+)?"
_UNIT_ALTERNATIVES = "|".join(sorted((re.escape(w) for w in UNIT_WORDS), key=len, reverse=True))


# Words after which "one" is a pronoun ("the current one", "a bigger one"), not a count
# ("just the one" is a count).
_NOT_A_COUNT = (r"this|that|which|each|every|any|no|current|old|new|other|another|same|existing|previous|"
                r"first|last|right|wrong|nice|good|blue|white|\w+er|\w+est")


def _words_to_digits(text: str) -> str:
    """'forty five' -> '45', 'twelve and a half' -> '12.5': enough for sizes and counts."""
    pattern = "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))

    def total(match: re.Match) -> str:
        value = Decimal(0)
        for word in re.findall(pattern, match.group(0)):
            amount = Decimal(str(NUMBER_WORDS[word]))
            value = value * amount if amount == 100 and value else value + amount
        return format_number(value)

    # "the current one", "that one": a pronoun, not the number 1 (kept out in capitals: the
    # text is in lower case, the number words are matched in lower case).
    text = re.sub(rf"\b(?:{_NOT_A_COUNT})\s+one\b", lambda m: m.group(0)[:-3] + "ONE", text)
    # "the finish one", "a black one": an article, a word that is not a number, then "one"
    text = re.sub(rf"\b(?:the|a|an)\s+(?!(?:{pattern})\b)[a-z]+\s+one\b", lambda m: m.group(0)[:-3] + "ONE", text)
    # "I need one 4 m long", "two 60 cm shelves": a number word right before a measure counts
    # the things measured; made a digit it was read as the measure (1 m). ("two 100% linen
    # shirts" is a count: the words are made digits as usual.)
    text = re.sub(rf"\b(?:{pattern})(?=\s+{_NUMBER}\s*(?:{_UNIT_ALTERNATIVES})(?![a-z]))", lambda m: m.group(0).upper(),
                  text)
    # Number words in a row ("forty five", "twenty-one"), but not one glued to a word by a
    # hyphen: "three-phase" and "one-off" are names, not numbers.
    words = rf"\b(?:{pattern})(?:(?:[\s-]+(?:and\s+)?)(?:{pattern}))*\b(?!-(?!ish\b)[a-z])"
    spelled = re.sub(words, total, text)
    return re.sub(r"\b[A-Z]+(?: [A-Z]+)*\b", lambda m: m.group(0).lower(), spelled).strip()  # the kept words


def prepare_numbers(text: str) -> str:
    """Lower case with fractions, number words and thousands separators made plain digits."""
    text = text.lower()
    for symbol, fraction in VULGAR_FRACTIONS.items():
        text = re.sub(rf"(\d)\s*{symbol}", rf"\1 {fraction}", text).replace(symbol, fraction)
    # "15 and a half" -> 15.5 (number words are turned into digits the same way)
    text = re.sub(r"(\d+)\s+and\s+(a half|a quarter|three quarters)\b",
                  lambda m: str(Decimal(m.group(1)) + {"a half": Decimal("0.5"), "a quarter": Decimal("0.25"),
                                                       "three quarters": Decimal("0.75")}[m.group(2)]), text)
    text = _words_to_digits(text)
    text = re.sub(r"(?<=\d)(?=ish\b)", " ", text)  # "40ish" -> "40 ish"
    # 1,200 is a thousand and two hundred; 39,5 is a decimal comma.
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)


# A number with the unit written after it ("40 kg per metre"); a number glued to other
# letters ("400V", "2TB", "7800X3D") is part of a name, not a quantity.
NUMBER_MENTION = re.compile(
    rf"(?<![\w.])(?P<number>{_NUMBER})(?!\d)\s*"
    rf"(?:(?P<unit>{_UNIT_ALTERNATIVES})(?![a-z])(?:\s*{PER_WORDS}\s*(?P<per>{_UNIT_ALTERNATIVES})(?![a-z]))?)?"
    rf"(?![a-z])(?!\s*(?:v|volts?|gb|gigs?|tb|kw|watts?|w|x3d|k|f)\b)"
)


def number_mentions(prepared: str) -> Iterator[Mention]:
    """(number, unit or None, match) for every quantity in text from prepare_numbers()."""
    for match in NUMBER_MENTION.finditer(prepared):
        number = to_decimal(match.group("number"))
        if number is None:
            continue
        unit = UNIT_WORDS.get(match.group("unit")) if match.group("unit") else None
        if unit and match.group("per"):
            unit = f"{unit}/{UNIT_WORDS[match.group('per')]}"
        yield number, unit, match


def to_decimal(text: str) -> Optional[Decimal]:
    text = text.replace(",", ".")
    if text.startswith("-"):
        positive = to_decimal(text[1:])
        return -positive if positive is not None else None
    whole_and_fraction = re.fullmatch(r"(\d+(?:\.\d+)?)\s+(\d+)/(\d+)", text)
    try:
        if whole_and_fraction:
            whole, top, bottom = whole_and_fraction.groups()
            return Decimal(whole) + Decimal(top) / Decimal(bottom)
        fraction = re.fullmatch(r"(\d+)\s*/\s*(\d+)", text)
        if fraction:
            return Decimal(fraction.group(1)) / Decimal(fraction.group(2))
        return Decimal(text)
    except (InvalidOperation, ZeroDivisionError):
        return None



_FRACTION_SIGNS = "".join(VULGAR_FRACTIONS)


def typed_figure(text: str, number: Decimal, unit: str) -> str:
    """The customer's figure for `number` `unit` as they wrote it ("15½ inches", "40 ft");
    "15.5 in" when it was written in words."""
    pattern = re.compile(
        rf"(?<![\w.])\d[\d.,]*(?:\s*[{_FRACTION_SIGNS}]|\s+\d+\s*/\s*\d+)?\s*(?P<unit>{_UNIT_ALTERNATIVES})(?![a-z])",
        re.IGNORECASE)
    for match in pattern.finditer(text or ""):
        if UNIT_WORDS.get(match.group("unit").lower()) != unit:
            continue
        read = [n for n, _, _ in number_mentions(prepare_numbers(match.group(0)))]
        if read and read[0] == number:
            return match.group(0).strip()
    return f"{format_number(number)} {unit}"
