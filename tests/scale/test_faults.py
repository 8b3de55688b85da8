"""Faults under load, on the production profile of tests/scale/conftest.py (2 Rasa, 2 action
and 2 web servers behind nginx, over the session's own PostgreSQL cluster and redis-server):
200 customers order a custom PC at once (random parts, random contact details), half over
Rasa's REST channel and half over the web chat's /api/messages, both through nginx. While
they talk, one Rasa server and one action server are killed with -9 (the supervisor starts
them again), then Redis is restarted (it loses its data: no persistence), then PostgreSQL
(a fast shutdown, every session cut off). A customer whose message fails (an HTTP error, no
answer, an apology) sends that same message again, as a person would, a bounded number of
times; the web chat's customer with the same message id, as the widget does.

Afterwards every stored order is read back: 0 lost (every customer told an order number has
exactly that order), 0 duplicated (one order per conversation, draft ids unique), 0 wrong
(parts, total and contact details exactly as the customer gave them and the catalog prices
them), and each conversation's tracker events in order, no user message stored more often
than the customer sent it, none out of order.

The figures of each phase are logged (`pytest -o log_cli=true` shows them as it runs)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import random
import signal
import time
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
import pytest

from bench.load import BOT_ERROR_PHRASES
from bot.core.catalog import Product, load_catalog
from bot.core.pricing import quote
from bot.core.rules import valid_values
from bot.local import DEMO_CATALOG
from tests.scale.conftest import START_TIMEOUT_S, Profile, wait_for

logger = logging.getLogger("bespoke.faults")

CUSTOMERS = 200
STARTED_WITHIN_S = 10.0  # the customers arrive over this long, not in one instant
THINK_S = (0.3, 1.0)  # a customer reads and types between two messages
ATTEMPTS = 12  # sends of one message before the customer gives up (a failure of the test)
# What a customer waits before sending a failed message again: about a second, then longer
# each time (a person who keeps getting errors waits longer), at most 15 s.
RETRY_AFTER_S = (0.5, 1.5)
RETRY_AFTER_MAX_S = 15.0
# Above Rasa's lock lifetime (60 s): a message waiting for the lock of a server killed mid-turn.
TURN_TIMEOUT_S = 100.0
# When each fault happens: once this share of all the customers' messages has been answered.
FAULTS_AT = {"kill": 0.12, "redis": 0.40, "postgres": 0.65}
FIRST_NAMES = ["Anna", "Jana", "Łukasz", "Søren", "Maria", "José", "Chloé", "Ivan", "Aoife", "Mehmet", "Zoë", "Tomás"]
LAST_NAMES = ["Schmidt", "Nováková", "Kowalski", "Jensen", "Rossi", "García", "Dubois", "Petrov", "Murphy", "Yılmaz"]
STREETS = ["Hauptstrasse", "Vinohradská", "Rue de la Paix", "Calle Mayor", "Via Roma", "High Street"]
CITIES = ["10115 Berlin", "120 00 Praha", "75002 Paris", "28013 Madrid", "00184 Roma", "Dublin 2"]
# The bot asks for "yes" again when the order could not be saved (the database away).
SAY_YES_AGAIN = 'say "yes" to try again'


@dataclasses.dataclass
class Attempt:
    text: str
    outcome: str  # ok, or why it was sent again: http-502, connection, timeout, no_answer, apology, ...
    at: float = dataclasses.field(default_factory=time.monotonic)  # when the answer (or failure) came
    said: str = ""  # the bot's words when they were an apology


@dataclasses.dataclass
class Customer:
    index: int
    channel: str  # rest or web
    sender: str
    selections: Dict[str, str]
    contact: Tuple[str, str, str]
    messages: List[str]
    attempts: List[Attempt] = dataclasses.field(default_factory=list)
    last_reply: str = ""
    gave_up: Optional[str] = None

    @property
    def answered(self) -> int:
        return sum(1 for attempt in self.attempts if attempt.outcome == "ok")


def the_pc() -> Product:
    return next(product for product in load_catalog(DEMO_CATALOG).products if product.id == "custom_pc")


def make_customer(product: Product, index: int, rng: random.Random, run: str) -> Customer:
    """Random parts the catalog allows together (chosen in the order the bot asks), random
    contact details; every other customer says it all in one message."""
    selections: Dict[str, str] = {}
    for option in product.options:
        selections[option.id] = rng.choice(valid_values(product, selections, option)).id
    names = {option.id: option.value(selections[option.id]).name for option in product.options}
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    contact = (f"{first} {last}", f"customer{index}.{run}@example.org",
               f"{rng.choice(STREETS)} {rng.randint(1, 200)}, {rng.choice(CITIES)}")
    if index % 4 < 2:
        parts = [names[option.id] for option in product.options]
        messages = ["I need a gaming PC", *parts]
    else:
        messages = [f"a gaming PC with the {names['cpu']}, {names['memory']}, a {names['storage']}, "
                    f"{names['graphics']}, a {names['case']} case and {names['os']}"]
    channel = "rest" if index % 2 == 0 else "web"
    sender = f"web:faults{run}{index:04d}" if channel == "web" else f"faults-{run}-{index:04d}"
    return Customer(index, channel, sender, selections, contact, [*messages, "yes", *contact])


# --- one message, sent again until it is answered -------------------------------------------

async def send_once(session: aiohttp.ClientSession, profile: Profile, customer: Customer, text: str,
                    message_id: str) -> Tuple[str, str, float]:
    """(outcome, the bot's words, seconds to wait before sending again)."""
    if customer.channel == "rest":
        url, body = profile.rest_url, {"sender": customer.sender, "message": text}
    else:
        url, body = profile.web_url, {"sender": customer.sender, "message": text, "id": message_id}
    try:
        async with session.post(url, json=body, timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT_S)) as response:
            status = response.status
            payload: Any = await response.json(content_type=None) if status in (200, 429) else None
            retry_after = float(response.headers.get("Retry-After", "0") or 0)
    except asyncio.TimeoutError:
        return "timeout", "", 0.0
    except (aiohttp.ClientError, ValueError) as error:
        return f"connection:{type(error).__name__}", "", 0.0
    if status != 200:
        return f"http-{status}", "", retry_after
    items = payload if customer.channel == "rest" else (payload or {}).get("messages") or []
    said = "\n".join(str(item.get("text") or "") for item in items if isinstance(item, dict))
    if not said:
        return "no_answer", "", 0.0
    if SAY_YES_AGAIN in said:
        return "say_yes", said, 0.0
    if any(phrase in said.lower() for phrase in BOT_ERROR_PHRASES):
        return "apology", said, 0.0
    return "ok", said, 0.0


