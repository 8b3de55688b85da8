"""Scale-out benchmark: the single-process default against the production profile with 1 and
with 2 Rasa servers, in one run, on the same machine, at the same offered rates.

    python -m bench.scale_out [--rates 10,20,30,40,50,60] [--duration 40] [--think 1.0]
                              [--variants single,profile-1,profile-2] [--full] [--json out.json]

Each variant is started on its own (its own data folder; the profile over a PostgreSQL
cluster and a redis-server of its own on free ports, as tests/scale/conftest.py starts
them), then bench/open_loop.py's ladder runs against it over Rasa's REST channel (the
profile: through nginx): at each offered rate new scripted conversations arrive at a fixed
rate, whatever the answers take. A variant's ladder stops one step past its knee (p95 over
3 s, or under 80 % of the offered rate achieved in a step of 30 s or more) unless --full.

Per step: p50/p95/p99, achieved turns/s, how busy the whole machine was (/proc/stat), and
the CPU milliseconds per turn of each kind of process (Rasa, action servers, web servers,
nginx, the supervisor, PostgreSQL with its backends, Redis), from /proc (a process's own
CPU, its finished children's, and its live children's). Per variant: the knee, the highest
offered rate with p95 under 1 s and the achieved rate within 5 % of the offered one.
Every stored order is read back at the end of each variant (bench/load.py check_orders).

Needs nginx, PostgreSQL's initdb and redis-server (as the profile's tests do). The machine
should be quiet: another load on it is measured too (the busy % shows it)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from bench.load import PRODUCTS, log
from bench.open_loop import _fmt, run_step, step_figures
from bench.processes import _children_map, _cmdline, exit_on_sigterm
from bot.local import BotServers

SERVER_MODULES = {"bot.rasa_server": "rasa", "bot.action_server": "actions", "bot.server": "web", "bot.cli": "supervisor"}
KINDS = ("rasa", "actions", "web", "supervisor", "nginx")
KNEE_P95_MS = 1000.0
KNEE_ACHIEVED = 0.95  # achieved at least this share of the offered rate
PAST_KNEE_P95_MS = 3000.0
PAST_KNEE_ACHIEVED = 0.8
VARIANTS = ("single", "profile-1", "profile-2")


# ---------------------------------------------------------------------------------------
# CPU from /proc


def _stat_fields(pid: int) -> Optional[List[str]]:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2:].split()  # fields 3.. (the name may hold spaces)


def tree_cpu_s(pid: int, children: Dict[int, List[int]]) -> float:
    """CPU seconds of a process, of its children that ended (cutime, cstime) and of its live
    children, recursively: a backend that ends between two readings is still counted."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    own = sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return own + sum(tree_cpu_s(child, children) for child in children.get(pid, []))


def kind_of(argv: List[str]) -> Optional[str]:
    """rasa, actions, web, supervisor (`python -m bot.cli run` or `python .../bespoke run`),
    nginx (its master: nginx rewrites its command line), or None."""
    if argv and argv[0].startswith("nginx: master"):
        return "nginx"
    if not argv or "python" not in Path(argv[0]).name:
        return None
    if len(argv) > 1 and Path(argv[1]).name == "bespoke":
        return "supervisor"
    return next((kind for module, kind in SERVER_MODULES.items() if module in argv), None)


def own_cpu_s(pid: int) -> float:
    """utime + stime of the process alone (the supervisor: its servers are counted apart)."""
    fields = _stat_fields(pid)
    return 0.0 if fields is None else sum(int(value) for value in fields[11:13]) / os.sysconf("SC_CLK_TCK")


def processes_by_kind(root: int) -> Dict[str, List[int]]:
    """The top process of each kind under `root`: the Python process of each server (not the
    shell that starts it), nginx's master (its workers are counted with it)."""
    children = _children_map()
    found: Dict[str, List[int]] = {kind: [] for kind in KINDS}
    queue = [root]
    while queue:
        pid = queue.pop()
        kind = kind_of(_cmdline(pid))
        if kind is not None:
            found[kind].append(pid)
            if kind != "supervisor":
                continue  # a server's own children are counted with it
        queue.extend(children.get(pid, []))
    return found


