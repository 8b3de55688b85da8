"""Finding every option value a customer names in one message, in any order and phrasing.

"a gaming PC with a 7800X3D, 32 gigs of DDR5 and a 2TB SSD" names three options;
"neck 15.5 inches, chest 40" two numbers, each tied to its option by a word or a unit.
The option being asked (the focus) is read leniently, as a direct answer; every other
option only when the message names it unmistakably, so nothing is guessed.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

from rapidfuzz import fuzz

from bot.core.catalog import Option, Product
from bot.core.choices import (ambiguous_across, in_a_choice_name, named_choices, named_values, split_choices,
                             unoffered_variant)
from bot.core.cues import catalog_words, clause_span, cue_positions, cue_words, cued_option, number_cues, singular_noun
from bot.core.expressions import format_number
from bot.core.guesses import guessed_text, is_guess
from bot.core.hedges import hedges, replaced_figures
from bot.core.knowledge_index import stop_words
from bot.core.numbers import PER_WORDS, UNIT_WORDS, Mention, number_mentions, prepare_numbers, typed_figure
from bot.core.phrases import name_list
from bot.core.questions import split_clauses
from bot.core.refusals import RefusalReason
from bot.core.units import convert, is_physical, registry
from bot.core.values import (FILLER, Parsed, _parse_yesno, ask_figure, display_value, hedged_refusal, is_none_answer,
                             noun, normalize, parse_answer)

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
    # Figures no option took, each refused with why: "104 cm" could be the chest or the
    # waist, "hips 104 cm" is about the hips, "2 conveyors" where an order holds one.
    unplaced: List[Parsed] = field(default_factory=list)


_SELF_WORDS = {"it", "that", "this", "mine", "ours", "one", "size", "measurement", "figure", "number", "value",
               "i", "we", "they", "he", "she", "total", "overall", "both", "answer", "amount", "measure",
               "reading", "result", "order"}
# A thing we had or have is not the one being ordered: "my old belt was 500mm".
_OTHER_THING = {"old", "current", "existing", "previous", "former", "present", "other", "last", "original"}
_QUANTIFIERS = {"each", "every", "all", "both", "some", "any"}
_DETERMINERS = {"the", "a", "an", "my", "our", "your", "their", "its", "his", "her", "this", "that", "these", "those",
                *_QUANTIFIERS}
_SUBJECT_BEFORE = re.compile(
    r"(?:^|\b)(?P<subject>[a-z][a-z' ]*?)\s+(?P<verb>is|are|was|were|measures?|measured|weighs?|weighed|will be|would be|"
    r"should be|must be|needs? to be|has to be|have to be|can be|could be)\s+(?:(?:exactly|only|just)\s+)?$")
_LETTER_UNITS = "|".join(sorted((re.escape(w) for w in UNIT_WORDS if w.isalpha()), key=len, reverse=True))
_PER_ITEM = re.compile(rf"^\s*(?:each|apiece|a piece|per piece|(?:per|a|an|every|for each|for every)\s+"
                       rf"(?!(?:{_LETTER_UNITS})\b)(?P<thing>[a-z]+))\b")
_DIMENSIONS_GAP = re.compile(r"\s*(?:x|×|by|\*)\s*")
_COUNT_OF_THEM = re.compile(r"^\s*(?:of (?:them|those|these|it|that)|pieces?|times|copies|in total|total|in all|altogether|"
                            r"all together)\b")
_MAKE_IT = re.compile(r"\bmake (?:it|that|them|this|those)\s*$")
_TIMES = re.compile(r"(?<![\w.])(?:x\s?(?P<after>\d+)|(?P<before>\d+)\s?x)(?![\w.])(?!\s*\d)")


# "there are 3 per metre", "it is 40": the verb's subject names nothing the figure is about
_NOT_A_SUBJECT = {"there", "here", "it", "they", "that", "this", "which", "what", "who"}


def _product_heads(product: Product) -> Set[str]:
    """The nouns that name the product itself: "shed" of "Garden shed", "belt" of "conveyor belt"."""
    return {normalize(phrase).split()[-1] for phrase in [product.name, *product.synonyms] if normalize(phrase)}


def _something_else(option: Option, product: Product, prepared: str, match: "re.Match[str]", unit: Optional[str],
                    cues: List[str], taken: bool = False) -> Optional[Parsed]:
    """A figure about another thing than the option: "30 kilos each" (per item, for a load in
    kg per metre), "the trays are 60 cm wide" (the trays), "my old belt was 500mm". `taken`:
    the message gave the option's own figure too, so the refusal does not ask for it again."""
    figure = match.group(0).strip()
    # The form asks the option's question next; the refusal says only what figure will do.
    again = "" if taken else f" {ask_figure(option, unit)}"
    per_item = _PER_ITEM.match(prepared[match.end():])
    if per_item and "/" in option.unit and unit and "/" not in unit:
        thing = per_item.group("thing") or "item"
        said = f"{figure} {prepared[match.end():match.end() + per_item.end()].strip()}"
        return Parsed.refused(RefusalReason.OTHER_SUBJECT,
                              f'I haven\'t taken "{said}" as the {noun(option)}: that is per {thing}, and the '
                              f"{noun(option)} is in {option.unit}.{again}")
    clause_start, clause_end = clause_span(prepared, match.start(), match.end())
    subject = _SUBJECT_BEFORE.search(prepared[clause_start:match.start()])
    if subject is None:
        return _labelled_otherwise(option, product, prepared, match, again)
    words = [w for w in normalize(subject.group("subject")).split() if w not in _DETERMINERS]
    words = words[-3:]
    if not words:
        return None
    own = {w for cue in cues for w in cue.split()} | _product_heads(product)
    head = words[-1]
    if head in _NOT_A_SUBJECT:
        return None
    stale = [w for w in words if w in _OTHER_THING]
    if not stale and (head in _SELF_WORDS or head in FILLER or head in own or singular_noun(head) in own
                      or singular_noun(head) in {singular_noun(w) for w in own}):
        return None
    said = " ".join(prepared[clause_start:clause_end].split())
    subject_words = normalize(subject.group("subject")).split()
    quantifier = next((w for w in subject_words if w in _QUANTIFIERS),
                      "your" if {"my", "our"} & set(subject_words) else "the")
    # "my wife's is 92": about your wife, not "the wifes"
    owned = {w[:-1] for w in words if re.search(rf"\b{re.escape(w[:-1])}['’]s\b", subject.group("subject"))}
    thing = f"{quantifier} {' '.join(w[:-1] if w[:-1] in owned else w for w in words)}"
    return Parsed.refused(RefusalReason.OTHER_SUBJECT,
                          f'I haven\'t taken {figure} as the {noun(option)}: you said "{said}", which is about '
                          f"{thing}.{again}")