async def say(session: aiohttp.ClientSession, profile: Profile, customer: Customer, text: str,
              rng: random.Random, answered: List[int]) -> bool:
    message_id = uuid.uuid4().hex  # the widget's id: the same for every send of this message
    for attempt in range(ATTEMPTS):
        outcome, said, wait = await send_once(session, profile, customer, text, message_id)
        customer.attempts.append(Attempt(text, outcome, said=said if outcome == "apology" else ""))
        if outcome == "ok":
            customer.last_reply = said
            answered[0] += 1
            return True
        if outcome == "say_yes":
            # The order was not saved and the bot asks for "yes" again: a person does that.
            text, message_id = "yes", uuid.uuid4().hex
        patience = min(RETRY_AFTER_MAX_S, rng.uniform(*RETRY_AFTER_S) * 2 ** attempt)
        await asyncio.sleep(max(wait, patience))  # a person waits, then sends again
    customer.gave_up = text
    return False


async def converse(session: aiohttp.ClientSession, profile: Profile, customer: Customer, start_at: float,
                   rng: random.Random, answered: List[int]) -> None:
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))  # the arrival schedule
    for index, text in enumerate(customer.messages):
        if index:
            await asyncio.sleep(rng.uniform(*THINK_S))  # the customer reads and types
        if not await say(session, profile, customer, text, rng, answered):
            return


