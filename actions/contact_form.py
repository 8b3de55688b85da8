"""After the summary: the customer's name, email and address, then the stored order."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.store import analytics
from actions.identity import code_in
from actions.kit import (CONTACT_SLOTS, SPLIT_SLOT, Draft, FormValidation, Message, answer_question, link_in_order,
                         reset_order, resources, say_empty, say_too_long)
from bot.core.contact import delivery_answer, read_address, read_email, read_name, read_name_and_email
from bot.core.life import OrderKind
from bot.core.pricing import money, quote
from bot.core.placement import PlacementProblem, check_contact, check_order, typed_figures
from bot.core.catalog import Product
from bot.core.second_order import Remembered, after_placing, next_order
from bot.core.values import display_value
from actions.confirm import ask_pending, confirmation_buttons, says_no, says_yes
from actions.order_form import start_order_events
from bot.channels.staff_notice import announce_order
from bot.store.db import utcnow
from bot.store.orders import NewOrder

logger = logging.getLogger(__name__)

CONTACT_QUESTIONS = {
    "customer_name": "To place the order I need a few details. What name should go on the order?",
    "customer_email": "What email address should we send the confirmation and updates to?",
    "customer_address": "And the delivery address (street and number, postcode, town)?",
}
# Only clear questions interrupt here: a name or an address can look like anything.
CONTACT_QUESTION_INTENTS = {"ask_price", "ask_summary", "ask_lead_time", "ask_delivery", "human", "help", "ask_options",
                            "ask_advice", "ask_shop"}
CONTACT_QUESTION_CONFIDENCE = 0.8
MAX_OFFERED_NAME = 64  # Telegram's first names are at most 64 characters


def clean_name(value: str) -> Optional[str]:
    """A name a chat app offered (not typed): spaces tidied, usable as a button's payload."""
    name = " ".join(value.split())
    return name if 1 <= len(name) <= 100 and not name.startswith("/") else None


def offered_name(tracker: Tracker) -> Optional[str]:
    """The first name the customer's chat app gave with a message (Telegram's first name in
    the message metadata), the latest one that reads as a name as it is (pressing the button
    sends it back as typed text); None when no message had one."""
    latest = tracker.latest_message or {}
    candidates: List[Dict[str, Any]] = [latest.get("metadata") or {}] + [
        event.get("metadata") or {} for event in reversed(tracker.events) if event.get("event") == "user"
    ]
    for metadata in candidates:
        name = metadata.get("first_name") if isinstance(metadata, dict) else None
        offered = clean_name(name) if isinstance(name, str) and len(name) <= MAX_OFFERED_NAME else None
        if offered and read_name(offered).value == offered:
            return offered
    return None


def clean_email(value: str) -> str:
    """The normalised address found in the text; ValueError says what is wrong."""
    reading = read_email(value)
    if reading.value is None:
        raise ValueError(reading.reply)
    return reading.value


