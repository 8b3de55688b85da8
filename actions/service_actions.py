"""Outside the order forms: greeting and product list, coming back to an unfinished order,
questions, cancelling, and orders already placed."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.core.questions import asks_in_words
from bot.core.life import CUSTOMER_CANCELLABLE, find_order_number, status_label
from bot.core.phrases import name_list
from bot.store.links import Redeemed
from actions.identity import LINK_INTENT, code_in, offer_code, redeem_code, say_other_order_stays
from actions.kit import (
    CONTACT_SLOTS,
    ORDER_SLOTS,
    Draft,
    Message,
    answer_question,
    cancel_placed_order,
    product_buttons,
    product_for,
    reset_order,
    resources,
    say_figures_unplaced,
    say_empty,
    say_knowledge,
    say_not_understood,
    say_other_language,
    say_too_long,
)
from actions.after_order import confirm_after_order, offer_quote, read_after_order
from actions.contact_form import answer_second_order, offer_standing
from actions.confirm import ask_pending, confirmation_buttons, says_no, says_yes
from actions.order_form import begin_order


def offer_resume(dispatcher: CollectingDispatcher, draft: Draft) -> None:
    dispatcher.utter_message(
        text=f"Welcome back! You have an unfinished {draft.product.name} order ({draft.progress} answered). "
             "Shall we continue it, or start over?",
        buttons=[{"title": "Continue", "payload": "/resume_order"}, {"title": "Start over", "payload": "/start_over"}],
    )


class ActionListProducts(Action):
    """Greeting and "what can you make?": the products as buttons, or the unfinished order."""

    def name(self) -> Text:
        return "action_list_products"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        message = Message.of(tracker)
        draft = Draft.of(tracker)
        say_other_language(dispatcher, tracker, message)  # then the products (or the unfinished order) in English
        if draft.started and message.intent == "greet":
            offer_resume(dispatcher, draft)
            return []
        list_products(dispatcher, greet=message.intent == "greet")
        return []


def list_products(dispatcher: CollectingDispatcher, greet: bool = False) -> None:
    catalog = resources.catalog()
    lines = [f"- **{p.name}**: {p.description}" for p in catalog.products]
    greeting = "Hello! " if greet else ""
    dispatcher.utter_message(
        text=f"{greeting}Welcome to {catalog.shop.name}. We make to order:\n" + "\n".join(lines) + "\nWhat would you like?",
        buttons=product_buttons(catalog),
    )


class ActionResumeOrder(Action):
    """"Continue": back into the order form where the customer left it."""

    def name(self) -> Text:
        return "action_resume_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        draft = Draft.of(tracker)
        message = Message.of(tracker)
        if draft.started:
            dispatcher.utter_message(text=f"Let's continue your {draft.product.name} ({draft.progress} answered).")
        return [SlotSet("answered_turn", message.turn), SlotSet("pending", None)]


class ActionAnswer(Action):
    """Questions and requests when no form is running, and their confirmations."""

    def name(self) -> Text:
        return "action_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        message = Message.of(tracker)
        if message.too_long:
            say_too_long(dispatcher)
            return []
        if message.empty:
            say_empty(dispatcher)
            return []
        code = code_in(message.text, message.intent)
        if code is not None:  # a link code from the customer's other chat (actions/identity.py)
            return await link_here(dispatcher, tracker, message, code)
        if message.intent == LINK_INTENT:
            offer_code(dispatcher, resources.store(), resources.settings, tracker.sender_id, carried_slots(tracker))
            return []
        draft = Draft.of(tracker)
        pending = tracker.get_slot("pending") or ""
        if say_other_language(dispatcher, tracker, message):
            # Nothing taken from it: the question pending is asked again, in English.
            if pending in ("cancel", "start_over"):
                ask_pending(dispatcher, pending)
            elif draft.started:
                dispatcher.utter_message(text=f"Say \"continue\" to carry on with your {draft.product.name}.")
            elif not pending:
                list_products(dispatcher)
            return []
        if pending:
            return self._confirmed(dispatcher, tracker, message, draft, pending)
        after_order = read_after_order(dispatcher, tracker, message)  # a change of a placed order, a quote's answer
        if after_order is not None:
            return after_order
        if offer_standing(tracker) and not draft.started and message.intent not in ("cancel_order", "cancel", "start_over"):
            return answer_second_order(dispatcher, tracker)  # "the other 2 as another order?" waits for yes or no
        if message.intent == "cancel_order":
            return self._ask_cancel_order(dispatcher, tracker, message)
        if message.intent in ("cancel", "start_over"):
            if not draft.started:
                if message.intent == "start_over":
                    list_products(dispatcher)
                    return []
                dispatcher.utter_message(text="There's no order in progress to cancel. To cancel an order you "
                                              "placed, say \"cancel my order\" with its number.")
                return []
            return self._ask(dispatcher, message.intent)
        if message.intent == "nlu_fallback" and not draft.started:
            return read_unsure(dispatcher, tracker, message)
        if message.intent in ("ask_advice", "ask_shop") and not draft.started and not asks_in_words(message.text) \
                and product_for(message) is not None:
            # "Intel i5 with 32gb ddr4 and 512gb" read as advice: no question in its words, and it
            # names one product's options, so it is that order's start, read like an unsure message
            return read_unsure(dispatcher, tracker, message)
        events = answer_question(dispatcher, tracker, message, draft)
        if message.intent in ("order_status", "my_orders") and not draft.started:
            events += offer_quote(dispatcher, tracker)  # a staff price waiting for the customer's answer
        return events

    @staticmethod
    def _ask(dispatcher: CollectingDispatcher, what: str) -> List[EventType]:
        ask_pending(dispatcher, what)
        return [SlotSet("pending", what)]

    @staticmethod
    def _ask_cancel_order(dispatcher: CollectingDispatcher, tracker: Tracker, message: Message) -> List[EventType]:
        orders = resources.store().orders_for_conversation(tracker.sender_id)
        asked = find_order_number(message.text)
        if asked:
            order = next((o for o in orders if o["number"] == asked), None)
        else:
            order = orders[-1] if orders else None
        if order is None:
            dispatcher.utter_message(text="I can't find that order in this conversation. Which order number?"
                                     if orders or asked else "You haven't placed an order in this conversation yet.")
            return []
        if order["status"] not in CUSTOMER_CANCELLABLE:
            dispatcher.utter_message(text=f"Order {order['number']} is already {status_label(order['status'])}, so it can't be "
                                          "cancelled in the chat. Say \"talk to a person\" and our team will help.")
            return []
        dispatcher.utter_message(text=f"Cancel order {order['number']} ({order['product_name']})?",
                                 buttons=confirmation_buttons("Yes, cancel it", "No, keep it"))
        return [SlotSet("pending", f"cancel_order:{order['number']}")]

    @staticmethod
    def _confirmed(dispatcher, tracker, message: Message, draft: Draft, pending: str) -> List[EventType]:
        events: List[EventType] = [SlotSet("pending", None)]
        after_order = confirm_after_order(dispatcher, tracker, message, pending)
        if after_order is not None:
            return events + after_order
        if says_yes(message):
            if pending.startswith("cancel_order:"):
                dispatcher.utter_message(text=cancel_placed_order(tracker, pending.split(":", 1)[1]))
                return events
            if pending == "cancel":
                dispatcher.utter_message(text="Your order is cancelled; nothing was stored.")
                return events + reset_order()
            dispatcher.utter_message(text="OK, let's start over.")
            list_products(dispatcher)
            return events + reset_order()
        if says_no(message):
            dispatcher.utter_message(text="OK, nothing changed.")
            if draft.started:
                dispatcher.utter_message(text=f"Say \"continue\" to carry on with your {draft.product.name}.")
            return events
        return events + answer_question(dispatcher, tracker, message, draft)


async def link_here(dispatcher: CollectingDispatcher, tracker: Tracker, message: Message, code: str) -> List[EventType]:
    """The code typed here links this chat to the one that showed it; an order left
    unfinished there is offered to resume here (unless one is in progress here)."""
    result = await redeem_code(dispatcher, resources.store(), resources.settings, tracker.sender_id, code)
    if result is None or result.outcome is not Redeemed.LINKED or not result.carried.get("product"):
        return []
    product = resources.catalog().find_product(result.carried["product"])
    if product is None:
        return []
    if Draft.of(tracker).started:
        say_other_order_stays(dispatcher, product.name)
        return []
    draft = Draft(product, dict(result.carried.get("selections") or {}))
    offer_resume(dispatcher, draft)
    return [SlotSet(slot, value) for slot, value in result.carried.items() if slot in ORDER_SLOTS + CONTACT_SLOTS] + [
        SlotSet("answered_turn", message.turn), SlotSet("pending", None)]


def carried_slots(tracker: Tracker) -> Dict[str, Any]:
    """The unfinished order and contact details a link code carries to the other chat."""
    return {slot: tracker.get_slot(slot) for slot in ORDER_SLOTS + CONTACT_SLOTS}


def read_unsure(dispatcher: CollectingDispatcher, tracker: Tracker, message: Message) -> List[EventType]:
    """A message the NLU is unsure of, outside an order, read the way the order form reads
    one before anything is given up: a product named (or only its options: "a slim linen
    one with a spread collar") starts its order with the values taken and said back, and the
    question beside them answered; a bare figure is said not kept and the product asked;
    a question alone is answered (or passed to the team); only the rest is not understood."""
    catalog = resources.catalog()
    if message.text.startswith("/") or not message.text.strip():
        say_not_understood(dispatcher)
        return []
    product = product_for(message)
    if product is not None:
        # The order form takes over from here (its activation reads this message no more:
        # answered_turn is this message's).
        return begin_order(dispatcher, product, message, tracker) + [FollowupAction("order_form")]
    if say_figures_unplaced(dispatcher, message):
        names = name_list((p.name for p in catalog.products), "and")
        dispatcher.utter_message(text=f"Which product would you like? We make: {names}.", buttons=product_buttons(catalog))
        return []
    if asks_in_words(message.text):
        say_knowledge(dispatcher, tracker, message, None)
        return []
    say_not_understood(dispatcher)
    return []
