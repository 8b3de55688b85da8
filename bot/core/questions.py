"""Whether a part of a message asks or picks, and where a message divides into parts:
English grammar (interrogatives, "can I have ...", lead-ins), never catalog words.

"which is faster?" asks; "can I have the 4080?" is a question in form and a pick in
meaning; "would like the linen" is a statement without its "I".
"""

from __future__ import annotations

import re
from typing import FrozenSet, List, Sequence, Tuple

from bot.core.values import normalize

# Words that open a question. A few only when a person follows ("do I need", not "do the
# white oxford"), since they also open requests.
INTERROGATIVES: FrozenSet[str] = frozenset({
    "what", "whats", "which", "how", "hows", "why", "whys", "when", "where", "wheres", "who", "whos", "whose",
    "is", "isnt", "are", "arent", "was", "wasnt", "were", "does", "doesnt", "did", "didnt", "has", "hasnt",
    "would", "wouldnt", "could", "couldnt", "can", "cant", "will", "wont", "should", "shouldnt", "shall",
    "may", "might", "whether",
})
NEEDS_A_PERSON_AFTER: FrozenSet[str] = frozenset({"do", "dont"})
PEOPLE: FrozenSet[str] = frozenset({"i", "you", "we", "they", "u", "ya", "it", "these", "those", "that", "this"})
# "can I have ...", "could you make it ...", "can it be ...": a question that picks.
PICK_MODALS: FrozenSet[str] = frozenset({"can", "could", "may", "would", "will"})
PICK_SUBJECTS: FrozenSet[str] = frozenset({"i", "we", "you", "u", "it"})
PICK_VERBS: FrozenSet[str] = frozenset({
    "have", "get", "take", "go", "make", "change", "switch", "swap", "order", "add", "do", "choose", "pick",
    "use", "put", "set", "upgrade", "be", "want", "like", "book",
})
# Words that make a clause a pick even inside a question: "... , the i7 please", "I'll take it".
PICK_MARKERS: FrozenSet[str] = frozenset({
    "please", "pls", "plz", "ill", "id", "want", "take", "lets", "choose", "pick", "prefer", "go", "gimme", "give",
})
STATEMENT_VERBS: FrozenSet[str] = PICK_VERBS | frozenset({"love", "prefer", "need", "rather", "probably", "definitely"})
# Words a clause may open with before its question: "so, which ...", "ok and how ...".
LEAD_INS: FrozenSet[str] = frozenset({
    "so", "ok", "okay", "and", "but", "also", "hmm", "um", "uh", "oh", "well", "btw", "hey", "sorry", "then",
    "actually", "wait", "right", "quick", "question", "just", "curious", "wondering", "or", "please",
})
# Where a sentence divides into clauses: commas that are not decimal commas, "and", "but"
# ("15 and a half" stays one number).
SPLIT_MARKS = re.compile(r"(?<!\d),|,(?!\d)|;|\b(?:and|but|plus|while|whereas)\b"
                         r"(?!\s+(?:a\s+half|a\s+quarter|three\s+quarters)\b)", re.IGNORECASE)
_KEPT_COMMA = "\u201a"  # a comma inside a name, while the text is divided
SENTENCE = re.compile(r"(?:\d[.,]\d|[^.?!\n])+[.?!\n]*")


def split_clauses(text: str, names: Sequence[str] = ()) -> List[Tuple[str, bool, int]]:
    """The clauses of `text`: each with whether its sentence ends in a question mark, and
    the sentence's number. Decimal points and commas ("15.5", "39,5") do not split, nor the
    commas of `names` ("Oxford cotton, white")."""
    for name in names:
        text = re.sub(r"\s*,\s*".join(re.escape(piece.strip()) for piece in name.split(",")),
                      lambda match: match.group(0).replace(",", _KEPT_COMMA), text or "", flags=re.IGNORECASE)
    clauses: List[Tuple[str, bool, int]] = []
    for number, sentence in enumerate(SENTENCE.findall(text or "")):
        asked = "?" in sentence
        body = sentence.strip().rstrip(".?!\n").strip()
        for part in SPLIT_MARKS.split(body):
            part = (part or "").strip(" \t-:").replace(_KEPT_COMMA, ",")
            if normalize(part):
                clauses.append((part, asked, number))
    return clauses



