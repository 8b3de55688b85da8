"""The production profile (bot/scale/profile.py): its checks, the generated nginx config
passing `nginx -t`, the endpoints holding no secret, and one end-to-end run of
`bespoke run --profile production` with 2 Rasa, 2 action and 2 web servers behind nginx,
over a PostgreSQL cluster and a redis-server of the test's own on free ports: a whole order
through nginx over REST and one over /api/messages, each stored once and read back, with one
Rasa server killed (-9) mid-order and the next message answered by the other.

nginx, PostgreSQL's initdb and redis-server are needed: without them the tests skip, except
under CI=true, where they fail (tests/support/services.py)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import requests
import yaml

from bot.local import ROOT, free_port, stop_process_group
from bot.runner import _die_with_parent  # a test run killed (timeout, Ctrl-C) leaves no server behind
from bot.scale.profile import (
    TRACKER_PASSWORD_ENV,
    backends,
    check_nginx_config,
    check_production,
    find_nginx,
    write_nginx_config,
    write_production_endpoints,
)
from bot.settings import Settings, SettingsError
from tests.e2e.test_e2e_postgres_tracker import CONTACT, PC
from tests.support.redis_server import own_redis_server
from tests.support.services import services_required

# Two Rasa servers loading the model side by side: about a minute on an idle 2-core machine,
# up to 8 minutes measured while five other test runs shared it; the bound, not the wait.
START_TIMEOUT_S = 720
PG_BIN = Path("/usr/lib/postgresql/15/bin")  # initdb and postgres, where Debian puts them


def needed(tool: str) -> str:
    """The path of `tool`; a skip without it (a failure under CI, where it must be installed)."""
    found = shutil.which(tool) or shutil.which(tool, path=f"/usr/sbin:/sbin:{PG_BIN}")
    if found:
        return found
    if services_required():
        pytest.fail(f"{tool} must be installed for CI (scripts/test installs nginx with apt-get)")
    pytest.skip(f"{tool} is not installed")


def nginx_or_skip() -> str:
    needed("nginx")
    return find_nginx()


def consecutive_free_ports(count: int) -> int:
    """The first of `count` consecutive ports free on 127.0.0.1 now."""
    for _ in range(200):
        base = free_port()
        if base + count >= 65536:
            continue
        probes = []
        try:
            for port in range(base, base + count):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise RuntimeError(f"no {count} consecutive free ports")


def production_settings(data_dir: Path, **changes) -> Settings:
    settings = Settings(
        data_dir=data_dir,
        database_url="postgresql+psycopg2://bespoke:s3cret-pw@127.0.0.1:5432/bespoke",
        tracker_database_url="postgresql+psycopg2://bespoke:s3cret-pw@127.0.0.1:5432/bespoke",
        redis_url="redis://:redis-pw@127.0.0.1:6379/3",
        rasa_port=free_port(), actions_port=free_port(), web_port=free_port(),
        rasa_base_port=consecutive_free_ports(2), actions_base_port=consecutive_free_ports(2),
        web_base_port=consecutive_free_ports(2),
    )
    return dataclasses.replace(settings, **changes)


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


# --- its own PostgreSQL and Redis ----------------------------------------------------------

def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)  # polling interval, not a wait for a result
    raise AssertionError(f"{what} not within {timeout:g} s")


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A PostgreSQL cluster of its own (initdb, trust on 127.0.0.1) on a free port; its URL.
    The server is this process's child and dies with it (a test run killed leaves nothing);
    as root it runs as the postgres user (PostgreSQL refuses to run as root)."""
    initdb, postgres = needed("initdb"), needed("postgres")
    folder = Path(tempfile.mkdtemp(prefix="bespoke-pg-"))
    prefix: List[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        prefix = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--pdeathsig=TERM", "--"]
    data, port = folder / "data", free_port()
    server = None
    try:
        subprocess.run([*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        with (folder / "log").open("ab") as log:
            server = subprocess.Popen([*prefix, postgres, "-D", str(data), "-p", str(port), "-k", str(folder),
                                       "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                                      stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        wait_for(lambda: server.poll() is not None or subprocess.run(
            ["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)]).returncode == 0, 60, "PostgreSQL")
        assert server.poll() is None, (folder / "log").read_text()
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/bespoke_profile"
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGQUIT)  # immediate shutdown: the data is thrown away
            server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


# --- the whole profile ---------------------------------------------------------------------

@dataclasses.dataclass
class Profile:
    process: subprocess.Popen
    env: Dict[str, str]
    settings: Settings
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def rest(self, sender: str, text: str) -> str:
        """One message over Rasa's REST channel through nginx's Rasa listener."""
        response = requests.post(f"http://127.0.0.1:{self.settings.rasa_port}/webhooks/rest/webhook",
                                 params={"token": self.env["BESPOKE_RASA_TOKEN"]},
                                 json={"sender": sender, "message": text}, timeout=120)
        assert response.status_code == 200, response.text
        return "\n".join(item.get("text", "") for item in response.json())

    def web(self, sender: str, text: str) -> str:
        """One message through the web chat's API on nginx's public listener."""
        response = requests.post(f"http://127.0.0.1:{self.settings.web_port}/api/messages",
                                 json={"sender": sender, "message": text}, timeout=120)
        assert response.status_code == 200, response.text
        return "\n".join(message["text"] for message in response.json()["messages"])

    def orders_of(self, sender: str) -> List[dict]:
        result = subprocess.run([sys.executable, "-m", "bot.cli", "orders", "--json"], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, check=True, timeout=120)
        return [order for order in json.loads(result.stdout) if order["conversation_id"] == sender]

    def child(self, command_part: str) -> int:
        """The pid of the runner's process whose command line holds `command_part`: a
        descendant of the started command (scripts/run-production runs the runner under uv)."""
        parents: Dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        descendants, frontier = set(), {self.process.pid}
        while frontier:
            frontier = {pid for pid, parent in parents.items() if parent in frontier} - descendants
            descendants |= frontier
        for pid in sorted(descendants):
            with contextlib.suppress(OSError):
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                if command_part in command:
                    return pid
        raise AssertionError(f"no child running {command_part!r}")


@pytest.fixture(scope="module")
def profile(trained_model, tmp_path_factory) -> Iterator[Profile]:
    nginx_or_skip()
    with postgres_cluster() as database_url, own_redis_server(tmp_path_factory.mktemp("redis")) as redis:
        redis_url = redis.url
        data_dir = tmp_path_factory.mktemp("profile")
        settings = production_settings(data_dir, database_url=database_url, tracker_database_url=database_url,
                                       redis_url=redis_url)
        env = {**os.environ, "BESPOKE_DATA_DIR": str(data_dir), "DATABASE_URL": database_url,
               "REDIS_URL": redis_url, "BESPOKE_RASA_TOKEN": uuid.uuid4().hex,
               "BESPOKE_ACTIONS_SECRET": uuid.uuid4().hex, "RASA_TELEMETRY_ENABLED": "false",
               "BESPOKE_RASA_SERVERS": "2", "BESPOKE_ACTION_SERVERS": "2", "BESPOKE_WEB_SERVERS": "2"}
        for name, value in {"RASA_PORT": settings.rasa_port, "ACTIONS_PORT": settings.actions_port,
                            "WEB_PORT": settings.web_port, "RASA_BASE_PORT": settings.rasa_base_port,
                            "ACTIONS_BASE_PORT": settings.actions_base_port,
                            "WEB_BASE_PORT": settings.web_base_port}.items():
            env[f"BESPOKE_{name}"] = str(value)
        env.pop("TRACKER_DATABASE_URL", None)
        log = data_dir / "profile.log"
        with log.open("ab") as out:
            # The README's command, as a reader runs it (its setup step finds everything there).
            process = subprocess.Popen([str(ROOT / "scripts" / "run-production"), "--no-train"],
                                       cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True, preexec_fn=_die_with_parent)
        running = Profile(process, env, settings, log)
        try:
            try:
                wait_for(lambda: process.poll() is not None or "| ready" in running.log_text(), START_TIMEOUT_S,
                         "the profile's ready")
            except AssertionError as error:
                raise AssertionError(f"{error}:\n{running.log_text()[-4000:]}") from None
            assert process.poll() is None, running.log_text()[-4000:]
            yield running
        finally:
            stop_process_group(process)
            assert not any(port_open(port) for port in (settings.web_port, settings.rasa_port,
                                                        settings.rasa_base_port, settings.web_base_port))


@pytest.mark.timeout(START_TIMEOUT_S + 600)  # the start above, then 26 turns and a restart
def test_a_whole_order_over_rest_and_the_web_chat_through_nginx_with_a_rasa_server_killed(profile):
    assert "created the PostgreSQL database 'bespoke_profile'" in profile.log_text()
    # Every process serves: ready is said once, after nginx answered.
    assert profile.log_text().count("| ready") == 1

    sender = f"profile-{uuid.uuid4().hex[:8]}"
    replies = [profile.rest(sender, text) for text in PC[:4]]
    # One Rasa server killed between two messages: the next one is answered through the other.
    first_rasa = profile.child(f"--port {profile.settings.rasa_base_port}")
    os.kill(first_rasa, signal.SIGKILL)
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
