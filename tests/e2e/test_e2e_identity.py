"""One customer across channels and news pushed, against the real servers (Rasa, the
action server, the web server; the Telegram bridge on the fake Bot API): an order begun on
Telegram continued and placed on the web with a link code, "my orders" listing it on both;
a wrong, expired, reused and own code refused, tries limited; a status change shown by the
widget's next check."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Iterator

import pytest
import requests

from bot.local import BotServers
from bot.settings import Settings
from bot.store import links, notices
from bot.store.db import utcnow
from bot.store.orders import OrderStore
from tests.channels.test_telegram import say_and_wait, say_and_wait_for, telegram  # noqa: F401 - the bridge fixture
from tests.support.replies import texts

CODE = re.compile(r"Your code is \*\*([A-Z0-9]{4}-[A-Z0-9]{4})\*\*")
TELEGRAM_CODE = re.compile(r"Your code is <b>([A-Z0-9]{4}-[A-Z0-9]{4})</b>")
CONTACT = ["Anna Schmidt", "anna.schmidt@example.com", "Hauptstrasse 12, 10115 Berlin"]


@pytest.fixture
def store(bot: BotServers):
    order_store = OrderStore(Settings.from_env(bot.env).database_url)
    yield order_store
    order_store.dispose()


def web_say(bot: BotServers, sender: str, text: str) -> list:
    response = requests.post(f"{bot.web_url}/api/messages", json={"sender": sender, "message": text}, timeout=180)
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def joined(messages: list) -> str:
    return "\n".join(message["text"] for message in messages)


def test_an_order_begun_on_telegram_is_placed_on_the_web(bot, telegram):  # noqa: F811
    api, bridge = telegram
    chat_id = 880001
    # Each reply read whole before the next message (the first is several messages: what suits
    # gaming, then the question).
    say_and_wait_for(api, bridge, chat_id, "I need a gaming PC", "(1/6)")
    say_and_wait_for(api, bridge, chat_id, "the 7800X3D", "(2/6)")
    replies = say_and_wait_for(api, bridge, chat_id, "continue on the web", "(2/6)")  # the code, the question again
    [offer] = [reply for reply in replies if TELEGRAM_CODE.search(reply["text"])]
    code = TELEGRAM_CODE.search(offer["text"]).group(1)
    assert "works once, for 10 minutes" in offer["text"]

    web = f"web:{uuid.uuid4().hex[:16]}"
    linked = web_say(bot, web, f"link {code}")
    assert "Linked: this chat and your conversation on Telegram are one now." in joined(linked)
    assert "unfinished Custom PC order" in joined(linked)
    assert [b["title"] for b in linked[-1]["buttons"]] == ["Continue", "Start over"]
    resumed = web_say(bot, web, "/resume_order")
    assert "Let's continue your Custom PC" in joined(resumed)
    for answer in ["32 GB DDR5", "2TB SSD", "RTX 4070 Super", "mid tower", "win 11"]:
        summary = web_say(bot, web, answer)
    assert "CPU: AMD Ryzen 7 7800X3D" in joined(summary) or "7800X3D" in joined(summary)  # carried from Telegram
    for answer in ["yes", *CONTACT]:
        done = web_say(bot, web, answer)
    [order] = bot.orders_of(web)
    assert order["number"] in joined(done) and order["options"]["cpu"]

    listed = say_and_wait(api, bridge, chat_id, "my orders", 1)[0]  # on Telegram: the order placed on the web
    assert order["number"] in listed["text"]
    assert order["number"] in joined(web_say(bot, web, "my orders"))
    assert bot.orders_of(f"telegram:{chat_id}") == []


def test_wrong_expired_reused_and_own_codes_link_nothing(bot, store):
    shower, sender = f"test-link-a-{uuid.uuid4().hex[:8]}", f"test-link-b-{uuid.uuid4().hex[:8]}"
    code = CODE.search(texts(bot.say(shower, "link my chat"))).group(1)
    assert "for this chat" in texts(bot.say(shower, f"link {code}"))
    wrong = ("2" if code[0] != "2" else "3") + code[1:]
    assert "doesn't match any link code" in texts(bot.say(sender, f"link {wrong}"))
    assert "Linked" in texts(bot.say(sender, f"link {code}"))
    third = f"test-link-c-{uuid.uuid4().hex[:8]}"
    assert "already been used" in texts(bot.say(third, f"link {code}"))
    old = links.new_code(store.sessions, shower, now=utcnow() - timedelta(minutes=11))
    assert "has expired" in texts(bot.say(third, f"link {old}"))
    assert links.conversations_of(store.sessions, third) == [third]
    assert sorted(links.conversations_of(store.sessions, sender)) == sorted([sender, shower])


def test_guessing_is_limited(bot):
    guesser = f"test-link-g-{uuid.uuid4().hex[:8]}"
    answers = [texts(bot.say(guesser, f"link {n}ABC-DEFG")) for n in range(2, 8)]
    assert all("doesn't match" in answer for answer in answers[:5])
    assert "Too many codes tried just now. Please wait 2 minutes" in answers[5]


def test_a_status_change_reaches_the_widget(bot, store):
    web = f"web:{uuid.uuid4().hex[:16]}"
    for text in ["I need a gaming PC", "the 7800X3D", "32 GB DDR5", "2TB SSD", "RTX 4070 Super", "mid tower", "win 11",
                 "yes", *CONTACT]:
        web_say(bot, web, text)
    [order] = bot.orders_of(web)
    store.change_status(order["number"], "confirmed", "Grace", "parts ordered")
    poll = requests.get(f"{bot.web_url}/api/history", params={"sender": web, "poll": "1"}, timeout=60).json()
    assert poll["messages"][-1]["text"] == (f"News about your order **{order['number']}**: it is now confirmed.\n"
                                            "Note from the shop: parts ordered")
    again = requests.get(f"{bot.web_url}/api/history", params={"sender": web, "poll": "1"}, timeout=60).json()
    assert again["messages"] is None
    assert [n["outcome"] for n in notices.notices_for(store.sessions, web)] == ["delivered"]


# However the code is typed, and wherever the chat stands, it links: the intent model read
# random codes as nlu_fallback, inform, affirm or chitchat, and beside a word as that word's
# intent (a greeting, thanks, goodbye), so rules sent them to the product list or a goodbye;
# a code in a message now makes it link_channel (bot/nlu.py LinkCodeIntent). In the middle of
# an order the forms link and ask their question again (actions/kit.py link_in_order).
PHRASINGS = ["link {}", "{}", "my code is {}", "here's the code from telegram: {}", "hi, {}", "code {} please",
             "I'd like to link my chats, {}", "{} is the code", "link {} thanks", "Link  {}", "ok {}", "bye {}",
             "continue {}", "thanks! {}"]
PC_TO_CONTACT = ["I need a gaming PC", "the 7800X3D, 32 GB DDR5, 2TB SSD, RTX 4070 Super, mid tower, win 11", "yes"]
# (what the customer said before, the phrasing, the question asked again after "Linked",
# its answer and how the bot says it back)
IN_AN_ORDER = [
    (["I'd like to order something"], "link {}", None, None),  # at "Which product?"
    (["I'd like to order something"], "{}", None, None),
    (["I need a gaming PC", "the 7800X3D"], "link {}", "How much memory (RAM) would you like?",
     ("32 GB DDR5", "Memory: 32 GB DDR5")),
    (["a shirt please"], "my code is {}", "Which fabric would you like?", ("oxford", "Fabric: Oxford cotton, white")),
    (PC_TO_CONTACT, "{}", "What name should go on the order?", ("Anna Schmidt", "Thanks, Anna Schmidt")),
]


@pytest.fixture(scope="module")
def linker(trained_model, tmp_path_factory) -> Iterator[BotServers]:
    """Servers of their own: the link tries across all conversations are limited (20 at
    once), and this test spends 19 of them."""
    servers = BotServers(tmp_path_factory.mktemp("linker")).start()
    try:
        yield servers
    finally:
        servers.stop()


def test_a_code_links_however_it_is_typed_wherever_the_chat_is(linker):
    linker_store = OrderStore(Settings.from_env(linker.env).database_url)
    cases = [([], phrasing, None, None) for phrasing in PHRASINGS] + IN_AN_ORDER
    try:
        for n, (before, phrasing, asked_again, answer) in enumerate(cases):
            shower, typer = f"test-show-{n}-{uuid.uuid4().hex[:8]}", f"test-type-{n}-{uuid.uuid4().hex[:8]}"
            code = links.new_code(linker_store.sessions, shower)
            shown = code if n % 3 else code.lower()  # typed as shown, or in lower case
            for text in before:
                linker.say(typer, text)
            reply = texts(linker.say(typer, phrasing.format(shown)))
            assert "Linked: this chat and your conversation on the other chat are one now." in reply, (phrasing, code, reply)
            assert sorted(links.conversations_of(linker_store.sessions, typer)) == sorted([typer, shower])
            if asked_again is not None:  # the order goes on: the question again, and its answer taken
                assert asked_again in reply.splitlines()[-1] and "not one of our" not in reply, reply
                assert answer[1] in texts(linker.say(typer, answer[0]))
    finally:
        linker_store.dispose()
