"""The Redis lock store: one conversation's turns one at a time, across processes, through
dead holders and Redis restarts, on the session's own redis-server (tests/support/redis_server.py)."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import time
import traceback
import uuid

import pytest
import redis
import yaml
from rasa.core.lock_store import LockError, LockStore, RedisLockStore
from rasa.core.utils import AvailableEndpoints, _lock_store_is_multi_worker_compatible

from bot.scale.lock_store import AtomicRedisLockStore, lock_store_endpoint

# fork: a child starts in milliseconds with Rasa already imported (a spawned one imports it
# again, about 4 s of CPU each).
FORK = multiprocessing.get_context("fork")
PROCESSES, MESSAGES = 8, 25
RUN_LIMIT = 60.0  # seconds for the many-process run (it takes about one)


def new_prefix() -> str:
    return f"h3test{uuid.uuid4().hex[:10]}"


def keys_of(server, prefix: str) -> dict:
    client = redis.Redis(port=server.port)
    try:
        return {key.decode(): client.pttl(key) for key in client.scan_iter(f"{prefix}:*")}
    finally:
        client.close()


def wait_until(condition, limit: float, what: str) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {limit} s: {what}")
        time.sleep(0.005)


async def test_rasa_builds_it_from_endpoints_yml_with_the_url_from_the_environment(redis_up, tmp_path, monkeypatch):
    prefix = new_prefix()
    monkeypatch.setenv("H3_TEST_REDIS_URL", redis_up.url)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump({"lock_store": lock_store_endpoint("${H3_TEST_REDIS_URL}", prefix)}))

    config = AvailableEndpoints.read_endpoints(str(endpoints)).lock_store
    store = LockStore.create(config)

    assert isinstance(store, AtomicRedisLockStore)
    assert store.key_prefix == prefix and store.address == f"127.0.0.1:{redis_up.port}/0"
    assert _lock_store_is_multi_worker_compatible(config)  # Rasa lets SANIC_WORKERS > 1 run on it
    async with store.lock("builds") as lock:
        assert lock.conversation_id == "builds" and lock.tickets[0].number == 1
        assert f"{prefix}:lock:{{builds}}:queue" in keys_of(redis_up, prefix)
    await store.close()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"url": "redis://localhost", "key_prefix": "a b"}, "key_prefix 'a b'"),
        ({"url": "redis://localhost", "tls": True}, "unknown option(s) tls"),
        ({"url": "http://localhost"}, "scheme 'http'"),
        ({"url": "redis://localhost", "use_ssl": True}, "write rediss://"),
    ],
)
def test_a_wrong_endpoint_config_is_refused_with_its_reason(options, message):
    with pytest.raises(ValueError) as refused:
        AtomicRedisLockStore(**options)
    assert message in str(refused.value)


async def test_rasas_own_keys_work_and_an_unreachable_redis_is_a_lock_error_without_the_password(redis_up):
    # Rasa's `redis` lock store style: `url` is a host name, port and db apart.
    store = AtomicRedisLockStore(url="127.0.0.1", port=str(redis_up.port), db=2, key_prefix=new_prefix())
    async with store.lock("host-style") as lock:
        assert lock.tickets[0].number == 1
    await store.close()

    closed = AtomicRedisLockStore(url="redis://:s3cret@127.0.0.1:1/0", socket_timeout=2)
    ran = False
    with pytest.raises(LockError) as failed:
        async with closed.lock("nowhere"):
            ran = True
    assert not ran
    assert "Could not take a ticket for conversation 'nowhere': Redis at 127.0.0.1:1/0 failed" in str(failed.value)
    assert "s3cret" not in str(failed.value)


async def test_rasas_redis_lock_store_lets_two_servers_hold_one_conversation(redis_up):
    """rasa#9213, step by step: RedisLockStore.issue_ticket reads the lock, adds a ticket in
    Python and writes it back. Two servers that read before either writes both get ticket 0,
    and Rasa's own _acquire_lock lets both in."""
    prefix = new_prefix()
    server_a, server_b = (RedisLockStore(port=redis_up.port, db=0, key_prefix=prefix) for _ in range(2))
    conversation = "race"

    lock_a = server_a.get_or_create_lock(conversation)  # each server's issue_ticket, interleaved
    lock_b = server_b.get_or_create_lock(conversation)
    ticket_a, ticket_b = lock_a.issue_ticket(60), lock_b.issue_ticket(60)
    server_a.save_lock(lock_a)
    server_b.save_lock(lock_b)

    held_by_a = await server_a._acquire_lock(conversation, ticket_a, 0.01)
    held_by_b = await server_b._acquire_lock(conversation, ticket_b, 0.01)
    assert ticket_a == ticket_b == 0 and held_by_a and held_by_b  # two holders at once
    server_a.delete_lock(conversation)


