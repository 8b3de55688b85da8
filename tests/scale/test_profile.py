"""The production profile (bot/scale/profile.py): its checks, the generated nginx config
passing `nginx -t`, the endpoints holding no secret, and one end-to-end run of
`bespoke run --profile production` with 2 Rasa, 2 action and 2 web servers behind nginx,
over a PostgreSQL cluster and a redis-server of the session's own on free ports (the
profile of tests/scale/conftest.py, shared with tests/scale/test_faults.py): a whole order
through nginx over REST and one over /api/messages, each stored once and read back, with one
Rasa server killed (-9) mid-order and the next message answered by the other.

nginx, PostgreSQL's initdb and redis-server are needed: without them the tests skip, except
under CI=true, where they fail (tests/support/services.py)."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import uuid

import pytest
import yaml

from bot.local import ROOT, free_port
from bot.scale.profile import (
    TRACKER_PASSWORD_ENV,
    backends,
    check_nginx_config,
    check_production,
    write_nginx_config,
    write_production_endpoints,
)
from bot.settings import Settings, SettingsError
from tests.e2e.test_e2e_postgres_tracker import CONTACT, PC
from tests.scale.conftest import START_TIMEOUT_S, nginx_or_skip, production_settings, wait_for

# --- checks and generated files ------------------------------------------------------------

def test_the_profile_refuses_sqlite_a_missing_redis_and_overlapping_ports(tmp_path):
    good = production_settings(tmp_path)
    check_production(good)
    for changes, words in [
        ({"database_url": f"sqlite:///{tmp_path}/bespoke.db"}, "DATABASE_URL must be a postgresql:// URL"),
        ({"tracker_database_url": f"sqlite:///{tmp_path}/t.db"}, "TRACKER_DATABASE_URL must be"),
        ({"redis_url": ""}, "needs Redis: set REDIS_URL"),
        ({"rasa_servers": 0}, "BESPOKE_RASA_SERVERS must be 1 to 64, not 0"),
        ({"web_base_port": good.rasa_base_port + 1}, "ports overlap at"),
        ({"web_port": good.actions_base_port}, "ports overlap at"),
        ({"telegram_webhook_url": "https://shop.example/hook;x", "telegram_webhook_secret": "abc"},
         "path may only have"),
    ]:
        with pytest.raises(SettingsError, match=words):
            check_production(dataclasses.replace(good, **changes))


def test_the_endpoints_read_their_credentials_from_the_environment(tmp_path):
    settings = production_settings(tmp_path)
    path, env = write_production_endpoints(settings)
    text = path.read_text()
    assert "s3cret-pw" not in text and "redis-pw" not in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    endpoints = yaml.safe_load(text)
    assert endpoints["tracker_store"] == {
        "type": "SQL", "dialect": "postgresql+psycopg2", "url": "127.0.0.1", "db": "bespoke", "port": 5432,
        "username": "bespoke", "password": "${%s}" % TRACKER_PASSWORD_ENV}
    assert env == {TRACKER_PASSWORD_ENV: "s3cret-pw"}
    # The action servers behind nginx, with the secret from the environment too.
    assert endpoints["action_endpoint"]["url"] == f"http://127.0.0.1:{settings.actions_port}/webhook"
    assert endpoints["action_endpoint"]["headers"] == {"X-Bespoke-Actions-Secret": "${BESPOKE_ACTIONS_SECRET}"}
    # The lock store that locks across servers, its URL (and password) from REDIS_URL.
    assert endpoints["lock_store"] == {"type": "bot.scale.lock_store.AtomicRedisLockStore", "url": "${REDIS_URL}",
                                       "key_prefix": "bespoke"}


def test_the_counts_and_ports_are_read_from_the_environment():
    settings = Settings.from_env({"BESPOKE_RASA_SERVERS": "3", "BESPOKE_ACTION_SERVERS": "1", "BESPOKE_WEB_SERVERS": "4",
                                  "BESPOKE_RASA_BASE_PORT": "7000", "BESPOKE_ACTIONS_BASE_PORT": "7100",
                                  "BESPOKE_WEB_BASE_PORT": "7200", "BESPOKE_RASA_URL": "http://rasa:5005/"})
    assert backends(settings) == {"rasa": [7000, 7001, 7002], "actions": [7100], "web": [7200, 7201, 7202, 7203]}
    assert settings.rasa_url == "http://rasa:5005"
    with pytest.raises(SettingsError):
        Settings.from_env({"BESPOKE_WEB_SERVERS": "two"})


def test_the_profile_refuses_sqlite_before_anything_starts(trained_model, tmp_path):
    env = {**os.environ, "BESPOKE_DATA_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0"}
    env.pop("DATABASE_URL", None)
    env.pop("TRACKER_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run", "--profile", "production", "--no-train"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "DATABASE_URL must be a postgresql:// URL" in result.stderr
    assert not (tmp_path / "bespoke.db").exists() and not (tmp_path / "nginx").exists()


def test_bespoke_migrate_creates_the_database_and_its_tables():
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.engine import make_url

    from tests.support.services import postgres_database

    with postgres_database("bespoke_migrate") as url:
        fresh = make_url(url).set(database=make_url(url).database + "_made")
        env = {**os.environ, "DATABASE_URL": fresh.render_as_string(hide_password=False)}
        try:
            result = subprocess.run([sys.executable, "-m", "bot.cli", "migrate", "--create-database"], cwd=ROOT,
                                    env=env, capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, result.stderr
            assert f"created the PostgreSQL database '{fresh.database}'" in result.stdout
            engine = create_engine(fresh, future=True)
            try:
                assert "orders" in inspect(engine).get_table_names()
            finally:
                engine.dispose()
        finally:
            admin = create_engine(url, future=True, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{fresh.database}" WITH (FORCE)'))
            admin.dispose()


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "::1"])
def test_the_generated_nginx_config_passes_nginx_t(tmp_path, host):
    nginx = nginx_or_skip()
    settings = production_settings(tmp_path, host=host, rasa_servers=3, web_servers=1,
                                   telegram_token="1:x", telegram_webhook_url="https://shop.example/tg/hook",
                                   telegram_webhook_secret="s3", telegram_webhook_port=free_port())
    paths = write_nginx_config(settings)
    check_nginx_config(nginx, paths)  # raises with nginx's words otherwise
    conf = paths.conf.read_text()
    assert conf.count("server 127.0.0.1:") == 3 + 1 + 2  # rasa, web, actions backends
    assert "location = /tg/hook" in conf
    # Only the web listener is on the configured host; Rasa and the actions on loopback only.
    assert f"listen 127.0.0.1:{settings.rasa_port};" in conf and f"listen 127.0.0.1:{settings.actions_port};" in conf
    # Every path nginx writes is in the data folder.
    for line in conf.splitlines():
        if line.strip().startswith(("pid ", "client_body_temp_path", "proxy_temp_path")):
            assert str(tmp_path) in line, line


def test_a_config_nginx_refuses_is_a_settings_error_with_its_words(tmp_path):
    nginx = nginx_or_skip()
    settings = production_settings(tmp_path)
    paths = write_nginx_config(settings)
    paths.conf.write_text(paths.conf.read_text().replace("least_conn;", "least_conn_typo;"))
    with pytest.raises(SettingsError, match="unknown directive"):
        check_nginx_config(nginx, paths)


# --- the whole profile (tests/scale/conftest.py starts it once per session) ---------------

@pytest.mark.timeout(START_TIMEOUT_S + 600)  # the start above, then 26 turns and a restart
def test_a_whole_order_over_rest_and_the_web_chat_through_nginx_with_a_rasa_server_killed(profile):
    assert "created the PostgreSQL database 'bespoke_profile'" in profile.log_text()
    # Every process serves: ready is said once, after nginx answered.
    assert profile.log_text().count("| ready") == 1

    sender = f"profile-{uuid.uuid4().hex[:8]}"
    replies = [profile.rest(sender, text) for text in PC[:4]]
    # One Rasa server killed between two messages: the next one is answered through the other.
    first_rasa = profile.child(f"--port {profile.settings.rasa_base_port}")
    deaths = profile.log_text().count("rasa-1 was killed by signal 9")  # the fault test's, in this shared profile
    os.kill(first_rasa, signal.SIGKILL)
    # kill() returns before the process is gone: a message sent at once could reach it while
    # it dies (a request already sent is never sent again, so that one is told to send again).
    # The next message comes after it is gone, as a customer's would.
    wait_for(lambda: profile.log_text().count("rasa-1 was killed by signal 9") > deaths, 30, "rasa-1's death")
    replies += [profile.rest(sender, text) for text in PC[4:] + ["yes", *CONTACT]]
    assert all(replies), replies
    assert "Total: €1,622.00" in replies[len(PC) - 1]
    [order] = profile.orders_of(sender)
    assert order["number"] in replies[-1]
    assert order["options"] == {"cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb",
                                "graphics": "rtx_4070_super", "case": "mid_tower", "os": "windows_11_home"}
    assert (order["total"], order["customer_name"], order["customer_email"], order["customer_address"]) \
        == ("1622.00", *CONTACT)

    # The web chat over nginx's public listener, the web servers reaching Rasa through nginx.
    web_sender = f"web:{uuid.uuid4().hex[:12]}"
    web_replies = [profile.web(web_sender, text) for text in PC + ["yes", *CONTACT]]
    [web_order] = profile.orders_of(web_sender)
    assert web_order["number"] in web_replies[-1] and web_order["total"] == "1622.00"
    assert web_order["customer_email"] == CONTACT[1]
    # Rasa's trackers are in PostgreSQL, not a SQLite file; the killed server was restarted.
    assert not (profile.settings.data_dir / "tracker.db").exists()
    assert "rasa-1 was killed by signal 9" in profile.log_text()
    [again] = profile.orders_of(sender)
    assert again == order  # stored once, read back the same
    # Every action call (the whole tracker: over 16 KB after a few turns) passed nginx in
    # memory: a body spilled to a temp file cost 40 ms per turn (bot/scale/nginx.py).
    assert "buffered to a temporary file" not in profile.log_text()
