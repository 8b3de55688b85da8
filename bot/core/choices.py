"""Which values of a choice option a message names outright: "the Ryzen 5", "linen or
poplin" (both named, neither picked), "no windows" (turned down), "1 linen and 2 poplin"
(a split over two configurations), and numbers that are words of a value's name ("400 V
three phase")."""

from __future__ import annotations

import re
from typing import AbstractSet, Any, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from bot.core.memo import by_identity
from bot.core.catalog import ChoiceValue, Option, Product
from bot.core.cues import cue_words
from bot.core.numbers import prepare_numbers
from bot.core.phrases import name_list
from bot.core.refusals import RefusalReason
from bot.core.values import FILLER, NONE_WORDS, Candidate, Parsed, normalize, noun

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
    return list(_named(option, normalize(text).split(), allow_generic))


Span = Tuple[int, int]  # where in the message's words a name was found: [start, end)


def _named(option: Option, words: List[str], allow_generic: bool) -> Dict[str, List[Span]]:
    """named_values with where each value was named (the spans of its longest phrase)."""
    named: Dict[str, List[str]] = {}
    spans: Dict[str, List[Span]] = {}
    turned_down: Set[str] = set()  # "no windows", "instead of windows", "not the ryzen 5"
    for value in option.values:
        for phrase in [value.name, value.id.replace("_", " "), *value.synonyms]:
            phrase_words = normalize(phrase).split()
            if not phrase_words:
                continue
            if allow_generic or distinctive(phrase_words):
                found = _spans(words, phrase_words)
            else:
                found = [span for cue in cue_words(option)
                         for span in _spans(words, phrase_words + cue.split()) + _spans(words, cue.split() + phrase_words)]
            if found and len(phrase_words) > len(named.get(value.id, [])):
                named[value.id], spans[value.id] = phrase_words, found
            if found and _turned_down(words, phrase_words):
                turned_down.add(value.id)
    if len(named) > 1:
        named = {value_id: phrase for value_id, phrase in named.items() if value_id not in turned_down} or named
    return {value_id: spans[value_id] for value_id, phrase in named.items()
            if not any(other != value_id and len(longer) > len(phrase) and _contains(longer, phrase)
                       for other, longer in named.items())}


def named_choices(product: Product, text: str,
                  focus: Optional[Option]) -> Tuple[Dict[str, List[str]], List[Tuple[str, List[Candidate]]]]:
    """The values each choice option's names name in the text, read across the options: a
    name inside a longer name of another option's value does not count ("black" in "black
    steel" legs is not the Black finish), and words that are a whole name of values of
    several options ("ash": the Ash grey finish or the Ash legs) name the asked option's
    value when one of them is asked, else none of them: each such tie comes back with its
    candidates and the words shared, to be asked about."""
    words = normalize(text).split()
    found: Dict[str, Dict[str, List[Span]]] = {
        option.id: _named(option, words, allow_generic=option is focus)
        for option in product.options if option.kind == "choice"}
    everywhere = [(option_id, value_id, span) for option_id, values in found.items()
                  for value_id, spans in values.items() for span in spans]
    # A name inside a longer name of another option's value is that value's.
    standing = [(option_id, value_id, span) for option_id, value_id, span in everywhere
                if not any(other != option_id and start <= span[0] and span[1] <= end and end - start > span[1] - span[0]
                           for other, _, (start, end) in everywhere)]
    sharing: Dict[Span, List[Candidate]] = {}
    for option_id, value_id, span in standing:
        if all(c.option_id != option_id for c in sharing.get(span, [])):
            sharing.setdefault(span, []).append(Candidate(option_id, product.option(option_id).value(value_id)))
    named: Dict[str, List[str]] = {}
    ties: List[Tuple[str, List[Candidate]]] = []
    for span, candidates in sharing.items():
        if len(candidates) > 1:
            # "ash finish": the option's own name beside the shared word says which
            cued = [c for c in candidates if _beside_cue(words, span, product.option(c.option_id))]
            asked = [c for c in candidates if focus is not None and c.option_id == focus.id]
            if len(cued) == 1 or asked:
                candidates = cued if len(cued) == 1 else asked
            else:
                ties.append((" ".join(words[span[0]:span[1]]), candidates))
                continue
        for c in candidates:
            if c.value.id not in named.setdefault(c.option_id, []):
                named[c.option_id].append(c.value.id)
    return {option_id: values for option_id, values in named.items() if values}, ties


