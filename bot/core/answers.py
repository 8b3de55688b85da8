"""One message of the order form read as answers: what is taken, what the customer is
told, what was refused and why, and when a customer who is stuck gets help."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple

from bot.core.choices import listed_answer, named_choices, refers_back
from bot.core.catalog import ChoiceValue, Option, Product
from bot.core.changes import Applied, apply_answers
from bot.core.extract import Extraction
from bot.core.refusals import Refusal, RefusalReason
from bot.core.phrases import name_list
from bot.core.rules import valid_values, why_unfit
from bot.core.selections import Selections
from bot.core.values import Candidate, Parsed, match_choice, noun
from bot.core.wording import answers_reply

STUCK_HINT_AFTER = 2  # failed answers to one question before examples are shown
STUCK_PERSON_AFTER = 3  # ... before a person is offered and staff are told

Failures = Mapping[str, int]  # failed answers per option id (the `failures` slot)


@dataclass
class Taken:
    """The answers of one message, applied."""

    applied: Applied
    reply: str  # what to tell the customer ("" for nothing)
    refusals: List[Refusal]  # values the message named that were refused

    def failures(self, before: Failures) -> Dict[str, int]:
        """Failed answers per question after this message: an option taken starts again."""
        failures = dict(before)
        for change in self.applied.changes:
            failures.pop(change.option.id, None)
        for refused in self.applied.refused:
            failures[refused.option_id] = failures.get(refused.option_id, 0) + 1
        return failures

    def figure_asked_again(self, product: Product, focus: Optional[Option]) -> Optional[str]:
        """The number option, other than the one asked, whose figure this message gave and
        had refused while it is still open ("neck is about 39" beside the fabric): the
        reply's question is then that option, not the next in order."""
        return next((r.option_id for r in self.refusals if (focus is None or r.option_id != focus.id)
                     and product.option(r.option_id).kind == "number"
                     and r.option_id not in self.applied.selections), None)


def take_answers(product: Product, selections: Selections, found: Extraction, focus: Optional[Option]) -> Taken:
    """Applies the values found in a message (`focus`: the question asked, if any)."""
    if found.values and found.focus_error is not None and focus is not None and focus.id not in found.values:
        # Beside values taken, why the answer to the question asked was not: said with them
        # ("sleeve 64. neck? not sure, 41 maybe"), the question asked again after
        found = dataclasses.replace(found, focus_error=None, problems={focus.id: found.focus_error, **found.problems})
    applied = apply_answers(product, selections, {option_id: parsed.value for option_id, parsed in found.values.items()})
    refusals = [parsed.refusal(option_id) for option_id, parsed in found.problems.items()]
    refusals += [violation.refusal for violation in applied.refused]
    return Taken(applied, answers_reply(product, selections, found, applied, focus), refusals)


def within_rules(product: Product, selections: Selections, found: Extraction, focus: Optional[Option],
                 text: str) -> Extraction:
    """Each "did you mean ...?" of a choice (the asked option's, or another's: "a 7800x3d and
    32 gigs") without the values the rules already exclude beside the other choices and the
    message's own: among the values that fit, one the message names is taken (and said why);
    several are asked about; none gets the reason and what would work."""
    narrowed = dataclasses.replace(found, values=dict(found.values), problems=dict(found.problems))
    chosen = {**selections, **{option_id: parsed.value for option_id, parsed in found.values.items()}}
    if focus is not None and focus.kind == "choice" and found.focus_error is not None:
        taken, error = _narrowed(product, chosen, focus, found.focus_error, text)
        if taken is not None:
            narrowed.values[focus.id], narrowed.focus_error = taken, None
        else:
            narrowed.focus_error = error
    named, _ = named_choices(product, text, None)
    for option_id, problem in found.problems.items():
        option = product.option(option_id)
        if option.kind != "choice" or option_id in found.values or len(named.get(option_id, [])) > 1:
            continue  # "PVC or Rubber, not sure yet": both named, undecided; the rules do not decide for them
        taken, error = _narrowed(product, chosen, option, problem, text)
        if taken is not None:
            narrowed.values[option_id] = taken
            del narrowed.problems[option_id]
        elif error is not None:
            narrowed.problems[option_id] = error
    return narrowed


