"""Rasa's JSON log writes a traceback's frames without their local variables: a failed
action call's frames hold the actions secret in its headers (tests/e2e/test_e2e_processes.py
found it in the run's log after the action server was killed)."""

import subprocess
import sys

SCRIPT = """
import logging, structlog
from bot.rasa_server import log_tracebacks_without_locals
log_tracebacks_without_locals()
from rasa.utils.log_utils import configure_structlog
configure_structlog(logging.INFO)
def call_actions():
    headers = {"X-Bespoke-Actions-Secret": "not-to-be-logged"}
    raise ConnectionError("the action server went away")
try:
    call_actions()
except ConnectionError:
    structlog.get_logger().exception("action.failed")
"""


def test_a_logged_traceback_carries_no_local_variables() -> None:
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                         env={"FORCE_JSON_LOGGING": "1", "PATH": "/usr/bin:/bin"})
    log = run.stdout + run.stderr
    assert "the action server went away" in log and "call_actions" in log  # the traceback is there
    assert "not-to-be-logged" not in log
