"""One conversation, three channels: the same customer turns over Rasa's REST channel, the
Telegram bridge (against the fake Bot API) and the web chat widget (in Chromium) must give
the same bot texts and store the same order."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

import pytest

from bot.channels.telegram.bot import NO_TEXT_WITH_BUTTONS
from tests.support.services import services_required
from tests.support.fake_telegram import BridgeProcess, FakeBotApi, TelegramUser
from tests.support.browser import CHROMIUM, click_choice, open_shop, say, sender_of

NAME, EMAIL, ADDRESS = "Anna Schmidt", "anna.schmidt@example.com", "Hauptstrasse 12, 10115 Berlin"


@dataclass(frozen=True)
class Turn:
    kind: str  # "say": type the text; "press": press the bot's latest button whose title starts with it
    text: str


# A made-to-measure shirt in free phrasing (several values at once, inches), one button.
SCENARIO = [
    Turn("say", "slim fit linen shirt, button-down collar, neck 15.5 inches"),
    Turn("press", "French"),
    Turn("say", "chest 40 in, waist 34 in"),
    Turn("say", "sleeve 25 in, shirt length 78 cm"),
    Turn("say", "no monogram"),
    Turn("say", "2"),
    Turn("press", "Yes, confirm"),
    Turn("say", NAME),
    Turn("say", EMAIL),
    Turn("say", ADDRESS),
]
EXPECTED_ORDER = {
    "product_id": "tailored_shirt", "kind": "order", "status": "received", "total": "198.00", "currency": "EUR",
    "options": {
        "fabric": "linen_natural", "fit": "slim", "collar": "button_down", "cuffs": "french", "neck": 39.4,
        "chest": 101.6, "waist": 86.4, "sleeve_length": 63.5, "shirt_length": 78, "monogram": None, "quantity": 2,
    },
    "customer_name": NAME, "customer_email": EMAIL, "customer_address": ADDRESS,
}
# Everything about the order that does not depend on the conversation (number, ids, times).
SAME_ON_EVERY_CHANNEL = ("product_id", "product_name", "kind", "status", "options", "option_details",
                         "derived_parts", "price_lines", "total", "currency", "lead_time_days",
                         "customer_name", "customer_email", "customer_address")


def normalised(texts: List[str]) -> List[str]:
    """Bot texts as a reader sees them: **bold** marks and line breaks rendered away, order
    numbers made equal; the prompt Telegram puts above buttons that came without text dropped."""
    result = []
    for text in texts:
        text = " ".join(text.replace("**", "").split())
        text = re.sub(r"BSP-[0-9A-Z]+", "BSP-<number>", text)
        if text and text != NO_TEXT_WITH_BUTTONS:
            result.append(text)
    return result


def check_order(bot, sender: str) -> Dict[str, Any]:
    [order] = bot.orders_of(sender)
    assert {key: order[key] for key in EXPECTED_ORDER} == EXPECTED_ORDER
    return order


# The three drivers: each plays SCENARIO and returns (sender, the bot's texts in order).

def play_rest(bot) -> Tuple[str, List[str]]:
    sender = f"test-shared-{uuid.uuid4().hex[:8]}"
    texts: List[str] = []
    replies: List[Dict[str, Any]] = []
    for turn in SCENARIO:
        if turn.kind == "press":
            buttons = [b for r in replies for b in r.get("buttons", []) if b["title"].startswith(turn.text)]
            assert buttons, f"no button {turn.text!r} in {replies}"
            message = buttons[-1]["payload"]
        else:
            message = turn.text
        replies = bot.say(sender, message)
        texts += [r["text"] for r in replies if r.get("text")]
    return sender, texts


def play_telegram(bot, tmp_path) -> Tuple[str, List[str]]:
    api = FakeBotApi().start()
    bridge = BridgeProcess(api, bot.rasa_port, tmp_path / "telegram.log", rasa_token=bot.token)
    chat_id = 720000 + uuid.uuid4().int % 10000
    try:
        user = TelegramUser(api, bridge, chat_id)
        for turn in SCENARIO:
            getattr(user, turn.kind)(turn.text)
        user.wait_for_text("BSP-")
        # Sent as Telegram HTML: <b> for **bold**, the rest escaped.
        return f"telegram:{chat_id}", [html.unescape(re.sub(r"</?b>", "**", t)) for t in api.sent_texts(chat_id)]
    finally:
        bridge.stop()
        api.stop()


def play_web(bot, page) -> Tuple[str, List[str]]:  # noqa: F811 - the fixture's value
    open_shop(page, bot.web_url)
    for turn in SCENARIO:
        if turn.kind == "press":
            click_choice(page, "^" + re.escape(turn.text))
        else:
            say(page, turn.text)
    return sender_of(page, bot.web_url), page.locator(".bespoke-bot .bespoke-text").all_inner_texts()


@pytest.fixture(scope="module")
def over_rest(bot):
    """The scenario over REST: the transcript the other channels must match."""
    return play_rest(bot)


def test_rest(bot, over_rest):
    sender, texts = over_rest
    order = check_order(bot, sender)
    said = normalised(texts)
    assert len(said) >= len(SCENARIO) and "15.5 in = 39.4 cm" in " ".join(said)
    assert any("Total: €198.00" in text for text in said)
    assert "BSP-<number>" in said[-1] and order["number"] in texts[-1]


def test_telegram_matches_rest(bot, over_rest, tmp_path):
    sender, texts = play_telegram(bot, tmp_path)
    assert sender.startswith("telegram:")
    order = check_order(bot, sender)
    assert order["number"] in texts[-1]
    assert normalised(texts) == normalised(over_rest[1])
    reference = check_order(bot, over_rest[0])
    assert {k: order[k] for k in SAME_ON_EVERY_CHANNEL} == {k: reference[k] for k in SAME_ON_EVERY_CHANNEL}


@pytest.mark.skipif(not CHROMIUM.exists() and not services_required(),
                    reason="Debian's Chromium (/usr/bin/chromium) is not installed")
def test_web_widget_matches_rest(bot, over_rest, page):  # noqa: F811 - the fixture from test_web_widget
    sender, texts = play_web(bot, page)
    assert sender.startswith("web:")
    order = check_order(bot, sender)
    assert order["number"] in texts[-1]
    assert normalised(texts) == normalised(over_rest[1])
    reference = check_order(bot, over_rest[0])
    assert {k: order[k] for k in SAME_ON_EVERY_CHANNEL} == {k: reference[k] for k in SAME_ON_EVERY_CHANNEL}
