"""Which values of a choice option a message names outright: "the Ryzen 5", "linen or
poplin" (both named, neither picked), "no windows" (turned down), "1 linen and 2 poplin"
(a split over two configurations), and numbers that are words of a value's name ("400 V
three phase")."""

from __future__ import annotations

import re
from typing import AbstractSet, Any, Dict, FrozenSet, List, Optional, Set, Tuple

from bot.core.catalog import ChoiceValue, Option, Product
from bot.core.cues import cue_words
from bot.core.numbers import prepare_numbers
from bot.core.phrases import name_list
from bot.core.refusals import RefusalReason
from bot.core.values import FILLER, NONE_WORDS, Parsed, normalize, noun

# Words beside a value's common word that say nothing about which option: "actually, make
# it the Regular", "Standard please".
SELF_ACCOUNTED: FrozenSet[str] = frozenset({
    "actually", "instead", "also", "too", "then", "please", "thanks", "ok", "okay", "yes", "yeah", "sure", "fine",
    "great", "cool", "perfect", "good", "oh", "wait", "sorry", "now", "rather", "one", "change", "switch", "go", "do",
})

# One-word names that are too common to mean an option unless it is the one being asked.
GENERIC_WORDS = {
    "none", "no", "nothing", "normal", "standard", "regular", "classic", "small", "large", "big",
    "full", "mid", "medium", "wide", "white", "navy", "ivory", "natural", "metal", "plastic",
    "mesh", "food", "general", "mains", "tight", "loose", "fitted", "integrated", "onboard",
    "spread", "single", "double", "dark", "light", "blue", "mini", "oil", "plain",
}



def distinctive(phrase_words: List[str]) -> bool:
    if len(phrase_words) > 1:
        return True
    word = phrase_words[0]
    if word.isdigit():
        return len(word) >= 4  # "7600" is a model; "400" may be millimetres or volts
    if any(ch.isdigit() for ch in word):
        return len(word) >= 2  # model codes: "i7", "r5"
    return len(word) >= 3 and word not in GENERIC_WORDS and word not in FILLER



def named_values(option: Option, text: str, allow_generic: bool = False) -> List[str]:
    """Every value of a choice option the text names outright; a value named only inside a
    longer name of another ("ddr5" in "32 gb ddr5") does not count, but two names side by
    side ("linen or poplin") are both named: neither is picked for the customer."""
    words = normalize(text).split()
    named: Dict[str, List[str]] = {}
    turned_down: Set[str] = set()  # "no windows", "instead of windows", "not the ryzen 5"
    for value in option.values:
        for phrase in [value.name, value.id.replace("_", " "), *value.synonyms]:
            phrase_words = normalize(phrase).split()
            if not phrase_words:
                continue
            if allow_generic or distinctive(phrase_words):
                found = _contains(words, phrase_words)
            else:
                found = any(_contains(words, phrase_words + cue.split()) or _contains(words, cue.split() + phrase_words)
                            for cue in cue_words(option))
            if found and len(phrase_words) > len(named.get(value.id, [])):
                named[value.id] = phrase_words
            if found and _turned_down(words, phrase_words):
                turned_down.add(value.id)
    if len(named) > 1:
        named = {value_id: phrase for value_id, phrase in named.items() if value_id not in turned_down} or named
    return [value_id for value_id, phrase in named.items()
            if not any(other != value_id and len(longer) > len(phrase) and _contains(longer, phrase)
                       for other, longer in named.items())]


_TURNED_DOWN = ({"no"}, {"not"}, {"without"}, {"instead", "of"}, {"rather", "than"}, {"not", "the"}, {"no", "the"},
                {"dont", "want"}, {"except"}, {"than"})


def _turned_down(words: List[str], phrase: List[str]) -> bool:
    """The phrase appears right after words that turn it down: "no windows", "instead of windows"."""
    for start in range(len(words) - len(phrase) + 1):
        if words[start:start + len(phrase)] == phrase:
            before = words[max(0, start - 2):start]
            if any(set(before[-len(marker):]) == marker for marker in _TURNED_DOWN if len(before) >= len(marker)):
                return True
    return False


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



_PHRASES: Dict[Tuple[Any, ...], Set[str]] = {}


