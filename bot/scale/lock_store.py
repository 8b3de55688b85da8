"""A Rasa lock store on Redis whose every step is one atomic Redis operation.

Rasa Open Source's `RedisLockStore` reads the conversation's lock, changes it in Python and
writes it back, so two Rasa servers that take a ticket at the same moment both get the same
number and both process the conversation at once (rasa#9213). Here each step is one Lua script
(run with EVALSHA; the client loads the script again on NOSCRIPT, e.g. after a Redis restart):

- take a ticket: INCR the conversation's counter, queue the ticket with its deadline (and
  answer whether it is first, the turn of an uncontended conversation at once);
- check: drop expired tickets, renew the caller's deadline, answer whether the caller's ticket
  is the first in the queue (its turn), still waiting, or gone (expired);
- release: remove the caller's ticket and wake the next one.

A ticket's deadline is the lock lifetime (Rasa's `TICKET_LOCK_LIFETIME`, 60 s by default)
after it was taken, renewed on every check while it waits (a live waiter does not expire) and
once more when its turn comes: a turn holds the lock for at most one lifetime. A process that
dies (or loses Redis) stops renewing, so its ticket blocks the conversation only until its
deadline. Deadlines use Redis's clock, not the servers'. Waiters sleep on a per-ticket Redis
list (BLPOP) that the release pushes to, so the next turn starts at once, and check again at
least every `wait_time_in_seconds` to notice a dead holder's expiry. Every key has a TTL of at
least the lifetime, so an idle conversation leaves nothing behind.

The keys of one conversation share one Redis Cluster hash tag. A Redis that loses its data
(restarted without persistence) loses the queue: the turn in progress then ends with a
warning that another turn may have run beside it; run Redis with `appendonly yes` in
production.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
import uuid
from collections import deque
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import DEFAULT_SOCKET_TIMEOUT_IN_SECONDS, LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX = "bespoke"
_KEY_PREFIX = re.compile(r"[A-Za-z0-9_.:-]+")

# The options of Rasa's `redis` lock store that an endpoint config may give (plus `ssl`,
# redis-py's name for `use_ssl`). A `url` with a scheme (redis://, rediss://, unix://) is a
# connection URL; without one it is a host name, as for Rasa's own store.
_OPTIONS = {
    "host", "port", "db", "username", "password", "use_ssl", "ssl",
    "ssl_certfile", "ssl_keyfile", "ssl_ca_certs", "key_prefix", "socket_timeout",
}


class _Turn(enum.IntEnum):
    """What the check script answers about a ticket."""

    EXPIRED = -1
    WAITING = 0
    ACQUIRED = 1


# KEYS[1] the queue (ticket number per token), KEYS[2] the deadlines (ms, Redis time, per
# token), KEYS[3] the ticket counter, KEYS[4] the caller's wake list.
# ARGV[1] the wake lists' key prefix, ARGV[2] the caller's token, ARGV[3] the lifetime (ms).
_PRELUDE = """
local queue, deadlines, counter, own_wake = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local wake_prefix, token, lifetime = ARGV[1], ARGV[2], tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local function head()
  return redis.call('ZRANGE', queue, 0, 0)[1]
end
local first = head()
for _, expired in ipairs(redis.call('ZRANGEBYSCORE', deadlines, '-inf', '(' .. now)) do
  redis.call('ZREM', queue, expired)
  redis.call('ZREM', deadlines, expired)
end
local function wake_new_head()
  local next_head = head()
  if next_head and next_head ~= first and next_head ~= token then
    local wake = wake_prefix .. next_head
    redis.call('RPUSH', wake, '1')
    redis.call('PEXPIRE', wake, lifetime)
  end
end
local function keep_for_lifetime()
  for _, key in ipairs({queue, deadlines, counter}) do
    if redis.call('PTTL', key) < lifetime then
      redis.call('PEXPIRE', key, lifetime)
    end
  end
end
"""

_ISSUE = _PRELUDE + """
local number = redis.call('ZSCORE', queue, token)
if not number then
  number = redis.call('INCR', counter)
  redis.call('ZADD', queue, number, token)
  redis.call('ZADD', deadlines, now + lifetime, token)
end
keep_for_lifetime()
wake_new_head()
if head() == token then
  return {tonumber(number), 1, tonumber(redis.call('ZSCORE', deadlines, token))}
end
return {tonumber(number), 0, redis.call('ZRANK', queue, token)}
"""

_CHECK = _PRELUDE + """
wake_new_head()
if not redis.call('ZSCORE', queue, token) then
  return {-1, 0}
end
redis.call('ZADD', deadlines, 'XX', now + lifetime, token)
keep_for_lifetime()
if head() == token then
  redis.call('DEL', own_wake)
  return {1, now + lifetime}
end
return {0, redis.call('ZRANK', queue, token)}
"""

_RELEASE = _PRELUDE + """
local held = redis.call('ZSCORE', queue, token) and head() == token
redis.call('ZREM', queue, token)
redis.call('ZREM', deadlines, token)
redis.call('DEL', own_wake)
if redis.call('ZCARD', queue) == 0 then
  redis.call('DEL', queue, deadlines)
