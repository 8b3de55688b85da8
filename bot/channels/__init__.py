"""The channels: how customers and staff reach Rasa (web widget API, Telegram bridge, the
staff Telegram notice), with one client for Rasa's REST channel and HTTP API. Channels
carry messages; they decide nothing about an order and never import the staff console."""
