"""Delivering the customer's news (bot/store/notices.py) on their channel, from the web
server (which already runs the e-mail sender in the background and always runs beside the
staff console whose changes make most news):

- Telegram: every few seconds, due notices are claimed (a conditional UPDATE: with several
  web servers one sends each), sent through the one Telegram sender (sender.py), added to
  the conversation (a bot event marked NOTICE, so the staff transcript and the history show
  it) and marked delivered; a failure is retried with the e-mail's growing wait; a chat
  Telegram refuses for good (blocked, no such chat: 400, 403) is given up, the error kept.
- The widget: when it asks for the conversation (its history or its periodic check), the
  conversation's notices are taken (each once), added to the conversation as bot messages
  and so shown; while the widget is closed they wait, and its checks are told news is
  waiting (the widget marks its button unread). Not added (Rasa down): given back.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Callable, List, Optional

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.background import in_background
from bot.channels.email import retry_wait
from bot.channels.rasa import RasaClient, RasaError, timeout
from bot.channels.telegram.sender import MAX_TEXT, TelegramSender, TelegramSendError
from bot.channels.web.kit import DELIVER_NOTICES, NEWS_WAITING, RASA
from bot.core.senders import telegram_chat_id
from bot.settings import Settings
from bot.store import notices
from bot.store.db import utcnow
from bot.store.orders import OrderStore

logger = logging.getLogger("bespoke.notices")
NOTICE = "notice"  # the bot event's metadata key: the notice's kind (data, for the transcript)
EVERY_S = 2.0
LEASE = timedelta(minutes=5)
RASA_TIMEOUT_S = 10.0
REFUSED_FOR_GOOD = (400, 403)  # Telegram: no such chat, the customer blocked the bot


def notice_event(notice: notices.Notice) -> dict:
    return {"event": "bot", "text": notice.text,
            "metadata": {NOTICE: notice.kind.value, "order_number": notice.order_number}}


async def add_to_conversation(rasa: RasaClient, notice: notices.Notice) -> None:
    await rasa.append_events(notice.conversation_id, [notice_event(notice)], timeout=timeout(RASA_TIMEOUT_S))


class NoticeSender:
    """The Telegram notices of the store, sent from this web server."""

    def __init__(self, store: OrderStore, telegram: TelegramSender, rasa: Callable[[], RasaClient]) -> None:
        self.store, self.telegram, self.rasa = store, telegram, rasa

    async def deliver_due(self) -> int:
        now = utcnow()
        sent = 0
        for notice in await asyncio.to_thread(notices.due, self.store.sessions, "telegram", now):
            if await asyncio.to_thread(notices.claim, self.store.sessions, notice, now + LEASE):
                sent += await self.deliver(notice)
        return sent

    async def deliver(self, notice: notices.Notice) -> int:
        sessions = self.store.sessions
        chat_id = telegram_chat_id(notice.conversation_id)
        if chat_id is None:
            await asyncio.to_thread(notices.finish, sessions, notice.id, notices.NoticeOutcome.REFUSED,
                                    error="the conversation id has no Telegram chat number")
            return 0
        try:
            await self.telegram.send_message(chat_id, notice.text[:MAX_TEXT], html_text=True)
        except TelegramSendError as error:
            if error.status in REFUSED_FOR_GOOD:
                logger.warning("notice %s to %s refused by Telegram for good: %s", notice.id, notice.conversation_id,
                               error.description)
                await asyncio.to_thread(notices.finish, sessions, notice.id, notices.NoticeOutcome.REFUSED,
                                        error=error.description)
                return 0
            wait = retry_wait(notice.attempts + 1)
            logger.warning("notice %s to %s not sent, attempt %d, again in %s: %s", notice.id, notice.conversation_id,
                           notice.attempts + 1, wait, error.description)
            await asyncio.to_thread(notices.failed, sessions, notice.id, error.description, wait)
            return 0
        await asyncio.to_thread(notices.finish, sessions, notice.id)
        try:  # the customer has it: the transcript shows it when Rasa can be told
            await add_to_conversation(self.rasa(), notice)
        except RasaError as error:
            logger.warning("notice %s sent on Telegram but not added to the transcript: %r", notice.id, error)
        return 1

    async def run(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:  # noqa: BLE001 - the sender outlives a bad moment of the database
                logger.exception("the notice sender could not read or update the notices")
            await asyncio.sleep(EVERY_S)


async def deliver_to_widget(app: web.Application, store: OrderStore, sender: str) -> bool:
    """The web conversation's waiting notices added to it; whether any was."""
    sessions = store.sessions
    try:
        if not await asyncio.to_thread(notices.has_pending, sessions, sender):
            return False
        taken: List[notices.Notice] = await asyncio.to_thread(notices.take_for, sessions, sender)
    except SQLAlchemyError:
        # The store unreachable (or not migrated) stops the news, never the chat: the notices
        # wait in the store for the next check.
        logger.exception("the notices of %s could not be read: the chat goes on without them", sender)
        return False
    added = False
    for notice in taken:
        try:
            await add_to_conversation(app[RASA], notice)
            added = True
        except RasaError as error:
            logger.warning("notice %s not added to %s, kept for the next time: %r", notice.id, sender, error)
            await asyncio.to_thread(notices.failed, sessions, notice.id, repr(error), timedelta(0))
    return added


async def news_waiting(store: OrderStore, sender: str) -> bool:
    """Whether the web conversation has news not shown yet (the closed widget's check)."""
    try:
        return await asyncio.to_thread(notices.has_pending, store.sessions, sender)
    except SQLAlchemyError:
        logger.exception("the notices of %s could not be read: the chat goes on without them", sender)
        return False


SENDER = web.AppKey("notice_sender", NoticeSender)


def setup_notices(app: web.Application, settings: Settings, store: OrderStore,
                  telegram: Optional[TelegramSender] = None) -> None:
    """The widget's delivery, and the Telegram sender in the background when a bot token is set."""
    async def deliver(sender: str) -> bool:
        return await deliver_to_widget(app, store, sender)

    async def waiting(sender: str) -> bool:
        return await news_waiting(store, sender)

    app[DELIVER_NOTICES] = deliver
    app[NEWS_WAITING] = waiting
    telegram = telegram or TelegramSender.from_settings(settings)
    app[SENDER] = NoticeSender(store, telegram, lambda: app[RASA])
    if telegram.configured:
        app.cleanup_ctx.append(in_background(SENDER))
