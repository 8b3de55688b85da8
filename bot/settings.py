"""One `Settings` for every process, read from the environment when asked, never at import.

`Settings.from_env()` reads every variable the README's "Configuration" lists (and
.env.example shows); a malformed value raises `SettingsError` with a message for the shop,
and each process's start-up prints it and stops. Reading everything at once means
`bespoke run` refuses a malformed value before it starts any process.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
# (burst, then so many per second); None: no limit.
RateLimit = Optional[Tuple[float, float]]
WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token
TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
# The secret Rasa sends the action server (bot/action_server.py checks it), by this header,
# from this variable of both processes' environment.
ACTIONS_SECRET_ENV = "BESPOKE_ACTIONS_SECRET"
ACTIONS_SECRET_HEADER = "X-Bespoke-Actions-Secret"


class SettingsError(ValueError):
    """A malformed setting: the process does not start; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    """Where everything listens and keeps its data, and how the channels behave.

    Every field has the documented default, so a test can build `Settings(...)` with the
    few it needs (or `dataclasses.replace(Settings.from_env(), ...)`)."""

    # What the shop makes: the catalog file every process reads.
    catalog_path: Path = REPO_ROOT / "catalog.yml"
    # Data: the folder for SQLite files, generated endpoints and the staff signing key;
    # the order database; Rasa's tracker store.
    data_dir: Path = REPO_ROOT / "var"
    database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'bespoke.db'}"
    tracker_database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'tracker.db'}"
    models_dir: Path = REPO_ROOT / "models"
    # Processes: the web server listens on `host`; Rasa and the action server on 127.0.0.1
    # only (the web server's Rasa client and the Telegram bridge reach them there).
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    actions_port: int = 5055
    web_port: int = 8000
    rasa_token: str = ""  # "": `bespoke run` makes a random one per start
    actions_secret: str = ""  # what Rasa sends the action server; "": `bespoke run` makes one per start
    cors_origins: Tuple[str, ...] = ()
    # The web chat server.
    web_rasa_timeout_s: float = 30.0  # then the widget says the assistant is slow
    web_sender_limit: RateLimit = (20, 1.0)  # messages per conversation
    web_address_limit: RateLimit = (60, 3.0)  # messages per client address
    trusted_proxies: Tuple[IPNetwork, ...] = ()  # whose X-Forwarded-For is believed; (): loopback only
    # The staff console.
    secret_key: str = ""  # "": a random key kept in data_dir/secret_key
    secure_cookies: bool = False
    # Telegram: the bridge, the staff's messages to Telegram customers, the staff notice.
    telegram_token: str = ""  # "": Telegram is off
    telegram_api_base_url: str = TELEGRAM_API_BASE_URL  # another Bot API server (the tests' fake)
    telegram_rasa_timeout_s: float = 30.0  # then the customer hears the answer will come late
    telegram_rasa_late_limit_s: float = 180.0  # then they are asked to send the message again
    # Webhook mode (production): Telegram posts updates to the URL, which a reverse proxy
    # forwards to http://telegram_webhook_listen:telegram_webhook_port/<the URL's path>.
    telegram_webhook_url: str = ""  # "": long polling
    telegram_webhook_secret: str = ""
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    staff_telegram_chat_id: str = ""  # "": no notice of new orders
    # Shared state for several processes (the production profile); "": each process alone.
    redis_url: str = ""
    # Only the benchmark sets it: Rasa patches of bot/rasa_patches.py left off ("all" or names).
    rasa_patches_off: str = ""
    # Only the benchmark clears it: every message embedded as if new (real customers rarely
    # repeat a text; the benchmark's scripts do), bot/sentence_embedding.py.
    embedding_cache: bool = True
    # The production profile (`bespoke run --profile production`, bot/scale/profile.py): how
    # many Rasa, action and web servers, and the first port of each kind (the i-th listens on
    # base + i, on 127.0.0.1); nginx takes rasa_port, actions_port and web_port (the public one).
    rasa_servers: int = 2
    action_servers: int = 2
    web_servers: int = 2
    rasa_base_port: int = 5010
    actions_base_port: int = 5060
    web_base_port: int = 8010
    # Where the web servers and the Telegram bridge reach Rasa when it is not on this machine
    # (containers: http://rasa:5005); "": http://127.0.0.1:rasa_port.
    rasa_server_url: str = ""
    # E-mail to customers (order confirmation, status changes; bot/notify/): "" host: none sent.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""  # the sender address, e.g. "Bespoke Workshop <orders@shop.example>"
    smtp_starttls: bool = True
    public_url: str = ""  # the shop's public address, for links in e-mails (unsubscribe)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        """The settings in `env` (default: os.environ); SettingsError for a malformed value."""
        env = os.environ if env is None else env

        def text(name: str, default: str = "") -> str:
            return env.get(name, "").strip() or default

        data_dir = Path(text("BESPOKE_DATA_DIR")).expanduser() if text("BESPOKE_DATA_DIR") else REPO_ROOT / "var"
        database_url = text("DATABASE_URL")
        if database_url.startswith("postgres://"):  # the spelling some hosts use; SQLAlchemy 1.4 wants postgresql://
            database_url = "postgresql://" + database_url[len("postgres://"):]
        tracker_database_url = text("TRACKER_DATABASE_URL") or database_url or f"sqlite:///{data_dir / 'tracker.db'}"
        settings = cls(
            catalog_path=Path(text("BESPOKE_CATALOG")).expanduser() if text("BESPOKE_CATALOG") else REPO_ROOT / "catalog.yml",
            data_dir=data_dir,
            database_url=database_url or f"sqlite:///{data_dir / 'bespoke.db'}",
            tracker_database_url=tracker_database_url,
            models_dir=Path(env.get("BESPOKE_MODELS_DIR", REPO_ROOT / "models")),
            host=env.get("BESPOKE_HOST", "127.0.0.1"),
            rasa_port=_number(int, env.get("BESPOKE_RASA_PORT", "5005")),
            actions_port=_number(int, env.get("BESPOKE_ACTIONS_PORT", "5055")),
            web_port=_number(int, env.get("BESPOKE_WEB_PORT", "8000")),
            rasa_token=env.get("BESPOKE_RASA_TOKEN", ""),
            actions_secret=env.get(ACTIONS_SECRET_ENV, ""),
            cors_origins=tuple(o for o in re.split(r"[,\s]+", env.get("BESPOKE_CORS_ORIGINS", "")) if o),
            web_rasa_timeout_s=_number(float, env.get("BESPOKE_WEB_RASA_TIMEOUT", "30")),
            web_sender_limit=parse_limit(env.get("BESPOKE_WEB_LIMIT_SENDER", ""), cls.web_sender_limit),
            web_address_limit=parse_limit(env.get("BESPOKE_WEB_LIMIT_ADDRESS", ""), cls.web_address_limit),
            trusted_proxies=parse_trusted_proxies(env.get("BESPOKE_TRUSTED_PROXIES", "")),
            secret_key=text("BESPOKE_SECRET_KEY"),
            secure_cookies=text("BESPOKE_SECURE_COOKIES").lower() in ("1", "true", "yes"),
            telegram_token=text("TELEGRAM_BOT_TOKEN"),
            telegram_api_base_url=text("TELEGRAM_API_BASE_URL", TELEGRAM_API_BASE_URL),
            telegram_rasa_timeout_s=_number(float, env.get("BESPOKE_TELEGRAM_RASA_TIMEOUT", "30")),
            telegram_rasa_late_limit_s=_number(float, env.get("BESPOKE_TELEGRAM_RASA_LATE_LIMIT", "180")),
            telegram_webhook_url=text("TELEGRAM_WEBHOOK_URL"),
            telegram_webhook_secret=text("TELEGRAM_WEBHOOK_SECRET"),
            telegram_webhook_listen=text("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1"),
            telegram_webhook_port=_port(text("TELEGRAM_WEBHOOK_PORT", "8443")),
            staff_telegram_chat_id=text("STAFF_TELEGRAM_CHAT_ID"),
            redis_url=text("REDIS_URL"),
            rasa_patches_off=text("BESPOKE_BENCH_RASA_PATCHES_OFF"),
            embedding_cache=text("BESPOKE_BENCH_EMBEDDING_CACHE_OFF").lower() not in ("1", "true", "yes"),
            rasa_servers=_number(int, text("BESPOKE_RASA_SERVERS", "2")),
            action_servers=_number(int, text("BESPOKE_ACTION_SERVERS", "2")),
            web_servers=_number(int, text("BESPOKE_WEB_SERVERS", "2")),
            rasa_base_port=_number(int, text("BESPOKE_RASA_BASE_PORT", "5010")),
            actions_base_port=_number(int, text("BESPOKE_ACTIONS_BASE_PORT", "5060")),
            web_base_port=_number(int, text("BESPOKE_WEB_BASE_PORT", "8010")),
            rasa_server_url=text("BESPOKE_RASA_URL").rstrip("/"),
            smtp_host=text("SMTP_HOST"),
            smtp_port=_number(int, text("SMTP_PORT", "587")),
            smtp_user=text("SMTP_USER"),
            smtp_password=env.get("SMTP_PASSWORD", ""),
            smtp_from=text("SMTP_FROM"),
            smtp_starttls=text("SMTP_STARTTLS", "true").lower() in ("1", "true", "yes"),
            public_url=text("BESPOKE_PUBLIC_URL").rstrip("/"),
        )
        settings.check_webhook()
        return settings

    @property
    def rasa_url(self) -> str:
        """Rasa's HTTP server as the web server and the Telegram bridge reach it."""
        return self.rasa_server_url or f"http://127.0.0.1:{self.rasa_port}"

    @property
    def telegram_webhook_path(self) -> str:
        """The path the local webhook server answers on: the public URL's path."""
        return urlsplit(self.telegram_webhook_url).path.strip("/")

    def data_file(self, name: str) -> Path:
        """A file (or folder) in the data folder, which is made on first use (0700: only
        this user reads what the bot keeps)."""
        if not self.data_dir.is_dir():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.data_dir.chmod(0o700)
        return self.data_dir / name

    def check_webhook(self) -> None:
        if not self.telegram_webhook_url:
            return
        url = urlsplit(self.telegram_webhook_url)
        if url.scheme != "https" or not url.hostname:
            raise SettingsError(f"TELEGRAM_WEBHOOK_URL must be a public https:// URL, not {self.telegram_webhook_url!r}")
        if not self.telegram_webhook_secret:
            raise SettingsError(
                "TELEGRAM_WEBHOOK_URL is set but TELEGRAM_WEBHOOK_SECRET is not: choose a random secret "
                "(1-256 characters: letters, digits, _ and -), e.g. `openssl rand -hex 32`"
            )
        if not WEBHOOK_SECRET.match(self.telegram_webhook_secret):
            raise SettingsError("TELEGRAM_WEBHOOK_SECRET may only have 1-256 letters, digits, _ and -")


