"""Training and starting the bot's processes: one place, used by the CLI, tests and bench."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import yaml
from sqlalchemy.engine import make_url

from bot.settings import REPO_ROOT, Settings

ROOT = REPO_ROOT
# What the trained model depends on; the catalog is not in it (products need no retraining).
MODEL_INPUTS = ("config.yml", "domain.yml", "data")


def model_fingerprint() -> str:
    """A hash of every file the model is trained from."""
    digest = hashlib.sha256()
    for name in MODEL_INPUTS:
        path = ROOT / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
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


def rasa_env(env) -> Dict[str, str]:
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
    endpoints["action_endpoint"] = {"url": f"http://127.0.0.1:{settings.actions_port}/webhook"}
    endpoints["tracker_store"] = tracker_store_config(settings.tracker_database_url)
    run_dir = settings.data_file("run")
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / f"endpoints-{settings.rasa_port}.yml"
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    path.chmod(0o600)  # may hold a database password
    return path


def process_env(settings: Settings, model: Path) -> Dict[str, str]:
    """The environment of every process of one run: the settings as its variables, so each
    process's Settings.from_env() reads the same (one Rasa token, random when unset)."""
    env = rasa_env(os.environ)
    env.update(
        BESPOKE_HOST=settings.host,
        BESPOKE_RASA_PORT=str(settings.rasa_port),
        BESPOKE_ACTIONS_PORT=str(settings.actions_port),
        BESPOKE_WEB_PORT=str(settings.web_port),
        BESPOKE_ENDPOINTS=str(write_endpoints(settings)),
        BESPOKE_MODEL=str(model),
        BESPOKE_RASA_TOKEN=settings.rasa_token or secrets.token_urlsafe(24),
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


def procfile_processes() -> Dict[str, str]:
    from honcho.environ import parse_procfile

    return dict(parse_procfile((ROOT / "Procfile").read_text()).processes)


def serve(settings: Settings, model: Path, only: Optional[List[str]] = None) -> int:
    """Run the Procfile's processes until Ctrl-C (or one of them stops); their exit code."""
    from honcho.manager import Manager

    env = process_env(settings, model)
    manager = Manager()
    for name, command in procfile_processes().items():
        if name == "telegram" and not settings.telegram_token:
            if only is None or name in only:
                print("bespoke: Telegram is off; set TELEGRAM_BOT_TOKEN (from @BotFather) to connect a bot", flush=True)
            continue
        if only is None or name in only:
            manager.add_process(name, command, env=env, cwd=str(ROOT))
    manager.loop()
    return manager.returncode or 0
