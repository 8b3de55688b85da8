"""Waiting in async tests for something another process or thread does: polled, never slept for."""

from __future__ import annotations

import asyncio
import time


async def wait_until(check, timeout_s: float = 60.0):
    """`check()`'s first truthy value (run in a thread: it may block on a store or a socket)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = await asyncio.to_thread(check)
        if value:
            return value
        await asyncio.sleep(0.05)  # polling interval, not a wait for a result
    raise AssertionError("not in time")