# Words beside a figure that say nothing about what it measures: "yeah 40", "say 40", "ok 40".
_NOT_A_LABEL = {"yeah", "yes", "yep", "yup", "sure", "right", "alright", "oh", "ah", "er", "erm", "uh", "um", "umm",
                "hmm", "say", "said", "says", "actually", "sorry", "oops", "hi", "hello", "hey", "ok", "okay", "exactly",
                "precisely", "try", "lol", "new", "now", "correct", "correction", "sry", "typo"}
# Words that only say a figure is a measure, of whatever stands before them: "hip size 104".
_MEASURE_WORDS = {"size", "measurement", "measure", "circumference", "girth"}
_LABEL_AFTER = re.compile(r"^\s*(?:for|across|around|round|at|over|under|on)\s+(?P<owner>the|my|our|your|his|her|their)?"
                          r"\s*(?P<thing>[a-z][a-z']*)")


def _vocabulary(product: Product) -> Set[str]:
    """Every word the product's catalog entry gives its options and values (names, synonyms,
    cues): a figure labelled with one of them is about this product."""
    phrases = [product.name, *product.synonyms]
    for option in product.options:
        phrases += [option.name, *option.synonyms, *cue_words(option, product)]
        phrases += [phrase for value in option.values for phrase in (value.name, value.id.replace("_", " "), *value.synonyms)]
    return {word for phrase in phrases for word in normalize(phrase).split()} | _product_heads(product)