def _choice_phrases(product: Product) -> Set[str]:
    """Every choice value's name and synonyms as prepare_numbers writes them, once per product."""
    key = (product.id, tuple((o.id, tuple((v.id, v.name, tuple(v.synonyms)) for v in o.values)) for o in product.options))
    if key not in _PHRASES:
        if len(_PHRASES) > 256:
            _PHRASES.clear()
        _PHRASES[key] = {" ".join(prepare_numbers(normalize(phrase)).split()) for option in product.options
                         if option.kind == "choice"
                         for value in option.values for phrase in [value.name, value.id.replace("_", " "), *value.synonyms]}
    return _PHRASES[key]


def in_a_choice_name(product: Product, prepared: str, match: "re.Match[str]") -> bool:
    """The number and the word beside it are words of a choice value's name ("3 phase" of
    "three phase", "24 04" of "Ubuntu 24.04"), so the number is not a quantity."""
    number = normalize(match.group("number"))
    before = normalize(prepared[max(0, match.start() - 30):match.start()]).split()[-1:]
    after = normalize(prepared[match.end():match.end() + 30]).split()[:1]
    pairs = [f"{before[0]} {number}"] if before else []
    pairs += [f"{number} {after[0]}"] if after else []
    if not pairs:
        return False
    phrases = _choice_phrases(product)
    return any(f" {pair} " in f" {phrase} " for pair in pairs for phrase in phrases)



def split_choices(product: Product, prepared: str) -> Dict[str, List[Tuple[int, str]]]:
    """Two or more values of one choice option, each with its count: "1 linen and 2 poplin",
    "can 1 of them be linen and the other 2 in the light blue poplin?"."""
    words = normalize(prepared).split()
    split: Dict[str, List[Tuple[int, str]]] = {}
    for option in product.options:
        if option.kind != "choice":
            continue
        spans: List[Tuple[int, int, str]] = []  # (start, end, value id), longest phrase first at a place
        for value in option.values:
            for phrase in [value.name, value.id.replace("_", " "), *value.synonyms]:
                phrase_words = normalize(phrase).split()
                if not phrase_words or not distinctive(phrase_words):
                    continue
                for at in range(len(words) - len(phrase_words) + 1):
                    if words[at:at + len(phrase_words)] == phrase_words:
                        spans.append((at, at + len(phrase_words), value.id))
        spans.sort(key=lambda span: (span[0], -(span[1] - span[0])))
        counted: List[Tuple[int, str]] = []
        previous_end = 0
        for start, end, value_id in spans:
            if start < previous_end:
                continue  # inside a longer name already read
            window = words[max(previous_end, start - 5):start]
            count = next((int(w) for w in reversed(window) if w.isdigit() and 0 < len(w) <= 3), None)
            previous_end = end
            if count is not None and value_id not in {v for _, v in counted}:
                counted.append((count, value_id))
        if len(counted) >= 2:
            split[option.id] = counted
    return split



def one_word_value(product: Product, text: str, focus: Optional[Option],
                   decided: AbstractSet[str]) -> Optional[Tuple[str, Parsed]]:
    """A part that is only a value's common word, for an option not asked ("..., mid",
    "Standard please", "actually, make it the Regular"): taken for the one choice option that
    has it (said back), asked about when several have it; None when no option has it.
    `decided`: the options the message gave a value or a refusal already."""
    words = normalize(text).split()
    content = [w for w in words if w not in FILLER and w not in SELF_ACCOUNTED]
    if not content or any(w in NONE_WORDS for w in content):
        return None
    hits: List[Tuple[Option, ChoiceValue]] = []
    for option in product.options:
        if option.kind != "choice" or option is focus or option.id in decided:
            continue
        named = named_values(option, text, allow_generic=True)
        if len(named) != 1:
            continue
        value = option.value(named[0])
        phrases = [normalize(p).split() for p in [value.name, value.id.replace("_", " "), *value.synonyms]]
        if any(set(content) <= set(phrase) for phrase in phrases):
            hits.append((option, value))
    if not hits:
        return None
    said = text.strip()
    if len(hits) == 1:
        option, value = hits[0]
        return option.id, Parsed(value=value.id, ok=True, note=f'I took "{said}" as {value.name} for the {noun(option)}')
    options = name_list((f"{noun(o)} {v.name}" for o, v in hits), "or")
    option, _ = hits[0]
    return option.id, Parsed.refused(RefusalReason.AMBIGUOUS,
                                     f'Which do you mean by "{said}": the {options}? Please say it with the option\'s name.',
                                     [v for o, v in hits if o is option])
