"""bot.runner.Supervisor with small real processes (a Python HTTP server with /health, and
processes that exit at once): a killed process comes back while the others keep serving,
`ready` is said only when every process answers, a process that keeps crashing or has a
wrong configuration stops the run saying so. Every wait is a poll with a deadline."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
import time
from pathlib import Path

import pytest
import requests

from bot.local import free_port
from bot.runner import HealthCheck, Supervisor

SERVER = (
    "import http.server, os, time\n"
    "time.sleep(float(os.environ.get('DELAY', '0')))\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        body = ('{\"pid\": %d}' % os.getpid()).encode()\n"
    "        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers()\n"
    "        self.wfile.write(body)\n"
    "    def log_message(self, *args): pass\n"
    "print('listening', flush=True)\n"
    "http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()\n"
)


def server_command() -> str:
    return f"{sys.executable} -c \"$SERVER_CODE\""


def add_server(supervisor: Supervisor, name: str, delay: float = 0) -> int:
    port = free_port()
    env = {**os.environ, "SERVER_CODE": SERVER, "PORT": str(port), "DELAY": str(delay)}
    supervisor.add_process(name, server_command(), env=env, cwd=".", health=HealthCheck(f"http://127.0.0.1:{port}/"))
    return port


def pid_at(port: int):
    try:
        return requests.get(f"http://127.0.0.1:{port}/", timeout=1).json()["pid"]
    except requests.RequestException:
        return None


async def until(predicate, timeout: float = 30.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await asyncio.to_thread(predicate)
        if value:
            return value
        await asyncio.sleep(0.05)  # polling interval
    pytest.fail(f"not within {timeout} s: {what}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie not yet reaped counts as gone
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def fast_supervisor(out: io.StringIO, **kwargs) -> Supervisor:
    return Supervisor(ready_text="  web chat: http://here/", backoff=(0.05, 0.2), poll_s=0.05,
                      stop_timeout_s=5, out=out, **kwargs)


async def test_a_killed_process_comes_back_and_the_others_keep_serving():
    out = io.StringIO()
    supervisor = fast_supervisor(out)
    actions = add_server(supervisor, "actions")
    web = add_server(supervisor, "web")
    running = asyncio.create_task(supervisor.run())
    try:
        await until(lambda: supervisor.ready, what="ready")
        assert "ready\n  web chat: http://here/" in out.getvalue()
        first, web_pid = await until(lambda: pid_at(actions)), await until(lambda: pid_at(web))
        os.kill(first, signal.SIGKILL)
        second = await until(lambda: (pid := pid_at(actions)) and pid != first and pid, what="actions back")
        assert second != first and pid_at(web) == web_pid  # the web server was never stopped
        await until(lambda: "actions serves again" in out.getvalue(), what="said it serves again")
        log = out.getvalue()
        assert "actions was killed by signal 9" in log and "restarting it in 0.05 s" in log
        assert log.count("| ready") == 1
    finally:
        supervisor.stop()
        assert await asyncio.wait_for(running, 30) == 0
    assert not alive(second) and not alive(web_pid)


async def test_ready_is_said_only_when_every_process_answers():
    out = io.StringIO()
    supervisor = fast_supervisor(out)
    quick = add_server(supervisor, "web")
    add_server(supervisor, "rasa", delay=1.5)
    running = asyncio.create_task(supervisor.run())
    try:
        await until(lambda: pid_at(quick), what="web up")
        assert not supervisor.ready and "ready" not in out.getvalue()
        await until(lambda: supervisor.ready, what="ready")
    finally:
        supervisor.stop()
        await asyncio.wait_for(running, 30)


async def test_a_process_that_keeps_crashing_stops_the_run_and_says_so():
    out = io.StringIO()
    supervisor = fast_supervisor(out, give_up_after=3)
    web = add_server(supervisor, "web")
    supervisor.add_process("rasa", f"{sys.executable} -c 'import sys; sys.exit(1)'", env=dict(os.environ), cwd=".")
    assert await asyncio.wait_for(supervisor.run(), 30) == 1
    log = out.getvalue()
    assert log.count("rasa exited with code 1 after") == 2  # restarted twice, with a growing delay
    assert "restarting it in 0.05 s" in log and "restarting it in 0.1 s" in log
    assert "rasa exited with code 1: 3 times in a row within 60 s of starting, so it is not restarted" in log
    assert pid_at(web) is None  # the run stopped, its other processes with it


async def test_a_configuration_error_stops_everything_at_once():
    out = io.StringIO()
    supervisor = fast_supervisor(out)
    web = add_server(supervisor, "web")
    supervisor.add_process("actions", f"{sys.executable} -c 'import sys; sys.exit(2)'", env=dict(os.environ), cwd=".")
    assert await asyncio.wait_for(supervisor.run(), 30) == 2
    assert "actions exited with code 2 (its configuration): stopping everything" in out.getvalue()
    assert "restarting" not in out.getvalue() and pid_at(web) is None


async def test_output_is_relayed_with_the_process_name():
    out = io.StringIO()
    supervisor = fast_supervisor(out)
    add_server(supervisor, "web")
    running = asyncio.create_task(supervisor.run())
    try:
        await until(lambda: "web     | listening" in out.getvalue() or " web | listening" in out.getvalue(),
                    what="the child's output")
    finally:
        supervisor.stop()
        await asyncio.wait_for(running, 30)


RUNNER = (
    "import os, sys\n"
    "from bot.runner import HealthCheck, Supervisor\n"
    "supervisor = Supervisor(ready_text='all up', poll_s=0.05, stop_timeout_s=5)\n"
    "supervisor.add_process('web', sys.executable + ' -c \"$SERVER_CODE\"', env=dict(os.environ), cwd='.',\n"
    "                       health=HealthCheck('http://127.0.0.1:' + os.environ['PORT'] + '/'))\n"
    "supervisor.loop()\n"
    "sys.exit(supervisor.returncode)\n"
)


def start_runner():
    import subprocess

    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", RUNNER], cwd=str(Path(__file__).resolve().parents[1]),
                               env={**os.environ, "SERVER_CODE": SERVER, "PORT": str(port)},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:  # ends when the runner exits (then the assertion below fails)
        if "| ready" in line:
            break
    child = pid_at(port)
    assert child, "the runner said ready without its process serving"
    return process, child, port


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_the_processes_and_the_runner_cleanly(signum):
    process, child, port = start_runner()
    process.send_signal(signum)
    assert process.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling interval
    assert not alive(child) and pid_at(port) is None


def test_a_runner_killed_outright_takes_its_processes_with_it():
    process, child, port = start_runner()
    process.kill()
    process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while pid_at(port) is not None and time.monotonic() < deadline:
        time.sleep(0.05)  # polling interval
    assert pid_at(port) is None  # no orphan left serving (PR_SET_PDEATHSIG)
