"""NLU quality on the held-out set: intents from the trained model, values from the catalog.

    python -m bench.nlu_eval [--model PATH] [--heldout FILE] [--catalog FILE] [--check]

Classifies every text of tests/nlu/heldout.yml (never used for training) with the trained
model, in-process through Rasa's Agent, and prints precision, recall and F1 per intent and
the intent macro-F1 (averaged over the intents of the held-out set; a message the
FallbackClassifier rejects counts as a miss). For the entries that list `values` it runs
bot.core.extract.find_values(product, text, focus) against the catalog and prints the
precision, recall and F1 over (option, value) pairs; numbers match within 0.05.

Without --model the model is bot.runner.ensure_model()'s (trained only when data, domain or
config changed). Exit code 0, unless --check is given and a target is missed
(intent macro-F1 >= 0.95, value F1 >= 0.90).

Cross-validation on the training data is bench/nlu_cv.py (the pipeline trained in-process
on each fold, the same figures as `rasa test nlu --cross-validation` in a fraction of the time).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

from bot.local import ROOT

HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
TARGET_INTENT_F1 = 0.95
TARGET_VALUE_F1 = 0.90
NUMBER_TOLERANCE = 0.05
FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class Example:
    """One held-out message and what it should yield."""

    text: str
    intent: str
    product: Optional[str] = None
    focus: Optional[str] = None
    values: Optional[Dict[str, Any]] = None  # None: not scored on values; {}: nothing may be found


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class IntentMiss:
    text: str
    expected: str
    predicted: str
    confidence: float


@dataclass
class ValueMiss:
    text: str
    product: str
    focus: Optional[str]
    missing: Dict[str, Any]  # expected pairs not found (or found with another value)
    extra: Dict[str, Any]  # found pairs not expected


@dataclass
class Report:
    per_intent: Dict[str, Scores]
    intent_misses: List[IntentMiss]
    values: Scores
    value_misses: List[ValueMiss]
    messages: int
    value_messages: int
    fallbacks: int
    support: Dict[str, int] = field(default_factory=dict)

    @property
    def intent_macro_f1(self) -> float:
        return sum(s.f1 for s in self.per_intent.values()) / len(self.per_intent) if self.per_intent else 0.0

    @property
    def intent_accuracy(self) -> float:
        return 1 - len(self.intent_misses) / self.messages if self.messages else 0.0

    @property
    def value_f1(self) -> float:
        return self.values.f1

    def passed(self) -> bool:
        return self.intent_macro_f1 >= TARGET_INTENT_F1 and self.value_f1 >= TARGET_VALUE_F1

    def to_dict(self) -> Dict[str, Any]:
        return {
            "messages": self.messages,
            "intent_macro_f1": round(self.intent_macro_f1, 4),
            "intent_accuracy": round(self.intent_accuracy, 4),
            "fallbacks": self.fallbacks,
            "per_intent": {
                intent: {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                         "f1": round(s.f1, 4), "support": self.support.get(intent, 0)}
                for intent, s in self.per_intent.items()
            },
            "intent_misses": [vars(m) for m in self.intent_misses],
            "value_messages": self.value_messages,
            "value_precision": round(self.values.precision, 4),
            "value_recall": round(self.values.recall, 4),
            "value_f1": round(self.value_f1, 4),
            "value_misses": [vars(m) for m in self.value_misses],
        }

    def format(self) -> str:
        lines = [f"Held-out intents: {self.messages} messages, {len(self.per_intent)} intents",
                 f"{'intent':<16}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
        for intent, s in sorted(self.per_intent.items()):
            flag = "" if s.f1 >= TARGET_INTENT_F1 else "  <"
            lines.append(f"{intent:<16}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>8.3f}{self.support.get(intent, 0):>9}{flag}")
        lines.append(f"intent macro-F1 {self.intent_macro_f1:.4f} (target {TARGET_INTENT_F1}), "
                     f"accuracy {self.intent_accuracy:.4f}, rejected by the fallback: {self.fallbacks}")
        if self.intent_misses:
            lines.append("Misclassified:")
            for miss in self.intent_misses:
                lines.append(f"  {miss.text!r}: expected {miss.expected}, got {miss.predicted} ({miss.confidence:.2f})")
        lines.append("")
        lines.append(f"Values (find_values): {self.value_messages} messages, "
                     f"{self.values.tp + self.values.fn} expected (option, value) pairs")
        lines.append(f"value precision {self.values.precision:.4f}, recall {self.values.recall:.4f}, "
                     f"F1 {self.value_f1:.4f} (target {TARGET_VALUE_F1})")
        if self.value_misses:
            lines.append("Value differences:")
            for miss in self.value_misses:
                focus = f", focus {miss.focus}" if miss.focus else ""
                lines.append(f"  {miss.text!r} ({miss.product}{focus}): missing {miss.missing or '-'}, extra {miss.extra or '-'}")
        lines.append("")
        lines.append("PASS" if self.passed() else "BELOW TARGET")
        return "\n".join(lines)


def load_heldout(path: Path = HELDOUT, catalog=None) -> List[Example]:
    """The held-out entries, checked against the catalog (products, options, value ids)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a list of entries")
    examples = []
    for number, entry in enumerate(raw, 1):
        unknown = set(entry) - {"text", "intent", "product", "focus", "values"}
        if unknown or not entry.get("text") or not entry.get("intent"):
            raise ValueError(f"{path}: entry {number} needs text and intent (unknown keys: {sorted(unknown)})")
        example = Example(text=str(entry["text"]), intent=str(entry["intent"]), product=entry.get("product"),
                          focus=entry.get("focus"), values=entry.get("values"))
        if catalog is not None:
            _check_entry(catalog, example, f"{path}: entry {number} ({example.text!r})")
        examples.append(example)
    return examples


