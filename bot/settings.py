"""Where Bespoke keeps its data. Read from the environment when asked, never at import."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """The folder for local data (SQLite database, ...): $BESPOKE_DATA_DIR or <repo>/var.

    The folder is created on first use.
    """
    configured = os.environ.get("BESPOKE_DATA_DIR", "").strip()
    path = Path(configured).expanduser() if configured else REPO_ROOT / "var"
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """The SQLAlchemy URL of the order database: $DATABASE_URL or a SQLite file in data_dir()."""
    configured = os.environ.get("DATABASE_URL", "").strip()
    if configured:
        if configured.startswith("postgres://"):  # the spelling some hosts use; SQLAlchemy 1.4 wants postgresql://
            configured = "postgresql://" + configured[len("postgres://"):]
        return configured
    return f"sqlite:///{data_dir() / 'bespoke.db'}"


def tracker_database_url() -> str:
    """The SQLAlchemy URL of Rasa's tracker store (every conversation's events):
    $TRACKER_DATABASE_URL, else $DATABASE_URL (one database for both), else a SQLite file
    in data_dir()."""
    configured = os.environ.get("TRACKER_DATABASE_URL", "").strip()
    if configured:
        return configured
    if os.environ.get("DATABASE_URL", "").strip():
        return database_url()
    return f"sqlite:///{data_dir() / 'tracker.db'}"
