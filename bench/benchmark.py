"""Benchmark: training time, start-up time, REST latency and throughput, correctness of
the stored orders and memory, against the real servers on 127.0.0.1.

    python -m bench.benchmark [--orders 12] [--concurrency 20] [--skip-training]
                              [--json out.json] [--check]

Plays the scripted orders of tests/e2e/test_e2e_rest.py over Rasa's REST channel: first
`--orders` conversations one after another, then `--concurrency` conversations at once
(each conversation strictly sequential, the conversations in parallel threads). Every
POST is one turn and is timed. Afterwards `bespoke orders --json` must hold exactly one
order with the expected product for every scripted conversation.

The parts: the scripted load and the check of the stored orders (bench/load.py), training,
start-up and memory (bench/processes.py), the targets and the text report (bench/report.py).
The measuring functions take a started `BotServers`, so the tests run them with a tiny
load against the session's servers. The exit code is 0 unless `--check` is given and a
target fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Dict, List, Optional

from bench.load import SCRIPTS, TURN_TIMEOUT_S, check_orders, log, run_concurrent, run_sequential
from bench.processes import exit_on_sigterm, measure_training, server_memory, start_and_measure_ready
from bench.report import evaluate, format_report, messages_before_summary
from bot.local import BotServers
from bot.runner import ensure_model, rasa_version

# ---------------------------------------------------------------------------------------
# Measuring


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
    exit_on_sigterm()
    sys.exit(main())
