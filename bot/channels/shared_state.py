"""What the web servers and the Telegram bridges must share when there are several of them
(the production profile): the web chat's rate limits, the answers Rasa gave after the
widget stopped waiting, long Telegram button payloads, and locks with a lifetime (the one
Telegram poller).

`open_shared_state(settings)` gives the in-process state when Settings.redis_url is ""
(one process: each keeps its own, as before) and the Redis state otherwise. When Redis
cannot be reached, the Redis state logs an error and falls back to this process's own state
for that call (see RedisState): a customer never gets a stack trace because Redis is down.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import hashlib
import itertools
import json
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

from bot.settings import Settings

logger = logging.getLogger("bespoke.shared")

MAX_CALLBACK_BYTES = 64  # Telegram's limit for a button's callback data
PAYLOAD_KEPT_S = 30 * 24 * 3600  # a long button payload is resolvable this long (Redis)
ANSWER_KEPT_S = 300  # an answer Rasa gave after the browser was told "too slow", kept for the retry
REDIS_TIMEOUT_S = 2.0  # a Redis call that takes longer counts as Redis down
COMPLAINT_EVERY_S = 30.0  # "Redis not reachable" is logged at most this often per process

Replies = List[Dict[str, Any]]
T = TypeVar("T")


@dataclass(frozen=True)
class Limit:
    """One rate limit for one key: `burst` messages at once, then `rate` per second."""

    name: str  # which limit ("sender", "address"): keys of different limits never mix
    key: str
    burst: float
    rate: float


class AnswerState(Enum):
    ABSENT = "absent"  # nobody is asking Rasa for this message (or it failed): ask
    PENDING = "pending"  # a server is asking Rasa: wait for its answer
    DONE = "done"  # the answer is kept: serve it


@dataclass
class TokenBuckets:
    """A token bucket per key, in memory: `burst` at once, then `rate` per second."""

    burst: float
    rate: float
    buckets: Dict[str, Tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, at)

    def tokens(self, key: str, now: float) -> float:
        tokens, at = self.buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` may send again; 0 if it may now."""
        return max(0.0, (1 - self.tokens(key, now)) / self.rate)

    def take(self, key: str, now: float) -> None:
        self.buckets[key] = (self.tokens(key, now) - 1, now)
        if len(self.buckets) > 10_000:  # forget the buckets that have filled up again
            self.buckets = {k: v for k, v in self.buckets.items() if self.tokens(k, now) < self.burst}


def direct_data(payload: str) -> Optional[str]:
    """A button payload as callback data when it fits Telegram's 64 bytes."""
    direct = "p:" + payload
    return direct if len(direct.encode("utf-8")) <= MAX_CALLBACK_BYTES else None


class SharedState(abc.ABC):
    """The state several web servers or bridges share. Every method is a coroutine, safe to
    call from an aiohttp handler or a python-telegram-bot callback."""

    @abc.abstractmethod
    async def take(self, limits: Sequence[Limit]) -> float:
        """0 and one message counted against every limit when all allow it; otherwise the
        seconds until they would (and nothing counted)."""

    @abc.abstractmethod
    async def claim_answer(self, key: str) -> bool:
        """True when no server is asking Rasa for this message yet: this caller asks (and
        later calls keep_answer or drop_answer)."""

    @abc.abstractmethod
    async def answer(self, key: str) -> Tuple[AnswerState, Optional[Replies]]:
        """Where the answer to this message stands, with the replies when DONE."""

    @abc.abstractmethod
    async def keep_answer(self, key: str, replies: Replies) -> None:
        """Rasa answered: keep the replies ANSWER_KEPT_S for a retry on any server."""

    @abc.abstractmethod
    async def drop_answer(self, key: str) -> None:
        """Asking failed: the retry asks Rasa again."""

    async def callback_data(self, payload: str) -> str:
        """A button's payload as Telegram callback data (at most 64 bytes): the payload itself
        when it fits, else a short key that payload_of resolves."""
        return direct_data(payload) or await self.keep_payload(payload)

    async def payload_of(self, data: str) -> Optional[str]:
        """The payload a button's callback data stands for; None when it is unknown (expired)."""
        if data.startswith("p:"):
            return data[2:]
        return await self.payload_for_key(data)

    @abc.abstractmethod
    async def keep_payload(self, payload: str) -> str:
        """A short key (well under 64 bytes) for a long payload."""

    @abc.abstractmethod
    async def payload_for_key(self, key: str) -> Optional[str]:
        """The long payload kept under `key`."""

    @abc.abstractmethod
    async def first_time(self, key: str, lifetime_s: float) -> bool:
        """True the first time `key` is seen (a Telegram update delivered twice, perhaps to two
        bridges, is handled once); remembered `lifetime_s`."""

    @abc.abstractmethod
    async def try_lock(self, name: str, owner: str, lifetime_s: float) -> bool:
        """Take the lock `name` for `lifetime_s` unless someone else holds it."""

    @abc.abstractmethod
    async def renew_lock(self, name: str, owner: str, lifetime_s: float) -> bool:
        """Extend a lock `owner` holds; False when it no longer does (it expired)."""

    @abc.abstractmethod
    async def release_lock(self, name: str, owner: str) -> None:
        """Give up a lock `owner` holds (nothing when it does not)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close connections."""


