"""Tests of the channels: the web widget and its API, Telegram, one scenario on all of them."""