def opening_words(words: List[str]) -> List[str]:
    """The clause's words from its first word that is not a lead-in ("so, which ..." -> "which ...")."""
    start = 0
    while start < len(words) - 1 and words[start] in LEAD_INS:
        start += 1
    return words[start:]


def is_interrogative(words: List[str]) -> bool:
    """The clause opens like a question: "what ...", "is the ...", "do I need ..."."""
    opening = opening_words(words)
    if not opening:
        return False
    first = opening[0]
    if first in PICK_MODALS | {"should", "might", "shall"} and len(opening) > 1 and opening[1] in STATEMENT_VERBS:
        return False  # "would like the linen", "will take the i7", "can do 64": a statement without its "I"
    if first in INTERROGATIVES:
        return True
    return first in NEEDS_A_PERSON_AFTER and len(opening) > 1 and opening[1] in PEOPLE


def is_pick_request(words: List[str]) -> bool:
    """"can I have the 4080", "could you please make it 64gb", "can it be linen"."""
    opening = [w for w in opening_words(words) if w not in ("please", "pls", "plz", "just", "maybe", "also")]
    return (len(opening) >= 3 and opening[0] in PICK_MODALS and opening[1] in PICK_SUBJECTS
            and opening[2] in PICK_VERBS)



def says_it_picks(words: List[str]) -> bool:
    """A pick request or a word that picks ("the i7 please", "I'll take it")."""
    return is_pick_request(words) or any(w in PICK_MARKERS for w in words)



# "which case did I go for?", "remind me which memory I picked", "what's the roof again?",
# "what did you put for the load?": a question about the customer's own answer, not the
# option's choices. English grammar (a recall, a past choice by the customer, or what the
# bot wrote down), never catalog words.
_CHOSE = (r"pick|picked|choose|chose|chosen|go|went|gone|select|selected|say|said|want|wanted|give|gave|given|tell|"
          r"told|put|decide|decided|opt|opted|order|ordered|settle|settled|land|landed|end|ended")
_NOTED = r"put|take|took|taken|enter|entered|write|wrote|written|note|noted|set|record|recorded|mark|marked"
_ASKS_BACK = re.compile(
    rf"\bremind me\b|\bagain\b\s*$|\bwhat was it\b|"
    rf"\b(?:did|have|had)\s+(?:i|we)\s+(?:just\s+|already\s+)?(?:{_CHOSE})\b|"
    rf"\b(?:i|we|ive|weve|id|wed)\s+(?:just\s+|already\s+)?(?:picked|chose|chosen|went|selected|said|wanted|gave|given|"
    rf"told|decided|opted|ordered|settled|landed|ended)\b|"
    rf"\b(?:did|have)\s+you\s+(?:{_NOTED})\b|\byou\s+(?:put|took|entered|wrote|noted|recorded|marked)\b|"
    # "what have you got down for me?" is what was noted; "which cases have you got?" is stock
    rf"\b(?:did|have)\s+you\s+(?:got|get)\s+(?:down|for\s+(?:me|us)|written|noted)\b|"
    rf"\b(?:whats|what is|which is|which was|what was)\s+my\b")


def asks_back(text: str) -> bool:
    """The text asks what the customer chose (or what the bot took down) rather than what
    there is to choose from."""
    return bool(_ASKS_BACK.search(normalize(text)))


def asks_in_words(text: str) -> bool:
    """Whether the text asks something in its words (a question mark, or a part that opens
    like a question and does not pick), whatever product it is about."""
    for part, asked, _ in split_clauses(text):
        words = normalize(part).split()
        if not is_pick_request(words) and (asked or is_interrogative(words)):
            return True
    return False
