"""How fast the staff pages are with a shop's worth of data.

    uv run --frozen python -m bench.staff_bench [--orders 10000 --conversations 50000] [--loads 5] [--json]

Generates, in a temporary folder (bench/shop_data.py): orders placed through OrderStore
(valid specifications of every catalog product, priced by the order core, spread over 90
days with a mix of statuses), conversations as rows of Rasa's SQL tracker store (`events`, Rasa's schema:
user, bot, action and slot events, 10-20 per conversation, some not understood), the
dashboard's orders in progress and refused answers. Then starts the real web app
(bot.server.create_app: the widget and the staff console) on a free port, signs in, and loads
each page: the first load on its own (the first dashboard load brings the conversations
index up to date over every conversation), then `--loads` more for the median and max.
Pages whose feature is not there yet are skipped with a note.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bench.shop_data import STAFF_NAME, Generated, generate
from bench.processes import exit_on_sigterm
from bot.local import free_port
from bot.server import create_app
from bot.settings import Settings
from bot.store import search as order_search
from bot.store.orders import OrderStore

STAFF_PASSWORD = "benchmark password 1"


# ---------------------------------------------------------------------------- the web app


@contextlib.contextmanager
def environment(values: Dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class WebAppThread:
    """bot.server's app (widget and staff console) on 127.0.0.1, in its own thread and event loop."""

    def __init__(self) -> None:
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="staff-bench-web", daemon=True)
        self.ready = threading.Event()
        self.error: Optional[BaseException] = None
        self.routes: List[str] = []

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            settings = replace(Settings.from_env(), host="127.0.0.1", web_port=self.port, rasa_port=9,
                               rasa_token="bench")
            app = create_app(settings)
            self.routes = [resource.canonical for resource in app.router.resources()]
            self.runner = web.AppRunner(app, shutdown_timeout=1, access_log=None)
            self.loop.run_until_complete(self.runner.setup())
            self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        except Exception as error:  # noqa: BLE001 - reported by start()
            self.error = error
            self.ready.set()
            return
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.runner.cleanup())
        self.loop.close()

    def start(self) -> "WebAppThread":
        self.thread.start()
        if not self.ready.wait(60):
            raise RuntimeError("the web app did not start within 60 s")
        if self.error is not None:
            raise RuntimeError(f"the web app did not start: {self.error!r}") from self.error
        return self

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(30)

    def has_route(self, prefix: str) -> bool:
        return any(route == prefix or route.startswith(prefix) for route in self.routes)


@dataclass
class Page:
    name: str
    path: str
    route: str  # the route the page needs (skipped when the app has none)
    api: bool = False
    first_ms: Optional[float] = None
    median_ms: Optional[float] = None
    max_ms: Optional[float] = None
    status: Optional[int] = None
    size: Optional[int] = None
    note: str = ""