async def test_two_servers_taking_one_conversation_at_the_same_moment_take_turns(redis_up):
    prefix = new_prefix()
    server_a, server_b = (AtomicRedisLockStore(url=redis_up.url, key_prefix=prefix) for _ in range(2))
    conversation = "race"
    holding, log = set(), []
    overlap = []

    async def turn(server, name):
        async with server.lock(conversation, wait_time_in_seconds=0.2) as lock:
            if holding:
                overlap.append((name, set(holding)))
            holding.add(name)
            log.append((name, lock.tickets[0].number))
            await asyncio.sleep(0.05)  # the turn's work, so the other one has to wait
            holding.discard(name)

    await asyncio.gather(*(turn(server, f"{index}") for index in range(10) for server in (server_a, server_b)))
    assert not overlap
    assert [number for _, number in log] == list(range(1, 21))
    await server_a.close()
    await server_b.close()


def _process_messages(url: str, prefix: str, conversation: str, worker: int, start) -> None:
    """One 'Rasa server' of the many-process test: MESSAGES turns of one conversation, each
    checking that nobody else is inside and logging (ticket, worker, message)."""

    async def run() -> None:
        from redis.asyncio import Redis

        store = AtomicRedisLockStore(url=url, key_prefix=prefix)
        client = Redis.from_url(url)
        me = f"worker {worker}"
        for message in range(MESSAGES):
            async with store.lock(conversation, wait_time_in_seconds=0.5) as lock:
                if not await client.set(f"{prefix}:inside", me, nx=True):
                    await client.rpush(f"{prefix}:overlaps", f"{me} entered beside {await client.get(f'{prefix}:inside')}")
                await client.rpush(f"{prefix}:processed", f"{lock.tickets[0].number} {worker} {message}")
                await asyncio.sleep(0)
                if await client.get(f"{prefix}:inside") != me.encode():
                    await client.rpush(f"{prefix}:overlaps", f"{me} found someone else inside")
                await client.delete(f"{prefix}:inside")
        await store.close()
        await client.close()

    try:
        start.wait(RUN_LIMIT)
        asyncio.run(run())
    except BaseException:
        redis.Redis.from_url(url).rpush(f"{prefix}:errors", traceback.format_exc())
        raise


def test_many_processes_process_every_message_of_one_conversation_once_one_at_a_time_in_ticket_order(redis_up):
    prefix = new_prefix()
    start = FORK.Barrier(PROCESSES)
    workers = [
        FORK.Process(target=_process_messages, args=(redis_up.url, prefix, "busy", worker, start))
        for worker in range(PROCESSES)
    ]
    began, cpu = time.monotonic(), time.process_time()
    for process in workers:
        process.start()
    for process in workers:
        process.join(max(0.1, RUN_LIMIT - (time.monotonic() - began)))
    stuck = [process for process in workers if process.is_alive()]
    for process in stuck:
        process.kill()
        process.join()
    client = redis.Redis(port=redis_up.port)
    errors = [error.decode() for error in client.lrange(f"{prefix}:errors", 0, -1)]
    assert not stuck and not errors and all(process.exitcode == 0 for process in workers), errors

    processed = [tuple(map(int, line.split())) for line in client.lrange(f"{prefix}:processed", 0, -1)]
    assert client.lrange(f"{prefix}:overlaps", 0, -1) == []  # one at a time
    assert sorted((worker, message) for _, worker, message in processed) == sorted(
        (worker, message) for worker in range(PROCESSES) for message in range(MESSAGES)
    )  # every message exactly once
    tickets = [ticket for ticket, _, _ in processed]
    assert tickets == list(range(1, PROCESSES * MESSAGES + 1))  # in ticket (arrival) order
    left = keys_of(redis_up, prefix)
    assert set(left) == {f"{prefix}:lock:{{busy}}:counter", f"{prefix}:processed"}, left
    assert 0 < left[f"{prefix}:lock:{{busy}}:counter"] <= 60_000  # it expires after the lifetime
    print(f"{PROCESSES}x{MESSAGES} turns: {time.monotonic() - began:.2f} s wall, parent CPU {time.process_time() - cpu:.2f} s")
    client.close()


