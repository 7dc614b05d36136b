"""Input limits shared by every channel: what a message, a sender id and a request body may be.

Pure functions, no Rasa: the channels (assistant/channels/) apply them before anything reaches NLU or the
tracker store. The numbers are generous for a resident describing their situation and small enough that
one request cannot tie up the server (a 56,000-character message once kept it busy for 45 s and took 20 GB).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

MAX_MESSAGE_CHARS = 1_000        # characters of a message after cleaning; longer ones get a polite reply
MAX_BODY_BYTES = 16 * 1024       # a REST request body; 1,000 Chinese characters are about 3 KB of JSON
MAX_SENDER_CHARS = 64
MAX_METADATA_DEPTH = 16          # nesting of a request's metadata (lists and objects); deeper ones are refused
SENDER_ID = re.compile(rf"[A-Za-z0-9_.:@-]{{1,{MAX_SENDER_CHARS}}}")

# Whitespace controls become a space (a message is one line of text for NLU); every other control, format
# (zero-width, bidi) and surrogate character is dropped: invisible, and a lone surrogate cannot even be
# stored as UTF-8.
_AS_SPACE = {"\t", "\n", "\r", "\v", "\f", "\x85", "\u2028", "\u2029"}
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs"}
_SPACES = re.compile(r" {2,}")


def clean_text(text: str) -> str:
    """`text` without control, zero-width, bidi and lone surrogate characters; line breaks and tabs become
    spaces, runs of spaces one space; surrounding whitespace is stripped."""
    out = []
    for char in text:
        if char in _AS_SPACE:
            out.append(" ")
        elif (char.isascii() and char.isprintable()  # the common case, without a table look-up
              or unicodedata.category(char) not in _DROPPED_CATEGORIES):
            out.append(char)
    return _SPACES.sub(" ", "".join(out)).strip()


def clean_value(value: Any) -> Any:
    """`clean_text` applied to every string inside a JSON value (dict keys included), e.g. metadata."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_value(k) if isinstance(k, str) else k: clean_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_value(v) for v in value]
    return value


def too_long(text: str) -> bool:
    """True when a (cleaned) message is over MAX_MESSAGE_CHARS."""
    return len(text) > MAX_MESSAGE_CHARS


def valid_sender(sender: Any) -> bool:
    """A sender id (the conversation) is 1–64 characters of letters, digits and _ . : @ -."""
    return isinstance(sender, str) and SENDER_ID.fullmatch(sender) is not None


def body_too_large(content_length: Any, limit: int = MAX_BODY_BYTES) -> bool:
    """True when a request's declared Content-Length is over `limit` (a missing or odd header is not)."""
    if not isinstance(content_length, (str, bytes, int)) or isinstance(content_length, bool):
        return False
    try:
        return int(content_length) > limit
    except (TypeError, ValueError, OverflowError):
        return False


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in a JSON value (0 for a scalar), counted level by level without
    recursion, so that a value nested thousands deep cannot exhaust the stack of the code that walks it."""
    depth, level = 0, [value]
    while True:
        containers = [v for v in level if isinstance(v, (dict, list))]
        if not containers:
            return depth
        depth += 1
        level = [child for c in containers for child in (c.values() if isinstance(c, dict) else c)]
