"""bot/runner.py and the processes' own doors, without starting Rasa: what the model's
fingerprint covers, the endpoints Rasa is given, the environment and command lines of the
processes (no secret in argv), the data folder's permissions, and what the action server
refuses. The processes themselves: tests/test_supervision.py, tests/e2e/test_e2e_processes.py."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
import yaml

from bot import action_server, rasa_server, runner
from bot.settings import Settings


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the files the model is trained from, as the runner's ROOT."""
    for name in ("config.yml", "domain.yml", "uv.lock"):
        shutil.copy(runner.REPO_ROOT / name, tmp_path / name)
    shutil.copytree(runner.REPO_ROOT / "data", tmp_path / "data")
    (tmp_path / "bot").mkdir()
    shutil.copy(runner.REPO_ROOT / "bot" / "nlu.py", tmp_path / "bot" / "nlu.py")
    shutil.copy(runner.REPO_ROOT / "catalog.yml", tmp_path / "catalog.yml")
    monkeypatch.setattr(runner, "ROOT", tmp_path)
    return tmp_path


@pytest.mark.parametrize("changed", ["bot/nlu.py", "uv.lock", "config.yml", "domain.yml", "data/nlu/questions.yml"])
def test_the_model_fingerprint_covers_what_the_model_is_built_from(project, changed):
    before = runner.model_fingerprint()
    with (project / changed).open("a") as file:
        file.write("\n# changed\n")
    assert runner.model_fingerprint() != before


def test_the_catalog_is_not_in_the_fingerprint_and_a_named_package_is(project):
    before = runner.model_fingerprint()
    (project / "catalog.yml").write_text("products: []\n")
    assert runner.model_fingerprint() == before  # a new product needs no new model
    # A component config.yml names from a package of the project: its whole folder counts.
    (project / "shop_nlu").mkdir()
    (project / "shop_nlu" / "__init__.py").write_text("")
    (project / "shop_nlu" / "classifier.py").write_text("class Mine: pass\n")
    config = yaml.safe_load((project / "config.yml").read_text())
    config["pipeline"].append({"name": "shop_nlu.classifier.Mine"})
    (project / "config.yml").write_text(yaml.safe_dump(config))
    assert project / "shop_nlu" / "classifier.py" in runner.config_modules(project / "config.yml")
    named = runner.model_fingerprint()
    (project / "shop_nlu" / "classifier.py").write_text("class Mine: x = 1\n")
    assert runner.model_fingerprint() != named


def test_rasa_is_given_the_action_servers_secret_by_name_never_by_value(tmp_path, monkeypatch):
    monkeypatch.setenv("BESPOKE_ACTIONS_SECRET", "s3cr3t-value")
    settings = Settings(data_dir=tmp_path, actions_port=6055, rasa_port=6005,
                        tracker_database_url=f"sqlite:///{tmp_path / 'tracker.db'}")
    env = runner.process_env(settings, tmp_path / "model.tar.gz")
    text = Path(env["BESPOKE_ENDPOINTS"]).read_text()
    assert "s3cr3t-value" not in text
    endpoint = yaml.safe_load(text)["action_endpoint"]
    assert endpoint == {"url": "http://127.0.0.1:6055/webhook",
                        "headers": {action_server.ACTIONS_SECRET_HEADER: "${BESPOKE_ACTIONS_SECRET}"}}
    assert env["BESPOKE_ACTIONS_SECRET"] == "s3cr3t-value"
    # Rasa's own reader puts the value in from its environment.
    import rasa.shared.utils.io

    monkeypatch.setenv("BESPOKE_ACTIONS_SECRET", "-starts-with-a-dash")
    read = rasa.shared.utils.io.read_config_file(env["BESPOKE_ENDPOINTS"])
    assert read["action_endpoint"]["headers"][action_server.ACTIONS_SECRET_HEADER] == "-starts-with-a-dash"


def test_each_run_makes_its_own_secrets_when_none_is_set(tmp_path, monkeypatch):
    monkeypatch.delenv("BESPOKE_ACTIONS_SECRET", raising=False)
    settings = Settings(data_dir=tmp_path, tracker_database_url=f"sqlite:///{tmp_path / 't.db'}")
    one = runner.process_env(settings, tmp_path / "m")
    two = runner.process_env(settings, tmp_path / "m")
    assert len(one["BESPOKE_ACTIONS_SECRET"]) >= 40 and one["BESPOKE_ACTIONS_SECRET"] != two["BESPOKE_ACTIONS_SECRET"]
    assert one["BESPOKE_RASA_TOKEN"] != two["BESPOKE_RASA_TOKEN"]


