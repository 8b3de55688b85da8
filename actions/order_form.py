"""The order form: from the product to a valid, priced specification.

The form has one required slot, `specs_complete`, that stays empty until every option of
the product is valid; answers live in the `selections` slot. Questions, changes, cancel
and start-over are all handled inside the form's validation, so the form never loses
what was filled and the next question is always asked again.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.store import analytics
from bot.core.catalog import ChoiceValue, Option, Product, current_catalog
from actions.kit import (
    Draft,
    Message,
    answer_question,
    find_product,
    named_option,
    order_store,
    product_buttons,
    reset_order,
    say_too_long,
)
from bot.core.expressions import format_number
from bot.core.extract import Extraction, find_values
from bot.core.changes import Applied, apply_answers
from bot.core.pricing import money, price_so_far, quote
from bot.core.rules import valid_values
from bot.core.selections import next_missing_option
from bot.core.values import Parsed, display_value, normalize, number_range
from bot.core.wording import summary_text

logger = logging.getLogger(__name__)

SMALL_TALK_CONFIDENCE = 0.8  # "hi" or "thanks" mid-order is small talk, not a wrong answer
STUCK_HINT_AFTER = 2  # failed answers to one question before examples are shown
STUCK_PERSON_AFTER = 3  # ... before a person is offered and staff are told
YES = {"yes", "y", "yeah", "yep", "sure", "ok", "okay", "yes please", "please do", "do it", "confirm"}
NO = {"no", "n", "nope", "nah", "no thanks", "continue", "carry on", "keep going", "keep it"}


def choice_buttons(product: Product, values: List[ChoiceValue]) -> List[Dict[str, str]]:
    buttons = []
    for value in values:
        price = f" (+{money(value.price, product.currency)})" if value.price else ""
        buttons.append({"title": f"{value.name}{price}", "payload": f'/inform{{"choice":"{value.id}"}}'})
    return buttons


def confirmation_buttons(yes: str, no: str) -> List[Dict[str, str]]:
    return [{"title": yes, "payload": "/affirm"}, {"title": no, "payload": "/deny"}]


CONFIRM_CONFIDENCE = 0.75  # a "yes" read from the intent alone places orders: be sure


def says_yes(message: Message) -> bool:
    return normalize(message.text) in YES or (message.intent == "affirm" and message.confidence >= CONFIRM_CONFIDENCE)


def says_no(message: Message) -> bool:
    return normalize(message.text) in NO or (message.intent == "deny" and message.confidence >= CONFIRM_CONFIDENCE)


def start_order_events(product: Optional[Product], message: Message) -> List[EventType]:
    return [
        SlotSet("product", product.id if product else None),
        SlotSet("selections", {}),
        SlotSet("specs_complete", None),
        SlotSet("changing", None),
        SlotSet("pending", None),
        SlotSet("failures", {}),
        SlotSet("draft_id", uuid.uuid4().hex),
        SlotSet("answered_turn", message.turn),
    ]


def take_answers(dispatcher: CollectingDispatcher, product: Product, selections: Dict[str, Any],
                 found: Extraction, focus: Optional[Option]) -> Applied:
    """Applies the values found in a message and tells the customer what happened."""
    applied = apply_answers(product, selections, {k: v.value for k, v in found.values.items()})
    lines: List[str] = [f"{v.note}." for v in found.values.values() if v.note]
    lines += [problem.error for problem in found.problems.values()]
    new = [c for c in applied.changes if not c.was_filled]
    if new and (focus is None or len(new) > 1 or new[0].option.id != focus.id):
        lines.append("Got it: " + "; ".join(f"{c.option.name}: {display_value(c.option, c.new)}" for c in new) + ".")
    for change in (c for c in applied.changes if c.was_filled):
        lines.append(describe_change(product, change.option, change.old, change.new, selections, applied.selections))
    for cleared in applied.cleared:
        lines.append(f"That no longer fits your {cleared.option.name.lower()} ({display_value(cleared.option, cleared.old)}), "
                     f"so I'll ask for it again.")
    for option_id in dict.fromkeys(v.option_id for v in applied.refused):
        option = product.option(option_id)
        message = " ".join(v.message for v in applied.refused if v.option_id == option_id)
        if option.kind == "choice" and option.id not in applied.selections:
            fitting = valid_values(product, applied.selections, option)
            if fitting:
                message += " With your other choices these would work: " + ", ".join(v.name for v in fitting) + "."
        lines.append(message)
    if lines:
        dispatcher.utter_message(text="\n".join(lines))
    return applied


def describe_change(product: Product, option: Option, old: Any, new: Any,
                    before: Dict[str, Any], after: Dict[str, Any]) -> str:
    """'Memory: 32 GB DDR5 -> 64 GB DDR5, +100 EUR' (with the price difference when known)."""
    text = f"{option.name}: {display_value(option, old)} -> {display_value(option, new)}"
    old_price, new_price = price_so_far(product, before), price_so_far(product, after)
    if old_price is not None and new_price is not None and old_price != new_price:
        difference = new_price - old_price
        text += f", {'+' if difference > 0 else '-'}{format_number(abs(difference))} {product.currency}"
    return text


def record_refusals(conversation_id: str, draft_id: Optional[str], product: Product, text: str,
                    found: Extraction, applied: Applied) -> None:
    """Keep the values a message named that were refused, for the staff dashboard."""
    refusals = [analytics.Rejection(option_id, analytics.rejection_reason(parsed.error), parsed.error)
                for option_id, parsed in found.problems.items()]
    refusals += [analytics.Rejection(v.option_id, "rule", v.message, v.rule_id) for v in applied.refused]
    analytics.record_rejections(order_store, conversation_id, draft_id, product.id, text, refusals)


def begin_order(dispatcher: CollectingDispatcher, product: Product, message: Message,
                conversation_id: str = "") -> List[EventType]:
    """A fresh order of `product`, with whatever options the message already names."""
    events = start_order_events(product, message)
    dispatcher.utter_message(
        text=f"Great, let's put together your {product.name}. It takes {product.lead_time_days} business days to make."
    )
    found = find_values(product, message.text)
    if found.values or found.problems:
        applied = take_answers(dispatcher, product, {}, found, None)
        events.append(SlotSet("selections", applied.selections))
        if conversation_id:
            draft_id = next(e["value"] for e in events if e.get("name") == "draft_id")
            record_refusals(conversation_id, draft_id, product, message.text, found, applied)
    return events


def product_for(message: Message) -> Optional[Product]:
    """The product a message names, or the only one whose options it names ("an i5 with 32GB")."""
    catalog = current_catalog()
    product = find_product(catalog, message)
    if product is None:
        named = [p for p in catalog.products if find_values(p, message.text).values]
        product = named[0] if len(named) == 1 else None
    return product


class ActionStartOrder(Action):
    """Starts a fresh order with the product and any options the customer named."""

    def name(self) -> Text:
        return "action_start_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        message = Message.of(tracker)
        if message.too_long:
            say_too_long(dispatcher)
            return start_order_events(None, message)
        product = product_for(message)
        draft = Draft.of(tracker)
        if draft.started and product in (None, draft.product):
            # Back to an unfinished order: the form reads this message against it.
            dispatcher.utter_message(text=f"Continuing your {draft.product.name} ({draft.progress} answered); "
                                          "say \"start over\" to begin again.")
            return [SlotSet("pending", None)]
        if product is None:
            return start_order_events(None, message)
        return begin_order(dispatcher, product, message, tracker.sender_id)


class ActionAskProduct(Action):
    def name(self) -> Text:
        return "action_ask_product"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if tracker.get_slot("pending"):
            return ask_pending(dispatcher, tracker.get_slot("pending"))
        catalog = current_catalog()
        names = ", ".join(p.name for p in catalog.products)
        dispatcher.utter_message(text=f"Which product would you like? We make: {names}.", buttons=product_buttons(catalog))
        return []


def ask_pending(dispatcher: CollectingDispatcher, pending: str) -> List[EventType]:
    if pending == "cancel":
        dispatcher.utter_message(text="Cancel this order? Nothing will be stored.",
                                 buttons=confirmation_buttons("Yes, cancel it", "No, continue"))
    elif pending == "start_over":
        dispatcher.utter_message(text="Start over from the beginning? What you've chosen so far will be cleared.",
                                 buttons=confirmation_buttons("Yes, start over", "No, continue"))
    return []


class ActionAskSpecsComplete(Action):
    """Asks the next option the product needs, a confirmation, or which option to change."""

    def name(self) -> Text:
        return "action_ask_specs_complete"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if tracker.get_slot("pending"):
            return ask_pending(dispatcher, tracker.get_slot("pending"))
        draft = Draft.of(tracker)
        if not draft.started:
            return []
        option = next_missing_option(draft.product, draft.selections)
        if option is None and (tracker.get_slot("changing") or {}).get("mode") == "which":
            dispatcher.utter_message(
                text="Which option would you like to change? Or say \"nothing\" to keep the order as it is.",
                buttons=[
                    {"title": f"{o.name}: {display_value(o, draft.selections.get(o.id))}", "payload": f'/inform{{"option":"{o.id}"}}'}
                    for o in draft.product.options
                ] + [{"title": "Nothing, it's fine", "payload": "/affirm"}],
            )
            return []
        answered = sum(1 for o in draft.product.options if o.id in draft.selections)
        if option is None:
            show_summary(dispatcher, draft)
            analytics.record_question(order_store, tracker.sender_id, tracker.get_slot("draft_id"), draft.product.id,
                                      analytics.SUMMARY_QUESTION, answered)
            return []
        failures = (tracker.get_slot("failures") or {}).get(option.id, 0)
        ask_option(dispatcher, draft.product, draft.selections, option, hint=failures >= STUCK_HINT_AFTER)
        analytics.record_question(order_store, tracker.sender_id, tracker.get_slot("draft_id"), draft.product.id,
                                  option.id, answered)
        return []


def example_answer(option: Option) -> str:
    if option.kind == "number":
        low = option.allowed[0] if option.allowed else option.min
        other = next((u for u in option.accept_units if u != option.unit), None)
        also = f', or with another unit, e.g. "{format_number(low)} {option.unit}"' if other else ""
        return f'Just the number, e.g. "{format_number(low)}"{also}.'
    if option.kind == "text":
        none = ' or "none"' if option.optional else ""
        return f'For example "{option.example}"{none}.' if option.example else ""
    if option.kind == "yesno":
        return 'Just "yes" or "no".'
    return "Tap one of the buttons, or type its name."


def ask_option(dispatcher: CollectingDispatcher, product: Product, selections: Dict[str, Any], option: Option,
               hint: bool = False) -> None:
    position = product.option_ids.index(option.id) + 1
    question = option.question or f"What {option.name.lower()} would you like?"
    text = f"({position}/{len(product.options)}) {question}"
    buttons: List[Dict[str, str]] = []
    if option.kind == "choice":
        buttons = choice_buttons(product, valid_values(product, selections, option))
    elif option.kind == "number":
        other_units = [u for u in option.accept_units if u != option.unit]
        also = f"; {', '.join(other_units)} are fine too" if other_units else ""
        text += f" ({number_range(option)}{also})"
    elif option.kind == "yesno":
        text += f" (+{money(option.price, product.currency)})" if option.price else ""
        buttons = confirmation_buttons("Yes", "No")
    else:
        text += f" (+{money(option.price, product.currency)})" if option.price else ""
        text += f" For example: {option.example}." if option.example else ""
    if hint:
        text += "\n" + example_answer(option)
    dispatcher.utter_message(text=text, buttons=buttons)


class ValidateOrderForm(Action):
    """Reads each message of the order form against the catalog.

    A plain Action rather than a FormValidationAction: the form's questions come from the
    catalog, so one message may answer, change or ask about any option.
    """

    def name(self) -> Text:
        return "validate_order_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        message = Message.of(tracker)
        if tracker.get_slot("answered_turn") == message.turn:
            return []  # already read (form activation, or back from another action)
        events: List[EventType] = [SlotSet("answered_turn", message.turn)]
        if message.too_long:
            say_too_long(dispatcher)
            return events
        pending = tracker.get_slot("pending")
        if pending:
            handled = self._confirm(dispatcher, tracker, message, pending)
            if handled is not None:
                return events + handled
            events.append(SlotSet("pending", None))
        if message.intent in ("cancel", "start_over") and message.confidence >= 0.5:
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
            analytics.record_outcome(order_store, tracker.get_slot("draft_id"), analytics.OUTCOME_CANCELLED)
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
        if product is None:
            dispatcher.utter_message(text="Sorry, I didn't recognise that product.")
            return [SlotSet("product", None)]
        return begin_order(dispatcher, product, message, tracker.sender_id)

    def _answer(self, dispatcher, tracker, message: Message, draft: Draft) -> List[EventType]:
        product, selections = draft.product, draft.selections
        focus = next_missing_option(product, selections)
        if message.is_question:
            answer_question(dispatcher, tracker, message, draft)
            return []
        found = find_values(product, message.text, focus)
        button_value = message.entity("choice")
        if focus is not None and focus.kind == "choice" and button_value in {v.id for v in focus.values}:
            found.values = {focus.id: found.values.get(focus.id) or Parsed(value=button_value, ok=True)}
        if focus is not None and focus.kind == "yesno" and message.intent in ("affirm", "deny") and not found.values:
            found.values = {focus.id: Parsed(value=message.intent == "affirm", ok=True)}
        if found.values or found.problems:
            changing = tracker.get_slot("changing") or {}
            before = dict(selections)
            if changing.get("option") in found.values and changing.get("old") is not None:
                before[changing["option"]] = changing["old"]  # report "old -> new" for a reopened option
            applied = take_answers(dispatcher, product, before, found, focus)
            record_refusals(tracker.sender_id, tracker.get_slot("draft_id"), product, message.text, found, applied)
            failures = dict(tracker.get_slot("failures") or {})
            for change in applied.changes:
                failures.pop(change.option.id, None)
            for refused in applied.refused:
                failures[refused.option_id] = failures.get(refused.option_id, 0) + 1
            return [
                SlotSet("selections", applied.selections),
                SlotSet("changing", None),
                SlotSet("failures", failures),
                # Complete or not, the form goes on: to the next question or to the summary.
                SlotSet("specs_complete", None),
            ]
        if focus is None:
            return self._confirm_summary(dispatcher, tracker, message, product, selections)
        if message.intent in ("greet", "thank") and message.confidence >= SMALL_TALK_CONFIDENCE:
            answer_question(dispatcher, tracker, message, draft)
            return []
        return self._refuse(dispatcher, tracker, message, product, selections, focus, found.focus_error)

    def _refuse(self, dispatcher, tracker, message, product, selections, focus, error) -> List[EventType]:
        """A message that gave no valid value for the question: say why, help when stuck."""
        failures = dict(tracker.get_slot("failures") or {})
        failures[focus.id] = failures.get(focus.id, 0) + 1
        text = error.error if error is not None else f"Sorry, I didn't get that. {focus.question}"
        buttons: List[Dict[str, str]] = []
        if error is not None and focus.kind == "choice":
            fitting = {v.id for v in valid_values(product, selections, focus)}
            buttons = choice_buttons(product, [c for c in error.candidates if c.id in fitting])
        if failures[focus.id] >= STUCK_PERSON_AFTER:
            order_store().flag_conversation(
                tracker.sender_id, f"stuck at '{focus.name}' after {failures[focus.id]} tries")
            text += ("\nThis seems to be tricky. I've let our team know; say \"talk to a person\" "
                     "if you'd like one of us to help, or try once more.")
        dispatcher.utter_message(text=text, buttons=buttons)
        reason = analytics.rejection_reason(error.error if error is not None else "")
        analytics.record_rejections(order_store, tracker.sender_id, tracker.get_slot("draft_id"), product.id, message.text,
                                    [analytics.Rejection(focus.id, reason, text.split("\n")[0])])
        return [SlotSet("failures", failures), SlotSet("specs_complete", None)]

    def _confirm_summary(self, dispatcher, tracker, message: Message, product: Product,
                         selections: Dict[str, Any]) -> List[EventType]:
        """Every option is valid: the customer confirms the summary, or says what to change."""
        if (tracker.get_slot("changing") or {}).get("mode") == "which":
            if says_yes(message) or normalize(message.text) in ("nothing", "none", "its fine", "all good", "no"):
                return [SlotSet("changing", None)]
            option = named_option(product, message)
            if option is None:
                names = ", ".join(o.name for o in product.options)
                dispatcher.utter_message(text=f"Sorry, which option? This order has: {names}.")
                return []
            remaining = {k: v for k, v in selections.items() if k != option.id}
            return [SlotSet("selections", remaining), SlotSet("changing", {"option": option.id, "old": selections.get(option.id)})]
        if says_yes(message):
            return [SlotSet("specs_complete", True), SlotSet("order_confirmed", True)]
        if says_no(message):
            return [SlotSet("changing", {"mode": "which"})]
        dispatcher.utter_message(text="Shall I place the order? Say \"yes\", or tell me what to change.")
        return []


def show_summary(dispatcher: CollectingDispatcher, draft: Draft) -> None:
    """The priced summary and "shall I place it?": the order form's last question."""
    priced = quote(draft.product, draft.selections)
    action = "send this quote request" if priced.is_quote_request else "place this order"
    dispatcher.utter_message(
        text=summary_text(draft.product, draft.selections, priced) + f"\n\nShall I {action}?",
        buttons=confirmation_buttons("Yes, confirm", "No, change something"),
    )