def _check_entry(catalog, example: Example, where: str) -> None:
    if example.values is not None and not example.product:
        raise ValueError(f"{where}: values need a product")
    if not example.product:
        return
    product = catalog.find_product(example.product)
    if product is None:
        raise ValueError(f"{where}: no product '{example.product}' in the catalog")
    ids = set(product.option_ids)
    if example.focus and example.focus not in ids:
        raise ValueError(f"{where}: product '{product.id}' has no option '{example.focus}'")
    for option_id, value in (example.values or {}).items():
        if option_id not in ids:
            raise ValueError(f"{where}: product '{product.id}' has no option '{option_id}'")
        option = product.option(option_id)
        if option.kind == "choice" and value not in {v.id for v in option.values}:
            raise ValueError(f"{where}: '{value}' is not a value id of {product.id}.{option_id}")


def same_value(expected: Any, found: Any) -> bool:
    if expected is None or found is None:
        return expected is None and found is None
    if isinstance(expected, bool) or isinstance(found, bool):
        return expected is found
    if isinstance(expected, (int, float)) and isinstance(found, (int, float)):
        return abs(float(expected) - float(found)) <= NUMBER_TOLERANCE
    return str(expected) == str(found)


def score_values(catalog, examples: Iterable[Example]) -> Tuple[Scores, List[ValueMiss], int]:
    """Precision/recall of find_values over (option, value) pairs of the entries with values."""
    from bot.core.extract import find_values

    scores, misses, count = Scores(), [], 0
    for example in examples:
        if example.values is None:
            continue
        count += 1
        product = catalog.product(example.product)
        focus = product.option(example.focus) if example.focus else None
        found = {option_id: parsed.value for option_id, parsed in find_values(product, example.text, focus).values.items()}
        missing, extra = {}, {}
        for option_id, value in example.values.items():
            if option_id in found and same_value(value, found[option_id]):
                scores.tp += 1
            else:
                scores.fn += 1
                missing[option_id] = value
        for option_id, value in found.items():
            if option_id not in example.values or not same_value(example.values[option_id], value):
                scores.fp += 1
                extra[option_id] = value
        if missing or extra:
            misses.append(ValueMiss(example.text, product.id, example.focus, missing, extra))
    return scores, misses, count


def score_intents(examples: Sequence[Example], predictions: Sequence[Tuple[str, float]]):
    labels = sorted({e.intent for e in examples})
    per_intent = {label: Scores() for label in labels}
    misses = []
    for example, (predicted, confidence) in zip(examples, predictions, strict=True):
        if predicted == example.intent:
            per_intent[example.intent].tp += 1
            continue
        per_intent[example.intent].fn += 1
        if predicted in per_intent:
            per_intent[predicted].fp += 1
        misses.append(IntentMiss(example.text, example.intent, predicted, confidence))
    return per_intent, misses


class IntentClassifier:
    """The trained model's NLU, loaded once in-process."""

    def __init__(self, model: Path):
        os.environ["RASA_TELEMETRY_ENABLED"] = "false"
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
        with warnings.catch_warnings():
            # TensorFlow, keras and matplotlib warn about deprecations on import (and reset filters).
            warnings.simplefilter("ignore")
            warnings.showwarning = lambda *args, **kwargs: None
            from rasa.core.agent import Agent
            from rasa.utils.log_utils import configure_structlog

            configure_structlog(logging.WARNING)  # Rasa logs every parsed message at debug level
            for name in ("rasa", "absl", "tensorflow"):
                logging.getLogger(name).setLevel(logging.ERROR)
            self._loop = asyncio.new_event_loop()
            self.agent = Agent.load(str(model))

    def classify(self, texts: Iterable[str]) -> List[Tuple[str, float]]:
        async def run() -> List[Tuple[str, float]]:
            results = []
            for text in texts:
                parsed = await self.agent.parse_message(text)
                intent = parsed.get("intent") or {}
                results.append((intent.get("name") or "", float(intent.get("confidence") or 0.0)))
            return results

        return self._loop.run_until_complete(run())

    def close(self) -> None:
        self._loop.close()


def evaluate(model: Path, heldout: Path = HELDOUT, catalog_path: Optional[Path] = None,
             classifier: Optional[IntentClassifier] = None) -> Report:
    """Classify the held-out set with `model` and score intents and values."""
    from bot.core.catalog import load_catalog

    catalog = load_catalog(catalog_path or ROOT / "catalog.yml")
    examples = load_heldout(heldout, catalog)
    own = classifier is None
    classifier = classifier or IntentClassifier(model)
    try:
        predictions = classifier.classify(e.text for e in examples)
    finally:
        if own:
            classifier.close()
    per_intent, intent_misses = score_intents(examples, predictions)
    values, value_misses, value_messages = score_values(catalog, examples)
    return Report(
        per_intent=per_intent, intent_misses=intent_misses, values=values, value_misses=value_misses,
        messages=len(examples), value_messages=value_messages,
        fallbacks=sum(1 for name, _ in predictions if name == FALLBACK_INTENT),
        support=dict(Counter(e.intent for e in examples)),
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.nlu_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="trained model (default: bot.runner.ensure_model())")
    parser.add_argument("--heldout", type=Path, default=HELDOUT, help="held-out set (default: %(default)s)")
    parser.add_argument("--catalog", type=Path, default=ROOT / "catalog.yml", help="catalog for the values")
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    if args.model is None:
        from bot.runner import ensure_model

        args.model = ensure_model()
    report = evaluate(args.model, args.heldout, args.catalog)
    print(f"model: {args.model}")
    print(report.format())
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    return 1 if args.check and not report.passed() else 0


if __name__ == "__main__":
    sys.exit(main())
