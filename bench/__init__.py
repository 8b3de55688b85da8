"""Benchmark scripts (`python -m bench.benchmark`)."""
