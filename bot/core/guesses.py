"""A value named but not chosen: a guess ("maybe the Ash", "perhaps the Oak?", "Slim or
Regular, not sure yet") or a value about someone or something else ("my brother has the
Ash", "my old desk was walnut"). Neither is taken: a guess is a question, and the customer
is asked about it in their own words.

Hedged figures ("about 40") are hedges.py's; this module reads the words of a part of a
message, English grammar only: the values and the options' names come from the catalog.
"""

from __future__ import annotations

import re
from typing import AbstractSet, FrozenSet, List, Optional, Sequence, Set

from bot.core.catalog import ChoiceValue, Option, Product
from bot.core.cues import cue_words
from bot.core.refusals import RefusalReason
from bot.core.values import Parsed, noun, normalize

# Words of a customer still deciding. Two-word markers are matched as pairs.
GUESS_WORDS: FrozenSet[str] = frozenset({
    "maybe", "perhaps", "possibly", "probably", "unsure", "undecided", "torn", "considering", "thinking",
    "wondering", "leaning", "might", "dunno", "mayb", "prob", "probs", "either",
})
GUESS_PAIRS: FrozenSet[tuple] = frozenset({
    ("not", "sure"), ("not", "certain"), ("i", "guess"), ("i", "suppose"), ("i", "reckon"), ("i", "believe"),
    ("or", "something"), ("no", "idea"),
    ("not", "decided"), ("havent", "decided"), ("cant", "decide"), ("could", "be"),
})
# "I think" is a guess unless a pick follows it: "I think I'll take the oak".
_THINK_THEN_PICK: FrozenSet[str] = frozenset({"ill", "id", "i", "we", "will", "would", "want", "take", "go", "need", "like",
                                              "lets"})
# Words a part that only hedges is made of: "not sure yet", "maybe more", "or so".
HEDGE_ONLY: FrozenSet[str] = GUESS_WORDS | frozenset({
    "not", "sure", "yet", "more", "less", "or", "so", "something", "i", "guess", "think", "suppose", "reckon", "believe",
    "no", "idea", "im",
    "am", "still", "really", "quite", "totally", "decided", "certain", "either", "about", "that", "it", "yeah", "hmm",
    "um", "uh", "well", "though", "tbh", "honestly", "dont", "know",
})


def is_guess(words: Sequence[str]) -> bool:
    """The part's (normalized) words hedge: "maybe the ash", "i think the oak", "not sure"."""
    for index, word in enumerate(words):
        if word in GUESS_WORDS:
            return True
        pair = tuple(words[index:index + 2])
        if pair in GUESS_PAIRS:
            return True
        if pair == ("i", "think") and (index + 2 >= len(words) or words[index + 2] not in _THINK_THEN_PICK):
            return True
    return False


def only_hedges(words: Sequence[str]) -> bool:
    """The part says nothing but that the customer is unsure: "not sure yet", "maybe more"."""
    return bool(words) and is_guess(words) and all(w in HEDGE_ONLY for w in words)


def guessed(option: Option, value: ChoiceValue, said: str) -> Parsed:
    """'You said "maybe the Ash": shall I take Ash for the finish? ...' (a question, with the
    value named first among the buttons)."""
    others = [v for v in option.in_stock_values if v.id != value.id]
    return Parsed.refused(RefusalReason.HEDGED,
                          f'You said "{said}", so I haven\'t chosen the {noun(option)} yet: shall I take {value.name}? '
                          f'Say "{value.name}" to take it, or choose another.', [value, *others])


def guessed_yesno(option: Option, said: str) -> Parsed:
    """'You said "maybe a window", so I haven't set the window yet: would you like it? ...'
    (a yes/no option named unsure: asked about, never set)."""
    name = noun(option)
    return Parsed.refused(RefusalReason.HEDGED,
                          f'You said "{said}", so I haven\'t set the {name} yet: would you like it? '
                          f'Say "with the {name}" or "no {name}".')


def guessed_text(option: Option, typed: str) -> Parsed:
    """'You wrote "AK": is that the monogram? ...' (letters only a text option's pattern
    takes, named without the option: asked about, never set)."""
    return Parsed.refused(RefusalReason.HEDGED,
                          f'You wrote "{typed}": is that for the {noun(option)}? I haven\'t set it yet; '
                          f'say "{noun(option)} {typed}" to take it.')


def unsaid_yesno(option: Option, said: str) -> Parsed:
    """A yes/no option named without a yes or a no ("felt, window"): asked, never set."""
    name = noun(option)
    return Parsed.refused(RefusalReason.INVALID_ANSWER,
                          f'You said "{said}": would you like the {name}? Say "with the {name}" or "no {name}".')


