"""Orders: list, order page, status changes, notes, CSV export and the /api/orders API."""

from __future__ import annotations

from aiohttp import web


def register(app: web.Application) -> None:
    pass
