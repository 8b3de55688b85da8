"""Conversations: list, transcript, the queue of flagged conversations, taking over, story export."""

from __future__ import annotations

from aiohttp import web


def register(app: web.Application) -> None:
    pass
