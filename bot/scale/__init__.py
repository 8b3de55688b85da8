"""Running Bespoke on several processes and machines: the production profile (profile.py),
its nginx (nginx.py) and the Redis lock store that keeps one conversation one turn at a time
across Rasa servers (lock_store.py)."""
