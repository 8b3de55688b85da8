"""One message read clause by clause: which parts pick values, which ask something, and
which the bot could not place, so that every part of a message is taken, answered or
said to be not understood, and a question never fills an option.

"full tower. when would it be ready if I order today?" is a pick and a question: the case
is taken and the lead time answered. "is the 4070 super enough or do I need the 4080?"
is a question only: it fills nothing, however sure the NLU is that it names a card.
"can I have the 4080?" is a question in form and a pick in meaning: it is taken.

The reading is data (clauses with a kind, the options each names, an Extraction of what
may be taken); the actions word it. Interrogative and pick words are English grammar,
never catalog words: products, options and values come from the catalog.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import AbstractSet, Dict, FrozenSet, List, Optional, Set, Tuple

from bot.core.catalog import Option, Product
from bot.core.choices import one_word_value
from bot.core.extract import Extraction, find_values
from bot.core.guesses import (HEDGE_ONLY, guessed, guessed_yesno, is_guess, only_hedges, phrase_at, possessors,
                              someone_else, theirs, unsaid_yesno)
from bot.core.hedges import HEDGE_AFTER, hedges
from bot.core.cues import catalog_words
from bot.core.naming import (comma_names, described, names_options, negated_values, none_value, number_in,
                             says_none, whole_counts)
from bot.core.numbers import number_mentions, prepare_numbers
from bot.core.phrases import name_list
from bot.core.questions import (INTERROGATIVES, SENTENCE, asks_back, is_interrogative, is_pick_request, opening_words,
                                says_it_picks, split_clauses)
from bot.core.refusals import RefusalReason
from bot.core.values import FILLER, NONE_WORDS, Parsed, hedged_refusal, noun, normalize


class ClauseKind(str, Enum):
    PICK = "pick"  # names values the customer chooses (a statement, or "can I have ...?")
    QUESTION = "question"  # asks something: answered, never taken
    OTHER = "other"  # names no value: an aside, an option without a value, or not understood
    GUESS = "guess"  # names values the customer is still deciding on ("maybe the ash"): asked about, never taken
    ASIDE = "aside"  # names values of someone or something else ("my brother has the ash"): asked about, never taken


# Parts that answer an option: a pick is taken; a guess or an aside is asked about.
ANSWERING = frozenset({ClauseKind.PICK, ClauseKind.GUESS, ClauseKind.ASIDE})
# Words of a customer still deciding: beside a question, a value they name is not picked
# ("I was thinking the 4070 super but not sure, is it good for streaming?").
HEDGES: FrozenSet[str] = frozenset({
    "maybe", "perhaps", "possibly", "thinking", "considering", "unsure", "undecided", "torn", "wondering", "guess",
    "probably", "either", "sure",  # "not sure"
})
# Refusals worth saying even when the message also asks something: the part was read as
# an answer and what is wrong with it is specific ("Did you mean 32 GB DDR4 or 32 GB DDR5?").
SPECIFIC = frozenset({RefusalReason.AMBIGUOUS, RefusalReason.OUT_OF_RANGE, RefusalReason.OUT_OF_STOCK,
                      RefusalReason.MISSING_UNIT, RefusalReason.HEDGED, RefusalReason.OTHER_SUBJECT})
DEMONSTRATIVES: FrozenSet[str] = frozenset({"that", "this", "those", "these", "thats"})
# Words that ask to change an answer given: "change the storage", "a different case".
CHANGE_WORDS: FrozenSet[str] = frozenset({
    "change", "switch", "swap", "redo", "different", "another", "modify", "edit", "update", "replace", "revisit",
})
# Words that account for themselves: asides, politeness, change words. A clause of these
# (and catalog words) alone needs no answer.
ASIDES: FrozenSet[str] = frozenset({
    "actually", "instead", "also", "too", "wait", "change", "switch", "swap", "set", "put", "oh", "sorry", "yes",
    "no", "right", "well", "great", "cool", "perfect", "good", "fine", "sure", "hi", "hello", "hey", "thanks",
    "cheers", "lot", "much", "very", "really", "yeah", "yep", "alright", "nice", "awesome", "lovely", "sounds",
    "both", "all", "them", "those", "these", "there", "here", "now", "again", "same", "other", "rest", "order",
    "go", "do", "done", "something", "update", "please", "thx", "ty", "bye", "anyway", "first", "next", "after",
    "before", "as", "dont", "not", "skip", "without", "none", "nothing", "leave", "out", "need",
    "can", "could", "will", "would", "shall", "what", "which", "how", "about", "from", "at", "by", "or", "if",
    "looks", "seems", "ready",
})


@dataclass(frozen=True)
class Clause:
    """One part of a message."""

    text: str  # as written, without the punctuation around it
    kind: ClauseKind
    values: Tuple[str, ...] = ()  # option ids whose values it names
    options: Tuple[str, ...] = ()  # option ids it names by the option's own name ("the cuffs")
    counts: Tuple[int, ...] = ()  # whole numbers without a unit: "2 in white"
    content: bool = False  # has words that are neither catalog words nor asides
    bare: bool = True  # says nothing besides catalog words and asides ("change the storage")
    changes: bool = False  # says to change something ("change", "swap", "a different ...")
    negated: Tuple[Tuple[str, str], ...] = ()  # (option id, value id) it turns down: "I don't want windows"
    instead: Tuple[str, ...] = ()  # options it gives another value beside the one turned down: "linux, not windows"
    theirs: Tuple[Tuple[str, str], ...] = ()  # (option id, whose) of an aside: ("finish", "your brother")
    said: str = ""  # a guess as the customer wrote it, with the hedge said of it: "neck 41? not sure"


@dataclass
class Reading:
    """A message read clause by clause, and what of it may be taken."""

    clauses: List[Clause]
    taken: Extraction  # the values of the clauses that pick (nothing from questions)
    split: Dict[str, List[Tuple[int, str]]] = field(default_factory=dict)  # option -> [(count, value id)]
    dropped: List[str] = field(default_factory=list)  # option ids named only inside questions

    @property
    def questions(self) -> List[Clause]:
        return [c for c in self.clauses if c.kind == ClauseKind.QUESTION]

    @property
    def asks(self) -> bool:
        return bool(self.questions)

    @property
    def picks(self) -> List[Clause]:
        """The parts that answer: picks, and guesses and asides (asked about in the reply)."""
        return [c for c in self.clauses if c.kind in ANSWERING]

    def unclear(self) -> List[Clause]:
        """Parts that neither pick, nor ask, nor name an option: not understood."""
        return [c for c in self.clauses if c.kind == ClauseKind.OTHER and c.content and not c.options]

    def named_without_value(self, to_change: bool = False) -> List[Tuple[Clause, str]]:
        """Options a part names with nothing else ("change the storage", "the case"), not
        given a value elsewhere; `to_change`: only where the part says to change it."""
        return [(c, option_id) for c in self.clauses if c.kind == ClauseKind.OTHER and c.bare
                and (c.changes or not to_change) for option_id in c.options if option_id not in self.taken.values]

    def question_text(self, text: str) -> str:
        """What to answer: the whole message, or beside picks only its other parts
        ("full tower. when would it be ready?" asks "when would it be ready")."""
        if not self.picks:
            return text
        return ". ".join(c.text for c in self.clauses if c.kind not in ANSWERING) or text

    def points_back(self) -> bool:
        """The question part points at something said beside it: "is that enough?"."""
        return any(w in DEMONSTRATIVES for c in self.questions for w in normalize(c.text).split())

    def picked_text(self) -> str:
        return ", ".join(c.text for c in self.clauses if c.kind == ClauseKind.PICK)

    def names_catalog(self) -> bool:
        """Whether the question part names an option or a value of the product."""
        return any(c.values or c.options for c in self.questions)


def read_clause(product: Product, text: str, asked: bool, focus: Optional[Option],
                vocabulary: AbstractSet[str]) -> Tuple[Clause, Extraction]:
    """One clause: its kind and what it names, and its own values (as find_values reads it)."""
    words = normalize(text).split()
    found = find_values(product, text, focus)
    if not found.values and is_pick_request(words):
        # "can I have the 4080": the value read without the request's opening words.
        opening = opening_words(words)
        found = find_values(product, " ".join(opening[3:]), focus)
    values = list(found.values) + [o for o in found.problems if o not in found.values]
    negated, instead = [], []
    for option_id, value_id, rest in negated_values(product, words, found):
        found.values.pop(option_id, None)
        other = find_values(product, rest, focus).values.get(option_id)
        if other is not None and other.value != value_id:
            found.values[option_id] = other  # "linux instead of windows"
            instead.append(option_id)
        else:
            negated.append((option_id, value_id))
    values = [o for o in values if o in found.values or o not in dict(negated)]
    options = [o for o in names_options(product, words) if o not in values]
    interrogative = is_interrogative(words)
    guess = is_guess(words) and not interrogative
    # "41 roughly", "maybe 41": a hedged figure's words are said with its refusal
    prepared = prepare_numbers(text)
    hedged_words = {w for said in hedges(prepared, list(number_mentions(prepared))).values() for w in normalize(said).split()}
    leftover = [w for w in words if w not in FILLER and w not in ASIDES and w not in vocabulary
                and w not in INTERROGATIVES
                # a figure read here (taken, or refused with its reason) is not a part left unread
                and not ((values or found.focus_error is not None) and w.replace(".", "").isdigit())
                and not (guess and w in HEDGE_ONLY) and w not in hedged_words]
    tail = HEDGE_AFTER.match(" ".join(words))
    if tail and tail.end() == len(" ".join(words)):
        leftover = []  # ", give or take" after a hedged figure: said with the figure's refusal
    if found.unplaced or any(refused is not None and refused.reason == RefusalReason.OTHER_SUBJECT
                             for refused in (found.focus_error, *found.problems.values())):
        leftover = []  # "shoulders 46": the refusal of the figure quotes the part and says what it is about
    theirs = tuple((option_id, whose) for option_id, parsed in found.values.items()
                   if product.option(option_id).kind == "choice" and parsed.value is not None
                   for at in [phrase_at(words, product.option(option_id), parsed.value)] if at is not None
                   for whose in [someone_else(product, words, at, possessors(text))] if whose)
    # "can I have the 4080" picks; "can we change the case" asks to change, not about it.
    # "remind me which memory I picked" asks, though it opens like a statement
    question = (interrogative or asks_back(text)) and not (is_pick_request(words) and (values or options))
    if question:
        kind = ClauseKind.QUESTION
    elif theirs and len(theirs) == len(found.values):
        kind, leftover = ClauseKind.ASIDE, []
    elif guess and (values or only_hedges(words)):
        kind = ClauseKind.GUESS
    else:
        kind = ClauseKind.PICK if values else ClauseKind.OTHER
    clause = Clause(text=text, kind=kind, values=tuple(values), options=tuple(options), counts=whole_counts(text),
                    content=bool(leftover), bare=not leftover, changes=any(w in CHANGE_WORDS for w in words),
                    negated=tuple(negated), instead=tuple(instead), theirs=theirs)
    return clause, found


def read_message(product: Product, text: str, found: Extraction, focus: Optional[Option] = None) -> Reading:
    """`text` (whose values the whole-message extraction `found` holds) read clause by clause.

    Without a question part, everything found is taken, plus what single clauses name on
    their own ("skip the graphics card", "normal buttoned cuffs"). With one, only the
    values of the picking parts are taken; a question alone takes nothing.
    """
    vocabulary = catalog_words(product)
    parts = split_clauses(text, comma_names(product))
    # A question sentence's parts after its first interrogative part continue the question
    # ("what's the difference between 16 and 32 for gaming?").
    read: List[Tuple[Clause, Extraction]] = []
    asking_in: Set[int] = set()  # sentences whose question has begun
    interrogative_sentences = {sentence for part, _, sentence in parts if is_interrogative(normalize(part).split())}
    # "2 pieces; perhaps the trestle?": the question mark is the guess's, not the pieces'
    guessing = {sentence for part, _, sentence in parts if is_guess(normalize(part).split())} - interrogative_sentences
    # "the linen? not sure": a question mark the next sentence's hedge explains offers the value unsure
    guessing |= {parts[index - 1][2] for index, (part, _, sentence) in enumerate(parts)
                 if index and parts[index - 1][2] != sentence and parts[index - 1][1]
                 and only_hedges(normalize(part).split())} - interrogative_sentences
    for index, (part, asked, sentence) in enumerate(parts):
        clause, own = read_clause(product, part, asked, focus, vocabulary)
        words = normalize(part).split()
        # A question mark is the part's it ends: "sleeve 64, neck 41?" offers the neck unsure
        # and takes the sleeve.
        ends_question = asked and (index + 1 == len(parts) or parts[index + 1][2] != sentence)
        # After a question's opening, the sentence's parts continue it ("which is faster,
        # the ryzen 9 or the i7"); a question mark without one asks about what it names
        # ("the 4080 super?"); unless a part says it picks.
        continues = sentence in asking_in or (ends_question and sentence not in interrogative_sentences | guessing)
        # "between 16 and 32 gb": a part naming a value that is ambiguous on its own says something too
        says_something = bool(clause.values or clause.options or clause.content or own.problems
                              or (own.focus_error is not None and own.focus_error.reason == RefusalReason.AMBIGUOUS))
        # "41?" at the neck question: the figure offered as an answer, unsure whether it will
        # do; a guess (asked about, never stored), not a question about the figure to answer.
        if ends_question and focus is not None and focus.kind == "number" and clause.values == (focus.id,) \
                and clause.bare and clause.kind == ClauseKind.PICK and not is_interrogative(words):
            clause = dataclasses.replace(clause, kind=ClauseKind.GUESS)
        aside = clause.kind in (ClauseKind.GUESS, ClauseKind.ASIDE) and sentence not in asking_in
        if continues and says_something and clause.kind != ClauseKind.QUESTION and not says_it_picks(words) \
                and not aside:  # "perhaps the oak?" is a guess, asked about, not a question to answer
            clause = dataclasses.replace(clause, kind=ClauseKind.QUESTION)
        if clause.kind == ClauseKind.QUESTION and is_interrogative(words):
            asking_in.add(sentence)
        read.append((clause, own))
    clauses = _hedged_parts([clause for clause, _ in read], parts, text, focus)
    asking = any(c.kind == ClauseKind.QUESTION for c in clauses)
    if asking:  # beside a question, a guess is part of it ("maybe the rx 7800 xt? or is that loud")
        clauses = [dataclasses.replace(c, kind=ClauseKind.QUESTION) if c.kind == ClauseKind.GUESS else c
                   for c in clauses]
        clauses = _deliberating(product, clauses, parts)
    read = [(clause, own) for clause, (_, own) in zip(clauses, read, strict=True)]
    picked = {option_id for c in clauses if c.kind == ClauseKind.PICK for option_id in c.values}
    in_questions = {option_id for c in clauses if c.kind == ClauseKind.QUESTION for option_id in c.values}
    taken = Extraction(dict(found.values), found.focus_error, dict(found.problems), unplaced=list(found.unplaced))
    if asking:
        taken.values = {k: v for k, v in found.values.items() if k in picked}
        taken.problems = {k: v for k, v in found.problems.items() if k in picked}
        taken.focus_error = None
        # "what's the difference between 16 and 32?": a question's figures are not placed
        taken.unplaced = [u for clause, own in read if clause.kind == ClauseKind.PICK for u in own.unplaced]
        # "would 106.4 cm be too much? my width is 98 cm": the figure of the part that picks
        for clause, own in read:
            for option_id in clause.values if clause.kind == ClauseKind.PICK else ():
                if option_id in own.values and product.option(option_id).kind == "number":
                    taken.values[option_id] = own.values[option_id]
    # What one clause names on its own that the whole message did not give.
    spans = _spans(text, parts)
    asked_in = {sentence for c, (_, asked, sentence) in zip(clauses, parts, strict=True)
                if (asked and sentence not in guessing) or c.kind == ClauseKind.QUESTION}
    for index, ((clause, own), (_, _, sentence)) in enumerate(zip(read, parts, strict=True)):
        if clause.kind not in (ClauseKind.PICK, ClauseKind.OTHER):
            continue
        for option_id, parsed in own.values.items():
            fragment = focus is not None and option_id == focus.id and focus.kind == "text" and len(read) > 1 \
                and (not clause.content or bool(hedges(prepare_numbers(clause.text),
                                                       list(number_mentions(prepare_numbers(clause.text))))))
            # "41, or so": the whole message hedged the figure; its clause alone does not
            hedged_whole = focus is not None and option_id == focus.id and found.focus_error is not None \
                and found.focus_error.reason in (RefusalReason.HEDGED, RefusalReason.OTHER_SUBJECT)
            if option_id not in taken.values and option_id not in taken.problems and option_id in clause.values \
                    and not fragment and not hedged_whole:  # "actually, make the height 52 cm" at the engraving: not "actually"
                taken.values[option_id] = parsed
        words = normalize(clause.text).split()
        unsure = is_guess(words) or _hedged_by_next(parts, index)  # "maybe the standard", "the Standard? not sure"
        said = _said(text, spans, parts, {index, index + 1}) if _hedged_by_next(parts, index) else clause.text
        if not own.values and not own.problems and not clause.options and clause.kind == ClauseKind.OTHER \
                and sentence not in asked_in:
            loose = one_word_value(product, clause.text, focus, {*taken.values, *taken.problems})  # "..., mid", "Standard please"
            if loose is not None:
                option_id, parsed = loose
                if parsed.ok and unsure:
                    option = product.option(option_id)
                    parsed = guessed(option, option.value(parsed.value), said)
                (taken.values if parsed.ok else taken.problems)[option_id] = parsed
                clauses[clauses.index(clause)] = clause = _with_value(clause, option_id)
        for option_id in list(clause.options):
            option = product.option(option_id)
            can_be_none, none_id = none_value(option)
            if can_be_none and says_none(words, option) and option_id not in taken.values:
                taken.values[option_id] = Parsed(value=none_id, ok=True)
                clauses[clauses.index(clause)] = clause = _with_value(clause, option_id)
            elif option.kind == "yesno" and option_id not in taken.values and option_id not in taken.problems \
                    and (unsure or (focus is not None and focus.id != option_id and not clause.changes)):
                # "maybe a window" is asked about; "felt, window" (no yes or no) at another
                # question is asked too, never set and never dropped
                taken.problems[option_id] = (guessed_yesno if unsure else unsaid_yesno)(option, said)
            elif clause.content and option_id not in taken.values and option_id not in taken.problems:
                # "the trays are 60 cm wide, so a bit more": the figure refused (about something
                # else, hedged) is not read again from the clause's words
                refused = own.problems.get(option_id) or (own.focus_error if focus is not None and focus.id == option_id
                                                          else None)
                if option.kind == "number" and refused is not None and refused.reason in SPECIFIC:
                    if focus is None or focus.id != option_id:
                        taken.problems[option_id] = refused
                    continue
                parsed = described(option, clause.text)
                if parsed.ok and option.kind == "choice" and parsed.value is not None and unsure:
                    parsed = guessed(option, option.value(parsed.value), said)  # "maybe normal buttoned cuffs"
                if parsed.ok:
                    taken.values[option_id] = parsed
                else:
                    taken.problems[option_id] = parsed
                clauses[clauses.index(clause)] = clause = _with_value(clause, option_id)
    if asking and focus is not None and focus.id not in taken.values:
        # "my neck is about 40, how much room do you leave?": what is wrong with the answer
        # part is said beside the answer to the question.
        errors = [own.focus_error for clause, own in read if clause.kind != ClauseKind.QUESTION
                  and own.focus_error is not None and own.focus_error.reason in SPECIFIC
                  and (focus.kind != "number" or number_in(clause.text))]  # "not sure about the neck" gave no figure
        taken.focus_error = errors[0] if errors else None
    if focus is not None and focus.kind == "number" and focus.id in taken.values:
        offered = [c for c in clauses if c.kind == ClauseKind.GUESS and focus.id in c.values]
        if offered:  # "41?": asked whether it is right, so asked for the figure, not taken
            del taken.values[focus.id]
            taken.focus_error = hedged_refusal(focus, offered[0].said or " ".join(offered[0].text.split()) + "?")
    if taken.values and taken.focus_error is not None and focus is not None and focus.id in taken.values:
        taken.focus_error = None
    for clause, (_, own) in zip(clauses, read, strict=True):
        for option_id in clause.instead if clause.kind != ClauseKind.QUESTION else ():
            taken.values[option_id] = own.values[option_id]
    for clause in clauses:
        for option_id, value_id in clause.negated:
            if taken.values.get(option_id) is not None and taken.values[option_id].value == value_id:
                del taken.values[option_id]
            instead = [own.values[option_id] for c, (_, own) in zip(clauses, read, strict=True)
                       if c.kind == ClauseKind.PICK and option_id in c.values and option_id in own.values
                       and own.values[option_id].value != value_id]
            if option_id not in taken.values and instead:
                taken.values[option_id] = instead[0]  # "not windows, ubuntu"
            elif option_id not in taken.values:
                option = product.option(option_id)
                taken.problems[option_id] = Parsed.refused(
                    RefusalReason.INVALID_ANSWER, f"Noted: not {option.value(value_id).name}. "
                    f"{'I' if focus is not None and focus.id == option_id else 'When we get to it, I'}'ll ask which "
                    f"{noun(option)} you'd like instead.")
    if focus is not None and focus.id not in taken.values and not asking:
        _none_for_focus(focus, clauses, taken)
    set_aside(product, text, parts, read, taken, focus)
    dropped = sorted(in_questions - picked)
    reading = Reading(clauses, taken, dict(getattr(found, "split", None) or {}), dropped)
    if not reading.split:
        reading.split = clause_split(product, read)
    return reading


NONE_FILLER = frozenset({"it", "that", "this", "one", "please", "thanks", "thank", "you", "for", "now", "i", "ill", "the"})


def _none_for_focus(focus: Option, clauses: List[Clause], taken: Extraction) -> None:
    """"skip it", "none for now" to a question whose option has a "none" value."""
    can_be_none, none_id = none_value(focus)
    if not can_be_none or focus.kind != "choice":
        return
    for clause in clauses:
        words = [w for w in normalize(clause.text).split() if w not in NONE_FILLER]
        if clause.kind != ClauseKind.QUESTION and words and " ".join(words) in NONE_WORDS:
            taken.values[focus.id] = Parsed(value=none_id, ok=True,
                                            note=f"I took that as {focus.value(none_id).name}" if none_id else "")
            taken.focus_error = None
            return


def _deliberating(product: Product, clauses: List[Clause], parts: List[Tuple[str, bool, int]]) -> List[Clause]:
    """Beside a question, a value named without a word that picks it is still being
    decided on when its part hedges ("I was thinking the 4070 super, is it good for
    streaming?"; a part that only hedges is its neighbour's, see _hedged_parts) or
    the question names another value of the same option ("I like linen, but would twill
    be better?"): it is part of the question."""
    asked_values: Set[Tuple[int, str]] = set()  # (sentence, option id) the question weighs
    for clause, (_, _, sentence) in zip(clauses, parts, strict=True):
        if clause.kind == ClauseKind.QUESTION:
            asked_values |= {(sentence, option_id) for option_id in clause.values}
    result = []
    for clause, (part, _, sentence) in zip(clauses, parts, strict=True):
        words = normalize(part).split()
        # "would 106.4 cm be too much? my chest is 98 cm": a statement of its own is not weighed
        weighing = any((sentence, option_id) in asked_values for option_id in clause.values)
        # the part's own hedge ("sleeve 64 and neck maybe 41, is that normal?" takes the sleeve)
        hedged = is_guess(words) or any(w in HEDGES and w != "sure" for w in words)
        if clause.kind == ClauseKind.PICK and not says_it_picks(words) and (hedged or weighing):
            clause = dataclasses.replace(clause, kind=ClauseKind.QUESTION)
        result.append(clause)
    return result


# Words of a hedge that is about every value of its sentence: "not sure about either".
ALL_OF_THEM: FrozenSet[str] = frozenset({"either", "both", "all", "them", "those", "these", "any", "neither", "each"})


def _hedged_parts(clauses: List[Clause], parts: List[Tuple[str, bool, int]], text: str,
                  focus: Optional[Option]) -> List[Clause]:
    """A hedge belongs to its own part. A part that only hedges ("not sure", "I think")
    is about the part it follows, whose value it was said of ("Slim or Regular, not sure
    yet"; "neck 41? not sure, sleeve 64": the neck, and the sleeve is taken), or, said
    before any value, the part after it ("still undecided, compact perhaps") unless that
    part answers another option than the one asked (then it is about the question asked:
    "not sure, sleeve 64" at the neck question takes the sleeve); about every
    part of its sentence only when it says so ("neck 41 and sleeve 64, not sure about
    either"). A guess's option named again in its sentence is weighed with it ("torn
    between slim and regular"). Each guess keeps what the customer said of it."""
    spans = _spans(text, parts)
    groups: Dict[int, Set[int]] = {i: {i} for i, c in enumerate(clauses) if c.kind == ClauseKind.GUESS and c.values}
    answering = [i for i, c in enumerate(clauses) if (c.values or c.options) and c.kind != ClauseKind.QUESTION
                 and not (c.kind == ClauseKind.GUESS and not c.values)]
    for index, clause in enumerate(clauses):
        if clause.kind != ClauseKind.GUESS or clause.values:
            continue
        sentence = parts[index][2]
        before = [i for i in answering if i < index and _no_question_between(clauses, i, index)]
        after = [i for i in answering if i > index and parts[i][2] == sentence]
        if any(w in ALL_OF_THEM for w in normalize(clause.text).split()):
            # every value of its sentence, or else of the last sentence before it with any
            about = [i for i in answering if parts[i][2] == sentence]
            if not about and before:
                about = [i for i in before if parts[i][2] == parts[before[-1]][2]]
        elif before and parts[before[-1]][2] == sentence:
            about = before[-1:]  # "Slim or Regular, not sure yet"
        elif before and index and parts[index - 1][1] and parts[index - 1][2] != sentence:
            about = before[-1:]  # "neck 41? not sure, sleeve 64": it says why the question mark
        elif focus is not None and after and focus.id not in clauses[after[0]].values:
            about = []  # "not sure, sleeve 64" at the neck question: unsure of the neck, sure of the sleeve
        else:
            about = after[:1] or before[-1:]  # "Sleeve 64. Not sure, maybe 41 for the neck"; "Slim fit. Not sure."
        for target in about:
            groups.setdefault(target, {target}).add(index)
    weighed = {(parts[i][2], option_id) for i in groups for option_id in clauses[i].values}
    for index, clause in enumerate(clauses):
        if index not in groups and clause.kind == ClauseKind.PICK \
                and any((parts[index][2], option_id) in weighed for option_id in clause.values):
            first = min(i for i in groups if parts[i][2] == parts[index][2]
                        and set(clauses[i].values) & set(clause.values))
            groups[first].add(index)
            groups[index] = groups[first]
    result = list(clauses)
    for index, members in groups.items():
        clause = clauses[index]
        if clause.kind not in (ClauseKind.PICK, ClauseKind.GUESS) or not clause.values:
            continue
        if clause.kind == ClauseKind.PICK and says_it_picks(normalize(parts[index][0]).split()):
            continue  # "I think I'll take the linen"
        result[index] = dataclasses.replace(clause, kind=ClauseKind.GUESS, said=_said(text, spans, parts, members))
    return result


def _hedged_by_next(parts: List[Tuple[str, bool, int]], index: int) -> bool:
    """The part after this one only hedges, and is about it (see _hedged_parts): in the same
    sentence, or opening the next one after this part's question mark ("the Standard? not sure")."""
    if index + 1 >= len(parts) or not only_hedges(normalize(parts[index + 1][0]).split()):
        return False
    return parts[index + 1][2] == parts[index][2] or parts[index][1]


def _no_question_between(clauses: List[Clause], start: int, end: int) -> bool:
    return not any(c.kind == ClauseKind.QUESTION for c in clauses[start + 1:end])


def _spans(text: str, parts: List[Tuple[str, bool, int]]) -> List[Tuple[int, int]]:
    """Where each part stands in `text` (split_clauses' parts are pieces of it, in order)."""
    spans, cursor = [], 0
    for part, _, _ in parts:
        start = text.find(part, cursor)
        if start < 0:
            spans.append((cursor, cursor))
            continue
        spans.append((start, start + len(part)))
        cursor = start + len(part)
    return spans


def _said(text: str, spans: List[Tuple[int, int]], parts: List[Tuple[str, bool, int]], members: Set[int]) -> str:
    """The parts `members` as the customer wrote them, with the question mark that ends the last."""
    start, end = spans[min(members)][0], spans[max(members)][1]
    if end <= start:
        return " ".join(parts[min(members)][0].split())
    while end < len(text) and text[end] == "?":
        end += 1
    return " ".join(text[start:end].split())


def set_aside(product: Product, text: str, parts: List[Tuple[str, bool, int]], read: List[Tuple[Clause, Extraction]],
              taken: Extraction, focus: Optional[Option]) -> None:
    """The values of guesses and asides are not taken, unless a part that picks gives them:
    each is asked about, quoting the customer ("maybe the ash", "my brother has the ash");
    two values weighed ("oak, maybe walnut") are both asked about."""
    sentences = [s.strip().rstrip(".!").strip() for s in SENTENCE.findall(text or "")]
    picks: Dict[str, List[Tuple[int, Parsed]]] = {}  # option id -> (sentence, reading) of the parts that pick
    aside: Dict[str, List[Tuple[int, Parsed, str, Optional[str]]]] = {}  # option id -> (sentence, reading, said, whose)
    for (clause, own), (_, _, sentence) in zip(read, parts, strict=True):
        for option_id, parsed in own.values.items():
            if parsed.value is None:
                continue
            if clause.kind == ClauseKind.PICK and (product.option(option_id).kind != "text" or (
                    option_id in taken.values and taken.values[option_id].value == parsed.value)):
                picks.setdefault(option_id, []).append((sentence, parsed))
            elif clause.kind in (ClauseKind.GUESS, ClauseKind.ASIDE):
                said = clause.said or (clause.text if clause.kind == ClauseKind.ASIDE or sentence >= len(sentences)
                                       else sentences[sentence])
                aside.setdefault(option_id, []).append((sentence, parsed, said, dict(clause.theirs).get(option_id)))
    for option_id, entries in aside.items():
        option = product.option(option_id)
        # "the Oxford cotton, white I guess": the same value in the same sentence is the name's own comma
        plain = [parsed for at, parsed in picks.get(option_id, [])
                 if not any(at == sentence and parsed.value == guess.value for sentence, guess, _, _ in entries)]
        guesses = [(guess, said) for _, guess, said, whose in entries if whose is None]
        sentence, first, said, whose = entries[0]
        if plain and not guesses:  # "linen, my brother has the twill": the linen taken, the twill said to be his
            taken.values[option_id] = plain[0]
            taken.problems.pop(option_id, None)
            if option.kind == "choice" and whose:
                taken.problems[option_id] = theirs(option, option.value(first.value), said, whose)
            continue
        weighed = list(dict.fromkeys([p.value for p in plain] + [guess.value for guess, _ in guesses]))
        if plain and len(weighed) == 1:
            continue
        taken.values.pop(option_id, None)
        error = taken.focus_error
        if focus is not None and option_id == focus.id and error is not None and error.reason == RefusalReason.AMBIGUOUS:
            continue  # "torn between slim and regular": "Did you mean Slim or Regular?" asks already
        if option.kind == "choice" and len(weighed) > 1:  # "oak, maybe walnut"
            both = [option.value(value) for value in weighed]
            refusal = Parsed.refused(RefusalReason.AMBIGUOUS, f'You said "{said}": did you mean '
                                     f'{name_list((v.name for v in both), "or")}?', both)
        elif option.kind == "choice" and whose:
            refusal = theirs(option, option.value(first.value), said, whose)
        elif option.kind == "choice":
            refusal = guessed(option, option.value(first.value), said)
        elif option.kind == "number":
            refusal = hedged_refusal(option, said)
        elif option.kind == "yesno":
            refusal = guessed_yesno(option, said)
        else:
            refusal = Parsed.refused(RefusalReason.HEDGED, f'You said "{said}": {option.question or noun(option) + "?"}'
                                     " Please answer plainly.")
        taken.problems[option_id] = refusal
    if focus is not None and focus.id in taken.problems and not taken.values and taken.focus_error is None \
            and len(taken.problems) == 1:
        taken.focus_error = taken.problems.pop(focus.id)  # asked again, with the value named first among the buttons


def _with_value(clause: Clause, option_id: str) -> Clause:
    return dataclasses.replace(clause, kind=ClauseKind.PICK, values=clause.values + (option_id,),
                               options=tuple(o for o in clause.options if o != option_id), content=False, bare=False)


def clause_split(product: Product, read: List[Tuple[Clause, Extraction]]) -> Dict[str, List[Tuple[int, str]]]:
    """Two values of one choice option, each in its own clause with a count ("one in
    linen and the other 2 in poplin"): a split of the quantity over two configurations."""
    by_option: Dict[str, List[Tuple[int, str]]] = {}
    for clause, own in read:
        for option_id, parsed in own.values.items():
            option = product.option(option_id)
            if option.kind != "choice" or parsed.value is None:
                continue
            value = option.value(parsed.value)
            named = {w for phrase in (value.name, *value.synonyms) for w in normalize(phrase).split()}
            counts = [c for c in clause.counts if str(c) not in named]  # "ryzen 5" is a name, not five
            if len(counts) == 1:
                by_option.setdefault(option_id, []).append((counts[0], parsed.value))
    # Common words name a value only when asked ("two in white and one in navy" at the
    # summary): each counted part read as an answer to each choice.
    counted = [(clause, own) for clause, own in read if len(clause.counts) == 1]
    if len(counted) >= 2:
        for option in product.options:
            if option.kind != "choice" or option.id in by_option:
                continue
            pairs = []
            for clause, _ in counted:
                rest = re.sub(r"\b\d+\b", " ", prepare_numbers(clause.text))
                value_id = find_values(product, rest, option).values.get(option.id)
                if value_id is not None and value_id.value is not None:
                    pairs.append((clause.counts[0], value_id.value))
            if len(pairs) >= 2:
                by_option[option.id] = pairs
    return {option_id: pairs for option_id, pairs in by_option.items() if len({value for _, value in pairs}) > 1}


def split_reply(product: Product, split: Dict[str, List[Tuple[int, str]]]) -> str:
    """One order holds one configuration: nothing changed, the rest can be another order."""
    parts = []
    for option_id, pairs in split.items():
        option = product.option(option_id)
        parts.append(name_list((f"{count} × {option.value(value).name}" for count, value in pairs), "and"))
    return (f"One order holds one configuration, so I haven't changed anything: {'; '.join(parts)} would be "
            f"separate orders. Let's finish this {product.name} with one "
            f"{' and one '.join(noun(product.option(o)) for o in split)}; once it's placed I can take the rest "
            "as another order.")


def unclear_reply(clauses: List[Clause]) -> str:
    """The parts of a message that were neither taken nor answered."""
    quoted = name_list((f'"{c.text.strip()}"' for c in clauses), "or")
    return f"I didn't understand {quoted}; could you say that another way?"

