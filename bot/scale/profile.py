"""The production profile: `bespoke run --profile production` (scripts/run-production).

The same processes as `bespoke run`, several of each, over shared services instead of one
machine's files: PostgreSQL for the orders and Rasa's tracker store, Redis for Rasa's lock
store and the web servers' shared state, and nginx in front (bot/scale/nginx.py):

    customers ──> nginx :web_port ──> web servers (K) ──┐
                                                        v
    REST on this machine ──> nginx :rasa_port ──> Rasa servers (N) ──> nginx :actions_port ──> action servers (M)
                                                        │
                        PostgreSQL (orders, trackers) <─┴─> Redis (lock store, shared state)

The Rasa servers reach the action servers through nginx rather than each its own: any Rasa
uses any action server, so M is chosen for the actions' load, not tied to N, and an action
server killed mid-run costs no Rasa its turns (nginx skips it until it is back).

Every process runs under bot/runner's Supervisor (restarted when it dies); "ready" is said
once each one passes its health check and nginx answers the web servers' /health.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml
from sqlalchemy.engine import make_url

from bot.runner import (
    ROOT,
    HealthCheck,
    Supervisor,
    procfile_processes,
    process_env,
    secure_data,
    tracker_store_config,
)
from bot.scale.lock_store import lock_store_endpoint
from bot.scale.nginx import Listener, NginxPaths, listen_address, nginx_config, telegram_webhook_location
from bot.settings import ACTIONS_SECRET_ENV, ACTIONS_SECRET_HEADER, Settings, SettingsError

PROFILES = ("default", "production")
# The variables Rasa's endpoints read their credentials from (`${VAR}` in the file, the value
# only in the Rasa processes' environment).
TRACKER_PASSWORD_ENV = "BESPOKE_TRACKER_DB_PASSWORD"
LOCK_KEY_PREFIX = "bespoke"
SAFE_PATH = re.compile(r"^[A-Za-z0-9/_.~-]*$")  # a webhook path nginx's config can hold as it is


def check_production(settings: Settings) -> None:
    """SettingsError for what the profile cannot run with, before anything starts."""
    for name, url in (("DATABASE_URL", settings.database_url), ("TRACKER_DATABASE_URL", settings.tracker_database_url)):
        if not make_url(url).drivername.startswith("postgresql"):
            raise SettingsError(f"the production profile keeps its data in PostgreSQL: {name} must be a "
                                f"postgresql:// URL, not {make_url(url).render_as_string(hide_password=True)}")
    if not settings.redis_url.startswith(("redis://", "rediss://")):
        raise SettingsError("the production profile needs Redis: set REDIS_URL (like redis://127.0.0.1:6379/0)")
    for name, count in (("BESPOKE_RASA_SERVERS", settings.rasa_servers),
                        ("BESPOKE_ACTION_SERVERS", settings.action_servers),
                        ("BESPOKE_WEB_SERVERS", settings.web_servers)):
        if not 1 <= count <= 64:
            raise SettingsError(f"{name} must be 1 to 64, not {count}")
    ports = [settings.rasa_port, settings.actions_port, settings.web_port, *backend_ports(settings)]
    if settings.telegram_webhook_url:
        ports.append(settings.telegram_webhook_port)
    if not all(0 < port < 65536 for port in ports):
        raise SettingsError(f"the production profile's ports must be 1 to 65535: {sorted(ports)}")
    if len(set(ports)) != len(ports):
        taken = sorted({port for port in ports if ports.count(port) > 1})
        raise SettingsError(f"the production profile's ports overlap at {taken}: nginx takes BESPOKE_RASA_PORT, "
                            "BESPOKE_ACTIONS_PORT and BESPOKE_WEB_PORT; the servers take N from each "
                            "BESPOKE_*_BASE_PORT")
    if not SAFE_PATH.match(settings.telegram_webhook_path):
        raise SettingsError("TELEGRAM_WEBHOOK_URL's path may only have letters, digits and / _ . ~ -")


def backends(settings: Settings) -> Dict[str, List[int]]:
    """The ports of each kind's servers: base, base + 1, ..."""
    return {
        "rasa": [settings.rasa_base_port + i for i in range(settings.rasa_servers)],
        "actions": [settings.actions_base_port + i for i in range(settings.action_servers)],
        "web": [settings.web_base_port + i for i in range(settings.web_servers)],
    }