def _labels_nothing(word: str) -> bool:
    # a single letter ("3.5m x 400mm") names nothing a figure measures
    return (not word.isalpha() or len(word) < 2 or word in stop_words() or word in FILLER or word in _NOT_A_LABEL
            or word in _SELF_WORDS
            or word in YESNO_YES or word in YESNO_NO or word in _DETERMINERS or normalize(word) in UNIT_WORDS)


def _labelled_otherwise(option: Option, product: Product, prepared: str, match: "re.Match[str]",
                        again: str) -> Optional[Parsed]:
    """A measurement labelled with words of something the product has no option for:
    "shoulders 46" or "hip size 104" at the neck or chest question, "46 across the
    shoulders". Taking it for the option asked would store a wrong figure; the customer
    is asked for the option's own figure instead. Misspelt option words ("nek 40") are
    the option's."""
    if not is_physical(option.unit):
        return None
    clause_start, clause_end = clause_span(prepared, match.start(), match.end())
    before = normalize(prepared[clause_start:match.start()]).split()
    end = len(before) - 1 if before and before[-1] in _MEASURE_WORDS else len(before)
    start = end
    while start > 0 and end - start < 3 and not _labels_nothing(before[start - 1]):
        start -= 1
    label = before[start:end]
    said_label = before[start:]  # with its measure word: "your hip size"
    owner = before[start - 1] if start > 0 else "the"
    after = _LABEL_AFTER.match(prepared[match.end():clause_end])
    if not label and after and not _labels_nothing(after.group("thing")):
        label, owner = [after.group("thing")], after.group("owner") or "the"
        said_label = label
    if not label:
        return None
    vocabulary = _vocabulary(product)
    if any(word in vocabulary or singular_noun(word) in vocabulary
           or any(len(word) >= 3 and fuzz.ratio(word, known) >= 75 for known in vocabulary) for word in label):
        return None  # "collar 40" (the collar size), "nek 40" (the neck, misspelt)
    owner = "your" if owner in ("my", "our") else owner if owner in _DETERMINERS else "the"
    said = " ".join(prepared[clause_start:clause_end].split())
    return Parsed.refused(RefusalReason.OTHER_SUBJECT,
                          f'I haven\'t taken {match.group(0).strip()} as the {noun(option)}: you wrote "{said}", which is '
                          f"about {owner} {' '.join(said_label)}.{again}")


def _counts_the_product(product: Product, prepared: str, match: "re.Match[str]") -> bool:
    """The figure counts the product itself: "2 conveyors", "two garden sheds"."""
    after = normalize(prepared[match.end():match.end() + 40]).split()[:3]
    heads = _product_heads(product)
    return any(singular_noun(word) in heads or word in heads for word in after[:1]) or (
        len(after) >= 2 and (singular_noun(after[1]) in heads or after[1] in heads)
        and after[0] in _product_words_of(product))


def _product_words_of(product: Product) -> Set[str]:
    return {w for phrase in [product.name, *product.synonyms] for w in normalize(phrase).split()}


_CALENDAR_WORDS = {normalize(name) for name in (*calendar.month_name, *calendar.month_abbr, *calendar.day_name,
                                                  *calendar.day_abbr) if name} - {"may"}


def _in_a_date(prepared: str, match: "re.Match[str]") -> bool:
    """"by March 15", "15 May", "Friday the 12th": a day of a date, not a figure of the order."""
    before = normalize(prepared[max(0, match.start() - 20):match.start()]).split()[-2:]
    after = normalize(prepared[match.end():match.end() + 20]).split()[:2]
    # "may" only straight after the day ("15 May"): before a figure it is a verb ("it may be 40").
    return any(w in _CALENDAR_WORDS for w in before + after) or after[:1] == ["may"]


def _one_per_order(product: Product, match: "re.Match[str]") -> Parsed:
    """"2 conveyors" of a product without a count: this order is one of them."""
    return Parsed.refused(RefusalReason.INVALID_ANSWER,
                          f"One order is for one {product.name}: this one is the first of the "
                          f"{match.group(0).strip()}, and once it is placed I can take the next as another order.")


