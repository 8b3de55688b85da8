"""Every example in the README works the way a reader would use it.

Each fenced block of README.md is an example with a language: `sh` blocks are commands,
each run here (or, for the two top-level commands, run as far as a test may: `scripts/run`
is started and talked to; `scripts/test` is what is running now); `yaml` is a catalog
entry, pasted into a copy of catalog.yml and checked with `bespoke check-catalog`; `output`
is what the command before it prints; `html` is the widget's script tag; `text` is the
architecture diagram, whose folders must exist; `transcript` is a conversation, played
again over REST against the real bot, which must answer word for word as shown. A block of another language, or a command
no test below knows, fails: a new example comes with its test.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List

import pytest
import requests
import yaml

from bot.local import DEMO_CATALOG, ROOT, BotServers, stop_process_group

README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
LANGUAGES = {"sh", "yaml", "output", "html", "text", "transcript"}


@dataclass
class Example:
    language: str
    code: str
    line: int

    def __str__(self) -> str:
        return f"README.md line {self.line} ({self.language})"


def examples() -> List[Example]:
    text = README.read_text()
    return [Example(match.group(1), match.group(2), text.count("\n", 0, match.start()) + 1)
            for match in FENCE.finditer(text)]


def of_language(language: str) -> List[Example]:
    return [example for example in examples() if example.language == language]


def commands(example: Example) -> List[str]:
    """The block's commands, without the comments a reader does not type."""
    lines = []
    for line in example.code.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            lines.append(shlex.join(words))
    return lines


def test_every_block_has_a_language_this_test_checks():
    found = examples()
    assert found, "README.md has no examples?"
    unknown = [str(example) for example in found if example.language not in LANGUAGES]
    assert not unknown, f"fenced blocks without a checked language: {unknown}"


# ------------------------------------------------------------------ catalog (yaml, output)


