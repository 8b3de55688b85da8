"""The benchmark's report: the targets, which of them a run met, and the figures as text."""

from __future__ import annotations

from typing import Dict, List, Optional

from bench.load import Conversation

TARGETS = {
    "sequential_p50_ms": 60.0,
    "sequential_p95_ms": 150.0,
    "ready_s": 20.0,
    "training_s": 60.0,
    "rasa_rss_mb": 1024.0,
    "messages_before_summary": 3,
}


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
