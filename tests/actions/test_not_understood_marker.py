"""A reply that says the bot did not understand is marked as data: the marker rides in the
message's Rasa metadata into the stored bot event, and never reaches the REST output."""

from __future__ import annotations

import json

from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.trackers import DialogueStateTracker

from actions.order_form import ValidateOrderForm
from bot.core.refusals import NOT_UNDERSTOOD_KEY
from tests.support.trackers import Reading, make_tracker, run


SHIRT = {"fabric": "linen_natural", "fit": "slim", "collar": "spread", "cuffs": "barrel"}  # the neck is next


def form_tracker(text: str, selections, product: str = "custom_pc", **slots):
    return make_tracker(text, slots={"product": product, "selections": selections,
                                     "requested_slot": "specs_complete", "answered_turn": 2, **slots})


async def test_only_a_reply_that_did_not_understand_is_marked():
    _, messages = await run(Reading(ValidateOrderForm()), form_tracker("40 kg", dict(SHIRT), product="tailored_shirt"))
    assert messages[0]["text"].startswith("Sorry, I didn't get that.") and messages[0][NOT_UNDERSTOOD_KEY] is True
    # no readable text at all (control characters are removed where the message comes in) is told so, not marked
    _, messages = await run(Reading(ValidateOrderForm()), form_tracker(" ", {}))
    assert messages[0]["text"].startswith("Your message came through empty") and NOT_UNDERSTOOD_KEY not in messages[0]
    _, messages = await run(Reading(ValidateOrderForm()), form_tracker("purple", {}))
    assert messages[0]["text"].startswith('Sorry, "purple" is not one of') and NOT_UNDERSTOOD_KEY not in messages[0]
    _, messages = await run(Reading(ValidateOrderForm()), form_tracker("32gb ddr4", {"cpu": "ryzen7_7800x3d"}))
    assert NOT_UNDERSTOOD_KEY not in messages[0]  # a refused value is not a message not understood
    _, messages = await run(Reading(ValidateOrderForm()), form_tracker("the memory", {}, requested_slot="product"))
    assert messages[0]["text"] == "Sorry, I didn't recognise that product." and messages[0][NOT_UNDERSTOOD_KEY] is True


async def test_the_marker_is_kept_in_the_bot_event_and_not_sent_to_the_channel():
    _, messages = await run(Reading(ValidateOrderForm()), form_tracker("40 kg", dict(SHIRT), product="tailored_shirt"))
    channel = CollectingOutputChannel()
    # What Rasa does with an action server's reply: a BotUttered per message, then the channel.
    [uttered] = await RemoteAction._utter_responses(json.loads(json.dumps(messages)), channel,
                                                    TemplatedNaturalLanguageGenerator({}), DialogueStateTracker("x", []))
    stored = uttered.as_dict()
    assert stored["event"] == "bot" and stored["metadata"] == {NOT_UNDERSTOOD_KEY: True}
    await channel.send_response("x", uttered.message())
    assert channel.messages == [{"recipient_id": "x", "text": messages[0]["text"]}]
