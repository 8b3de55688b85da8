"""Conversations for the staff console, read from Rasa's tracker store.

- events: Rasa's events table (read-only), conversation ids, event data;
- index: the incremental conversation_summaries indexer (watermark, late ids);
- listing: the conversation list's filters, summaries;
- transcript: a conversation's turns, its detail page data, its exported test story;
- queue: the open flags with their conversations.

No web framework here: the pages call these functions in a thread. The tables are in
bot/store/models.py (takeovers: bot/store/conversations.py).
"""
