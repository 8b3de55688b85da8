"""A redis-server of the tests' own (never the shared one on 6379), on a free port in a
temporary folder, without persistence: a restart is a Redis that lost its data.

- `own_redis_server(folder)`: a context manager, one server for one test or fixture;
- `redis_server`: the session's server (a fixture); `redis_up`: the same, started again
  after a test that stopped it, so the next test finds it running on the same port.
Each test keeps to its own key prefix. Skips when redis-server is not installed, except on
CI, where it fails."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator, Optional

import pytest

from bot.local import free_port, stop_process_group
from tests.support.services import services_required

START_LIMIT = 10.0  # seconds for redis-server to answer PING


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process: `url` for REDIS_URL; stop() and start() again on the same
    port is a restart (for fault tests)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        executable = shutil.which("redis-server")
        if executable is None:
            if services_required():
                pytest.fail("redis-server must be installed for CI")
            pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
        log_path = self.folder / "redis.log"
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.folder)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + START_LIMIT
        while not _answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"redis-server did not answer on port {self.port}:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.02)  # polling interval while it starts, not a wait for a result
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process, timeout=10)
            self.process = None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@contextlib.contextmanager
def own_redis_server(folder: Path) -> Iterator[RedisServer]:
    server = RedisServer(folder).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    with own_redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_up(redis_server: RedisServer) -> Iterator[RedisServer]:
    if not redis_server.running():
        redis_server.start()
    yield redis_server
    if not redis_server.running():
        redis_server.start()
