"""Which words tie a figure or a text to an option (its cues), and where in a message
they stand: "neck 39, chest 102" ties 39 to the neck and 102 to the chest; "3 metres wide"
ties the 3 to an option named "Width" by its adjective, with no synonym in the catalog.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterator, List, Optional, Set, Tuple

from bot.core.catalog import Option, Product
from bot.core.memo import by_identity
from bot.core.numbers import UNIT_WORDS
from bot.core.phrases import _engine as _inflect
from bot.core.units import is_physical
from bot.core.values import FILLER, normalize

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

_CLAUSE_MARKS = (",", ";", " and ", " but ", " so ", ". ", "\n")


@lru_cache(maxsize=4096)
def singular_noun(word: str) -> str:
    # inflect's engine of the wording, built once (the action server builds it at start).
    return (_inflect().singular_noun(word) or word) if word.isalpha() else word


def _product_words(product: Optional[Product]) -> Set[str]:
    if product is None:
        return set()
    words: Set[str] = set(product.id.split("_"))
    for phrase in [product.name, *product.synonyms]:
        words |= set(normalize(phrase).split())
    return words



def _own_words(option: Option, product: Optional[Product]) -> List[str]:
    """Single words an option's name and question give it: the name's words ("width" of
    "Shed width"), the adjectives of the measurement nouns in its name and synonyms ("wide")
    and the question's content words ("How deep ...?"). A synonym's other words stay in
    their phrase ("back" of "back length" cues nothing alone)."""
    words: List[str] = []
    for at, phrase in enumerate([option.name, *option.synonyms]):
        for word in normalize(phrase).split():
            dimension = singular_noun(word) in DIMENSION_ADJECTIVES or word in NOUN_OF_ADJECTIVE
            if at == 0 or dimension:
                words.append(word)
            words += DIMENSION_ADJECTIVES.get(singular_noun(word), ())
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
    no other number option of the product shares ("wide" for a width, "deep" for a depth).
    Worked out once per option (several times a message asks)."""
    return list(_cue_words(option, product))


@by_identity(limit=1024)
def _cue_words(option: Option, product: Optional[Product]) -> Tuple[str, ...]:
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
    return tuple(dict.fromkeys(w for w in words if w))


def _short_name(option: Option, product: Product) -> str:
    """The option's name without the words of the product's name and synonyms ("" when
    nothing is left or nothing was taken away)."""
    own = {w for name in (product.name, *product.synonyms) for w in normalize(name).split()}
    words = normalize(option.name).split()
    kept = [w for w in words if w not in own]
    return " ".join(kept) if kept and len(kept) < len(words) else ""



def clause_span(prepared: str, start: int, end: int) -> Tuple[int, int]:
    """Where the clause around prepared[start:end] begins and ends ("neck 39, chest 102")."""
    starts = [found + len(mark) for mark in _CLAUSE_MARKS for found in [prepared.rfind(mark, 0, start)] if found != -1]
    ends = [found for found in (prepared.find(mark, end) for mark in _CLAUSE_MARKS) if found != -1]
    return max(starts or [0]), min(ends or [len(prepared)])


def cued_option(options: List[Option], prepared: str, start: int, end: int,
                 cues: Optional[Dict[str, List[str]]] = None) -> Optional[Option]:
    """The option named nearest to a number within its clause: "neck 39, chest 102"; at the
    same distance the longer cue ("shirt length" over "length")."""
    clause_start, clause_end = clause_span(prepared, start, end)
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



_CUES: Dict[Tuple[Any, ...], Dict[str, List[str]]] = {}


def number_cues(product: Product) -> Dict[str, List[str]]:
    """cue_words of each number option, worked out once per product as the catalog has it."""
    key = (product.id, product.name, tuple(product.synonyms),
           tuple((o.id, o.kind, o.name, o.question, o.unit, tuple(o.synonyms)) for o in product.options))
    if key not in _CUES:
        if len(_CUES) > 256:
            _CUES.clear()
        _CUES[key] = {o.id: cue_words(o, product) for o in product.options if o.kind == "number"}
    return _CUES[key]


def cue_positions(words: List[str], option: Option) -> Iterator[Tuple[int, int]]:
    """(start, end) of every place in `words` (normalized) where one of the option's cues
    stands: "skip the graphics card", "monogram JFK"."""
    for cue in cue_words(option):
        cue_list = cue.split()
        for index in range(len(words) - len(cue_list) + 1):
            if words[index:index + len(cue_list)] == cue_list:
                yield index, index + len(cue_list)


@by_identity(limit=64)
def catalog_words(product: Product) -> FrozenSet[str]:
    """Every word of the product's name, options and values: a clause of these says
    nothing the bot could not place. Worked out once per product."""
    phrases = [product.name, product.id.replace("_", " "), *product.synonyms]
    for option in product.options:
        phrases += [option.name, option.id.replace("_", " "), *option.synonyms, option.unit]
        for value in option.values:
            phrases += [value.name, value.id.replace("_", " "), *value.synonyms]
    return frozenset(word for phrase in phrases for word in normalize(phrase).split())