def _unplaced(product: Product, numbers: List[Option], prepared: str, number: Decimal, match: "re.Match[str]",
              unit: Optional[str]) -> Optional[Parsed]:
    """A figure that names no option and answers no question asked: which option it is for
    is asked (never guessed from its size), or it is said to be about something the product
    has no option for. None when no number option could take it (a model number: "the 4070")."""
    written = match.group(0).strip()
    if unit:
        dimension = [o for o in numbers if _fits_dimension(o, unit)]
        fitting = [o for o in dimension if parse_answer(o, written).ok] or dimension
    else:
        if in_a_choice_name(product, prepared, match) or _names_a_value(product, number) or _in_a_date(prepared, match):
            return None
        fitting = [o for o in numbers if parse_answer(o, written).ok]
    if not fitting:
        return None
    labelled = _labelled_otherwise(fitting[0], product, prepared, match, "")
    if labelled is not None:
        clause_start, clause_end = clause_span(prepared, match.start(), match.end())
        about = labelled.error.split(", which is about ", 1)[-1]
        return Parsed.refused(RefusalReason.OTHER_SUBJECT,
                              f'I haven\'t taken {written}: you wrote "{" ".join(prepared[clause_start:clause_end].split())}", '
                              f"which is about {about}")
    example = fitting[0]
    with_unit = written if unit else f"{written} {example.unit}" if is_physical(example.unit) else written
    if len(fitting) == 1:  # still a guess: asked, not taken
        return Parsed.refused(RefusalReason.AMBIGUOUS,
                              f'I haven\'t taken {written}: is it the {noun(example)}? If so, please say '
                              f'"{noun(example)} {with_unit}".')
    return Parsed.refused(RefusalReason.AMBIGUOUS,
                          f"I haven't taken {written}: it could be "
                          f"{name_list((f'the {noun(o)}' for o in fitting), 'or')}. Please say which, e.g. "
                          f'"{noun(example)} {with_unit}".')


def _fits_dimension(option: Option, unit: str) -> bool:
    if unit == option.unit:
        return True
    if not (is_physical(unit) and is_physical(option.unit)):
        return False
    if "/" in option.unit and "/" not in unit and unit == option.unit.split("/")[0]:
        return True
    return registry().Unit(unit).dimensionality == registry().Unit(option.unit).dimensionality


