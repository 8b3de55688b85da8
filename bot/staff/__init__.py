"""The staff console: sign-in, orders, conversations, dashboard and the JSON API, served
by the project's web server (bot/channels/web) under /staff and /api."""