def _hold_until_killed(url: str, prefix: str, conversation: str, lifetime: float, signal_key: str) -> None:
    async def run() -> None:
        store = AtomicRedisLockStore(url=url, key_prefix=prefix)
        async with store.lock(conversation, lock_lifetime=lifetime, wait_time_in_seconds=0.05):
            redis.Redis.from_url(url).set(signal_key, "inside")
            await asyncio.Event().wait()  # a turn that never ends: the test kills the process

    asyncio.run(run())


LIFETIME = 3.0  # seconds: room for a loaded machine between the steps that read it


def deadline_of_first_ticket(client, prefix: str, conversation: str) -> float:
    """The deadline (Redis clock, seconds) of the first ticket in the conversation's queue."""
    [(_, deadline_ms)] = client.zrange(f"{prefix}:lock:{{{conversation}}}:deadlines", 0, 0, withscores=True)
    return deadline_ms / 1000


def test_a_holder_killed_mid_turn_blocks_the_conversation_only_until_its_lifetime_ends(redis_up):
    prefix, conversation = new_prefix(), "dead-holder"
    signal_key = f"{prefix}:signal"
    holder = FORK.Process(target=_hold_until_killed, args=(redis_up.url, prefix, conversation, LIFETIME, signal_key))
    holder.start()
    client = redis.Redis(port=redis_up.port)
    wait_until(lambda: client.get(signal_key) == b"inside", 20, "the holder took the lock")
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(10)
    ttls = keys_of(redis_up, prefix)
    assert all(0 < ttls[key] <= LIFETIME * 1000 for key in ttls if ":lock:" in key), ttls
    dead_deadline = deadline_of_first_ticket(client, prefix, conversation)

    async def next_turn() -> float:
        store = AtomicRedisLockStore(url=redis_up.url, key_prefix=prefix)
        async with store.lock(conversation, lock_lifetime=LIFETIME, wait_time_in_seconds=0.05) as lock:
            assert lock.tickets[0].number == 2
            began = lock.tickets[0].expires - LIFETIME  # Redis's clock
        await store.close()
        return began

    began = asyncio.run(next_turn())
    # Blocked by the dead holder's ticket, and only until its lifetime ended (plus a check's
    # interval and a generous allowance for a loaded machine).
    assert dead_deadline <= began < dead_deadline + 2, (began, dead_deadline)
    wait_until(lambda: set(keys_of(redis_up, prefix)) <= {f"{prefix}:lock:{{dead-holder}}:counter", signal_key},
               LIFETIME + 1, "the dead holder's keys are gone")
    client.close()


def _wait_until_killed(url: str, prefix: str, conversation: str, lifetime: float) -> None:
    async def run() -> None:
        store = AtomicRedisLockStore(url=url, key_prefix=prefix)
        async with store.lock(conversation, lock_lifetime=lifetime, wait_time_in_seconds=0.05):
            raise AssertionError("the killed waiter's turn came")

    asyncio.run(run())


async def test_a_waiter_killed_in_the_queue_delays_the_next_turn_by_at_most_one_lifetime(redis_up):
    prefix, conversation = new_prefix(), "dead-waiter"
    store = AtomicRedisLockStore(url=redis_up.url, key_prefix=prefix)
    client = redis.Redis(port=redis_up.port)
    queue = f"{prefix}:lock:{{{conversation}}}:queue"
    async with store.lock(conversation, lock_lifetime=LIFETIME * 4):
        waiter = FORK.Process(target=_wait_until_killed, args=(redis_up.url, prefix, conversation, LIFETIME))
        waiter.start()
        deadline = time.monotonic() + 20
        while client.zcard(queue) < 2:
            assert time.monotonic() < deadline, "the waiter did not queue"
            await asyncio.sleep(0.005)
        os.kill(waiter.pid, signal.SIGKILL)
        waiter.join(10)
    dead_deadline = deadline_of_first_ticket(client, prefix, conversation)  # the waiter's, now first
    async with store.lock(conversation, lock_lifetime=LIFETIME, wait_time_in_seconds=0.05) as lock:
        assert lock.tickets[0].number == 3
        began = lock.tickets[0].expires - LIFETIME
    assert dead_deadline <= began < dead_deadline + 2, (began, dead_deadline)
    await store.close()
    client.close()


