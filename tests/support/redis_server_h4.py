"""A redis-server of the test's own, on a free port in a temporary folder (never the shared
one on 6379): started, waited for with a deadline, stopped afterwards. Skips the test when
redis-server is not installed, except on CI, where it fails. (H4's copy, written beside H3's
tests/support/redis_server.py with the same `own_redis_server` and RedisServer: merge them.)"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from bot.local import free_port, stop_process_group
from tests.support.services import services_required

START_DEADLINE_S = 10.0


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process; `url` for REDIS_URL; stop() and start() again on the same port
    (a restart, for fault tests)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: "subprocess.Popen[bytes] | None" = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.folder)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + START_DEADLINE_S
        while not _answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"redis-server did not start:\n{(self.folder / 'redis.log').read_text()}")
            time.sleep(0.02)  # polling interval while it starts, not a wait for a result
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process, timeout=10)
            self.process = None


@contextlib.contextmanager
def own_redis_server(folder: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        if services_required():
            pytest.fail("redis-server must be installed for CI")
        pytest.skip("redis-server is not installed")
    server = RedisServer(folder).start()
    try:
        yield server
    finally:
        server.stop()
