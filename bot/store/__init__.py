"""The store: the order database (SQLAlchemy 1.4 in 2.0 style, Alembic migrations).

Orders and their history, conversation flags and takeovers, staff accounts, analytics.
It never imports rasa-sdk or aiohttp (an import-linter contract in pyproject.toml).
"""
