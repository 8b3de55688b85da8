"""rasa-sdk actions of the order conversation: thin glue between Rasa and the order core."""

from __future__ import annotations

import abc
import logging
import uuid
from typing import Any, Dict, List, Optional, Text

from email_validator import EmailNotValidError, validate_email
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.catalog import Catalog, ChoiceValue, Option, Product, current_catalog
from actions.expressions import format_number
from actions.order import (
    display_value,
    money,
    next_missing_option,
    quote,
    summary_text,
    valid_values,
    violations,
)
from actions.settings import database_url
from actions.store import NewOrder, OrderStore
from actions.values import match_choice, normalize, number_range, parse_answer

logger = logging.getLogger(__name__)

ORDER_SLOTS = ("product", "selections", "specs_complete", "draft_id", "answered_turn", "changing")
CONTACT_SLOTS = ("customer_name", "customer_email", "customer_address")

_stores: Dict[str, OrderStore] = {}


def order_store() -> OrderStore:
    """One store per database URL, migrated on first use."""
    url = database_url()
    if url not in _stores:
        store = OrderStore(url)
        store.migrate()
        _stores[url] = store
    return _stores[url]


def user_turn(tracker: Tracker) -> int:
    """How many messages the customer has sent: identifies the message being handled."""
    return sum(1 for event in tracker.events if event.get("event") == "user")


def product_chooser(catalog: Catalog) -> Option:
    """The catalog's products as a choice, so products are matched like any value."""
    return Option(
        id="product",
        name="product",
        kind="choice",
        values=[
            ChoiceValue(id=p.id, name=p.name, synonyms=p.synonyms, description=p.description)
            for p in catalog.products
        ],
    )


def find_product(catalog: Catalog, tracker: Tracker) -> Optional[Product]:
    """The product named by a button's entity or by the customer's words."""
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "product":
            product = catalog.find_product(str(entity.get("value")))
            if product:
                return product
    matches, certain = match_choice(product_chooser(catalog), tracker.latest_message.get("text") or "")
    return catalog.product(matches[0].id) if matches and certain else None


def entity_value(tracker: Tracker, name: str) -> Optional[str]:
    return next(
        (str(e["value"]) for e in tracker.latest_message.get("entities", []) if e.get("entity") == name),
        None,
    )


def product_buttons(catalog: Catalog) -> List[Dict[str, str]]:
    return [
        {"title": product.name, "payload": f'/order_product{{"product":"{product.id}"}}'}
        for product in catalog.products
    ]


def choice_buttons(product: Product, option: Option, values: List[ChoiceValue]) -> List[Dict[str, str]]:
    buttons = []
    for value in values:
        price = f" (+{money(value.price, product.currency)})" if value.price else ""
        buttons.append({"title": f"{value.name}{price}", "payload": f'/inform{{"choice":"{value.id}"}}'})
    return buttons


class ActionListProducts(Action):
    """Greeting and "what can you make?": the products, each a button."""

    def name(self) -> Text:
        return "action_list_products"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        catalog = current_catalog()
        lines = [f"- **{p.name}**: {p.description}" for p in catalog.products]
        greeting = "Hello! " if tracker.latest_message.get("intent", {}).get("name") == "greet" else ""
        dispatcher.utter_message(
            text=f"{greeting}Welcome to {catalog.shop.name}. We make to order:\n" + "\n".join(lines)
            + "\nWhat would you like?",
            buttons=product_buttons(catalog),
        )
        return []


class ActionStartOrder(Action):
    """Starts a fresh order; fills the product when the customer named one."""

    def name(self) -> Text:
        return "action_start_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        catalog = current_catalog()
        product = find_product(catalog, tracker)
        events: List[EventType] = [
            SlotSet("selections", {}),
            SlotSet("specs_complete", None),
            SlotSet("changing", None),
            SlotSet("draft_id", uuid.uuid4().hex),
            SlotSet("answered_turn", user_turn(tracker)),
            SlotSet("product", product.id if product else None),
        ]
        if product:
            dispatcher.utter_message(
                text=f"Great, let's put together your {product.name}. "
                f"I'll ask {len(product.options)} short questions; it takes {product.lead_time_days} business days to make."
            )
        return events


class ActionAskProduct(Action):
    def name(self) -> Text:
        return "action_ask_product"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        catalog = current_catalog()
        names = ", ".join(p.name for p in catalog.products)
        dispatcher.utter_message(text=f"Which product would you like? We make: {names}.", buttons=product_buttons(catalog))
        return []


