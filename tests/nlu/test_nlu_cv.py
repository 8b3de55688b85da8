"""bench/nlu_cv.py: config.yml's NLU pipeline trained in-process, cross-validated and scored."""

from __future__ import annotations

import pytest

from bench import nlu_cv

GREETINGS = ["hello", "hi there", "good morning", "hey", "hiya", "good evening", "hello again", "hey you",
             "morning", "hi hi"]
PAYMENTS = ["can i pay by card", "do you take paypal", "which payment methods work", "can i pay cash",
            "do you accept bank transfer", "is paying by invoice ok", "can i pay later", "do you take visa",
            "payment options", "can i pay with apple pay"]
SHIPPING = ["do you ship to france", "how much is shipping", "can you deliver to my office", "is delivery free",
            "do you ship abroad", "what does postage cost", "can you send it by courier", "who delivers it",
            "do you deliver on saturdays", "shipping costs to italy"]


def training_data():
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    examples = [(text, "greet") for text in GREETINGS] + [(text, "ask_shop") for text in PAYMENTS] \
        + [(text, "ask_delivery") for text in SHIPPING]
    return TrainingData(training_examples=[Message(data={"text": t, "intent": i}) for t, i in examples])


def test_scores_count_a_fallback_as_a_miss_and_average_over_expected_intents():
    table = nlu_cv.scores(["a", "a", "b", "b"], ["a", "nlu_fallback", "b", "a"])
    assert set(table) == {"a", "b"}
    assert table["a"]["precision"] == pytest.approx(0.5) and table["a"]["recall"] == pytest.approx(0.5)
    assert table["b"]["precision"] == pytest.approx(1.0) and table["b"]["recall"] == pytest.approx(0.5)
    assert table["b"]["support"] == 2
    assert nlu_cv.macro_f1(table) == pytest.approx((0.5 + 2 / 3) / 2)


def test_settings_are_overridden_by_step_name_or_index():
    pipeline = nlu_cv.Pipeline(overrides={"bot.nlu.ArrayLogisticRegressionClassifier": {"C": 0.5},
                                          "2": {"max_ngram": 4}})
    names = [step["name"] for step in pipeline.steps]
    assert names[0] == "WhitespaceTokenizer"
    assert names[-3:] == ["FallbackClassifier", "bot.nlu.UnknownWordsFallback", "bot.nlu.LinkCodeIntent"]
    assert pipeline.steps[names.index("bot.nlu.ArrayLogisticRegressionClassifier")]["C"] == 0.5
    assert pipeline.steps[2]["max_ngram"] == 4
    assert pipeline.steps[1].get("max_ngram") != 4  # the other featurizer keeps its own


def test_the_pipeline_trains_from_config_and_tells_intents_apart():
    pipeline = nlu_cv.Pipeline().train(training_data())
    try:
        predicted = pipeline.predict(["hey hello", "can i pay with my card", "do you ship to spain"])
    finally:
        pipeline.close()
    assert [intent for intent, _ in predicted] == ["greet", "ask_shop", "ask_delivery"]
    assert all(0 < confidence <= 1 for _, confidence in predicted)


def test_cross_validation_predicts_every_example_once_from_a_fold_without_it():
    texts, intents, predicted, seconds = nlu_cv.cross_validate(training_data(), folds=2)
    assert len(texts) == len(intents) == len(predicted) == 30 and len(seconds) == 2
    assert all(p is not None for p in predicted)
    table = nlu_cv.scores(intents, [p[0] for p in predicted])
    assert set(table) == {"greet", "ask_shop", "ask_delivery"}
    assert nlu_cv.macro_f1(table) > 0.5  # better than chance (1/3), so the folds really trained
