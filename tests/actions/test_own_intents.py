"""Rasa's own actions replaced (actions/own_intents.py): a typed /restart, /back and
/session_start, the core fallback and an empty message each get a reply in words."""

from __future__ import annotations

from actions.kit import NOT_UNDERSTOOD_TEXT
from actions.own_intents import ActionBack, ActionDefaultFallback, ActionRestart, ActionSessionStart
from bot.core.refusals import NOT_UNDERSTOOD_KEY
from tests.support.trackers import make_tracker, run, slot_events

STARTED = {"product": "tailored_shirt", "selections": {"fabric": "linen_natural"}, "draft_id": "d" * 32}


def kinds(events):
    return [event["event"] for event in events]


async def test_restart_says_what_it_cleared_and_restarts():
    events, messages = await run(ActionRestart(), make_tracker("/restart", intent="restart", slots=STARTED))
    assert messages[0]["text"] == ("Starting over: this conversation begins again, and your unfinished Made-to-measure "
                                   "shirt order (1 of 11 answered) is cleared. Orders you've already placed are kept.")
    assert messages[1]["buttons"] and kinds(events) == ["restart"]
    _, messages = await run(ActionRestart(), make_tracker("/restart", intent="restart"))
    assert messages[0]["text"].startswith("Starting over: this conversation begins again. Orders")


async def test_back_explains_and_the_form_does_not_read_it():
    events, [message] = await run(ActionBack(), make_tracker("/back", intent="back", slots=STARTED))
    assert "I can't go back a step" in message["text"] and "change the collar" in message["text"]
    assert slot_events(events) == {"answered_turn": 3}  # the third message: the form asks its question again
    events, messages = await run(ActionBack(), make_tracker("/back", intent="back"))
    assert "no order is in progress" in messages[0]["text"] and events == []


async def test_a_typed_session_start_greets_or_offers_the_order_back_and_carries_the_slots():
    tracker = make_tracker("/session_start", intent="session_start", slots=STARTED)
    tracker.events.append({"event": "user_featurization", "use_text_for_featurization": False})  # as Rasa sends it
    events, [message] = await run(ActionSessionStart(), tracker)
    assert "Welcome back! You have an unfinished Made-to-measure shirt order" in message["text"]
    assert kinds(events)[0] == "session_started" and kinds(events)[-1] == "action"
    assert slot_events(events) == STARTED
    _, [hello] = await run(ActionSessionStart(), make_tracker("/session_start", intent="session_start"))
    assert hello["text"].startswith("Hello! Welcome to")


async def test_the_sessions_own_start_stays_silent():
    tracker = make_tracker("hi", intent="greet", slots=STARTED)
    tracker.events.append({"event": "action", "name": "action_listen"})  # before the new session's first message
    events, messages = await run(ActionSessionStart(), tracker)
    assert messages == [] and slot_events(events) == STARTED


async def test_the_fallback_says_not_understood_marked_and_an_empty_message_is_told_so():
    events, [message] = await run(ActionDefaultFallback(), make_tracker("hmm", intent="affirm"))
    assert message["text"] == NOT_UNDERSTOOD_TEXT and message[NOT_UNDERSTOOD_KEY] is True
    assert kinds(events) == ["rewind"]
    for text in ["", "   "]:
        events, [message] = await run(ActionDefaultFallback(), make_tracker(text, intent="nlu_fallback"))
        assert message["text"].startswith("Your message came through empty") and NOT_UNDERSTOOD_KEY not in message


async def test_slots_are_carried_only_when_the_domain_says_so():
    from rasa_sdk.executor import CollectingDispatcher

    from tests.support.trackers import DOMAIN

    tracker = make_tracker("hi", intent="greet", slots=STARTED)
    tracker.events.append({"event": "action", "name": "action_listen"})
    domain = {**DOMAIN, "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": False}}
    events = await ActionSessionStart().run(CollectingDispatcher(), tracker, domain)
    assert kinds(events) == ["session_started", "action"]