def pages_for(data: Generated) -> List[Page]:
    per_page = order_search.DEFAULT_PER_PAGE
    deep = max(1, (data.orders // per_page) * 3 // 4)
    since = (datetime.now(timezone.utc) - timedelta(days=30)).date().isoformat()
    return [
        Page("dashboard (30 days)", "/staff/", "/staff/"),
        Page("dashboard (90 days)", "/staff/?days=90", "/staff/"),
        Page("orders: first page", "/staff/orders", "/staff/orders"),
        Page("orders: filtered (status, product, dates)", f"/staff/orders?status=shipped&product=custom_pc&from={since}",
             "/staff/orders"),
        Page(f"orders: search \"{data.search}\"", f"/staff/orders?q={quote(data.search)}", "/staff/orders"),
        Page(f"orders: deep page ({deep})", f"/staff/orders?page={deep}", "/staff/orders"),
        Page("order page", f"/staff/orders/{data.order_number}", "/staff/orders/{"),
        Page("orders CSV export (all)", "/staff/orders.csv", "/staff/orders.csv"),
        Page("conversations: first page", "/staff/conversations", "/staff/conversations"),
        Page("transcript", f"/staff/conversations/{quote(data.conversation_id, safe='')}", "/staff/conversations/{"),
        Page("queue", "/staff/queue", "/staff/queue"),
        Page("API: /api/orders", "/api/orders", "/api/orders", api=True),
    ]


async def sign_in(session: aiohttp.ClientSession, base: str) -> None:
    async with session.get(f"{base}/staff/sign-in") as response:
        page = await response.text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("the sign-in page has no CSRF token")
    data = {"name": STAFF_NAME, "password": STAFF_PASSWORD, "csrf_token": token.group(1), "next": "/staff/"}
    async with session.post(f"{base}/staff/sign-in", data=data, allow_redirects=False) as response:
        if response.status != 303:
            raise RuntimeError(f"signing in answered {response.status}: {(await response.text())[:300]}")


async def load(session: aiohttp.ClientSession, url: str, headers: Dict[str, str]) -> Tuple[float, int, int]:
    started = time.perf_counter()
    async with session.get(url, headers=headers, allow_redirects=False) as response:
        body = await response.read()
    return (time.perf_counter() - started) * 1000, response.status, len(body)


def index_catch_up() -> Optional[float]:
    """Seconds to bring the conversations index fully up to date (None: no index yet)."""
    try:
        from bot.staff.conversations.index import refresh_index
    except ImportError:
        return None
    settings = Settings.from_env()
    store = OrderStore(settings.database_url)
    started = time.monotonic()
    try:
        refresh_index(store, settings.tracker_database_url)
    finally:
        store.dispose()
    return time.monotonic() - started


async def measure(base: str, pages: List[Page], loads: int, token: str, server: WebAppThread) -> float:
    """Loads every page; returns the first dashboard load in ms. The first dashboard load
    starts the conversations index (for a limited time); the rest is read before the
    other loads and its time reported."""
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as session:
        await sign_in(session, base)
        first_dashboard = None
        for page in pages:
            if not server.has_route(page.route):
                page.note = "skipped: the page does not exist yet"
                continue
            headers = {"Authorization": f"Bearer {token}"} if page.api else {}
            first, page.status, page.size = await load(session, base + page.path, headers)
            page.first_ms = round(first, 1)
            if first_dashboard is None and page.route == "/staff/":
                first_dashboard = page.first_ms
                catch_up = await asyncio.to_thread(index_catch_up)
                if catch_up is not None:
                    page.note = f"then {catch_up:,.1f} s to read the rest of the conversations"
            times = []
            for _ in range(loads):
                elapsed, status, _size = await load(session, base + page.path, headers)
                times.append(elapsed)
                if status != page.status:
                    page.note = f"answered {page.status} then {status}"
            if times:
                page.median_ms = round(statistics.median(times), 1)
                page.max_ms = round(max(times), 1)
    return first_dashboard or 0.0


@dataclass
class Result:
    orders: int
    conversations: int
    events: int
    drafts: int
    rejections: int
    generation_s: float
    loads: int
    first_dashboard_ms: float
    pages: List[Dict[str, Any]] = field(default_factory=list)


def run(orders: int = 10000, conversations: int = 50000, loads: int = 5, folder: Optional[Path] = None,
        seed: int = 7) -> Result:
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bespoke-staff-bench-")))
        data = generate(folder, orders, conversations, seed)
        store = OrderStore(data.database_url)
        from bot.staff.accounts import StaffAccounts

        accounts = StaffAccounts(store)
        accounts.add(STAFF_NAME, STAFF_PASSWORD)
        token = accounts.create_token(STAFF_NAME)
        store.dispose()
        stack.enter_context(environment({
            "BESPOKE_DATA_DIR": str(folder), "DATABASE_URL": data.database_url,
            "TRACKER_DATABASE_URL": data.tracker_url, "BESPOKE_SECRET_KEY": secrets.token_urlsafe(32),
        }))
        server = WebAppThread().start()
        stack.callback(server.stop)
        pages = pages_for(data)
        first = asyncio.run(measure(f"http://127.0.0.1:{server.port}", pages, loads, token, server))
        return Result(orders, conversations, data.events, data.drafts, data.rejections, data.seconds, loads, first,
                      [asdict(page) for page in pages])


def table(result: Result) -> str:
    lines = [
        (f"{result.orders:,} orders, {result.conversations:,} conversations ({result.events:,} tracker events), "
         f"{result.drafts:,} orders in progress, {result.rejections:,} refused answers; generated in "
         f"{result.generation_s} s"),
        f"first dashboard load (starts reading the conversations into the index): {result.first_dashboard_ms:,.0f} ms",
        "",
        f"{'page':44} {'status':>6} {'first ms':>9} {'median ms':>10} {'max ms':>8} {'size':>10}",
    ]
    for page in result.pages:
        if page["status"] is None:
            lines.append(f"{page['name']:44} {page['note']}")
            continue
        lines.append(f"{page['name']:44} {page['status']:>6} {page['first_ms']:>9,.1f} {page['median_ms'] or 0:>10,.1f} "
                     f"{page['max_ms'] or 0:>8,.1f} {page['size']:>10,}" + (f"  {page['note']}" if page["note"] else ""))
    lines.append(f"(median and max of {result.loads} loads after the first)")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.staff_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10000)
    parser.add_argument("--conversations", type=int, default=50000)
    parser.add_argument("--loads", type=int, default=5, help="loads of each page after the first (default 5)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="generate into this (empty) folder and keep it")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    result = run(args.orders, args.conversations, args.loads, args.keep, args.seed)
    print(json.dumps(asdict(result), indent=2) if args.json else table(result))
    failed = [page["name"] for page in result.pages if page["status"] not in (None, 200)]
    if failed:
        print(f"pages that did not answer 200: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    exit_on_sigterm()
    sys.exit(main())
