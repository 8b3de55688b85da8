"""What every action needs: the action server's resources (catalog and order store), the
message, the order in progress, and the answers to questions a customer may ask at any
point."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.identity import LINK_INTENT, customer_orders, offer_code, redeem_code, say_other_order_stays
from actions.ties import listed_reply
from bot.core.catalog import Catalog, CatalogFile, Option, Product
from bot.store.links import Redeemed
from bot.core.contact import delivery_answer
from bot.core import knowledge
from bot.core.language import catalog_words, detect_language, other_language_reply
from bot.core.life import find_order_number, status_label
from bot.core.limits import MAX_MESSAGE_CHARS
from bot.core.phrases import name_list
from bot.core.pricing import money
from bot.core.refusals import NOT_UNDERSTOOD
from bot.core.products import only_figures, option_named, product_named, product_of_options
from bot.core.questions import asks_back
from bot.core.selections import next_missing_option
from bot.core.values import display_value
from bot.core.wording import chosen_so_far, describe_option, lead_time_text, price_so_far_text, progress, status_words
from bot.settings import Settings
from bot.store.flags import FlagKind
from bot.store.orders import OrderStore, OrderStoreError

# Intents that are answers (or may carry answers); anything else is a question or request.
ANSWER_INTENTS = {"inform", "order_product", "affirm", "deny", "nlu_fallback", "greet", "thank"}
QUESTION_CONFIDENCE = 0.5
ORDER_SLOTS = ("product", "selections", "typed", "specs_complete", "draft_id", "answered_turn", "changing", "pending", "failures",
               "order_confirmed")
CONTACT_SLOTS = ("customer_name", "customer_email", "customer_address")
# The rest of a split ("1 linen and 2 poplin"), offered as another order once this one is
# placed (bot/core/second_order.py); kept apart from the order's slots, which placing clears.
SPLIT_SLOT = "split_rest"



class Resources:
    """What the actions share in the action server: the catalog and the order store.

    rasa-sdk imports every module of actions/ at start-up and makes the actions itself, so
    this holder starts empty and builds each part on first use from the settings read then.
    Tests that point the settings elsewhere call reset() (which also closes the store).
    """

    def __init__(self) -> None:
        self._settings: Optional[Settings] = None
        self._catalog: Optional[CatalogFile] = None
        self._store: Optional[OrderStore] = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_env()
        return self._settings

    def catalog(self) -> Catalog:
        """The catalog, read again when its file changes."""
        if self._catalog is None:
            self._catalog = CatalogFile(self.settings.catalog_path)
        return self._catalog.catalog()

    def store(self) -> OrderStore:
        """The order store, its database created or migrated on first use."""
        if self._store is None:
            store = OrderStore(self.settings.database_url)
            store.migrate()
            self._store = store
        return self._store

    def reset(self) -> None:
        if self._store is not None:
            self._store.dispose()
        self._settings, self._catalog, self._store = None, None, None


resources = Resources()


@dataclass
class Message:
    """The customer's latest message as the actions read it."""

    text: str
    intent: str
    confidence: float
    entities: List[Dict[str, Any]]
    turn: int  # how many messages the customer has sent: identifies this one

    @classmethod
    def of(cls, tracker: Tracker) -> "Message":
        latest = tracker.latest_message or {}
        intent = latest.get("intent") or {}
        return cls(
            text=latest.get("text") or "",
            intent=intent.get("name") or "",
            confidence=float(intent.get("confidence") or 0.0),
            entities=latest.get("entities") or [],
            turn=sum(1 for event in tracker.events if event.get("event") == "user"),
        )

    def entity(self, name: str) -> Optional[str]:
        return next((str(e["value"]) for e in self.entities if e.get("entity") == name), None)

    @property
    def is_question(self) -> bool:
        """A question or request rather than an answer (confidently so)."""
        return self.intent not in ANSWER_INTENTS and self.confidence >= QUESTION_CONFIDENCE

    @property
    def empty(self) -> bool:
        """No readable text: empty, or only control characters (removed where it came in)."""
        return not self.text.strip()

    @property
    def too_long(self) -> bool:
        return len(self.text) > MAX_MESSAGE_CHARS


