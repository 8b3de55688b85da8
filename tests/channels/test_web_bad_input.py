"""Malformed requests to the web chat's /api/messages: 400, 413 or 415 with a clear message,
never a 500, and the server goes on answering (against a fake Rasa)."""

from __future__ import annotations

import pytest

from bot.core.limits import MAX_REQUEST_BYTES
from tests.channels.test_web_limits import SENDER_A
from tests.support.fake_rasa import silent, web_app_with_fake_rasa


@pytest.mark.parametrize("body", [
    "[" * 30_000 + "]" * 30_000,  # under the size limit, far over Python's recursion limit
    '{"sender": ' + "[" * 20_000 + "]" * 20_000 + "}",
    '{"a":' * 10_000 + "1" + "}" * 10_000,
    "{not json",
    "\udcff\udcfe",  # bytes that are not UTF-8
], ids=["nested-lists", "nested-in-object", "nested-objects", "not-json", "not-utf8"])
async def test_malformed_or_deeply_nested_json_is_a_400(body):
    async with web_app_with_fake_rasa() as (rasa, client):
        response = await client.post("/api/messages", data=body.encode("utf-8", "surrogateescape"),
                                     headers={"Content-Type": "application/json"})
        assert response.status == 400, await response.text()
        assert (await response.json())["error"] == "bad_request"
        assert rasa.received == []
        ok = await client.post("/api/messages", json={"sender": SENDER_A, "message": "hi"})
        assert ok.status == 200


@pytest.mark.parametrize("body", ["[]", '"hi"', "42", "null", '[{"sender": "web:aaaaaaaa1", "message": "hi"}]'],
                         ids=["list", "string", "number", "null", "list-of-object"])
async def test_json_that_is_not_an_object_is_a_400(body):
    async with web_app_with_fake_rasa() as (rasa, client):
        response = await client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
        assert response.status == 400
        assert (await response.json())["message"] == "The request must be a JSON object."


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/jsonp"])
async def test_a_message_that_is_not_sent_as_json_is_a_415_and_never_reaches_rasa(content_type):
    """A foreign page can POST text/plain without a CORS preflight; as JSON only, it must ask first."""
    body = '{"sender": "%s", "message": "hi"}' % SENDER_A
    async with web_app_with_fake_rasa() as (rasa, client):
        headers = {"Content-Type": content_type} if content_type else {}
        response = await client.post("/api/messages", data=body.encode(), headers=headers)
        assert response.status == 415, await response.text()
        assert (await response.json()) == {"error": "unsupported_media_type",
                                           "message": "Send the message as JSON (Content-Type: application/json)."}
        assert rasa.received == []
        charset = await client.post("/api/messages", data=body.encode(),
                                    headers={"Content-Type": "application/json; charset=utf-8"})
        assert charset.status == 200 and len(rasa.received) == 1


async def test_a_body_over_the_request_limit_is_a_413_with_or_without_a_length():
    big = b'{"sender": "web:aaaaaaaa1", "message": "' + b"x" * (2 * 1024 * 1024) + b'"}'

    async def chunks():
        for start in range(0, len(big), 65536):
            yield big[start:start + 65536]

    async with web_app_with_fake_rasa() as (rasa, client):
        sized = await client.post("/api/messages", data=big, headers={"Content-Type": "application/json"})
        assert sized.status == 413
        assert (await sized.json())["limit"] == MAX_REQUEST_BYTES
        chunked = await client.post("/api/messages", data=chunks(), headers={"Content-Type": "application/json"})
        assert chunked.status == 413
        assert rasa.received == []


async def test_a_lone_surrogate_or_control_characters_reach_rasa_cleaned_not_as_a_500():
    body = '{"sender": "%s", "message": "Anna \\ud800 \\u001b[2JSchmidt", "lang": "de"}' % SENDER_A
    async with web_app_with_fake_rasa() as (rasa, client):
        response = await client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
        assert response.status == 200, await response.text()
        assert rasa.received[-1]["message"] == "Anna \ufffd [2JSchmidt"
        assert rasa.received[-1]["metadata"] == {"language": "de"}


@pytest.mark.parametrize("staff_have_it", [False, True])
async def test_no_reply_from_rasa_is_an_apology_with_try_again_unless_staff_have_the_conversation(staff_have_it):
    async def taken_over(sender: str) -> bool:
        return staff_have_it

    async with web_app_with_fake_rasa(silent, taken_over) as (rasa, client):
        message = {"sender": SENDER_A, "message": "32 GB", "id": "message-id-0001"}
        response = await client.post("/api/messages", json=message)
        if staff_have_it:  # paused for staff: no answer from the bot is right
            assert response.status == 200 and (await response.json())["messages"] == []
            return
        assert response.status == 502
        body = await response.json()
        assert body["error"] == "no_answer" and "Please try again" in body["message"]
        again = await client.post("/api/messages", json=message)  # "Try again": the message reaches Rasa again
        assert again.status == 502 and len(rasa.received) == 2
