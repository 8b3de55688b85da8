"""The order form: from the product to a valid, priced specification.

The form has one required slot, `specs_complete`, that stays empty until every option of
the product is valid; answers live in the `selections` slot. Questions, changes, cancel
and start-over are all handled inside the form's validation, so the form never loses
what was filled and the next question is always asked again.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.store import analytics
from bot.store.flags import FlagKind
from bot.core.catalog import ChoiceValue, Option, Product
from actions.kit import (
    Draft,
    FormValidation,
    Message,
    answer_question,
    link_in_order,
    named_option,
    product_buttons,
    product_for,
    reset_order,
    resources,
    say_empty,
    say_figures_unplaced,
    say_other_language,
    say_too_long,
    SPLIT_SLOT,
)
from bot.core.advice import uses_advice
from bot.core.answers import STUCK_HINT_AFTER, Taken, pick_listed, take_answers, unanswered, within_rules
from bot.core.clauses import ClauseKind, Reading, read_message, split_reply, unclear_reply
from bot.core.questions import asks_in_words
from bot.core.changes import typed_after
from bot.core.extract import Extraction, find_values
from bot.core.phrases import amount, name_list
from bot.core.pricing import money
from bot.core.refusals import NOT_UNDERSTOOD, RefusalReason
from bot.core.rules import valid_values
from actions.ties import (TIE_KEY, in_last_reply, in_this_reply, listed_before, offer_in_last_reply,
                          offer_in_this_reply, offer_reply, offered_before, refusals_reply, remembered_refusals,
                          take_tie_answer, tie_buttons, tie_reply)
from bot.core.choices import tie_data
from actions.confirm import ask_pending, confirmation_buttons, says_no, says_yes, show_summary, summary_seen
from bot.core.second_order import remember
from bot.core.selections import next_missing_option
from bot.core.reoffers import offer_again, refused_by_rules
from bot.core.values import Parsed, display_value, normalize, noun
from bot.core.wording import question_text
from actions.after_order import reads_as_change
from actions.identity import code_in

logger = logging.getLogger(__name__)

SMALL_TALK_CONFIDENCE = 0.8  # "hi" or "thanks" mid-order is small talk, not a wrong answer



def choice_buttons(product: Product, values: List[ChoiceValue]) -> List[Dict[str, str]]:
    buttons = []
    for value in values:
        price = f" (+{money(value.price, product.currency)})" if value.price else ""
        buttons.append({"title": f"{value.name}{price}", "payload": f'/inform{{"choice":"{value.id}"}}'})
    return buttons


def start_order_events(product: Optional[Product], message: Message) -> List[EventType]:
    return [
        SlotSet("product", product.id if product else None),
        SlotSet("selections", {}),
        SlotSet("typed", {}),
        SlotSet("specs_complete", None),
        SlotSet("changing", None),
        SlotSet("pending", None),
        SlotSet("failures", {}),
        SlotSet("draft_id", uuid.uuid4().hex),
        SlotSet("answered_turn", message.turn),
    ]


def say_taken(dispatcher: CollectingDispatcher, product: Product, selections: Dict[str, Any],
               found: Extraction, focus: Optional[Option]) -> Taken:
    """Applies the values found in a message and tells the customer what happened."""
    taken = take_answers(product, selections, found, focus)
    if taken.reply:  # a choice a rule refused is kept in the reply's metadata, to be offered again
        refused = refused_by_rules(product, {o: parsed.value for o, parsed in found.values.items()}, taken.applied)
        figure = taken.figure_asked_again(product, focus)
        again = {REASKS_KEY: figure} if figure else {}
        dispatcher.utter_message(text=taken.reply, **tie_reply(product, found), **refusals_reply(refused), **again)
    return taken


# Bot event metadata: the option a question asks for (the next message's focus), and a
# figure refused beside other values that this reply asks for again ("I need an exact neck:
# you said 'about 39'"): the reply's question is then that one, not the next in order.
ASKS_KEY = "asks"
REASKS_KEY = "asks_again"


def asked_in_last_reply(tracker: Tracker, product: Product, selections: Dict[str, Any]) -> Optional[Option]:
    """The option the bot's question before this message asked for, while it is still open:
    "39" after "I need an exact neck ... (5/11) What is your neck measurement?" is the neck."""
    asked = in_last_reply(tracker, ASKS_KEY)
    return product.option(asked) if asked in {o.id for o in product.options} and asked not in selections else None


def say_offer_again(dispatcher: CollectingDispatcher, tracker: Tracker, product: Product,
                    selections: Dict[str, Any]) -> None:
    """A choice a rule refused earlier in this order that the rules now allow: asked about
    ("... Now that the width is 2.2 m, shall I make the roof Cedar shingles?"), never set."""
    offer = offer_again(product, selections, remembered_refusals(tracker, product), offered_before(tracker))
    if offer is not None:
        dispatcher.utter_message(**offer_reply(product, offer))


def record_refusals(conversation_id: str, draft_id: Optional[str], product: Product, text: str, taken: Taken) -> None:
    """Keep the values a message named that were refused, for the staff dashboard."""
    analytics.record_rejections(resources.store, conversation_id, draft_id, product.id, text, taken.refusals)


def begin_order(dispatcher: CollectingDispatcher, product: Product, message: Message,
                tracker: Tracker) -> List[EventType]:
    """A fresh order of `product`, with whatever options the message already names (and
    an answer to what it asks)."""
    conversation_id = tracker.sender_id
    events = start_order_events(product, message)
    dispatcher.utter_message(
        text=f"Great, let's put together your {product.name}. It takes {amount(product.lead_time_days, 'business days')} to make."
    )
    reading = read_clauses(product, message, find_values(product, message.text), None)
    if reading.split:
        dispatcher.utter_message(text=split_reply(product, reading.split))
        return events + [remember_split(product, reading.split)]
    found = within_rules(product, {}, reading.taken, None, message.text)  # "a 7800x3d and 32 gigs": the DDR5
    selections: Dict[str, Any] = {}
    if found.values or found.problems or found.unplaced:
        taken = say_taken(dispatcher, product, {}, found, None)
        selections = taken.applied.selections
        events += [SlotSet("selections", selections), SlotSet("typed", typed_after(taken.applied, {}, typed_in(found)))]
        if conversation_id:
            draft_id = next(e["value"] for e in events if e.get("name") == "draft_id")
            record_refusals(conversation_id, draft_id, product, message.text, taken)
    if asks_something(message, reading):
        answer_question(dispatcher, tracker, question_of(message, reading),
                        Draft(product, selections))
    elif (advice := uses_advice(resources.catalog(), product, message.text)) is not None:
        dispatcher.utter_message(text=advice.text)  # "a PC for video editing": the use answered
    return events


def remember_split(product: Product, split: Dict[str, Any]) -> EventType:
    """The rest of a split kept for after this order is placed (bot/core/second_order.py)."""
    remembered = remember(product, split)
    return SlotSet(SPLIT_SLOT, remembered.as_slot() if remembered else None)


def read_clauses(product: Product, message: Message, found: Extraction, focus: Optional[Option]) -> Reading:
    """The message clause by clause (the core decides what is a pick and what a question);
    a button's payload is one pick."""
    if message.text.startswith("/"):
        return Reading([], found)
    return read_message(product, message.text, found, focus)


