"""The dashboard: how the shop is doing, at a glance."""

from __future__ import annotations

from aiohttp import web

from bot.staff.app import render


async def dashboard(request: web.Request) -> web.Response:
    return render(request, "dashboard.html")


def register(app: web.Application) -> None:
    app.router.add_get("/staff/", dashboard)
