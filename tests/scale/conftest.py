"""The production profile, started once per test session and shared by the tests that need
it (tests/scale/test_profile.py, tests/scale/test_faults.py): `scripts/run-production` with
2 Rasa, 2 action and 2 web servers behind nginx, over a PostgreSQL cluster and a
redis-server of the session's own on free ports, each of which a test may restart.

Two Rasa servers loading a model cost about a minute of an idle 2-core machine: one start
for the session, not one per module. nginx, PostgreSQL's initdb and redis-server are needed:
without them the tests skip, except under CI=true, where they fail
(tests/support/services.py)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest
import requests

from bot.local import ROOT, free_port, stop_process_group
from bot.runner import _die_with_parent  # a test run killed (timeout, Ctrl-C) leaves no server behind
from bot.scale.profile import find_nginx
from bot.settings import Settings
from tests.support.redis_server import RedisServer, own_redis_server
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
    # Each port is free when picked, but one pick can return a port another already holds
    # (a CI run got the same one twice): picked again until all nine are distinct.
    while True:
        ports = [free_port() for _ in range(3)]
        bases = [consecutive_free_ports(2) for _ in range(3)]
        if len({*ports, *(base + n for base in bases for n in range(2))}) == 9:
            break
    settings = Settings(
        data_dir=data_dir,
        database_url="postgresql+psycopg2://bespoke:s3cret-pw@127.0.0.1:5432/bespoke",
        tracker_database_url="postgresql+psycopg2://bespoke:s3cret-pw@127.0.0.1:5432/bespoke",
        redis_url="redis://:redis-pw@127.0.0.1:6379/3",
        rasa_port=ports[0], actions_port=ports[1], web_port=ports[2],
        rasa_base_port=bases[0], actions_base_port=bases[1], web_base_port=bases[2],
    )
    return dataclasses.replace(settings, **changes)


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


# --- its own PostgreSQL ---------------------------------------------------------------------

class PostgresCluster:
    """A PostgreSQL cluster of its own (initdb, trust on 127.0.0.1) on a free port. The server
    is this process's child and dies with it (a test run killed leaves nothing); as root it
    runs as the postgres user (PostgreSQL refuses to run as root). `restart()` is what
    `pg_ctl restart -m fast` does (SIGINT: fast shutdown, then the same postmaster again on
    the same port), keeping the server this process's child."""

    def __init__(self) -> None:
        self.initdb, self.postgres = needed("initdb"), needed("postgres")
        self.folder = Path(tempfile.mkdtemp(prefix="bespoke-pg-"))
        self.prefix: List[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self.prefix = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--pdeathsig=TERM",
                           "--"]
        self.data, self.port = self.folder / "data", free_port()
        self.server: Optional[subprocess.Popen] = None
        self.pids: List[int] = []  # every postmaster started, for the benchmark's CPU figures

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/bespoke_profile"

    def init(self) -> "PostgresCluster":
        subprocess.run([*self.prefix, self.initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres",
                        "--no-sync"], check=True, capture_output=True, timeout=120)
        return self.start()

    def start(self) -> "PostgresCluster":
        self.spawn()
        return self.wait_ready()

    def spawn(self) -> None:
        """The postmaster started, not waited for. From the thread that lives as long as it
        should: PR_SET_PDEATHSIG fires when the *thread* that started it ends (a restart from
        an executor thread was shut down as the thread finished)."""
        with (self.folder / "log").open("ab") as log:
            self.server = subprocess.Popen(
                [*self.prefix, self.postgres, "-D", str(self.data), "-p", str(self.port), "-k", str(self.folder),
                 "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=300"],
                stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)

    def wait_ready(self) -> "PostgresCluster":
        server = self.server
        assert server is not None
        wait_for(lambda: server.poll() is not None or self.ready(), 60, "PostgreSQL")
        assert server.poll() is None, self.log_text()
        self.pids.append(server.pid)
        return self

    def ready(self) -> bool:
        return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)]).returncode == 0

    def log_text(self) -> str:
        return (self.folder / "log").read_text(errors="replace")

    def restart(self) -> float:
        """A fast shutdown (every session cut off, committed data kept) and a start; its seconds."""
        started = time.monotonic()
        self.stop(signal.SIGINT)
        self.start()
        return time.monotonic() - started

    def stop(self, how: int = signal.SIGQUIT) -> None:
        """SIGQUIT by default: an immediate shutdown, the data is thrown away after."""
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(how)
            self.server.wait(timeout=60)
        self.server = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        yield cluster.init()
    finally:
        cluster.remove()


