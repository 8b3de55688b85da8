"""Rasa answering a Telegram message with nothing (an action failed, the action server
restarting, the conversation's lock not had in time: Rasa's REST channel then answers 200 []):
the customer is told to send it again, as the web chat's "no_answer" does, except while staff
hold the conversation, when silence is right. The bridge process against the fake Bot API
and a small Rasa that answers nothing."""

from __future__ import annotations

from bot.channels.telegram.bot import APOLOGY_NO_ANSWER
from bot.store.conversations import end_takeover, start_takeover
from bot.store.orders import OrderStore
from tests.support.fake_rasa import RasaOnPort, silent
from tests.support.fake_telegram import BridgeProcess, FakeBotApi


def test_no_answer_from_rasa_is_an_apology_unless_staff_hold_the_conversation(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'bespoke.db'}"
    store = OrderStore(database_url)
    store.migrate()
    start_takeover(store, "telegram:7102", "maria")
    store.dispose()
    api, rasa = FakeBotApi().start(), RasaOnPort(silent).start()
    bridge = BridgeProcess(api, rasa.port, tmp_path / "telegram.log", extra_env={"DATABASE_URL": database_url})
    try:
        api.push(api.text_update(7101, "I need a shirt"))
        api.wait_for(lambda: api.sent_texts(7101), "the apology", bridge)
        assert api.sent_texts(7101) == [APOLOGY_NO_ANSWER]
        # Taken over: the message reaches Rasa (the staff see it), and the bot says nothing.
        api.push(api.text_update(7102, "hello?"))
        api.wait_for(lambda: len(rasa.received) == 2, "the message during the takeover", bridge)
        store = OrderStore(database_url)
        end_takeover(store, "telegram:7102")
        store.dispose()
        # Handed back: the next message's silence is an apology again. A chat's updates are
        # handled in order, so when it comes, "hello?" was handled, and got no apology.
        api.push(api.text_update(7102, "anyone?"))
        api.wait_for(lambda: api.sent_texts(7102), "the apology after the hand-back", bridge)
        assert api.sent_texts(7102) == [APOLOGY_NO_ANSWER]
        assert [m["message"] for m in rasa.received] == ["I need a shirt", "hello?", "anyone?"]
    finally:
        bridge.stop()
        rasa.stop()
        api.stop()
