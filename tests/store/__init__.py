"""Tests of the store (bot/store) on SQLite and PostgreSQL."""
