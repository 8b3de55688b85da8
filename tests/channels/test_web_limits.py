"""The web server's rate limits and retries (the widget's part of the app, in front of a fake
Rasa REST channel) with aiohttp's test client."""

from __future__ import annotations

import pytest

from bot.channels.shared_state import TokenBuckets
from bot.settings import Settings, parse_limit
from tests.support.fake_rasa import web_app_with_fake_rasa


SENDER_A = "web:aaaaaaaa-0000-4000-8000-000000000001"
SENDER_B = "web:bbbbbbbb-0000-4000-8000-000000000002"


def test_token_buckets_allow_a_burst_then_the_rate():
    buckets = TokenBuckets(burst=3, rate=0.5)
    for _ in range(3):
        assert buckets.wait("a", now=100.0) == 0
        buckets.take("a", now=100.0)
    assert buckets.wait("a", now=100.0) == pytest.approx(2.0)  # one more every 2 s
    assert buckets.wait("a", now=101.0) == pytest.approx(1.0)
    assert buckets.wait("a", now=102.0) == 0
    assert buckets.wait("b", now=100.0) == 0  # every key has its own
    assert parse_limit("", (20, 1.0)) == (20, 1.0)
    assert parse_limit("10,2", (20, 1.0)) == (10.0, 2.0)
    assert parse_limit("off", (20, 1.0)) is None
    settings = Settings.from_env({"BESPOKE_WEB_LIMIT_SENDER": "5,0.5", "BESPOKE_WEB_LIMIT_ADDRESS": "off"})
    assert (settings.web_sender_limit, settings.web_address_limit) == ((5.0, 0.5), None)
    assert Settings.from_env({}).web_sender_limit == (20, 1.0)


async def test_messages_over_the_limit_get_429_with_retry_after():
    async with web_app_with_fake_rasa(web_sender_limit=(3, 0.2), web_address_limit=(5, 0.2)) as (rasa, client):
        for n in range(3):
            response = await client.post("/api/messages", json={"sender": SENDER_A, "message": f"a{n}"})
            assert response.status == 200
        response = await client.post("/api/messages", json={"sender": SENDER_A, "message": "too many"})
        assert response.status == 429
        assert int(response.headers["Retry-After"]) in (4, 5)  # one message every 5 s
        body = await response.json()
        assert body["error"] == "rate_limited" and "wait" in body["message"]
        assert body["retry_after"] == int(response.headers["Retry-After"])
        # Another conversation from the same address: two more, then the address's limit.
        for n in range(2):
            assert (await client.post("/api/messages", json={"sender": SENDER_B, "message": f"b{n}"})).status == 200
        response = await client.post("/api/messages", json={"sender": SENDER_B, "message": "b2"})
        assert response.status == 429
        # Behind a reverse proxy on this machine, each browser's address counts, not the proxy's.
        proxied = {"X-Forwarded-For": "203.0.113.7"}
        sender_c = "web:cccccccc-0000-4000-8000-000000000003"
        assert (await client.post("/api/messages", json={"sender": sender_c, "message": "c"}, headers=proxied)).status == 200
        assert [body["message"] for body in rasa.received] == ["a0", "a1", "a2", "b0", "b1", "c"]  # refused: not sent


async def test_limits_can_be_off():
    async with web_app_with_fake_rasa(web_sender_limit=None, web_address_limit=None) as (rasa, client):
        for n in range(30):
            assert (await client.post("/api/messages", json={"sender": SENDER_A, "message": f"m{n}"})).status == 200
        assert len(rasa.received) == 30


async def test_a_message_sent_again_with_its_id_reaches_rasa_once_and_the_language_goes_along():
    async with web_app_with_fake_rasa() as (rasa, client):
        message = {"sender": SENDER_A, "message": "hello", "id": "3f2a9c1e-7b7d-4a52-9f00-1c1b2a3d4e5f", "lang": "de"}
        first = await client.post("/api/messages", json=message)
        again = await client.post("/api/messages", json=message)
        assert first.status == again.status == 200
        assert (await first.json())["messages"][0]["text"] == (await again.json())["messages"][0]["text"] == "You said: hello"
        other = await client.post("/api/messages", json={**message, "id": "another-id-0001", "lang": "not a language"})
        assert other.status == 200
        assert [(body["message"], body["metadata"]) for body in rasa.received] == [
            ("hello", {"language": "de"}), ("hello", {})]
        too_long = await client.post("/api/messages", json={"sender": SENDER_A, "message": "x" * 2001})
        assert too_long.status == 413 and (await too_long.json())["limit"] == 2000

