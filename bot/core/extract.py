"""Finding every option value a customer names in one message, in any order and phrasing.

"a gaming PC with a 7800X3D, 32 gigs of DDR5 and a 2TB SSD" names three options;
"neck 15.5 inches, chest 40" two numbers, each tied to its option by a word or a unit.
The option being asked (the focus) is read leniently, as a direct answer; every other
option only when the message names it unmistakably, so nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from bot.core.catalog import Option, Product
from bot.core.values import (
    FILLER,
    Parsed,
    _parse_yesno,
    is_none_answer,
    normalize,
    number_mentions,
    parse_answer,
    prepare_numbers,
)
from bot.core.units import is_physical, registry

# One-word names that are too common to mean an option unless it is the one being asked.
GENERIC_WORDS = {
    "none", "no", "nothing", "normal", "standard", "regular", "classic", "small", "large", "big",
    "full", "mid", "medium", "wide", "white", "navy", "ivory", "natural", "metal", "plastic",
    "mesh", "food", "general", "mains", "tight", "loose", "fitted", "integrated", "onboard",
    "spread", "single", "double", "dark", "light", "blue", "mini", "oil", "plain",
}


@dataclass
class Extraction:
    """What one message says about the product's options."""

    values: Dict[str, Parsed] = field(default_factory=dict)  # option id -> accepted reading
    focus_error: Optional[Parsed] = None  # why the asked option could not be read, if it wasn't
    problems: Dict[str, Parsed] = field(default_factory=dict)  # named but refused: "silk" (out of stock)
    # Several values of one choice option, each with its count ("1 linen and 2 poplin"):
    # option id -> [(count, value id)]. One order holds one configuration, so none of
    # them is in `values`; the form says so.
    split: Dict[str, List[Tuple[int, str]]] = field(default_factory=dict)


def cue_words(option: Option) -> List[str]:
    """Words that tie a number or text to an option: its name, synonyms and own unit word."""
    words = [normalize(option.name), *(normalize(s) for s in option.synonyms)]
    if option.kind == "number" and option.unit and not is_physical(option.unit):
        unit = normalize(option.unit)
        words += [unit, unit.rstrip("s")]
    return [w for w in words if w]


def _distinctive(phrase_words: List[str]) -> bool:
    if len(phrase_words) > 1:
        return True
    word = phrase_words[0]
    if word.isdigit():
        return len(word) >= 4  # "7600" is a model; "400" may be millimetres or volts
    if any(ch.isdigit() for ch in word):
        return len(word) >= 2  # model codes: "i7", "r5"
    return len(word) >= 3 and word not in GENERIC_WORDS and word not in FILLER


def _named_choice(option: Option, text: str, allow_generic: bool = False) -> Optional[str]:
    """The value of a choice option the text names outright, if exactly one.

    A common word ("standard") counts only for the option being asked, or next to the
    option's own name ("standard environment", "environment: standard").
    """
    words = normalize(text).split()
    named: Dict[str, int] = {}
    for value in option.values:
        for phrase in [value.name, value.id.replace("_", " "), *value.synonyms]:
            phrase_words = normalize(phrase).split()
            if not phrase_words:
                continue
            if allow_generic or _distinctive(phrase_words):
                found = _contains(words, phrase_words)
            else:
                found = any(_contains(words, phrase_words + cue.split()) or _contains(words, cue.split() + phrase_words)
                            for cue in cue_words(option))
            if found:
                named[value.id] = max(named.get(value.id, 0), len(" ".join(phrase_words)))
    if not named:
        return None
    longest = max(named.values())
    winners = [value_id for value_id, size in named.items() if size == longest]
    return winners[0] if len(winners) == 1 else None


def _contains(words: List[str], phrase: List[str]) -> bool:
    """The phrase's words appear in order, with at most small words between them:
    "32 gb of ddr5" contains "32 gb ddr5"."""
    for start in range(len(words)):
        if words[start] != phrase[0]:
            continue
        position, matched = start + 1, 1
        while matched < len(phrase) and position < len(words):
            if words[position] == phrase[matched]:
                matched += 1
            elif words[position] not in FILLER or position - start > 2 * len(phrase):
                break
            position += 1
        if matched == len(phrase):
            return True
    return False


