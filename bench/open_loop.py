"""Open-loop benchmark: conversations arrive at a fixed rate, whatever the bot's latency.

    python -m bench.open_loop [--rates 10,20,30,40] [--duration 40] [--think 1.0]
                              [--compare] [--off NAMES] [--json out.json] [--plot out.png]

A closed loop (bench/benchmark.py: N customers, each waiting for the answer before the
next message) slows its own load down when the bot slows down, which hides the queueing a
shop sees. Here, at each offered rate (customer messages per second), a new scripted
conversation (bench/load.py's SCRIPTS, cycled) starts every `turns per conversation /
rate` seconds for `--duration` seconds, each customer waits `--think` seconds after every
answer before the next message, and the step ends when every started conversation has
finished. Then every conversation's stored order is read back (`bespoke orders --json`,
bench/load.py check_orders).

Per offered rate it prints p50/p95/p99 turn latency, the achieved turns/s (in the steady
part of the step, after the first conversations' length), errors, the CPU milliseconds per
turn of the Rasa server and of the action server (utime+stime deltas from /proc/PID/stat
over the step, divided by the step's turns), and the p50 per turn index (turn 2 against
turn 12: a turn should not cost more because the conversation is longer).

`--compare` runs every rate twice, in separate server starts back to back: first with
every Rasa patch of bot/rasa_patches.py switched off (BESPOKE_BENCH_RASA_PATCHES_OFF=all),
then with all of them on; `--off a,b` runs once with the named patches off; `--variants
'all;a;'` runs all off, then all but a, then all on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import aiohttp

from bench.load import (
    BOT_ERROR_PHRASES, PRODUCTS, SCRIPTS, SUMMARY_MARK, TURN_TIMEOUT_S, Conversation, Turn, check_orders, log,
    percentile, reply_text,
)
from bench.processes import _status_mb, exit_on_sigterm, find_server_pid
from bot.local import BotServers

PATCHES_OFF_ENV = "BESPOKE_BENCH_RASA_PATCHES_OFF"
EMBEDDING_CACHE_OFF_ENV = "BESPOKE_BENCH_EMBEDDING_CACHE_OFF"
RESULTS = Path(__file__).resolve().parent / "results"
TURN_INDEXES = (1, 2, 6, 12)  # reported per-turn-index p50s (1-based)


# ---------------------------------------------------------------------------------------
# CPU time of a process, from /proc


def cpu_seconds(pid: Optional[int]) -> Optional[float]:
    """utime + stime of one process, in seconds (None when it is gone or unknown)."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # fields 3.. (the name may hold spaces)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(bot: BotServers) -> Dict[str, Optional[int]]:
    root = bot.process.pid if bot.process is not None else None
    return {
        name: find_server_pid(root, module) if root is not None else None
        for name, module in (("rasa", "bot.rasa_server"), ("actions", "bot.action_server"))
    }


# ---------------------------------------------------------------------------------------
# One conversation, one step


