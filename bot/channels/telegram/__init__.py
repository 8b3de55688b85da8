"""The Telegram channel: a thin bridge between Telegram's Bot API and Rasa's REST webhook.

Like the web chat server it decides nothing about an order: it forwards what the customer
types or presses to Rasa and sends every item of Rasa's reply back (text, buttons, images).
"""
