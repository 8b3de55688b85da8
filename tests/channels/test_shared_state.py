"""What several web servers and Telegram bridges share through Redis (bot/channels/shared_state.py):
two web apps over one redis-server of the test's own share the rate limits and the late
answers; two bridges share long button payloads and the one poller's lock; with Redis down
each process falls back to its own state and no customer sees an error."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import AsyncIterator, Iterator, List

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.shared_state import ANSWER_KEPT_S, InProcessState, Limit, LockHolder, RedisState, SharedState
from bot.channels.telegram.bot import Bridge, keyboard
from bot.local import free_port
from bot.server import create_widget_app
from bot.settings import Settings
from tests.support.fake_rasa import FakeRasa
from tests.support.fake_telegram import BridgeProcess, FakeBotApi
from tests.support.redis_server import own_redis_server

SENDER = "web:aaaaaaaa-0000-4000-8000-000000000001"
OTHER = "web:bbbbbbbb-0000-4000-8000-000000000002"
DEADLINE_S = 20.0


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    with own_redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture
async def redis(redis_url) -> AsyncIterator[str]:
    """The module's redis-server, emptied: no test sees another's keys."""
    client = aioredis.Redis.from_url(redis_url)
    await client.flushdb()
    await client.close()
    yield redis_url


@contextlib.asynccontextmanager
async def web_servers(count: int, **settings) -> AsyncIterator[List[TestClient]]:
    """`count` web apps (bot.server's factory, the same settings), each on its own test server."""
    clients = []
    try:
        for _ in range(count):
            client = TestClient(TestServer(create_widget_app(Settings(**settings)), host="127.0.0.1"))
            await client.start_server()
            clients.append(client)
        yield clients
    finally:
        for client in clients:
            await client.close()


async def test_the_rate_limits_count_across_web_servers(redis, fake_rasa):
    async with web_servers(2, rasa_port=fake_rasa.port, redis_url=redis, web_sender_limit=(3, 0.2),
                           web_address_limit=(5, 0.2)) as (a, b):
        for client, text in [(a, "a0"), (b, "a1"), (a, "a2")]:
            assert (await client.post("/api/messages", json={"sender": SENDER, "message": text})).status == 200
        refused = await b.post("/api/messages", json={"sender": SENDER, "message": "too many"})
        assert refused.status == 429 and int(refused.headers["Retry-After"]) in (4, 5)  # one every 5 s
        assert (await refused.json())["retry_after"] == int(refused.headers["Retry-After"])
        # Another conversation from the same address: the address's two left, counted on both.
        assert (await b.post("/api/messages", json={"sender": OTHER, "message": "b0"})).status == 200
        assert (await a.post("/api/messages", json={"sender": OTHER, "message": "b1"})).status == 200
        assert (await b.post("/api/messages", json={"sender": OTHER, "message": "b2"})).status == 429
    assert fake_rasa.messages() == ["a0", "a1", "a2", "b0", "b1"]  # the refused ones never reached Rasa


async def test_a_late_answer_asked_by_one_server_is_served_by_another(redis, fake_rasa):
    message = {"sender": SENDER, "message": "hello", "id": "3f2a9c1e-7b7d-4a52-9f00-1c1b2a3d4e5f"}
    async with web_servers(2, rasa_port=fake_rasa.port, redis_url=redis, web_rasa_timeout_s=1) as (a, b):
        fake_rasa.hold()
        slow = await a.post("/api/messages", json=message)
        assert slow.status == 504 and (await slow.json())["error"] == "rasa_timeout"
        # The retry reaches the other server while the first still waits for Rasa: it waits
        # for that answer instead of giving Rasa the message again.
        retry = asyncio.ensure_future(b.post("/api/messages", json=message))
        fake_rasa.release()
        answer = await retry
        assert answer.status == 200
        assert [m["text"] for m in (await answer.json())["messages"]] == ["You said: hello"]
        # Once answered it is kept: a retry on either server gets it from the store of answers.
        for client in (a, b):
            again = await client.post("/api/messages", json=message)
            assert [m["text"] for m in (await again.json())["messages"]] == ["You said: hello"]
        kept = await aioredis.Redis.from_url(redis).ttl(f"bespoke:answer:{SENDER}:{message['id']}")
        assert 0 < kept <= ANSWER_KEPT_S
    assert fake_rasa.messages() == ["hello"]


async def test_a_failed_attempt_is_not_kept_and_its_retry_on_another_server_asks_rasa(redis):
    down_port = free_port()  # nothing listens: server A cannot reach Rasa
    message = {"sender": SENDER, "message": "hello", "id": "0a1b2c3d-0000-4000-8000-00000000000a"}
    async with web_servers(1, rasa_port=down_port, redis_url=redis) as (a,):
        assert (await a.post("/api/messages", json=message)).status == 502
    fake = FakeRasa(free_port()).start()
    try:
        async with web_servers(1, rasa_port=fake.port, redis_url=redis) as (b,):
            answer = await b.post("/api/messages", json=message)
            assert answer.status == 200 and fake.messages() == ["hello"]
    finally:
        fake.stop()


@pytest.mark.parametrize("kind", ["in_process", "redis"])
async def test_both_states_count_a_burst_then_the_rate_and_take_every_limit_or_none(kind, redis):
    state: SharedState = InProcessState() if kind == "in_process" else RedisState(redis, prefix=f"test-{kind}:")
    try:
        sender = Limit("sender", "s1", burst=3, rate=0.5)
        address = Limit("address", "1.2.3.4", burst=4, rate=0.5)
        started = time.monotonic()
        assert [await state.take([sender, address]) for _ in range(3)] == [0, 0, 0]
        wait = await state.take([sender, address])
        assert 2.0 - (time.monotonic() - started) - 0.1 <= wait <= 2.0  # one more every 2 s
        # The refused message took nothing: the address has exactly one left.
        assert await state.take([Limit("sender", "s2", 3, 0.5), address]) == 0
        assert await state.take([Limit("sender", "s3", 3, 0.5), address]) > 0
        assert await state.take([]) == 0
    finally:
        await state.close()


async def test_a_long_button_payload_and_an_update_seen_by_one_bridge_are_known_to_another(redis):
    first, second = Bridge(Settings(redis_url=redis)), Bridge(Settings(redis_url=redis))
    try:
        long = '/choose_option{"option":"memory","value":"' + "x" * 80 + '"}'
        markup = await keyboard({"text": "Memory?", "buttons": [{"title": "Lots", "payload": long},
                                                                 {"title": "Yes", "payload": "/affirm"}]}, first.shared)
        assert markup is not None
        data = [row[0].callback_data for row in markup.inline_keyboard]
        assert data[1] == "p:/affirm" and len(data[0].encode()) <= 64
        assert await second.shared.payload_of(data[0]) == long  # the other bridge knows it
        assert await second.shared.callback_data(long) == data[0]  # the same payload, the same key
        assert await second.shared.payload_of("h:AAAAAAAAAAAAAAAAAAAA") is None  # unknown: "expired"
        ttl = await aioredis.Redis.from_url(redis).ttl(f"bespoke:payload:{data[0]}")
        assert ttl > 24 * 3600
        # An update Telegram delivers again, to the other bridge (webhook mode behind a
        # balancer), is handled once.
        assert await first.shared.first_time("telegram-update:77", 60)
        assert not await second.shared.first_time("telegram-update:77", 60)
        assert await second.shared.first_time("telegram-update:78", 60)
    finally:
        await first.shared.close()
        await second.shared.close()


async def test_one_lock_holder_at_a_time_and_the_next_takes_over(redis):
    states = [RedisState(redis), RedisState(redis)]
    try:
        first, second = (LockHolder(state, "poller", lifetime_s=30) for state in states)
        await first.acquire()
        waiting = asyncio.ensure_future(second.acquire())
        assert not await states[1].try_lock("poller", "a third", 30)
        assert not waiting.done()
        assert not await states[1].renew_lock("poller", second.owner, 30)  # not its lock to renew
        await first.release()
        await asyncio.wait_for(waiting, DEADLINE_S)  # takes over within LockHolder.RETRY_S
        assert not await states[0].try_lock("poller", first.owner, 30)
        assert await states[1].renew_lock("poller", second.owner, 30)
    finally:
        for state in states:
            await state.close()


async def test_a_holder_that_dies_loses_the_lock_after_its_lifetime(redis):
    states = [RedisState(redis), RedisState(redis)]
    try:
        dead, next_one = (LockHolder(state, "poller", lifetime_s=0.6) for state in states)
        await dead.acquire()  # and then never renews it: killed
        started = time.monotonic()
        await asyncio.wait_for(next_one.acquire(), DEADLINE_S)
        assert time.monotonic() - started >= 0.3  # not before the dead one's lock expired
        # The dead one, were it only frozen, finds out at its next renewal and stops.
        await asyncio.wait_for(dead.hold(), DEADLINE_S)
        assert await states[1].renew_lock("poller", next_one.owner, 0.6)
    finally:
        for state in states:
            await state.close()


async def test_with_redis_down_each_web_server_falls_back_to_its_own_limits(fake_rasa, caplog):
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    caplog.set_level(logging.ERROR, logger="bespoke.shared")
    message = {"sender": SENDER, "message": "hi", "id": "0a1b2c3d-0000-4000-8000-00000000000b"}
    async with web_servers(1, rasa_port=fake_rasa.port, redis_url=down, web_sender_limit=(2, 0.2)) as (a,):
        # Limits fail open to this server's own: customers are served, not refused for Redis.
        first = await a.post("/api/messages", json=message)
        assert first.status == 200 and (await first.json())["messages"][0]["text"] == "You said: hi"
        again = await a.post("/api/messages", json=message)  # the retry is still answered once
        assert again.status == 200
        assert (await a.post("/api/messages", json={"sender": SENDER, "message": "two"})).status == 200
        refused = await a.post("/api/messages", json={"sender": SENDER, "message": "three"})
        assert refused.status == 429 and (await refused.json())["error"] == "rate_limited"
    assert fake_rasa.messages() == ["hi", "two"]
    assert any("Redis not reachable" in record.getMessage() for record in caplog.records)
    state = RedisState(down)
    try:
        data = await state.callback_data("/choose" + "x" * 80)
        assert data.startswith("k:") and await state.payload_of(data) == "/choose" + "x" * 80  # this process's
        assert not await state.try_lock("poller", "me", 10)  # a lock Redis cannot confirm is not held
    finally:
        await state.close()


def test_only_one_of_two_bridges_polls_telegram_and_the_other_takes_over(redis_url, tmp_path):
    api = FakeBotApi().start()
    rasa = FakeRasa(free_port()).start()
    env = {"REDIS_URL": redis_url}
    first = BridgeProcess(api, rasa.port, tmp_path / "first.log", extra_env=env)
    second = None
    try:
        api.wait_for(lambda: "this process holds the lock telegram-poller" in first.log(), "the first bridge polling", first)
        second = BridgeProcess(api, rasa.port, tmp_path / "second.log", extra_env=env)
        api.wait_for(lambda: "waiting to take over" in second.log(), "the second bridge waiting", second)
        api.push(api.text_update(501, "hello"))
        api.wait_for(lambda: "You said: hello" in api.sent_texts(501), "the first bridge's answer", first)
        assert "this process holds the lock" not in second.log()
        first.stop()  # it releases the lock on the way out
        api.wait_for(lambda: "this process holds the lock telegram-poller" in second.log(),
                     "the second bridge taking over", second)
        api.push(api.text_update(502, "again"))
        api.wait_for(lambda: "You said: again" in api.sent_texts(502), "the second bridge's answer", second)
        assert rasa.messages() == ["hello", "again"]
    finally:
        first.stop()
        if second is not None:
            second.stop()
        rasa.stop()
        api.stop()
