"""The staff console: sign-in, orders, conversations, the queue, the dashboard and the JSON
API under /staff and /api, added to the one web application by bot/server.py.

kit.py (what every page uses), auth.py (sign-in), *_pages.py (the pages), app.py (the
routes), conversations/ (reading Rasa's events), queries.py (a list page's address)."""
