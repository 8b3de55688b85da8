"""The web chat's CORS (bot/channels/web/widget.py `cors`): a shop's own site, listed in
BESPOKE_CORS_ORIGINS, may embed the widget and read the API's answers, errors included; any
other origin gets no CORS header and its preflight is refused, so a browser on a foreign page
can neither read an answer nor send the JSON request at all. Only /api/ has CORS."""

from __future__ import annotations

import pytest

from tests.channels.test_web_limits import SENDER_A
from tests.support.fake_rasa import web_app_with_fake_rasa

SHOP = "https://shop.example"
FOREIGN = "https://evil.example"
CORS_HEADERS = ["Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
                "Access-Control-Expose-Headers"]


def preflight(origin: str = SHOP, method: str = "POST") -> dict:
    return {"Origin": origin, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type"}


async def test_the_shops_own_site_can_send_and_read_answers_and_errors():
    async with web_app_with_fake_rasa(cors_origins=(SHOP, "https://www.shop.example"),
                                      web_sender_limit=(1, 0.1)) as (rasa, client):
        answer = await client.post("/api/messages", json={"sender": SENDER_A, "message": "hi"}, headers={"Origin": SHOP})
        assert answer.status == 200
        assert answer.headers["Access-Control-Allow-Origin"] == SHOP  # the one origin, never "*"
        assert answer.headers["Vary"] == "Origin"
        assert "POST" in answer.headers["Access-Control-Allow-Methods"]
        assert answer.headers["Access-Control-Allow-Headers"] == "Content-Type"
        # The widget reads Retry-After of a 429 from the shop's page: exposed.
        limited = await client.post("/api/messages", json={"sender": SENDER_A, "message": "again"},
                                    headers={"Origin": SHOP})
        assert limited.status == 429 and limited.headers["Access-Control-Allow-Origin"] == SHOP
        assert limited.headers["Access-Control-Expose-Headers"] == "Retry-After"
        refused = await client.post("/api/messages", json={"sender": "not a sender", "message": "x"},
                                    headers={"Origin": "https://www.shop.example"})
        assert refused.status == 400 and refused.headers["Access-Control-Allow-Origin"] == "https://www.shop.example"
        history = await client.get("/api/history", params={"sender": SENDER_A}, headers={"Origin": SHOP})
        assert history.headers["Access-Control-Allow-Origin"] == SHOP
        assert [body["message"] for body in rasa.received] == ["hi"]


@pytest.mark.parametrize("path", ["/api/messages", "/api/history"])
async def test_the_shops_preflight_is_allowed_and_a_foreign_one_refused(path):
    async with web_app_with_fake_rasa(cors_origins=(SHOP,)) as (rasa, client):
        allowed = await client.options(path, headers=preflight(SHOP))
        assert allowed.status == 204
        assert allowed.headers["Access-Control-Allow-Origin"] == SHOP
        assert allowed.headers["Access-Control-Allow-Methods"] == "GET, POST"
        assert allowed.headers["Access-Control-Allow-Headers"] == "Content-Type"
        for headers in [preflight(FOREIGN), preflight("null"), preflight(SHOP + ".evil.example"),
                        preflight(SHOP.upper()), {"Access-Control-Request-Method": "POST"}]:
            refused = await client.options(path, headers=headers)
            assert refused.status == 403, headers
            assert not any(name in refused.headers for name in CORS_HEADERS), (headers, dict(refused.headers))
        assert rasa.received == []


async def test_a_foreign_origin_gets_no_cors_header_and_cannot_send_without_asking():
    async with web_app_with_fake_rasa(cors_origins=(SHOP,)) as (rasa, client):
        # Sent anyway (curl, or a JSON POST a browser would have preflighted): answered, but
        # without a header a browser would need to let the foreign page read it.
        sent = await client.post("/api/messages", json={"sender": SENDER_A, "message": "hi"},
                                 headers={"Origin": FOREIGN})
        assert sent.status == 200
        assert not any(name in sent.headers for name in CORS_HEADERS)
        # What a foreign page can send without a preflight (text/plain, a form) never reaches Rasa.
        for content_type in ["text/plain", "application/x-www-form-urlencoded"]:
            simple = await client.post("/api/messages", data='{"sender": "%s", "message": "spam"}' % SENDER_A,
                                       headers={"Origin": FOREIGN, "Content-Type": content_type})
            assert simple.status == 415
        assert [body["message"] for body in rasa.received] == ["hi"]


async def test_no_origin_is_allowed_when_none_is_configured_and_pages_outside_the_api_have_no_cors():
    async with web_app_with_fake_rasa() as (rasa, client):
        refused = await client.options("/api/messages", headers=preflight(SHOP))
        assert refused.status == 403
        plain = await client.post("/api/messages", json={"sender": SENDER_A, "message": "hi"}, headers={"Origin": SHOP})
        assert plain.status == 200 and "Access-Control-Allow-Origin" not in plain.headers
    async with web_app_with_fake_rasa(cors_origins=(SHOP,)) as (rasa, client):
        for path in ["/", "/widget.js", "/health"]:  # a <script> tag needs no CORS; nothing else is for other sites
            page = await client.get(path, headers={"Origin": SHOP})
            assert page.status == 200 and "Access-Control-Allow-Origin" not in page.headers, path