async def test_a_cancelled_waiter_is_cancelled_at_once_and_leaves_no_ticket_behind(redis_up):
    """Cancelled at every stage (before its ticket, while taking it, while waiting): redis-py
    4.6 cancelled inside a command could lose the cancellation and wait for the turn."""
    prefix = new_prefix()
    store = AtomicRedisLockStore(url=redis_up.url, key_prefix=prefix)
    client = redis.Redis(port=redis_up.port)
    queue = f"{prefix}:lock:{{cancelled}}:queue"

    async def waiter():
        async with store.lock("cancelled"):
            raise AssertionError("the cancelled waiter's turn came")

    for delay in [0, 0.0005, 0.001, 0.002, 0.005, None] * 4:  # None: once its ticket is queued
        async with store.lock("cancelled"):
            waiting = asyncio.create_task(waiter())
            if delay is None:
                while client.zcard(queue) < 2:
                    await asyncio.sleep(0.001)
            else:
                await asyncio.sleep(delay)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(waiting, 5)
            assert client.zcard(queue) == 1  # only the holder's
    assert set(keys_of(redis_up, prefix)) == {f"{prefix}:lock:{{cancelled}}:counter"}
    await store.close()
    client.close()


async def test_a_live_waiter_keeps_its_place_longer_than_the_lifetime(redis_up, caplog):
    store = AtomicRedisLockStore(url=redis_up.url, key_prefix=new_prefix())
    inside, order = [], []

    async def turn(number):
        async with store.lock("long-queue", lock_lifetime=1.0, wait_time_in_seconds=0.05):
            inside.append(number)
            assert len(inside) == 1
            order.append(number)
            await asyncio.sleep(0.4)  # the turn's work: three turns take 1.2 s, the lifetime is 1 s
            inside.remove(number)

    began = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="bot.scale.lock_store"):
        await asyncio.gather(*(turn(number) for number in range(3)))
    assert time.monotonic() - began > 1.15
    assert order == [0, 1, 2] and not caplog.records
    await store.close()


async def test_a_turn_longer_than_the_lifetime_loses_the_lock_and_says_so(redis_up, caplog):
    store = AtomicRedisLockStore(url=redis_up.url, key_prefix=new_prefix())
    with caplog.at_level(logging.WARNING, logger="bot.scale.lock_store"):
        async with store.lock("slow", lock_lifetime=0.2, wait_time_in_seconds=0.05):
            async with store.lock("slow", lock_lifetime=0.2, wait_time_in_seconds=0.05) as second:
                assert second.tickets[0].number == 2  # the first turn's ticket expired
    assert "Ticket 1 of conversation 'slow' expired before its turn ended (lifetime 0.2 s)" in caplog.text
    await store.close()


async def test_a_redis_restart_gives_lock_errors_then_works_again(redis_up, caplog):
    prefix = new_prefix()
    store = AtomicRedisLockStore(url=redis_up.url, key_prefix=prefix, socket_timeout=3)
    async with store.lock("restart") as lock:
        assert lock.tickets[0].number == 1

    holding = asyncio.Event()

    async def holder():
        async with store.lock("restart", wait_time_in_seconds=0.05):
            holding.set()
            await asyncio.sleep(3600)  # cancelled below

    async def waiter():
        await holding.wait()
        async with store.lock("restart", wait_time_in_seconds=0.05):
            raise AssertionError("the waiter got a turn while the holder held it")

    held, waiting = asyncio.create_task(holder()), asyncio.create_task(waiter())
    await holding.wait()
    queue = f"{prefix}:lock:{{restart}}:queue"
    client = redis.Redis(port=redis_up.port)
    while client.zcard(queue) < 2:
        await asyncio.sleep(0.005)
    client.close()
    cpu = time.process_time()
    redis_up.stop()
    with pytest.raises(LockError) as failed:
        await asyncio.wait_for(waiting, 5)
    assert "Could not acquire lock for conversation 'restart': Redis at" in str(failed.value)
    with caplog.at_level(logging.ERROR, logger="bot.scale.lock_store"):
        held.cancel()
        with pytest.raises(asyncio.CancelledError):
            await held
    assert "Could not release ticket 2 of conversation 'restart'" in caplog.text
    with pytest.raises(LockError, match="Could not take a ticket for conversation 'restart'"):
        async with store.lock("restart"):
            pass

    redis_up.start()  # empty: no tickets, no scripts (EVALSHA answers NOSCRIPT, the script is loaded again)
    async with store.lock("restart") as lock:
        assert lock.tickets[0].number == 1
    print(f"outage handled in {time.process_time() - cpu:.3f} s CPU")
    await store.close()