@dataclass
class Draft:
    """The order being specified in this conversation, if any."""

    product: Optional[Product]
    selections: Dict[str, Any]

    @classmethod
    def of(cls, tracker: Tracker, catalog: Optional[Catalog] = None) -> "Draft":
        catalog = catalog or resources.catalog()
        return cls(catalog.find_product(tracker.get_slot("product")), dict(tracker.get_slot("selections") or {}))

    @property
    def started(self) -> bool:
        return self.product is not None

    @property
    def progress(self) -> str:
        return progress(self.product, self.selections)


def reset_order() -> List[EventType]:
    return [SlotSet(slot, None) for slot in ORDER_SLOTS + CONTACT_SLOTS]


# The keys of a bot message that Rasa keeps as the bot event's data (the rest is its metadata).
BOT_DATA_KEYS = ("elements", "quick_replies", "buttons", "attachment", "image", "custom")


def tracker_after(tracker: Tracker, events: List[EventType], messages: List[Dict[str, Any]]) -> Tracker:
    """The tracker as Rasa will have it once `events` and the bot `messages` of this reply
    are applied: what the form's next question is asked from."""
    slots = dict(tracker.slots)
    for event in events:
        if event.get("event") == "slot":
            slots[event["name"]] = event.get("value")
    said = [{"event": "bot", "text": m.get("text"), "data": {key: m.get(key) for key in BOT_DATA_KEYS},
             "metadata": {k: v for k, v in m.items() if k not in BOT_DATA_KEYS + ("text", "template", "response")}}
            for m in messages]
    return Tracker(tracker.sender_id, slots, tracker.latest_message, list(tracker.events) + list(events) + said,
                   tracker.is_paused(), tracker.followup_action, tracker.active_loop, tracker.latest_action_name)


def next_slot(domain: DomainDict, form: str, tracker: Tracker) -> Optional[str]:
    """The form's first required slot still empty: the one Rasa's form would request next."""
    required = ((domain.get("forms") or {}).get(form) or {}).get("required_slots") or []
    return next((slot for slot in required if tracker.get_slot(slot) is None), None)


