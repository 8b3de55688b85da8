"""The sentence embedding beside the intent classifier's n-grams (bot/sentence_embedding.py):
all-MiniLM-L6-v2 from the weights bundled in a registry package, run with NumPy. Checked on
what the model is for: unit vectors, the same text the same vector, paraphrases nearer each
other than unrelated requests (measured here: 0.77 for the price pair, 0.14 against a joke;
not compared with sentence-transformers itself, which needs PyTorch)."""

from __future__ import annotations

import numpy as np

from bot.sentence_embedding import embed, encoder


def test_paraphrases_are_nearer_than_unrelated_requests():
    price, cost, ship, joke = embed(["what is the price?", "how much does it cost?", "do you ship to canada?",
                                     "tell me a joke"])
    assert price @ cost > 0.7
    assert price @ cost > price @ ship + 0.3 and price @ cost > price @ joke + 0.4
    assert abs(float(price @ cost) - 0.771) < 0.01  # the model's own figure, not just an ordering


def test_vectors_are_unit_length_and_repeatable():
    first = embed(["I'd like a made to measure shirt in linen"])
    again = encoder().encode_one("I'd like a made to measure shirt in linen")
    assert first.shape == (1, encoder().dimensions) == (1, 384)
    assert np.isclose(np.linalg.norm(first[0]), 1.0, atol=1e-5) and np.allclose(first[0], again, atol=1e-6)


def test_long_odd_and_empty_input_are_read_without_error():
    assert embed([]).shape == (0, 384)
    long, odd = embed(["shirt " * 500, "ﷺ 🙂 \x00 ☃"])
    assert np.isfinite(long).all() and np.isfinite(odd).all()


def test_the_benchmark_switch_computes_every_text_as_if_new(monkeypatch):
    """Settings.embedding_cache off (BESPOKE_BENCH_EMBEDDING_CACHE_OFF, the open-loop bench's
    --embedding-cache-off): the same vectors, none from the cache."""
    from bot import sentence_embedding
    from bot.settings import Settings

    monkeypatch.setenv("BESPOKE_BENCH_EMBEDDING_CACHE_OFF", "1")
    assert Settings.from_env().embedding_cache is False
    cached = embed(["a conveyor of 12 metres"])
    hits = sentence_embedding._embedded.cache_info().hits
    monkeypatch.setattr(sentence_embedding, "_cached", True)  # restored after the test
    sentence_embedding.disable_cache()
    again = embed(["a conveyor of 12 metres"])
    assert np.allclose(cached, again) and sentence_embedding._embedded.cache_info().hits == hits


def test_the_cache_holds_what_the_model_reads_not_how_it_was_typed():
    """The tokenizer lowercases and splits on spaces: "Linen", "linen " and "LINEN" are one
    text to the model, so one entry of the cache, with the same vector."""
    from bot import sentence_embedding

    first = embed(["Linen please"])
    hits = sentence_embedding._embedded.cache_info().hits
    again = embed(["linen   PLEASE"])
    assert np.array_equal(first, again) and sentence_embedding._embedded.cache_info().hits == hits + 1