async def post_turn(session: aiohttp.ClientSession, rest_url: str, sender: str, text: str,
                    timeout: float) -> Tuple[Turn, List[dict], float]:
    """One REST turn to `rest_url` (BotServers.rest_url), timed (Turn.ms), and the time its
    answer came (perf_counter)."""
    started = time.perf_counter()
    try:
        async with session.post(rest_url, json={"sender": sender, "message": text},
                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            body = await response.text()
            status = response.status
    except asyncio.TimeoutError:
        return Turn(text, None, "timeout", f"no answer within {timeout} s"), [], time.perf_counter()
    except aiohttp.ClientError as error:
        return Turn(text, None, "connection", str(error)[:200]), [], time.perf_counter()
    done = time.perf_counter()
    ms = (done - started) * 1000
    if status >= 400:
        return Turn(text, ms, "http", f"HTTP {status}: {body[:200]}"), [], done
    try:
        replies = json.loads(body)
    except ValueError:
        return Turn(text, ms, "bad_json", body[:200]), [], done
    if not isinstance(replies, list) or not replies:
        return Turn(text, ms, "empty", "no reply where one was expected"), [], done
    said = reply_text(replies)
    phrase = next((p for p in BOT_ERROR_PHRASES if p in said.lower()), None)
    return (Turn(text, ms, "bot_error", said[:200]) if phrase else Turn(text, ms)), replies, done


async def converse(session: aiohttp.ClientSession, rest_url: str, conversation: Conversation, think_s: float,
                   timeout: float, answered_at: List[float]) -> None:
    for index, text in enumerate(SCRIPTS[conversation.product]):
        if index:
            await asyncio.sleep(think_s)  # the customer reads and types: part of the load's shape
        turn, replies, done = await post_turn(session, rest_url, conversation.sender, text, timeout)
        conversation.turns.append(turn)
        answered_at.append(done)
        if replies:
            conversation.last_text = reply_text(replies)
            if conversation.summary_after is None and SUMMARY_MARK in conversation.last_text:
                conversation.summary_after = len(conversation.turns)
        if turn.error in ("timeout", "connection", "http", "bad_json"):
            conversation.aborted = True
            return


def mean_turns(products: Sequence[str]) -> float:
    return sum(len(SCRIPTS[p]) for p in products) / len(products)


async def run_step(rest_url: str, rate: float, duration_s: float, think_s: float, run_id: str, label: str,
                   products: Sequence[str] = PRODUCTS,
                   timeout: float = TURN_TIMEOUT_S) -> Tuple[List[Conversation], List[float], float, float]:
    """Conversations started every mean_turns/rate seconds for duration_s, then all finished.
    Returns them, the answer times, the step's start and its end (perf_counter)."""
    interval = mean_turns(products) / rate
    count = max(1, int(duration_s / interval))
    conversations = [
        Conversation(sender=f"bench-{run_id}-{label}-{index:04d}-{products[index % len(products)]}",
                     product=products[index % len(products)], phase=label)
        for index in range(count)
    ]
    answered_at: List[float] = []
    connector = aiohttp.TCPConnector(limit=0)  # one connection per customer, as separate browsers
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        tasks = []
        for index, conversation in enumerate(conversations):
            delay = started + index * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)  # the arrival schedule: fixed, whatever the answers take
            tasks.append(asyncio.create_task(converse(session, rest_url, conversation, think_s, timeout, answered_at)))
        await asyncio.gather(*tasks)
    return conversations, answered_at, started, time.perf_counter()


# ---------------------------------------------------------------------------------------
# Figures


def _r(value: Optional[float], digits: int = 1) -> Optional[float]:
    return None if value is None else round(value, digits)


def step_figures(rate: float, conversations: List[Conversation], answered_at: List[float], started: float,
                 ended: float, cpu: Dict[str, Optional[float]], bench_cpu_s: float,
                 products: Sequence[str] = PRODUCTS, think_s: float = 1.0, duration_s: float = 0.0) -> Dict[str, object]:
    turns = [turn for c in conversations for turn in c.turns]
    timed = [turn.ms for turn in turns if turn.ms is not None]
    errors: Dict[str, int] = {}
    for turn in turns:
        if turn.error:
            errors[turn.error] = errors.get(turn.error, 0) + 1
    # Steady state: after the first conversations have had time to reach their last turns.
    ramp = min(mean_turns(products) * think_s, duration_s / 2)
    window = (started + ramp, started + max(duration_s, ramp + 1e-9))
    in_window = sum(1 for t in answered_at if window[0] <= t < window[1])
    by_index: Dict[int, List[float]] = {}
    for c in conversations:
        for index, turn in enumerate(c.turns, start=1):
            if turn.ms is not None:
                by_index.setdefault(index, []).append(turn.ms)
    return {
        "offered_turns_per_s": rate,
        "conversations": len(conversations),
        "turns": len(turns),
        "wall_s": round(ended - started, 2),
        "achieved_turns_per_s": round(in_window / (window[1] - window[0]), 2) if window[1] > window[0] else None,
        "latency_ms": {name: _r(percentile(timed, q)) for name, q in (("p50", 50), ("p95", 95), ("p99", 99))},
        "max_ms": _r(max(timed)) if timed else None,
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "error_examples": [{"sender": c.sender, "message": t.text, "error": t.error, "detail": t.detail}
                           for c in conversations for t in c.errors][:5],
        "cpu_ms_per_turn": {name: (_r(seconds * 1000 / len(turns)) if seconds is not None and turns else None)
                            for name, seconds in {**cpu, "bench": bench_cpu_s}.items()},
        "p50_ms_by_turn_index": {str(i): _r(percentile(by_index.get(i, []), 50)) for i in TURN_INDEXES},
        "turns_by_index": {str(i): len(by_index.get(i, [])) for i in TURN_INDEXES},
    }


