"""What a kill -9 of the action server loses of the analytics records: measured.

A child process records one question per draft at a steady rate through
bot.store.analytics (the action server's writer thread and its FLUSH_INTERVAL_S) and prints
the number of each record once record_question has returned; the parent kills it with
SIGKILL at a random moment and counts the drafts in the database. Lost = recorded - stored;
the stored ones are always the first ones (no gaps: checked). Printed per trial and as the
worst case, in records and in milliseconds of recording.

    uv run --frozen --no-sync python -m bench.action_kill [--trials 20] [--rate 50]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from sqlalchemy import select

from bench.processes import exit_on_sigterm
from bot.local import ROOT
from bot.store.analytics import FLUSH_INTERVAL_S, OrderDraft
from bot.store.orders import OrderStore

CHILD = """
import sys, time
from bot.store import analytics
from bot.store.orders import OrderStore
store, pause, number = OrderStore(sys.argv[1]), 1 / float(sys.argv[2]), 0
next_at = time.monotonic()
while True:
    analytics.record_question(store, "kill-bench", f"draft-{number:06d}", "custom_pc", "cpu", 0)
    print(number, flush=True)
    number += 1
    next_at += pause
    time.sleep(max(0.0, next_at - time.monotonic()))
"""


def trial(folder: Path, rate: float, run_s: float) -> Dict[str, Any]:
    url = f"sqlite:///{folder / 'kill.db'}"
    store = OrderStore(url)
    store.migrate()
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, str(rate)], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True)
    printed: List[int] = []
    reader = threading.Thread(target=lambda: printed.extend(int(line) for line in child.stdout or []), daemon=True)
    reader.start()
    started = time.monotonic()
    while not printed and child.poll() is None and time.monotonic() - started < 120:
        time.sleep(0.05)  # the child imports and opens the database first
    time.sleep(run_s)  # the benchmark's own clock: when to kill
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    reader.join(timeout=30)
    with store.sessions.begin() as session:
        stored = session.scalars(select(OrderDraft.draft_id).order_by(OrderDraft.draft_id)).all()
    store.dispose()
    recorded = (max(printed) + 1) if printed else 0
    gaps = stored != [f"draft-{number:06d}" for number in range(len(stored))]
    lost = recorded - len(stored)
    return {"recorded": recorded, "stored": len(stored), "lost": lost, "lost_ms": round(lost * 1000 / rate, 1),
            "gaps": gaps}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--rate", type=float, default=50.0, help="records per second (default 50)")
    args = parser.parse_args(argv)
    random.seed(12)
    trials = []
    for index in range(args.trials):
        with tempfile.TemporaryDirectory(prefix="bespoke-kill-") as folder:
            trials.append(trial(Path(folder), args.rate, random.uniform(0.5, 2.0)))
        print(f"action_kill: trial {index + 1}: {trials[-1]}", file=sys.stderr, flush=True)
    print(json.dumps({
        "flush_interval_s": FLUSH_INTERVAL_S, "rate_per_s": args.rate, "trials": len(trials),
        "lost_max": max(t["lost"] for t in trials), "lost_ms_max": max(t["lost_ms"] for t in trials),
        "lost_mean": round(sum(t["lost"] for t in trials) / len(trials), 2),
        "gaps": sum(t["gaps"] for t in trials), "per_trial": trials,
    }, indent=1))
    return 0


if __name__ == "__main__":
    exit_on_sigterm()
    sys.exit(main())
