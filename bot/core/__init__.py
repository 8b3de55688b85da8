"""The order core: plain Python that decides everything about an order.

The catalog and its checks, expressions, units, reading answers, finding values in a
message, rules, changes, derived parts, pricing and wording. It knows nothing of Rasa,
rasa-sdk, SQLAlchemy, aiohttp or Telegram (an import-linter contract in pyproject.toml).
"""
