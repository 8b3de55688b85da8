"""A word two options share ("ash": the Ash grey finish or the Ash legs) is asked about with
buttons that carry the option as data; the next message (a button, or "the finish one")
sets exactly the candidate it picks. The question's candidates travel in the bot message's
metadata, so the answer is read against what was asked, never against the question's text."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

from bot.core.catalog import Product
from bot.core.choices import tie_answer, tie_asked, tie_data, tie_from_data
from bot.core.extract import Extraction
from bot.core.pricing import money
from bot.core.values import Candidate, Parsed

TIE_KEY = "asked_between"  # in the bot event's metadata: [{"option": ..., "choice": ...}]


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


def _asked_before(tracker: Tracker, product: Product) -> List[Candidate]:
    """The candidates the bot's reply to the customer's previous message asked between."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return []
        elif event.get("event") == "bot" and users == 1 and (event.get("metadata") or {}).get(TIE_KEY):
            return tie_from_data(product, event["metadata"][TIE_KEY])
    return []


def take_tie_answer(product: Product, tracker: Tracker, text: str, entities: List[Dict[str, Any]],
                    found: Extraction) -> None:
    """The answer to the last reply's "did you mean the Ash grey finish or the Ash legs?",
    from a button's entities or the customer's words, put in `found` (said back with it)."""
    option_id = next((str(e["value"]) for e in entities if e.get("entity") == "option"), None)
    value_id = next((str(e["value"]) for e in entities if e.get("entity") == "choice"), None)
    picked: Optional[Candidate] = None
    if text.startswith("/") and option_id and value_id:  # a button: the option and its value as data
        picked = next(iter(tie_from_data(product, [{"option": option_id, "choice": value_id}])), None)
    else:
        asked = _asked_before(tracker, product)
        picked = tie_answer(product, asked, text) if asked else None
    if picked is None or picked.option_id in found.values:
        return
    found.values[picked.option_id] = Parsed(value=picked.value.id, ok=True)
    found.problems.pop(picked.option_id, None)