def test_the_catalog_example_is_valid_yaml_and_a_valid_product(tmp_path):
    """Pasted under `products:` of catalog.yml, as "Adding a product" says, it loads."""
    [snippet] = of_language("yaml")
    entry = yaml.safe_load(snippet.code)  # a parse error here is what a shop owner would hit
    assert isinstance(entry, list) and len(entry) == 1, "the example is one product (a list item)"
    catalog_text = DEMO_CATALOG.read_text()
    assert "\nproducts:\n" in catalog_text
    catalog = tmp_path / "catalog.yml"
    catalog.write_text(catalog_text.rstrip("\n") + "\n" + snippet.code)  # appended to the last section
    result = run_bespoke(["check-catalog", str(catalog)], tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout

    from bot.core.catalog import load_catalog

    product = load_catalog(catalog).product(entry[0]["id"])
    assert [option.id for option in product.options] == [option["id"] for option in entry[0]["options"]]
    assert [rule.id for rule in product.rules] == [rule["id"] for rule in entry[0].get("rules", [])]


def test_the_malformed_catalog_message_is_what_check_catalog_prints(tmp_path):
    """The README's example error comes from the demo catalog with the typo it shows."""
    [message] = of_language("output")
    expected = message.code.strip()
    typo = re.search(r"'(\w+)\.(\w+) == \"(\w+)\"' uses", expected)
    assert typo, "the example names an attribute typo"
    option, attribute, value = typo.groups()
    catalog_text = DEMO_CATALOG.read_text()
    right = attribute[:-1]  # the example doubles the last letter: sockett
    original = f'{option}.{right} == "{value}"'
    assert original in catalog_text, f"{original} is not in catalog.yml any more"
    (tmp_path / "catalog.yml").write_text(catalog_text.replace(original, f'{option}.{attribute} == "{value}"', 1))
    result = run_bespoke(["check-catalog", "catalog.yml"], tmp_path, cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip() == expected


# ------------------------------------------------------------------------- widget (html)


def test_the_script_tag_uses_only_attributes_the_widget_reads():
    [tag] = of_language("html")
    attributes = re.findall(r"\b(data-[a-z-]+)=", tag.code)
    assert attributes, "the example sets the widget's attributes"
    widget = next(ROOT.glob("bot/channels/web/static/widget.js")).read_text()
    for attribute in attributes:
        dataset_name = re.sub(r"-([a-z])", lambda m: m.group(1).upper(), attribute[len("data-"):])
        assert attribute in widget or f"dataset.{dataset_name}" in widget, f"widget.js never reads {attribute}"
    readme = README.read_text()
    for attribute in attributes:
        assert f"`{attribute}`" in readme, f"{attribute} is missing from the README's attribute table"


# --------------------------------------------------------------------- architecture (text)


def test_every_folder_and_file_the_architecture_names_exists():
    [diagram] = [example for example in of_language("text") if "bot/" in example.code]
    named = set(re.findall(r"(?<![\w/.])((?:bot|actions|data|tests|alembic|bench)(?:/[\w.]+)*/?)", diagram.code))
    assert len(named) > 5, named
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert not missing, f"the README's architecture names what is not in the tree: {missing}"


# --------------------------------------------------------------------------- commands (sh)


def run_bespoke(args: List[str], data_dir: Path, cwd: Path = ROOT, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "BESPOKE_DATA_DIR": str(data_dir), "RASA_TELEMETRY_ENABLED": "false"}
    for key in ("DATABASE_URL", "TRACKER_DATABASE_URL"):
        env.pop(key, None)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def answer_prompts(args: List[str], data_dir: Path, answers: List[str]) -> str:
    """Run a command on a terminal (as a person at a shell would) and type `answers` at its prompts."""
    env = {**os.environ, "BESPOKE_DATA_DIR": str(data_dir)}
    for key in ("DATABASE_URL", "TRACKER_DATABASE_URL"):
        env.pop(key, None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command on the terminal
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "bot.cli", *args], env)
    seen = b""
    pending = list(answers)
    answered_at = 0  # where the output stood when the last answer was typed
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the command ended and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
            # Only a new prompt gets the next answer: getpass discards what was typed ahead.
            if pending and seen[answered_at:].rstrip().endswith(b":"):
                os.write(fd, pending.pop(0).encode() + b"\n")
                answered_at = len(seen)
    finally:
        reaped, status = os.waitpid(pid, os.WNOHANG)
        if reaped == 0:  # still waiting for input after the deadline: stop it
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, seen.decode(errors="replace")
    assert not pending, f"prompts never came: {seen!r}"
    return seen.decode(errors="replace")


class ScriptsRun:
    """`scripts/run` as a reader starts it (on free ports, with its own data folder), until Ctrl-C."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.servers = BotServers(data_dir)  # only for its free ports and environment
        self.log_path = data_dir / "scripts-run.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "ScriptsRun":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([str(ROOT / "scripts" / "run")], cwd=ROOT, env=self.servers.env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self.process is not None
        stop_process_group(self.process)

    def wait_until_serving(self) -> None:
        assert self.process is not None
        servers = self.servers
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"scripts/run exited with {self.process.returncode}:\n{self.log()}"
            try:
                web = requests.get(f"{servers.web_url}/health", timeout=2)
                status = requests.get(f"{servers.url}/status", params={"token": servers.token}, timeout=2)
                actions = requests.get(f"http://127.0.0.1:{servers.actions_port}/health", timeout=2)
                if web.ok and status.ok and status.json().get("model_file") and actions.ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)  # polling interval while the servers load, not a wait for a result
        pytest.fail(f"scripts/run did not serve within 180 s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_ready(self) -> str:
        """The log once it says "ready": the supervisor prints it (with the URLs) at its next
        health poll after every process answers, a moment after the servers do."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            printed = self.log()
            if re.search(r"^\S+ bespoke\s*\| ready$", printed, re.MULTILINE):  # "05:04:52 bespoke | ready"
                return printed
            time.sleep(0.2)  # polling the log file, not a wait for a result
        pytest.fail(f"scripts/run never said ready:\n{self.log()[-3000:]}")

    def ctrl_c(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(timeout=60)


class Shell:
    """The commands of the README's `sh` blocks, each run for real against the bot that
    `scripts/run` started, as a reader would type them into a second terminal."""

    def __init__(self, bot: ScriptsRun):
        self.bot = bot
        self.servers = bot.servers
        self.data_dir = bot.data_dir
        self.tokens: List[str] = []

    def run(self, command: str) -> None:
        for pattern, handler in self.handlers().items():
            match = re.fullmatch(pattern, command)
            if match:
                handler(*match.groups())
                return
        pytest.fail(f"no test runs the README command {command!r}: add one to tests/docs/test_readme.py")

    def handlers(self) -> Dict[str, Callable[..., None]]:
        return {
            r"scripts/run": self.scripts_run,
            r"scripts/test": self.scripts_test,
            r"scripts/run-production": self.scripts_run_production,
            # (shlex.join's quoting of the README's line: its "..." lets the shell run $(cat ...))
            r"curl -s 'localhost:(\d+)(/webhooks/rest/webhook)\?token=\$\(cat var/run/rasa-token\)' -d (.+)": self.curl_rest,
            r"uv run bespoke staff add (\w+)": self.staff_add,
            r"uv run bespoke staff token (\w+)": self.staff_token,
            r"uv run bespoke staff tokens": self.staff_tokens,
            r"uv run bespoke staff disable (\w+)": self.staff_disable,
        }

    def scripts_run(self) -> None:
        """Serving the chat, REST and the staff console, and saying where."""
        self.bot.wait_until_serving()
        servers = self.servers
        shop = requests.get(f"{servers.web_url}/", timeout=10)
        assert shop.ok and "widget.js" in shop.text
        staff = requests.get(f"{servers.web_url}/staff/", timeout=10, allow_redirects=False)
        assert staff.status_code in (302, 303) and "/staff/sign-in" in staff.headers["Location"]
        printed = self.bot.wait_for_ready()
        assert f"http://127.0.0.1:{servers.web_port}/" in printed, "it says where to chat"
        assert f"http://127.0.0.1:{servers.web_port}/staff/" in printed, "it says where the staff console is"

    def scripts_test(self) -> None:
        # It is what runs this test; CI runs it through .ci/run, which must call exactly it.
        assert os.access(ROOT / "scripts" / "test", os.X_OK)
        assert "exec scripts/test" in (ROOT / ".ci" / "run").read_text()

    def scripts_run_production(self) -> None:
        # Two of each server over a PostgreSQL cluster and a redis-server of its own: the
        # profile's tests start it with exactly this command and order through it.
        assert os.access(ROOT / "scripts" / "run-production", os.X_OK)
        profile_fixture = (ROOT / "tests" / "scale" / "conftest.py").read_text()  # shared by the scale tests
        assert '[str(ROOT / "scripts" / "run-production"), "--no-train"]' in profile_fixture

    def curl_rest(self, port: str, path: str, body: str) -> None:
        assert port == "5005", "the README shows Rasa's default port"
        # Double quotes in the README, so the reader's shell runs the $(cat ...) (shlex.join
        # gave the line above in single quotes).
        assert f'"localhost:{port}{path}?token=$(cat var/run/rasa-token)"' in (ROOT / "README.md").read_text()
        # As the reader runs it, with the token file of this run's data folder (the README's var/).
        token_file = self.data_dir / "run" / "rasa-token"
        assert token_file.stat().st_mode & 0o077 == 0, "only this user reads the token"
        url = f"localhost:{self.servers.rasa_port}{path}"
        command = f'curl -s "{url}?token=$(cat {shlex.quote(str(token_file))})" -d {body}'
        result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60, check=True)
        replies = json.loads(result.stdout)
        assert replies and replies[0]["text"].startswith("Hello"), result.stdout
        refused = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url, "-d", shlex.split(body)[0]],
                                 capture_output=True, text=True, timeout=60, check=True)
        assert refused.stdout == "401", "without the token Rasa's REST channel refuses the call"

    def staff_add(self, name: str) -> None:
        output = answer_prompts(["staff", "add", name], self.data_dir, ["a long password 1", "a long password 1"])
        assert f"staff account '{name}' created" in output

    def staff_token(self, name: str) -> None:
        result = run_bespoke(["staff", "token", name], self.data_dir)
        assert result.returncode == 0, result.stderr
        token = result.stdout.split()[0]
        self.tokens.append(token)
        orders = self.api_orders(token)
        assert orders.status_code == 200, orders.text

    def staff_tokens(self) -> None:
        result = run_bespoke(["staff", "tokens"], self.data_dir)
        assert result.returncode == 0 and "maria" in result.stdout, result.stdout + result.stderr
        assert all(token not in result.stdout for token in self.tokens), "a token is shown only once"

    def staff_disable(self, name: str) -> None:
        result = run_bespoke(["staff", "disable", name], self.data_dir)
        assert result.returncode == 0, result.stderr
        assert self.tokens, "the README makes a token before it disables the account"
        for token in self.tokens:
            assert self.api_orders(token).status_code == 401, "a disabled account's token stops working"

    def api_orders(self, token: str) -> requests.Response:
        return requests.get(f"{self.servers.web_url}/api/orders", headers={"Authorization": f"Bearer {token}"},
                            timeout=30)