# --- the whole profile ---------------------------------------------------------------------

@dataclasses.dataclass
class Profile:
    process: subprocess.Popen
    env: Dict[str, str]
    settings: Settings
    log: Path
    postgres: PostgresCluster
    redis: RedisServer

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.rasa_port}/webhooks/rest/webhook?token={self.env['BESPOKE_RASA_TOKEN']}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.web_port}/api/messages"

    def rest(self, sender: str, text: str) -> str:
        """One message over Rasa's REST channel through nginx's Rasa listener."""
        response = requests.post(self.rest_url, json={"sender": sender, "message": text}, timeout=120)
        assert response.status_code == 200, response.text
        return "\n".join(item.get("text", "") for item in response.json())

    def web(self, sender: str, text: str) -> str:
        """One message through the web chat's API on nginx's public listener."""
        response = requests.post(self.web_url, json={"sender": sender, "message": text}, timeout=120)
        assert response.status_code == 200, response.text
        return "\n".join(message["text"] for message in response.json()["messages"])

    def all_orders(self) -> List[dict]:
        """Every stored order, read back by the store (as `bespoke orders --json` does)."""
        from bot.store.orders import OrderStore

        store = OrderStore(self.env["DATABASE_URL"])
        try:
            return store.all_orders()
        finally:
            store.dispose()

    def orders_of(self, sender: str) -> List[dict]:
        return [order for order in self.all_orders() if order["conversation_id"] == sender]

    def descendants(self) -> List[int]:
        parents: Dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        descendants, frontier = set(), {self.process.pid}
        while frontier:
            frontier = {pid for pid, parent in parents.items() if parent in frontier} - descendants
            descendants |= frontier
        return sorted(descendants)

    def children(self, command_part: str) -> List[int]:
        """The pids of the runner's processes whose command line holds `command_part`."""
        found = []
        for pid in self.descendants():
            with contextlib.suppress(OSError):
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                if command_part in command:
                    found.append(pid)
        return found

    def child(self, command_part: str) -> int:
        """The pid of the runner's process whose command line holds `command_part`: a
        descendant of the started command (scripts/run-production runs the runner under uv)."""
        found = self.children(command_part)
        if not found:
            raise AssertionError(f"no child running {command_part!r}")
        return found[0]


@contextlib.contextmanager
def running_profile(data_dir: Path, postgres: PostgresCluster, redis: RedisServer, rasa: int = 2, actions: int = 2,
                    web: int = 2, extra_env: Optional[Dict[str, str]] = None) -> Iterator[Profile]:
    """`scripts/run-production` over this PostgreSQL and Redis, until it says ready; stopped
    (every process gone) afterwards. Used by the session's fixture and bench/scale_out.py."""
    settings = production_settings(data_dir, database_url=postgres.url, tracker_database_url=postgres.url,
                                   redis_url=redis.url, rasa_servers=rasa, action_servers=actions, web_servers=web,
                                   rasa_base_port=consecutive_free_ports(rasa),
                                   actions_base_port=consecutive_free_ports(actions),
                                   web_base_port=consecutive_free_ports(web))
    env = {**os.environ, "BESPOKE_DATA_DIR": str(data_dir), "DATABASE_URL": postgres.url,
           "REDIS_URL": redis.url, "BESPOKE_RASA_TOKEN": uuid.uuid4().hex,
           "BESPOKE_ACTIONS_SECRET": uuid.uuid4().hex, "RASA_TELEMETRY_ENABLED": "false",
           "BESPOKE_RASA_SERVERS": str(rasa), "BESPOKE_ACTION_SERVERS": str(actions), "BESPOKE_WEB_SERVERS": str(web),
           # Every test customer comes from this machine: nginx gives the web servers one
           # address for all of them (the per-conversation limit stays).
           "BESPOKE_WEB_LIMIT_ADDRESS": "off", **(extra_env or {})}
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
    running = Profile(process, env, settings, log, postgres, redis)
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


@pytest.fixture(scope="session")
def profile(trained_model, tmp_path_factory) -> Iterator[Profile]:
    nginx_or_skip()
    with postgres_cluster() as postgres, own_redis_server(tmp_path_factory.mktemp("redis")) as redis, \
            running_profile(tmp_path_factory.mktemp("profile"), postgres, redis) as running:
        yield running
