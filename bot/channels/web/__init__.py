"""The web channel: a self-hosted chat widget and the small server that serves it.

`python -m bot.channels.web` serves the demo shop page (`/`), the widget (`/widget.js`,
`/widget.css`) and a JSON API the widget talks to (`/api/messages`, `/api/history`),
which forwards to Rasa's REST channel and tracker API on 127.0.0.1.
"""
