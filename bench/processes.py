"""The benchmark's view of the processes: a full training, the start-up until the first
REST answer, and the memory of each server (from /proc)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

import requests

from bench.load import post_turn
from bot.local import ROOT, BotServers
from bot.runner import rasa_env

READY_TIMEOUT_S = 120.0
TRAIN_TIMEOUT_S = 3600.0
MB = 1024 * 1024

def exit_on_sigterm() -> None:
    """SIGTERM (a kill, a CI timeout) ends a benchmark the way Ctrl-C does: its `finally`
    blocks stop the servers it started. Python's default ends it at once and left a whole
    bot running (found when a scale_out run was killed)."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


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
            turn, _ = post_turn(session, bot.rest_url, sender, "hi", timeout=10)
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