# --- the faults ---------------------------------------------------------------------------

def python_child(profile: Profile, module: str, port: int) -> int:
    """The pid of the Python process of `module` on `port` (not the shell the runner starts)."""
    found = [pid for pid in profile.children(f"{module} ") if f"--port {port}" in command_line(pid)
             and "python" in os.path.basename(command_line(pid).split(" ")[0])]
    assert found, f"no {module} on port {port}"
    return found[0]


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as stream:
            return stream.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


async def faults(profile: Profile, answered: List[int], total: int, done: asyncio.Event,
                 record: Dict[str, Any]) -> None:
    async def at(share: float) -> bool:
        while answered[0] < share * total:
            if done.is_set():
                return False
            await asyncio.sleep(0.1)  # polling the load's progress
        return True

    loop = asyncio.get_running_loop()
    settings = profile.settings
    if not await at(FAULTS_AT["kill"]):
        return
    rasa = python_child(profile, "bot.rasa_server", settings.rasa_base_port)
    actions = python_child(profile, "bot.action_server", settings.actions_base_port + 1)
    os.kill(rasa, signal.SIGKILL)
    os.kill(actions, signal.SIGKILL)
    record["kill"] = answered[0]
    record["kill_at"] = time.monotonic()
    logger.info("faults: killed rasa-1 (pid %d) and actions-2 (pid %d) with -9 after %d answered messages",
                rasa, actions, answered[0])
    if not await at(FAULTS_AT["redis"]):
        return
    started = time.monotonic()
    await loop.run_in_executor(None, lambda: (profile.redis.stop(), profile.redis.start()))
    record["redis"] = answered[0]
    record["redis_at"] = time.monotonic()
    logger.info("faults: restarted Redis (its data lost) after %d answered messages, in %.1f s",
                record["redis"], time.monotonic() - started)
    if not await at(FAULTS_AT["postgres"]):
        return
    started = time.monotonic()
    await loop.run_in_executor(None, profile.postgres.stop, signal.SIGINT)  # pg_ctl restart -m fast's stop
    profile.postgres.spawn()  # from this thread, which outlives it (see PostgresCluster.spawn)
    await loop.run_in_executor(None, profile.postgres.wait_ready)
    seconds = time.monotonic() - started
    record["postgres"] = answered[0]
    record["postgres_at"] = time.monotonic()
    logger.info("faults: restarted PostgreSQL (fast shutdown) after %d answered messages, in %.1f s",
                record["postgres"], seconds)


async def play(profile: Profile, customers: List[Customer], rng: random.Random) -> Dict[str, Any]:
    total = sum(len(customer.messages) for customer in customers)
    answered, record, done = [0], {}, asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)  # one connection per customer, as separate browsers
    async with aiohttp.ClientSession(connector=connector) as session:
        injector = asyncio.create_task(faults(profile, answered, total, done, record))
        now = time.monotonic()
        await asyncio.gather(*(converse(session, profile, customer, now + STARTED_WITHIN_S * i / len(customers),
                                        random.Random(rng.random()), answered)
                               for i, customer in enumerate(customers)))
        done.set()
        await injector
    return record


# --- reading it all back -------------------------------------------------------------------