def _beside_cue(words: List[str], span: Span, option: Option) -> bool:
    """The option's own name right before or after the words at `span` ("ash finish")."""
    for cue in cue_words(option):
        cue_list = cue.split()
        if words[span[1]:span[1] + len(cue_list)] == cue_list or words[max(0, span[0] - len(cue_list)):span[0]] == cue_list:
            return True
    return False


def ambiguous_across(product: Product, said: str, candidates: List[Candidate]) -> Parsed:
    """The refusal of a word shared by several options, naming each candidate with its option:
    'By "ash", did you mean the Ash grey finish or the Ash legs?'."""
    names = name_list((f"the {c.value.name} {noun(product.option(c.option_id))}" for c in candidates), "or")
    first = candidates[0].option_id
    return Parsed.refused(RefusalReason.AMBIGUOUS, f'By "{said}", did you mean {names}?',
                          [c.value for c in candidates if c.option_id == first], across=candidates)


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
    return bool(_spans(words, phrase))



def _spans(words: List[str], phrase: List[str]) -> List[Span]:
    """Where the phrase's words appear in order, with at most small words between them."""
    found = []
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
            found.append((start, position))
    return found


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



@by_identity(limit=64)
def _distinctive_phrases(product: Product) -> Dict[str, List[Tuple[str, str, List[str]]]]:
    """Every distinctive name of a choice value, by its first word: (option id, value id,
    words). Once per product: split_choices reads every message."""
    index: Dict[str, List[Tuple[str, str, List[str]]]] = {}
    for option in product.options:
        if option.kind != "choice":
            continue
        for value in option.values:
            for phrase in [value.name, value.id.replace("_", " "), *value.synonyms]:
                phrase_words = normalize(phrase).split()
                if phrase_words and distinctive(phrase_words):
                    index.setdefault(phrase_words[0], []).append((option.id, value.id, phrase_words))
    return index


def split_choices(product: Product, prepared: str) -> Dict[str, List[Tuple[int, str]]]:
    """Two or more values of one choice option, each with its count: "1 linen and 2 poplin",
    "can 1 of them be linen and the other 2 in the light blue poplin?"."""
    words = normalize(prepared).split()
    split: Dict[str, List[Tuple[int, str]]] = {}
    by_first_word = _distinctive_phrases(product)
    for option in product.options:
        if option.kind != "choice":
            continue
        spans: List[Tuple[int, int, str]] = []  # (start, end, value id), longest phrase first at a place
        for at, word in enumerate(words):
            for option_id, value_id, phrase_words in by_first_word.get(word, ()):
                if option_id == option.id and words[at:at + len(phrase_words)] == phrase_words:
                    spans.append((at, at + len(phrase_words), value_id))
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
    return hits[0][0].id, ambiguous_across(product, said, [Candidate(o.id, v) for o, v in hits])


def tie_asked(problems: Iterable[Parsed]) -> List[Candidate]:
    """The candidates of the first refusal that asks between several options' values."""
    return next((list(p.across) for p in problems if p.across), [])


# "the first one", "the 2nd": which of the candidates a question listed, by its place.
_PLACES = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
           "fifth": 4, "5th": 4, "last": -1}
# Words that point back at what the last reply listed: "ok that one", "I'll take it", "yes, this".
_POINTING = frozenset({"that", "this", "it", "those", "these", "same", "one", "ones"})
_ACCEPTING = frozenset({"yes", "yeah", "yep", "sure", "fine", "alright", "right", "sounds", "good", "great", "perfect",
                        "do", "will", "gonna", "give", "lets", "s", "there", "please", "cool"})
_CHEAPEST = frozenset({"cheapest", "cheaper", "lowest", "least"})
_DEAREST = frozenset({"priciest", "pricier", "dearest", "expensive"})


def _place_words(text: str) -> List[str]:
    """The normalized words with "2 nd" (normalize splits "2nd") whole again."""
    return re.sub(r"\b(\d) (st|nd|rd|th)\b", r"\1\2", normalize(text)).split()


