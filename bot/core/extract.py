"""Finding every option value a customer names in one message, in any order and phrasing.

"a gaming PC with a 7800X3D, 32 gigs of DDR5 and a 2TB SSD" names three options;
"neck 15.5 inches, chest 40" two numbers, each tied to its option by a word or a unit.
The option being asked (the focus) is read leniently, as a direct answer; every other
option only when the message names it unmistakably, so nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, Dict, List, Optional, Set, Tuple

from bot.core.catalog import Option, Product
from bot.core.expressions import format_number
from bot.core.phrases import _engine as _inflect
from bot.core.phrases import name_list
from bot.core.refusals import RefusalReason
from bot.core.values import (
    FILLER,
    UNIT_WORDS,
    Parsed,
    _parse_yesno,
    ask_figure,
    hedged_refusal,
    hedges,
    is_none_answer,
    noun,
    normalize,
    number_mentions,
    parse_answer,
    prepare_numbers,
    replaced_figures,
    typed_figure,
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


# The adjective of a measurement's noun: "How wide?" asks for the width. English grammar,
# not catalog data: an option named "Width", "Shed width" or "Depth" is cued by "wide" or
# "deep" with no synonym in the catalog.
DIMENSION_ADJECTIVES: Dict[str, Tuple[str, ...]] = {
    "width": ("wide",), "breadth": ("broad",), "depth": ("deep",), "length": ("long",),
    "height": ("tall", "high"), "weight": ("heavy",), "thickness": ("thick",), "size": ("big",),
}
NOUN_OF_ADJECTIVE = {adjective: noun for noun, adjectives in DIMENSION_ADJECTIVES.items() for adjective in adjectives}
# Words of a question that say nothing about which option it asks for.
QUESTION_WORDS = {
    "how", "what", "which", "who", "where", "when", "why", "whats", "should", "would", "could", "will",
    "can", "do", "does", "did", "be", "are", "was", "were", "you", "your", "yours", "we", "our", "they",
    "much", "many", "there", "here", "kind", "type", "sort", "per", "from", "at", "or", "not", "if",
    "say", "need", "want", "tell", "give", "enter", "use", "used", "going", "exactly", "roughly",
}
_UNIT_TOKENS = {normalize(word) for word in UNIT_WORDS} | set(UNIT_WORDS.values())
# Words before a figure that name it as the option itself.
_SELF_WORDS = {"it", "that", "this", "mine", "ours", "one", "size", "measurement", "figure", "number", "value",
               "i", "we", "they", "he", "she", "total", "overall", "both", "answer", "amount", "measure",
               "reading", "result", "order"}
# A thing we had or have is not the one being ordered: "my old belt was 500mm".
_OTHER_THING = {"old", "current", "existing", "previous", "former", "present", "other", "last", "original"}
_QUANTIFIERS = {"each", "every", "all", "both", "some", "any"}
_DETERMINERS = {"the", "a", "an", "my", "our", "your", "their", "its", "his", "her", "this", "that", "these", "those",
                *_QUANTIFIERS}
_SUBJECT_BEFORE = re.compile(
    r"(?:^|\b)(?P<subject>[a-z][a-z ]*?)\s+(?P<verb>is|are|was|were|measures?|measured|weighs?|weighed|will be|would be|"
    r"should be|must be|needs? to be|has to be|have to be|can be|could be)\s+(?:(?:exactly|only|just)\s+)?$")
_LETTER_UNITS = "|".join(sorted((re.escape(w) for w in UNIT_WORDS if w.isalpha()), key=len, reverse=True))
_PER_ITEM = re.compile(rf"^\s*(?:each|apiece|a piece|per piece|(?:per|a|an|every|for each|for every)\s+"
                       rf"(?!(?:{_LETTER_UNITS})\b)(?P<thing>[a-z]+))\b")
_CLAUSE_MARKS = (",", ";", " and ", " but ", " so ", ". ", "\n")
_DIMENSIONS_GAP = re.compile(r"\s*(?:x|×|by|\*)\s*")
_COUNT_OF_THEM = re.compile(r"^\s*(?:of (?:them|those|these|it|that)|pieces?|times|copies)\b")
_TIMES = re.compile(r"(?<![\w.])(?:x\s?(?P<after>\d+)|(?P<before>\d+)\s?x)(?![\w.])(?!\s*\d)")


@lru_cache(maxsize=4096)
def _singular(word: str) -> str:
    # inflect's engine of the wording, built once (the action server builds it at start).
    return (_inflect().singular_noun(word) or word) if word.isalpha() else word


def _product_words(product: Optional[Product]) -> Set[str]:
    if product is None:
        return set()
    words: Set[str] = set(product.id.split("_"))
    for phrase in [product.name, *product.synonyms]:
        words |= set(normalize(phrase).split())
    return words


def _product_heads(product: Product) -> Set[str]:
    """The nouns that name the product itself: "shed" of "Garden shed", "belt" of "conveyor belt"."""
    return {normalize(phrase).split()[-1] for phrase in [product.name, *product.synonyms] if normalize(phrase)}


def _own_words(option: Option, product: Optional[Product]) -> List[str]:
    """Single words an option's name and question give it: the name's words ("width" of
    "Shed width"), the adjectives of the measurement nouns in its name and synonyms ("wide")
    and the question's content words ("How deep ...?"). A synonym's other words stay in
    their phrase ("back" of "back length" cues nothing alone)."""
    words: List[str] = []
    for at, phrase in enumerate([option.name, *option.synonyms]):
        for word in normalize(phrase).split():
            dimension = _singular(word) in DIMENSION_ADJECTIVES or word in NOUN_OF_ADJECTIVE
            if at == 0 or dimension:
                words.append(word)
            words += DIMENSION_ADJECTIVES.get(_singular(word), ())
            if word in NOUN_OF_ADJECTIVE:
                words.append(NOUN_OF_ADJECTIVE[word])
    for word in normalize(option.question).split():
        if len(word) >= 3 and word.isalpha():
            words += [word, *DIMENSION_ADJECTIVES.get(word, ())]
    stop = FILLER | QUESTION_WORDS | _UNIT_TOKENS | _product_words(product) | {normalize(option.unit)}
    return list(dict.fromkeys(w for w in words if w not in stop))


def cue_words(option: Option, product: Optional[Product] = None) -> List[str]:
    """Words that tie a number or text to an option: its name, synonyms and own unit word;
    for a number option of `product` also the single words of its name and question that
    no other number option of the product shares ("wide" for a width, "deep" for a depth)."""
    words = [normalize(option.name), *(normalize(s) for s in option.synonyms)]
    if option.kind == "number" and option.unit and not is_physical(option.unit):
        unit = normalize(option.unit)
        words += [unit, unit.rstrip("s")]
    if option.kind == "number" and product is not None:
        shared: Set[str] = set()
        for other in product.options:
            if other.kind == "number" and other.id != option.id:
                shared |= set(_own_words(other, product)) | {w for s in [other.name, *other.synonyms] for w in [normalize(s)]}
        words += [w for w in _own_words(option, product) if w not in shared]
        # The name without the product's own words: "length" for the shirt's "Shirt
        # length" (not the "Sleeve length", whose name keeps "sleeve"), "width" for the
        # conveyor's "Belt width", unless another number option's name shortens the same way.
        short = _short_name(option, product)
        if short and all(_short_name(other, product) != short
                         for other in product.options if other.kind == "number" and other.id != option.id):
            words.append(short)
    return list(dict.fromkeys(w for w in words if w))


def _short_name(option: Option, product: Product) -> str:
    """The option's name without the words of the product's name and synonyms ("" when
    nothing is left or nothing was taken away)."""
    own = {w for name in (product.name, *product.synonyms) for w in normalize(name).split()}
    words = normalize(option.name).split()
    kept = [w for w in words if w not in own]
    return " ".join(kept) if kept and len(kept) < len(words) else ""


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
    named = _named_values(option, text, allow_generic)
    return named[0] if len(named) == 1 else None


def _named_values(option: Option, text: str, allow_generic: bool = False) -> List[str]:
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
            if allow_generic or _distinctive(phrase_words):
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


def _clause(prepared: str, start: int, end: int) -> Tuple[int, int]:
    """Where the clause around prepared[start:end] begins and ends ("neck 39, chest 102")."""
    starts = [found + len(mark) for mark in _CLAUSE_MARKS for found in [prepared.rfind(mark, 0, start)] if found != -1]
    ends = [found for found in (prepared.find(mark, end) for mark in _CLAUSE_MARKS) if found != -1]
    return max(starts or [0]), min(ends or [len(prepared)])


def _cued_option(options: List[Option], prepared: str, start: int, end: int,
                 cues: Optional[Dict[str, List[str]]] = None) -> Optional[Option]:
    """The option named nearest to a number within its clause: "neck 39, chest 102"; at the
    same distance the longer cue ("shirt length" over "length")."""
    clause_start, clause_end = _clause(prepared, start, end)
    before = normalize(prepared[clause_start:start]).split()
    after = normalize(prepared[end:clause_end]).split()
    best: Optional[Tuple[int, int, int, Option]] = None
    for option in options:
        for cue in (cues or {}).get(option.id) or cue_words(option):
            cue_list = cue.split()
            for side, words in ((0, list(reversed(before))), (1, after)):
                target = list(reversed(cue_list)) if side == 0 else cue_list
                for distance in range(len(words) - len(target) + 1):
                    if words[distance:distance + len(target)] == target:
                        if best is None or (distance, side, -len(cue_list)) < best[:3]:
                            best = (distance, side, -len(cue_list), option)
                        break
    return best[3] if best else None


def _something_else(option: Option, product: Product, prepared: str, match: "re.Match[str]", unit: Optional[str],
                    cues: List[str]) -> Optional[Parsed]:
    """A figure about another thing than the option: "30 kilos each" (per item, for a load in
    kg per metre), "the trays are 60 cm wide" (the trays), "my old belt was 500mm"."""
    figure = match.group(0).strip()
    ask = f"{option.question} " if option.question else ""
    per_item = _PER_ITEM.match(prepared[match.end():])
    if per_item and "/" in option.unit and unit and "/" not in unit:
        thing = per_item.group("thing") or "item"
        said = f"{figure} {prepared[match.end():match.end() + per_item.end()].strip()}"
        return Parsed.refused(RefusalReason.OTHER_SUBJECT,
                              f'I haven\'t taken "{said}" as the {noun(option)}: that is per {thing}, and the '
                              f"{noun(option)} is in {option.unit}. {ask}{ask_figure(option)}")
    clause_start, clause_end = _clause(prepared, match.start(), match.end())
    subject = _SUBJECT_BEFORE.search(prepared[clause_start:match.start()])
    if subject is None:
        return None
    words = [w for w in normalize(subject.group("subject")).split() if w not in _DETERMINERS]
    words = words[-3:]
    if not words:
        return None
    own = {w for cue in cues for w in cue.split()} | _product_heads(product)
    head = words[-1]
    stale = [w for w in words if w in _OTHER_THING]
    if not stale and (head in _SELF_WORDS or head in FILLER or head in own or _singular(head) in own
                      or _singular(head) in {_singular(w) for w in own}):
        return None
    said = " ".join(prepared[clause_start:clause_end].split())
    quantifier = next((w for w in normalize(subject.group("subject")).split() if w in _QUANTIFIERS), "the")
    thing = f"{quantifier} {' '.join(words)}"
    return Parsed.refused(RefusalReason.OTHER_SUBJECT,
                          f'I haven\'t taken {figure} as the {noun(option)}: you said "{said}", which is about '
                          f"{thing}. {ask}{ask_figure(option, unit)}")


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


def _in_a_choice_name(product: Product, prepared: str, match: "re.Match[str]") -> bool:
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


def _fits_dimension(option: Option, unit: str) -> bool:
    if unit == option.unit:
        return True
    if not (is_physical(unit) and is_physical(option.unit)):
        return False
    if "/" in option.unit and "/" not in unit and unit == option.unit.split("/")[0]:
        return True
    return registry().Unit(unit).dimensionality == registry().Unit(option.unit).dimensionality


def _split_choices(product: Product, prepared: str) -> Dict[str, List[Tuple[int, str]]]:
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
                if not phrase_words or not _distinctive(phrase_words):
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


_CUES: Dict[Tuple[Any, ...], Dict[str, List[str]]] = {}


def _number_cues(product: Product) -> Dict[str, List[str]]:
    """cue_words of each number option, worked out once per product as the catalog has it."""
    key = (product.id, product.name, tuple(product.synonyms),
           tuple((o.id, o.kind, o.name, o.question, o.unit, tuple(o.synonyms)) for o in product.options))
    if key not in _CUES:
        if len(_CUES) > 256:
            _CUES.clear()
        _CUES[key] = {o.id: cue_words(o, product) for o in product.options if o.kind == "number"}
    return _CUES[key]


def find_values(product: Product, text: str, focus: Optional[Option] = None) -> Extraction:
    """Every option value `text` names; the focus option also from a bare answer.

    A figure that is not exact ("about 40", "at least 800", "40 or 41") or about something
    else ("30 kilos each", "the trays are 60 cm wide") is never taken: it comes back as a
    refusal for the option it would have filled, with its reason."""
    result = Extraction()
    text = text or ""
    numbers = [o for o in product.options if o.kind == "number"]
    cues = _number_cues(product)
    count_option = product.option(product.pricing.multiply_by) if product.pricing.multiply_by else None
    prepared = prepare_numbers(text)
    mentions = list(number_mentions(prepared))
    hedged = hedges(prepared, mentions)
    result.split = _split_choices(product, prepared)
    split_counts = {Decimal(count) for counted in result.split.values() for count, _ in counted}
    refused_here: Dict[str, Parsed] = {}  # refusals of this reading, said even beside values taken

    def refuse(option: Option, parsed: Parsed) -> None:
        refused_here.setdefault(option.id, parsed)

    # Each number with the option it is for: its word, its unit, or the question asked.
    assigned: List[Tuple[int, Optional[Option], bool]] = []  # (mention index, option, cued by a word)
    skip: Set[int] = set(replaced_figures(prepared, mentions))  # "from 39 to 40": the 39 is the old figure
    for index in range(len(mentions) - 1):
        pair = _dimension_pair(numbers, prepared, mentions, index, cues)
        if pair is not None:
            first, parsed = pair
            skip |= {index, index + 1}
            refuse(first, parsed)
    for index, (number, unit, match) in enumerate(mentions):
        if index in skip:
            continue
        if not unit and number in split_counts:
            continue  # "1 linen and 2 poplin": counts of the split, not a quantity
        if not unit and _in_a_choice_name(product, prepared, match):
            continue  # "400 V three phase": the 3 is part of the power supply's name
        written = match.group(0)
        option = _cued_option(numbers, prepared, match.start(), match.end(), cues)
        cued = option is not None
        if count_option is not None and not unit and _COUNT_OF_THEM.match(prepared[match.end():]):
            option, cued = count_option, True  # "make it 2 of them"
        if option is not None and unit and not (_fits_dimension(option, unit) and
                                                (parse_answer(option, written).ok or index in hedged)):
            option, cued = None, False  # "rubber belt 12 m long": the unit says length, not belt width
        if option is None and unit:
            fitting = [o for o in numbers if _fits_dimension(o, unit) and parse_answer(o, written).ok]
            option = focus if focus in fitting else (fitting[0] if len(fitting) == 1 else None)
            if option is None and focus in numbers and _fits_dimension(focus, unit):
                option = focus  # "45 m" for a 1-30 m length: say what is wrong
        if option is None and not unit and focus is not None and focus.kind == "number":
            option = focus
        assigned.append((index, option, cued))
    # Exact figures first: a hedged one beside them may be the same figure said roughly.
    for index, option, cued in sorted(assigned, key=lambda item: item[0] in hedged):
        number, unit, match = mentions[index]
        if option is None or option.id in result.values:
            continue
        if index in hedged:
            taken = [product.option(option_id) for option_id in result.values
                     if product.option(option_id).kind == "number"]
            if not cued and not unit and any(parse_answer(o, format_number(number)).ok for o in taken):
                continue  # "I said a bit more than 60, go with 800mm": the 800 mm is the answer
            refuse(option, hedged_refusal(option, hedged[index], unit))
            continue
        other = _something_else(option, product, prepared, match, unit, cues.get(option.id, []))
        if other is not None:
            refuse(option, other)
            continue
        parsed = parse_answer(option, match.group(0))
        if parsed.ok:
            if parsed.typed:
                parsed.typed = typed_figure(text, number, unit) if unit else parsed.typed
            result.values[option.id] = parsed
        elif option is focus and result.focus_error is None:
            result.focus_error = parsed
    if count_option is not None and count_option.id not in result.values:
        times = _TIMES.search(prepared)
        if times:
            _keep(result, count_option, parse_answer(count_option, times.group("after") or times.group("before")), focus)
    # Choices named outright (the asked one may be a single common word: "spread").
    for option in product.options:
        if option.kind == "choice" and option.id not in result.values and option.id not in result.split:
            named = _named_values(option, text, allow_generic=option is focus)
            if len(named) == 1:
                _keep(result, option, parse_answer(option, option.value(named[0]).name), focus)
            elif len(named) > 1 and option is not focus:  # the asked option is read below, as an answer
                candidates = [option.value(value_id) for value_id in named]
                result.problems.setdefault(option.id, Parsed.refused(
                    RefusalReason.AMBIGUOUS, f"Did you mean {name_list((v.name for v in candidates), 'or')}?", candidates))
    # Texts and yes/no answers only with the option's name: "monogram JFK", "no monogram".
    for option in product.options:
        if option.kind in ("text", "yesno") and option.id not in result.values:
            cued_text = _cued_text(option, text)
            if cued_text is not None and cued_text.ok:
                result.values[option.id] = cued_text
    for option_id, parsed in refused_here.items():
        if option_id in result.values:
            continue
        if focus is not None and option_id == focus.id and result.focus_error is None:
            result.focus_error = parsed
        else:
            result.problems.setdefault(option_id, parsed)
    # The asked option from a plain answer ("linnen", "the i5", "JFK", "yes").
    if focus is not None and focus.id not in result.values and result.focus_error is None \
            and focus.id not in result.split:
        if focus.kind == "number":
            if not mentions and not result.values and not result.split:
                result.focus_error = parse_answer(focus, text)
        elif not result.values and not result.split:
            _keep(result, focus, parse_answer(focus, text), focus)
    # Beside values taken the asked option's refusal of this kind is said with them, never dropped.
    error = result.focus_error
    if result.values and focus is not None and error is not None and error.reason in (
            RefusalReason.HEDGED, RefusalReason.OTHER_SUBJECT) or (
            result.values and focus is not None and error is not None and focus.id in refused_here):
        assert focus is not None and error is not None
        result.problems.setdefault(focus.id, error)
        result.focus_error = None
    return result


def _dimension_pair(numbers: List[Option], prepared: str, mentions: List[Tuple[Decimal, Optional[str], "re.Match[str]"]],
                    index: int, cues: Dict[str, List[str]]) -> Optional[Tuple[Option, Parsed]]:
    """"3 x 2.5 m" when both figures would fit two options alike: which is which is asked,
    never guessed from the order they are written in."""
    (first, first_unit, first_match), (second, second_unit, second_match) = mentions[index], mentions[index + 1]
    if not _DIMENSIONS_GAP.fullmatch(prepared[first_match.end():second_match.start()]):
        return None
    unit = second_unit or first_unit
    if unit is None:
        return None
    first_unit = first_unit or unit
    both = [o for o in numbers if _fits_dimension(o, unit)
            and parse_answer(o, f"{format_number(first)} {first_unit}").ok
            and parse_answer(o, f"{format_number(second)} {unit}").ok]
    if len(both) < 2:
        return None
    a, b = both[0], both[1]
    said = " ".join(prepared[first_match.start():second_match.end()].split())
    example = f"{a.name.lower()} {format_number(first)} {first_unit}, {b.name.lower()} {format_number(second)} {unit}"
    return a, Parsed.refused(
        RefusalReason.AMBIGUOUS,
        f'Which is which in "{said}"? The {noun(a)} and the {noun(b)} could each be either figure. '
        f'Please say it with their names, e.g. "{example}".')


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
