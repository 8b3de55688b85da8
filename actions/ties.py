"""A word two options share ("ash": the Ash grey finish or the Ash legs) is asked about with
buttons that carry the option as data; the next message (a button, or "the finish one")
sets exactly the candidate it picks. The question's candidates travel in the bot message's
metadata, so the answer is read against what was asked, never against the question's text."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker

from bot.core.catalog import Product
from bot.core.choices import tie_answer, tie_asked, tie_data, tie_from_data
from bot.core.extract import Extraction
from bot.core.knowledge_index import Topic, TopicKind
from bot.core.pricing import money
from bot.core.reoffers import OFFERED_KEY, REFUSED_KEY, Offer, Refused
from bot.core.values import Candidate, Parsed

TIE_KEY = "asked_between"  # in the bot event's metadata: [{"option": ..., "choice": ...}]
# The values an answer listed, in its order ("what's the cheapest cpu?"): "ok that one" or
# "the second one" next is read against them. Same shape.
LISTED_KEY = "listed"


def tie_buttons(product: Product, candidates: List[Candidate]) -> List[Dict[str, str]]:
    """One button per candidate, titled with its option and setting that option."""
    buttons = []
    for c in candidates:
        price = f" (+{money(c.value.price, product.currency)})" if c.value.price else ""
        payload = "/inform" + json.dumps({"choice": c.value.id, "option": c.option_id}, separators=(",", ":"))
        buttons.append({"title": f"{product.option(c.option_id).name}: {c.value.name}{price}", "payload": payload})
    return buttons


def tie_reply(product: Product, found: Extraction) -> Dict[str, Any]:
    """The buttons and metadata of a reply whose refusals ask between options ({} for none)."""
    candidates = tie_asked(found.problems.values())
    if not candidates:
        return {}
    return {"buttons": tie_buttons(product, candidates), TIE_KEY: tie_data(candidates)}


def listed_reply(product: Optional[Product], topics: List[Topic]) -> Dict[str, Any]:
    """The metadata that keeps the order's values an answer listed ({} for none)."""
    if product is None:
        return {}
    listed = [{"option": t.option_id, "choice": t.key} for t in topics
              if t.kind == TopicKind.VALUE and t.product_id == product.id]
    return {LISTED_KEY: listed} if listed else {}


def listed_before(tracker: Tracker, product: Product) -> List[Candidate]:
    """The values the bot's reply to the customer's previous message listed."""
    return _in_last_reply(tracker, product, LISTED_KEY)


def _asked_before(tracker: Tracker, product: Product) -> List[Candidate]:
    """The candidates the bot's reply to the customer's previous message asked between."""
    return _in_last_reply(tracker, product, TIE_KEY)


def in_last_reply(tracker: Tracker, key: str) -> Any:
    """What the bot's reply to the customer's previous message kept under `key` in its
    messages' metadata (None for nothing)."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return None
        elif event.get("event") == "bot" and users == 1 and (event.get("metadata") or {}).get(key):
            return event["metadata"][key]
    return None


def in_this_reply(tracker: Tracker, key: str) -> Any:
    """What a message sent since the customer's last one keeps under `key` (None for nothing)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return None
        if event.get("event") == "bot" and (event.get("metadata") or {}).get(key):
            return event["metadata"][key]
    return None


def _in_last_reply(tracker: Tracker, product: Product, key: str) -> List[Candidate]:
    """The candidates kept under `key` by the bot's reply to the customer's previous message."""
    data = in_last_reply(tracker, key)
    return tie_from_data(product, data) if data else []


def take_tie_answer(product: Product, tracker: Tracker, text: str, entities: List[Dict[str, Any]],
                    found: Extraction) -> Optional[Candidate]:
    """The answer to the last reply's "did you mean the Ash grey finish or the Ash legs?",
    from a button's entities or the customer's words, put in `found` (said back with it);
    the candidate taken, if any."""
    option_id = next((str(e["value"]) for e in entities if e.get("entity") == "option"), None)
    value_id = next((str(e["value"]) for e in entities if e.get("entity") == "choice"), None)
    picked: Optional[Candidate] = None
    if text.startswith("/") and option_id and value_id:  # a button: the option and its value as data
        picked = next(iter(tie_from_data(product, [{"option": option_id, "choice": value_id}])), None)
    else:
        asked = _asked_before(tracker, product)
        picked = tie_answer(product, asked, text) if asked else None
    if picked is None or picked.option_id in found.values:
        return None
    found.values[picked.option_id] = Parsed(value=picked.value.id, ok=True)
    found.problems.pop(picked.option_id, None)
    return picked


# A choice a rule refused, offered again once the rule allows it (bot/core/reoffers.py): the
# refusals and the offers travel in the bot messages' metadata, like the ties above.

def _order_bot_events(tracker: Tracker) -> List[Dict[str, Any]]:
    """The bot messages since the order in progress began (its draft id was set)."""
    found: List[Dict[str, Any]] = []
    began = False  # Rasa stores an action's messages before its events: the first reply precedes the id
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") == "draft_id":
            began = True
        elif event.get("event") == "user" and began:
            break
        elif event.get("event") == "bot":
            found.append(event)
    return list(reversed(found))


def remembered_refusals(tracker: Tracker, product: Product) -> List[Refused]:
    """The choices product rules refused in this order, oldest first."""
    kept = (Refused.from_data(product, item) for event in _order_bot_events(tracker)
            for item in (event.get("metadata") or {}).get(REFUSED_KEY) or [])
    return [refused for refused in kept if refused is not None]


def offered_before(tracker: Tracker) -> List[Tuple[str, str]]:
    """(option id, value id) of every refused choice offered again in this order."""
    return [(str(item.get("option")), str(item.get("choice"))) for event in _order_bot_events(tracker)
            for item in (event.get("metadata") or {}).get(OFFERED_KEY) or [] if isinstance(item, dict)]


def offer_in_last_reply(tracker: Tracker, product: Product) -> List[Candidate]:
    """The refused choice the bot's reply to the customer's previous message offered again."""
    return _in_last_reply(tracker, product, OFFERED_KEY)


def offer_in_this_reply(tracker: Tracker) -> bool:
    """Whether a message sent since the customer's last one offers a refused choice again
    (it is the reply's question: no other question follows it)."""
    return bool(in_this_reply(tracker, OFFERED_KEY))


def offer_reply(product: Product, offer: Offer) -> Dict[str, Any]:
    """The offer's text, its buttons (the value as data, or no) and its metadata."""
    option = product.option(offer.refused.option_id)
    value = option.value(offer.refused.value_id)
    payload = "/inform" + json.dumps({"choice": value.id, "option": option.id}, separators=(",", ":"))
    return {"text": offer.text, "buttons": [{"title": f"Yes, {value.name}", "payload": payload},
                                            {"title": "No, keep it as it is", "payload": "/deny"}],
            OFFERED_KEY: [offer.as_data()]}


def refusals_reply(refused: List[Refused]) -> Dict[str, Any]:
    """The metadata that keeps a reply's refused choices ({} for none)."""
    return {REFUSED_KEY: [r.as_data() for r in refused]} if refused else {}
