"""A conversation's transcript from Rasa's events table, everything the transcript page
shows about it, and its exported test story.

The transcript is read from Rasa's events table (as the index is), not from Rasa's HTTP
tracker API: it works while Rasa is down or restarting, covers every session of the
conversation, and gives each event its id, which the page and the index share.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Sequence

import yaml
from sqlalchemy import select

from bot.channels.rasa import PICKED_UP, button_titles, reply_buttons
from bot.core.catalog import Catalog, CatalogFile
from bot.core.values import display_value
from bot.store.conversations import active_takeover, takeovers_for
from bot.store.orders import OrderStore
from bot.staff.conversations.events import (
    NOT_UNDERSTOOD_ACTIONS,
    channel_of,
    event_data,
    events_table,
    first_name,
    iso,
    moment,
    not_understood_reply,
    read_events,
)
from bot.staff.conversations.listing import summary_of

logger = logging.getLogger("bespoke.staff.conversations")

LOW_CONFIDENCE = 0.5  # below this a customer message counts as misunderstood on the transcript
FALLBACK_INTENT = "nlu_fallback"
# Slots that hold what the customer gave, shown on the transcript as "took: Name = ..."
CONTACT_SLOT_NAMES = {"customer_name": "Name", "customer_email": "Email", "customer_address": "Address"}


def story_filename(conversation_id: str) -> str:
    """A safe download name for the conversation's test story: "web_3f2a....yml"."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", conversation_id).strip("_")[:80] or "conversation"
    return f"story_{name}.yml"


def readable_catalog(catalog_file: Optional[CatalogFile]) -> Optional[Catalog]:
    """The shop's catalog for readable option names, or None when it cannot be read."""
    if catalog_file is None:
        return None
    try:
        return catalog_file.catalog()
    except Exception as error:  # noqa: BLE001 - a transcript without names is still a transcript
        logger.warning("catalog not readable for transcripts: %s", error)
        return None


def _took_options(catalog: Any, product_id: Optional[str], old: Dict[str, Any], new: Dict[str, Any]) -> List[Dict[str, str]]:
    """The options whose value the customer's message set or changed, readable."""
    product = catalog.find_product(product_id) if catalog is not None and product_id else None
    took: List[Dict[str, str]] = []
    for option_id, value in new.items():
        if option_id in old and old[option_id] == value:
            continue
        name, shown = option_id, "none" if value is None else str(value)
        if product is not None:
            try:
                option = product.option(option_id)
                name, shown = option.name, display_value(option, value)
            except (StopIteration, KeyError, ValueError, TypeError, ArithmeticError):
                pass  # an option or value no longer in the catalog: shown as stored
        took.append({"name": name, "value": shown})
    for option_id in old:
        if option_id not in new:
            name = option_id
            if product is not None:
                name = next((o.name for o in product.options if o.id == option_id), option_id)
            took.append({"name": name, "value": "(cleared)"})
    return took


def transcript(tracker_url: str, conversation_id: str, catalog_file: Optional[CatalogFile] = None) -> List[Dict[str, Any]]:
    """Every turn of the conversation in order, from Rasa's events table (all sessions).

    Entries: {"kind": "user"} the customer's message with what the bot understood (intent,
    confidence, entities, the values it took) and "problems" (why it counts as
    misunderstood); {"kind": "bot"} a reply with its buttons and author ("Bot" or a staff
    name); {"kind": "note"} a session start, takeover or hand-back.
    """
    e = events_table.c
    rows = read_events(tracker_url, select(e.id, e.type_name, e.timestamp, e.action_name, e.data)
                       .where(e.sender_id == conversation_id).order_by(e.id))
    catalog_ = readable_catalog(catalog_file) if rows else None
    entries: List[Dict[str, Any]] = []
    current: Optional[Dict[str, Any]] = None  # the customer message whose turn this is
    product_id: Optional[str] = None
    selections: Dict[str, Any] = {}
    failures: Dict[str, int] = {}
    offered: Dict[str, str] = {}  # payload -> title of every button offered so far (old ones can still be pressed)
    paused = False

    def problem(label: str) -> None:
        if current is not None and label not in current["problems"]:
            current["problems"].append(label)

    for row in rows:
        kind, at = row.type_name, iso(moment(row.timestamp))
        if kind == "user":
            data = event_data(row.data)
            parse = data.get("parse_data") or {}
            intent = parse.get("intent") or {}
            text_ = data.get("text") or ""
            confidence = intent.get("confidence")
            picked = _picked_up_original(entries, data, text_)
            if picked is not None:
                # A message written while staff had the conversation, given to the bot again
                # after the hand-back: shown once, where it was written, with the bot's answer.
                picked["picked_up_id"] = row.id
                current = picked
                continue
            current = {
                "kind": "user", "id": row.id, "at": at, "text": text_,
                "shown": offered.get(text_, text_), "button": text_ in offered,
                "intent": intent.get("name"),
                "confidence": None if confidence is None else round(float(confidence), 3),
                "entities": [
                    {"entity": str(x.get("entity")), "value": x.get("value")}
                    for x in parse.get("entities") or [] if isinstance(x, dict)
                ],
                "took": [], "actions": [], "problems": [], "while_taken_over": paused,
                "first_name": first_name(data),
            }
            if current["intent"] == FALLBACK_INTENT:
                problem("Not understood (fallback)")
            elif confidence is not None and float(confidence) < LOW_CONFIDENCE:
                problem(f"Unsure ({float(confidence):.2f})")
            entries.append(current)
        elif kind == "bot":
            data = event_data(row.data)
            metadata = data.get("metadata") or {}
            staff = metadata.get("staff") if isinstance(metadata, dict) else None
            payload = data.get("data") or {}
            entry = {
                "kind": "bot", "id": row.id, "at": at, "text": data.get("text") or "",
                "buttons": reply_buttons(payload),
                "image": payload.get("image") if isinstance(payload.get("image"), str) else None,
                "staff": staff if isinstance(staff, str) else None,
            }
            if entry["staff"] is None and not_understood_reply(data):
                problem("Bot did not understand")
            if entry["buttons"]:
                offered.update(button_titles(entry["buttons"]))
            if entry["text"] or entry["buttons"] or entry["image"]:
                entries.append(entry)
        elif kind == "action":
            name = row.action_name or ""
            if name in NOT_UNDERSTOOD_ACTIONS:
                problem("Bot did not understand")
            if current is not None and name and name not in ("action_listen", "action_session_start"):
                current["actions"].append(name)
        elif kind == "slot":
            data = event_data(row.data)
            name, value = data.get("name") or row.action_name, data.get("value")
            if name == "product":
                product_id = value if isinstance(value, str) else product_id
            elif name == "selections":
                new = value if isinstance(value, dict) else {}
                if current is not None and value is not None:
                    current["took"].extend(_took_options(catalog_, product_id, selections, new))
                selections = new
            elif name == "failures":
                new_failures = value if isinstance(value, dict) else {}
                if any(int(count or 0) > int(failures.get(key) or 0) for key, count in new_failures.items()
                       if isinstance(count, (int, float))):
                    problem("Answer refused")
                failures = {k: v for k, v in new_failures.items() if isinstance(v, (int, float))}
            elif name in CONTACT_SLOT_NAMES and isinstance(value, str) and value and current is not None:
                current["took"].append({"name": CONTACT_SLOT_NAMES[name], "value": value})
        elif kind == "pause":
            paused = True
            entries.append({"kind": "note", "id": row.id, "at": at,
                            "text": "Staff took over: the bot stays quiet until handed back."})
        elif kind == "resume":
            paused = False
            entries.append({"kind": "note", "id": row.id, "at": at, "text": "Handed back to the bot."})
        elif kind == "session_started":
            entries.append({"kind": "note", "id": row.id, "at": at, "text": "New session started."})
        elif kind == "restart":
            entries.append({"kind": "note", "id": row.id, "at": at, "text": "Conversation restarted."})
    for entry in entries:
        if entry["kind"] == "user":
            if entry["took"]:
                # The bot took values from the text, whatever the intent: not a misunderstanding.
                entry["problems"] = [p for p in entry["problems"]
                                     if not p.startswith(("Not understood (fallback)", "Unsure ("))]
            entry["misunderstood"] = bool(entry["problems"])
    return entries