else
  wake_new_head()
end
if held then
  return 1
end
return 0
"""


def lock_store_endpoint(redis_url: str, key_prefix: str) -> Dict[str, Any]:
    """The `lock_store:` section of endpoints.yml for this store (`redis_url` may be a
    `${REDIS_URL}` placeholder: Rasa fills it in from the environment when it reads the file)."""
    _checked_prefix(key_prefix)
    return {"type": f"{__name__}.{AtomicRedisLockStore.__name__}", "url": redis_url, "key_prefix": key_prefix}


def _checked_prefix(key_prefix: str) -> str:
    if not isinstance(key_prefix, str) or not _KEY_PREFIX.fullmatch(key_prefix):
        raise ValueError(f"lock store key_prefix {key_prefix!r}: letters, digits, '_', '.', ':' and '-' only")
    return key_prefix


class _Keys:
    """The Redis keys of one conversation's lock (one hash tag: one Redis Cluster slot)."""

    def __init__(self, key_prefix: str, conversation_id: str, token: str) -> None:
        base = f"{key_prefix}:lock:{{{conversation_id}}}"
        self.wake_prefix = f"{base}:wake:"
        self.own_wake = self.wake_prefix + token
        self.script_keys = [f"{base}:queue", f"{base}:deadlines", f"{base}:counter", self.own_wake]


