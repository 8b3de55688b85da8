"""Fast NLU measurement: config.yml's NLU pipeline trained in-process on folds of data/.

    python -m bench.nlu_cv [--folds 5] [--heldout FILE ...] [--json FILE] [--misses]

The same Rasa components as `rasa train` (the tokenizer, both CountVectorsFeaturizers, the
intent classifier of bot/nlu.py, the FallbackClassifier, each with config.yml's settings),
created directly on a temporary model storage: no graph, no model archive, no domain or
rules, so a fold trains in a second or two instead of `rasa test nlu --cross-validation`'s
minutes. Prints, per intent, precision, recall and F1 over the test folds of stratified
k-fold cross-validation on data/ (every example is tested once, by a model that never saw
it), the macro-F1, and the same figures for each held-out file (trained on all of data/).
A message the FallbackClassifier rejects counts as a miss, as in bench.nlu_eval.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from bot.local import ROOT

FALLBACK_INTENT = "nlu_fallback"
HELDOUT_FILES = (ROOT / "tests" / "nlu" / "heldout.yml", ROOT / "tests" / "nlu" / "heldout_2026_12.yml")


def _quiet() -> None:
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    warnings.simplefilter("ignore")
    warnings.showwarning = lambda *args, **kwargs: None  # TensorFlow and matplotlib reset the filters
    for name in ("rasa", "absl", "tensorflow"):
        logging.getLogger(name).setLevel(logging.ERROR)


def load_training(path: Path = ROOT / "data" / "nlu"):
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(path), language="en")


class Pipeline:
    """config.yml's NLU pipeline, trained and run component by component."""

    def __init__(self, config_path: Path = ROOT / "config.yml", overrides: Optional[Dict[str, Dict[str, Any]]] = None):
        self.steps = list(yaml.safe_load(config_path.read_text(encoding="utf-8"))["pipeline"])
        for index, step in enumerate(self.steps):  # a setting for a step by its name or its index
            step.update((overrides or {}).get(step["name"], {}))
            step.update((overrides or {}).get(str(index), {}))
        self.components: List[Any] = []

    def train(self, training_data) -> "Pipeline":
        from rasa.engine.graph import ExecutionContext, GraphSchema
        from rasa.engine.recipes.default_recipe import DefaultV1Recipe
        from rasa.engine.storage.local_model_storage import LocalModelStorage
        from rasa.engine.storage.resource import Resource

        self._tmp = tempfile.TemporaryDirectory(prefix="bespoke-nlu-cv-")
        storage = LocalModelStorage(Path(self._tmp.name))
        self.components = []
        for index, step in enumerate(self.steps):
            settings = {key: value for key, value in step.items() if key != "name"}
            cls = DefaultV1Recipe._from_registry(step["name"]).clazz
            name = f"{index}_{cls.__name__}"
            component = cls.create({**cls.get_default_config(), **settings}, storage, Resource(name),
                                   ExecutionContext(GraphSchema({}), node_name=name))
            if hasattr(component, "train"):  # featurizers learn a vocabulary, classifiers a model
                component.train(training_data)
            if hasattr(component, "process_training_data") and "Classifier" not in cls.__name__:
                component.process_training_data(training_data)  # features for the components after it
            self.components.append(component)
        return self

    def predict(self, texts: Sequence[str]) -> List[Tuple[str, float]]:
        from rasa.shared.nlu.training_data.message import Message

        messages = [Message.build(text=text) for text in texts]
        for component in self.components:
            messages = component.process(messages)
        return [((m.get("intent") or {}).get("name") or "", float((m.get("intent") or {}).get("confidence") or 0))
                for m in messages]

    def close(self) -> None:
        if getattr(self, "_tmp", None):
            self._tmp.cleanup()


