"""Tests of the rasa-sdk actions with CollectingDispatcher and real Trackers."""
