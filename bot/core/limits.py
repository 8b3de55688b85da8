"""Limits the whole bot shares, so each channel and the actions refuse at the same line."""

# A customer's message longer than this is refused politely (the web chat answers 413,
# the order form says so); long enough for any real order, short enough for the parser.
MAX_MESSAGE_CHARS = 2000