# The question part of a message the NLU read as an answer ("does the linen wrinkle?" as
# inform) is answered as a request for advice: answer_question matches it by meaning
# against the catalog (an option's help, a value's description and uses, comparisons),
# which covers "which is better", "is X enough" and "how do I measure" alike.
QUESTION_INTENT = "ask_advice"


def question_of(message: Message, reading: Reading) -> Message:
    """The message as answer_question reads it: its own intent when the NLU read it as a
    question, otherwise the kind of question its question part is."""
    text = reading.question_text(message.text)
    if text != message.text and not reading.names_catalog() and reading.points_back():
        text = f"{text} ({reading.picked_text()})"  # "is that enough?" beside "I'll take the 4080"
    if message.is_question:
        return dataclasses.replace(message, text=text)
    return dataclasses.replace(message, text=text, intent=QUESTION_INTENT, confidence=max(message.confidence, 0.5))


def asks_something(message: Message, reading: Reading) -> bool:
    """The message has a part to answer: a question in its words, or a request the NLU is
    sure of beside the values it names (not a plain answer the NLU took for a question)."""
    if reading.asks:
        return True
    refused = reading.taken.focus_error
    if refused is not None and refused.reason in (RefusalReason.HEDGED, RefusalReason.OTHER_SUBJECT):
        return False  # "each tray weighs about 6 kg, 3 per metre": an answer refused with why, not a question
    # A part accounted for by a refusal ("my husband's is 110") has no words left to answer.
    return message.is_question and (not reading.picks or any(c.kind == ClauseKind.OTHER and c.content
                                                             for c in reading.clauses))