def find_values(product: Product, text: str, focus: Optional[Option] = None) -> Extraction:
    """Every option value `text` names; the focus option also from a bare answer.

    A figure that is not exact ("about 40", "at least 800", "40 or 41") or about something
    else ("30 kilos each", "the trays are 60 cm wide") is never taken: it comes back as a
    refusal for the option it would have filled, with its reason."""
    result = Extraction()
    text = text or ""
    numbers = [o for o in product.options if o.kind == "number"]
    cues = number_cues(product)
    count_option = product.option(product.pricing.multiply_by) if product.pricing.multiply_by else None
    prepared = prepare_numbers(text)
    mentions = list(number_mentions(prepared))
    hedged = hedges(prepared, mentions)
    result.split = split_choices(product, prepared)
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
    counted: Set[int] = set()  # "3 in total": a count, the "in" is not inches
    unplaced_at: List[int] = []  # figures no option took: which one is asked once the rest are read
    for index, (number, unit, match) in enumerate(mentions):
        if index in skip:
            continue
        if unit == "in" and count_option is not None and re.match(r"\s*(?:total|all)\b", prepared[match.end():]):
            unit, mentions[index] = None, (number, None, match)
            counted.add(index)
        if not unit and number in split_counts:
            continue  # "1 linen and 2 poplin": counts of the split, not a quantity
        if not unit and in_a_choice_name(product, prepared, match):
            continue  # "400 V three phase": the 3 is part of the power supply's name
        written = match.group(0)
        if not unit and count_option is None and _counts_the_product(product, prepared, match):
            result.unplaced.append(_one_per_order(product, match))  # "2 conveyors 4 m long": not a second length
            continue
        option = cued_option(numbers, prepared, match.start(), match.end(), cues)
        cued = option is not None
        if count_option is not None and not unit and (index in counted or _COUNT_OF_THEM.match(prepared[match.end():])):
            option, cued = count_option, True  # "make it 2 of them"
        elif count_option is not None and not unit and not cued and _MAKE_IT.search(prepared[:match.start()]) \
                and not (focus is not None and focus.kind == "number" and parse_answer(focus, written).ok):
            option, cued = count_option, True  # "make it 3": the count, unless it answers the figure asked
        if option is not None and unit and not (_fits_dimension(option, unit) and
                                                (parse_answer(option, written).ok or index in hedged)):
            # "rubber belt 12 m long": the unit and the other word say length, not belt width;
            # "sleeve 34 in" stays the sleeve's, refused as out of range in the customer's unit
            other_cued = cued_option([o for o in numbers if o is not option], prepared, match.start(), match.end(), cues)
            if not _fits_dimension(option, unit) or not _cue_beside(option, prepared, match, cues) or (
                    other_cued is not None and _fits_dimension(other_cued, unit) and parse_answer(other_cued, written).ok):
                option, cued = None, False  # "belt conveyor 8m": "belt" names the product there, not the width
        if option is None and unit:
            fitting = [o for o in numbers if _fits_dimension(o, unit) and parse_answer(o, written).ok]
            option = focus if focus in fitting else (fitting[0] if len(fitting) == 1 else None)
            if option is None and focus in numbers and _fits_dimension(focus, unit):
                option = focus  # "45 m" for a 1-30 m length: say what is wrong
        if option is None and not unit and focus is not None and focus.kind == "number":
            option = focus
        if option is None and index in hedged and not unit and not _names_a_value(product, number):
            # "about 6, maybe more" at another question: the hedge of the one figure it fits
            fitting = [o for o in numbers if parse_answer(o, format_number(number)).ok]
            option = fitting[0] if len(fitting) == 1 else None
        if option is None and index not in hedged and index not in counted:
            unplaced_at.append(index)
        assigned.append((index, option, cued))
    # Exact figures first: a hedged one beside them may be the same figure said roughly.
    for index, option, cued in sorted(assigned, key=lambda item: item[0] in hedged):
        number, unit, match = mentions[index]
        if option is not None and option.id in result.values and index not in hedged:
            other = _something_else(option, product, prepared, match, unit, cues.get(option.id, []), taken=True)
            if other is not None:  # "my neck is 40 and my husband's is 42": the 42 is said not taken
                result.problems.setdefault(option.id, other)
            elif not cued and not _same_figure(option, result.values[option.id], match.group(0)):
                unplaced_at.append(index)  # "neck 40, 98" at the neck: the 98 answers no question asked
            else:
                _two_figures(result, option, mentions, assigned, index)
            continue
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
        parsed = parse_answer(option, format_number(number) if index in counted else match.group(0))
        if parsed.ok:
            if parsed.typed:
                parsed.typed = typed_figure(text, number, unit) if unit else parsed.typed
            result.values[option.id] = parsed
        elif option is focus and result.focus_error is None:
            result.focus_error = parsed
        elif cued and option is not focus:
            refuse(option, parsed)  # "sleeve 34 in" at the cuffs: why it was not taken
    _per_item_times_count(product, prepared, mentions, hedged, focus, result, unplaced_at, refused_here)
    # "a conveyor 4 m long, 12": the 12 could only be the load, the length being given
    open_numbers = [o for o in numbers if o.id not in result.values]
    for index in sorted(unplaced_at):
        number, unit, match = mentions[index]
        unplaced = _unplaced(product, open_numbers, prepared, number, match, unit) \
            or _unplaced(product, numbers, prepared, number, match, unit)
        if unplaced is not None:
            result.unplaced.append(unplaced)
    if count_option is not None and count_option.id not in result.values:
        times = _TIMES.search(prepared)
        if times:
            _keep(result, count_option, parse_answer(count_option, times.group("after") or times.group("before")), focus)
    # Choices named outright (the asked one may be a single common word: "spread").
    named_by, shared = named_choices(product, text, focus)
    for option in product.options:
        if option.kind == "choice" and option.id not in result.values and option.id not in result.split:
            named = named_by.get(option.id, [])
            if len(named) == 1:
                variant = unoffered_variant(option, text, named[0])  # "windows 11 pro" is not Windows 11 Home
                _keep(result, option, variant or parse_answer(option, option.value(named[0]).name), focus)
            elif len(named) > 1 and option is not focus:  # the asked option is read below, as an answer
                candidates = [option.value(value_id) for value_id in named]
                result.problems.setdefault(option.id, Parsed.refused(
                    RefusalReason.AMBIGUOUS, f"Did you mean {name_list((v.name for v in candidates), 'or')}?", candidates))
    _figure_named_values(product, text, focus, result)
    for said, tie in shared:  # "ash" is the Ash grey finish and the Ash legs: which is asked
        if not any(c.option_id in result.values or c.option_id in result.problems for c in tie):
            result.problems[tie[0].option_id] = ambiguous_across(product, said, tie)
    # Texts and yes/no answers only with the option's name: "monogram JFK", "no monogram".
    for option in product.options:
        if option.kind in ("text", "yesno") and option.id not in result.values:
            cued_text = _cued_text(option, text)
            if cued_text is not None and cued_text.ok:
                result.values[option.id] = cued_text
            elif option.kind == "text" and option.id not in result.problems and (focus is None or focus.id != option.id):
                typed = _capitals_for(product, option, text)
                if typed is not None:  # "put AK on the cuff": asked about, never set
                    result.problems[option.id] = guessed_text(option, typed)
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
        elif not result.values and not result.split and not result.problems:
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


