"""Training and starting the bot's processes: one place, used by the CLI, tests and bench."""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Mapping, Optional, TextIO, Tuple, Type, Union

if TYPE_CHECKING:
    import aiohttp

import yaml
from sqlalchemy.engine import make_url

from bot.settings import ACTIONS_SECRET_ENV, ACTIONS_SECRET_HEADER, REPO_ROOT, Settings

ROOT = REPO_ROOT
# What the trained model depends on; the catalog is not in it (products need no retraining).
# Beside these: the project's own modules config.yml names (a custom classifier) and the lock
# file (the versions of everything that trains and runs it); see model_inputs. The sentence
# embedding's code too: the classifier's weights are trained on the vectors it computes.
MODEL_INPUTS = ("config.yml", "domain.yml", "data", "uv.lock", "bot/sentence_embedding.py")


def config_modules(config: Path) -> List[Path]:
    """The files of this project's own components that config.yml names ("bot.nlu.X" ->
    bot/nlu.py, or bot/nlu/__init__.py and its folder); Rasa's built-ins are not files here."""
    found: List[Path] = []
    parsed = yaml.safe_load(config.read_text()) or {}
    for part in [*(parsed.get("pipeline") or []), *(parsed.get("policies") or [])]:
        name = part.get("name", "") if isinstance(part, dict) else ""
        module = name.rpartition(".")[0]
        if not module:
            continue
        base = ROOT.joinpath(*module.split("."))
        for candidate in (base.with_suffix(".py"), base):
            if candidate.exists() and candidate not in found:
                found.append(candidate)
    return found


def model_inputs() -> List[Path]:
    return [ROOT / name for name in MODEL_INPUTS] + config_modules(ROOT / "config.yml")


def model_fingerprint() -> str:
    """A hash of every file the model is trained from, and of the Rasa version."""
    digest = hashlib.sha256()
    for path in model_inputs():
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(ROOT)).encode())
                digest.update(file.read_bytes())
    digest.update(rasa_version().encode())
    return digest.hexdigest()[:16]


def rasa_version() -> str:
    from importlib.metadata import version

    return version("rasa")


def model_path(models_dir: Path) -> Path:
    return models_dir / f"bespoke-{model_fingerprint()}.tar.gz"


def ensure_model(models_dir: Path = ROOT / "models", force: bool = False) -> Path:
    """Train only when data, domain or config changed since the last training."""
    path = model_path(models_dir)
    if path.exists() and not force:
        return path
    models_dir.mkdir(parents=True, exist_ok=True)
    print(f"bespoke: training the model (data, domain or config changed) -> {path}", flush=True)
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--out", str(models_dir),
         "--fixed-model-name", path.name.removesuffix(".tar.gz")],
        cwd=ROOT, env=rasa_env(os.environ), check=True,
    )
    return path


def rasa_env(env: Mapping[str, str]) -> Dict[str, str]:
    """Rasa never reports telemetry: a shop's customer data stays on its machine."""
    env = dict(env)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def tracker_store_config(url: str) -> Dict[str, object]:
    """Rasa's SQL tracker store settings from a SQLAlchemy URL."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return {"type": "SQL", "dialect": "sqlite", "db": parsed.database}
    config: Dict[str, object] = {
        "type": "SQL",
        "dialect": parsed.drivername,
        "url": parsed.host or "localhost",
        "db": parsed.database,
    }
    if parsed.port:
        config["port"] = parsed.port
    if parsed.username:
        config["username"] = parsed.username
    if parsed.password:
        config["password"] = parsed.password
    return config


def write_endpoints(settings: Settings) -> Path:
    """endpoints.yml with this run's action server and tracker store."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text()) or {}
    endpoints["action_endpoint"] = {
        "url": f"http://127.0.0.1:{settings.actions_port}/webhook",
        # Rasa reads the value from its environment (never written here): see bot/action_server.py.
        "headers": {ACTIONS_SECRET_HEADER: "${%s}" % ACTIONS_SECRET_ENV},
    }
    endpoints["tracker_store"] = tracker_store_config(settings.tracker_database_url)
    run_dir = settings.data_file("run")
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / f"endpoints-{settings.rasa_port}.yml"
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    path.chmod(0o600)  # may hold a database password
    return path


