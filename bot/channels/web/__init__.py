"""The web channel: a self-hosted chat widget and its part of the web application.

widget.py serves the demo shop page (`/`), the widget (`/widget.js`, `/widget.css`) and a
JSON API the widget talks to (`/api/messages`, `/api/history`), which forwards to Rasa's
REST channel and tracker API on 127.0.0.1; kit.py holds what the web application's parts
share. The application itself is built by bot/server.py (`python -m bot.server`).
"""
