"""Yes and no in the order's life: how a customer's yes or no is read, the confirmation
buttons, the questions "cancel this order?" / "start over?", and the priced summary with
its "shall I place it?" (the order form's last question)."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.kit import Draft, Message
from bot.core.placement import typed_figures
from bot.core.pricing import quote
from bot.core.values import normalize
from bot.core.wording import SUMMARY_KEY, place_question, summary_text

YES = {"yes", "y", "yeah", "yep", "sure", "ok", "okay", "yes please", "please do", "do it", "confirm"}
NO = {"no", "n", "nope", "nah", "no thanks", "continue", "carry on", "keep going", "keep it"}


def confirmation_buttons(yes: str, no: str) -> List[Dict[str, str]]:
    return [{"title": yes, "payload": "/affirm"}, {"title": no, "payload": "/deny"}]


CONFIRM_CONFIDENCE = 0.75  # a "yes" read from the intent alone places orders: be sure


def says_yes(message: Message) -> bool:
    return normalize(message.text) in YES or (message.intent == "affirm" and message.confidence >= CONFIRM_CONFIDENCE)


def says_no(message: Message) -> bool:
    return normalize(message.text) in NO or (message.intent == "deny" and message.confidence >= CONFIRM_CONFIDENCE)


def ask_pending(dispatcher: CollectingDispatcher, pending: str) -> List[EventType]:
    if pending == "cancel":
        dispatcher.utter_message(text="Cancel this order? Nothing will be stored.",
                                 buttons=confirmation_buttons("Yes, cancel it", "No, continue"))
    elif pending == "start_over":
        dispatcher.utter_message(text="Start over from the beginning? What you've chosen so far will be cleared.",
                                 buttons=confirmation_buttons("Yes, start over", "No, continue"))
    return []


def summary_seen(tracker: Tracker, selections: Dict[str, Any]) -> bool:
    """Whether the last summary the customer was shown is of these very selections."""
    for event in reversed(tracker.events):
        shown = (event.get("metadata") or {}).get(SUMMARY_KEY) if event.get("event") == "bot" else None
        if shown is not None:
            return shown == selections
    return False


def show_summary(dispatcher: CollectingDispatcher, draft: Draft, seen: bool = False, typed: Any = None,
                 with_buttons: bool = True) -> None:
    """The priced summary and "shall I place it?": the order form's last question. A
    customer who has seen this very summary (and asked something meanwhile) gets the
    question alone. Their own figures (`typed`) are shown beside the shop's unit; a reply
    that has buttons already (`with_buttons` false) gets no second set."""
    priced = quote(draft.product, draft.selections)
    text = place_question(priced)
    if not seen:
        shown = typed_figures(draft.product, draft.selections, typed)
        text = summary_text(draft.product, draft.selections, priced, shown) + "\n\n" + text
    buttons = confirmation_buttons("Yes, confirm", "No, change something") if with_buttons else []
    dispatcher.utter_message(text=text, buttons=buttons,
                             **{SUMMARY_KEY: dict(draft.selections)})