class ActionStartOrder(Action):
    """Starts a fresh order with the product and any options the customer named."""

    def name(self) -> Text:
        return "action_start_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        message = Message.of(tracker)
        if message.too_long:
            say_too_long(dispatcher)
            return start_order_events(None, message)
        if message.empty:  # nothing to read: an order in progress is kept, the form asks its question again
            say_empty(dispatcher)
            return [SlotSet("answered_turn", message.turn)] if Draft.of(tracker).started else start_order_events(None, message)
        if say_other_language(dispatcher, tracker, message):
            # Nothing is read from it: an order in progress is kept, the form asks its question again.
            return [SlotSet("answered_turn", message.turn)] if Draft.of(tracker).started else start_order_events(None, message)
        if reads_as_change(tracker, message):  # a change of an order already placed: actions/after_order.py
            return [FollowupAction("action_answer")]
        product = product_for(message)
        draft = Draft.of(tracker)
        if draft.started and product in (None, draft.product):
            # Back to an unfinished order: the form reads this message against it.
            dispatcher.utter_message(text=f"Continuing your {draft.product.name} ({draft.progress} answered); "
                                          "say \"start over\" to begin again.")
            return [SlotSet("pending", None)]
        if product is None:
            say_figures_unplaced(dispatcher, message)  # then the form asks which product
            return start_order_events(None, message)
        return begin_order(dispatcher, product, message, tracker)


def placed_by_repeated_message(tracker: Tracker) -> Optional[str]:
    """The number of the order the customer's previous message placed, when this message
    repeats that one: sent again because the answer with the number never reached them (a
    web server or Redis lost between the turn and the page; told "please send again")."""
    users = [index for index, event in enumerate(tracker.events) if event.get("event") == "user"]
    if len(users) < 2:
        return None
    previous, this = (tracker.events[index] for index in users[-2:])
    if normalize(previous.get("text") or "") != normalize(this.get("text") or "") or not normalize(this.get("text") or ""):
        return None
    placed = [event.get("value") for event in tracker.events[users[-2]:users[-1]]
              if event.get("event") == "slot" and event.get("name") == "last_order" and event.get("value")]
    return placed[-1] if placed else None