def test_every_shell_example_runs(trained_model, tmp_path):
    """The README's commands in order, against one `scripts/run`, which Ctrl-C then stops."""
    ran = []
    with ScriptsRun(tmp_path / "data") as bot:
        shell = Shell(bot)
        for example in of_language("sh"):
            for command in commands(example):
                shell.run(command)
                ran.append(command)
        bot.ctrl_c()
    assert ran[:2] == ["scripts/run", "scripts/test"], "the two commands come first"


def transcript_turns(code: str) -> List[tuple]:
    """("customer's message", [each bot message]) per turn: a line "customer: ..." starts a
    turn, "bot: ..." a message, any other line continues the message before it."""
    turns: List[tuple] = []
    for line in code.splitlines():
        if line.startswith("customer: "):
            turns.append((line[len("customer: "):], []))
        elif line.startswith("bot: "):
            turns[-1][1].append(line[len("bot: "):])
        elif turns and turns[-1][1]:
            turns[-1][1][-1] += "\n" + line
    return [(said, [message.rstrip("\n") for message in replies]) for said, replies in turns]


def test_the_conversation_shown_is_what_the_bot_says(bot):
    [example] = of_language("transcript")
    who = f"readme-{os.getpid()}-{time.monotonic_ns()}"
    turns = transcript_turns(example.code)
    assert len(turns) >= 8
    for said, shown in turns:
        answered = [reply.get("text", "") for reply in bot.say(who, said)]
        assert answered == shown, f"{example}: to {said!r} the bot now says:\n" + "\n".join(answered)
