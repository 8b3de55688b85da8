"""A message the customer wrote during a takeover and the bot answered after the hand-back
is one message on the staff transcript (as in the widget), with the bot's answer, counted
once in the conversation list, and kept in the exported story as the answered step."""

from __future__ import annotations

from bot.channels.rasa import PICKED_UP
from bot.staff.conversations import index
from bot.staff.conversations import transcript as transcripts
from tests.support.staff import summary

STORY = """version: "3.1"
stories:
- story: the conversation
  steps:
  - user: |
      hi
    intent: greet
  - action: action_list_products
  - user: |
      I need a gaming PC
    intent: order_product
  - user: |
      I need a gaming PC
    intent: order_product
  - action: order_form
"""


def handed_back(tracker, sender: str) -> None:
    tracker.user(sender, "hi", "greet")
    tracker.action(sender, "action_list_products")
    tracker.bot(sender, "Hello! What would you like?")
    tracker.add(sender, {"event": "pause"})
    tracker.user(sender, "I need a gaming PC", "order_product")
    tracker.add(sender, {"event": "resume"})
    tracker.bot(sender, "I'm back", metadata={"handed_back": True})
    tracker.user(sender, "I need a gaming PC", "order_product", metadata={PICKED_UP: True})
    tracker.action(sender, "order_form")
    tracker.bot(sender, "Which processor?")


def test_a_picked_up_message_is_shown_once_with_its_answer(store, tracker):
    sender = "web:pickedup01"
    handed_back(tracker, sender)
    entries = transcripts.transcript(tracker.url, sender)
    users = [entry for entry in entries if entry["kind"] == "user"]
    assert [user["text"] for user in users] == ["hi", "I need a gaming PC"]
    assert users[1]["while_taken_over"] and users[1]["actions"] == ["order_form"]
    assert entries[-1]["text"] == "Which processor?"
    index.refresh_index(store, tracker.url)
    assert summary(store, sender)["user_turns"] == 2


def test_the_story_keeps_the_answered_step_and_drops_the_unanswered_one(store, tracker):
    sender = "web:pickedup02"
    handed_back(tracker, sender)
    story = transcripts.story_without_takeovers(STORY, transcripts.transcript(tracker.url, sender))
    assert story.count("I need a gaming PC") == 1 and "left out" in story