def scores(expected: Sequence[str], predicted: Sequence[str]) -> Dict[str, Dict[str, float]]:
    """Precision, recall, F1 and support per expected intent (a fallback is a miss)."""
    labels = sorted(set(expected))
    table = {}
    for label in labels:
        tp = sum(1 for e, p in zip(expected, predicted, strict=True) if e == label and p == label)
        fp = sum(1 for e, p in zip(expected, predicted, strict=True) if e != label and p == label)
        fn = sum(1 for e, p in zip(expected, predicted, strict=True) if e == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    return table


def macro_f1(table: Dict[str, Dict[str, float]]) -> float:
    return sum(row["f1"] for row in table.values()) / len(table) if table else 0.0


def cross_validate(training_data, folds: int = 5, seed: int = 42, overrides=None):
    """Predictions for every example from the fold that left it out."""
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    examples = [e for e in training_data.intent_examples if e.get("text") and e.get("intent")]
    intents = [e.get("intent") for e in examples]
    predicted: List[Optional[Tuple[str, float]]] = [None] * len(examples)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    train_seconds = []
    for train_index, test_index in splitter.split(examples, intents):
        fold = TrainingData(training_examples=[
            Message(data={"text": examples[i].get("text"), "intent": intents[i]}) for i in train_index])
        started = time.perf_counter()
        pipeline = Pipeline(overrides=overrides).train(fold)
        train_seconds.append(time.perf_counter() - started)
        for i, result in zip(test_index, pipeline.predict([examples[i].get("text") for i in test_index]), strict=True):
            predicted[i] = result
        pipeline.close()
    return [e.get("text") for e in examples], intents, predicted, train_seconds


def load_heldout(path: Path) -> Tuple[List[str], List[str]]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [str(e["text"]) for e in entries], [str(e["intent"]) for e in entries]


def format_table(title: str, table: Dict[str, Dict[str, float]]) -> str:
    lines = [title, f"{'intent':<16}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
    for intent, row in table.items():
        lines.append(f"{intent:<16}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}{row['support']:>9}")
    lines.append(f"macro-F1 {macro_f1(table):.4f}")
    return "\n".join(lines)


def format_misses(texts, expected, predicted) -> str:
    pairs = Counter((e, p[0]) for e, p in zip(expected, predicted, strict=True) if e != p[0])
    lines = ["Confusions (expected -> predicted: count):"]
    lines += [f"  {e} -> {p}: {n}" for (e, p), n in pairs.most_common()]
    lines.append("Misclassified:")
    lines += [f"  {t!r}: {e} -> {p[0]} ({p[1]:.2f})" for t, e, p in zip(texts, expected, predicted, strict=True) if e != p[0]]
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.nlu_cv", description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--heldout", type=Path, nargs="*", default=[p for p in HELDOUT_FILES if p.exists()])
    parser.add_argument("--no-cv", action="store_true", help="only the held-out files")
    parser.add_argument("--misses", action="store_true", help="list every misclassified message")
    parser.add_argument("--set", action="append", default=[], metavar="COMPONENT.KEY=VALUE",
                        help="override a pipeline setting of a step named by its name or index, "
                        "e.g. bot.nlu.ArrayLogisticRegressionClassifier.C=5 or 1.max_ngram=2")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    _quiet()

    overrides: Dict[str, Dict[str, Any]] = {}
    for item in args.set:
        key, _, value = item.partition("=")
        component, _, setting = key.rpartition(".")
        overrides.setdefault(component, {})[setting] = yaml.safe_load(value)

    training_data = load_training()
    result: Dict[str, Any] = {"training_examples": len(training_data.intent_examples)}
    if not args.no_cv:
        texts, expected, predicted, seconds = cross_validate(training_data, args.folds, overrides=overrides)
        table = scores(expected, [p[0] for p in predicted])
        print(format_table(f"{args.folds}-fold cross-validation on data/ ({len(texts)} examples; "
                           f"a fold trains in {sum(seconds) / len(seconds):.1f} s)", table))
        if args.misses:
            print(format_misses(texts, expected, predicted))
        result["cross_validation"] = {"folds": args.folds, "macro_f1": round(macro_f1(table), 4),
                                      "per_intent": {k: {m: round(v, 4) for m, v in row.items()} for k, row in table.items()}}
    if args.heldout:
        started = time.perf_counter()
        pipeline = Pipeline(overrides=overrides).train(training_data)
        print(f"\ntrained on all of data/ in {time.perf_counter() - started:.1f} s")
        for path in args.heldout:
            path = path if path.is_absolute() else (Path.cwd() / path).resolve()
            texts, expected = load_heldout(path)
            started = time.perf_counter()
            predicted = pipeline.predict(texts)
            per_message = (time.perf_counter() - started) / max(len(texts), 1) * 1000
            table = scores(expected, [p[0] for p in predicted])
            print()
            print(format_table(f"held out: {path.relative_to(ROOT)} ({len(texts)} messages, "
                               f"{per_message:.2f} ms a message)", table))
            if args.misses:
                print(format_misses(texts, expected, predicted))
            result[str(path.relative_to(ROOT))] = {"macro_f1": round(macro_f1(table), 4), "messages": len(texts)}
        pipeline.close()
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
