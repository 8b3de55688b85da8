"""The benchmark's load: scripted orders played over Rasa's REST channel, one after another
and side by side, every turn timed; then the stored orders checked against them."""

from __future__ import annotations

import math
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import requests

from bot.local import BotServers

# Scripted conversations, named "<product id>:<style>": one answer per message as in
# tests/e2e/test_e2e_rest.py, and the fewest messages a customer can take (several values per
# message, as in tests/e2e/test_e2e_free_phrasing.py). Each ends with "yes" and the contact
# details and stores exactly one order.
CONTACT = ["Anna Schmidt", "anna.schmidt@example.com", "Hauptstrasse 12, 10115 Berlin"]
SUMMARY_MARK = "Shall I "  # the summary's closing question
SCRIPTS: Dict[str, List[str]] = {
    "custom_pc:step_by_step": [
        "hi", "I need a gaming PC", "the 7800X3D", "32 GB DDR5", "2TB SSD", "RTX 4070 Super", "mid tower", "win 11",
        "yes", *CONTACT,
    ],
    "tailored_shirt:step_by_step": [
        "I'd like a shirt", "silk", "light blue poplin", "slim fit", "button-down", "french cuffs",
        "15.5", "40 inches", "34", "25 in", "78 cm", "no monogram", "3",
        "yes", *CONTACT,
    ],
    "conveyor:step_by_step": [
        "a conveyor for our bakery", "45 m", "12 m", "650 mm", "600mm", "60 kilos a metre",
        "pvc", "stainless steel mesh", "230 V",
        "yes", *CONTACT,
    ],
    "custom_pc:fewest_messages": [
        "a gaming PC with a 7800X3D, 32 gigs of DDR5, a 2TB SSD, an RTX 4070 Super, a mid tower and win 11",
        "yes", *CONTACT,
    ],
    "tailored_shirt:fewest_messages": [
        "slim fit linen shirt, button-down collar, french cuffs, neck 15.5 inches, chest 40 in, waist 34 in",
        "sleeve 25 in, shirt length 78 cm, no monogram, 2 shirts",
        "yes", *CONTACT,
    ],
    "conveyor:fewest_messages": [
        "12 metre conveyor, 600mm wide, for 40 kilos a metre, rubber belt, standard environment, 400V",
        "yes", *CONTACT,
    ],
}
PRODUCTS = list(SCRIPTS)

# What the bot says when something went wrong rather than when it asks again; none of
# them may appear in a scripted conversation.
BOT_ERROR_PHRASES = (
    "something went wrong",
    "lost track of that order",
    "combination is not possible",
    "didn't understand",
    "didn't recognise that product",
)

TURN_TIMEOUT_S = 60.0
BARRIER_TIMEOUT_S = 60.0


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)



# ---------------------------------------------------------------------------------------
# Conversations


@dataclass
class Turn:
    text: str
    ms: Optional[float]  # None when no HTTP answer came back (timeout, connection error)
    error: Optional[str] = None  # http, timeout, connection, bad_json, empty, bot_error
    detail: str = ""


@dataclass
class Conversation:
    sender: str
    product: str
    phase: str
    turns: List[Turn] = field(default_factory=list)
    last_text: str = ""
    aborted: bool = False  # a transport error stopped it: later messages were not sent
    stored: Optional[int] = None  # filled in by check_orders: orders with this sender
    confirmed: Optional[bool] = None  # the stored order number is in the bot's last reply
    summary_after: Optional[int] = None  # customer messages until the bot showed the summary

    @property
    def product_id(self) -> str:
        return self.product.split(":")[0]

    @property
    def errors(self) -> List[Turn]:
        return [turn for turn in self.turns if turn.error]


