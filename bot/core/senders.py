"""Conversation ids (Rasa sender ids) and the channel each belongs to: "web:<id>" from the
widget, "telegram:<chat id>" from the Telegram bridge, anything else over Rasa's REST API."""

from __future__ import annotations

from typing import Optional

CHANNELS = ("web", "telegram", "rest")


def channel_of(conversation_id: str) -> str:
    if conversation_id.startswith("web:"):
        return "web"
    if conversation_id.startswith("telegram:"):
        return "telegram"
    return "rest"


def telegram_chat_id(conversation_id: str) -> Optional[int]:
    """The chat id of a "telegram:<chat id>" conversation, else None."""
    if not conversation_id.startswith("telegram:"):
        return None
    try:
        return int(conversation_id.split(":", 1)[1])
    except ValueError:
        return None
