"""The benchmark's measuring functions (bench/benchmark.py's closed loop, bench/open_loop.py's
open loop) with a tiny load against the session's servers: correctness only (all figures
present, no errors, every order stored once), never the latency targets, which depend on
the machine."""

from __future__ import annotations

import json

from bench.benchmark import measure
from bench.load import PRODUCTS, SCRIPTS, percentile
from bench.open_loop import cpu_seconds, format_variant, mean_turns, measure_rates, plot
from bench.report import evaluate, format_report

PHASE_FIELDS = {"conversations", "turns", "turns_not_sent", "wall_s", "turns_per_s", "latency_ms",
                "errors", "errors_by_kind", "error_examples"}


def test_percentile_interpolates_between_ranks():
    assert percentile([], 50) is None
    assert percentile([5.0], 99) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(range(1, 101)), 95) == 95.05


def test_a_tiny_benchmark_run_is_complete_and_correct(bot):
    report = measure(bot, orders=len(PRODUCTS), concurrency=len(PRODUCTS))

    assert {"run_id", "environment", "training_s", "ready_s", "start_returned_s", "sequential", "concurrent",
            "orders", "turns_per_order", "memory", "conversations", "targets", "passed"} <= set(report)
    assert report["training_s"] is None and report["ready_s"] is None  # not measured here
    for name, conversations in (("sequential", len(PRODUCTS)), ("concurrent", len(PRODUCTS))):
        phase = report[name]
        assert PHASE_FIELDS <= set(phase)
        assert phase["conversations"] == conversations
        assert phase["errors"] == 0, phase["error_examples"]
        assert phase["turns_not_sent"] == 0
        assert phase["turns"] == sum(len(SCRIPTS[product]) for product in PRODUCTS)
        assert set(phase["latency_ms"]) == {"p50", "p95", "p99", "max", "mean"}
        assert all(value > 0 for value in phase["latency_ms"].values())
        assert phase["turns_per_s"] > 0
    assert report["concurrent"]["concurrency"] == len(PRODUCTS)

    orders = report["orders"]
    assert orders["expected"] == orders["stored_once"] == 2 * len(PRODUCTS)
    assert orders["duplicates"] == 0
    assert orders["missing"] == orders["wrong_product"] == orders["unconfirmed"] == orders["unexpected"] == []
    assert all(c["stored"] == 1 and c["confirmed"] for c in report["conversations"])
    assert sorted(c["product"] for c in report["conversations"]) == sorted(PRODUCTS * 2)

    assert report["turns_per_order"] == {product: len(script) for product, script in SCRIPTS.items()}
    assert report["memory"]["rasa_rss_mb"] > 0 and report["memory"]["actions_rss_mb"] > 0

    # Every target is reported; the correctness ones pass, the unmeasured ones are skipped.
    targets = {target["name"]: target["passed"] for target in evaluate(report)}
    assert len(targets) == 10
    # The fewest-messages scripts reach the summary within three customer messages.
    assert all(targets[f"fewest messages before the summary, {product}"]
               for product in ("custom_pc", "tailored_shirt", "conveyor"))
    assert all(taken is not None for taken in report["messages_before_summary"].values())
    assert targets["zero errors (concurrent and sequential)"] is True
    assert targets["every scripted order stored once"] is True
    assert targets["ready after start"] is None and targets["full training"] is None

    text = format_report(report)
    assert f"orders stored once / expected: {2 * len(PRODUCTS)}/{2 * len(PRODUCTS)}" in text and "overall:" in text
    json.dumps(report)  # --json can write it


def test_a_tiny_open_loop_run_is_complete_and_correct(bot, tmp_path):
    products = [p for p in PRODUCTS if p.endswith(":fewest_messages")]
    # Three conversations, one every mean_turns / rate seconds: the step lasts long enough for them.
    rate = 5.0
    duration = 3 * mean_turns(products) / rate + 0.01
    result = measure_rates(bot, rates=[rate], duration_s=duration, think_s=0.2, variant="smoke", products=products)

    assert result["variant"] == "smoke" and all(result["pids"].values())
    [step] = result["steps"]
    assert step["offered_turns_per_s"] == 5.0
    assert step["conversations"] == 3
    assert step["turns"] == sum(len(SCRIPTS[products[i % 3]]) for i in range(3))
    assert step["errors"] == 0, step["error_examples"]
    assert all(step["latency_ms"][q] > 0 for q in ("p50", "p95", "p99"))
    assert step["cpu_ms_per_turn"]["rasa"] > 0 and step["cpu_ms_per_turn"]["actions"] > 0
    assert step["turns_by_index"]["1"] == 3 and step["p50_ms_by_turn_index"]["1"] > 0
    assert step["turns_by_index"]["12"] == 0 and step["p50_ms_by_turn_index"]["12"] is None  # no 12th turn here
    orders = result["orders"]
    assert orders["expected"] == orders["stored_once"] == 3
    assert orders["missing"] == [] and orders["duplicates"] == 0
    assert orders["unconfirmed"] == orders["unexpected"] == []

    text = format_variant(result)
    assert "smoke: orders stored once 3/3" in text and "CPU ms/turn" in text
    assert plot([result], tmp_path / "open_loop.png").stat().st_size > 0
    json.dumps(result)


def test_cpu_seconds_reads_a_process_from_proc():
    import os

    assert cpu_seconds(os.getpid()) > 0
    assert cpu_seconds(None) is None and cpu_seconds(2 ** 22 + 12345) is None