class ActionAskSpecsComplete(Action):
    """Asks the next option the product needs, or which option to change."""

    def name(self) -> Text:
        return "action_ask_specs_complete"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        product = current_catalog().find_product(tracker.get_slot("product"))
        if product is None:
            return []
        selections = tracker.get_slot("selections") or {}
        option = next_missing_option(product, selections)
        if option is None:
            dispatcher.utter_message(
                text="Which option would you like to change? Or say \"nothing\" to keep the order as it is.",
                buttons=[
                    {"title": f"{o.name}: {display_value(o, selections.get(o.id))}", "payload": f'/inform{{"option":"{o.id}"}}'}
                    for o in product.options
                ] + [{"title": "Nothing, it's fine", "payload": "/affirm"}],
            )
            return []
        ask_option(dispatcher, product, selections, option)
        return []


def ask_option(dispatcher: CollectingDispatcher, product: Product, selections: Dict[str, Any], option: Option) -> None:
    position = product.option_ids.index(option.id) + 1
    question = option.question or f"What {option.name.lower()} would you like?"
    prefix = f"({position}/{len(product.options)}) "
    if option.kind == "choice":
        values = valid_values(product, selections, option)
        dispatcher.utter_message(text=prefix + question, buttons=choice_buttons(product, option, values))
    elif option.kind == "number":
        other_units = [u for u in option.accept_units if u != option.unit]
        also = f"; {', '.join(other_units)} are fine too" if other_units else ""
        dispatcher.utter_message(text=f"{prefix}{question} ({number_range(option)}{also})")
    elif option.kind == "yesno":
        price = f" (+{money(option.price, product.currency)})" if option.price else ""
        dispatcher.utter_message(
            text=prefix + question + price,
            buttons=[{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
        )
    else:
        price = f" (+{money(option.price, product.currency)})" if option.price else ""
        example = f' For example: {option.example}.' if option.example else ""
        dispatcher.utter_message(text=prefix + question + price + example)


class ValidateOrderForm(Action):
    """Reads each answer of the order form against the catalog.

    A plain Action (not FormValidationAction) because the form's questions come from the
    catalog: one required slot, specs_complete, stays empty until every option is valid,
    and the answers themselves live in the `selections` slot.
    """

    def name(self) -> Text:
        return "validate_order_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        turn = user_turn(tracker)
        if tracker.get_slot("answered_turn") == turn:
            return []  # this message was already read (form activation, return from a digression)
        requested = tracker.get_slot("requested_slot")
        catalog = current_catalog()
        events: List[EventType] = [SlotSet("answered_turn", turn)]
        if requested == "product":
            product = find_product(catalog, tracker)
            if product is None:
                dispatcher.utter_message(text="Sorry, I didn't recognise that product.")
                return events + [SlotSet("product", None)]
            dispatcher.utter_message(text=f"Great, let's put together your {product.name}.")
            return events + [SlotSet("product", product.id), SlotSet("selections", {}), SlotSet("draft_id", uuid.uuid4().hex)]
        if requested != "specs_complete":
            return events
        product = catalog.find_product(tracker.get_slot("product"))
        if product is None:
            return events + [SlotSet("product", None)]
        selections = dict(tracker.get_slot("selections") or {})
        text = tracker.latest_message.get("text") or ""
        option = next_missing_option(product, selections)
        if option is None:
            return events + self._choose_change(dispatcher, tracker, product, selections, text)
        return events + self._answer(dispatcher, tracker, product, selections, option, text)

    def _answer(self, dispatcher, tracker, product, selections, option, text) -> List[EventType]:
        chosen = entity_value(tracker, "choice")
        if option.kind == "choice" and chosen and any(v.id == chosen for v in option.values):
            parsed = parse_answer(option, option.value(chosen).name)
        elif option.kind == "yesno" and tracker.latest_message.get("intent", {}).get("name") in ("affirm", "deny"):
            parsed = parse_answer(option, "yes" if tracker.latest_message["intent"]["name"] == "affirm" else "no")
        else:
            parsed = parse_answer(option, text)
        if not parsed.ok:
            valid_ids = {v.id for v in valid_values(product, selections, option)} if option.kind == "choice" else set()
            candidates = [c for c in parsed.candidates if c.id in valid_ids]
            dispatcher.utter_message(text=parsed.error, buttons=choice_buttons(product, option, candidates) if candidates else [])
            return [SlotSet("specs_complete", None)]
        trial = {**selections, option.id: parsed.value}
        broken = violations(product, trial, option.id)
        if broken:
            message = " ".join(v.message for v in broken)
            if option.kind == "choice":
                fitting = valid_values(product, selections, option)
                names = ", ".join(v.name for v in fitting)
                message += f" With your other choices these would work: {names}." if fitting else ""
            dispatcher.utter_message(text=message)
            return [SlotSet("specs_complete", None)]
        if parsed.note:
            dispatcher.utter_message(text=f"{parsed.note}.")
        changing = tracker.get_slot("changing")
        if changing and changing.get("option") == option.id:
            dispatcher.utter_message(text=describe_change(product, option, changing.get("old"), parsed.value, selections))
        return [
            SlotSet("selections", trial),
            SlotSet("changing", None),
            SlotSet("specs_complete", True if next_missing_option(product, trial) is None else None),
        ]

    def _choose_change(self, dispatcher, tracker, product, selections, text) -> List[EventType]:
        """All options are filled and the customer is saying which one to change."""
        if tracker.latest_message.get("intent", {}).get("name") == "affirm" or normalize(text) in ("nothing", "no", "none", "its fine", "keep it"):
            return [SlotSet("specs_complete", True)]
        option_id = entity_value(tracker, "option")
        option = product.option(option_id) if option_id in product.option_ids else None
        if option is None:
            chooser = Option(
                id="option", name="option", kind="choice",
                values=[ChoiceValue(id=o.id, name=o.name, synonyms=o.synonyms) for o in product.options],
            )
            matches, certain = match_choice(chooser, text)
            option = product.option(matches[0].id) if matches and certain else None
        if option is None:
            names = ", ".join(o.name for o in product.options)
            dispatcher.utter_message(text=f"Sorry, which option? This order has: {names}.")
            return [SlotSet("specs_complete", None)]
        old = selections.pop(option.id, None)
        # "64GB memory" names the new value too: take it straight away.
        parsed = parse_answer(option, text) if option_id is None else None
        if parsed and parsed.ok and parsed.value != old and not violations(product, {**selections, option.id: parsed.value}, option.id):
            trial = {**selections, option.id: parsed.value}
            dispatcher.utter_message(text=describe_change(product, option, old, parsed.value, selections))
            return [SlotSet("selections", trial), SlotSet("specs_complete", True)]
        return [
            SlotSet("selections", selections),
            SlotSet("changing", {"option": option.id, "old": old}),
            SlotSet("specs_complete", None),
        ]


def describe_change(product: Product, option: Option, old: Any, new: Any, others: Dict[str, Any]) -> str:
    """'Memory: 32 GB DDR5 -> 64 GB DDR5, +100 EUR' (price difference when both price)."""
    text = f"{option.name}: {display_value(option, old)} -> {display_value(option, new)}"
    if old is None or next_missing_option(product, {**others, option.id: new}) is not None:
        return text
    before = quote(product, {**others, option.id: old})
    after = quote(product, {**others, option.id: new})
    if before.total is not None and after.total is not None and before.total != after.total:
        difference = after.total - before.total
        sign = "+" if difference > 0 else "-"
        text += f", {sign}{format_number(abs(difference))} {product.currency}"
    return text


class ActionShowSummary(Action):
    def name(self) -> Text:
        return "action_show_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        product = current_catalog().find_product(tracker.get_slot("product"))
        selections = tracker.get_slot("selections") or {}
        if product is None or next_missing_option(product, selections) is not None:
            dispatcher.utter_message(text="Sorry, that order is not complete yet. Let's start again: what would you like?")
            return [SlotSet(slot, None) for slot in ORDER_SLOTS]
        priced = quote(product, selections)
        action = "send this quote request" if priced.is_quote_request else "place this order"
        dispatcher.utter_message(
            text=summary_text(product, selections, priced) + f"\n\nShall I {action}?",
            buttons=[{"title": "Yes, confirm", "payload": "/affirm"}, {"title": "No, change something", "payload": "/deny"}],
        )
        return []


class ActionReopenOrder(Action):
    """After "no" at the summary: back into the order form to change an option."""

    def name(self) -> Text:
        return "action_reopen_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return [SlotSet("specs_complete", None), SlotSet("answered_turn", user_turn(tracker))]


CONTACT_QUESTIONS = {
    "customer_name": "To place the order I need a few details. What name should go on the order?",
    "customer_email": "What email address should we send the confirmation and updates to?",
    "customer_address": "And the delivery address (street and number, postcode, town)?",
}


class ActionAskContact(Action, abc.ABC):
    """Asks one contact detail. A custom ask action rather than an utter_ask response,
    because `rasa data validate --fail-on-warnings` counts form responses as unused."""

    @property
    @abc.abstractmethod
    def slot(self) -> str:
        """The contact slot this action asks for."""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(text=CONTACT_QUESTIONS[self.slot])
        return []


class ActionAskCustomerName(ActionAskContact):
    slot = "customer_name"


class ActionAskCustomerEmail(ActionAskContact):
    slot = "customer_email"


class ActionAskCustomerAddress(ActionAskContact):
    slot = "customer_address"


class ValidateContactForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_contact_form"

    def validate_customer_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        name = " ".join(str(value or "").split())
        if not 1 <= len(name) <= 100 or name.startswith("/"):
            dispatcher.utter_message(text="Please tell me your name (up to 100 characters).")
            return {"customer_name": None}
        return {"customer_name": name}

    def validate_customer_email(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        text = str(value or "").strip()
        candidates = [word.strip("<>,;()") for word in text.split() if "@" in word] or [text]
        try:
            email = validate_email(candidates[0], check_deliverability=False).normalized
        except EmailNotValidError as error:
            dispatcher.utter_message(text=f"That email address doesn't look right ({error}). Please type it again, e.g. name@example.com.")
            return {"customer_email": None}
        return {"customer_email": email}

    def validate_customer_address(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        address = " ".join(str(value or "").split())
        if len(address) < 8 or len(address) > 300 or not any(ch.isdigit() for ch in address) and "," not in address:
            dispatcher.utter_message(text="Please give the full delivery address: street and number, postcode and town.")
            return {"customer_address": None}
        return {"customer_address": address}


class ActionPlaceOrder(Action):
    """Stores the confirmed order (once per draft) and tells the customer its number."""

    def name(self) -> Text:
        return "action_place_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        product = current_catalog().find_product(tracker.get_slot("product"))
        selections = tracker.get_slot("selections") or {}
        reset = [SlotSet(slot, None) for slot in ORDER_SLOTS + CONTACT_SLOTS]
        if product is None and tracker.get_slot("last_order"):
            # A second "yes" after the order was stored: it is stored once.
            dispatcher.utter_message(text=f"Your order {tracker.get_slot('last_order')} is placed. Anything else I can make for you?")
            return []
        if product is None or next_missing_option(product, selections) is not None:
            dispatcher.utter_message(text="Sorry, I lost track of that order; nothing was stored. Let's start again.")
            return reset
        # Rules are checked again here: nothing invalid is ever stored.
        for option in product.options:
            if violations(product, selections, option.id):
                dispatcher.utter_message(text="Sorry, that combination is not possible; nothing was stored. Let's start again.")
                return reset
        priced = quote(product, selections)
        new = NewOrder(
            draft_id=tracker.get_slot("draft_id") or uuid.uuid4().hex,
            conversation_id=tracker.sender_id,
            kind="quote_request" if priced.is_quote_request else "order",
            product_id=product.id,
            product_name=product.name,
            options={option.id: selections.get(option.id) for option in product.options},
            option_details=[
                {
                    "id": option.id, "name": option.name, "value": selections.get(option.id),
                    "label": display_value(option, selections.get(option.id)), "unit": option.unit,
                }
                for option in product.options
            ],
            derived_parts=[
                {
                    "id": c.part_id, "name": c.name, "value": c.value.id if c.value else None,
                    "label": c.label, "price": str(c.value.price) if c.value else None,
                }
                for c in priced.derived
            ],
            price_lines=[{"label": line["label"], "amount": str(line["amount"])} for line in priced.lines],
            total=priced.total,
            currency=priced.currency,
            lead_time_days=product.lead_time_days,
            customer_name=tracker.get_slot("customer_name"),
            customer_email=tracker.get_slot("customer_email"),
            customer_address=tracker.get_slot("customer_address"),
        )
        try:
            stored = order_store().place_order(new)
        except Exception:  # noqa: BLE001 - the customer gets an apology, the log the details
            logger.exception("could not store order for conversation %s", tracker.sender_id)
            dispatcher.utter_message(
                text="Sorry, something went wrong while saving your order, so it is NOT placed yet. "
                "Please say \"yes\" to try again in a moment."
            )
            return []
        if priced.is_quote_request:
            text = (
                f"Thank you, {new.customer_name}! Your quote request number is **{stored['number']}**. "
                f"{' '.join(priced.notes)} We'll write to {new.customer_email}."
            )
        else:
            text = (
                f"Thank you, {new.customer_name}! Your order number is **{stored['number']}**. "
                f"Total {money(priced.total, priced.currency)}; we'll make it in {product.lead_time_days} business days "
                f"and send updates to {new.customer_email}."
            )
        dispatcher.utter_message(text=text)
        return reset + [SlotSet("last_order", stored["number"])]
