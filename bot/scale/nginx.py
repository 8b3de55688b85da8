"""The production profile's nginx configuration: generated from the settings for each run,
written into the data folder, run in the foreground under the Supervisor as the same user.

Three listeners. The public one (BESPOKE_HOST:BESPOKE_WEB_PORT) balances the web servers
(the chat widget, its API and the staff console) and, in Telegram webhook mode, forwards the
webhook's path to the bridge. Two on 127.0.0.1 only: Rasa's port, balancing the Rasa servers
(the web servers, the Telegram bridge and REST clients on this machine use it, as they use the
one Rasa of `bespoke run`), and the action server's port, balancing the action servers (every
Rasa server's action endpoint). Rasa's REST channel believes any sender id, so it is never
public (as in `bespoke run`).

A backend that refuses the connection (killed, restarting) is skipped for the next one at
once and left out for `FAIL_TIMEOUT_S` after MAX_FAILS failures; a request already sent is
never sent again to another server (nginx's default for POST), so no message is processed
twice.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence

FAIL_TIMEOUT_S = 5
# One failure was enough to leave a server out: with one Rasa server killed, a single slow
# connect to the other under load left both out, and nginx answered 502 "no live upstreams"
# to every customer for 5 s (tests/scale/test_faults.py). A dead server refuses at once, so
# three refusals (each passed on to the next server) cost nothing.
MAX_FAILS = 3
# A server that is alive but busy takes a while to accept or to answer under load (its
# listen backlog full, Rasa's turns queued): that is no failure (proxy_next_upstream has no
# `timeout`), or the one Rasa left serving while the other restarts was left out too and
# nginx answered 502 "no live upstreams" for 30 s. One that is gone refuses at once.
CONNECT_TIMEOUT_S = 10
# Above the web server's and Rasa's own limits (256 KiB, 64 KiB), which answer in their own
# words (JSON the widget understands); only bodies far beyond them stop here (413).
CLIENT_MAX_BODY = "1m"
# Every body kept in memory up to the limit. With nginx's default (16 KB) a longer body (an
# action call carries the whole tracker: 16 KB after three turns, about 40 KB after an order)
# went to a temp file and was sent on from it after the headers: the upstream connection's
# last small segment then waited for the action server's delayed ACK, 40 ms on every turn
# (measured: 65-70 ms per sequential turn through nginx, 19-22 ms with the bodies in memory).
CLIENT_BODY_BUFFER = CLIENT_MAX_BODY
# Rasa may think for a while under load; the web server gives up on Rasa after its own
# timeout (30 s) and says so to the customer.
READ_TIMEOUT_S = 120
# An idle kept-alive connection is dropped by nginx before the backend drops it (Sanic, Rasa's
# and the action server's, after 5 s; aiohttp after 75 s): a request sent on a connection the
# backend is closing at that moment fails after it was sent, is not sent again, and is a 502.
UPSTREAM_KEEPALIVE_TIMEOUT_S = 4


@dataclass(frozen=True)
class Listener:
    """One nginx server block: where it listens and the backends it balances."""

    name: str
    address: str  # host:port
    backends: Sequence[int]  # ports on 127.0.0.1
    extra_locations: str = ""


@dataclass(frozen=True)
class NginxPaths:
    """Everything nginx writes, in the data folder: its prefix, pid file and temp folders."""

    prefix: Path

    @property
    def conf(self) -> Path:
        return self.prefix / "nginx.conf"

    @property
    def pid(self) -> Path:
        return self.prefix / "nginx.pid"

    @property
    def temp(self) -> Path:
        return self.prefix / "tmp"

    def make(self) -> None:
        for folder in (self.prefix, self.temp, self.prefix / "logs"):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o700)


def listen_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _upstream(listener: Listener) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails={MAX_FAILS} fail_timeout={FAIL_TIMEOUT_S}s;"
                        for port in listener.backends)
    return (f"    upstream bespoke_{listener.name} {{\n"
            f"        least_conn;\n{servers}\n"
            f"        keepalive 32;\n"
            f"        keepalive_timeout {UPSTREAM_KEEPALIVE_TIMEOUT_S}s;\n"
            f"    }}\n")


def _server(listener: Listener) -> str:
    return (f"    server {{  # {listener.name}\n"
            f"        listen {listener.address};\n"
            f"{listener.extra_locations}"
            f"        location / {{\n"
            f"            proxy_pass http://bespoke_{listener.name};\n"
            f"        }}\n"
            f"    }}\n")


def nginx_config(paths: NginxPaths, listeners: List[Listener], run_as_root: bool) -> str:
    """The whole nginx.conf for these listeners (`nginx -p prefix -c conf` runs it)."""
    temp = paths.temp
    # As root, nginx's workers would switch to nobody, who cannot write the temp folders in the
    # 0700 data folder: they stay the user that runs the bot. Otherwise the directive is ignored.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if run_as_root else ""
    return (
        "# Generated for this run by bespoke (bot/scale/nginx.py); edits are overwritten.\n"
        f"{user}"
        "worker_processes auto;\n"
        "daemon off;  # in the foreground, under the Supervisor\n"
        f"pid {paths.pid};\n"
        "error_log stderr warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        "    access_log off;  # conversations are the bot's own business, not nginx's log\n"
        "    server_tokens off;\n"
        f"    client_max_body_size {CLIENT_MAX_BODY};\n"
        f"    client_body_buffer_size {CLIENT_BODY_BUFFER};\n"
        f"    client_body_temp_path {temp}/body;\n"
        f"    proxy_temp_path {temp}/proxy;\n"
        f"    fastcgi_temp_path {temp}/fastcgi;\n"
        f"    uwsgi_temp_path {temp}/uwsgi;\n"
        f"    scgi_temp_path {temp}/scgi;\n"
        "    proxy_http_version 1.1;\n"
        "    proxy_set_header Connection \"\";\n"
        "    proxy_set_header Host $http_host;\n"
        "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        "    proxy_set_header X-Forwarded-Proto $scheme;\n"
        f"    proxy_connect_timeout {CONNECT_TIMEOUT_S}s;\n"
        f"    proxy_read_timeout {READ_TIMEOUT_S}s;\n"
        f"    proxy_send_timeout {READ_TIMEOUT_S}s;\n"
        "    # The next server when one refuses or fails before answering; a POST already\n"
        "    # sent is not sent again (no `non_idempotent`), so no message is processed twice.\n"
        "    # Not `timeout`: a server slow to answer under load is busy, not gone.\n"
        "    proxy_next_upstream error http_502 http_503;\n"
        "    proxy_next_upstream_tries 0;\n"
        + "".join(_upstream(listener) for listener in listeners)
        + "".join(_server(listener) for listener in listeners)
        + "}\n"
    )


def telegram_webhook_location(path: str, port: int) -> str:
    """The public location of Telegram's webhook (TELEGRAM_WEBHOOK_URL's path), forwarded to
    the one Telegram bridge's local webhook server."""
    return (f"        location = /{path} {{\n"
            f"            proxy_pass http://127.0.0.1:{port};\n"
            f"        }}\n")
