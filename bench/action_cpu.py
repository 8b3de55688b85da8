"""The action server's CPU per order turn, and the events a full order stores.

Starts the bot (bot.local.BotServers, `bespoke run --no-train` on free ports with its own
data folder), plays every scripted order of bench/load.py once to warm up (lazy loading,
first compilations), then plays them `--rounds` times one after another and reads the
action server's and Rasa's CPU seconds (utime + stime of /proc/<pid>/stat) before and
after. CPU time, not wall time: the machine is shared, and a process's own CPU seconds
barely move with the load beside it.

Then every measured conversation's tracker is read back from Rasa's API: events stored per
order, SlotSets, and SlotSets that set a slot to the value it already had; and every order
is checked as stored exactly once (bench.load.check_orders).

    uv run --frozen --no-sync python -m bench.action_cpu [--rounds 3] [--profile FILE]

`--profile FILE` also records the measured rounds with py-spy (installed into .venv for
profiling only; samples of the thread holding the GIL, the nearest to CPU time) and prints the
frames with the most samples, self and total.

To compare two trees in one run, run this module in each (a copy of the tree with `models`
linked to the trained models, `cd copy && python -m bench.action_cpu`): `python -m`
imports the bot from the current folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import requests

from bench.load import PRODUCTS, Conversation, check_orders, play
from bench.processes import exit_on_sigterm
from bot.local import BotServers

TICKS = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"action_cpu: {message}", file=sys.stderr, flush=True)


def _descendants(root: int) -> List[int]:
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(entry.name))
    found, queue = [], [root]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def server_pid(bot: BotServers, module: str) -> int:
    """The Python process running `-m <module>` among the bot's processes."""
    assert bot.process is not None
    for pid in _descendants(bot.process.pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if module.encode() in argv and b"python" in Path(argv[0].decode(errors="replace")).name.encode():
            return pid
    raise RuntimeError(f"no process runs {module}")


def cpu_times(pid: int) -> Tuple[float, float]:
    """utime and stime of the process (all its threads), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS  # fields 14 and 15 of proc(5)


def cpu_seconds(pid: int) -> float:
    return sum(cpu_times(pid))


def play_round(bot: BotServers, run_id: str, label: str) -> List[Conversation]:
    conversations = []
    for product in PRODUCTS:
        conversation = play(bot.rest_url, f"cpu-{run_id}-{label}-{product}", product, label)
        conversations.append(conversation)
        if conversation.errors:
            log(f"{conversation.sender}: {[(t.text, t.error, t.detail) for t in conversation.errors]}")
    return conversations


def tracker_events(bot: BotServers, sender: str) -> List[Dict[str, Any]]:
    response = requests.get(f"{bot.url}/conversations/{sender}/tracker",
                            params={"token": bot.token, "include_events": "ALL"}, timeout=60)
    response.raise_for_status()
    return response.json().get("events", [])


def event_counts(events: List[Dict[str, Any]]) -> Dict[str, int]:
    """Events, SlotSets, and SlotSets that leave the slot's value as it was."""
    slots: Dict[str, Any] = {}
    kinds: Counter = Counter()
    same = 0
    for event in events:
        kind = event.get("event")
        kinds[kind] += 1
        if kind == "slot":
            if event.get("name") in slots and slots[event["name"]] == event.get("value"):
                same += 1
            slots[event["name"]] = event.get("value")
        elif kind in ("restart", "session_started"):
            slots = {} if kind == "restart" else slots
    return {"events": len(events), "slot_sets": kinds["slot"], "slot_sets_unchanged": same,
            "actions": kinds["action"], "user": kinds["user"], "bot": kinds["bot"]}


# The event loop waiting for a request: py-spy sees Sanic's serve() frame on top.
IDLE_FRAME = "serve (sanic/server/runners.py"


def profile_summary(raw: Path, top: int = 25) -> Dict[str, List[Tuple[str, float]]]:
    """From py-spy's collapsed stacks: the frames with the most busy samples, self and total
    (% of the busy samples; the samples of the idle event loop are left out)."""
    own: Counter = Counter()
    total: Counter = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        if frames[-1].startswith(IDLE_FRAME):
            continue
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    share = (lambda n: round(100 * n / samples, 1)) if samples else (lambda n: 0.0)
    return {"busy_samples": [("all", float(samples))],
            "self": [(frame, share(n)) for frame, n in own.most_common(top)],
            "total": [(frame, share(n)) for frame, n in total.most_common(top)]}


def measure(rounds: int, profile: Optional[Path], keep: bool) -> Dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    data_dir = Path(tempfile.mkdtemp(prefix="bespoke-action-cpu-"))
    bot = BotServers(data_dir)
    log(f"starting the bot in {data_dir}")
    bot.start()
    spy: Optional[subprocess.Popen] = None
    try:
        actions, rasa = server_pid(bot, "bot.action_server"), server_pid(bot, "bot.rasa_server")
        warm = play_round(bot, run_id, "warm")
        measured: List[Conversation] = []
        if profile is not None:
            py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
            spy = subprocess.Popen([py_spy, "record", "--pid", str(actions), "--format", "raw", "--rate", "250",
                                    "--output", str(profile), "--nonblocking", "--gil"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        before = cpu_seconds(actions), cpu_seconds(rasa), time.perf_counter(), cpu_times(actions)[1]
        for index in range(rounds):
            measured += play_round(bot, run_id, f"r{index}")
        after = cpu_seconds(actions), cpu_seconds(rasa), time.perf_counter(), cpu_times(actions)[1]
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        turns = sum(len(c.turns) for c in measured)
        per_product: Dict[str, Dict[str, int]] = {}
        for conversation in measured[:len(PRODUCTS)]:
            per_product[conversation.product] = {"turns": len(conversation.turns),
                                                 **event_counts(tracker_events(bot, conversation.sender))}
        result: Dict[str, Any] = {
            "rounds": rounds, "turns": turns,
            "errors": sum(len(c.errors) for c in warm + measured),
            "actions_cpu_ms_per_turn": round((after[0] - before[0]) * 1000 / turns, 2),
            "actions_system_cpu_ms_per_turn": round((after[3] - before[3]) * 1000 / turns, 2),  # in the kernel
            "rasa_cpu_ms_per_turn": round((after[1] - before[1]) * 1000 / turns, 2),
            "wall_ms_per_turn": round((after[2] - before[2]) * 1000 / turns, 1),
            "events_per_order": per_product,
            "orders": check_orders(bot, warm + measured, run_id),
        }
        if profile is not None and profile.exists():
            result["profile"] = profile_summary(profile)
        return result
    finally:
        if spy is not None and spy.poll() is None:
            spy.kill()
        bot.stop()
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="measured plays of every script (default 3)")
    parser.add_argument("--profile", type=Path, help="py-spy collapsed stacks of the measured rounds")
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    args = parser.parse_args(argv)
    result = measure(args.rounds, args.profile, args.keep)
    print(json.dumps(result, indent=1))
    orders = result["orders"]
    ok = not result["errors"] and orders["stored_once"] == orders["expected"]
    return 0 if ok else 1


if __name__ == "__main__":
    exit_on_sigterm()
    sys.exit(main())