def _two_figures(result: Extraction, option: Option, mentions: List[Mention],
                 assigned: List[Tuple[int, Optional[Option], bool]], index: int) -> None:
    """A second figure for an option already read from this message: the same one in other
    words ("15.5 in (39.4 cm)") changes nothing; a different one ("1 m ... 4 m long") takes
    neither and asks which, instead of keeping the first without a word."""
    cued = [i for i, assigned_to, by_word in assigned if assigned_to is option and by_word]
    if index not in cued or len(cued) < 2:
        return  # only figures the message ties to the option by its words ("neck 40 ... shoulders 46" is not two necks)
    parsed = parse_answer(option, mentions[index][2].group(0))
    if not parsed.ok or isinstance(parsed.value, bool) or not isinstance(parsed.value, (int, float, Decimal)):
        return
    if _same_figure(option, result.values[option.id], mentions[index][2].group(0)):
        return
    said = [mentions[i][2].group(0).strip() for i in cued]
    del result.values[option.id]
    result.problems[option.id] = Parsed.refused(
        RefusalReason.AMBIGUOUS, f"You gave more than one {noun(option)} ({name_list(said, 'and')}): which one is it? "
                                 f"{ask_figure(option)}")


_COUNT_PER = re.compile(rf"^\s*(?:[a-z]+\s+)?{PER_WORDS}\s+(?P<unit>{_LETTER_UNITS})\b")