def test_no_command_line_names_a_secret_and_rasa_and_the_actions_listen_on_loopback():
    processes = runner.procfile_processes()
    for name, command in processes.items():
        assert "TOKEN" not in command and "SECRET" not in command, (name, command)
    assert "--interface 127.0.0.1" in processes["rasa"]
    assert "--auth-token" not in processes["rasa"]


@pytest.mark.parametrize("token", ["-Xa9", "--enable-api", "plain_token"])
def test_rasa_gets_its_token_inside_the_process_as_one_argument(token):
    arguments = rasa_server.secret_arguments(Settings.from_env({"BESPOKE_RASA_TOKEN": token}))
    assert arguments == [f"--auth-token={token}"]
    from rasa.cli.arguments.run import add_server_arguments
    import argparse

    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    assert parser.parse_args(["--enable-api", *arguments]).auth_token == token
    assert rasa_server.secret_arguments(Settings.from_env({})) == []


def test_the_data_folder_and_its_files_are_for_this_user_only(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "bespoke.db").write_text("")
    (data / "run").mkdir()
    (data / "run" / "endpoints-5005.yml").write_text("")
    (data / "bespoke.db").chmod(0o644)
    elsewhere = tmp_path / "orders.db"
    elsewhere.write_text("")
    elsewhere.chmod(0o644)
    settings = Settings(data_dir=data, database_url=f"sqlite:///{elsewhere}",
                        tracker_database_url=f"sqlite:///{data / 'tracker.db'}")
    import os

    old = os.umask(0o022)
    try:
        runner.secure_data(settings)
        (data / "tracker.db").write_text("")  # as Rasa would make it
        assert os.umask(0o077) == 0o077  # what the processes started from here inherit
    finally:
        os.umask(old)
    mode = lambda path: stat.S_IMODE(path.stat().st_mode)  # noqa: E731
    assert mode(data) == mode(data / "run") == 0o700
    assert mode(data / "bespoke.db") == mode(data / "run" / "endpoints-5005.yml") == mode(elsewhere) == 0o600
    assert mode(data / "tracker.db") == 0o600


def test_a_new_data_folder_is_made_0700(tmp_path):
    settings = Settings(data_dir=tmp_path / "new")
    settings.data_file("secret_key")
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700


@pytest.mark.parametrize("path, content_type, given, expected", [
    ("/webhook", "application/json", "", 403),
    ("/webhook", "application/json", "wrong", 403),
    ("/webhook", "text/plain", "wrong", 403),
    ("/webhook", "text/plain", "the-secret", 415),
    ("/webhook", "application/x-www-form-urlencoded", "the-secret", 415),
    ("/actions", "", "", 403),
    ("/webhook", "application/json; charset=utf-8", "the-secret", None),
    ("/health", "", "", None),
])
def test_the_action_server_serves_only_rasa_with_json(path, content_type, given, expected):
    refused = action_server.refusal(path, content_type, given, "the-secret")
    assert (refused and refused[0]) == expected


def test_without_a_secret_the_action_server_refuses_everything_and_does_not_start(monkeypatch, capsys):
    assert action_server.refusal("/webhook", "application/json", "", "")[0] == 403
    monkeypatch.delenv("BESPOKE_ACTIONS_SECRET", raising=False)
    with pytest.raises(SystemExit) as stopped:
        action_server.main()
    assert stopped.value.code == 2 and "BESPOKE_ACTIONS_SECRET" in capsys.readouterr().err


@pytest.mark.parametrize("given", ["", "the-secret"])
def test_the_action_server_refuses_a_body_over_its_limit_first_whoever_sends_it(given):
    limit = action_server.MAX_ACTION_CALL_BYTES
    assert action_server.refusal("/webhook", "application/json", given, "the-secret", str(limit + 1))[0] == 413
    assert action_server.refusal("/health", "", given, "the-secret", str(limit + 1))[0] == 413
    within = action_server.refusal("/webhook", "application/json", given, "the-secret", str(limit))
    assert (within and within[0]) == (None if given else 403)