class InProcessState(SharedState):
    """Each process alone (Settings.redis_url ""): the state lives in this process's memory."""

    def __init__(self, payloads_kept: int = 5000, seen_kept: int = 2000) -> None:
        self.buckets: Dict[Tuple[str, float, float], TokenBuckets] = {}
        self.answers: Dict[str, Tuple[AnswerState, Optional[Replies], float]] = {}  # key -> (state, replies, until)
        self.payloads: "OrderedDict[str, str]" = OrderedDict()
        self.payloads_kept = payloads_kept
        self.counter = itertools.count(1)
        self.locks: Dict[str, Tuple[str, float]] = {}  # name -> (owner, until)
        self.seen: "OrderedDict[str, float]" = OrderedDict()  # key -> until, the last `seen_kept`
        self.seen_kept = seen_kept

    async def take(self, limits: Sequence[Limit]) -> float:
        now = time.monotonic()
        keyed = [(self.buckets.setdefault((limit.name, limit.burst, limit.rate), TokenBuckets(limit.burst, limit.rate)),
                  limit.key) for limit in limits]
        wait = max((buckets.wait(key, now) for buckets, key in keyed), default=0.0)
        if wait > 0:
            return wait
        for buckets, key in keyed:
            buckets.take(key, now)
        return 0.0

    def _answer(self, key: str) -> Tuple[AnswerState, Optional[Replies]]:
        state, replies, until = self.answers.get(key, (AnswerState.ABSENT, None, 0.0))
        if state is not AnswerState.ABSENT and until < time.monotonic():
            self.answers.pop(key, None)
            return AnswerState.ABSENT, None
        return state, replies

    async def claim_answer(self, key: str) -> bool:
        if self._answer(key)[0] is not AnswerState.ABSENT:
            return False
        if len(self.answers) > 10_000:  # forget the expired ones
            now = time.monotonic()
            self.answers = {k: v for k, v in self.answers.items() if v[2] >= now}
        self.answers[key] = (AnswerState.PENDING, None, time.monotonic() + ANSWER_KEPT_S)
        return True

    async def answer(self, key: str) -> Tuple[AnswerState, Optional[Replies]]:
        return self._answer(key)

    async def keep_answer(self, key: str, replies: Replies) -> None:
        self.answers[key] = (AnswerState.DONE, replies, time.monotonic() + ANSWER_KEPT_S)

    async def drop_answer(self, key: str) -> None:
        self.answers.pop(key, None)

    async def keep_payload(self, payload: str) -> str:
        key = f"k:{next(self.counter):x}"
        self.payloads[key] = payload
        while len(self.payloads) > self.payloads_kept:
            self.payloads.popitem(last=False)
        return key

    async def payload_for_key(self, key: str) -> Optional[str]:
        return self.payloads.get(key)

    async def first_time(self, key: str, lifetime_s: float) -> bool:
        if self.seen.get(key, 0.0) > time.monotonic():
            return False
        self.seen[key] = time.monotonic() + lifetime_s
        self.seen.move_to_end(key)
        while len(self.seen) > self.seen_kept:
            self.seen.popitem(last=False)
        return True

    async def try_lock(self, name: str, owner: str, lifetime_s: float) -> bool:
        holder, until = self.locks.get(name, ("", 0.0))
        if holder and holder != owner and until > time.monotonic():
            return False
        self.locks[name] = (owner, time.monotonic() + lifetime_s)
        return True

    async def renew_lock(self, name: str, owner: str, lifetime_s: float) -> bool:
        holder, until = self.locks.get(name, ("", 0.0))
        if holder != owner or until <= time.monotonic():
            return False
        self.locks[name] = (owner, time.monotonic() + lifetime_s)
        return True

    async def release_lock(self, name: str, owner: str) -> None:
        if self.locks.get(name, ("", 0.0))[0] == owner:
            del self.locks[name]

    async def close(self) -> None:
        pass  # nothing to close: the state goes with the process


