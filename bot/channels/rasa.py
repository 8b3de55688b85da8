"""The one client for Rasa: its REST channel and its HTTP API (trackers, events, stories),
and the one reading of Rasa's reply items (text, buttons, image).

httpx, as python-telegram-bot uses itself and as the staff notice uses for Telegram: one
HTTP client library for everything Bespoke calls out to (aiohttp only serves). Callers tell
apart what went wrong, because each says something different to its person:
`RasaTimeout` (too slow: "answer comes late", 504), `RasaUnreachable` (no connection: 502,
"send again"), `RasaBadReply` (Rasa answered, but not with what was asked: its status).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional
from urllib.parse import quote

import httpx

from bot.core.limits import clean_json, clean_text

Timeout = Optional[httpx.Timeout]
# The metadata of a customer message given to Rasa again after staff handed the conversation
# back (it was written while staff had it): the widget's history shows the first one only.
PICKED_UP = "picked_up_after_takeover"



class RasaError(Exception):
    """Rasa did not do what was asked."""


class RasaTimeout(RasaError):
    """Rasa did not answer in time."""


class RasaUnreachable(RasaError):
    """No connection to Rasa (not running, restarting, connection refused or reset)."""


class RasaBadReply(RasaError):
    """Rasa answered, but not with what was asked: an HTTP error status or not JSON."""

    def __init__(self, message: str, status: Optional[int] = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body  # the first 300 characters of Rasa's answer, for the log


def timeout(seconds: float, connect_s: Optional[float] = None) -> httpx.Timeout:
    """At most `seconds` for each step of a request (connecting: at most `connect_s`); Rasa
    sends its answer at the end, so the wait for it is about the whole request."""
    return httpx.Timeout(seconds, connect=connect_s if connect_s is not None else seconds)


class RasaClient:
    """Rasa on `base_url` (http://127.0.0.1:<port>) with its API token; one connection pool.

    `async with RasaClient(...) as rasa:` or `open()`/`close()` around its use (in the web
    application's cleanup_ctx, the Telegram application's post_init/post_shutdown). Each call
    takes its caller's timeout; `default_timeout` otherwise."""

    def __init__(self, base_url: str, token: str = "", default_timeout: Optional[httpx.Timeout] = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.default_timeout = default_timeout or timeout(30.0)
        self._http: Optional[httpx.AsyncClient] = None

    async def open(self) -> "RasaClient":
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.default_timeout)
        return self

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> "RasaClient":
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def conversation_url(self, conversation_id: str, tail: str) -> str:
        # Rasa's route takes the id as a path (<conversation_id:path>): ":" may stay as it is.
        return f"{self.base_url}/conversations/{quote(conversation_id, safe=':@')}/{tail}"

    async def _request(self, method: str, url: str, what: str, timeout: Timeout = None, **kwargs: Any) -> httpx.Response:
        if self._http is None:
            raise RuntimeError("RasaClient used before open()")
        try:
            return await self._http.request(method, url, timeout=timeout or self.default_timeout, **kwargs)
        except httpx.TimeoutException as error:
            raise RasaTimeout(f"Rasa did not answer {what} in time ({type(error).__name__})") from error
        except httpx.TransportError as error:
            raise RasaUnreachable(f"Rasa not reachable for {what}: {error!r}") from error

    @staticmethod
    def _check(response: httpx.Response, what: str) -> None:
        if response.status_code != 200:
            raise RasaBadReply(f"Rasa answered {response.status_code} to {what}", response.status_code,
                               response.text[:300])

    @staticmethod
    def _json(response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise RasaBadReply(f"Rasa's answer to {what} is not JSON", response.status_code,
                               response.text[:300]) from None

    async def send_message(self, sender: str, text: str, metadata: Optional[Mapping[str, Any]] = None,
                           timeout: Timeout = None) -> List[Dict[str, Any]]:
        """The customer's message to the REST channel; Rasa's reply items (dicts only).

        The text and metadata are cleaned here, where every channel's messages leave for
        Rasa (bot.core.limits.clean_text): a lone surrogate from a browser's JSON cannot
        even be encoded for the request. Rasa's REST input cleans again for any other caller."""
        what = "a message"
        response = await self._request(
            "POST", f"{self.base_url}/webhooks/rest/webhook", what, timeout, params={"token": self.token},
            json={"sender": clean_text(sender), "message": clean_text(text), "metadata": clean_json(dict(metadata or {}))},
        )
        self._check(response, what)
        replies = self._json(response, what)
        return [item for item in replies if isinstance(item, dict)] if isinstance(replies, list) else []

    async def tracker(self, conversation_id: str, timeout: Timeout = None) -> Optional[Dict[str, Any]]:
        """The conversation's tracker with all its events; None when Rasa has no such conversation."""
        what = "a tracker request"
        response = await self._request(
            "GET", self.conversation_url(conversation_id, "tracker"), what, timeout,
            params={"token": self.token, "include_events": "ALL"},
        )
        if response.status_code == 404:
            return None
        self._check(response, what)
        tracker = self._json(response, what)
        if not isinstance(tracker, dict):
            raise RasaBadReply(f"Rasa's answer to {what} is not a tracker", response.status_code)
        return tracker

    async def append_events(self, conversation_id: str, events: List[Dict[str, Any]], timeout: Timeout = None) -> None:
        """Events added to the end of the conversation's tracker (pause, resume, a staff message)."""
        what = "appending events"
        response = await self._request(
            "POST", self.conversation_url(conversation_id, "tracker/events"), what, timeout,
            params={"token": self.token}, json=events,
        )
        self._check(response, what)

    async def story(self, conversation_id: str, timeout: Timeout = None) -> Optional[str]:
        """The conversation as Rasa test stories (YAML, every session); None when Rasa has no such conversation."""
        what = "a story request"
        response = await self._request(
            "GET", self.conversation_url(conversation_id, "story"), what, timeout,
            params={"token": self.token, "all_sessions": "true"},
        )
        if response.status_code == 404:
            return None
        self._check(response, what)
        return response.text


# ---------------------------------------------------------------------------- reply items


def reply_buttons(item: Mapping[str, Any]) -> List[Dict[str, str]]:
    """The buttons of one reply item (or a bot event's data) as [{"title", "payload"}]; a
    button without a payload sends its title."""
    return [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", b.get("title", "")))}
        for b in item.get("buttons") or [] if isinstance(b, Mapping)
    ]


def reply_image(item: Mapping[str, Any]) -> Optional[str]:
    """The image of one reply item when it is a web address or a path on this site."""
    image = item.get("image")
    return image if isinstance(image, str) and image.startswith(("http://", "https://", "/")) else None


def button_titles(buttons: Iterable[Mapping[str, str]]) -> Dict[str, str]:
    """payload -> title: a customer's message that is a button's payload is shown as its title."""
    return {b["payload"]: b["title"] for b in buttons}
