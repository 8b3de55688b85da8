"""Tests of the order core (bot/core)."""