def stored_drafts(profile: Profile) -> List[Tuple[str, str]]:
    """(conversation, draft id) of every stored order (the store's API does not show draft ids)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(profile.env["DATABASE_URL"], future=True)
    try:
        with engine.connect() as connection:
            return [(row.conversation_id, row.draft_id)
                    for row in connection.execute(text("SELECT conversation_id, draft_id FROM orders"))]
    finally:
        engine.dispose()


def tracker_events(profile: Profile, senders: List[str]) -> Dict[str, List[Tuple[int, float, str, Any]]]:
    """Each conversation's events as Rasa's SQL tracker store keeps them: (id, timestamp, type,
    the user's text), in id order."""
    import json

    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(profile.env["DATABASE_URL"], future=True)
    events: Dict[str, List[Tuple[int, float, str, Any]]] = {sender: [] for sender in senders}
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, sender_id, timestamp, type_name, data FROM events WHERE sender_id IN :senders "
                     "ORDER BY id").bindparams(bindparam("senders", expanding=True)), {"senders": senders})
            for row in rows:
                said = json.loads(row.data).get("text") if row.type_name == "user" else None
                events[row.sender_id].append((row.id, row.timestamp, row.type_name, said))
    finally:
        engine.dispose()
    return events


def events_problems(customer: Customer, events: List[Tuple[int, float, str, Any]]) -> List[str]:
    """What is wrong with one conversation's events: timestamps going back, or user messages
    that are not, in order, the customer's sends (each stored at most once, none reordered),
    or a message the bot answered that is not stored."""
    problems = []
    stamps = [stamp for _, stamp, _, _ in events]
    if any(later < earlier for earlier, later in zip(stamps, stamps[1:], strict=False)):
        problems.append("timestamps go back")
    # The customer's messages: each run of sends of one text (a message sent again) may be
    # stored 1 to len(run) times (a failed send may or may not have reached the tracker),
    # at least once when one of its sends was answered; nothing else, in this order.
    runs: List[Tuple[str, int, bool]] = []
    for attempt in customer.attempts:
        if runs and runs[-1][0] == attempt.text:
            text, count, answered = runs[-1]
            runs[-1] = (text, count + 1, answered or attempt.outcome == "ok")
        else:
            runs.append((attempt.text, 1, attempt.outcome == "ok"))
    stored = [said for _, _, kind, said in events if kind == "user"]
    position = 0
    for text, count, answered in runs:
        taken = 0
        while position < len(stored) and stored[position] == text and taken < count:
            position, taken = position + 1, taken + 1
        if answered and not taken:
            problems.append(f"{text!r} was answered but not stored (stored: {stored[position:position + 3]})")
            break
    if position < len(stored) and not problems:
        problems.append(f"user messages stored more often than sent, or out of order: {stored[position:]}")
    return problems


def order_problems(product: Product, customer: Customer, found: List[dict]) -> List[str]:
    if not found:
        return ["no order stored"]
    if len(found) > 1:
        return [f"{len(found)} orders stored: {[order['number'] for order in found]}"]
    [order] = found
    problems = []
    if order["number"] not in customer.last_reply:
        problems.append(f"order {order['number']} is not the number the customer was told: {customer.last_reply!r}")
    expected_total = quote(product, customer.selections).total
    got = (order["product_id"], order["options"], Decimal(order["total"]),
           (order["customer_name"], order["customer_email"], order["customer_address"]))
    wanted = ("custom_pc", customer.selections, expected_total, customer.contact)
    if got != wanted:
        problems.append(f"stored {got}, the customer gave {wanted}")
    return problems