def backend_ports(settings: Settings) -> List[int]:
    return [port for ports in backends(settings).values() for port in ports]


def find_nginx() -> str:
    """Debian's nginx (in /usr/sbin, which a user's PATH may lack); SettingsError without it."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin:/sbin")
    if not found:
        raise SettingsError("the production profile needs nginx: `apt-get install nginx` "
                            "(scripts/run-production installs it when run as root)")
    return found


def ensure_database(url: str) -> None:
    """Creates the PostgreSQL database of `url` when it is missing (as Rasa does for its
    tracker store), so a fresh machine starts with one command. SettingsError when
    PostgreSQL cannot be reached."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": parsed.database}).first()
            if not exists:
                quoted = admin.dialect.identifier_preparer.quote(parsed.database)
                connection.execute(text(f"CREATE DATABASE {quoted}"))
                print(f"bespoke: created the PostgreSQL database {parsed.database!r}", flush=True)
    except OperationalError as error:
        raise SettingsError(f"PostgreSQL is not reachable at {parsed.render_as_string(hide_password=True)}: "
                            f"{str(error.orig).strip()}") from None
    finally:
        admin.dispose()


def lock_store_section() -> Dict[str, object]:
    """Rasa's lock store that locks across the Rasa servers (bot/scale/lock_store.py), on the
    Redis of REDIS_URL, which Rasa reads from its environment (the URL may hold a password)."""
    return lock_store_endpoint("${REDIS_URL}", LOCK_KEY_PREFIX)


def tracker_store_section(settings: Settings) -> Tuple[Dict[str, object], Dict[str, str]]:
    """Rasa's SQL tracker store on PostgreSQL; its password as `${VAR}`, never in the file."""
    section = tracker_store_config(settings.tracker_database_url)
    env: Dict[str, str] = {}
    if "password" in section:
        env[TRACKER_PASSWORD_ENV] = str(section["password"])
        section["password"] = "${%s}" % TRACKER_PASSWORD_ENV
    return section, env


def write_production_endpoints(settings: Settings) -> Tuple[Path, Dict[str, str]]:
    """One endpoints file for every Rasa server: the action servers behind nginx, the
    tracker store and the lock store; and the environment its `${VAR}`s read."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text()) or {}
    endpoints["action_endpoint"] = {
        "url": f"http://127.0.0.1:{settings.actions_port}/webhook",
        "headers": {ACTIONS_SECRET_HEADER: "${%s}" % ACTIONS_SECRET_ENV},
    }
    endpoints["tracker_store"], tracker_env = tracker_store_section(settings)
    endpoints["lock_store"] = lock_store_section()
    path = settings.data_file("run") / "endpoints-production.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    path.chmod(0o600)
    return path, tracker_env


def nginx_paths(settings: Settings) -> NginxPaths:
    return NginxPaths(settings.data_file("nginx"))


def write_nginx_config(settings: Settings) -> NginxPaths:
    paths = nginx_paths(settings)
    paths.make()
    ports = backends(settings)
    webhook = (telegram_webhook_location(settings.telegram_webhook_path, settings.telegram_webhook_port)
               if settings.telegram_webhook_url and settings.telegram_token else "")
    listeners = [
        Listener("web", listen_address(settings.host, settings.web_port), ports["web"], webhook),
        Listener("rasa", listen_address("127.0.0.1", settings.rasa_port), ports["rasa"]),
        Listener("actions", listen_address("127.0.0.1", settings.actions_port), ports["actions"]),
    ]
    paths.conf.write_text(nginx_config(paths, listeners, run_as_root=os.geteuid() == 0))
    paths.conf.chmod(0o600)
    return paths


def nginx_command(nginx: str, paths: NginxPaths) -> str:
    # -e: the error log before the config is read (the default /var/log/nginx is not ours).
    return f"{nginx} -e stderr -p {paths.prefix} -c {paths.conf}"


def check_nginx_config(nginx: str, paths: NginxPaths) -> None:
    """`nginx -t` on the generated config; SettingsError with nginx's words when it fails."""
    import subprocess

    result = subprocess.run([*nginx_command(nginx, paths).split(), "-t", "-q"], capture_output=True, text=True)
    if result.returncode != 0:
        raise SettingsError(f"nginx refuses the generated {paths.conf}: {result.stderr.strip()}")


