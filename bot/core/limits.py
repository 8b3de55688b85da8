"""Limits the whole bot shares, so each channel and the actions refuse at the same line."""

from typing import Any

# A customer's message longer than this is refused politely (the web chat answers 413,
# the order form says so); long enough for any real order, short enough for the parser.
MAX_MESSAGE_CHARS = 2000

# A request to any HTTP entry point (Rasa's REST webhook included) is refused with 413 above
# this: a message is at most MAX_MESSAGE_CHARS characters, at most 4 bytes each in UTF-8,
# and JSON escapes (\uXXXX) make a character at most 12 bytes; metadata is small.
MAX_REQUEST_BYTES = 64 * 1024

# Line breaks and tabs are text; every other control character (C0, DEL, C1) is not.
_KEPT_CONTROLS = frozenset("\t\n\r")


def clean_text(text: str) -> str:
    """Customer text as it may go anywhere (the order, the database, a page, a terminal):
    a lone surrogate (half a UTF-16 pair, what JSON's "\\ud800" gives; no encoding can
    store it) becomes U+FFFD, the visible replacement character, so what is refused for it
    is seen; control characters other than line breaks and tabs, which the customer never
    saw on their screen (ESC, NUL, ...), are removed. Everything else is kept as typed."""
    if text.isascii() and text.isprintable():
        return text  # the common case, without a copy
    cleaned = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return "".join(ch for ch in cleaned if ch in _KEPT_CONTROLS or not _is_control(ch))


def _is_control(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F


def clean_json(value: Any) -> Any:
    """JSON (dicts, lists, scalars) with clean_text applied to every string in it, keys too."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(key) if isinstance(key, str) else key: clean_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(item) for item in value]
    return value
