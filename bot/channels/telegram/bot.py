"""python-telegram-bot 22 application forwarding chats to Rasa's REST channel."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import warnings
from datetime import timedelta
from enum import Enum
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Tuple

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    BaseUpdateProcessor,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from tornado.httpserver import HTTPServer

from bot.channels.rasa import RasaClient, RasaError, RasaTimeout, reply_buttons, timeout
from bot.channels.shared_state import LockHolder, SharedState, open_shared_state
from bot.channels.telegram.sender import BOLD, TelegramSendError, send_to_staff_chat, telegram_html
from bot.settings import Settings, SettingsError
from bot.store.conversations import active_takeover
from bot.store.flags import FlagKind
from bot.store.orders import OrderStore

logger = logging.getLogger("bespoke.telegram")

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096
POLLER_LOCK = "telegram-poller"
UPDATE_KEPT_S = 24 * 3600  # Telegram gives up redelivering an update long before this
POLLER_LOCK_S = 15.0  # a poller that dies without a word is replaced after at most this long
# Commands and what each sends to Rasa.
COMMANDS = {"start": "hi", "help": "help", "cancel": "cancel", "status": "my orders"}
APOLOGY_DOWN = "Sorry, I can't reach the shop's assistant right now. Please send your message again in a moment."
APOLOGY_SLOW = "Sorry, the shop's assistant is taking too long to answer. Please send your message again in a moment."
STILL_WORKING = "This is taking a little longer than usual; I'll answer here as soon as I can."
# Rasa answered nothing (an action failed, the action server restarting, a conversation's
# lock not had in time): the customer must not wait for an answer that never comes.
APOLOGY_NO_ANSWER = ("Sorry, something went wrong on our side and that message got no answer. "
                     "Please send it again.")
NO_TEXT_WITH_BUTTONS = "Please choose:"
TYPING_EVERY_S = 4.5  # Telegram shows "typing" for about 5 s
MAX_CONCURRENT_UPDATES = 64  # chats answered side by side
RASA_CONNECT_TIMEOUT_S = 5.0
MAX_SEND_ATTEMPTS = 3  # a message Telegram refuses for flood control is sent again at most twice
# The webhook server (python-telegram-bot's, on tornado) reads a body of up to tornado's
# 100 MB before the handler checks the secret token: anyone who reaches the port could make it
# read and parse 100 MB. An update is a few KB (a message is at most 4096 characters); a
# larger Content-Length is refused (400) before any of it is read.
WEBHOOK_MAX_BODY = 256 * 1024
MAX_RETRY_AFTER_S = 60.0  # a longer flood-control wait is not waited for: staff are told instead


class SendProblem(Enum):
    """Why a reply did not reach a Telegram chat: the reason of the conversation's staff flag."""

    BLOCKED = "Telegram: the customer blocked the bot (or the chat is gone); the bot's replies cannot be delivered"
    FLOOD = "Telegram: flood control kept refusing a reply (HTTP 429); the customer did not get it"
    REFUSED = "Telegram: a reply was refused as a bad request (HTTP 400); the customer did not get it"


def retry_after_s(error: RetryAfter) -> float:
    """The seconds Telegram asked to wait (python-telegram-bot 22 gives an int or a timedelta)."""
    with warnings.catch_warnings():  # the int form is deprecated since 22.2
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def split_text(text: str, limit: int = MAX_TEXT) -> List[str]:
    """Pieces of at most `limit` characters, cut at a line break or space when there is one."""
    pieces: List[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)  # prefer a line break, then a space
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut > 0:
            pieces.append(text[:cut])
            text = text[cut + 1:]  # the line break or space cut at
        else:
            pieces.append(text[:limit])
            text = text[limit:]
    if text or not pieces:
        pieces.append(text)
    return pieces