def _per_item_times_count(product: Product, prepared: str, mentions: List[Mention], hedged: Dict[int, str],
                          focus: Optional[Option], result: Extraction, unplaced_at: List[int],
                          refused_here: Dict[str, Parsed]) -> None:
    """"each tray weighs 6 kg and there are 3 per metre" for a load in kg/m: neither figure
    is the load, but together they make one. What they make is offered as a question (a
    guess is a question), never taken; the exact figure is asked for."""
    for option in product.options:
        if option.kind != "number" or "/" not in option.unit or not is_physical(option.unit):
            continue
        top, bottom = option.unit.split("/", 1)
        weights = [(i, number, unit) for i, (number, unit, _) in enumerate(mentions)
                   if unit and "/" not in unit and is_physical(unit) and _fits_dimension(option, unit)]
        counts = [(i, number, per.group("unit")) for i, (number, unit, match) in enumerate(mentions) if not unit
                  for per in [_COUNT_PER.match(prepared[match.end():])]
                  if per and UNIT_WORDS.get(per.group("unit")) == bottom]
        if len(weights) != 1 or len(counts) != 1:
            continue
        (w_index, weight, unit), (c_index, count, per_word) = weights[0], counts[0]
        total = format_number((convert(weight, unit, top) * count).quantize(Decimal(1) / 10 ** option.decimals).normalize())
        rough = "about " if w_index in hedged or c_index in hedged else ""
        makes = (f"{format_number(weight)} {unit} each with {format_number(count)} per {per_word} makes "
                 f"{rough}{total} {option.unit}")
        unplaced_at[:] = [i for i in unplaced_at if i not in (w_index, c_index)]
        refused_here.pop(option.id, None)
        result.problems.pop(option.id, None)
        taken = result.values.pop(option.id, None)  # "crates of 15 kg" is not a load of 15 kg/m
        own = [i for i, (_, unit_of, _) in enumerate(mentions) if unit_of == option.unit]
        if taken is not None and own and _same_figure(option, taken, f"{total} {option.unit}"):
            result.values[option.id] = taken  # "load 30 kg/m: crates of 15 kg, two per metre": the same load
            continue
        if taken is not None and own:
            parsed = Parsed.refused(RefusalReason.AMBIGUOUS,
                                    f"You gave a {noun(option)} of {display_value(option, taken.value)}, but {makes}: "
                                    f"which is it? {ask_figure(option)}")
        else:
            parsed = Parsed.refused(RefusalReason.OTHER_SUBJECT,
                                    f"I haven't taken the {noun(option)} yet: {makes}. If that is the most that lies "
                                    f'on one {per_word}, say "{total} {option.unit}". {ask_figure(option)}')
        if option is focus:
            result.focus_error = parsed
        else:
            result.problems[option.id] = parsed


def _cue_beside(option: Option, prepared: str, match: "re.Match[str]", cues: Dict[str, List[str]]) -> bool:
    """A word of the option right before or after the figure ("sleeve 34 in", "34 in sleeve")."""
    clause_start, clause_end = clause_span(prepared, match.start(), match.end())
    before = normalize(prepared[clause_start:match.start()]).split()
    after = normalize(prepared[match.end():clause_end]).split()
    return any(before[-len(cue.split()):] == cue.split() or after[:len(cue.split())] == cue.split()
               for cue in cues.get(option.id) or cue_words(option))


def _same_figure(option: Option, taken: Parsed, written: str) -> bool:
    """"15.5 in (39.4 cm)": the second figure is the first in other words."""
    parsed = parse_answer(option, written)
    if not parsed.ok or not isinstance(parsed.value, (int, float, Decimal)) or isinstance(parsed.value, bool) \
            or not isinstance(taken.value, (int, float, Decimal)):
        return False
    first, second = Decimal(str(taken.value)), Decimal(str(parsed.value))
    return abs(first - second) <= Decimal("0.01") * max(abs(first), abs(second))


def _names_a_value(product: Product, number: Decimal) -> bool:
    """The figure alone names a choice value ("400" for 400 V three-phase)."""
    return any(named_values(option, format_number(number), allow_generic=True)
               for option in product.options if option.kind == "choice")


