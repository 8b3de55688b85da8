"""Tests of the whole bot: the Rasa project, NLU quality, end-to-end conversations, the benchmark."""
