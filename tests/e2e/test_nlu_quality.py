"""NLU quality on the held-out set (tests/nlu/heldout.yml), which is never trained on.

The intents come from the session's trained model, the values from the catalog through
bot.core.extract.find_values; bench/nlu_eval.py does the scoring and prints the same report
(`python -m bench.nlu_eval`).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from bench.nlu_eval import HELDOUT, TARGET_INTENT_F1, TARGET_VALUE_F1, evaluate, load_heldout
from bot.local import DEMO_CATALOG, ROOT

MIN_PER_INTENT = 15
MIN_WITH_VALUES = 40


def normalized(text: str) -> str:
    """Lower case without punctuation or repeated spaces; a text of punctuation only stays as it is."""
    text = unicodedata.normalize("NFKC", text).lower()
    plain = "".join(" " if unicodedata.category(char).startswith("P") else char for char in text)
    return " ".join(plain.split()) or text.strip()


def training_examples() -> Dict[str, str]:
    """Every NLU training text under data/ (normalized) -> its intent."""
    examples: Dict[str, str] = {}
    for path in sorted((ROOT / "data").rglob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in content.get("nlu") or []:
            if "intent" not in item:
                continue
            for line in str(item.get("examples", "")).splitlines():
                match = re.match(r"\s*-\s+(.*)$", line)
                if match:
                    examples[normalized(match.group(1))] = item["intent"]
    return examples


@pytest.fixture(scope="module")
def report(trained_model):
    return evaluate(Path(trained_model), HELDOUT, DEMO_CATALOG)


def test_intent_macro_f1_on_the_heldout_set(report):
    assert report.intent_macro_f1 >= TARGET_INTENT_F1, "\n" + report.format()


def test_value_f1_on_the_heldout_set(report):
    assert report.value_f1 >= TARGET_VALUE_F1, "\n" + report.format()


def test_no_heldout_text_is_in_the_training_data():
    trained = training_examples()
    assert trained, "no NLU training examples found under data/"
    leaked: List[str] = [
        f"{example.text!r} (held out as {example.intent}, trained as {trained[normalized(example.text)]})"
        for example in load_heldout(HELDOUT)
        if normalized(example.text) in trained
    ]
    assert not leaked, "held-out texts found in the training data:\n" + "\n".join(leaked)


def test_heldout_set_covers_every_intent_and_names_real_catalog_values(demo_catalog):
    examples = load_heldout(HELDOUT, demo_catalog)  # raises on unknown products, options or value ids
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    intents = [i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]]
    counts = {intent: sum(1 for e in examples if e.intent == intent) for intent in intents}
    assert {e.intent for e in examples} <= set(intents), "held-out intents missing from domain.yml"
    too_few = {intent: n for intent, n in counts.items() if n < MIN_PER_INTENT}
    assert not too_few, f"add held-out messages (at least {MIN_PER_INTENT} per intent) for: {too_few}"
    with_values = [e for e in examples if e.values]
    assert len(with_values) >= MIN_WITH_VALUES
    assert {e.product for e in with_values} == {p.id for p in demo_catalog.products}