# Verbs that tie a value to whoever is named before them: "my brother has the Ash".
_THEIRS_VERBS: FrozenSet[str] = frozenset({
    "has", "have", "had", "got", "gets", "owns", "own", "owned", "bought", "buys", "uses", "used", "wears", "wore",
    "likes", "liked", "loves", "loved", "chose", "picked", "ordered", "prefers", "preferred", "wants", "wanted", "is",
    "are", "was", "were", "went", "goes", "getting", "having", "recommended", "recommends", "suggested",
})
# Subjects that are the customer or the order itself.
_OWN_SUBJECTS: FrozenSet[str] = frozenset({
    "i", "we", "you", "u", "lets", "us", "id", "ill", "im", "ive", "wed", "well", "it", "that", "this", "one", "mine",
    "ours", "choice", "pick", "answer", "order", "thats", "its", "which", "what", "both",
})
# Words between a subject and its verb: "my brother would have", "would rather have".
_MODALS: FrozenSet[str] = frozenset({
    "would", "could", "should", "will", "can", "might", "may", "must", "rather", "really", "just", "definitely",
    "probably", "then", "still", "already", "always", "also", "only", "prefer", "like", "love", "to", "dont", "not",
})
_THEIR_WORDS: FrozenSet[str] = frozenset({"his", "her", "their", "someones", "somebodys", "hes", "shes", "theyre"})
_NOT_POSSESSIVE: FrozenSet[str] = frozenset({"its", "thats", "whats", "theres", "heres", "lets", "hes", "shes", "whos",
                                             "hows", "wheres", "everyones"})
_STALE: FrozenSet[str] = frozenset({"old", "current", "existing", "previous", "former", "present", "other", "last",
                                    "original"})
_DETERMINERS: FrozenSet[str] = frozenset({"the", "a", "an", "my", "our", "your", "their", "his", "her", "this", "that",
                                          "these", "those", "so", "and", "but", "also", "actually", "btw", "oh", "well"})


def own_words(product: Product) -> Set[str]:
    """Words that name the product or one of its options: "the legs are trestle" is about the order."""
    words = {w for phrase in [product.name, *product.synonyms] for w in normalize(phrase).split()}
    for option in product.options:
        words |= {w for cue in cue_words(option) for w in cue.split()}
    return words


def possessors(text: str) -> Set[str]:
    """The words before an "'s" of possession, as normalize() writes them: "dads" of "my dad's shirts"."""
    return {normalize(m.group(1)) + "s" for m in re.finditer(r"(\w+)['’]s\b", text or "")} - _NOT_POSSESSIVE


def someone_else(product: Product, words: List[str], at: int, owners: AbstractSet[str] = frozenset()) -> Optional[str]:
    """Whom the value named at words[at] belongs to when it is not the customer's order:
    "your brother" of "my brother has the ash", "the old one" of "my old one was walnut";
    `owners`: the clause's possessors ("dads" of "my dad's shirts are slim fit")."""
    before = words[:at]
    verb = next((i for i in range(len(before) - 1, -1, -1) if before[i] in _THEIRS_VERBS), None)
    if verb is None:
        return None
    subject = [w for w in before[:verb] if w not in _DETERMINERS and w not in _MODALS]
    if not subject:
        return None
    stale = [w for w in subject if w in _STALE]
    theirs = any(w in _THEIR_WORDS or w in owners for w in before[:verb])  # "his rig", "my dad's shirts"
    mine = "of" in subject[1:] and subject[-1] in ("mine", "ours")  # "a friend of mine"
    if mine:
        subject = subject[:subject.index("of")]
    head = subject[-1]
    if not (stale or theirs or mine) and (head in _OWN_SUBJECTS or head in own_words(product)
                                          or head.rstrip("s") in own_words(product)):
        return None
    named = [{"my": "your", "our": "your"}.get(w, w) for w in before[:verb] if w in {"my", "our", "his", "her", "their"}]
    owner = "your" if mine else (named[0] if named else "the")
    return f"{owner} {' '.join(subject[-3:])}"


def theirs(option: Option, value: ChoiceValue, said: str, whose: str) -> Parsed:
    """'I haven't taken Ash for the finish: you said "my brother has the Ash", which is about your brother. ...'"""
    others = [v for v in option.in_stock_values if v.id != value.id]
    return Parsed.refused(RefusalReason.OTHER_SUBJECT,
                          f'I haven\'t taken {value.name} for the {noun(option)}: you said "{said}", which is about '
                          f'{whose}. Say "{value.name}" if you\'d like it for your order too, or choose another.',
                          [value, *others])


def phrase_at(words: List[str], option: Option, value_id: str) -> Optional[int]:
    """Where the value's name (or a synonym) begins in `words`, if it is written there."""
    value = option.value(value_id)
    best: Optional[int] = None
    for phrase in [value.name, value.id.replace("_", " "), *value.synonyms]:
        phrase_words = normalize(phrase).split()
        for index in range(len(words) - len(phrase_words) + 1):
            if phrase_words and words[index:index + len(phrase_words)] == phrase_words:
                best = index if best is None else min(best, index)
                break
    return best