def _cued_option(options: List[Option], prepared: str, start: int, end: int) -> Optional[Option]:
    """The option named nearest to a number within its clause: "neck 39, chest 102"."""
    clause_start = max(prepared.rfind(mark, 0, start) for mark in (",", ";", " and ", "\n")) + 1
    clause_end = min([i for i in (prepared.find(mark, end) for mark in (",", ";", " and ", "\n")) if i != -1] or [len(prepared)])
    before = normalize(prepared[clause_start:start]).split()
    after = normalize(prepared[end:clause_end]).split()
    best: Optional[Tuple[int, int, Option]] = None
    for option in options:
        for cue in cue_words(option):
            cue_list = cue.split()
            for side, words in ((0, list(reversed(before))), (1, after)):
                target = list(reversed(cue_list)) if side == 0 else cue_list
                for distance in range(len(words) - len(target) + 1):
                    if words[distance:distance + len(target)] == target:
                        if best is None or (distance, side) < best[:2]:
                            best = (distance, side, option)
                        break
    return best[2] if best else None


def _fits_dimension(option: Option, unit: str) -> bool:
    if unit == option.unit:
        return True
    if not (is_physical(unit) and is_physical(option.unit)):
        return False
    if "/" in option.unit and "/" not in unit and unit == option.unit.split("/")[0]:
        return True
    return registry().Unit(unit).dimensionality == registry().Unit(option.unit).dimensionality


def find_values(product: Product, text: str, focus: Optional[Option] = None) -> Extraction:
    """Every option value `text` names; the focus option also from a bare answer."""
    result = Extraction()
    text = text or ""
    numbers = [o for o in product.options if o.kind == "number"]
    prepared = prepare_numbers(text)
    mentions = list(number_mentions(prepared))
    # Numbers first, each to the option its word or unit points at.
    for _, unit, match in mentions:
        written = match.group(0)
        option = _cued_option(numbers, prepared, match.start(), match.end())
        if option is not None and unit and not (_fits_dimension(option, unit) and parse_answer(option, written).ok):
            option = None  # "rubber belt 12 m long": the unit says length, not belt width
        if option is None and unit:
            fitting = [o for o in numbers if _fits_dimension(o, unit) and parse_answer(o, written).ok]
            option = focus if focus in fitting else (fitting[0] if len(fitting) == 1 else None)
            if option is None and focus in numbers and _fits_dimension(focus, unit):
                option = focus  # "45 m" for a 1-30 m length: say what is wrong
        if option is None and not unit and focus is not None and focus.kind == "number":
            option = focus
        if option is None or option.id in result.values:
            continue
        parsed = parse_answer(option, written)
        if parsed.ok:
            result.values[option.id] = parsed
        elif option is focus and result.focus_error is None:
            result.focus_error = parsed
    # Choices named outright (the asked one may be a single common word: "spread").
    for option in product.options:
        if option.kind == "choice" and option.id not in result.values:
            value_id = _named_choice(option, text, allow_generic=option is focus)
            if value_id is not None:
                _keep(result, option, parse_answer(option, option.value(value_id).name), focus)
    # Texts and yes/no answers only with the option's name: "monogram JFK", "no monogram".
    for option in product.options:
        if option.kind in ("text", "yesno") and option.id not in result.values:
            cued = _cued_text(option, text)
            if cued is not None and cued.ok:
                result.values[option.id] = cued
    # The asked option from a plain answer ("linnen", "the i5", "JFK", "yes").
    if focus is not None and focus.id not in result.values and result.focus_error is None:
        if focus.kind == "number":
            if not mentions and not result.values:
                result.focus_error = parse_answer(focus, text)
        elif not result.values:
            _keep(result, focus, parse_answer(focus, text), focus)
    return result


def _keep(result: Extraction, option: Option, parsed: Parsed, focus: Optional[Option]) -> None:
    if parsed.ok:
        result.values[option.id] = parsed
    elif option is focus:
        result.focus_error = parsed
    else:
        result.problems[option.id] = parsed


def _cued_text(option: Option, text: str) -> Optional[Parsed]:
    words = normalize(text).split()
    for cue in cue_words(option):
        cue_list = cue.split()
        for index in range(len(words) - len(cue_list) + 1):
            if words[index:index + len(cue_list)] != cue_list:
                continue
            before = words[max(0, index - 2):index]
            if option.kind == "yesno":
                if any(w in ("no", "without", "dont", "not") for w in before):
                    return _parse_yesno(option, "no")
                if any(w in ("with", "want", "add", "plus", "and") for w in before):
                    return _parse_yesno(option, "yes")
                return None
            if option.optional and is_none_answer(" ".join(before[-1:] + cue_list), option):
                return parse_answer(option, "none")
            # The words right after the cue, as written: "monogram JFK", "initials "AB"".
            original = re.split(rf"(?i)\b{re.escape(cue_list[-1])}s?\b[:\s]*(?:is|are|of|=)?\s*", text, maxsplit=1)
            if len(original) == 2:
                candidate = original[1].split(",")[0].strip()
                parsed = parse_answer(option, candidate)
                if parsed.ok and parsed.value is not None:
                    return parsed
    return None