@pytest.mark.timeout(START_TIMEOUT_S + 900)  # the shared profile's start, then about two minutes here
def test_200_customers_order_through_kills_and_restarts_of_rasa_actions_redis_and_postgresql(profile):
    product = the_pc()
    run = uuid.uuid4().hex[:8]
    rng = random.Random(run)
    customers = [make_customer(product, index, rng, run) for index in range(CUSTOMERS)]
    total = sum(len(customer.messages) for customer in customers)
    served_again = {name: profile.log_text().count(f"{name} serves again") for name in ("rasa-1", "actions-2")}
    logger.info("load: %d customers (%d REST, %d web chat), %d messages, arriving over %g s", len(customers),
                sum(c.channel == "rest" for c in customers), sum(c.channel == "web" for c in customers), total,
                STARTED_WITHIN_S)
    started, cpu_before = time.monotonic(), os.times()
    record = asyncio.run(play(profile, customers, rng))
    wall = time.monotonic() - started
    attempts = [attempt for customer in customers for attempt in customer.attempts]
    resent = Counter(attempt.outcome for attempt in attempts if attempt.outcome != "ok")
    logger.info("load: %d messages answered in %.1f s (%.1f/s), %d sends in all; sent again after: %s; "
                "customers who sent something again: %d; faults after %s answered messages",
                sum(c.answered for c in customers), wall, sum(c.answered for c in customers) / wall, len(attempts),
                dict(resent) or "nothing", sum(1 for c in customers if len(c.attempts) > len(c.messages)),
                {name: count for name, count in record.items() if not name.endswith("_at")})
    edges = [("start", started), *((name, record[f"{name}_at"]) for name in ("kill", "redis", "postgres")
                                   if f"{name}_at" in record), ("end", time.monotonic())]
    for (name, since), (_, until) in zip(edges, edges[1:], strict=False):
        phase = [attempt for attempt in attempts if since <= attempt.at < until]
        logger.info("phase after %s (%.1f s): %d messages answered, sent again after: %s", name, until - since,
                    sum(attempt.outcome == "ok" for attempt in phase),
                    dict(Counter(attempt.outcome for attempt in phase if attempt.outcome != "ok")) or "nothing")
    apologies = Counter(attempt.said[:120] for attempt in attempts if attempt.said)
    if apologies:
        logger.info("apologies: %s", apologies.most_common(5))
    logger.info("load: this test process used %.1f CPU-seconds", sum(os.times()[:2]) - sum(cpu_before[:2]))
    assert {"kill", "redis", "postgres"} <= set(record), f"not every fault happened: {record}"
    gave_up = [(c.sender, c.gave_up, [a.outcome for a in c.attempts][-ATTEMPTS:]) for c in customers if c.gave_up]
    assert not gave_up, f"{len(gave_up)} customers gave up: {gave_up[:5]}"

    # Every order read back.
    orders = profile.all_orders()
    ours = {customer.sender: customer for customer in customers}
    by_sender: Dict[str, List[dict]] = {}
    for order in orders:
        if order["conversation_id"] in ours:
            by_sender.setdefault(order["conversation_id"], []).append(order)
    problems = {sender: order_problems(product, customer, by_sender.get(sender, []))
                for sender, customer in ours.items()}
    problems = {sender: found for sender, found in problems.items() if found}
    draft_ids = Counter(draft for sender, draft in stored_drafts(profile) if sender in ours)
    stored = sum(len(found) for found in by_sender.values())
    logger.info("orders: %d stored for %d customers; %d with a problem", stored, len(customers), len(problems))
    assert not problems, f"{len(problems)} conversations' orders are wrong: {list(problems.items())[:5]}"
    assert all(count == 1 for count in draft_ids.values()), [d for d, count in draft_ids.items() if count > 1]

    # Every conversation's events in order, no message stored twice.
    events = tracker_events(profile, list(ours))
    event_problems = {sender: events_problems(ours[sender], found) for sender, found in events.items()}
    event_problems = {sender: found for sender, found in event_problems.items() if found}
    logger.info("trackers: %d events of %d conversations read back; %d with a problem",
                sum(len(found) for found in events.values()), len(events), len(event_problems))
    assert not event_problems, f"{len(event_problems)} trackers: {list(event_problems.items())[:5]}"

    # The killed servers serve again (the next test finds the whole profile).
    wait_for(lambda: all(profile.log_text().count(f"{name} serves again") > count
                         for name, count in served_again.items()), 300, "rasa-1 and actions-2 serving again")
    logger.info("faults: rasa-1 and actions-2 serve again; the test took %.1f s", time.monotonic() - started)
