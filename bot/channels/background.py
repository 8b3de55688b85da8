"""A sender that works while the web application serves (the e-mail outbox, the customer
notices): one cleanup context for all of them, so each starts with the application and is
cancelled, and awaited, when it stops."""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator, Callable, Protocol

from aiohttp import web


class Running(Protocol):
    async def run(self) -> None: ...


def in_background(key: "web.AppKey[Running]") -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that runs `app[key].run()` until the application stops."""
    async def running(app: web.Application) -> AsyncIterator[None]:
        task: "asyncio.Task[None]" = asyncio.create_task(app[key].run())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return running