def _number(kind: type, value: str):
    try:
        return kind(value)
    except ValueError as error:
        raise SettingsError(str(error)) from None


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SettingsError(f"TELEGRAM_WEBHOOK_PORT must be a port number, not {value!r}")
    return int(value)


def parse_limit(value: str, default: RateLimit) -> RateLimit:
    """"20,1" -> a burst of 20 messages, then 1 per second; "off" or "0" -> no limit."""
    value = value.strip().lower()
    if not value:
        return default
    if value in ("off", "0", "none"):
        return None
    burst, _, rate = value.partition(",")
    try:
        limit = float(burst), float(rate or 1)
    except ValueError:
        raise SettingsError(f"a rate limit is 'burst,per-second' (like 20,1) or 'off', not {value!r}") from None
    if min(limit) <= 0:
        raise SettingsError(f"a rate limit's burst and rate must be above 0 (or 'off'), not {value!r}")
    return limit


def parse_trusted_proxies(value: str) -> Tuple[IPNetwork, ...]:
    """BESPOKE_TRUSTED_PROXIES: addresses or networks ("10.0.0.0/8 192.168.1.5") whose
    X-Forwarded-For is believed; empty: proxies on this machine (loopback) only."""
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in re.split(r"[,\s]+", value) if item)
    except ValueError as error:
        raise SettingsError(f"BESPOKE_TRUSTED_PROXIES: {error}") from None

