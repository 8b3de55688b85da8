"""Benchmark: training time, start-up time, REST latency and throughput, correctness of
the stored orders and memory, against the real servers on 127.0.0.1.

    python -m bench.benchmark [--orders 12] [--concurrency 20] [--skip-training]
                              [--json out.json] [--check]

Plays the scripted orders of tests/test_e2e_rest.py over Rasa's REST channel: first
`--orders` conversations one after another, then `--concurrency` conversations at once
(each conversation strictly sequential, the conversations in parallel threads). Every
POST is one turn and is timed. Afterwards `bespoke orders --json` must hold exactly one
order with the expected product for every scripted conversation.

The measuring functions take a started `BotServers`, so the tests run them with a tiny
load against the session's servers. The exit code is 0 unless `--check` is given and a
target fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import requests

from bot.local import ROOT, BotServers
from bot.runner import ensure_model, rasa_env, rasa_version

# Scripted conversations, named "<product id>:<style>": one answer per message as in
# tests/test_e2e_rest.py, and the fewest messages a customer can take (several values per
# message, as in tests/test_e2e_free_phrasing.py). Each ends with "yes" and the contact
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
        "12 metre conveyor, 600mm wide, for about 40 kilos a metre, rubber belt, standard environment, 400V",
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
READY_TIMEOUT_S = 120.0
TRAIN_TIMEOUT_S = 3600.0
BARRIER_TIMEOUT_S = 60.0
MB = 1024 * 1024

TARGETS = {
    "sequential_p50_ms": 60.0,
    "sequential_p95_ms": 150.0,
    "ready_s": 20.0,
    "training_s": 60.0,
    "rasa_rss_mb": 1024.0,
    "messages_before_summary": 3,
}


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


def post_turn(session: requests.Session, url: str, sender: str, text: str,
              timeout: float = TURN_TIMEOUT_S) -> Tuple[Turn, List[dict]]:
    """One REST turn, timed; transport and bot errors are recorded, never raised."""
    started = time.perf_counter()
    try:
        response = session.post(
            f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=timeout
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


def play(url: str, sender: str, product: str, phase: str, timeout: float = TURN_TIMEOUT_S,
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
            turn, replies = post_turn(session, url, sender, text, timeout)
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
        conversations.append(play(bot.url, sender, product, "sequential", timeout))
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
        futures = [pool.submit(play, bot.url, sender, product, "concurrent", timeout, barrier)
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


# ---------------------------------------------------------------------------------------
# Processes and memory (Linux /proc; psutil is not a dependency)


def _children_map() -> Dict[int, List[int]]:
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended while we looked
        # The command name may contain spaces and parentheses: the fields follow the last ")".
        fields = stat[stat.rindex(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def descendants(pid: int) -> List[int]:
    children = _children_map()
    found, queue = [], [pid]
    while queue and len(found) < 10_000:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def _cmdline(pid: int) -> List[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _status_mb(pid: int, key: str) -> Optional[float]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return round(int(line.split()[1]) * 1024 / MB, 1)  # the value is in kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def find_server_pid(root_pid: int, module: str) -> Optional[int]:
    """The Python process running `-m <module>` under the honcho tree (not its `sh -c`)."""
    for pid in descendants(root_pid):
        argv = _cmdline(pid)
        if module in argv and argv and "python" in Path(argv[0]).name:
            return pid
    return None


def server_memory(bot: BotServers) -> Dict[str, object]:
    """RSS now and peak (VmHWM) of the Rasa server and the action server, in MiB."""
    root = bot.process.pid if bot.process is not None else None
    figures: Dict[str, object] = {}
    for name, module in (("rasa", "bot.rasa_server"), ("actions", "bot.action_server")):
        pid = find_server_pid(root, module) if root is not None else None
        figures[f"{name}_pid"] = pid
        figures[f"{name}_rss_mb"] = _status_mb(pid, "VmRSS") if pid else None
        figures[f"{name}_peak_rss_mb"] = _status_mb(pid, "VmHWM") if pid else None
    return figures


# ---------------------------------------------------------------------------------------
# Training and start-up


def measure_training(timeout: float = TRAIN_TIMEOUT_S) -> float:
    """Wall time of a full `rasa train` into a temporary folder, with an empty training
    cache (Rasa's .rasa/cache would otherwise reuse trained components)."""
    with tempfile.TemporaryDirectory(prefix="bespoke-bench-train-") as tmp:
        env = rasa_env(os.environ)
        env["RASA_CACHE_DIRECTORY"] = str(Path(tmp) / "cache")
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "rasa", "train", "--out", str(Path(tmp) / "models"),
             "--fixed-model-name", "bench"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
        )
        elapsed = time.perf_counter() - started
        if result.returncode != 0 or not (Path(tmp) / "models" / "bench.tar.gz").exists():
            raise RuntimeError(f"rasa train failed ({result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return elapsed


def first_answer(bot: BotServers, sender: str, deadline: float) -> bool:
    """Say "hi" until the bot answers with at least one message (or the deadline passes)."""
    with requests.Session() as session:
        while time.monotonic() < deadline:
            turn, _ = post_turn(session, bot.url, sender, "hi", timeout=10)
            if turn.error is None:
                return True
            time.sleep(0.05)  # polling interval while the servers finish starting
    return False


def start_and_measure_ready(bot: BotServers, run_id: str) -> Dict[str, float]:
    """Start the servers; seconds from launch to `start()` returning and to the first
    real REST answer (a "hi" from a throwaway sender)."""
    launched = time.perf_counter()
    bot.start()
    started = time.perf_counter() - launched
    if not first_answer(bot, f"bench-{run_id}-ready", time.monotonic() + READY_TIMEOUT_S):
        raise RuntimeError(f"no REST answer within {READY_TIMEOUT_S} s of start:\n{bot.log_tail()}")
    return {"start_returned_s": round(started, 3), "ready_s": round(time.perf_counter() - launched, 3)}


# ---------------------------------------------------------------------------------------
# The report


def measure(bot: BotServers, orders: int, concurrency: int, run_id: Optional[str] = None,
            training_s: Optional[float] = None, ready: Optional[Dict[str, float]] = None,
            timeout: float = TURN_TIMEOUT_S) -> Dict[str, object]:
    """Everything after start-up, against started servers: both load phases, the stored
    orders and memory; with the training and start-up figures measured before (or None)."""
    run_id = run_id or uuid.uuid4().hex[:8]
    log(f"{orders} sequential orders ...")
    sequential, sequential_figures = run_sequential(bot, orders, run_id, timeout)
    log(f"{concurrency} concurrent conversations ...")
    concurrent, concurrent_figures = run_concurrent(bot, concurrency, run_id, timeout)
    log("reading back the orders ...")
    conversations = sequential + concurrent
    order_figures = check_orders(bot, conversations, run_id)
    memory = server_memory(bot)
    report: Dict[str, object] = {
        "run_id": run_id,
        "environment": {
            "cpus": os.cpu_count(), "python": platform.python_version(), "rasa": rasa_version(),
            "platform": platform.platform(),
        },
        "training_s": round(training_s, 2) if training_s is not None else None,
        "ready_s": ready.get("ready_s") if ready else None,
        "start_returned_s": ready.get("start_returned_s") if ready else None,
        "sequential": sequential_figures,
        "concurrent": concurrent_figures,
        "orders": order_figures,
        "turns_per_order": {product: len(script) for product, script in SCRIPTS.items()},
        "messages_before_summary": messages_before_summary(conversations),
        "memory": memory,
        "conversations": [
            {
                "sender": c.sender, "phase": c.phase, "product": c.product, "turns": len(c.turns),
                "summary_after": c.summary_after,
                "errors": len(c.errors), "aborted": c.aborted, "stored": c.stored, "confirmed": c.confirmed,
                "turn_ms": [round(t.ms, 1) if t.ms is not None else None for t in c.turns],
            }
            for c in conversations
        ],
    }
    report["targets"] = evaluate(report)
    report["passed"] = all(target["passed"] is not False for target in report["targets"])
    return report


def messages_before_summary(conversations: List[Conversation]) -> Dict[str, Optional[int]]:
    """Per script, the customer messages it took to reach the summary (None: never reached)."""
    taken: Dict[str, Optional[int]] = {}
    for conversation in conversations:
        seen = taken.get(conversation.product)
        if conversation.summary_after is not None and (seen is None or conversation.summary_after < seen):
            taken[conversation.product] = conversation.summary_after
        taken.setdefault(conversation.product, None)
    return taken


def fewest_messages_per_product(report: Dict[str, object]) -> Dict[str, Optional[int]]:
    fewest: Dict[str, Optional[int]] = {}
    for script, taken in report["messages_before_summary"].items():
        product = script.split(":")[0]
        if taken is not None and (fewest.get(product) is None or taken < fewest[product]):
            fewest[product] = taken
        fewest.setdefault(product, None)
    return fewest


def evaluate(report: Dict[str, object]) -> List[Dict[str, object]]:
    """One entry per target: passed True/False, or None when not measured on purpose
    (training with --skip-training, start-up when the servers were started elsewhere)."""
    sequential, concurrent = report["sequential"], report["concurrent"]
    orders, memory = report["orders"], report["memory"]

    def at_most(name: str, value: Optional[float], limit: float, unit: str, skippable: bool = False):
        if value is None:
            return {"name": name, "value": None, "limit": f"<= {limit:g} {unit}",
                    "passed": None if skippable else False}
        return {"name": name, "value": value, "limit": f"<= {limit:g} {unit}", "passed": value <= limit}

    all_once = (orders["stored_once"] == orders["expected"] and orders["duplicates"] == 0
                and not orders["unexpected"] and not orders["unconfirmed"])
    errors = sequential["errors"] + concurrent["errors"]
    return [
        at_most("sequential p50 turn latency", sequential["latency_ms"]["p50"], TARGETS["sequential_p50_ms"], "ms"),
        at_most("sequential p95 turn latency", sequential["latency_ms"]["p95"], TARGETS["sequential_p95_ms"], "ms"),
        {"name": "zero errors (concurrent and sequential)", "value": errors, "limit": "== 0",
         "passed": errors == 0 and sequential["turns_not_sent"] == 0 and concurrent["turns_not_sent"] == 0},
        {"name": "every scripted order stored once", "value": f"{orders['stored_once']}/{orders['expected']}",
         "limit": "all, 0 duplicates", "passed": all_once},
        at_most("ready after start", report["ready_s"], TARGETS["ready_s"], "s", skippable=True),
        at_most("full training", report["training_s"], TARGETS["training_s"], "s", skippable=True),
        at_most("Rasa RSS", memory["rasa_rss_mb"], TARGETS["rasa_rss_mb"], "MB"),
        *(at_most(f"fewest messages before the summary, {product}", taken, TARGETS["messages_before_summary"], "messages")
          for product, taken in fewest_messages_per_product(report).items()),
    ]


def _n(value, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}" if isinstance(value, (int, float)) else f"{value}{unit}"


def format_report(report: Dict[str, object]) -> str:
    env, seq, con = report["environment"], report["sequential"], report["concurrent"]
    orders, memory = report["orders"], report["memory"]

    def phase(name: str, figures: Dict[str, object]) -> List[str]:
        latency = figures["latency_ms"]
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(figures["errors_by_kind"].items())) or "none"
        return [
            f"{name}: {figures['conversations']} conversations, {figures['turns']} turns in {_n(figures['wall_s'], ' s', 2)}",
            f"  turn latency   p50 {_n(latency['p50'], ' ms')}   p95 {_n(latency['p95'], ' ms')}   "
            f"p99 {_n(latency['p99'], ' ms')}   max {_n(latency['max'], ' ms')}",
            f"  throughput     {_n(figures['turns_per_s'], ' turns/s', 2)}",
            f"  errors         {figures['errors']} ({kinds}); turns not sent {figures['turns_not_sent']}",
        ]

    lines = [
        f"Bespoke benchmark (run {report['run_id']}; Rasa {env['rasa']}, Python {env['python']}, {env['cpus']} CPUs)",
        "",
        f"training (full, empty cache):  {_n(report['training_s'], ' s', 2) if report['training_s'] is not None else 'skipped'}",
        f"ready after start:             {_n(report['ready_s'], ' s', 2)}"
        f"  (start() returned after {_n(report['start_returned_s'], ' s', 2)})",
        "",
        *phase("sequential", seq),
        *phase(f"concurrent ({con.get('concurrency', con['conversations'])} at once)", con),
        "",
        f"orders stored once / expected: {orders['stored_once']}/{orders['expected']}   "
        f"duplicates {orders['duplicates']}   missing {len(orders['missing'])}   "
        f"wrong product {len(orders['wrong_product'])}   unconfirmed {len(orders['unconfirmed'])}   "
        f"unexpected {len(orders['unexpected'])}",
        "turns per scripted order:      "
        + ", ".join(f"{product} {turns}" for product, turns in report["turns_per_order"].items()),
        "messages before the summary:   "
        + ", ".join(f"{product} {_n(taken, digits=0)}" for product, taken in report["messages_before_summary"].items()),
        f"memory (RSS now / peak):       Rasa {_n(memory['rasa_rss_mb'], ' MB')} / {_n(memory['rasa_peak_rss_mb'], ' MB')}"
        f"   action server {_n(memory['actions_rss_mb'], ' MB')} / {_n(memory['actions_peak_rss_mb'], ' MB')}",
        "",
        "targets:",
    ]
    for target in report["targets"]:
        verdict = {True: "PASS", False: "FAIL", None: "SKIP"}[target["passed"]]
        value = target["value"]
        shown = _n(value) if isinstance(value, float) else ("n/a" if value is None else str(value))
        lines.append(f"  {verdict}  {target['name']}: {shown} (target {target['limit']})")
    for name, figures in (("sequential", seq), ("concurrent", con)):
        for example in figures["error_examples"]:
            lines.append(f"  {name} error: {example['sender']} {example['message']!r}: {example['error']} {example['detail']}")
    lines.append(f"overall: {'PASS' if report['passed'] else 'FAIL'}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=12, help="sequential scripted orders (default 12)")
    parser.add_argument("--concurrency", type=int, default=20, help="conversations at once (default 20)")
    parser.add_argument("--skip-training", action="store_true", help="do not measure a full training (reported as null)")
    parser.add_argument("--json", type=Path, help="write all figures to this file")
    parser.add_argument("--check", action="store_true", help="exit non-zero when a target fails")
    args = parser.parse_args(argv)
    if args.orders < 0 or args.concurrency < 0:
        parser.error("--orders and --concurrency must not be negative")

    run_id = uuid.uuid4().hex[:8]
    training_s = None
    if not args.skip_training:
        log("training a model from scratch into a temporary folder ...")
        training_s = measure_training()
    model = ensure_model()  # the servers' model: trained only if data, domain or config changed
    log(f"model {model.name}; starting the servers ...")
    with tempfile.TemporaryDirectory(prefix="bespoke-bench-") as data_dir:
        bot = BotServers(Path(data_dir))
        try:
            ready = start_and_measure_ready(bot, run_id)
            report = measure(bot, args.orders, args.concurrency, run_id, training_s, ready)
        finally:
            bot.stop()
    print(format_report(report), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        log(f"figures written to {args.json}")
    return 1 if args.check and not report["passed"] else 0


if __name__ == "__main__":
    sys.exit(main())
