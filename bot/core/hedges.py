"""Which figures of a message are not exact: "about 40", "a bit more than 60", "40 or 41",
"between 600 and 800" (hedged, never stored), and which are the figure being replaced
("change the neck from 39 to 40": the 39)."""

from __future__ import annotations

import re
from typing import Dict, Sequence, Set

from bot.core.numbers import Mention

# Words that make a figure approximate, a bound or a guess: grammar, not catalog data.
# A hedged figure is never stored: the customer is asked for the exact one.
_COMPARATIVE = r"(?:more|less|fewer|\w+er)\s+than"
HEDGE_BEFORE = re.compile(
    r"(?:\bc\.|\bca\.|\b(?:about|around|round about|roughly|approximately|approx|apx|circa|ca|nearly|almost|maybe|"
    r"perhaps|probably|possibly|something like|somewhere around|in the region of|close to|"
    r"more or less|give or take|at least|at most|at the most|no more than|not more than|no less than|"
    r"not less than|upwards of|up to|max|maximum|min|minimum|between|"
    r"i (?:think|guess|believe|reckon)(?: it'?s| it is)?|(?:it'?s|it is|is|are|was|something|maybe|probably) like|"
    rf"(?:(?:a (?:bit|little|tad)|slightly|just|somewhat|much|way|well)\s+)?(?:{_COMPARATIVE}|over|under|above|below))"
    r"|~|≈|(?<![-=])(?:<=?|>=?)|±|\+/-)\s*$"
)
_AFTER_BREAK = (r"(?:i'?m |i am )?not (?:sure|certain|exactly|100 ?%(?: sure)?)|i (?:think|guess|believe|reckon)|"
                r"more or less|give or take|roughly|approximately|approx|apx|about|around|or so|ish|"
                r"or thereabouts|maybe|perhaps|probably|possibly|something like that|ballpark|estimated|"
                r"at least|at most|at the most|max|maximum|minimum|min|tops")
HEDGE_AFTER = re.compile(
    r"^\s*(?:[,(]\s*(?:i (?:think|guess|believe|reckon)|more or less|give or take|roughly|approximately|approx|apx|"
    r"or so|ish|max|maximum|at most|at the most|at least|tops|or thereabouts)\b\)?(?!\s*\d)|"  # ", roughly 2 m": the 2's
    r"-\s*ish\b|ish\b|or so\b|or thereabouts\b|or (?:more|less|above|over|under|below|bigger|larger|"
    r"smaller|higher|lower|wider|longer|heavier)\b|(?:or )?(?:a bit|a little|slightly) (?:more|less|over|under)\b|"
    r"plus\b|\+(?!\s*\d)|max\b|maximum\b|at most\b|at the most\b|at least\b|minimum\b|min\b|tops\b|roughly\b|"
    r"approximately\b|approx\b|apx\b|give or take\b|more or less\b|maybe\b|perhaps\b|probably\b|possibly\b|"
    r"or something\b|"
    r"i (?:think|guess|believe|reckon)\b|(?:is|would be) (?:about|around|roughly|approximately)\b|"
    # "41. roughly", "41; I think", "41 - give or take", "41? not sure": after a break, a hedge that is the whole
    # rest of that part is the figure's ("41. roughly 100 for the chest" hedges the 100)
    # ("41? not sure": the question mark asks whether the figure will do, the hedge says why);
    # after a full stop only when it is the whole next sentence ("64. Not sure, 41 for the neck"
    # hedges the 41, not the 64)
    rf"(?:[;:?…]+|[-–—])\s*(?:{_AFTER_BREAK})(?=\s*(?:[.!?,;:)]|$))|"
    rf"[.!]+\s*(?:{_AFTER_BREAK})(?=\s*(?:[.!?]|$)))"
)
# What between two numbers makes them one hedged figure: "40 or 41", "600-800", "12 to 15 m",
# "around 40, maybe 41", "between 600 and 800".
_RANGE_GAP = re.compile(r"\s*(?:-|–|—|to|till|until|or|,?\s*(?:or\s+)?(?:maybe|perhaps|possibly|probably|or))\s*")


_CHANGE_GAP = re.compile(r"\s*(?:to|->|→|=>|>)\s*")
_FROM = re.compile(r"\bfrom\s*$")
_RANGE_FROM = re.compile(r"\b(?:anywhere|somewhere|between|range|ranging|ranges|varies|varying|vary)\s+from\s*$")
_INSTEAD_OF = re.compile(r"\b(?:instead of|rather than|not)\s*$")


def replaced_figures(prepared: str, mentions: Sequence[Mention]) -> Set[int]:
    """The mentions (by index) that are the figure being replaced, not the one wanted: the 39
    of "change the neck from 39 to 40", "39 -> 40", "40 instead of 39" (the 39)."""
    old: Set[int] = set()
    for index in range(len(mentions) - 1):
        first, second = mentions[index][2], mentions[index + 1][2]
        gap = prepared[first.end():second.start()]
        before = prepared[max(0, first.start() - 40):first.start()]
        arrow = gap.strip() in ("->", "→", "=>", ">")
        if _CHANGE_GAP.fullmatch(gap) and (arrow or (_FROM.search(before) and not _RANGE_FROM.search(before))):
            old.add(index)
    for index, (_, _, match) in enumerate(mentions):
        if index and _INSTEAD_OF.search(prepared[max(0, match.start() - 20):match.start()]):
            old.add(index)  # "40 instead of 39": 40 came first and is the one wanted
    return old


def hedges(prepared: str, mentions: Sequence[Mention]) -> Dict[int, str]:
    """The mentions (by index) that are not exact figures, each with what the customer said:
    {0: "a bit more than 60"}; in text from prepare_numbers()."""
    found: Dict[int, str] = {}
    old = replaced_figures(prepared, mentions)
    starts = [match.start() for _, _, match in mentions]  # where each figure's words begin
    ends = [match.end() for _, _, match in mentions]
    for index, (_, _, match) in enumerate(mentions):
        before = HEDGE_BEFORE.search(prepared[max(0, match.start() - 40):match.start()])
        after = HEDGE_AFTER.match(prepared[match.end():])
        if before:
            starts[index] = match.start() - len(before.group(0))
        if after:
            ends[index] = match.end() + after.end()
        if before or after:
            found[index] = prepared[starts[index]:ends[index]]
    for index in range(len(mentions) - 1):
        first, second = mentions[index][2], mentions[index + 1][2]
        gap = prepared[first.end():second.start()]
        between = index in found and found[index].lstrip().startswith("between")
        if index in old:
            continue
        if _RANGE_GAP.fullmatch(gap) or (between and gap.strip() == "and"):
            found[index] = found[index + 1] = prepared[starts[index]:max(ends[index + 1], second.end())]
            starts[index + 1] = starts[index]
    return {index: " ".join(said.split()) for index, said in found.items()}
