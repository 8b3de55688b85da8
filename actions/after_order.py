"""After the order (issue 14): the customer changes a placed order ("can I change the memory
to 64 GB?"), or answers a price staff gave a quote request ("accept the quote").

No action of its own: outside an order these messages reach action_answer (a change read as
`inform` is handed over by action_start_order), which asks `read_after_order` first; the
customer's yes or no comes back to action_answer through the "pending" slot
("amend:<number>", "quote:<number>") and `confirm_after_order`. The change shown travels in
that message's metadata (AMENDMENT_KEY, like the summary's) and is checked and priced again
from the catalog when the customer says yes: nothing is taken from the tracker on trust.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.confirm import confirmation_buttons, says_no, says_yes
from actions.kit import SPLIT_SLOT, Draft, Message, resources
from bot.channels.staff_notice import announce, change_notice
from bot.core.amend import (
    AmendMode,
    ProposalStep,
    amend_mode,
    asks_to_change,
    change_lines,
    describe_lines,
    propose,
    quote_answer,
    revise,
)
from bot.core.life import OrderKind, find_order_number, status_label
from bot.core.pricing import money
from bot.core.wording import signed
from bot.store.revisions import (
    NotAmendableError,
    QuoteExpiredError,
    QuoteState,
    RevisionError,
    quote_state,
)

logger = logging.getLogger(__name__)

AMENDMENT_KEY = "amendment_of"  # {"order": number, "options": {...}} on the question's metadata
AMEND_PENDING = "amend:"
QUOTE_PENDING = "quote:"


def _orders(tracker: Tracker) -> List[Dict[str, Any]]:
    return resources.store().orders_for_conversation(tracker.sender_id)


def reads_as_change(tracker: Tracker, message: Message) -> bool:
    """A message outside an order that changes (or answers the price of) an order this
    conversation placed: action_start_order hands it to action_answer."""
    if Draft.of(tracker).started or tracker.get_slot("pending") or _split_offered(tracker):
        return False
    if not (asks_to_change(message.text) or quote_answer(message.text) is not None):
        return False
    return bool(_orders(tracker))


def _split_offered(tracker: Tracker) -> bool:
    """The rest of a split waits for yes or no (contact_form.offer_standing): that comes first."""
    offered = tracker.get_slot(SPLIT_SLOT)
    return isinstance(offered, dict) and bool(offered.get("offered"))


def read_after_order(dispatcher: CollectingDispatcher, tracker: Tracker, message: Message) -> Optional[List[EventType]]:
    """The reply to a change or a quote answer, with its events; None when the message is
    neither (the caller goes on as before)."""
    if Draft.of(tracker).started or _split_offered(tracker):
        return None
    answer = quote_answer(message.text)
    if answer is not None:
        handled = _answer_quote(dispatcher, tracker, message, answer)
        if handled is not None:
            return handled
    if not asks_to_change(message.text):
        return None
    orders = _orders(tracker)
    if not orders:
        return None
    order = _which(dispatcher, message, orders)
    if order is None:
        return []
    mode = amend_mode(order["status"])
    if mode is AmendMode.CLOSED:
        dispatcher.utter_message(text=f"Order {order['number']} is {status_label(order['status'])}, so it can no longer "
                                      "be changed. Say \"talk to a person\" if you need help with it.")
        return []
    product = resources.catalog().find_product(order["product_id"])
    if product is None:
        dispatcher.utter_message(text=f"We no longer make the {order['product_name']} as it was ordered, so I can't change "
                                      f"order {order['number']} here. Say \"talk to a person\" and our team will help.")
        return []
    proposal = propose(product, order, message.text)
    if proposal.step is ProposalStep.NOTHING:
        dispatcher.utter_message(text=f"What would you like to change in order {order['number']} "
                                      f"({order['product_name']})? Tell me the option and its new value, "
                                      "e.g. \"change the " + product.options[0].name.lower() + " to ...\".")
        return []
    if proposal.step is not ProposalStep.PROPOSED:
        dispatcher.utter_message(text=proposal.reply or f"That would not change order {order['number']}.")
        return []
    if mode is AmendMode.DIRECT:
        question = "Shall I change the order?"
        head = f"Here is the change to order {order['number']}:"
    else:
        question = "Shall I send this change request to our team?"
        head = (f"Order {order['number']} is already {status_label(order['status'])}, so our team decides on changes. "
                "The change would be:")
    dispatcher.utter_message(text=f"{head}\n{proposal.reply}\n\n{question}",
                             buttons=confirmation_buttons("Yes, change it", "No, keep it as it is"),
                             **{AMENDMENT_KEY: {"order": order["number"], "options": proposal.after}})
    return [SlotSet("pending", AMEND_PENDING + order["number"])]


def _which(dispatcher: CollectingDispatcher, message: Message, orders: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The order a change is about: the number named, else the one still open, else ask."""
    number = find_order_number(message.text)
    if number:
        order = next((o for o in orders if o["number"] == number), None)
        if order is None:
            dispatcher.utter_message(text=f"I can't find an order {number} placed in this conversation.")
        return order
    open_orders = [o for o in orders if amend_mode(o["status"]) is not AmendMode.CLOSED]
    if len(open_orders) > 1:
        listed = "; ".join(f"{o['number']} ({o['product_name']})" for o in open_orders)
        dispatcher.utter_message(text=f"You have several open orders: {listed}. Which one? Say the change again with "
                                      f"its number, e.g. \"change {open_orders[-1]['number']}: ...\".")
        return None
    return open_orders[0] if open_orders else orders[-1]


