"""The action server refuses a catalog it cannot use at start (issue 11): it says what is
wrong and where on stderr, exits with 2 (the supervisor's "bad configuration": it stops the
run instead of restarting), and serves nothing: no port opened, no order database made."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.local import ROOT, free_port, stop_process_group

START = [sys.executable, "-m", "bot.action_server"]  # as the runner starts it
OAK_TABLE = ROOT / "tests" / "fixtures" / "catalogs" / "oak_table.yml"


def broken(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


CASES = {
    "an option's minimum above its maximum": (
        lambda oak: broken(oak, "max: 240", "max: 100"), "product 'oak_table', option 'length': min is greater than max"),
    "a rule naming an unknown option": (
        lambda oak: broken(oak, "then: length > 200", "then: width > 200"), "uses unknown names: width"),
    "not YAML": (lambda oak: oak + "\n  - : [\n", "not valid YAML"),
    "a unit pint cannot evaluate": (
        lambda oak: broken(oak, "accept_units: [cm, m, in]", "accept_units: [cm, m/0]"), "'m/0' is not a unit"),
    "no file": (None, "cannot read the catalog"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_catalog_stops_the_action_server_at_start_with_exit_2(tmp_path: Path, case: str):
    make, problem = CASES[case]
    catalog = tmp_path / "catalog.yml"
    if make is not None:
        catalog.write_text(make(OAK_TABLE.read_text(encoding="utf-8")), encoding="utf-8")
    data = tmp_path / "var"
    port = free_port()
    env = {**os.environ, "BESPOKE_CATALOG": str(catalog), "BESPOKE_DATA_DIR": str(data),
           "BESPOKE_ACTIONS_SECRET": "a-secret", "RASA_TELEMETRY_ENABLED": "false"}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen([*START, "--port", str(port)], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = server.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # it started serving instead
        stop_process_group(server)
        stdout, stderr = server.communicate()
        with socket.socket() as probe:
            listening = probe.connect_ex(("127.0.0.1", port)) == 0
        pytest.fail(f"the action server did not stop (listening: {listening}):\n{stdout[-1000:]}\n{stderr[-1000:]}")
    assert server.returncode == 2, (server.returncode, stderr[-2000:])
    assert f"bespoke: the catalog cannot be used: {catalog}: " in stderr
    assert problem in stderr
    assert "Traceback" not in stderr
    assert "products (" not in stdout  # never said it loaded
    assert not data.exists() or not list(data.glob("*.db"))  # no order database made
    with socket.socket() as probe:  # nothing listens on its port
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_same_catalog_unbroken_is_taken(tmp_path: Path):
    """The check's counterpart: the fixture itself passes the start's catalog check (so the
    cases above fail for the one thing each breaks). Checked in-process, not by serving."""
    from bot.core.catalog import load_catalog

    assert [p.id for p in load_catalog(OAK_TABLE).products] == ["oak_table"]