def refers_back(text: str) -> bool:
    """The text only points back at something ("ok that one", "I'll go with that", "that
    one please") or at a place in a list ("the first one"), naming no value itself."""
    words = _place_words(text)
    if not words or len(words) > 8:
        return False
    pointing = any(w in _POINTING or w in _PLACES or w in _CHEAPEST or w in _DEAREST for w in words)
    return pointing and all(w in _POINTING or w in _PLACES or w in _CHEAPEST or w in _DEAREST or w in _ACCEPTING
                            or w in FILLER or w == "most" for w in words)


def listed_answer(candidates: List[Candidate], text: str) -> Optional[Candidate]:
    """The candidate a place word picks ("the second one", "the last"), the cheapest or the
    dearest when the text says so ("the cheapest one then"), or the only one listed when the
    text just points back at it ("that one"); None otherwise (several, and "that one")."""
    words = _place_words(text)
    if not refers_back(text):
        return None
    if any(w in _CHEAPEST for w in words) != any(w in _DEAREST for w in words):  # "the cheapest one then"
        pick = min if any(w in _CHEAPEST for w in words) else max
        return pick(candidates, key=lambda c: c.value.price)
    places = {_PLACES[w] for w in words if w in _PLACES}
    if len(places) == 1:
        place = places.pop()
        return candidates[place] if -len(candidates) <= place < len(candidates) else None
    return candidates[0] if len(candidates) == 1 else None


def tie_answer(product: Product, candidates: List[Candidate], text: str) -> Optional[Candidate]:
    """The answer to "did you mean the Ash grey finish or the Ash legs?": the one candidate
    whose option's name ("the finish one", "legs") or whole value name ("ash grey") the
    text says, or its place ("the second one"); None when it says neither or both."""
    by_place = listed_answer(candidates, text) if len(candidates) > 1 else None
    if by_place is not None:
        return by_place
    words = normalize(text).split()
    named, _ = named_choices(product, text, None)
    picked = []
    for candidate in candidates:
        option = product.option(candidate.option_id)
        by_option = any(_spans(words, cue.split()) for cue in cue_words(option))
        by_value = candidate.value.id in named.get(candidate.option_id, [])
        if by_option or by_value:
            picked.append(candidate)
    return picked[0] if len(picked) == 1 else None


def tie_data(candidates: List[Candidate]) -> List[Dict[str, str]]:
    """The candidates as a message's metadata keeps them (read back by tie_from_data)."""
    return [{"option": c.option_id, "choice": c.value.id} for c in candidates]


def tie_from_data(product: Product, data: Any) -> List[Candidate]:
    """Candidates kept by tie_data, those the product still has."""
    candidates = []
    for item in data if isinstance(data, list) else []:
        option_id, value_id = (item.get("option"), item.get("choice")) if isinstance(item, dict) else (None, None)
        option = next((o for o in product.options if o.id == option_id and o.kind == "choice"), None)
        value = next((v for v in option.values if v.id == value_id), None) if option else None
        if option and value:
            candidates.append(Candidate(option.id, value))
    return candidates


# Words that make a model name another model: "Windows 11 Pro" is not Windows 11 Home, an
# "RTX 4060 Ti" not the RTX 4060. Marketing grammar, not catalog words.
VARIANT_WORDS: FrozenSet[str] = frozenset({
    "pro", "ti", "max", "ultra", "plus", "lite", "mini", "xt", "xtx", "x", "x3d", "super", "home", "k", "kf", "f",
    "enterprise", "education", "server",
})


def unoffered_variant(option: Option, text: str, value_id: str) -> Optional[Parsed]:
    """A value named with a variant word right after its name that the name does not have
    ("windows 11 pro" for Windows 11 Home): not that value, said so with what there is."""
    words = normalize(text).split()
    value = option.value(value_id)
    own = {w for phrase in [value.name, value.id.replace("_", " "), *value.synonyms] for w in normalize(phrase).split()}
    for start, end in _named(option, words, allow_generic=True).get(value_id, []):
        if end < len(words) and words[end] in VARIANT_WORDS and words[end] not in own:
            said = " ".join(words[start:end + 1])
            return Parsed.refused(RefusalReason.UNKNOWN_VALUE,
                                  f'Sorry, we don\'t offer "{said}" for the {noun(option)}; we have '
                                  f"{name_list((v.name for v in option.in_stock_values), 'or')}.",
                                  option.in_stock_values)
    return None