def _shown(tracker: Tracker, number: str) -> Optional[Mapping[str, Any]]:
    """The change the customer was last shown for this order (its message's metadata)."""
    for event in reversed(tracker.events):
        shown = (event.get("metadata") or {}).get(AMENDMENT_KEY) if event.get("event") == "bot" else None
        if shown is not None:
            return shown if isinstance(shown, dict) and shown.get("order") == number else None
    return None


def confirm_after_order(dispatcher: CollectingDispatcher, tracker: Tracker, message: Message,
                        pending: str) -> Optional[List[EventType]]:
    """The yes or no to a change or a quote asked by read_after_order; None for another pending question."""
    if pending.startswith(AMEND_PENDING):
        number = pending[len(AMEND_PENDING):]
        if says_yes(message):
            _make_change(dispatcher, tracker, number)
        elif says_no(message):
            dispatcher.utter_message(text=f"OK, order {number} stays as it was.")
        else:
            return None
        return []
    if pending.startswith(QUOTE_PENDING):
        number = pending[len(QUOTE_PENDING):]
        if says_yes(message):
            _store_answer(dispatcher, tracker, number, True)
        elif says_no(message):
            quote = resources.store().current_quote(number)
            until = f" until {quote['valid_until'][:10]}" if quote else ""
            dispatcher.utter_message(text=f"OK, the quote for {number} stays open{until}. Say \"decline the quote\" "
                                          "if you don't want it.")
        else:
            return None
        return []
    return None


def _make_change(dispatcher: CollectingDispatcher, tracker: Tracker, number: str) -> None:
    store = resources.store()
    shown = _shown(tracker, number)
    order = next((o for o in _orders(tracker) if o["number"] == number), None)
    product = resources.catalog().find_product(order["product_id"]) if order else None
    if shown is None or order is None or product is None:
        dispatcher.utter_message(text=f"Sorry, I lost track of that change, so order {number} is unchanged. "
                                      "Please tell me the change again.")
        return
    # Checked and priced again now, against the order as it is now.
    revised, problems = revise(product, shown.get("options"))
    if revised is None:
        logger.warning("change of %s refused at confirmation: %s", number, "; ".join(p.message for p in problems))
        dispatcher.utter_message(text=f"Sorry, I can't make that change ({'; '.join(p.message for p in problems[:3])}), "
                                      f"so order {number} is unchanged.")
        return
    lines = change_lines(product, order["options"], revised.options)
    if not lines:
        dispatcher.utter_message(text=f"Order {number} already has that: nothing to change.")
        return
    words = describe_lines(lines, order["currency"])
    try:
        if amend_mode(order["status"]) is AmendMode.DIRECT:
            try:
                done = store.amend(number, tracker.sender_id, revised, lines)
            except NotAmendableError:
                done = None  # confirmed meanwhile: a request instead
            if done is not None:
                announce(change_notice(done["order"], words, request=False), number)
                dispatcher.utter_message(text=_changed_text(done["order"], order))
                return
        request = store.request_change(number, tracker.sender_id, revised.options, lines, revised.total)
    except RevisionError as error:
        dispatcher.utter_message(text=f"Sorry, order {number} can't be changed: {error}.")
        return
    announce(change_notice(order, words, request=True), number)
    logger.info("change request %s for %s", request["id"], number)
    dispatcher.utter_message(text=f"I've sent your change request for order {number} to our team. They'll accept or "
                                  f"refuse it, and you'll hear which here and at {order['customer_email']}.")


