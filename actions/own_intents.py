"""Rasa's own actions, replaced so that every message gets a reply said in words.

A customer can type what only buttons and Rasa itself send: "/restart", "/back" and
"/session_start" are Rasa's internal intents, which Rasa answers with its default actions
(a response the domain may have, or nothing at all, so the web chat had no answer to
show). No button of ours sends them (buttons send /order_product, /inform, /affirm,
/deny, /resume_order, /start_over), so these are typed, and are answered here:

- /restart starts the conversation over, and says so and what was cleared;
- /back says there is no step back and how to change an answer, and the question open is
  asked again (the form does not read "/back" as an answer);
- /session_start greets, or offers the unfinished order back; the automatic start of a
  session (a conversation's first message, or after a pause) stays silent and carries the
  slots over as Rasa's own action does.

The core fallback (no rule fits the message) says it did not understand, with the
"not understood" marker, instead of the domain response it used to need; an empty message
(only control characters) is told so; a standing offer of the rest of a split is answered.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, Restarted, SessionStarted, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.store import analytics
from actions.contact_form import answer_second_order, offer_standing
from actions.kit import Draft, Message, resources, say_empty, say_not_understood
from actions.service_actions import list_products, offer_resume

# Slots Rasa keeps for itself: never carried by hand.
RASA_SLOTS = {"requested_slot"}


class ActionDefaultFallback(Action):
    """No rule fits the message: an empty one is told so, a yes or no to a standing offer
    is taken, anything else is said not understood (and forgotten, as Rasa's own does)."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        message = Message.of(tracker)
        if message.empty:
            say_empty(dispatcher)
            return [UserUtteranceReverted()]
        if offer_standing(tracker) and not Draft.of(tracker).started:
            return answer_second_order(dispatcher, tracker)
        say_not_understood(dispatcher)
        return [UserUtteranceReverted()]


class ActionRestart(Action):
    """A typed "/restart": the conversation starts over, said with what was cleared."""

    def name(self) -> Text:
        return "action_restart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        draft = Draft.of(tracker)
        cleared = (f", and your unfinished {draft.product.name} order ({draft.progress} answered) is cleared"
                   if draft.started else "")
        if draft.started:
            analytics.record_outcome(resources.store, tracker.get_slot("draft_id"), analytics.OUTCOME_CANCELLED)
        dispatcher.utter_message(text=f"Starting over: this conversation begins again{cleared}. "
                                      "Orders you've already placed are kept.")
        list_products(dispatcher)
        return [Restarted()]


class ActionBack(Action):
    """A typed "/back": no step back, how to change an answer; the open question follows."""

    def name(self) -> Text:
        return "action_back"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        draft = Draft.of(tracker)
        message = Message.of(tracker)
        if draft.started:
            dispatcher.utter_message(text="I can't go back a step, but nothing is lost: to change an answer, tell me "
                                          "what to change (\"change the collar\", \"make it 2\"), or say \"start over\".")
            # The form asks its question again and does not read "/back" as the answer.
            return [SlotSet("answered_turn", message.turn)]
        dispatcher.utter_message(text="There's nothing to go back to: no order is in progress.")
        list_products(dispatcher)
        return []


class ActionSessionStart(Action):
    """A session's start: Rasa's own events (the slots carried over); a typed
    "/session_start" also gets a greeting, or the unfinished order offered back."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        carry = (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True)
        carried: Dict[str, Any] = {name: value for name, value in tracker.slots.items()
                                   if carry and value is not None and name not in RASA_SLOTS}
        events: List[EventType] = [SessionStarted()] + [SlotSet(name, value) for name, value in carried.items()]
        if typed_session_start(tracker):
            draft = Draft.of(tracker)
            if draft.started:
                offer_resume(dispatcher, draft)
            else:
                list_products(dispatcher, greet=True)
        return events + [ActionExecuted("action_listen")]


def typed_session_start(tracker: Tracker) -> bool:
    """The customer typed "/session_start" (Rasa's own start comes before any message of
    the session, so its last event is not the customer's; Rasa may add its featurization
    marker after the customer's message)."""
    last = next((event for event in reversed(tracker.events) if event.get("event") != "user_featurization"), {})
    return last.get("event") == "user" and Message.of(tracker).intent == "session_start"
