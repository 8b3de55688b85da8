"""Reading a customer's answer as a catalog value: choices, numbers with units, text, yes/no.

parse_answer() never guesses silently: a value it is unsure of comes back as a question
(Parsed.candidates) and a value it converted comes back with a note saying so.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, Dict, List, Optional, Sequence, Tuple

from rapidfuzz import fuzz, process

from bot.core.catalog import ChoiceValue, Option
from bot.core.expressions import format_number
from bot.core.hedges import hedges, replaced_figures
from bot.core.numbers import number_mentions, prepare_numbers, typed_figure
from bot.core.phrases import amount, name_list, unit_word
from bot.core.refusals import Refusal, RefusalReason
from bot.core.units import convert, is_physical


@dataclass(frozen=True)
class Candidate:
    """A value a question offers, with its option: a word two options share ("ash" is a
    finish and legs) is asked about with both, and each button says which option it sets."""

    option_id: str
    value: ChoiceValue


@dataclass
class Parsed:
    """The outcome of reading one answer for one option."""

    value: Any = None  # canonical: choice id, int/float number, text, bool, or None for "none"
    ok: bool = False
    error: str = ""  # what is wrong and what would be valid
    note: str = ""  # e.g. "I took 15.5 as inches = 39.4 cm"
    candidates: List[ChoiceValue] = field(default_factory=list)  # choices to offer as buttons
    reason: Optional[RefusalReason] = None  # why it was refused (with the error)
    not_understood: bool = False  # the error tells the customer the answer was not understood
    typed: str = ""  # the customer's figure as written when it was converted ("15.5 in", "15½ inches")
    across: List[Candidate] = field(default_factory=list)  # candidates of several options ("ash": finish or legs)

    @classmethod
    def refused(cls, reason: RefusalReason, error: str, candidates: Sequence[ChoiceValue] = (),
                not_understood: bool = False, across: Sequence[Candidate] = ()) -> "Parsed":
        return cls(error=error, reason=reason, candidates=list(candidates), not_understood=not_understood,
                   across=list(across))

    def refusal(self, option_id: str) -> Refusal:
        """This refused reading as the staff dashboard keeps it."""
        return Refusal(option_id, self.reason or RefusalReason.INVALID_ANSWER, self.error)


NONE_WORDS = {
    "none", "no", "nope", "nothing", "skip", "no thanks", "no thank you", "not needed",
    "dont need", "dont want", "without", "n a", "na", "nah", "leave it out", "no need",
}
FILLER = {
    "i", "id", "ill", "im", "we", "want", "wanna", "would", "like", "love", "take", "have", "get",
    "need", "go", "for", "with", "the", "a", "an", "of", "please", "pls", "plz", "one", "it",
    "make", "be", "should", "lets", "let", "us", "me", "my", "is", "its", "that", "this",
    "then", "and", "just", "some", "thanks", "thank", "you", "ok", "okay", "um", "uh", "hmm",
    "maybe", "think", "prefer", "choose", "pick", "option", "to", "in", "on", "as", "so",
}


# Called tens of thousands of times an order (every phrase of every value against every
# message part); a pure function of its text, so its answers are kept.
@lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """Lower case, no accents or punctuation, numbers split from their units: '32GB' -> '32 gb'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = text.replace("'", "")
    # "32gb" -> "32 gb", "rtx4060" -> "rtx 4060", but "i7" and "r5" stay one word.
    text = re.sub(r"(?<=\d)(?=[a-z])|(?<=[a-z]{2})(?=\d)", " ", text)
    text = re.sub(r"[^a-z0-9.]+", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    text = re.sub(r"\b(gigs?|gigabytes?|gbs)\b", "gb", text)
    text = re.sub(r"\b(terabytes?|tbs|teras?)\b", "tb", text)
    return " ".join(text.split())


def _tokens(text: str) -> List[str]:
    return normalize(text).split()


def _same_token(a: str, b: str) -> bool:
    if a == b:
        return True
    # Misspellings of words, never of numbers or model codes ("7600" is not "7700").
    if len(a) >= 5 and len(b) >= 5 and a.isalpha() and b.isalpha():
        return fuzz.ratio(a, b) >= 80
    return False


def _phrases(value: ChoiceValue) -> List[str]:
    return [value.name, value.id.replace("_", " "), *value.synonyms]


def match_choice(option: Option, text: str) -> Tuple[List[ChoiceValue], bool]:
    """The values `text` names, and whether the match is certain.

    Certain: one value whose whole name or synonym appears in the text (the longest
    such phrase wins). Uncertain: several values fit equally, or only a fuzzy match.
    """
    words = _tokens(text)
    if not words:
        return [], False
    best: Dict[str, List[str]] = {}
    for value in option.values:
        for phrase in _phrases(value):
            phrase_words = _tokens(phrase)
            if phrase_words and all(any(_same_token(p, w) for w in words) for p in phrase_words):
                if len(" ".join(phrase_words)) > len(" ".join(best.get(value.id, []))):
                    best[value.id] = phrase_words
    if best:
        # A value whose name is part of a longer one also named ("ddr5" in "32 gb ddr5") is
        # not named itself; two names side by side ("linen or poplin") are both named.
        winners = [option.value(v) for v, phrase in best.items()
                   if not any(other != v and len(longer) > len(phrase) and set(phrase) <= set(longer)
                              for other, longer in best.items())]
        return winners, len(winners) == 1
    # Every meaningful word of the answer appears in one value's name: "light" -> poplin.
    content = [w for w in words if w not in FILLER]
    if content:
        partial = [
            value for value in option.values
            if any(all(any(_same_token(w, p) for p in _tokens(phrase)) for w in content) for phrase in _phrases(value))
        ]
        if len(partial) == 1:
            return partial, True
        if partial:
            return partial, False
    choices = {(value.id, phrase): normalize(phrase) for value in option.values for phrase in _phrases(value)}
    scored = process.extract(normalize(text), choices, scorer=fuzz.WRatio, limit=None, score_cutoff=70)
    by_value: dict = {}
    for _, score, (value_id, _) in scored:
        by_value[value_id] = max(by_value.get(value_id, 0), score)
    if not by_value:
        return [], False
    ranked = sorted(by_value.items(), key=lambda item: -item[1])
    top_id, top_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if top_score >= 88 and top_score - runner_up >= 8:
        return [option.value(top_id)], True
    return [option.value(v) for v, score in ranked[:3] if score >= top_score - 10], False


def is_none_answer(text: str, option: Option) -> bool:
    words = normalize(text)
    if words in NONE_WORDS:
        return True
    name = normalize(option.name)
    negative = r"(no|without|none|skip|(i )?(dont|do not|wont) (want|need|like)|no need for)"
    return bool(re.fullmatch(rf"{negative}( the| a| an| any)? {re.escape(name)}s?( please| thanks| thank you)?", words)) \
        or words in {f"{name} none", f"no {name} please", f"{name} not needed", f"no {name} needed"}


def parse_answer(option: Option, text: str) -> Parsed:
    """Read `text` as an answer to `option`."""
    if not text or not text.strip():
        return Parsed.refused(RefusalReason.INVALID_ANSWER, f"I didn't catch that. {describe_valid(option)}",
                              not_understood=True)
    if option.optional and is_none_answer(text, option):
        return Parsed(value=None, ok=True)
    reader = {"choice": _parse_choice, "number": _parse_number, "text": _parse_text, "yesno": _parse_yesno}
    return reader[option.kind](option, text)


def noun(option: Option) -> str:
    """The option's name inside a sentence: 'fabric', but 'CPU'."""
    return option.name if option.name.isupper() else option.name[0].lower() + option.name[1:]


UNIT_NAMES = {"in": "inches", "ft": "feet", "m": "m", "cm": "cm", "mm": "mm"}


def describe_valid(option: Option) -> str:
    """One sentence saying what a valid answer to `option` looks like."""
    if option.kind == "choice":
        names = name_list((value.name for value in option.in_stock_values), "and")
        return f"The {noun(option)} options are: {names}."
    if option.kind == "number":
        return f"Please give a number {number_range(option)}."
    if option.kind == "text":
        hint = option.invalid_message or "Please answer in a few characters."
        example = f' For example "{option.example}".' if option.example else ""
        none = ' Or say "none".' if option.optional else ""
        return hint + example + none
    return "Please answer yes or no."


def number_range(option: Option, unit: Optional[str] = None) -> str:
    """'from 55 to 75 cm'; in the customer's `unit` when they used another one the option
    accepts: 'from 21.7 to 29.5 in (55 to 75 cm)' (rounded inwards, so both ends fit)."""
    shop_unit = f" {unit_word(option.unit)}" if option.unit else ""
    if option.allowed:
        return "one of " + name_list((format_number(a) for a in option.allowed), "or") + shop_unit
    low, high = option.bounds
    in_shop_unit = f"from {format_number(low)} to {amount(high, option.unit)}"
    if not _other_accepted_unit(option, unit):
        return in_shop_unit
    assert unit is not None
    step = Decimal("0.1")
    their_low = convert(low, option.unit, unit).quantize(step, rounding=ROUND_CEILING)
    their_high = convert(high, option.unit, unit).quantize(step, rounding=ROUND_FLOOR)
    return (f"from {format_number(their_low)} to {format_number(their_high)} {unit}"
            f" ({format_number(low)} to {amount(high, option.unit)})")


def _other_accepted_unit(option: Option, unit: Optional[str]) -> bool:
    return bool(unit) and unit != option.unit and unit in option.accept_units \
        and is_physical(option.unit) and is_physical(unit or "")


def display_value(option: Option, value: Any, typed: Optional[str] = None) -> str:
    """A filled value as the customer reads it: "32 GB DDR5", "39.5 cm", "yes", "none";
    with the figure the customer typed beside it when it was converted: "39.4 cm (15.5 in)"."""
    if value is None:
        return "none"
    if option.kind == "choice":
        return option.value(value).name
    if option.kind == "number":
        shown = amount(value, option.unit)
        return f"{shown} ({typed.strip()})" if typed and typed.strip() else shown
    if option.kind == "yesno":
        return "yes" if value else "no"
    return str(value)


def _parse_choice(option: Option, text: str) -> Parsed:
    matches, certain = match_choice(option, text)
    if not matches:
        return Parsed.refused(
            RefusalReason.UNKNOWN_VALUE,
            f"Sorry, \"{text.strip()[:60]}\" is not one of our {noun(option)} options. {describe_valid(option)}",
            option.in_stock_values,
        )
    if not certain:
        names = name_list((value.name for value in matches), "or")
        return Parsed.refused(RefusalReason.AMBIGUOUS, f"Did you mean {names}?", matches)
    value = matches[0]
    if not value.in_stock:
        in_stock = name_list((v.name for v in option.in_stock_values), "and")
        return Parsed.refused(RefusalReason.OUT_OF_STOCK,
                              f"Sorry, {value.name} is out of stock at the moment. In stock: {in_stock}.",
                              option.in_stock_values)
    return Parsed(value=value.id, ok=True)



def _fits(option: Option, value: Decimal) -> bool:
    if option.allowed:
        return any(value == allowed for allowed in option.allowed)
    low, high = option.bounds
    return low <= value <= high


def _rounded(option: Option, value: Decimal) -> Decimal:
    if option.allowed:
        return value
    return value.quantize(Decimal(1).scaleb(-option.decimals), rounding=ROUND_HALF_UP)


def _json_number(value: Decimal) -> Any:
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else float(value)




def hedged_refusal(option: Option, said: str, unit: Optional[str] = None) -> Parsed:
    """'I need an exact belt width: you said "a bit more than 60". ...'"""
    return Parsed.refused(RefusalReason.HEDGED,
                          f'I need an exact {noun(option)}: you said "{said}". '
                          f"{ask_figure(option, unit)}")


def ask_figure(option: Option, unit: Optional[str] = None) -> str:
    """'Please give one figure from 33 to 50 cm.' / 'Please give one of 300, 400 ... mm.'"""
    figure = "" if option.allowed else "one figure "
    return f"Please give {figure}{number_range(option, unit)}."


# Larger than any measurement or count a catalog holds, and far below where Decimal rounding
# gives up (a 51-digit number used to raise InvalidOperation).
_HUGE = Decimal(10) ** 15


def _figure(number: Decimal, unit: Optional[str]) -> str:
    """The customer's number as we say it back; a very long one by its size only."""
    written = format_number(number)
    if len(written) > 20:
        return f"That number ({len(written.lstrip('-').split('.')[0])} digits)"
    return f"{written} {unit}".strip() if unit else written


def _parse_number(option: Option, text: str) -> Parsed:
    prepared = prepare_numbers(text)
    mentions = list(number_mentions(prepared))
    old = replaced_figures(prepared, mentions)
    if old and len(old) < len(mentions):
        hedged_all = hedges(prepared, mentions)
        hedged = {i: said for i, said in hedged_all.items() if i not in old}
        mentions = [m for i, m in enumerate(mentions) if i not in old]
    else:
        hedged = hedges(prepared, mentions)
    if not mentions:
        return Parsed.refused(RefusalReason.OUT_OF_RANGE, f"I need a number {number_range(option)}.")
    if hedged:
        unit = next((u for _, u, _ in mentions if u), None)
        return hedged_refusal(option, next(iter(hedged.values())), unit)
    numbers = [(number, unit) for number, unit, _ in mentions]
    if len({n for n, _ in numbers}) > 1:
        listed = name_list((format_number(n) for n, _ in numbers), "and")
        return Parsed.refused(RefusalReason.OUT_OF_RANGE,
                              f"I found several numbers ({listed}). Please give just the {noun(option)}, {number_range(option)}.")
    number, unit = numbers[0]
    target = option.unit
    if unit and "/" in target and "/" not in unit and unit == target.split("/")[0]:
        unit = target  # "40 kilos" for a load in kg/m
    if abs(number) >= _HUGE:
        return Parsed.refused(RefusalReason.OUT_OF_RANGE, f"{_figure(number, unit)} is out of range: "
                              f"the {noun(option)} must be {number_range(option, unit)}.")
    note = ""
    typed = ""
    if unit and unit != target:
        accepted = option.accept_units or [target]
        if unit not in accepted or not is_physical(target):
            listed = name_list(accepted, "or")
            return Parsed.refused(RefusalReason.MISSING_UNIT,
                                  f"Please give the {noun(option)} in {listed}: {number_range(option)}.")
        value = _rounded(option, convert(number, unit, target))
        note = f"{format_number(number)} {unit} = {format_number(value)} {target}"
        typed = typed_figure(text, number, unit)
    else:
        value = number
        if not unit and not _fits(option, _rounded(option, number)) and option.accept_units:
            # No unit given and the number does not fit the catalog's unit: try the others.
            plausible = []
            for other in option.accept_units:
                if other != target and is_physical(other):
                    converted = _rounded(option, convert(number, other, target))
                    if _fits(option, converted):
                        plausible.append((other, converted))
            if len(plausible) == 1:
                other, value = plausible[0]
                note = f"I took {format_number(number)} as {UNIT_NAMES.get(other, other)} = {format_number(value)} {target}"
                typed = f"{format_number(number)} {other}"
            elif len(plausible) > 1:
                units = name_list((other for other, _ in plausible), "or")
                return Parsed.refused(RefusalReason.MISSING_UNIT,
                                      f"Is that {format_number(number)} {units}? Please add the unit.")
        value = _rounded(option, value)
    if option.decimals == 0 and not option.allowed and number != number.to_integral_value() and not unit:
        return Parsed.refused(RefusalReason.OUT_OF_RANGE, f"Please give a whole number {number_range(option)}.")
    if not _fits(option, value):
        if unit and unit != target:
            said = f"{format_number(number)} {unit}"
            if option.allowed:
                said += f" = {amount(value, target)}"  # the sizes are the shop's: say it in its unit
        else:
            said = amount(value, target)
        return Parsed.refused(RefusalReason.OUT_OF_RANGE,
                              f"{said.strip()} is out of range: the {noun(option)} must be {number_range(option, unit)}.")
    return Parsed(value=_json_number(value), ok=True, note=note, typed=typed)



def _parse_text(option: Option, text: str) -> Parsed:
    words = normalize(text).split()
    quoted = re.search(r"[\"“”‘’']", text) is not None
    if words and not quoted and set(words) <= YES_MARKERS | FILLER and set(words) & (YES_MARKERS - {"with", "please"}):
        # "yes" to "Would you like a monogram?": a yes is not the letters ("YES" was stored)
        return Parsed.refused(RefusalReason.INVALID_ANSWER,
                              f"Yes to the {noun(option)}: what should it be? {describe_valid(option)}")
    cleaned = text.strip().strip("\"'“”‘’")
    candidates = [cleaned]
    if option.pattern and re.fullmatch(r"(?:[A-Za-z][.\s]*){1,6}", cleaned):
        candidates.append(re.sub(r"[.\s]", "", cleaned))  # "J.F.K." or "j f k" -> JFK
    candidates.extend(re.findall(r"[\"“']([^\"”']+)[\"”']", text))
    # One word in capitals inside a sentence: "my initials are JFK" (but not "AB CD").
    capitals = [word for word in re.findall(r"\b[A-Z]{1,6}\b", text) if word != "I"]
    if len(capitals) == 1:
        candidates.extend(capitals)
    for candidate in candidates:
        value = candidate.strip()
        if option.transform == "upper":
            value = value.upper()
        elif option.transform == "lower":
            value = value.lower()
        if value and (not option.pattern or re.fullmatch(option.pattern, value)) and len(value) <= 200:
            return Parsed(value=value, ok=True)
    return Parsed.refused(RefusalReason.INVALID_ANSWER, describe_valid(option))


YES_MARKERS = {"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "definitely", "absolutely", "correct", "with", "please"}
NO_MARKERS = {"no", "n", "nope", "nah", "not", "without", "dont", "never", "none"}


def _parse_yesno(option: Option, text: str) -> Parsed:
    """Yes or no only when the answer says one of them and nothing else that matters."""
    phrase = f" {normalize(text)} "
    for said, meaning in (("of course", "yes"), ("no way", "no"), ("not at all", "no"), ("go for it", "yes")):
        phrase = phrase.replace(f" {said} ", f" {meaning} ")
    words = phrase.split()
    name_words = set(normalize(option.name).split())
    yes = any(word in YES_MARKERS for word in words)
    no = any(word in NO_MARKERS for word in words)
    ignored = YES_MARKERS | NO_MARKERS | FILLER | name_words | {"thanks", "need", "add", "include"}
    rest = [w for w in words if w not in ignored]
    if yes != no and not rest:
        return Parsed(value=yes, ok=True)
    return Parsed.refused(RefusalReason.INVALID_ANSWER, f"Please answer yes or no: {option.question or option.name + '?'}")
