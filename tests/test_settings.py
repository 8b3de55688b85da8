"""bot/settings.py: one Settings read from the environment when asked (never at import),
with the documented defaults; a malformed value is one SettingsError. The web server's and
the Telegram bridge's own checks are in tests/channels (test_web_settings.py, test_telegram.py)."""

from __future__ import annotations

import pytest

from bot.settings import REPO_ROOT, Settings, SettingsError


def test_settings_read_the_environment_when_called(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    monkeypatch.setenv("BESPOKE_DATA_DIR", str(tmp_path / "data"))
    settings = Settings.from_env()
    assert settings.data_dir == tmp_path / "data"
    assert not (tmp_path / "data").exists()  # reading the settings writes nothing
    assert settings.data_file("secret_key") == tmp_path / "data" / "secret_key" and (tmp_path / "data").is_dir()
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'bespoke.db'}"
    assert settings.tracker_database_url == f"sqlite:///{tmp_path / 'data' / 'tracker.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://shop@db/bespoke")
    assert Settings.from_env().database_url == "postgresql+psycopg2://shop@db/bespoke"


def test_one_database_for_both_and_the_postgres_spelling():
    settings = Settings.from_env({"DATABASE_URL": "postgres://shop@db/bespoke"})
    assert settings.database_url == settings.tracker_database_url == "postgresql://shop@db/bespoke"
    apart = Settings.from_env({"DATABASE_URL": "sqlite:///a.db", "TRACKER_DATABASE_URL": "sqlite:///b.db"})
    assert (apart.database_url, apart.tracker_database_url) == ("sqlite:///a.db", "sqlite:///b.db")


def test_the_defaults_are_the_documented_ones():
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.data_dir == REPO_ROOT / "var" and settings.rasa_url == "http://127.0.0.1:5005"
    assert (settings.rasa_port, settings.actions_port, settings.web_port) == (5005, 5055, 8000)
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot" and settings.telegram_token == ""
    assert (settings.web_sender_limit, settings.web_address_limit) == ((20, 1.0), (60, 3.0))


def test_values_as_the_processes_read_them():
    settings = Settings.from_env({
        "BESPOKE_RASA_PORT": "6005", "BESPOKE_CORS_ORIGINS": "https://a.example, https://b.example",
        "BESPOKE_SECURE_COOKIES": "yes", "TELEGRAM_BOT_TOKEN": " 1:x ", "STAFF_TELEGRAM_CHAT_ID": "-100",
        "BESPOKE_RASA_TOKEN": "-t0k", "BESPOKE_ACTIONS_SECRET": "s3cret", "REDIS_URL": " redis://127.0.0.1:6390/0 ",
    })
    assert (settings.rasa_token, settings.actions_secret) == ("-t0k", "s3cret")
    assert settings.redis_url == "redis://127.0.0.1:6390/0"
    assert settings.rasa_url == "http://127.0.0.1:6005"
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.secure_cookies and settings.telegram_token == "1:x" and settings.staff_telegram_chat_id == "-100"


@pytest.mark.parametrize("variable, value", [
    ("BESPOKE_RASA_PORT", "five"), ("BESPOKE_WEB_RASA_TIMEOUT", "soon"), ("BESPOKE_WEB_LIMIT_SENDER", "fast"),
    ("BESPOKE_TRUSTED_PROXIES", "not-a-network"), ("TELEGRAM_WEBHOOK_PORT", "eighty"),
])
def test_a_malformed_value_is_a_settings_error(variable, value):
    with pytest.raises(SettingsError):
        Settings.from_env({variable: value})