# Token buckets in Redis, all of a message's limits checked and taken in one atomic step.
# KEYS: the buckets; ARGV: burst and rate of each. The time is Redis's own (one clock for
# every server). A bucket is a hash {tokens, at}, expiring once it would be full again.
TAKE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local wait, tokens = 0, {}
for i, key in ipairs(KEYS) do
  local burst, rate = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local bucket = redis.call('HMGET', key, 'tokens', 'at')
  local have = tonumber(bucket[1]) or burst
  local at = tonumber(bucket[2]) or now
  have = math.min(burst, have + math.max(0, now - at) * rate)
  tokens[i] = have
  if have < 1 then wait = math.max(wait, (1 - have) / rate) end
end
if wait > 0 then return tostring(wait) end
for i, key in ipairs(KEYS) do
  local burst, rate = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  redis.call('HSET', key, 'tokens', tostring(tokens[i] - 1), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
end
return '0'
"""
RENEW_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
PENDING = json.dumps({"state": AnswerState.PENDING.value})


class RedisState(SharedState):
    """Shared through Redis (Settings.redis_url), with redis.asyncio (the event loop never
    blocks). Keys start with `prefix`; each expires.

    Redis down: each call logs an error (at most every COMPLAINT_EVERY_S) and uses this
    process's own InProcessState instead. Rate limits therefore fail open to per-process
    limits: refusing every customer because Redis is away would turn a degraded service
    (limits per web server instead of for all of them) into an outage, and the limits exist
    to protect Rasa, which still has them per server. A long button payload made while Redis is
    down is only known to this process; a lock Redis cannot confirm is not held."""

    def __init__(self, url: str, prefix: str = "bespoke:") -> None:
        import redis.asyncio as aioredis  # only the profile with Redis needs it

        self.url = url
        self.prefix = prefix
        self.redis = aioredis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S,
                                             socket_connect_timeout=REDIS_TIMEOUT_S, decode_responses=True)
        self.local = InProcessState()
        self._complained = -COMPLAINT_EVERY_S
        self._take = self.redis.register_script(TAKE_SCRIPT)
        self._renew = self.redis.register_script(RENEW_SCRIPT)
        self._release = self.redis.register_script(RELEASE_SCRIPT)

    async def _or_local(self, what: str, call: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]) -> T:
        from redis.exceptions import RedisError

        try:
            return await call()
        except (RedisError, OSError) as error:
            now = time.monotonic()
            if now - self._complained >= COMPLAINT_EVERY_S:
                self._complained = now
                logger.error("Redis not reachable (%s: %s) for %s: this process uses its own state until it is",
                             type(error).__name__, error, what)
            return await fallback()

    async def ping(self) -> bool:
        """Whether Redis answers (a start-up check; a failure is logged)."""
        async def pong() -> bool:
            return bool(await self.redis.ping())

        async def no() -> bool:
            return False

        return await self._or_local("the start-up check", pong, no)

    async def take(self, limits: Sequence[Limit]) -> float:
        if not limits:
            return 0.0
        keys = [f"{self.prefix}limit:{limit.name}:{limit.key}" for limit in limits]
        args = [str(number) for limit in limits for number in (limit.burst, limit.rate)]

        async def shared() -> float:
            return float(await self._take(keys=keys, args=args))

        return await self._or_local("the rate limits", shared, lambda: self.local.take(limits))

    def _answer_key(self, key: str) -> str:
        return f"{self.prefix}answer:{key}"

    async def claim_answer(self, key: str) -> bool:
        async def shared() -> bool:
            return bool(await self.redis.set(self._answer_key(key), PENDING, nx=True, ex=ANSWER_KEPT_S))

        return await self._or_local("a kept answer", shared, lambda: self.local.claim_answer(key))

    async def answer(self, key: str) -> Tuple[AnswerState, Optional[Replies]]:
        async def shared() -> Tuple[AnswerState, Optional[Replies]]:
            value = await self.redis.get(self._answer_key(key))
            if value is None:
                return AnswerState.ABSENT, None
            kept = json.loads(value)
            return AnswerState(kept["state"]), kept.get("replies")

        return await self._or_local("a kept answer", shared, lambda: self.local.answer(key))

    async def keep_answer(self, key: str, replies: Replies) -> None:
        value = json.dumps({"state": AnswerState.DONE.value, "replies": replies})

        async def shared() -> None:
            await self.redis.set(self._answer_key(key), value, ex=ANSWER_KEPT_S)

        await self._or_local("a kept answer", shared, lambda: self.local.keep_answer(key, replies))

    async def drop_answer(self, key: str) -> None:
        async def shared() -> None:
            await self.redis.delete(self._answer_key(key))

        await self._or_local("a kept answer", shared, lambda: self.local.drop_answer(key))

    async def keep_payload(self, payload: str) -> str:
        # The key is the payload's digest: the same payload always gets the same key.
        digest = hashlib.sha256(payload.encode("utf-8")).digest()[:15]
        key = "h:" + base64.urlsafe_b64encode(digest).decode("ascii")

        async def shared() -> str:
            await self.redis.set(f"{self.prefix}payload:{key}", payload, ex=PAYLOAD_KEPT_S)
            return key

        return await self._or_local("a button payload", shared, lambda: self.local.keep_payload(payload))

    async def payload_for_key(self, key: str) -> Optional[str]:
        if key.startswith("k:"):  # made by this process while Redis was down
            return await self.local.payload_for_key(key)

        async def shared() -> Optional[str]:
            return await self.redis.get(f"{self.prefix}payload:{key}")

        async def unknown() -> Optional[str]:
            return None

        return await self._or_local("a button payload", shared, unknown)

    async def first_time(self, key: str, lifetime_s: float) -> bool:
        async def shared() -> bool:
            return bool(await self.redis.set(f"{self.prefix}seen:{key}", 1, nx=True, ex=max(1, int(lifetime_s))))

        return await self._or_local("the updates seen", shared, lambda: self.local.first_time(key, lifetime_s))

    def _lock_key(self, name: str) -> str:
        return f"{self.prefix}lock:{name}"

    @staticmethod
    async def _not_held() -> bool:
        return False

    async def try_lock(self, name: str, owner: str, lifetime_s: float) -> bool:
        async def shared() -> bool:
            return bool(await self.redis.set(self._lock_key(name), owner, nx=True, px=int(lifetime_s * 1000)))

        return await self._or_local(f"the lock {name}", shared, self._not_held)

    async def renew_lock(self, name: str, owner: str, lifetime_s: float) -> bool:
        async def shared() -> bool:
            return bool(await self._renew(keys=[self._lock_key(name)], args=[owner, int(lifetime_s * 1000)]))

        return await self._or_local(f"the lock {name}", shared, self._not_held)

    async def release_lock(self, name: str, owner: str) -> None:
        async def shared() -> None:
            await self._release(keys=[self._lock_key(name)], args=[owner])

        async def nothing() -> None:
            return None

        await self._or_local(f"the lock {name}", shared, nothing)

    async def close(self) -> None:
        await self.redis.close()
        await self.redis.connection_pool.disconnect()


class LockHolder:
    """Holds the lock `name` of a shared state while one process must be the only one doing
    something (the Telegram poller): `acquire()` waits until the lock is free and takes it,
    `hold()` renews it every third of its lifetime and returns when it is lost, `release()`
    gives it up (the next process takes over within RETRY_S). A process that dies without
    releasing holds it at most `lifetime_s` longer."""

    RETRY_S = 1.0  # how often a waiting process tries to take the lock

    def __init__(self, state: SharedState, name: str, lifetime_s: float, owner: Optional[str] = None) -> None:
        self.state, self.name, self.lifetime_s = state, name, lifetime_s
        self.owner = owner or secrets.token_hex(12)
        self.confirmed = 0.0  # when the lock was last taken or renewed (monotonic)

    async def acquire(self) -> None:
        told = False
        while not await self.state.try_lock(self.name, self.owner, self.lifetime_s):
            if not told:
                logger.info("the lock %s is held by another process (or Redis is away): waiting to take over", self.name)
                told = True
            await asyncio.sleep(min(self.RETRY_S, self.lifetime_s / 3))
        self.confirmed = time.monotonic()
        logger.info("this process holds the lock %s", self.name)

    async def hold(self) -> None:
        """Renew until the lock is lost: taken by another process, or not confirmed for two
        thirds of its lifetime (Redis away: it may expire before Redis is back, so stop first)."""
        every = self.lifetime_s / 3
        while True:
            await asyncio.sleep(every)
            if await self.state.renew_lock(self.name, self.owner, self.lifetime_s):
                self.confirmed = time.monotonic()
            elif time.monotonic() - self.confirmed >= 2 * every:
                logger.error("lost the lock %s (not renewed for %.0f s)", self.name, time.monotonic() - self.confirmed)
                return

    async def release(self) -> None:
        await self.state.release_lock(self.name, self.owner)


def open_shared_state(settings: Settings) -> SharedState:
    """The Redis state when Settings.redis_url is set, else this process's own."""
    return RedisState(settings.redis_url) if settings.redis_url else InProcessState()
