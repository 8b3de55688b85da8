"""Talking to the bot over REST in tests: its replies as text, a conversation, placing the order."""

from __future__ import annotations

import re
import uuid
from typing import List, Sequence

CONTACT = ["Aiko Tanaka", "aiko@example.jp", "Hauptstrasse 12, 10115 Berlin"]


def asks(reply: str) -> str:
    """The form question a reply ends with: "(5/6)", or "summary", or ""."""
    if "Shall I place this order?" in reply:
        return "summary"
    found = re.findall(r"\((\d+/\d+)\)", reply)
    return found[-1] if found else ""


def texts(replies: List[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def sender(prefix: str, name: str) -> str:
    """A conversation id of its own for each test."""
    return f"{prefix}-{name}-{uuid.uuid4().hex[:8]}"


def converse(bot, who: str, messages: List[str]) -> List[str]:
    """Each message's replies as one text."""
    return [texts(replies) for replies in bot.converse(who, messages)]


def place(bot, who: str, contact: Sequence[str]) -> dict:
    """Confirm the summary, give the contact details; the one stored order, whose number
    the last reply told."""
    done = converse(bot, who, ["yes", *contact])[-1]
    [order] = bot.orders_of(who)
    assert order["number"] in done
    return order
