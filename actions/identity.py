"""One customer across channels, in the chat: "link my chat" / "continue on the web" shows a
code (bot/store/links.py) and, on Telegram, a link to the web chat with it; the code typed
in another conversation links the two ("my orders" then lists the orders of both) and
offers to resume the order left unfinished where the code was shown.

Tries are limited in the shared state (Redis with several action servers): 5 per
conversation at once, then one every 2 minutes, and 20 across all conversations, then one
every 10 s (a guesser opening new conversations meets the second): at most ~8,650 guesses
a day against 8.5e11 codes, each live for 10 minutes.

Not importing actions/kit.py (which calls this module): the caller passes the store, the
settings and the slots.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Mapping, Optional
from urllib.parse import urlencode

from rasa_sdk.executor import CollectingDispatcher

from bot.channels.shared_state import Limit, SharedState, open_shared_state
from bot.core.senders import channel_of
from bot.settings import Settings
from bot.store import links
from bot.store.links import LINK_INTENT, LinkResult, Redeemed
from bot.store.orders import OrderStore

TRIES_PER_CONVERSATION = (5.0, 1 / 120)  # (at once, then per second)
TRIES_OVERALL = (20.0, 1 / 10)
MINUTES = int(links.CODE_LIFETIME.total_seconds() // 60)
CHANNEL_NAMES = {"web": "the web chat", "telegram": "Telegram", "rest": "the other chat"}

_state: Optional[SharedState] = None


def shared(settings: Settings) -> SharedState:
    global _state
    if _state is None:
        _state = open_shared_state(settings)
    return _state


def code_in(text: str, intent: str) -> Optional[str]:
    """A link code the customer typed: with its hyphen anywhere, or alone when the NLU read
    the message as linking ("link abcd2345")."""
    code = links.find_code(text)
    if code is None and intent == LINK_INTENT:
        words = text.split()
        code = links.find_code(words[-1], whole=True) if words else None
    return code


def offer_code(dispatcher: CollectingDispatcher, store: OrderStore, settings: Settings, conversation_id: str,
               carried: Mapping[str, Any]) -> None:
    """A new code for this conversation, with the unfinished order's slots to carry."""
    kept = {slot: value for slot, value in carried.items() if value is not None}
    code = links.new_code(store.sessions, conversation_id, kept or None)
    order = " and the order you're putting together" if kept.get("product") else ""
    text = (f"Your code is **{code}**. In the other chat (web or Telegram), type: link {code}\n"
            f"It works once, for {MINUTES} minutes. Your orders here{order} will be there too.")
    if channel_of(conversation_id) == "telegram" and settings.public_url:
        text += f"\nOr open {settings.public_url}/?{urlencode({'link': code})} to continue on the web."
    dispatcher.utter_message(text=text)


async def redeem_code(dispatcher: CollectingDispatcher, store: OrderStore, settings: Settings, conversation_id: str,
                      code: str) -> Optional[LinkResult]:
    """The code typed here: the link made and said, or why not. None when over the limit."""
    wait = await shared(settings).take([Limit("link_conversation", conversation_id, *TRIES_PER_CONVERSATION),
                                        Limit("link_overall", "all", *TRIES_OVERALL)])
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        dispatcher.utter_message(text=f"Too many codes tried just now. Please wait {minutes} minute"
                                      f"{'s' if minutes > 1 else ''} and type the code again.")
        return None
    result = links.redeem(store.sessions, code, conversation_id)
    again = "In the other chat, say \"link my chat\" for a new code and type it here."
    texts: Dict[Redeemed, str] = {
        Redeemed.UNKNOWN: f"That code doesn't match any link code. Please check it (it looks like ABCD-2345). {again}",
        Redeemed.EXPIRED: f"That code has expired (a code works for {MINUTES} minutes). {again}",
        Redeemed.USED: f"That code has already been used (a code works once). {again}",
        Redeemed.OWN: "That code is for this chat: type it in your other chat (web or Telegram) to link the two.",
    }
    if result.outcome is not Redeemed.LINKED:
        dispatcher.utter_message(text=texts[result.outcome])
        return result
    other = CHANNEL_NAMES[channel_of(result.other or "")]
    dispatcher.utter_message(text=f"Linked: this chat and your conversation on {other} are one now. "
                                  "\"My orders\" lists the orders of both.")
    return result


def say_other_order_stays(dispatcher: CollectingDispatcher, product_name: str) -> None:
    """Linked while an order is in progress here: the other chat's unfinished one is not brought."""
    dispatcher.utter_message(text=f"The {product_name} you started in the other chat stays there: you have an "
                                  "order in progress here. Finish or cancel it, then link again to bring the other.")


def customer_orders(store: OrderStore, conversation_id: str) -> list:
    """The orders of this conversation and of those linked to it, oldest first."""
    found = [order for conversation in links.conversations_of(store.sessions, conversation_id)
             for order in store.orders_for_conversation(conversation)]
    return sorted(found, key=lambda order: (order["created_at"], order["number"]))