def ask_contact(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> List[EventType]:
    """Asks the contact form's next detail, or confirms a cancel request."""
    if tracker.get_slot("pending"):
        return ask_pending(dispatcher, tracker.get_slot("pending"))
    if not (slot == "customer_name" and offer_earlier_contact(dispatcher, tracker)):
        buttons = []
        name = offered_name(tracker) if slot == "customer_name" else None
        if name:  # one tap answers it; the payload is the name itself, read like typed text
            buttons = [{"title": f"Use {name}", "payload": name}]
        dispatcher.utter_message(text=CONTACT_QUESTIONS[slot], buttons=buttons)
    draft = Draft.of(tracker)
    if draft.started:  # for the dashboard's "where customers give up"
        analytics.record_question(resources.store, tracker.sender_id, tracker.get_slot("draft_id"), draft.product.id,
                                  slot, len(draft.product.options))
    return []


class ValidateContactForm(FormValidation):
    """Checks each contact detail, then asks the next; questions and "cancel" are answered
    without losing them."""

    form = "contact_form"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> List[EventType]:
        return ask_contact(dispatcher, tracker, slot)

    async def validate(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> List[EventType]:
        message = Message.of(tracker)
        requested = tracker.get_slot("requested_slot")
        if tracker.get_slot("answered_turn") == message.turn or requested not in CONTACT_SLOTS:
            return []
        events: List[EventType] = [SlotSet("answered_turn", message.turn)]
        if message.too_long or message.empty:
            if message.too_long:
                say_too_long(dispatcher)
            else:
                say_empty(dispatcher)
            return events
        code = code_in(message.text, message.intent)
        if code is not None:  # a link code, not a name or an address: linked, and the question again
            await link_in_order(dispatcher, tracker, code)
            return events
        if tracker.get_slot("pending") == "cancel":
            if says_yes(message):
                analytics.record_outcome(resources.store, tracker.get_slot("draft_id"), analytics.OUTCOME_CANCELLED)
                dispatcher.utter_message(text="Your order is cancelled; nothing was stored.")
                return events + reset_order() + [SlotSet("requested_slot", None), ActiveLoop(None)]
            events.append(SlotSet("pending", None))
            if says_no(message):
                dispatcher.utter_message(text="OK, let's carry on.")
                return events
        if message.intent in ("cancel", "start_over") and message.confidence >= CONTACT_QUESTION_CONFIDENCE:
            return events + [SlotSet("pending", "cancel")]
        if requested == "customer_name" and answers_contact_offer(tracker):
            earlier = earlier_contact(tracker)
            if earlier is not None and says_yes(message):
                dispatcher.utter_message(text=f"Got it, the same details as order {earlier.number}: Name: {earlier.name}; "
                                              f"Email: {earlier.email}; Address: {earlier.address}.")
                return events + [SlotSet("customer_name", earlier.name), SlotSet("customer_email", earlier.email),
                                 SlotSet("customer_address", earlier.address)]
            if says_no(message):
                dispatcher.utter_message(text="OK, new details for this order.")
                return events  # the name is asked, without the offer
        if (message.intent in CONTACT_QUESTION_INTENTS and message.confidence >= CONTACT_QUESTION_CONFIDENCE
                and not reads_as_address(requested, message)) or asks_about_a_country(message):
            return events + answer_question(dispatcher, tracker, message, Draft.of(tracker))
        return events + self._validate(dispatcher, requested, message.text)

    @staticmethod
    def _validate(dispatcher: CollectingDispatcher, slot: str, text: str) -> List[EventType]:
        """The detail read by the core: taken and said back, or refused with the reason."""
        if slot == "customer_name":
            reading, email = read_name_and_email(text)
            if email is not None:  # "Aiko Tanaka, aiko@example.jp": both taken, or the email refused
                dispatcher.utter_message(text=reading.reply)
                dispatcher.utter_message(text=email.reply)
                return [SlotSet(slot, reading.value)] + ([SlotSet("customer_email", email.value)] if email.taken else [])
        elif slot == "customer_email":
            reading = read_email(text)
        else:
            reading = read_address(text, resources.catalog().shop)
        dispatcher.utter_message(text=reading.reply)
        return [SlotSet(slot, reading.value)]


# The offer of the last order's details carries this in its bot event's metadata, with the
# draft it was made for: it is made once per order, and the reply to it is read as yes or no.
CONTACT_OFFER_KEY = "contact_offer"


@dataclass(frozen=True)
class EarlierContact:
    number: str
    name: str
    email: str
    address: str


def earlier_contact(tracker: Tracker) -> Optional[EarlierContact]:
    """The details of this conversation's latest order, if they still pass every check."""
    for order in reversed(resources.store().orders_for_conversation(tracker.sender_id)):
        details = (order.get("customer_name"), order.get("customer_email"), order.get("customer_address"))
        if all(details) and not check_contact(*details):
            return EarlierContact(order["number"], *details)
    return None


def offer_earlier_contact(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """A second order in the conversation: the details given for the first offered, said
    back in full, never reused without a yes. Once per order; True when offered now."""
    draft_id = tracker.get_slot("draft_id")
    if draft_id is None or any((event.get("metadata") or {}).get(CONTACT_OFFER_KEY) == draft_id
                               for event in tracker.events if event.get("event") == "bot"):
        return False
    earlier = earlier_contact(tracker)
    if earlier is None:
        return False
    dispatcher.utter_message(
        text=f"To place the order I need your details. Same details as for order {earlier.number}: {earlier.name}, "
             f"{earlier.email}, {earlier.address}?",
        buttons=confirmation_buttons("Yes, the same details", "No, change them"), **{CONTACT_OFFER_KEY: draft_id})
    return True


def answers_contact_offer(tracker: Tracker) -> bool:
    """The customer's latest message answers the offer of the earlier details: it is the
    last thing the bot said before it."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif event.get("event") == "bot" and seen_user:
            shown = (event.get("metadata") or {}).get(CONTACT_OFFER_KEY)
            return shown is not None and shown == tracker.get_slot("draft_id")
    return False


def asks_about_a_country(message: Message) -> bool:
    """"can I get it in Switzerland": a delivery question less confidently so, but naming a
    country and no street number or postcode, is answered rather than read as a detail."""
    return (message.intent == "ask_delivery" and message.is_question and not any(ch.isdigit() for ch in message.text)
            and delivery_answer(message.text, resources.catalog().shop) is not None)


def reads_as_address(requested: str, message: Message) -> bool:
    """At the address question, "ship it to Musterweg 3, 1010 Wien" is the answer, not a
    delivery question: it has a street number or a postcode."""
    return (requested == "customer_address" and message.intent == "ask_delivery"
            and any(ch.isdigit() for ch in message.text))


class ActionPlaceOrder(Action):
    """Stores the confirmed order (once per draft) and tells the customer its number."""

    def name(self) -> Text:
        return "action_place_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if not isinstance(tracker.get_slot("selections") or {}, dict):  # only a forged tracker has that
            product = resources.catalog().find_product(tracker.get_slot("product"))
            return self._refuse(dispatcher, tracker, check_order(product, tracker.get_slot("selections")))
        draft = Draft.of(tracker)
        if not draft.started and isinstance(tracker.get_slot(SPLIT_SLOT), dict) and tracker.get_slot(SPLIT_SLOT).get("offered"):
            return answer_second_order(dispatcher, tracker)
        if not draft.started:
            if tracker.get_slot("last_order"):
                # A second "yes" after the order was stored: it is stored once.
                dispatcher.utter_message(text=f"Your order {tracker.get_slot('last_order')} is placed. "
                                              "Anything else I can make for you?")
            return []  # otherwise the order was cancelled in the contact form, which said so
        product, selections = draft.product, draft.selections
        # Everything is checked again here, whoever sent the tracker: nothing invalid is stored.
        problems = check_order(product, tracker.get_slot("selections")) + check_contact(
            tracker.get_slot("customer_name"), tracker.get_slot("customer_email"), tracker.get_slot("customer_address"))
        if problems:
            return self._refuse(dispatcher, tracker, problems)
        priced = quote(product, selections)
        typed = typed_figures(product, selections, tracker.get_slot("typed"))  # only figures that read as the value
        new = NewOrder(
            draft_id=tracker.get_slot("draft_id") or uuid.uuid4().hex,
            conversation_id=tracker.sender_id,
            kind=OrderKind.QUOTE_REQUEST if priced.is_quote_request else OrderKind.ORDER,
            product_id=product.id,
            product_name=product.name,
            options={option.id: selections.get(option.id) for option in product.options},
            option_details=[
                {"id": o.id, "name": o.name, "value": selections.get(o.id),
                 "label": display_value(o, selections.get(o.id), typed.get(o.id)), "unit": o.unit,
                 **({"typed": typed[o.id]} if o.id in typed else {})}
                for o in product.options
            ],
            derived_parts=[
                {"id": c.part_id, "name": c.name, "value": c.value.id if c.value else None,
                 "label": c.label, "price": str(c.value.price) if c.value else None}
                for c in priced.derived
            ],
            price_lines=priced.stored_lines(),  # with the quantity line when the price is multiplied
            total=priced.total,
            currency=priced.currency,
            lead_time_days=product.lead_time_days,
            customer_name=tracker.get_slot("customer_name"),
            customer_email=tracker.get_slot("customer_email"),
            customer_address=tracker.get_slot("customer_address"),
        )
        placing_since = utcnow()
        try:
            stored = resources.store().place_order(new)
        except Exception:  # noqa: BLE001 - the customer gets an apology, the log the details
            logger.exception("could not store order for conversation %s", tracker.sender_id)
            dispatcher.utter_message(
                text="Sorry, something went wrong while saving your order, so it is NOT placed yet. "
                "Please say \"yes\" to try again in a moment."
            )
            return []
        if datetime.fromisoformat(stored["created_at"]) >= placing_since:
            announce_order(stored)  # to the staff chat, if one is set; not again for a retried "yes"
        if priced.is_quote_request:
            text = (f"Thank you, {new.customer_name}! Your quote request number is **{stored['number']}**. "
                    f"{' '.join(priced.notes)} We'll write to {new.customer_email}.")
        else:
            text = (f"Thank you, {new.customer_name}! Your order number is **{stored['number']}**. "
                    f"Total {money(priced.total, priced.currency)}; we'll make it in {product.lead_time_days} "
                    f"business days and send updates to {new.customer_email}.")
        dispatcher.utter_message(text=text)
        return reset_order() + [SlotSet("last_order", stored["number"])] + offer_second_order(
            dispatcher, tracker, product, selections, typed)

    @staticmethod
    def _refuse(dispatcher: CollectingDispatcher, tracker: Tracker, problems: List[PlacementProblem]) -> List[EventType]:
        """Nothing stored: the reasons to the customer (the first three) and all to the log."""
        logger.warning("refused to place the order of conversation %s: %s", tracker.sender_id,
                       "; ".join(f"{problem.reason.value} {problem.option_id}: {problem.message}" for problem in problems))
        reasons = "; ".join(problem.message for problem in problems[:3])
        dispatcher.utter_message(text=f"Sorry, I can't place this order ({reasons}), so nothing was stored. "
                                      "Let's start again.")
        return reset_order()


def offer_standing(tracker: Tracker) -> bool:
    """The rest of a split was offered as another order and not yet answered yes or no."""
    offered = tracker.get_slot(SPLIT_SLOT)
    return isinstance(offered, dict) and bool(offered.get("offered"))


def offer_words(product: Product, left: Remembered, placed: Dict[str, Any]) -> str:
    """The question offering the next part of a split: what it is, and what it would hold."""
    following = next_order(left, product, placed)
    count, values = left.parts[0]
    asked = f"{count} × " + ", ".join(product.option(o).value(v).name for o, v in values.items())
    return (f"You also asked for {asked}. Shall I start that as another order: the same {product.name} "
            f"with {following.said}?")


OFFER_BUTTONS = ("Yes, start it", "No, thanks")


def offer_second_order(dispatcher: CollectingDispatcher, tracker: Tracker, product: Product, placed: Dict[str, Any],
                       typed: Dict[str, str]) -> List[EventType]:
    """After an order is placed: the rest of a split the customer asked for ("the other 2
    in the light blue poplin") offered as the next order, with what it would hold."""
    left = after_placing(Remembered.from_slot(resources.catalog(), tracker.get_slot(SPLIT_SLOT)), product, placed)
    if left is None:
        return [SlotSet(SPLIT_SLOT, None)]
    dispatcher.utter_message(text=offer_words(product, left, placed), buttons=confirmation_buttons(*OFFER_BUTTONS))
    return [SlotSet(SPLIT_SLOT, {**left.as_slot(), "offered": True, "base": placed, "typed": typed})]


def answer_second_order(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Yes to the offer starts the next order of the split (the order form shows its summary
    or asks what did not carry over); no forgets the rest; anything else is answered and
    the offer asked again, so it stands until it is answered."""
    message = Message.of(tracker)
    offered = tracker.get_slot(SPLIT_SLOT)
    catalog = resources.catalog()
    remembered = Remembered.from_slot(catalog, offered)
    product = catalog.find_product(remembered.product_id) if remembered else None
    base = offered.get("base")
    if remembered is None or product is None or not isinstance(base, dict) or says_no(message):
        dispatcher.utter_message(text="OK, just the one order then. Anything else I can make for you?")
        return [SlotSet(SPLIT_SLOT, None)]
    if not says_yes(message):
        events = answer_question(dispatcher, tracker, message, Draft(None, {}))
        dispatcher.utter_message(text="About the rest: " + offer_words(product, remembered, base),
                                 buttons=confirmation_buttons(*OFFER_BUTTONS))
        return events
    following = next_order(remembered, product, base)
    typed = {k: v for k, v in (offered.get("typed") or {}).items() if k in following.selections}
    dispatcher.utter_message(text=f"Here is your next {product.name}: the same as order "
                                  f"{tracker.get_slot('last_order')}, with {following.said}.")
    return start_order_events(product, message) + [
        SlotSet("selections", following.selections), SlotSet("typed", typed),
        SlotSet(SPLIT_SLOT, following.left.as_slot() if following.left else None), FollowupAction("order_form"),
    ]
