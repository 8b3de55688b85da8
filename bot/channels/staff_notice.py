"""A short message to the staff's Telegram chat when a new order is stored.

Optional: only when STAFF_TELEGRAM_CHAT_ID and TELEGRAM_BOT_TOKEN are set (sent by
bot/channels/telegram/sender.send_to_staff_chat, the one way to the staff chat, which the
bridge uses too, so TELEGRAM_API_BASE_URL applies as for the bridge).
A new order's notice is sent in the background: the customer's reply never waits for
Telegram, and Telegram being down or slow only writes an error to the log, never fails the
order. No Rasa import.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from decimal import Decimal
from typing import Any, Mapping, Optional, Sequence, Set, Union

from bot.channels.telegram.sender import MAX_TEXT, TelegramSendError, send_to_staff_chat
from bot.settings import Settings

logger = logging.getLogger(__name__)

_tasks: Set["asyncio.Task[None]"] = set()  # kept until done (the loop only holds weak references)


def order_notice(order: Mapping[str, Any]) -> str:
    """ "New order BSP-7K3Q9M: Custom PC, 1,234.00 EUR, Jane Doe" (from order_as_dict)."""
    if order.get("total") is None:
        what = f"New quote request {order['number']}: {order['product_name']}"
    else:
        what = f"New order {order['number']}: {order['product_name']}, {Decimal(order['total']):,.2f} {order['currency']}"
    return f"{what}, {order['customer_name']}"[:MAX_TEXT]


async def _send(text: str, settings: Settings) -> None:
    try:
        await send_to_staff_chat(text, settings)
    except TelegramSendError as error:
        if error.status is None:  # no answer: the log shows the cause
            logger.exception("staff Telegram notice not sent: %s", text)
        else:
            logger.error("staff Telegram notice not sent (HTTP %s): %s", error.status, error.description)
    except Exception:  # the order is stored either way; the log says why staff heard nothing
        logger.exception("staff Telegram notice not sent: %s", text)


def announce_order(order: Mapping[str, Any],
                   settings: Optional[Settings] = None) -> Union["asyncio.Task[None]", threading.Thread, None]:
    """Send the new order's notice in the background (a task on the running event loop, or
    a thread when there is none) and return at once; None when no staff chat is set.
    `settings`: Settings.from_env() when not given."""
    return announce(order_notice(order), str(order.get("number")), settings)


def change_notice(order: Mapping[str, Any], lines: Sequence[str], request: bool) -> str:
    """ "Order BSP-7K3Q9M changed by the customer: Memory: 32 GB -> 64 GB, +100 EUR" (or a
    change request waiting on the order page)."""
    head = f"Change request for order {order['number']} (to accept or refuse on its page)" if request \
        else f"Order {order['number']} changed by the customer"
    return f"{head}: {'; '.join(lines)}"[:MAX_TEXT]


def announce(text: str, number: str = "",
             settings: Optional[Settings] = None) -> Union["asyncio.Task[None]", threading.Thread, None]:
    """Send a notice to the staff chat in the background, as announce_order does."""
    try:
        settings = Settings.from_env() if settings is None else settings
        if not settings.staff_telegram_chat_id or not settings.telegram_token:
            return None
        sending = _send(text, settings)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            thread = threading.Thread(target=asyncio.run, args=(sending,), name="staff-telegram-notice", daemon=True)
            thread.start()
            return thread
        task = loop.create_task(sending)
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)
        return task
    except Exception:  # never fails the order
        logger.exception("staff Telegram notice not sent for order %s", number)
        return None
