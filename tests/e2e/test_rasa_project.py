"""Rasa's own checks of the training data and the test stories."""

from __future__ import annotations

import subprocess
import sys

from bot.runner import ROOT, rasa_env


def run_rasa(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rasa", *args], cwd=ROOT, env=rasa_env(__import__("os").environ),
        capture_output=True, text=True, timeout=timeout,
    )


def test_training_data_validates_without_warnings():
    result = run_rasa("data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_test_stories_pass(trained_model, tmp_path):
    result = run_rasa(
        "test", "core", "--stories", "tests/stories", "--model", str(trained_model),
        "--fail-on-prediction-errors", "--out", str(tmp_path),
    )
    failed = (tmp_path / "failed_test_stories.yml")
    report = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, report + result.stdout[-3000:] + result.stderr[-2000:]
    assert "None of the test stories failed" in report
