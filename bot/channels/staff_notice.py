"""A short message to the staff's Telegram chat when a new order is stored.

Optional: only when STAFF_TELEGRAM_CHAT_ID and TELEGRAM_BOT_TOKEN are set
(TELEGRAM_API_BASE_URL points at another Bot API server, as for the Telegram channel).
The message is sent in the background: the customer's reply never waits for Telegram,
and Telegram being down or slow only writes an error to the log, never fails the order.
No Rasa import.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from decimal import Decimal
from typing import Any, Dict, Mapping, Optional, Set, Union

import httpx

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
TIMEOUT_S = 10.0
MAX_TEXT = 4096  # Telegram's limit for one message

_tasks: Set["asyncio.Task[None]"] = set()  # kept until done (the loop only holds weak references)


def order_notice(order: Mapping[str, Any]) -> str:
    """ "New order BSP-7K3Q9M: Custom PC, 1,234.00 EUR, Jane Doe" (from order_as_dict)."""
    if order.get("total") is None:
        what = f"New quote request {order['number']}: {order['product_name']}"
    else:
        what = f"New order {order['number']}: {order['product_name']}, {Decimal(order['total']):,.2f} {order['currency']}"
    return f"{what}, {order['customer_name']}"[:MAX_TEXT]


def _settings(env: Optional[Mapping[str, str]] = None) -> Optional[Dict[str, str]]:
    env = os.environ if env is None else env
    chat, token = env.get("STAFF_TELEGRAM_CHAT_ID", "").strip(), env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not chat or not token:
        return None
    base = env.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL
    return {"chat": chat, "url": f"{base}{token}/sendMessage"}


async def _send(url: str, chat: str, text: str) -> None:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            response = await client.post(url, json={"chat_id": chat, "text": text, "disable_web_page_preview": True})
        answer = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code != 200 or not answer.get("ok"):
            logger.error("staff Telegram notice not sent (HTTP %s): %s", response.status_code,
                         answer.get("description") or response.text[:200])
    except Exception:  # the order is stored either way; the log says why staff heard nothing
        logger.exception("staff Telegram notice not sent: %s", text)


def announce_order(order: Mapping[str, Any],
                   env: Optional[Mapping[str, str]] = None) -> Union["asyncio.Task[None]", threading.Thread, None]:
    """Send the new order's notice in the background (a task on the running event loop, or
    a thread when there is none) and return at once; None when no staff chat is set."""
    try:
        settings = _settings(env)
        if settings is None:
            return None
        text = order_notice(order)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            thread = threading.Thread(target=asyncio.run, args=(_send(settings["url"], settings["chat"], text),),
                                      name="staff-telegram-notice", daemon=True)
            thread.start()
            return thread
        task = loop.create_task(_send(settings["url"], settings["chat"], text))
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)
        return task
    except Exception:  # never fails the order
        logger.exception("staff Telegram notice not sent for order %s", order.get("number"))
        return None