def measure_rates(bot: BotServers, rates: Sequence[float], duration_s: float, think_s: float,
                  run_id: Optional[str] = None, variant: str = "default",
                  products: Sequence[str] = PRODUCTS) -> Dict[str, object]:
    """Every rate in turn against started servers; every stored order read back at the end."""
    run_id = run_id or uuid.uuid4().hex[:8]
    pids = server_pids(bot)
    steps, everyone = [], []
    for rate in rates:
        log(f"[{variant}] {rate:g} turns/s offered for {duration_s:g} s ...")
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        bench_before = time.process_time()
        conversations, answered_at, started, ended = asyncio.run(
            run_step(bot.rest_url, rate, duration_s, think_s, run_id, f"{variant}-r{rate:g}", products))
        bench_cpu = time.process_time() - bench_before
        after = {name: cpu_seconds(pid) for name, pid in pids.items()}
        cpu = {name: (after[name] - before[name]) if None not in (after[name], before[name]) else None
               for name in pids}
        steps.append(step_figures(rate, conversations, answered_at, started, ended, cpu, bench_cpu,
                                  products, think_s, duration_s))
        steps[-1]["rss_mb"] = {name: _status_mb(pid, "VmRSS") if pid else None for name, pid in pids.items()}
        everyone += conversations
    log(f"[{variant}] reading back the orders ...")
    return {"variant": variant, "run_id": run_id, "pids": pids, "steps": steps,
            "orders": check_orders(bot, everyone, run_id)}


# ---------------------------------------------------------------------------------------
# Report


def format_variant(result: Dict[str, object]) -> str:
    orders = result["orders"]
    lines = [
        f"{result['variant']}: orders stored once {orders['stored_once']}/{orders['expected']}, duplicates "
        f"{orders['duplicates']}, missing {len(orders['missing'])}, unconfirmed {len(orders['unconfirmed'])}",
        "  offered  achieved   p50 ms   p95 ms   p99 ms  errors  CPU ms/turn rasa  actions  bench"
        "   RSS MB rasa  actions   p50 by turn " + " ".join(f"#{i}" for i in TURN_INDEXES),
    ]
    for s in result["steps"]:
        lat, cpu = s["latency_ms"], s["cpu_ms_per_turn"]
        by_index = " / ".join(_fmt(s["p50_ms_by_turn_index"][str(i)]) for i in TURN_INDEXES)
        lines.append(
            f"  {s['offered_turns_per_s']:>7g}  {_fmt(s['achieved_turns_per_s']):>8}  {_fmt(lat['p50']):>7}  "
            f"{_fmt(lat['p95']):>7}  {_fmt(lat['p99']):>7}  {s['errors']:>6}  {_fmt(cpu['rasa']):>16}  "
            f"{_fmt(cpu['actions']):>7}  {_fmt(cpu['bench']):>5}   {_fmt(s['rss_mb']['rasa']):>11}  "
            f"{_fmt(s['rss_mb']['actions']):>7}   {by_index}")
        for example in s["error_examples"]:
            lines.append(f"    error: {example['sender']} {example['message']!r}: {example['error']} {example['detail']}")
    return "\n".join(lines)