class AtomicRedisLockStore(LockStore):
    """Rasa's ticket lock, taken and checked with atomic Redis scripts (see the module docstring).

    endpoints.yml: `lock_store: {type: bot.scale.lock_store.AtomicRedisLockStore, url:
    redis://host:6379/0, key_prefix: bespoke}`; Rasa's `redis` lock store options (host, port,
    db, username, password, use_ssl, ssl_*, socket_timeout) are accepted too.

    Only `lock()`, the one method Rasa calls, is offered: the inherited read-change-write
    methods (`get_lock`, `save_lock`, `delete_lock` and those built on them) are the race this
    store exists to avoid, and raise NotImplementedError.
    """

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **options: Any) -> None:
        if endpoint_config is not None:
            options = {**endpoint_config.kwargs, **options}
            if endpoint_config.url is not None:
                options.setdefault("url", endpoint_config.url)
        url = options.pop("url", None)
        unknown = sorted(set(options) - _OPTIONS)
        if unknown:
            raise ValueError(f"lock store: unknown option(s) {', '.join(unknown)}; known: url, {', '.join(sorted(_OPTIONS))}")
        self.key_prefix = _checked_prefix(options.pop("key_prefix", DEFAULT_KEY_PREFIX))
        self._socket_timeout = float(options.pop("socket_timeout", DEFAULT_SOCKET_TIMEOUT_IN_SECONDS))
        self._url, self._connection, self.address = _connection_settings(url, options)
        self._connection.update(
            socket_timeout=self._socket_timeout,
            socket_connect_timeout=self._socket_timeout,
            # Every script is idempotent for its token, so a command whose connection broke
            # (a pooled connection of a Redis that restarted) is sent once more.
            retry=Retry(NoBackoff(), 1),
            retry_on_error=[RedisConnectionError],
        )
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._client: Optional[Redis] = None
        self._scripts: Dict[str, AsyncScript] = {}
        super().__init__()

    def _redis(self) -> Tuple[Redis, Dict[str, AsyncScript]]:
        """The client of the running event loop (redis.asyncio connections belong to one loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            if self._url is not None:
                self._client = Redis.from_url(self._url, **self._connection)
            else:
                self._client = Redis(**self._connection)
            self._scripts = {
                name: self._client.register_script(text)
                for name, text in (("issue", _ISSUE), ("check", _CHECK), ("release", _RELEASE))
            }
            self._loop = loop
        return self._client, self._scripts

    async def close(self) -> None:
        """Closes the connections of the running loop's client."""
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.close(close_connection_pool=True)
        self._client = None

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Waits for `conversation_id`'s turn, holds it while the body runs, then passes it on.

        Raises LockError when Redis cannot be reached or the ticket expired while waiting;
        the body then does not run."""
        token = uuid.uuid4().hex
        keys = _Keys(self.key_prefix, conversation_id, token)
        lifetime_ms = max(1, round(lock_lifetime * 1000))
        args = [keys.wake_prefix, token, lifetime_ms]
        # Every Redis call is awaited through asyncio.shield: a cancelled request (Rasa's REST
        # channel is cancelled when its client goes) is then cancelled here at once, where
        # redis-py 4.6, cancelled inside a command, can lose the cancellation and wait on.
        client, scripts = self._redis()
        number: Optional[int] = None  # not known until the ticket script answers
        held = False
        try:
            # In the try: a ticket taken by a script whose answer never came (a cancelled
            # request, a timeout) is released too, instead of blocking for a lifetime.
            try:
                number, state, value = await asyncio.shield(scripts["issue"](keys=keys.script_keys, args=args))
            except RedisError as error:
                raise LockError(f"Could not take a ticket for conversation '{conversation_id}': {self._failed(error)}") from error
            # The next check comes at the latest after `poll` s: well inside the lifetime (a
            # waiter renews its ticket by checking) and the socket timeout (BLPOP waits that long).
            poll = max(0.001, min(wait_time_in_seconds, lock_lifetime / 4, self._socket_timeout / 2))
            if state == _Turn.ACQUIRED:  # nobody before: the ticket's turn at once
                deadline_ms = int(value)
            else:
                deadline_ms = await self._wait_for_turn(client, scripts["check"], keys, args, poll, conversation_id, number)
            held = True
            yield TicketLock(conversation_id, deque([Ticket(number, deadline_ms / 1000)]))
        finally:
            # Shielded: a cancellation while releasing does not leave the ticket behind.
            await asyncio.shield(self._release(scripts["release"], keys, args, conversation_id, number, held, lock_lifetime))

    async def _wait_for_turn(
        self,
        client: Redis,
        check: AsyncScript,
        keys: _Keys,
        args: List[Any],
        poll: float,
        conversation_id: str,
        number: int,
    ) -> int:
        """Waits for a wake-up or `poll` s, then checks, until the ticket's turn comes; returns
        the turn's deadline (Redis ms)."""
        try:
            while True:
                await asyncio.shield(client.blpop([keys.own_wake], timeout=poll))
                state, value = await asyncio.shield(check(keys=keys.script_keys, args=args))
                if state == _Turn.ACQUIRED:
                    return int(value)
                if state == _Turn.EXPIRED:
                    raise LockError(
                        f"Could not acquire lock for conversation '{conversation_id}': ticket {number} "
                        f"expired while waiting (lifetime {args[2] / 1000:g} s), or Redis lost its data"
                    )
                logger.debug("Conversation '%s': ticket %s waits for %s turn(s).", conversation_id, number, value)
        except RedisError as error:
            raise LockError(f"Could not acquire lock for conversation '{conversation_id}': {self._failed(error)}") from error

    async def _release(
        self,
        release: AsyncScript,
        keys: _Keys,
        args: List[Any],
        conversation_id: str,
        number: Optional[int],
        held: bool,
        lock_lifetime: float,
    ) -> None:
        try:
            still_held = await release(keys=keys.script_keys, args=args)
        except RedisError as error:
            # Raising here would turn a turn that was processed (and stored) into an error the
            # customer answers by sending the message again.
            logger.error(
                "Could not release %s of conversation '%s' (%s): if it was taken, the conversation "
                "stays locked until it expires, at most %g s from now.",
                "the ticket" if number is None else f"ticket {number}", conversation_id, self._failed(error),
                lock_lifetime,
            )
            return
        if held and not still_held:
            logger.warning(
                "Ticket %s of conversation '%s' expired before its turn ended (lifetime %g s), or Redis "
                "lost its data: another turn of this conversation may have run at the same time.",
                number, conversation_id, lock_lifetime,
            )

    def _failed(self, error: RedisError) -> str:
        return f"Redis at {self.address} failed: {type(error).__name__}: {error}"

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        raise NotImplementedError(f"{type(self).__name__} offers lock() only: reading a lock to change it is the race it avoids")

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError(f"{type(self).__name__} offers lock() only: writing a lock read before is the race it avoids")

    def delete_lock(self, conversation_id: str) -> None:
        raise NotImplementedError(f"{type(self).__name__} offers lock() only: its release removes the caller's ticket")


def _connection_settings(url: Optional[str], options: Dict[str, Any]) -> Tuple[Optional[str], Dict[str, Any], str]:
    """The connection URL (None for a host), redis.asyncio keyword arguments, and the address
    to name in errors (never the password)."""
    settings: Dict[str, Any] = {}
    if url and "://" in url:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"lock store url: scheme {parts.scheme!r}, expected redis://, rediss:// or unix://")
        if parts.scheme == "unix":
            address = f"unix://{parts.path}"
        else:
            address = f"{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path or '/0'}"
    else:
        settings["host"] = url or "localhost"
        address = ""
    for name in ("host", "username", "password", "ssl_certfile", "ssl_keyfile", "ssl_ca_certs"):
        if options.get(name):
            settings[name] = options[name]
    for name in ("port", "db"):
        if options.get(name) not in (None, ""):
            settings[name] = int(options[name])
    use_ssl = str(options.get("use_ssl", options.get("ssl", ""))).lower() in ("1", "true", "yes")
    if url and "://" in url:
        if use_ssl and not url.startswith("rediss://"):
            raise ValueError("lock store: use_ssl with a redis:// url; write rediss:// instead")
        return url, settings, address
    if use_ssl:
        settings["ssl"] = True
    return None, settings, f"{settings['host']}:{settings.get('port', 6379)}/{settings.get('db', 0)}"