def _narrowed(product: Product, chosen: Selections, option: Option, error: Parsed,
              text: str) -> Tuple[Optional[Parsed], Optional[Parsed]]:
    """An ambiguity of `option` narrowed by the rules: (the value taken, None) or (None, the
    refusal to say: the same one when the rules exclude none of its candidates)."""
    if error.reason != RefusalReason.AMBIGUOUS or not error.candidates:
        return None, error
    fitting = valid_values(product, chosen, option)
    fitting_ids = {value.id for value in fitting}
    kept = [value for value in error.candidates if value.id in fitting_ids]
    dropped = [value for value in error.candidates if value.id not in fitting_ids]
    if not dropped:
        return None, error
    why = why_unfit(product, chosen, option, dropped)
    if kept:
        matches, certain = match_choice(option.copy(update={"values": kept}), text)
        if len(kept) == 1 or (certain and len(matches) == 1):
            value = matches[0] if certain and matches else kept[0]
            return Parsed(value=value.id, ok=True, note=f"I took {value.name} for the {noun(option)}: {why}"), None
        return None, Parsed.refused(RefusalReason.AMBIGUOUS,
                                    f"Did you mean {name_list((v.name for v in kept), 'or')}? ({why}.)", kept)
    works = f" With your other choices these would work: {name_list((v.name for v in fitting), 'or')}." if fitting else ""
    return None, Parsed.refused(RefusalReason.RULE, f"Sorry, {why}.{works}", fitting)


@dataclass
class Unanswered:
    """The question asked got no valid answer: what to say and what to keep."""

    text: str
    offer: List[ChoiceValue]  # values to offer as buttons
    refusal: Refusal
    not_understood: bool  # the reply says the bot did not understand the message
    failures: Dict[str, int]
    stuck: Optional[str]  # why staff are told (a flag's reason), when the customer seems stuck


def unanswered(product: Product, selections: Selections, focus: Option, error: Optional[Parsed],
               failures: Failures) -> Unanswered:
    """The reply to a message that gave no valid value for `focus`; `error` says why, when
    the message could be read as an answer at all."""
    failures = {**failures, focus.id: failures.get(focus.id, 0) + 1}
    tries = failures[focus.id]
    if error is None:
        text, reason = f"Sorry, I didn't get that. {focus.question}", RefusalReason.NOT_UNDERSTOOD
    else:
        text, reason = error.error, error.reason or RefusalReason.INVALID_ANSWER
    offer: List[ChoiceValue] = []
    if error is not None and focus.kind == "choice":
        fitting = {v.id for v in valid_values(product, selections, focus)}
        offer = [c for c in error.candidates if c.id in fitting]
    refusal = Refusal(focus.id, reason, text.split("\n")[0])
    not_understood = error is None or error.not_understood
    stuck = None
    if tries >= STUCK_PERSON_AFTER:
        stuck = f"stuck at '{focus.name}' after {tries} tries"
        text += ("\nThis seems to be tricky. I've let our team know; say \"talk to a person\" "
                 "if you'd like one of us to help, or try once more.")
    return Unanswered(text, offer, refusal, not_understood, failures, stuck)


@dataclass
class ListedPick:
    """What "ok that one" says about the values the last answer listed: the one it takes, or
    the question that asks which (with its candidates)."""

    picked: Optional[Candidate] = None
    question: str = ""
    candidates: List[Candidate] = dataclasses.field(default_factory=list)


def pick_listed(product: Product, selections: Selections, listed: List[Candidate], text: str) -> Optional[ListedPick]:
    """"ok that one", "the second one", "the cheapest one then" after an answer listed values:
    only those the order's rules still allow count ("16 GB DDR4" not beside a Ryzen); one is
    taken when the words or the list leave no doubt, otherwise which is asked, never guessed.
    None when the text does not point back at the list."""
    fitting = [c for c in listed if c.value in valid_values(product, selections, product.option(c.option_id))]
    if not fitting or not refers_back(text):
        return None
    picked = listed_answer(fitting, text)
    if picked is not None:
        return ListedPick(picked=picked)
    return ListedPick(question=f"Which one do you mean: {name_list((c.value.name for c in fitting), 'or')}?",
                      candidates=fitting)

