"""Where a turn's time goes: py-spy on the Rasa server and the action server under the
open-loop load of bench/open_loop.py.

    python -m bench.profile_turn [--rate 20] [--duration 40] [--off NAMES] [--top 25]
                                 [--out bench/results/profile]

py-spy (`uv pip install py-spy`, not a dependency of the bot) samples both processes at
100 Hz while the load runs (`--nonblocking`: the processes are never paused) and writes
its collapsed stacks; this script then prints, per process, the share of samples in which
each function is on the stack (inclusive) and on top (self), the idle frames (the event
loop waiting) left out, and a few named parts of a turn (tracker load, save, action call,
NLU, policies).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from bench.load import log
from bench.open_loop import PATCHES_OFF_ENV, RESULTS, run_step, server_pids
from bench.processes import exit_on_sigterm
from bot.local import BotServers

SAMPLE_HZ = 100
# py-spy leaves out idle threads; a sample whose top frame is one of these is a process waiting, not working.
# The analytics writer thread waiting on its queue shows as its own frame on top (py-spy
# does not see that wait as idle): 57 % of the action server's samples were that wait.
IDLE = ("serve (sanic/server/runners.py", "select (selectors.py", "poll (selectors.py",
        "_run_once (asyncio/base_events.py", "epoll", "_run (bot/store/analytics.py")
# Named parts of a turn: a sample counts for a part when one of its frames contains the text.
PARTS: Dict[str, Tuple[str, ...]] = {
    "tracker load (SQLTrackerStore._retrieve)": ("_retrieve (rasa/core/tracker_store.py", "_retrieve (bot/rasa_server.py"),
    "  of it: events replayed (from_dict)": ("from_dict (rasa/shared/core/trackers.py",),
    "tracker save (SQLTrackerStore.save)": ("save (rasa/core/tracker_store.py", "save (bot/rasa_server.py"),
    "action server calls (RemoteAction.run)": ("run (rasa/core/actions/action.py",),
    "  of it: tracker to JSON (current_state)": ("current_state (rasa/shared/core/trackers.py",),
    "NLU (parse_message)": ("parse_message (rasa/core/processor.py",),
    "policies (predict_next_with_tracker)": ("predict_next_with_tracker (rasa/core/processor.py",
                                              "_predict_next_with_tracker (rasa/core/processor.py"),
    "SQLite commit (do_commit)": ("do_commit (sqlalchemy/engine/default.py",),
    "jsonschema": ("(jsonschema/",),
}


def read_collapsed(path: Path) -> List[Tuple[List[str], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def summarise(stacks: List[Tuple[List[str], int]], top: int, wall_s: float) -> Dict[str, object]:
    """Shares of the busy samples: per part, per function on the stack and on top."""
    busy = [(frames, n) for frames, n in stacks if frames and not any(i in frames[-1] for i in IDLE)]
    total_busy = sum(n for _, n in busy)
    total = round(wall_s * SAMPLE_HZ)  # samples had every thread of it been busy all along
    inclusive: Counter = Counter()
    own: Counter = Counter()
    parts: Counter = Counter()
    for frames, n in busy:
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
        for part, needles in PARTS.items():
            if any(needle in frame for frame in frames for needle in needles):
                parts[part] += n

    def share(n: int) -> float:
        return round(100 * n / total_busy, 1) if total_busy else 0.0

    return {
        "samples": total, "busy_samples": total_busy,
        "busy_percent": round(100 * total_busy / total, 1) if total else 0.0,  # of one core
        "parts": {part: share(parts[part]) for part in PARTS},
        "inclusive": [(frame, share(n)) for frame, n in inclusive.most_common(top)],
        "self": [(frame, share(n)) for frame, n in own.most_common(top)],
    }


def format_summary(name: str, summary: Dict[str, object]) -> str:
    lines = [f"{name}: {summary['busy_samples']} busy samples, {summary['busy_percent']} % of one core",
             "  parts of a turn (% of busy samples):"]
    lines += [f"    {share:5.1f}  {part}" for part, share in summary["parts"].items()]
    lines.append("  on top (self):")
    lines += [f"    {share:5.1f}  {frame}" for frame, share in summary["self"]]
    return "\n".join(lines)


def profile(bot: BotServers, rate: float, duration_s: float, think_s: float, out: Path,
            top: int = 25) -> Dict[str, Dict[str, object]]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        raise SystemExit("py-spy is not installed: uv pip install py-spy")
    out.mkdir(parents=True, exist_ok=True)
    pids = server_pids(bot)
    recorders = {
        name: subprocess.Popen(
            [py_spy, "record", "--pid", str(pid), "--rate", str(SAMPLE_HZ), "--nonblocking", "--function", "--format", "raw",
             "--output", str(out / f"{name}.txt"), "--duration", str(int(duration_s + 30 * think_s + 10))],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for name, pid in pids.items() if pid is not None
    }
    try:
        log(f"{rate:g} turns/s offered for {duration_s:g} s under py-spy ...")
        _, _, started, ended = asyncio.run(run_step(bot.rest_url, rate, duration_s, think_s, "profile", f"p{rate:g}"))
    finally:
        for recorder in recorders.values():
            recorder.send_signal(2)  # SIGINT: py-spy writes what it has and exits
        for name, recorder in recorders.items():
            _, err = recorder.communicate(timeout=60)
            if recorder.returncode not in (0, -2) and not (out / f"{name}.txt").exists():
                log(f"py-spy on {name} failed: {err.decode(errors='replace')[-500:]}")
    return {name: summarise(read_collapsed(out / f"{name}.txt"), top, ended - started)
            for name in recorders if (out / f"{name}.txt").exists()}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_turn", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0, help="offered turns/s (default 20)")
    parser.add_argument("--duration", type=float, default=40.0, help="seconds of arrivals (default 40)")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between answer and next message")
    parser.add_argument("--off", default="", help="Rasa patches to switch off (bot/rasa_patches.py names, or 'all')")
    parser.add_argument("--top", type=int, default=25, help="functions listed per process (default 25)")
    parser.add_argument("--out", type=Path, default=RESULTS / "profile", help="where py-spy's stacks are written")
    args = parser.parse_args(argv)
    from bot.runner import ensure_model
    ensure_model()
    with tempfile.TemporaryDirectory(prefix="bespoke-profile-") as data_dir:
        bot = BotServers(Path(data_dir), extra_env={PATCHES_OFF_ENV: args.off})
        bot.start()
        try:
            summaries = profile(bot, args.rate, args.duration, args.think, args.out, args.top)
        finally:
            bot.stop()
    for name, summary in summaries.items():
        print(format_summary(name, summary), flush=True)
    return 0


if __name__ == "__main__":
    exit_on_sigterm()
    sys.exit(main())
