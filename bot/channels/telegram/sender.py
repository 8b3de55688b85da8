"""The one way Bespoke sends a message to a Telegram chat outside the bridge's own
python-telegram-bot application: what staff write to a Telegram customer, and
`send_to_staff_chat`, everything said to the staff's chat (a new order's notice from
bot/channels/staff_notice.py, a reply the bridge could not deliver). A POST of sendMessage
to the Bot API (TELEGRAM_API_BASE_URL points at another Bot API server, as the tests' fake)."""

from __future__ import annotations

import html
import re
from typing import Optional, Union

import httpx

from bot.settings import Settings

TIMEOUT_S = 10.0
MAX_TEXT = 4096  # Telegram's limit for one message
BOLD = re.compile(r"\*\*([^*\n]+)\*\*")  # the **bold** the bot's texts use (the web chat shows it too)


def telegram_html(text: str) -> str:
    """The bot's text as Telegram HTML: everything escaped, **bold** in <b> tags."""
    return BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


class TelegramSendError(Exception):
    """Telegram did not take the message: `status` is its HTTP status, None when there was
    no answer at all (not reachable, too slow); the message is Telegram's description."""

    def __init__(self, description: str, status: Optional[int] = None) -> None:
        super().__init__(description)
        self.description = description
        self.status = status


class TelegramSender:
    """sendMessage through the shop's bot (its token), one short-lived HTTP client per message."""

    def __init__(self, token: str, api_base_url: str, timeout_s: float = TIMEOUT_S) -> None:
        self.token = token
        self.api_base_url = api_base_url
        self.timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> "TelegramSender":
        return cls(settings.telegram_token, settings.telegram_api_base_url)

    @property
    def configured(self) -> bool:
        """A bot token is set (without one nothing can be sent)."""
        return bool(self.token)

    async def send_message(self, chat_id: Union[int, str], text: str, disable_web_page_preview: bool = False,
                           html_text: bool = False) -> None:
        """Send `text` as is (no formatting), or as the bot's texts are shown (`html_text`:
        **bold** in bold, the rest escaped); TelegramSendError when Telegram did not take it."""
        if not self.token:
            raise TelegramSendError("TELEGRAM_BOT_TOKEN is not set")
        message = {"chat_id": chat_id, "text": telegram_html(text) if html_text else text}
        if html_text:
            message["parse_mode"] = "HTML"
        if disable_web_page_preview:
            message["disable_web_page_preview"] = True
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                response = await client.post(f"{self.api_base_url}{self.token}/sendMessage", json=message)
        except httpx.HTTPError as error:
            raise TelegramSendError(f"Telegram not reachable: {error!r}") from error
        try:
            answer = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        except ValueError:
            answer = {}
        if response.status_code != 200 or not answer.get("ok"):
            raise TelegramSendError(str(answer.get("description") or response.text[:200]), response.status_code)


async def send_to_staff_chat(text: str, settings: Settings) -> bool:
    """Send `text` (cut to Telegram's 4,096 characters, no link previews) to the staff's chat
    (STAFF_TELEGRAM_CHAT_ID, through TELEGRAM_BOT_TOKEN's bot). True when Telegram took it,
    False when no staff chat or token is set; TelegramSendError when Telegram did not take
    it (each caller logs that in its own words and goes on)."""
    if not settings.staff_telegram_chat_id or not settings.telegram_token:
        return False
    await TelegramSender.from_settings(settings).send_message(
        settings.staff_telegram_chat_id, text[:MAX_TEXT], disable_web_page_preview=True)
    return True