def reply_text(replies: List[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies if isinstance(reply, dict))


def post_turn(session: requests.Session, rest_url: str, sender: str, text: str,
              timeout: float = TURN_TIMEOUT_S) -> Tuple[Turn, List[dict]]:
    """One REST turn to `rest_url` (BotServers.rest_url: with the token), timed; transport
    and bot errors are recorded, never raised."""
    started = time.perf_counter()
    try:
        response = session.post(
            rest_url, json={"sender": sender, "message": text}, timeout=timeout
        )
    except requests.Timeout:
        return Turn(text, None, "timeout", f"no answer within {timeout} s"), []
    except requests.RequestException as error:
        return Turn(text, None, "connection", str(error)[:200]), []
    ms = (time.perf_counter() - started) * 1000
    if not response.ok:
        return Turn(text, ms, "http", f"HTTP {response.status_code}: {response.text[:200]}"), []
    try:
        replies = response.json()
    except ValueError:
        return Turn(text, ms, "bad_json", response.text[:200]), []
    if not isinstance(replies, list) or not replies:
        return Turn(text, ms, "empty", "no reply where one was expected"), []
    said = reply_text(replies)
    phrase = next((p for p in BOT_ERROR_PHRASES if p in said.lower()), None)
    if phrase:
        return Turn(text, ms, "bot_error", said[:200]), replies
    return Turn(text, ms), replies


def play(rest_url: str, sender: str, product: str, phase: str, timeout: float = TURN_TIMEOUT_S,
         start: Optional[threading.Barrier] = None) -> Conversation:
    """One scripted conversation, its messages strictly one after another."""
    conversation = Conversation(sender=sender, product=product, phase=phase)
    with requests.Session() as session:
        if start is not None:
            try:
                start.wait()
            except threading.BrokenBarrierError:
                pass  # start anyway: the others did not all arrive in time
        for text in SCRIPTS[product]:
            turn, replies = post_turn(session, rest_url, sender, text, timeout)
            conversation.turns.append(turn)
            if replies:
                conversation.last_text = reply_text(replies)
                if conversation.summary_after is None and SUMMARY_MARK in conversation.last_text:
                    conversation.summary_after = len(conversation.turns)
            if turn.error in ("timeout", "connection", "http", "bad_json"):
                # The server's view of the conversation is unknown: the rest would be noise.
                conversation.aborted = True
                break
    return conversation


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def phase_figures(conversations: List[Conversation], wall_s: float) -> Dict[str, object]:
    turns = [turn for c in conversations for turn in c.turns]
    timed = [turn.ms for turn in turns if turn.ms is not None]
    errors: Dict[str, int] = {}
    for turn in turns:
        if turn.error:
            errors[turn.error] = errors.get(turn.error, 0) + 1
    expected_turns = sum(len(SCRIPTS[c.product]) for c in conversations)
    return {
        "conversations": len(conversations),
        "turns": len(turns),
        "turns_not_sent": expected_turns - len(turns),
        "wall_s": round(wall_s, 3),
        "turns_per_s": round(len(turns) / wall_s, 2) if wall_s > 0 else None,
        "latency_ms": {
            name: (round(value, 1) if value is not None else None)
            for name, value in (
                ("p50", percentile(timed, 50)),
                ("p95", percentile(timed, 95)),
                ("p99", percentile(timed, 99)),
                ("max", max(timed) if timed else None),
                ("mean", sum(timed) / len(timed) if timed else None),
            )
        },
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "error_examples": [
            {"sender": c.sender, "message": t.text, "error": t.error, "detail": t.detail}
            for c in conversations for t in c.errors
        ][:10],
    }


def run_sequential(bot: BotServers, orders: int, run_id: str,
                   timeout: float = TURN_TIMEOUT_S) -> Tuple[List[Conversation], Dict[str, object]]:
    """`orders` scripted conversations one after another, cycling through the products."""
    conversations = []
    started = time.perf_counter()
    for index in range(orders):
        product = PRODUCTS[index % len(PRODUCTS)]
        sender = f"bench-{run_id}-seq-{index:03d}-{product}"
        conversations.append(play(bot.rest_url, sender, product, "sequential", timeout))
    return conversations, phase_figures(conversations, time.perf_counter() - started)


def run_concurrent(bot: BotServers, concurrency: int, run_id: str,
                   timeout: float = TURN_TIMEOUT_S) -> Tuple[List[Conversation], Dict[str, object]]:
    """`concurrency` scripted conversations at once, one thread each, released together."""
    if concurrency < 1:
        return [], phase_figures([], 0.0)
    barrier = threading.Barrier(concurrency, timeout=BARRIER_TIMEOUT_S)
    jobs = [
        (f"bench-{run_id}-con-{index:03d}-{PRODUCTS[index % len(PRODUCTS)]}", PRODUCTS[index % len(PRODUCTS)])
        for index in range(concurrency)
    ]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench") as pool:
        futures = [pool.submit(play, bot.rest_url, sender, product, "concurrent", timeout, barrier)
                   for sender, product in jobs]
        conversations = [future.result() for future in futures]
    figures = phase_figures(conversations, time.perf_counter() - started)
    figures["concurrency"] = concurrency
    return conversations, figures


# ---------------------------------------------------------------------------------------
# Orders


def check_orders(bot: BotServers, conversations: List[Conversation], run_id: str) -> Dict[str, object]:
    """Every scripted conversation stored exactly one order with its product, and nothing
    else of this run was stored."""
    orders = bot.orders()
    by_sender: Dict[str, List[dict]] = {}
    for order in orders:
        by_sender.setdefault(order["conversation_id"], []).append(order)
    expected = {c.sender for c in conversations}
    missing, wrong_product, unconfirmed = [], [], []
    stored_once = duplicates = 0
    for conversation in conversations:
        found = by_sender.get(conversation.sender, [])
        conversation.stored = len(found)
        duplicates += max(0, len(found) - 1)
        if not found:
            missing.append(conversation.sender)
            conversation.confirmed = False
            continue
        if any(order["product_id"] != conversation.product_id for order in found):
            wrong_product.append(conversation.sender)
        elif len(found) == 1:
            stored_once += 1
        conversation.confirmed = any(order["number"] in conversation.last_text for order in found)
        if not conversation.confirmed:
            unconfirmed.append(conversation.sender)
    unexpected = [
        order["conversation_id"] for order in orders
        if order["conversation_id"].startswith(f"bench-{run_id}-") and order["conversation_id"] not in expected
    ]
    return {
        "expected": len(conversations),
        "stored_once": stored_once,
        "missing": missing,
        "duplicates": duplicates,
        "wrong_product": wrong_product,
        "unconfirmed": unconfirmed,
        "unexpected": unexpected,
    }