class CpuMeter:
    """CPU seconds per kind of process, and the whole machine's busy and total jiffies."""

    def __init__(self, kinds: Callable[[], Dict[str, List[int]]]) -> None:
        self.kinds = kinds

    def read(self) -> Tuple[Dict[str, float], Tuple[int, int]]:
        children = _children_map()
        cpu = {kind: sum(own_cpu_s(pid) if kind == "supervisor" else tree_cpu_s(pid, children) for pid in pids)
               for kind, pids in self.kinds().items()}
        values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        idle = values[3] + values[4]  # idle + iowait
        return cpu, (sum(values) - idle, sum(values))


# ---------------------------------------------------------------------------------------
# The variants


class Target:
    """What a ladder runs against: Rasa's REST URL, the processes to measure, the orders."""

    def __init__(self, name: str, rest_url: str, kinds: Callable[[], Dict[str, List[int]]],
                 orders: Callable[[], List[dict]]) -> None:
        self.name, self.rest_url, self.kinds, self._orders = name, rest_url, kinds, orders

    def orders(self) -> List[dict]:  # check_orders asks for bot.orders()
        return self._orders()


@contextlib.contextmanager
def started(variant: str, folder: Path) -> Iterator[Target]:
    if variant == "single":
        bot = BotServers(folder / "single").start()
        try:
            assert bot.process is not None
            root = bot.process.pid
            yield Target(variant, bot.rest_url, lambda: processes_by_kind(root), bot.orders)
        finally:
            bot.stop()
        return
    from tests.scale.conftest import nginx_or_skip, postgres_cluster, running_profile
    from tests.support.redis_server import own_redis_server

    rasa = int(variant.split("-")[1])
    nginx_or_skip()
    (folder / variant).mkdir()
    with postgres_cluster() as postgres, own_redis_server(folder / variant) as redis, \
            running_profile(folder / variant, postgres, redis, rasa=rasa, actions=rasa, web=1) as profile:
        def kinds() -> Dict[str, List[int]]:
            found = processes_by_kind(profile.process.pid)
            assert postgres.server is not None and redis.process is not None
            return {**found, "postgres": [postgres.server.pid], "redis": [redis.process.pid]}

        yield Target(variant, profile.rest_url, kinds, profile.all_orders)


def ladder(target: Target, rates: Sequence[float], duration_s: float, think_s: float, full: bool,
           products: Sequence[str]) -> Dict[str, object]:
    from bench.load import check_orders

    run_id = uuid.uuid4().hex[:8]
    meter = CpuMeter(target.kinds)
    steps, everyone = [], []
    for rate in rates:
        log(f"[{target.name}] {rate:g} turns/s offered for {duration_s:g} s ...")
        before, (busy_before, total_before) = meter.read()
        bench_before = time.process_time()
        conversations, answered_at, began, ended = asyncio.run(
            run_step(target.rest_url, rate, duration_s, think_s, run_id, f"{target.name}-r{rate:g}", products))
        after, (busy_after, total_after) = meter.read()
        cpu: Dict[str, Optional[float]] = {kind: after.get(kind, 0.0) - before.get(kind, 0.0) for kind in after}
        step = step_figures(rate, conversations, answered_at, began, ended, cpu, time.process_time() - bench_before,
                            products, think_s, duration_s)
        step["machine_busy_pct"] = round(100 * (busy_after - busy_before) / max(1, total_after - total_before), 1)
        step["load_average"] = os.getloadavg()
        steps.append(step)
        everyone += conversations
        log(format_step(step))
        if not full and past_knee(step, duration_s):
            log(f"[{target.name}] past the knee at {rate:g} turns/s: the ladder stops here")
            break
    return {"variant": target.name, "steps": steps, "knee_turns_per_s": knee(steps),
            "orders": check_orders(target, everyone, run_id)}  # type: ignore[arg-type]


def within_knee(step: Dict[str, object]) -> bool:
    p95 = step["latency_ms"]["p95"]  # type: ignore[index]
    achieved = step["achieved_turns_per_s"]
    return (p95 is not None and p95 < KNEE_P95_MS and achieved is not None and not step["errors"]
            and achieved >= KNEE_ACHIEVED * step["offered_turns_per_s"])  # type: ignore[operator]


def past_knee(step: Dict[str, object], duration_s: float) -> bool:
    """Far enough past the knee to stop the ladder. The achieved rate counts only when the
    step was long enough for it (under 30 s of arrivals it reads low at any load)."""
    p95 = step["latency_ms"]["p95"]  # type: ignore[index]
    achieved = step["achieved_turns_per_s"]
    starved = duration_s >= 30 and (achieved is None or achieved < PAST_KNEE_ACHIEVED * step["offered_turns_per_s"])  # type: ignore[operator]
    return p95 is None or p95 > PAST_KNEE_P95_MS or starved