def _changed_text(after: Mapping[str, Any], before: Mapping[str, Any]) -> str:
    text = f"Done: order {after['number']} is changed."
    if after["total"] is not None:
        total = Decimal(after["total"])
        text += f" New total: {money(total, after['currency'])}"
        if before["total"] is not None and total != Decimal(before["total"]):
            text += f" ({signed(total - Decimal(before['total']), after['currency'])})"
        text += "."
    elif after["kind"] == OrderKind.QUOTE_REQUEST:
        text += " It is a quote request: our team will send you a price."
    return text + f" A confirmation is on its way to {after['customer_email']}."


# ---------------------------------------------------------------------------- quotes


def _quote_requests(tracker: Tracker) -> List[Dict[str, Any]]:
    return [o for o in _orders(tracker) if o["kind"] == OrderKind.QUOTE_REQUEST]


def _answer_quote(dispatcher: CollectingDispatcher, tracker: Tracker, message: Message,
                  accept: bool) -> Optional[List[EventType]]:
    requests = _quote_requests(tracker)
    if not requests:
        return None
    number = find_order_number(message.text)
    order = next((o for o in requests if o["number"] == number), None) if number else requests[-1]
    if order is None:
        return None
    _store_answer(dispatcher, tracker, order["number"], accept)
    return []


def _store_answer(dispatcher: CollectingDispatcher, tracker: Tracker, number: str, accept: bool) -> None:
    store = resources.store()
    state = quote_state(store.current_quote(number))
    if state is QuoteState.WAITING:
        dispatcher.utter_message(text=f"Our team hasn't priced quote {number} yet; you'll hear from us as soon as they do.")
        return
    try:
        result = store.answer_quote(number, tracker.sender_id, accept)
    except QuoteExpiredError:
        dispatcher.utter_message(text=f"Sorry, the quote for {number} has expired. Say \"talk to a person\" and our team "
                                      "will give you a new price.")
        return
    except RevisionError as error:
        dispatcher.utter_message(text=f"Sorry, I can't do that: {error}.")
        return
    order = result["order"]
    if accept:
        announce(f"Quote {number} accepted by the customer: now an order at "
                 f"{money(Decimal(order['total']), order['currency'])}", number)
        dispatcher.utter_message(text=f"Thank you! Quote {number} is now an order at "
                                      f"{money(Decimal(order['total']), order['currency'])}. We'll make it in "
                                      f"{order['lead_time_days']} business days and send updates to "
                                      f"{order['customer_email']}.")
    else:
        announce(f"Quote {number} declined by the customer", number)
        dispatcher.utter_message(text=f"OK, I've declined the quote for {number}. Thank you for asking us.")


def offer_quote(dispatcher: CollectingDispatcher, tracker: Tracker, now: Optional[datetime] = None) -> List[EventType]:
    """After the order status, a priced quote not yet answered: its price, and yes or no."""
    for order in reversed(_quote_requests(tracker)):
        quote = resources.store().current_quote(order["number"])
        state = quote_state(quote, now)
        if state is QuoteState.EXPIRED and quote is not None:
            dispatcher.utter_message(text=f"The price for quote {order['number']} was valid until "
                                          f"{quote['valid_until'][:10]} and has expired. Say \"talk to a person\" "
                                          "if you would like a new price.")
            return []
        if state is QuoteState.OFFERED and quote is not None:
            note = f" ({quote['note']})" if quote["note"] else ""
            dispatcher.utter_message(
                text=f"Quote {order['number']}: {money(Decimal(quote['total']), order['currency'])}{note}, valid until "
                     f"{quote['valid_until'][:10]}. Shall I order it at that price?",
                buttons=confirmation_buttons("Yes, order it", "Not now"))
            return [SlotSet("pending", QUOTE_PENDING + order["number"])]
    return []
