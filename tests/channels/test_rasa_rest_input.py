"""Rasa's REST channel as bot/rasa_server.py runs it: a body that is not a JSON object, or
whose fields are not text, is Sanic's 400 with a clear message (Rasa's own reading gave
500); the message and sender are cleaned; the request size is capped for Sanic. The whole
path against the real Rasa is in tests/e2e/test_e2e_hardening.py."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage, Unauthorized

from bot import rasa_server
from bot.core.limits import MAX_MESSAGE_CHARS, MAX_REQUEST_BYTES


@pytest.fixture(autouse=True)
def patched_rest_input(monkeypatch):
    for name in ("_extract_sender", "_extract_message", "get_metadata"):
        monkeypatch.setattr(RestInput, name, getattr(RestInput, name))  # undone after the test
    monkeypatch.setattr(rasa_server, "_rest_token", "")  # undone after the test
    rasa_server.check_rest_input(TOKEN)


TOKEN = "-t0k-of-this-run"


def request(body, token=TOKEN):
    return SimpleNamespace(json=body, args={} if token is None else {"token": token})


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN[:-1], TOKEN + "x"])
async def test_a_call_without_rasas_token_is_a_401_before_anything_is_read(token):
    """Whoever reaches the port must not speak as any conversation (telegram:<chat id> included)."""
    with pytest.raises(Unauthorized, match=r"needs Rasa's API token") as refused:
        await RestInput()._extract_sender(request({"sender": "telegram:42", "message": "hi"}, token))
    assert refused.value.status_code == 401


async def test_without_a_token_configured_none_is_asked():
    """A plain `rasa run` without --auth-token (bespoke run always has one)."""
    rasa_server.check_rest_input("")
    assert await RestInput()._extract_sender(request({"sender": "me", "message": "hi"}, None)) == "me"


@pytest.mark.parametrize("body", [[], "hi", 42, None, [{"sender": "me", "message": "hi"}], True])
async def test_a_body_that_is_not_an_object_is_a_400(body):
    channel = RestInput()
    with pytest.raises(InvalidUsage, match="must be a JSON object") as refused:
        await channel._extract_sender(request(body))
    assert refused.value.status_code == 400
    with pytest.raises(InvalidUsage):
        channel._extract_message(request(body))


@pytest.mark.parametrize("field, body", [
    ("sender", {"sender": 12, "message": "hi"}),
    ("sender", {"sender": ["me"], "message": "hi"}),
    ("message", {"sender": "me", "message": {"text": "hi"}}),
    ("message", {"sender": "me", "message": 3.5}),
])
async def test_fields_that_are_not_text_are_a_400(field, body):
    channel = RestInput()
    with pytest.raises(InvalidUsage, match=f'"{field}" must be text'):
        await channel._extract_sender(request(body))
        channel._extract_message(request(body))


async def test_metadata_must_be_an_object():
    with pytest.raises(InvalidUsage, match='"metadata" must be a JSON object'):
        RestInput().get_metadata(request({"sender": "me", "message": "hi", "metadata": "x"}))
    assert RestInput().get_metadata(request({"sender": "me", "metadata": {"language": "de"}})) == {"language": "de"}
    dirty = {"first_name": "Ann\ud800\x1b", "list": ["\x00x"], "n": 3}
    assert RestInput().get_metadata(request({"metadata": dirty})) == {"first_name": "Ann\ufffd", "list": ["x"], "n": 3}


async def test_the_message_and_sender_are_cleaned_once_here():
    body = {"sender": "me\ud800", "message": "Anna \ud800\x1b[31m Schmidt\x00\nline two"}
    channel = RestInput()
    assert await channel._extract_sender(request(body)) == "me\ufffd"
    assert channel._extract_message(request(body)) == "Anna \ufffd[31m Schmidt\nline two"


@pytest.mark.parametrize("body", [{"sender": "me"}, {"sender": "me", "message": None}])
def test_a_body_without_a_message_is_a_400(body):
    """Rasa ran its NLU on None and answered 200 with nothing."""
    with pytest.raises(InvalidUsage, match='"message" must be text') as refused:
        RestInput()._extract_message(request(body))
    assert refused.value.status_code == 400


async def test_a_sender_longer_than_the_events_table_holds_is_a_400():
    """PostgreSQL refuses a sender_id over VARCHAR(255) and Rasa keeps the tracker in memory."""
    channel = RestInput()
    assert await channel._extract_sender(request({"sender": "x" * 255, "message": "hi"})) == "x" * 255
    with pytest.raises(InvalidUsage, match="at most 255 characters"):
        await channel._extract_sender(request({"sender": "x" * 256, "message": "hi"}))


def test_the_request_size_is_capped_for_sanic(monkeypatch):
    monkeypatch.setenv("SANIC_REQUEST_MAX_SIZE", "1")  # undone after the test
    rasa_server.cap_request_size()
    assert os.environ["SANIC_REQUEST_MAX_SIZE"] == str(MAX_REQUEST_BYTES)
    from sanic.config import Config

    assert Config().REQUEST_MAX_SIZE == MAX_REQUEST_BYTES  # Sanic reads it when Rasa makes its app
    # A whole message of the longest characters, JSON-escaped, fits.
    assert len(('{"sender": "web:x", "message": "' + "\\ud83d\\ude00" * MAX_MESSAGE_CHARS + '"}').encode()) \
        < MAX_REQUEST_BYTES