class OneChatAtATime(BaseUpdateProcessor):
    """Updates of different chats are handled side by side (one slow answer does not hold up
    every other customer); the updates of one chat strictly in the order they came."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._chats: Dict[Any, List[Any]] = {}  # chat id -> [its lock, updates holding or waiting for it]

    async def do_process_update(self, update: object, coroutine: "Awaitable[Any]") -> None:
        chat = getattr(update, "effective_chat", None)
        key = chat.id if chat is not None else None
        entry = self._chats.setdefault(key, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                await coroutine
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del self._chats[key]  # nothing of this chat waiting: forget it

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


async def keyboard(item: Dict[str, Any], shared: SharedState) -> Optional[InlineKeyboardMarkup]:
    """The reply item's buttons as an inline keyboard, one button a row; a payload over
    Telegram's 64 bytes is kept in the shared state under a short key."""
    rows = [[InlineKeyboardButton(button["title"], callback_data=await shared.callback_data(button["payload"]))]
            for button in reply_buttons(item) if button["title"]]
    return InlineKeyboardMarkup(rows) if rows else None


class Bridge:
    def __init__(self, settings: Settings):
        self.settings = settings
        # Waits for Rasa until the late limit: a slow answer is still delivered, late.
        late_limit = max(settings.telegram_rasa_late_limit_s, settings.telegram_rasa_timeout_s)
        self.rasa = RasaClient(settings.rasa_url, settings.rasa_token, timeout(late_limit, RASA_CONNECT_TIMEOUT_S))
        # Long button payloads, the updates already handled (and, with Redis, the one poller's
        # lock) shared by every bridge.
        self.shared = open_shared_state(settings)
        # Long polling with several bridges: only the one holding the lock asks Telegram
        # (two pollers would get 409 Conflict). Webhook mode needs none: Telegram posts to
        # whichever bridge the balancer picks.
        self.poller = LockHolder(self.shared, POLLER_LOCK, POLLER_LOCK_S) \
            if settings.redis_url and not settings.telegram_webhook_url else None
        self._holding: Optional[asyncio.Task] = None
        self.lost_poller_lock = False
        self.unreachable: Set[int] = set()  # chats that refused with 403 (blocked), until they write again
        self.told: Set[Tuple[int, SendProblem]] = set()  # staff heard of these already
        self._store: Optional[OrderStore] = None

    async def post_init(self, application: Application) -> None:
        await self.rasa.open()
        if self.poller is not None:  # before polling starts: wait for this bridge's turn
            await self.poller.acquire()
            self._holding = asyncio.create_task(self.keep_poller_lock(application, self.poller))

    async def keep_poller_lock(self, application: Application, poller: LockHolder) -> None:
        await poller.hold()
        logger.error("another bridge may poll Telegram now: this one stops (its supervisor starts it again)")
        self.lost_poller_lock = True
        application.stop_running()

    async def post_shutdown(self, application: Application) -> None:
        if self._holding is not None:
            self._holding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._holding
        if self.poller is not None and not self.lost_poller_lock:
            await self.poller.release()  # the next bridge takes over at once
        await self.shared.close()
        await self.rasa.close()
        if self._store is not None:
            self._store.dispose()

    def store(self) -> OrderStore:
        """The order store, opened on first use (most bridges never need it)."""
        if self._store is None:
            store = OrderStore(self.settings.database_url)
            store.migrate()
            self._store = store
        return self._store

    def flag_for_staff(self, conversation_id: str, reason: str) -> None:
        """Flag the conversation in the store (the staff console's queue shows it)."""
        self.store().flag_conversation(conversation_id, reason, FlagKind.UNDELIVERED)

    async def taken_over(self, conversation_id: str) -> bool:
        """Staff hold the conversation (Rasa is paused and answers nothing, rightly)."""
        try:
            return await asyncio.to_thread(lambda: active_takeover(self.store(), conversation_id) is not None)
        except Exception:  # the store away: better an apology too many than a customer left waiting
            logger.exception("could not read the takeovers of %s", conversation_id)
            return False

    async def tell_staff(self, chat_id: int, problem: SendProblem, detail: str) -> None:
        """A reply did not reach the chat: the log, a flag on the conversation and, when a staff
        chat is set, a Telegram message to it; staff hear of each problem of a chat once."""
        conversation_id = f"telegram:{chat_id}"
        logger.error("%s: %s (%s)", conversation_id, problem.value, detail)
        if (chat_id, problem) in self.told:
            return
        self.told.add((chat_id, problem))
        try:
            await asyncio.to_thread(self.flag_for_staff, conversation_id, problem.value)
        except Exception:  # the log above still says it
            logger.exception("could not flag %s for staff", conversation_id)
        if self.settings.staff_telegram_chat_id != str(chat_id):  # not the staff chat itself
            try:
                await send_to_staff_chat(f"{conversation_id}: {problem.value} ({detail})", self.settings)
            except TelegramSendError as error:
                logger.error("staff Telegram chat not told (HTTP %s): %s", error.status, error.description)

    async def deliver(self, chat_id: int, send: Callable[..., Awaitable[Any]], params: Dict[str, Any],
                      plain: Optional[Dict[str, Any]] = None) -> bool:
        """`await send(**params)` (a Bot method) until Telegram takes it; True when it did.

        429 (flood control): wait the retry_after Telegram gives and send again, at most
        MAX_SEND_ATTEMPTS times and never longer than MAX_RETRY_AFTER_S. 403 (blocked): the chat
        is marked unreachable, nothing more is sent to it until it writes again. 400 (bad
        request): sent once more with `plain` (the text without formatting) when given, the
        likely cause being the markup. Each way of not getting through is told to staff."""
        if chat_id in self.unreachable:
            return False
        attempts = 0
        while True:
            attempts += 1
            try:
                await send(**params)
                return True
            except RetryAfter as error:
                wait = retry_after_s(error)
                if attempts >= MAX_SEND_ATTEMPTS or wait > MAX_RETRY_AFTER_S:
                    await self.tell_staff(chat_id, SendProblem.FLOOD,
                                          f"{attempts} attempts, last asked to wait {wait:g} s")
                    return False
                logger.warning("Telegram flood control for chat %s: sending again in %g s", chat_id, wait)
                await asyncio.sleep(wait)
            except Forbidden as error:
                self.unreachable.add(chat_id)
                await self.tell_staff(chat_id, SendProblem.BLOCKED, error.message)
                return False
            except BadRequest as error:
                if plain is not None:
                    logger.warning("Telegram refused a reply to chat %s (%s); sending it as plain text",
                                   chat_id, error.message)
                    params, plain = plain, None
                    continue
                await self.tell_staff(chat_id, SendProblem.REFUSED, error.message)
                return False

    async def drop_duplicates(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self.shared.first_time(f"telegram-update:{update.update_id}", UPDATE_KEPT_S):
            logger.info("update %s delivered again; ignored", update.update_id)
            raise ApplicationHandlerStop

    async def keep_typing(self, bot: Bot, chat_id: int) -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)
            await asyncio.sleep(TYPING_EVERY_S)

    async def forward(self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
        chat = update.effective_chat
        user = update.effective_user
        if chat is None or not text.strip():
            return
        if chat.id in self.unreachable:  # it writes again: it no longer blocks the bot
            logger.info("chat %s writes again after a 403; sending to it again", chat.id)
            self.unreachable.discard(chat.id)
            self.told.discard((chat.id, SendProblem.BLOCKED))
        metadata = {
            "first_name": user.first_name if user else None,
            "language": user.language_code if user else None,
        }
        typing = asyncio.create_task(self.keep_typing(context.bot, chat.id))
        asking = asyncio.create_task(self.rasa.send_message(f"telegram:{chat.id}", text, metadata))
        try:
            try:
                replies = await asyncio.wait_for(asyncio.shield(asking), self.settings.telegram_rasa_timeout_s)
            except asyncio.TimeoutError:
                # Rasa is working on it: asking the customer to resend now would have the
                # message handled twice. Say the answer comes late, and wait for it.
                logger.warning("Rasa slow for chat %s; waiting up to %s s", chat.id,
                               self.settings.telegram_rasa_late_limit_s)
                await self.deliver(chat.id, context.bot.send_message, {"chat_id": chat.id, "text": STILL_WORKING})
                replies = await asking
        except RasaTimeout:
            logger.warning("Rasa too slow for chat %s", chat.id)
            replies, apology = None, APOLOGY_SLOW
        except RasaError as exc:  # not reachable, or no reply in its answer
            logger.warning("Rasa not reachable: %s", exc)
            replies, apology = None, APOLOGY_DOWN
        finally:
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await typing
        if replies is None:
            await self.deliver(chat.id, context.bot.send_message, {"chat_id": chat.id, "text": apology})
            return
        if not replies and not await self.taken_over(f"telegram:{chat.id}"):
            # Staff holding the conversation is the one time no answer is right.
            logger.warning("Rasa gave no reply to a message of chat %s", chat.id)
            await self.deliver(chat.id, context.bot.send_message, {"chat_id": chat.id, "text": APOLOGY_NO_ANSWER})
            return
        for item in replies:
            await self.send_item(context.bot, chat.id, item)

    async def send_item(self, bot: Bot, chat_id: int, item: Dict[str, Any]) -> None:
        text = str(item.get("text") or "")
        markup = await keyboard(item, self.shared)
        if text or markup:
            pieces = split_text(text or NO_TEXT_WITH_BUTTONS)
            for index, piece in enumerate(pieces):
                last = index == len(pieces) - 1
                params = {"chat_id": chat_id, "reply_markup": markup if last else None}
                await self.deliver(chat_id, bot.send_message,
                                   {**params, "text": telegram_html(piece), "parse_mode": ParseMode.HTML},
                                   plain={**params, "text": BOLD.sub(r"\1", piece)})
        image = item.get("image")
        if isinstance(image, str) and image.startswith(("http://", "https://")):
            await self.deliver(chat_id, bot.send_photo, {"chat_id": chat_id, "photo": image})

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message and update.effective_message.text:
            await self.forward(update, context, update.effective_message.text)

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        command = (message.text or "").split()[0].lstrip("/").split("@")[0].lower() if message else ""
        await self.forward(update, context, COMMANDS.get(command, "help"))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        try:
            await query.answer()
        except TelegramError as error:  # e.g. too old after a restart: the press still counts
            logger.warning("could not answer a button press: %s", error)
        with contextlib.suppress(TelegramError):
            await query.edit_message_reply_markup(reply_markup=None)
        payload = await self.shared.payload_of(query.data or "")
        if payload is None:  # pressed long after, or after a restart without Redis: the long payload is gone
            if query.message is not None:
                chat_id = query.message.chat.id
                await self.deliver(chat_id, context.bot.send_message, {
                    "chat_id": chat_id, "text": "Sorry, that button has expired. Please type your answer."})
            return
        await self.forward(update, context, payload)

    def build(self) -> Application:
        builder = Application.builder().token(self.settings.telegram_token)
        builder = builder.base_url(self.settings.telegram_api_base_url)
        builder = builder.concurrent_updates(OneChatAtATime(MAX_CONCURRENT_UPDATES))
        application = builder.post_init(self.post_init).post_shutdown(self.post_shutdown).build()
        application.add_handler(TypeHandler(Update, self.drop_duplicates), group=-1)
        application.add_handler(CommandHandler(list(COMMANDS), self.on_command))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.on_text))
        return application


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.channels.telegram", description="Connect the bot to Telegram.")
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"bespoke: {error}", flush=True)
        return 2
    if not settings.telegram_token:
        print("bespoke: TELEGRAM_BOT_TOKEN is not set (get one from @BotFather)", flush=True)
        return 2
    bridge = Bridge(settings)
    application = bridge.build()
    if settings.telegram_webhook_url:
        logger.info("webhook mode: %s -> http://%s:%s/%s", settings.telegram_webhook_url,
                    settings.telegram_webhook_listen, settings.telegram_webhook_port, settings.telegram_webhook_path)
        # python-telegram-bot builds its tornado HTTPServer without arguments: the cap is
        # tornado's configured default for every HTTPServer of this process (the only one).
        HTTPServer.configure(None, max_body_size=WEBHOOK_MAX_BODY)
        application.run_webhook(
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            url_path=settings.telegram_webhook_path,
            webhook_url=settings.telegram_webhook_url,
            secret_token=settings.telegram_webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
        if bridge.lost_poller_lock:
            return 1
    return 0