class FormValidation(Action, metaclass=abc.ABCMeta):
    """A form's validation action that also asks the form's next question (issue 12).

    Rasa's form calls the action server once to validate the message and once more to ask
    the next slot (action_ask_<slot>), each call posting the whole tracker. The domain has
    no action_ask_* for our forms, so the form asks nothing itself: this reply sets
    requested_slot and carries the question, and Rasa's form only follows it. Abstract, so
    rasa-sdk registers only the forms' subclasses."""

    @property
    @abc.abstractmethod
    def form(self) -> str:
        """The form's name in the domain."""

    @abc.abstractmethod
    async def validate(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> List[EventType]:
        """The events of reading the customer's message."""

    @abc.abstractmethod
    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> List[EventType]:
        """Asks for `slot`, from the tracker as it is after the validation."""

    def name(self) -> Text:
        return f"validate_{self.form}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        events = await self.validate(dispatcher, tracker, domain)
        if any(event.get("event") == "active_loop" and event.get("name") is None for event in events):
            return events  # the validation ended the form (a confirmed cancel)
        after = tracker_after(tracker, events, dispatcher.messages)
        slot = next_slot(domain, self.form, after)
        if slot is None:
            return events  # every required slot is filled: Rasa's form ends
        return events + [SlotSet("requested_slot", slot)] + self.ask(dispatcher, after, slot)


def say_other_language(dispatcher: CollectingDispatcher, tracker: Tracker, message: Message) -> bool:
    """A message confidently in another language: say, in it and in English, that we take
    orders in English, and take nothing from it (the caller asks its question again)."""
    code = detect_language(message.text, known_words=catalog_words(resources.catalog()))
    if code is None:
        return False
    dispatcher.utter_message(text=other_language_reply(code, order_kept=Draft.of(tracker).started))
    return True


def say_too_long(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(
        text=f"Sorry, that message is too long for me (over {MAX_MESSAGE_CHARS:,} characters). "
        "Please send a shorter one; nothing of your order was lost."
    )


NOT_UNDERSTOOD_TEXT = ("Sorry, I didn't understand that. I can take an order for one of our products: "
                        "say \"what can you make?\" to see them.")


def say_not_understood(dispatcher: CollectingDispatcher) -> None:
    """Nothing in the message could be read (marked so for the staff's conversation index)."""
    dispatcher.utter_message(text=NOT_UNDERSTOOD_TEXT, **NOT_UNDERSTOOD)


def say_empty(dispatcher: CollectingDispatcher) -> None:
    """A message with no readable text (only control or invisible characters) is told so,
    not read as something not understood; nothing of the order is changed."""
    dispatcher.utter_message(text="Your message came through empty: it had no text I can read (only invisible or "
                                  "control characters). Please type it again; nothing of your order was changed.")


def find_product(catalog: Catalog, message: Message) -> Optional[Product]:
    """The product named by a button's entity or by the customer's words."""
    named = message.entity("product")
    if named and catalog.find_product(named):
        return catalog.find_product(named)
    return product_named(catalog, message.text)


def named_option(product: Product, message: Message) -> Optional[Option]:
    """The option a message is about: a button's entity, its name, or a value of it."""
    named = message.entity("option")
    if named in product.option_ids:
        return product.option(named)
    return option_named(product, message.text)


def product_for(message: Message) -> Optional[Product]:
    """The product a message names, or the only one whose options it names ("an i5 with 32GB");
    never one guessed from a bare figure its units happen to fit ("15.5 inches")."""
    catalog = resources.catalog()
    return find_product(catalog, message) or product_of_options(catalog, message.text)


def say_figures_unplaced(dispatcher: CollectingDispatcher, message: Message) -> bool:
    """A bare figure outside an order: said not kept, the product asked (by the form, with
    its buttons). True when it was one."""
    if message.text.startswith("/") or not any(only_figures(p, message.text) for p in resources.catalog().products):
        return False
    said = f"“{message.text.strip()}”" if len(message.text.strip()) <= 40 else "that figure"
    dispatcher.utter_message(text=f"I can't tell which product {said} is for, so I haven't kept it yet.")
    return True


def product_buttons(catalog: Catalog) -> List[Dict[str, str]]:
    return [{"title": p.name, "payload": f'/order_product{{"product":"{p.id}"}}'} for p in catalog.products]


# Questions the intent model may read as about the options that can ask back about an answer
RECALLABLE = frozenset({"ask_options", "ask_advice", "ask_shop", "list_products", "help"})


async def link_in_order(dispatcher: CollectingDispatcher, tracker: Tracker, code: str) -> None:
    """A link code typed in the middle of an order: linked (or told why not) and the order
    goes on, its question asked again; the other chat's unfinished order stays there."""
    result = await redeem_code(dispatcher, resources.store(), resources.settings, tracker.sender_id, code)
    if result is None or result.outcome is not Redeemed.LINKED:
        return
    other = resources.catalog().find_product(result.carried.get("product") or "")
    if other is not None:
        say_other_order_stays(dispatcher, other.name)


def answer_question(dispatcher: CollectingDispatcher, tracker: Tracker, message: Message, draft: Draft) -> List[EventType]:
    """Answers a question or request that is not an answer to the current question.

    Used inside the forms (which then ask their question again) and outside them.
    """
    catalog = resources.catalog()
    intent = message.intent
    product = draft.product
    say = dispatcher.utter_message
    if intent in RECALLABLE and product is not None and asks_back(message.text) and named_option(product, message):
        intent = "ask_summary"  # "which case did I go for?", "what's the roof again?": the answer given, not the list
    if intent == "list_products" and product is not None and named_option(product, message):
        intent = "ask_options"  # "what widths do you offer?" in an order: that option's values, not the products
    if intent == "ask_price":
        if not draft.started:  # "how much is the cheapest PC?": the from-price, worked out from the catalog
            say(text=knowledge.price_answer(catalog, message.text).text, buttons=product_buttons(catalog))
        else:
            say(text=price_so_far_text(product, draft.selections))
    elif intent in ("ask_shop", "ask_advice"):
        focus = next_missing_option(product, draft.selections) if product is not None else None
        say_knowledge(dispatcher, tracker, message, product, advice_first=intent == "ask_advice", focus=focus)
    elif intent == "ask_summary":  # "what did you put for the load?" gets that option, "what have I chosen?" all
        option = named_option(product, message) if product else None
        if option is not None and option.id in draft.selections:
            say(text=f"{option.name}: {display_value(option, draft.selections[option.id])}.")
        elif option is not None and draft.started:
            say(text=f"You haven't chosen the {option.name.lower()} yet.")
        else:
            say(text=chosen_so_far(product, draft.selections) if draft.started else "You haven't started an order yet.")
    elif intent == "ask_lead_time":
        say(text=lead_time_text([product] if product else catalog.products))
    elif intent == "ask_options":
        option = named_option(product, message) if product else None
        if option is None and product is None:  # "how do I measure my neck?" before any order: any product's option
            found = knowledge.shop_answer(catalog, message.text)
            if found.kind in (knowledge.AnswerKind.HELP, knowledge.AnswerKind.VALUE, knowledge.AnswerKind.MAKES):
                say(text=found.text)
                return []
        elsewhere = knowledge.others_option_answer(catalog, product, message.text) if option is None and product else None
        if elsewhere is not None:  # "which collars do you offer" in a conveyor order
            say(text=elsewhere.text)
            return []
        if option is None and product is not None:
            option = next_missing_option(product, draft.selections)
        if option is not None:
            help_text = f"\n{option.help}" if option.help else ""
            say(text=describe_option(product, option) + help_text)
        elif product is not None:
            say(text=f"The {product.name} has these options: " + name_list((o.name for o in product.options), "and") + ".")
        else:
            say(text="We make: " + name_list((p.name for p in catalog.products), "and") + ". Pick one to see its options.",
                buttons=product_buttons(catalog))
    elif intent == "ask_delivery":  # "do you ship to Canada?": a plain yes or no when a country is named
        say(text=delivery_answer(message.text, catalog.shop) or catalog.shop.delivery)
    elif intent == "human":
        resources.store().flag_conversation(tracker.sender_id, "customer asked for a person", FlagKind.PERSON_ASKED)
        say(text="I've asked a person from our team to join this conversation; they'll reply here as soon as they can. "
                 "Everything you've chosen so far is kept.")
    elif intent in ("order_status", "my_orders"):
        say_orders(dispatcher, tracker, message)
    elif intent == LINK_INTENT:  # "continue on the web" in the middle of an order (a code typed: the form links)
        offer_code(dispatcher, resources.store(), resources.settings, tracker.sender_id,
                   {slot: tracker.get_slot(slot) for slot in ORDER_SLOTS + CONTACT_SLOTS})
    elif intent == "list_products":
        lines = "\n".join(f"- **{p.name}**: {p.description}" for p in catalog.products)
        now = f"\nYou're putting together a {product.name}; say \"cancel\" to choose something else." if product else ""
        say(text=f"We make to order:\n{lines}{now}")
    elif intent == "greet":
        if product:
            say(text=f"Hello again! We're working on your {product.name} ({draft.progress} answered); "
                     "let's carry on, or say \"start over\" to begin again.")
        else:
            say(text="Hello!")
    elif intent == "thank":
        say(text="You're welcome!" if product else "You're welcome! Anything else I can make for you?")
    elif intent == "goodbye":
        later = f" Your {product.name} order is kept here; come back any time to finish it." if product else ""
        say(text="Goodbye!" + later)
    elif intent == "help":
        say(text="I take orders for what we make: I ask for each option and check it against what's possible. "
                 "You can answer several things at once, change any answer (\"make the memory 64GB\"), ask "
                 "\"how much so far?\", \"what have I chosen?\", \"what are the options?\", \"how long does it take?\", "
                 "say \"cancel\" or \"start over\", or ask to talk to a person.")
    else:
        found = knowledge.answer(catalog, message.text, product) if message.text.strip() else knowledge.unknown()
        if found.known:
            say(text=found.text)
            return []
        names = name_list((p.name for p in catalog.products), "or")
        say(text=f"I'm the order assistant of {catalog.shop.name}: I can take your order for a {names}, "
                 "and answer questions about prices, options, lead times and delivery.")
    return []


def say_knowledge(dispatcher: CollectingDispatcher, tracker: Tracker, message: Message, product: Optional[Product],
                  advice_first: bool = False, focus: Optional[Option] = None) -> None:
    """A shop question or a request for advice, answered from the catalog's knowledge; what it
    does not cover is said plainly and the conversation flagged for the team."""
    catalog = resources.catalog()
    draft = Draft.of(tracker, catalog)
    chosen = draft.selections if product is not None and draft.product is not None and draft.product.id == product.id else None
    found = knowledge.answer(catalog, message.text, product, advice_first=advice_first, focus=focus, chosen=chosen)
    if not found.known:
        resources.store().flag_conversation(tracker.sender_id, f"question the catalog does not answer: {message.text[:200]}",
                                           FlagKind.UNANSWERED_QUESTION)
    buttons: List[Dict[str, str]] = []
    if product is None and found.kind in (knowledge.AnswerKind.MAKES, knowledge.AnswerKind.DOES_NOT_MAKE):
        # Outside an order the way on is a product (inside one, the form asks its question again).
        named = {topic.product_id for topic in found.topics}
        buttons = [b for b in product_buttons(catalog) if not named or any(f'"{p}"' in b["payload"] for p in named)]
    elif product is None and found.suggestions:  # pressing one asks that question in the shop's own words
        buttons = [{"title": question, "payload": question} for question in found.suggestions]
    dispatcher.utter_message(text=found.text, buttons=buttons, **listed_reply(product, found.topics))


def say_orders(dispatcher: CollectingDispatcher, tracker: Tracker, message: Message) -> None:
    """Order status for this customer's orders only (this conversation's and those of the
    conversations linked to it by a code): another customer's number gets nothing."""
    orders = customer_orders(resources.store(), tracker.sender_id)
    number = find_order_number(message.text)
    if number:
        order = next((o for o in orders if o["number"] == number), None)
        if order is None:
            dispatcher.utter_message(text=f"I can't find an order {number} placed in this conversation. "
                                          "Please check the number, or ask to talk to a person.")
            return
        orders = [order]
    elif message.intent == "order_status" and orders:
        orders = orders[-1:]
    if not orders:
        dispatcher.utter_message(text="You haven't placed an order in this conversation yet.")
        return
    rows = []
    for order in orders:
        total = money(Decimal(order["total"]), order["currency"]) if order["total"] is not None else "quote requested"
        rows.append(f"- **{order['number']}**: {order['product_name']}, {total}, status: {status_words(order)} "
                    f"(placed {order['created_at'][:10]})")
    dispatcher.utter_message(text=("Your order:\n" if len(rows) == 1 else "Your orders:\n") + "\n".join(rows))


def cancel_placed_order(tracker: Tracker, number: str) -> str:
    """Cancels an order of this conversation still at "received"; the reply to give."""
    try:
        resources.store().cancel(number, tracker.sender_id, "cancelled by the customer in the chat")
    except OrderStoreError as error:
        status = getattr(error, "status", None)
        if status:
            return (f"Order {number} is already {status_label(status)}, so it can't be cancelled in the chat. "
                    "Say \"talk to a person\" and our team will help.")
        return f"I can't find an order {number} placed in this conversation."
    return f"Order {number} is cancelled. Nothing will be made or charged."