def _dimension_pair(numbers: List[Option], prepared: str, mentions: List[Mention],
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


def _figure_named_values(product: Product, text: str, focus: Optional[Option], result: Extraction) -> None:
    """"a 7800x3d and 32 gigs": a figure with its unit that the names of an option's values
    begin with ("32 GB" of 32 GB DDR4 and 32 GB DDR5) names that option even when it is not
    the one asked. One such value is taken; several are asked about (the rules narrow them)."""
    words = normalize(text).split()
    for option in product.options:
        if option.kind != "choice" or option is focus or option.id in result.values \
                or option.id in result.problems or option.id in result.split:
            continue
        by_figure: Dict[Tuple[str, ...], List] = {}
        for value in option.in_stock_values:
            name = normalize(value.name).split()
            if len(name) >= 2 and name[0].replace(".", "").isdigit() and not name[1].isdigit():
                by_figure.setdefault(tuple(name[:2]), []).append(value)
        for figure, having in by_figure.items():
            if not any(tuple(words[i:i + 2]) == figure for i in range(len(words) - 1)):
                continue
            if len(having) == 1:
                _keep(result, option, parse_answer(option, having[0].name), focus)
            else:
                result.problems[option.id] = Parsed.refused(
                    RefusalReason.AMBIGUOUS, f"Did you mean {name_list((v.name for v in having), 'or')}?", having)
            break


def _keep(result: Extraction, option: Option, parsed: Parsed, focus: Optional[Option]) -> None:
    if parsed.ok:
        result.values[option.id] = parsed
    elif option is focus:
        result.focus_error = parsed
    else:
        result.problems[option.id] = parsed


# A part of a message that names a yes/no option says which by these words, wherever they
# stand in it: "no window", "window: no", "I don't want a window", "skip the window" (no);
# "with a window", "window yes", "yes to the window", "add a window" (yes). A word of
# refusal outweighs a word of wanting ("I don't want a window"). English grammar.
YESNO_NO: FrozenSet[str] = frozenset({"no", "not", "without", "dont", "never", "skip", "none", "nope", "nah", "nor",
                                      "neither", "minus", "leave", "remove", "drop", "cant", "wont", "shouldnt"})
YESNO_YES: FrozenSet[str] = frozenset({"yes", "yeah", "yep", "yup", "with", "want", "add", "plus", "include",
                                       "including", "need", "like", "love", "please", "sure", "a", "an", "also", "too",
                                       "definitely", "one", "put"})


def _cued_yesno(option: Option, text: str) -> Optional[Parsed]:
    """The yes or no of the part of `text` that names the yes/no `option` (its name, or
    that name in the plural: "no windows"), from that part's words alone: "felt and window
    no thanks" is no, though "and" stands before "window". None when the part says
    neither, or is unsure ("maybe a window": the clause reader asks about it)."""
    cues = [cue.split() for cue in cue_words(option)]
    for part, _, _ in split_clauses(text):
        words = normalize(part).split()
        singular = [singular_noun(w) for w in words]
        at = [(i, i + len(cue)) for cue in cues for i in range(len(words) - len(cue) + 1)
              if cue and (words[i:i + len(cue)] == cue or singular[i:i + len(cue)] == cue)]
        if not at:
            continue
        if is_guess(words):
            return None
        start, end = at[0]
        rest = words[:start] + words[end:]
        if any(w in YESNO_NO for w in rest):
            return _parse_yesno(option, "no")
        if any(w in YESNO_YES for w in rest):
            return _parse_yesno(option, "yes")
    return None


# Capitals that are not initials ("OK", "ASAP"), beside the catalog's own words ("PC", "GB").
_ABBREVIATIONS = frozenset({"ok", "okay", "asap", "pls", "plz", "thx", "btw", "fyi", "eu", "uk", "us", "usa", "vat",
                            "diy", "id", "tbh", "imo", "lol", "omg", "aka", "eta"})


def _capitals_for(product: Product, option: Option, text: str) -> Optional[str]:
    """The one word typed in capitals ("AK") that the text option's pattern takes, in a
    message not written in capitals throughout; None when there is none or several."""
    if not option.pattern or text.upper() == text:
        return None
    known = catalog_words(product)
    # after a figure a word in capitals is its unit ("32 GB", "40 CM")
    typed = [word for word in dict.fromkeys(re.findall(r"(?<![\d.,]\s)(?<![\d.,])\b[A-Z]{2,}\b", text))
             if word.lower() not in known and word.lower() not in _ABBREVIATIONS and word.lower() not in UNIT_WORDS
             and parse_answer(option, word).ok]
    return typed[0] if len(typed) == 1 else None


def _cued_text(option: Option, text: str) -> Optional[Parsed]:
    """A text or yes/no answer tied to the option by its name: "monogram JFK", "no monogram"."""
    if option.kind == "yesno":
        return _cued_yesno(option, text)
    words = normalize(text).split()
    for index, end in cue_positions(words, option):
        cue_list = words[index:end]
        before = words[max(0, index - 2):index]
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