def knee(steps: List[Dict[str, object]]) -> Optional[float]:
    """The highest offered rate within the knee, below the first rate that is not."""
    found = None
    for step in steps:
        if not within_knee(step):
            break
        found = step["offered_turns_per_s"]
    return found  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------
# Report

COLUMNS = ("rasa", "actions", "web", "nginx", "supervisor", "postgres", "redis")


def format_step(step: Dict[str, object]) -> str:
    lat, cpu = step["latency_ms"], step["cpu_ms_per_turn"]
    return (f"  {step['offered_turns_per_s']:>7g}  {_fmt(step['achieved_turns_per_s']):>8}  "  # type: ignore[index]
            f"{_fmt(lat['p50']):>7}  {_fmt(lat['p95']):>7}  {_fmt(lat['p99']):>7}  {step['errors']:>6}  "  # type: ignore[index]
            f"{_fmt(step['machine_busy_pct']):>6}  "
            + "  ".join(f"{_fmt(cpu.get(kind)):>{max(len(kind), 5)}}" for kind in COLUMNS))  # type: ignore[union-attr]


def format_variant(result: Dict[str, object]) -> str:
    orders = result["orders"]
    header = ("  offered  achieved   p50 ms   p95 ms   p99 ms  errors  busy %  "
              + "  ".join(f"{kind:>{max(len(kind), 5)}}" for kind in COLUMNS))
    return "\n".join([
        f"{result['variant']}: knee {_fmt(result['knee_turns_per_s'])} turns/s; orders stored once "  # type: ignore[arg-type]
        f"{orders['stored_once']}/{orders['expected']}, duplicates {orders['duplicates']}, "  # type: ignore[index]
        f"missing {len(orders['missing'])}, unconfirmed {len(orders['unconfirmed'])}",  # type: ignore[index]
        "  (CPU ms per turn of each kind of process)",
        header,
        *(format_step(step) for step in result["steps"]),  # type: ignore[attr-defined]
    ])


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_out", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="10,20,30,40,50,60", help="offered turns/s, comma-separated")
    parser.add_argument("--duration", type=float, default=40.0, help="seconds of arrivals per rate (default 40)")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between an answer and the next message")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--scripts", default="step_by_step", help="bench/load.py SCRIPTS: step_by_step, all or names")
    parser.add_argument("--full", action="store_true", help="every rate, also past the knee")
    parser.add_argument("--embedding-cache-off", action="store_true",
                        help="every Rasa embeds each message as if new (the scripts repeat each other's texts)")
    parser.add_argument("--json", type=Path, help="write all figures to this file")
    args = parser.parse_args(argv)
    if args.embedding_cache_off:  # every server this run starts inherits it
        from bench.open_loop import EMBEDDING_CACHE_OFF_ENV

        os.environ[EMBEDDING_CACHE_OFF_ENV] = "1"
    rates = [float(rate) for rate in args.rates.split(",") if rate.strip()]
    variants = [variant.strip() for variant in args.variants.split(",") if variant.strip()]
    if not rates or min(rates) <= 0 or args.duration <= 0 or args.think < 0:
        parser.error("rates and --duration must be positive, --think not negative")
    if any(variant not in VARIANTS for variant in variants):
        parser.error(f"variants are {', '.join(VARIANTS)}")
    products = (list(PRODUCTS) if args.scripts == "all" else
                [p for p in PRODUCTS if p.endswith(":" + args.scripts)] or args.scripts.split(","))

    from bot.runner import ensure_model

    ensure_model()
    results = []
    with tempfile.TemporaryDirectory(prefix="bespoke-scale-out-") as folder:
        for variant in variants:
            with started(variant, Path(folder)) as target:
                results.append(ladder(target, rates, args.duration, args.think, args.full, products))
            log(format_variant(results[-1]))
            if args.json:
                args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"Bespoke scale-out benchmark: think {args.think:g} s, {args.duration:g} s of arrivals per rate, "
          f"{os.cpu_count()} CPUs, load average at the end {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for result in results:
        print(format_variant(result), flush=True)
    single = next((r["knee_turns_per_s"] for r in results if r["variant"] == "single"), None)
    for result in results:
        if single and result["variant"] != "single" and result["knee_turns_per_s"]:
            print(f"{result['variant']}: knee {result['knee_turns_per_s'] / single:.2f}× the single process's")
    return 0


if __name__ == "__main__":
    exit_on_sigterm()
    sys.exit(main())
