"""Rasa's LogisticRegressionClassifier, saved as plain arrays instead of skops; and a
message with a link code in it read as linking, whatever the classifier says.

Rasa 3.6 persists the classifier with skops, whose import alone walks all of
scikit-learn: 5-11 s of the server's start-up here, for a model of two small matrices.
This keeps Rasa's training and prediction and stores coef_, intercept_ and classes_ in
an .npz file read without pickle.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

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
            intent = {INTENT_NAME_KEY: LINK_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != LINK_INTENT]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
        return messages
