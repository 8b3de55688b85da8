"""Reading the bot's REST replies in tests."""

from __future__ import annotations

from typing import List


def texts(replies: List[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)
