"""What a part of a message names of the product: options by their names or initials
("the cuffs", "os"), "none" for an option ("skip the graphics card"), a value turned down
("I don't want windows"), an option described in words of its own ("normal buttoned
cuffs"), counts ("the other 2 in poplin"), and the names with commas of their own."""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

from bot.core.catalog import Option, Product
from bot.core.cues import cue_positions, cue_words
from bot.core.extract import Extraction
from bot.core.numbers import number_mentions, prepare_numbers
from bot.core.phrases import name_list
from bot.core.questions import is_interrogative
from bot.core.refusals import RefusalReason
from bot.core.values import NONE_WORDS, Parsed, describe_valid, noun, normalize, parse_answer

# Words that turn a value named right after them down: "I don't want windows", "not the 4060".
NEGATIONS: FrozenSet[str] = frozenset({"no", "not", "dont", "without", "skip", "never", "nor", "except", "instead"})
WANT_WORDS: FrozenSet[str] = frozenset({"want", "need", "like", "have", "take", "use", "get", "choose", "pick"})


def comma_names(product: Product) -> Tuple[str, ...]:
    """The names with a comma of their own ("Oxford cotton, white"): no clause ends there."""
    return tuple(phrase for option in product.options for value in option.values
                 for phrase in [value.name, *value.synonyms] if "," in phrase)


def initials(product: Product) -> Dict[str, str]:
    """Option id -> the initials of its name of several words, when no other option shares
    them: "os" for "Operating system"."""
    found: Dict[str, List[str]] = {}
    for option in product.options:
        words = normalize(option.name).split()
        if len(words) >= 2:
            found.setdefault("".join(w[0] for w in words), []).append(option.id)
    return {ids[0]: letters for letters, ids in found.items() if len(ids) == 1}


def _product_nouns(product: Product) -> Set[str]:
    """The words the product is called by, singular and plural ("shirt", "shirts")."""
    words = {w for name in (product.name, *product.synonyms) for w in normalize(name).split()}
    return words | {w + "s" for w in words} | {w.rstrip("s") for w in words}


def names_options(product: Product, words: List[str]) -> List[str]:
    named = []
    short = initials(product)
    # "a shirt for my wedding": the product's own noun is the quantity's unit ("2 shirts") but
    # names the quantity only beside a count or in a question ("how many shirts can I
    # order?"), not in every sentence about the product.
    counted = whole_counts(" ".join(words)) or is_interrogative(words)
    uncounted = set() if counted else _product_nouns(product)
    for option in product.options:
        for cue in cue_words(option) + ([short[option.id]] if option.id in short else []):
            if option.kind == "number" and option.unit and cue in uncounted \
                    and normalize(option.unit).rstrip("s") == cue.rstrip("s"):
                continue
            cue_list = cue.split()
            if any(words[i:i + len(cue_list)] == cue_list for i in range(len(words) - len(cue_list) + 1)):
                named.append(option.id)
                break
    return named


def whole_counts(text: str) -> Tuple[int, ...]:
    """Whole numbers without a unit: "1 of them", "the other 2 in poplin" ("in" there is a
    preposition, not inches)."""
    counts = []
    for number, unit, match in number_mentions(prepare_numbers(text)):
        preposition = unit == "in" and re.match(r"\s+[a-z]", match.string[match.end():])
        if (unit is None or preposition) and number == number.to_integral_value() and 0 < number < 1000:
            counts.append(int(number))
    return tuple(counts)


def number_in(text: str) -> bool:
    return any(True for _ in number_mentions(prepare_numbers(text)))


def none_value(option: Option) -> Tuple[bool, Optional[str]]:
    """(whether the option can be "none", the value that means it): an optional option's
    None, or the choice whose id or synonym is "none" ("No graphics card")."""
    if option.kind == "yesno":
        return False, None
    if option.kind == "choice":
        for value in option.values:
            if value.id == "none" or "none" in (normalize(s) for s in value.synonyms):
                return True, value.id
    return option.optional, None


def says_none(words: List[str], option: Option) -> bool:
    """"skip the graphics card", "without a monogram", "I don't need the graphics"."""
    single = {w for w in NONE_WORDS if " " not in w}
    pairs = {tuple(w.split()) for w in NONE_WORDS if " " in w}
    for index, _ in cue_positions(words, option):
        before = words[max(0, index - 4):index]
        if any(w in single for w in before) or any(tuple(before[i:i + 2]) in pairs for i in range(len(before) - 1)):
            return True
    return False


def negated_values(product: Product, words: List[str], found: Extraction) -> List[Tuple[str, str, str]]:
    """The choice values the clause names right after a negation, with the clause's words
    without that phrase: "I don't want windows" turns Windows down, "no graphics card" (a
    value's own name) picks it."""
    negated = []
    for option_id, parsed in found.values.items():
        option = product.option(option_id)
        if option.kind != "choice" or parsed.value is None:
            continue
        value = option.value(parsed.value)
        for phrase in (value.name, value.id.replace("_", " "), *value.synonyms):
            phrase_words = normalize(phrase).split()
            for index in range(len(words) - len(phrase_words) + 1):
                if phrase_words and words[index:index + len(phrase_words)] == phrase_words:
                    before = [w for w in words[max(0, index - 4):index] if w not in ("the", "a", "an", "any", "of")]
                    # "not the 4060", "I don't want windows"; not "no wait, the 4070"
                    if (before[-1:] and before[-1] in NEGATIONS) or \
                            (len(before) >= 2 and before[-2] in NEGATIONS and before[-1] in WANT_WORDS):
                        negated.append((option_id, value.id, " ".join(words[:index] + words[index + len(phrase_words):])))
                        break
            else:
                continue
            break
    return negated



def described(option: Option, text: str) -> Parsed:
    """An option named in a clause with words of its own ("normal buttoned cuffs"): the
    value those words certainly name, or why not, quoting the clause."""
    parsed = parse_answer(option, text)
    if parsed.ok:
        if option.kind == "choice" and parsed.value is not None:
            parsed.note = f'I took "{text.strip()}" as {option.value(parsed.value).name} for the {noun(option)}'
        return parsed
    if parsed.reason == RefusalReason.AMBIGUOUS:
        return Parsed.refused(RefusalReason.AMBIGUOUS, f'I didn\'t understand "{text.strip()}" for the {noun(option)}: '
                              f"did you mean {name_list((v.name for v in parsed.candidates), 'or')}?", parsed.candidates)
    specific = (RefusalReason.OUT_OF_STOCK, RefusalReason.OUT_OF_RANGE, RefusalReason.MISSING_UNIT)
    if parsed.reason in specific and (option.kind != "number" or number_in(text)):
        return parsed
    return Parsed.refused(RefusalReason.NOT_UNDERSTOOD,
                          f'I didn\'t understand "{text.strip()}" for the {noun(option)}. {describe_valid(option)}',
                          option.in_stock_values if option.kind == "choice" else (), not_understood=True)