def _fmt(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def plot(results: List[Dict[str, object]], path: Path) -> Optional[Path]:
    """Latency (p50, p99) against offered load, one line pair per variant; None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib is not installed: no plot")
        return None
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for result in results:
        rates = [s["offered_turns_per_s"] for s in result["steps"]]
        for q, style in (("p50", "-o"), ("p95", ":^"), ("p99", "--s")):
            axes.plot(rates, [s["latency_ms"][q] for s in result["steps"]], style, label=f"{result['variant']} {q}")
    axes.set_xlabel("offered load (customer messages per second)")
    axes.set_ylabel("turn latency (ms)")
    axes.set_yscale("log")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    axes.set_title("Bespoke open-loop benchmark (one 2-core machine)")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path


def run_variant(rates: Sequence[float], duration_s: float, think_s: float, off: str, variant: str,
                products: Sequence[str], embedding_cache: bool = True) -> Dict[str, object]:
    """Servers started for this variant alone (its patches switched off), measured, stopped.
    Without `embedding_cache` Rasa embeds every message as if no customer had sent it before."""
    from bot.runner import ensure_model

    ensure_model()  # again for each start: the data may have changed since the last one
    with tempfile.TemporaryDirectory(prefix="bespoke-open-loop-") as data_dir:
        bot = BotServers(Path(data_dir), extra_env={PATCHES_OFF_ENV: off,
                                                    EMBEDDING_CACHE_OFF_ENV: "" if embedding_cache else "1"})
        bot.start()
        try:
            return measure_rates(bot, rates, duration_s, think_s, variant=variant, products=products)
        finally:
            bot.stop()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.open_loop", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="10,20,30,40", help="offered turns/s, comma-separated (default 10,20,30,40)")
    parser.add_argument("--duration", type=float, default=40.0, help="seconds of arrivals per rate (default 40)")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between an answer and the next message (default 1)")
    parser.add_argument("--scripts", default="step_by_step",
                        help="which SCRIPTS: 'step_by_step' (default), 'fewest_messages', 'all' or names")
    parser.add_argument("--compare", action="store_true", help="all Rasa patches off, then all on (two server starts)")
    parser.add_argument("--off", default="", help="Rasa patches to switch off (names in bot/rasa_patches.py, or 'all')")
    parser.add_argument("--variants", help="server starts back to back, each the patches it switches off, separated by "
                        "';' (e.g. 'all;tracker_cache;' = all off, all but tracker_cache, all on); overrides --compare/--off")
    parser.add_argument("--embedding-cache-off", action="store_true",
                        help="Rasa embeds every message as if new (the scripts repeat each other's texts word for word)")
    parser.add_argument("--json", type=Path, help="write all figures to this file")
    parser.add_argument("--plot", type=Path, help=f"save a latency plot here (e.g. {RESULTS}/open_loop.png)")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    if not rates or min(rates) <= 0 or args.duration <= 0 or args.think < 0:
        parser.error("rates and --duration must be positive, --think not negative")
    if args.scripts in ("step_by_step", "fewest_messages"):
        products = [p for p in PRODUCTS if p.endswith(":" + args.scripts)]
    elif args.scripts == "all":
        products = list(PRODUCTS)
    else:
        products = [p for p in args.scripts.split(",") if p]
        unknown = [p for p in products if p not in SCRIPTS]
        if unknown:
            parser.error(f"unknown scripts {unknown}; known: {PRODUCTS}")

    if args.variants is not None:
        offs = [off.strip() for off in args.variants.split(";")]
    else:
        offs = ["all", ""] if args.compare else [args.off]
    variants = [("patches on" if not off else "patches off" if off == "all" else f"off: {off}", off) for off in offs]
    results = []
    for name, off in variants:
        name += ", embedding cache off" if args.embedding_cache_off else ""
        results.append(run_variant(rates, args.duration, args.think, off, name, products,
                                   embedding_cache=not args.embedding_cache_off))
        log(format_variant(results[-1]))  # at once: a later variant may fail
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"Bespoke open-loop benchmark: think {args.think:g} s, {args.duration:g} s of arrivals per rate, "
          f"scripts {', '.join(products)} ({mean_turns(products):.1f} turns on average), {os.cpu_count()} CPUs")
    for result in results:
        print(format_variant(result), flush=True)
    if args.json:
        log(f"figures written to {args.json}")
    if args.plot and plot(results, args.plot):
        log(f"plot saved to {args.plot}")
    return 0


if __name__ == "__main__":
    exit_on_sigterm()
    sys.exit(main())