def _picked_up_original(entries: List[Dict[str, Any]], data: Dict[str, Any], text: str) -> Optional[Dict[str, Any]]:
    """The entry of the message written during a takeover that this user event gives to
    the bot again after the hand-back (its metadata says PICKED_UP), or None."""
    metadata = data.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get(PICKED_UP):
        return None
    return next((entry for entry in reversed(entries) if entry["kind"] == "user" and entry["while_taken_over"]
                 and entry["text"] == text and "picked_up_id" not in entry), None)


def story_without_takeovers(story: str, turns: Sequence[Dict[str, Any]]) -> str:
    """Rasa's test story of the conversation without the customer messages sent while staff
    had taken over (the bot did not answer them, so as a test they would fail). `turns` is
    the conversation's transcript(); the story is returned as it is when there was no
    takeover, or when its customer messages do not line up with the transcript's."""
    # Each customer message of the story in order: one picked up after the hand-back is a
    # second step of its own, answered by the bot (kept).
    users = [entry for entry in turns if entry["kind"] == "user"]
    paused = [entry["while_taken_over"] for entry in users]
    if any(entry.get("picked_up_id") for entry in users):
        steps_in_order = sorted([(entry["id"], entry["while_taken_over"]) for entry in users]
                                + [(entry["picked_up_id"], False) for entry in users if entry.get("picked_up_id")])
        paused = [was_paused for _, was_paused in steps_in_order]
    if not any(paused):
        return story
    try:
        document = yaml.safe_load(story)
        stories = document["stories"]
        steps = [step for item in stories for step in item.get("steps") or []]
    except (yaml.YAMLError, TypeError, KeyError, AttributeError):
        logger.warning("Rasa's story is not as expected; exported as it is")
        return story
    if sum(1 for step in steps if isinstance(step, dict) and "user" in step) != len(paused):
        logger.warning("Rasa's story has other customer messages than the transcript; exported as it is")
        return story
    index = 0
    for item in stories:
        kept = []
        for step in item.get("steps") or []:
            if isinstance(step, dict) and "user" in step:
                index += 1
                if paused[index - 1]:
                    continue
            kept.append(step)
        item["steps"] = kept
    note = "# Customer messages sent while staff had taken over are left out: the bot did not answer them.\n"
    return note + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000)


def conversation_detail(store: OrderStore, tracker_url: str, conversation_id: str,
                        catalog_file: Optional[CatalogFile] = None) -> Optional[Dict[str, Any]]:
    """Everything about one conversation (the transcript page and the API); None when
    there is no such conversation."""
    turns = transcript(tracker_url, conversation_id, catalog_file)
    summary = summary_of(store, conversation_id)
    orders = store.orders_for_conversation(conversation_id)
    if not turns and summary is None and not orders:
        return None
    return {
        "conversation_id": conversation_id,
        "channel": channel_of(conversation_id),
        "summary": summary,
        "transcript": turns,
        "orders": orders,
        "flags": store.flags_for(conversation_id),
        "takeovers": takeovers_for(store, conversation_id),
        "active_takeover": active_takeover(store, conversation_id),
    }