def rasa_token_file(settings: Settings) -> Path:
    """This run's Rasa token, for local tools and the README's curl (0600: this user only);
    Rasa's REST channel and API answer only calls that carry it."""
    return settings.data_file("run") / "rasa-token"


def write_private_file(path: Path, text: str) -> None:
    """`text` in a file only this user can read, never readable by others even for a moment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    path.chmod(0o600)  # a file made earlier with other rights


def process_env(settings: Settings, model: Path, endpoints: Optional[Path] = None) -> Dict[str, str]:
    """The environment of every process of one run: the settings as its variables, so each
    process's Settings.from_env() reads the same (one Rasa token, random when unset).
    `endpoints`: Rasa's endpoints file, when not write_endpoints' (the production profile)."""
    env = rasa_env(os.environ)
    rasa_token = settings.rasa_token or secrets.token_urlsafe(24)
    write_private_file(rasa_token_file(settings), rasa_token + "\n")
    env.update(
        BESPOKE_HOST=settings.host,
        BESPOKE_RASA_PORT=str(settings.rasa_port),
        BESPOKE_ACTIONS_PORT=str(settings.actions_port),
        BESPOKE_WEB_PORT=str(settings.web_port),
        BESPOKE_ENDPOINTS=str(endpoints or write_endpoints(settings)),
        BESPOKE_MODEL=str(model),
        BESPOKE_RASA_TOKEN=rasa_token,
        BESPOKE_ACTIONS_SECRET=env.get(ACTIONS_SECRET_ENV) or secrets.token_urlsafe(32),
        BESPOKE_CORS_ORIGINS=" ".join(settings.cors_origins),
        DATABASE_URL=settings.database_url,
        TRACKER_DATABASE_URL=settings.tracker_database_url,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
        # Rasa's dependencies warn about their own deprecated imports at every start; the
        # log should show what the bot does.
        PYTHONWARNINGS=env.get("PYTHONWARNINGS", "ignore::DeprecationWarning,ignore::PendingDeprecationWarning"),
    )
    return env


def quiet_third_party_warnings() -> None:
    """Called first in the servers' main(): the deprecation warnings Rasa's and rasa-sdk's
    dependencies raise about their own code at every start (about 20: pkg_resources,
    distutils versions, pyparsing, SQLAlchemy's URL()) are not shown; the project's own
    (bot, actions) still are. PYTHONWARNINGS alone is not enough: Sanic, imported first
    here, adds a filter of its own showing every DeprecationWarning once."""
    import warnings

    import sanic  # noqa: F401 - its filter first, so the ones below come before it

    deprecations = (DeprecationWarning, PendingDeprecationWarning)
    for category in deprecations:
        warnings.filterwarnings("ignore", category=category)
        warnings.filterwarnings("default", category=category, module=r"(bot|actions)(\.|$)")
    # Some of Rasa's dependencies show warnings inside their own catch_warnings with their own
    # filters (matplotlib's pyparsing ones): those are dropped where they are shown.
    show = warnings.showwarning
    own = (str(ROOT / "bot"), str(ROOT / "actions"))

    def showwarning(message: Union[Warning, str], category: Type[Warning], filename: str, lineno: int,
                    file: Optional[TextIO] = None, line: Optional[str] = None) -> None:
        if issubclass(category, deprecations) and not str(filename).startswith(own):
            return
        show(message, category, filename, lineno, file, line)

    warnings.showwarning = showwarning


def procfile_processes() -> Dict[str, str]:
    from honcho.environ import parse_procfile

    return dict(parse_procfile((ROOT / "Procfile").read_text()).processes)


def secure_data(settings: Settings) -> None:
    """The data folder 0700 and its files 0600 (orders, Rasa's conversations, the staff
    signing key, the generated endpoints), and a umask of 077 for everything this process
    and the processes it starts create from now on: no other local user reads them."""
    os.umask(0o077)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)
    files = [file for file in settings.data_dir.rglob("*") if file.is_file()]
    for url in (settings.database_url, settings.tracker_database_url):
        parsed = make_url(url)
        if parsed.drivername.startswith("sqlite") and parsed.database:
            files += [Path(parsed.database + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
    for file in files:
        if file.is_file():
            file.chmod(0o600)
    for folder in settings.data_dir.rglob("*"):
        if folder.is_dir():
            folder.chmod(0o700)


def health_checks(settings: Settings, env: Dict[str, str]) -> Dict[str, "HealthCheck"]:
    """How the runner knows each process serves: Rasa with its model loaded, the action
    server's and the web server's /health. The Telegram bridge has no port: running is ready."""
    token = env["BESPOKE_RASA_TOKEN"]
    return {
        "rasa": HealthCheck(f"http://127.0.0.1:{settings.rasa_port}/status", params={"token": token},
                            accept=lambda body: isinstance(body, dict) and bool(body.get("model_file"))),
        "actions": HealthCheck(f"http://127.0.0.1:{settings.actions_port}/health"),
        "web": HealthCheck(f"http://127.0.0.1:{settings.web_port}/health"),
    }


def serve(settings: Settings, model: Path, only: Optional[List[str]] = None, ready_text: str = "") -> int:
    """Run the Procfile's processes under a Supervisor until Ctrl-C; 0, or the exit code
    that stopped the run (a configuration error, or a process that kept crashing)."""
    secure_data(settings)
    env = process_env(settings, model)
    checks = health_checks(settings, env)
    supervisor = Supervisor(ready_text=ready_text)
    for name, command in procfile_processes().items():
        if name == "telegram" and not settings.telegram_token:
            if only is None or name in only:
                print("bespoke: Telegram is off; set TELEGRAM_BOT_TOKEN (from @BotFather) to connect a bot", flush=True)
            continue
        if only is None or name in only:
            supervisor.add_process(name, command, env=env, cwd=str(ROOT), health=checks.get(name))
    supervisor.loop()
    return supervisor.returncode


# ---------------------------------------------------------------------------------------
# The supervisor. circus or supervisord would add a daemon, a control socket and their own
# config format (and circus zeromq) for what is here a few lines of asyncio: start each
# process, prefix its output, restart it when it dies, say when all serve. Production runs
# each process under systemd or a container restart policy instead (README, "Running it").

CONFIG_ERROR = 2  # a process's exit code for a configuration it cannot start with: restarting won't help


@dataclass
class HealthCheck:
    url: str
    params: Dict[str, str] = field(default_factory=dict)
    accept: Callable[[object], bool] = lambda body: True

    async def ok(self, session: "aiohttp.ClientSession") -> bool:
        import aiohttp

        try:
            async with session.get(self.url, params=self.params) as response:
                if response.status != 200:
                    return False
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            return False
        return self.accept(body)


@dataclass
class Child:
    name: str
    command: str
    env: Dict[str, str]
    cwd: str
    health: Optional[HealthCheck] = None
    process: Optional[asyncio.subprocess.Process] = None
    started_at: float = 0.0
    fast_crashes: int = 0
    serving: bool = False
    restarts: int = 0


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the runner dies, even by kill -9 (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Supervisor:
    """Runs named shell commands; a process that exits is started again after 1, 2, 4 ...
    30 s while the others keep serving. A process that exits `give_up_after` times in a
    row within `stable_s` of its start, or with exit code 2 (its configuration is wrong),
    stops the run, saying so. Prints `ready` with `ready_text` once every process passes
    its health check, and says when a restarted one serves again."""

    def __init__(self, ready_text: str = "", backoff: Tuple[float, float] = (1.0, 30.0), give_up_after: int = 5,
                 stable_s: float = 60.0, poll_s: float = 0.5, stop_timeout_s: float = 20.0,
                 out: Optional[TextIO] = None) -> None:
        self.ready_text = ready_text
        self.backoff = backoff
        self.give_up_after = give_up_after
        self.stable_s = stable_s
        self.poll_s = poll_s
        self.stop_timeout_s = stop_timeout_s
        self.out = out
        self.children: Dict[str, Child] = {}
        self.returncode = 0
        self.ready = False
        self._stopping: Optional[asyncio.Event] = None

    def add_process(self, name: str, command: str, env: Dict[str, str], cwd: str,
                    health: Optional[HealthCheck] = None) -> None:
        self.children[name] = Child(name, command, env, cwd, health)

    def say(self, name: str, line: str) -> None:
        width = max(len(n) for n in [*self.children, "bespoke"])
        print(f"{time.strftime('%H:%M:%S')} {name:<{width}} | {line}", file=self.out or sys.stdout, flush=True)

    def loop(self) -> None:
        asyncio.run(self.run())

    def stop(self, returncode: int = 0) -> None:
        if self._stopping is not None and not self._stopping.is_set():
            self.returncode = self.returncode or returncode
            self._stopping.set()

    async def run(self) -> int:
        self._stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, self.stop)
            except (ValueError, RuntimeError):  # not the main thread (tests): stop() instead
                pass
        tasks = [asyncio.create_task(self._keep(child)) for child in self.children.values()]
        tasks.append(asyncio.create_task(self._watch_health()))
        await self._stopping.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._terminate_all()
        return self.returncode

    async def _start(self, child: Child) -> None:
        child.process = await asyncio.create_subprocess_shell(
            f"exec {child.command}", cwd=child.cwd, env=child.env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, preexec_fn=_die_with_parent,
        )
        child.started_at = time.monotonic()
        child.serving = False

    async def _keep(self, child: Child) -> None:
        """Start the child, relay its output, and start it again each time it exits."""
        while True:
            await self._start(child)
            assert child.process is not None and child.process.stdout is not None
            async for raw in child.process.stdout:
                self.say(child.name, raw.decode(errors="replace").rstrip())
            code = await child.process.wait()
            child.serving = False
            ran = time.monotonic() - child.started_at
            child.fast_crashes = child.fast_crashes + 1 if ran < self.stable_s else 1
            how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            if code == CONFIG_ERROR:
                self.say("bespoke", f"{child.name} {how} (its configuration): stopping everything")
                self.stop(CONFIG_ERROR)
                return
            if child.fast_crashes >= self.give_up_after:
                self.say("bespoke", f"{child.name} {how}: {child.fast_crashes} times in a row within {self.stable_s:g} s "
                                    "of starting, so it is not restarted; stopping everything")
                self.stop(1)
                return
            delay = min(self.backoff[1], self.backoff[0] * 2 ** (child.fast_crashes - 1))
            self.say("bespoke", f"{child.name} {how} after {ran:.0f} s; restarting it in {delay:g} s "
                                "(the others keep serving)")
            await asyncio.sleep(delay)  # the backoff itself
            child.restarts += 1

    async def _watch_health(self) -> None:
        import aiohttp

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while True:
                for child in self.children.values():
                    running = child.process is not None and child.process.returncode is None
                    if child.serving and running:
                        continue  # asked until it serves, not after (no health line in its log every second)
                    up = running and (child.health is None or await child.health.ok(session))
                    if up and not child.serving and self.ready:
                        self.say("bespoke", f"{child.name} serves again")
                    child.serving = bool(up)
                if not self.ready and all(child.serving for child in self.children.values()):
                    self.ready = True
                    self.say("bespoke", "ready" + (f"\n{self.ready_text}" if self.ready_text else ""))
                await asyncio.sleep(self.poll_s)  # the polling interval

    async def _terminate_all(self) -> None:
        running = [c.process for c in self.children.values() if c.process and c.process.returncode is None]
        for process in running:
            try:
                process.terminate()
            except ProcessLookupError:
                pass
        try:
            await asyncio.wait_for(asyncio.gather(*(p.wait() for p in running)), self.stop_timeout_s)
        except asyncio.TimeoutError:
            for process in running:
                if process.returncode is None:
                    process.kill()
            await asyncio.gather(*(p.wait() for p in running))
