"""Rasa's LogisticRegressionClassifier, saved as plain arrays instead of skops; a sentence
embedding beside the n-gram counts it reads; and a message with a link code in it read as
linking, whatever the classifier says.

Rasa 3.6 persists the classifier with skops, whose import alone walks all of
scikit-learn: 5-11 s of the server's start-up here, for a model of two small matrices.
This keeps Rasa's training and prediction and stores coef_, intercept_ and classes_ in
an .npz file read without pickle.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Set, Text

import numpy as np
from rapidfuzz import fuzz, process
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME as FALLBACK_INTENT
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import sentence_embedding

from bot.store.links import LINK_INTENT, find_code

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ArrayLogisticRegressionClassifier(LogisticRegressionClassifier):
    """One setting beside Rasa's: `C`, the inverse regularisation strength (1.0 as in
    scikit-learn; config.yml's value was chosen with `python -m bench.nlu_cv`)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.C = float(self.config["C"])

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(
                model_dir / "classifier.npz",
                coef=self.clf.coef_,
                intercept=self.clf.intercept_,
                classes=np.asarray(self.clf.classes_, dtype=str),
            )

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "ArrayLogisticRegressionClassifier":
        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                with np.load(model_dir / "classifier.npz", allow_pickle=False) as arrays:
                    component.clf.coef_ = arrays["coef"]
                    component.clf.intercept_ = arrays["intercept"]
                    component.clf.classes_ = arrays["classes"]
                    component.clf.n_features_in_ = arrays["coef"].shape[1]
        except (ValueError, OSError, KeyError):
            # Same as Rasa's: an untrained classifier (e.g. no NLU data) predicts nothing.
            logger.debug("No trained classifier in resource '%s'.", resource.name)
        return component


def set_intent(message: Message, name: str) -> None:
    """The message's intent made `name`, sure; the classifier's ranking kept below it."""
    intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """The message's all-MiniLM-L6-v2 embedding (bot/sentence_embedding.py) as its sentence
    features, times `scale`: the classifier reads it beside the sparse n-gram counts, and the
    scale sets how much it weighs against them (chosen with `python -m bench.nlu_cv`)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "scale": 1.0, "min_words": 1}

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self.scale = float(self._config["scale"])
        # Shorter texts get zeros (in training too): "linen", "16gb", "yes" are read by their
        # n-grams, and a message's embedding costs 5-10 ms of Rasa's CPU.
        self.min_words = int(self._config["min_words"])

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SentenceEmbeddingFeaturizer":
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        pass

    def process(self, messages: List[Message]) -> List[Message]:
        texts = [text if isinstance(text, str) else "" for text in (message.get(TEXT) for message in messages)]
        readable = [text for text in texts if len(text.split()) >= max(self.min_words, 1)]
        vectors = dict(zip(readable, sentence_embedding.embed(readable), strict=True))
        width = sentence_embedding.encoder().dimensions
        for message, text in zip(messages, texts, strict=True):
            # an empty or short text gets zeros: every message has the same columns for the classifier
            vector = vectors[text] if text in vectors else np.zeros(width, np.float32)
            message.add_features(Features(vector[np.newaxis, :] * self.scale, FEATURE_TYPE_SENTENCE, TEXT,
                                          self._identifier))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownWordsFallback(GraphComponent, IntentClassifier):
    """A message none of whose words the training data has ("xkcd qqq zzzt", "fjdksl") is
    nlu_fallback, whatever the classifier says: its character n-grams and its embedding
    made chitchat or inform of such strings at 0.4-0.95. nlu_fallback is read like any
    message (a product or a catalog value still starts the order, bot/core reads the text),
    so a word the catalog has but the training data lacks loses nothing. After the
    FallbackClassifier; the classifier's ranking is kept below."""

    FILE = "words.json"
    CLOSE = 80  # rapidfuzz ratio of a misspelling to its word

    @classmethod
    def required_components(cls) -> List[type]:
        return [Tokenizer]  # its words; config.yml places it after the classifiers

    def __init__(self, model_storage: ModelStorage, resource: Resource, words: Optional[Set[str]] = None) -> None:
        self._model_storage, self._resource = model_storage, resource
        self.words: Set[str] = words or set()
        self._listed = sorted(self.words)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "UnknownWordsFallback":
        return cls(model_storage, resource)

    @staticmethod
    def _words(message: Message) -> Set[str]:
        return {token.text.lower() for token in message.get(TOKENS_NAMES[TEXT]) or []}

    def train(self, training_data: TrainingData) -> Resource:
        self.words = {word for example in training_data.intent_examples for word in self._words(example)}
        self._listed = sorted(self.words)
        with self._model_storage.write_to(self._resource) as model_dir:
            (model_dir / self.FILE).write_text(json.dumps(sorted(self.words)), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "UnknownWordsFallback":
        try:
            with model_storage.read_from(resource) as model_dir:
                words = set(json.loads((model_dir / cls.FILE).read_text(encoding="utf-8")))
        except (ValueError, OSError):
            words = set()  # untrained: nothing is unknown
        return cls(model_storage, resource, words)

    def _known(self, word: str) -> bool:
        """In the training data, or a misspelling of a word there ("linnen", "shrit")."""
        return word in self.words or (len(word) >= 3 and process.extractOne(
            word, self._listed, scorer=fuzz.ratio, score_cutoff=self.CLOSE) is not None)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            said = self._words(message)
            if not self.words or not said or any(self._known(word) for word in said):
                continue
            set_intent(message, FALLBACK_INTENT)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LinkCodeIntent(GraphComponent, IntentClassifier):
    """A message with a link code in it ("2855-ZMPM", "ok 2855-ZMPM", "bye 2855-ZMPM") is
    linking: a code is random letters and digits, and the classifier read 60 random ones
    typed alone as nlu_fallback, inform, affirm, deny or chitchat, and beside a word as that
    word's intent (greet, thank, goodbye, resume_order), so rules sent them to the product
    list or a goodbye. After the FallbackClassifier; the classifier's ranking is kept below."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [IntentClassifier]

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LinkCodeIntent":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if find_code(message.get(TEXT) or "") is None:
                continue
            set_intent(message, LINK_INTENT)
        return messages