def local_host(host: str) -> str:
    """Where this machine reaches a server listening on `host`."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def supervisor_for(settings: Settings, model: Path, ready_text: str = "",
                   nginx: Optional[str] = None) -> Supervisor:
    """The Supervisor with every process of the profile added (not started)."""
    nginx = nginx or find_nginx()
    endpoints, endpoint_env = write_production_endpoints(settings)
    paths = write_nginx_config(settings)
    check_nginx_config(nginx, paths)
    env = process_env(settings, model, endpoints=endpoints)
    env["REDIS_URL"] = settings.redis_url
    token = env["BESPOKE_RASA_TOKEN"]
    commands = procfile_processes()
    ports = backends(settings)
    supervisor = Supervisor(ready_text=ready_text)
    for i, port in enumerate(ports["rasa"], 1):
        supervisor.add_process(
            f"rasa-{i}", commands["rasa"], env={**env, **endpoint_env, "BESPOKE_RASA_PORT": str(port)}, cwd=str(ROOT),
            health=HealthCheck(f"http://127.0.0.1:{port}/status", params={"token": token},
                               accept=lambda body: isinstance(body, dict) and bool(body.get("model_file"))))
    for i, port in enumerate(ports["actions"], 1):
        supervisor.add_process(f"actions-{i}", commands["actions"], env={**env, "BESPOKE_ACTIONS_PORT": str(port)},
                               cwd=str(ROOT), health=HealthCheck(f"http://127.0.0.1:{port}/health"))
    for i, port in enumerate(ports["web"], 1):
        # Each web server listens on its own port on 127.0.0.1 and reaches Rasa through nginx.
        supervisor.add_process(f"web-{i}", commands["web"],
                               env={**env, "BESPOKE_HOST": "127.0.0.1", "BESPOKE_WEB_PORT": str(port)},
                               cwd=str(ROOT), health=HealthCheck(f"http://127.0.0.1:{port}/health"))
    if settings.telegram_token:
        supervisor.add_process("telegram", commands["telegram"], env=env, cwd=str(ROOT))
    else:
        print("bespoke: Telegram is off; set TELEGRAM_BOT_TOKEN (from @BotFather) to connect a bot", flush=True)
    supervisor.add_process("nginx", nginx_command(nginx, paths), env=env, cwd=str(ROOT),
                           health=HealthCheck(f"http://{local_host(settings.host)}:{settings.web_port}/health"))
    return supervisor


def prepare_production(settings: Settings) -> str:
    """What runs once before any server starts: the checks, the data folder, the databases.
    Returns the nginx binary."""
    check_production(settings)
    nginx = find_nginx()
    secure_data(settings)
    for url in {settings.database_url, settings.tracker_database_url}:
        ensure_database(url)
    return nginx


def serve_production(settings: Settings, model: Path, nginx: str, ready_text: str = "") -> int:
    """Run the profile until Ctrl-C; 0, or the exit code that stopped it."""
    supervisor = supervisor_for(settings, model, ready_text=ready_text, nginx=nginx)
    supervisor.loop()
    return supervisor.returncode