def ask_product(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Which product: the order form's first question."""
    if tracker.get_slot("pending"):
        return ask_pending(dispatcher, tracker.get_slot("pending"))
    if said_goodbye(tracker):
        return []
    number = placed_by_repeated_message(tracker)
    if number is not None:  # not a new order: the last one's answer is what they missed
        dispatcher.utter_message(text=f"That came through the first time: your order {number} is placed. "
                                      "Anything else I can make for you?")
        return []
    catalog = resources.catalog()
    names = name_list((p.name for p in catalog.products), "and")
    dispatcher.utter_message(text=f"Which product would you like? We make: {names}.", buttons=product_buttons(catalog))
    return []


def said_goodbye(tracker: Tracker) -> bool:
    """The customer's latest message is a goodbye: it gets a goodbye, and no question after it."""
    message = Message.of(tracker)
    return message.intent == "goodbye" and message.is_question


def ask_specs(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Asks the next option the product needs, a confirmation, or which option to change."""
    if tracker.get_slot("pending"):
        return ask_pending(dispatcher, tracker.get_slot("pending"))
    if said_goodbye(tracker):
        return []  # the goodbye was said; the form asks again when the customer is back
    draft = Draft.of(tracker)
    if not draft.started:
        return []
    option = next_missing_option(draft.product, draft.selections)
    again = in_this_reply(tracker, REASKS_KEY)
    if again in {o.id for o in draft.product.options} and again not in draft.selections:
        option = draft.product.option(again)  # the figure this reply refused is its question, not the next in order
    if offer_in_this_reply(tracker):
        return []  # "shall I make the roof Cedar shingles?" is this reply's question
    if option is None and (tracker.get_slot("changing") or {}).get("mode") == "which":
        dispatcher.utter_message(
            text="Which option would you like to change? Or say \"nothing\" to keep the order as it is.",
            buttons=[
                {"title": f"{o.name}: {display_value(o, draft.selections.get(o.id))}",
                 "payload": f'/inform{{"option":"{o.id}"}}'}
                for o in draft.product.options
            ] + [{"title": "Nothing, it's fine", "payload": "/affirm"}],
        )
        return []
    answered = sum(1 for o in draft.product.options if o.id in draft.selections)
    if option is None:
        show_summary(dispatcher, draft, seen=summary_seen(tracker, draft.selections), typed=tracker.get_slot("typed"),
                     with_buttons=not buttons_in_this_reply(tracker))
        analytics.record_question(resources.store, tracker.sender_id, tracker.get_slot("draft_id"), draft.product.id,
                                  analytics.SUMMARY_QUESTION, answered)
        return []
    failures = (tracker.get_slot("failures") or {}).get(option.id, 0)
    ask_option(dispatcher, draft.product, draft.selections, option, hint=failures >= STUCK_HINT_AFTER,
               with_buttons=not buttons_in_this_reply(tracker))
    analytics.record_question(resources.store, tracker.sender_id, tracker.get_slot("draft_id"), draft.product.id,
                              option.id, answered)
    return []


def buttons_in_this_reply(tracker: Tracker) -> bool:
    """Whether a message the bot already sent since the customer's last one carries buttons:
    a reply has one set of buttons, so the question that follows a refusal with buttons
    comes without them."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and (event.get("data") or {}).get("buttons"):
            return True
    return False


def ask_option(dispatcher: CollectingDispatcher, product: Product, selections: Dict[str, Any], option: Option,
               hint: bool = False, with_buttons: bool = True) -> None:
    buttons: List[Dict[str, str]] = []
    if option.kind == "choice":
        buttons = choice_buttons(product, valid_values(product, selections, option))
    elif option.kind == "yesno":
        buttons = confirmation_buttons("Yes", "No")
    dispatcher.utter_message(text=question_text(product, option, hint), buttons=buttons if with_buttons else [],
                             **{ASKS_KEY: option.id})


class ValidateOrderForm(FormValidation):
    """Reads each message of the order form against the catalog, then asks the next question.

    Not a FormValidationAction: the form's questions come from the catalog, so one message
    may answer, change or ask about any option.
    """

    form = "order_form"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> List[EventType]:
        return ask_product(dispatcher, tracker) if slot == "product" else ask_specs(dispatcher, tracker)

    async def validate(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> List[EventType]:
        message = Message.of(tracker)
        if tracker.get_slot("answered_turn") == message.turn:
            return []  # already read (form activation, or back from another action)
        events: List[EventType] = [SlotSet("answered_turn", message.turn)]
        if message.too_long:
            say_too_long(dispatcher)
            return events
        if message.empty:  # only control characters: nothing to read, the question is asked again
            say_empty(dispatcher)
            return events
        code = code_in(message.text, message.intent)
        if code is not None and tracker.get_slot("requested_slot") == "product":
            # A link code typed at "Which product?": no order here yet, so the form ends and
            # action_answer links this chat (and offers the other chat's unfinished order).
            return events + [SlotSet("requested_slot", None), ActiveLoop(None), FollowupAction("action_answer")]
        if code is not None:
            await link_in_order(dispatcher, tracker, code)
            return events
        if say_other_language(dispatcher, tracker, message):
            return events  # nothing taken from it; the form asks its question again
        pending = tracker.get_slot("pending")
        if pending:
            handled = self._confirm(dispatcher, tracker, message, pending)
            if handled is not None:
                return events + handled
            events.append(SlotSet("pending", None))
        if message.intent in ("cancel", "start_over") and message.confidence >= 0.5 \
                and not only_answers(tracker, message):
            return events + [SlotSet("pending", message.intent)]
        requested = tracker.get_slot("requested_slot")
        if requested == "product":
            return events + self._product(dispatcher, tracker, message)
        if requested != "specs_complete":
            return events
        draft = Draft.of(tracker)
        if not draft.started:
            return events + [SlotSet("product", None)]
        return events + self._answer(dispatcher, tracker, message, draft)

    def _confirm(self, dispatcher, tracker, message: Message, pending: str) -> Optional[List[EventType]]:
        """The answer to "cancel this order?" / "start over?"; None when it is neither."""
        if says_yes(message):
            analytics.record_outcome(resources.store, tracker.get_slot("draft_id"), analytics.OUTCOME_CANCELLED)
            if pending == "cancel":
                dispatcher.utter_message(text="Your order is cancelled; nothing was stored. "
                                              "Say hello any time to start a new one.")
                # order_confirmed false tells the rules the form ended without an order.
                return reset_order() + [SlotSet("order_confirmed", False), SlotSet("requested_slot", None), ActiveLoop(None)]
            dispatcher.utter_message(text="OK, let's start over.")
            return start_order_events(None, message)
        if says_no(message):
            dispatcher.utter_message(text="OK, let's carry on.")
            return [SlotSet("pending", None)]
        return None

    def _product(self, dispatcher, tracker, message: Message) -> List[EventType]:
        if message.is_question:
            return answer_question(dispatcher, tracker, message, Draft(None, {}))
        product = product_for(message)
        if product is None and asks_in_words(message.text):  # "which one is best for video editing?" read as an answer
            answer_question(dispatcher, tracker, dataclasses.replace(message, intent=QUESTION_INTENT), Draft(None, {}))
            return [SlotSet("product", None)]
        if product is None and say_figures_unplaced(dispatcher, message):
            return [SlotSet("product", None)]
        if product is None and says_yes(message):  # "yes" to "Anything else I can make for you?": which, then
            return [SlotSet("product", None)]
        if product is None:
            dispatcher.utter_message(text="Sorry, I didn't recognise that product.", **NOT_UNDERSTOOD)
            return [SlotSet("product", None)]
        return begin_order(dispatcher, product, message, tracker)

    def _answer(self, dispatcher, tracker, message: Message, draft: Draft) -> List[EventType]:
        product, selections = draft.product, draft.selections
        focus = asked_in_last_reply(tracker, product, selections) or next_missing_option(product, selections)
        found = find_values(product, message.text, focus)
        # "the finish one", "the second one", or its button
        picked = take_tie_answer(product, tracker, message.text, message.entities, found)
        listing = None if found.values else pick_listed(product, selections, listed_before(tracker, product), message.text)
        if listing is not None and listing.picked is None:  # "ok that one" after three CPUs: which, with buttons
            dispatcher.utter_message(text=listing.question, buttons=tie_buttons(product, listing.candidates),
                                     **{TIE_KEY: tie_data(listing.candidates)})
            return []
        if listing is not None and listing.picked is not None:
            picked = listing.picked
            found.values = {picked.option_id: Parsed(value=picked.value.id, ok=True)}
        offered = offer_in_last_reply(tracker, product)
        if offered and not found.values and says_yes(message):  # "yes" to "shall I make the roof Cedar shingles?"
            found.values = {offered[0].option_id: Parsed(value=offered[0].value.id, ok=True)}
        elif offered and not found.values and says_no(message):
            option = product.option(offered[0].option_id)
            kept = f" stays {display_value(option, selections[option.id])}" if option.id in selections else " is not changed"
            dispatcher.utter_message(text=f"OK, the {noun(option)}{kept}.")
            return []
        button_value = message.entity("choice")
        if focus is not None and focus.kind == "choice" and button_value in {v.id for v in focus.values}:
            found.values = {focus.id: found.values.get(focus.id) or Parsed(value=button_value, ok=True)}
        if focus is not None and focus.kind == "yesno" and message.intent in ("affirm", "deny") and not found.values:
            found.values = {focus.id: Parsed(value=message.intent == "affirm", ok=True)}
        # Clause by clause: a question fills nothing, a pick beside it is taken, and every
        # other part is answered or said to be not understood.
        reading = read_clauses(product, message, found, focus)
        if reading.split:
            dispatcher.utter_message(text=split_reply(product, reading.split))
            return [remember_split(product, reading.split)]
        asks = asks_something(message, reading)
        found = within_rules(product, selections, reading.taken, focus, message.text)
        # Figures no option took are said with what was taken; alone, the question's refusal says them.
        if found.values or found.problems or (found.unplaced and found.focus_error is None):
            changing = tracker.get_slot("changing") or {}
            before = dict(selections)
            if changing.get("option") in found.values and changing.get("old") is not None:
                before[changing["option"]] = changing["old"]  # report "old -> new" for a reopened option
            taken = say_taken(dispatcher, product, before, found, focus)
            record_refusals(tracker.sender_id, tracker.get_slot("draft_id"), product, message.text, taken)
            after = taken.applied.selections
            events: List[EventType] = [
                SlotSet("selections", after),
                SlotSet("typed", typed_after(taken.applied, tracker.get_slot("typed") or {}, typed_in(found))),
                SlotSet("changing", None),
                SlotSet("failures", taken.failures(tracker.get_slot("failures") or {})),
                # Complete or not, the form goes on: to the next question or to the summary.
                SlotSet("specs_complete", None),
            ]
            reopen = [option_id for _, option_id in reading.named_without_value()] if focus is None else []
            if reopen and reopen[0] in after:
                events += self._reopen(dispatcher, product, after, product.option(reopen[0]))
            if asks:
                focus_taken = [c for c in taken.applied.changes if focus is not None and c.option.id == focus.id
                               and not c.was_filled and f"{c.option.name}:" not in taken.reply]
                if focus_taken:  # the answer comes between: say what was taken first
                    change = focus_taken[0]
                    dispatcher.utter_message(text=f"Got it: {change.option.name}: {display_value(change.option, change.new)}.")
                answer_question(dispatcher, tracker, question_of(message, reading), Draft(product, after))
            elif reading.unclear() and picked is None:  # "the second one" picked from a list is not unclear
                dispatcher.utter_message(text=unclear_reply(reading.unclear()), **NOT_UNDERSTOOD)
            say_offer_again(dispatcher, tracker, product, after)
            return events
        if asks:
            if reading.asks and found.focus_error is not None:  # "32 gb, does the type matter?": "Did you mean ...?"
                dispatcher.utter_message(text=found.focus_error.error)
            answer_question(dispatcher, tracker, question_of(message, reading), draft)
            return []
        reopen = [option_id for _, option_id in reading.named_without_value(to_change=True) if option_id in selections]
        if focus is not None and reopen:  # "can we change the cpu?" before the summary
            return self._reopen(dispatcher, product, selections, product.option(reopen[0]))
        if focus is None:
            return self._confirm_summary(dispatcher, tracker, message, product, selections, reading)
        if message.intent in ("greet", "thank") and message.confidence >= SMALL_TALK_CONFIDENCE:
            answer_question(dispatcher, tracker, message, draft)
            return []
        return self._refuse(dispatcher, tracker, message, product, selections, focus, found.focus_error)

    def _refuse(self, dispatcher, tracker, message, product, selections, focus, error) -> List[EventType]:
        """A message that gave no valid value for the question: say why, help when stuck."""
        refused = unanswered(product, selections, focus, error, tracker.get_slot("failures") or {})
        if refused.stuck:
            resources.store().flag_conversation(tracker.sender_id, refused.stuck, FlagKind.STUCK)
        marker = NOT_UNDERSTOOD if refused.not_understood else {}
        dispatcher.utter_message(text=refused.text, buttons=choice_buttons(product, refused.offer), **marker)
        analytics.record_rejections(resources.store, tracker.sender_id, tracker.get_slot("draft_id"), product.id, message.text,
                                    [refused.refusal])
        return [SlotSet("failures", refused.failures), SlotSet("specs_complete", None)]

    def _confirm_summary(self, dispatcher, tracker, message: Message, product: Product,
                         selections: Dict[str, Any], reading: Reading) -> List[EventType]:
        """Every option is valid: the customer confirms the summary, or says what to change."""
        if (tracker.get_slot("changing") or {}).get("mode") == "which":
            if says_yes(message) or normalize(message.text) in ("nothing", "none", "its fine", "all good", "no"):
                return [SlotSet("changing", None)]
            option = named_option(product, message)
            if option is None:
                names = name_list((o.name for o in product.options), "and")
                dispatcher.utter_message(text=f"Sorry, which option? This order has: {names}.")
                return []
            remaining = {k: v for k, v in selections.items() if k != option.id}
            reopened = {"option": option.id, "old": selections.get(option.id)}
            return [SlotSet("selections", remaining), SlotSet("changing", reopened)]
        if says_yes(message):
            return [SlotSet("specs_complete", True), SlotSet("order_confirmed", True)]
        if says_no(message):
            return [SlotSet("changing", {"mode": "which"})]
        named = reading.named_without_value()
        if named:  # "change the storage": that question again
            return self._reopen(dispatcher, product, selections, product.option(named[0][1]))
        unclear = reading.unclear()
        said = f"Sorry, I didn't understand {name_list((repr_quoted(c.text) for c in unclear), 'or')}" if unclear \
            else "Sorry, I didn't get that"
        dispatcher.utter_message(text=f"{said}: say \"yes\" to place it, or tell me what to change.", **NOT_UNDERSTOOD)
        return []

    def _reopen(self, dispatcher, product: Product, selections: Dict[str, Any], option: Option) -> List[EventType]:
        """The customer wants to change an option without saying to what: its question again,
        the current answer said back."""
        if option.id not in selections:
            return []
        dispatcher.utter_message(text=f"OK, let's change the {noun(option)} "
                                      f"(now {display_value(option, selections[option.id])}).")
        remaining = {k: v for k, v in selections.items() if k != option.id}
        return [SlotSet("selections", remaining), SlotSet("changing", {"option": option.id, "old": selections[option.id]}),
                SlotSet("specs_complete", None)]


def only_answers(tracker: Tracker, message: Message) -> bool:
    """Every part of the message answers an option of the order in progress, whatever the
    intent model read: "felt, and I don't want a window" turns the window down and is no
    cancel. A cancel has a part of its own ("cancel it, the linen is too dear")."""
    draft = Draft.of(tracker)
    if not draft.started or tracker.get_slot("requested_slot") != "specs_complete":
        return False
    focus = next_missing_option(draft.product, draft.selections)
    reading = read_clauses(draft.product, message, find_values(draft.product, message.text, focus), focus)
    return bool(reading.taken.values) and all(c.kind == ClauseKind.PICK for c in reading.clauses)


def repr_quoted(text: str) -> str:
    return f'"{text.strip()}"'


def typed_in(found: Extraction) -> Dict[str, str]:
    """The figures of a message as the customer typed them, where they were converted."""
    return {option_id: parsed.typed for option_id, parsed in found.values.items() if parsed.typed}


