"""WeChat rendering: the assistant's replies as WeChat text (numbered options, links as text), split to the
byte limit of a text message, and a typed number or title read back as the option it picks."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from assistant.conversation import dialogue
from assistant.policy.rules import rule_data

MAX_TEXT_BYTES = 2048            # a WeChat text message (passive reply and customer-service message), UTF-8
_TEXTS = rule_data().messages["wechat"]


# --- rendering ----------------------------------------------------------------------------------------------

def _options_of(message: dict[str, Any]) -> list[dict[str, str]] | None:
    """The choices a message offers: an `ask` payload's options, or buttons; None when it offers none."""
    custom = message.get("custom")
    raw = None
    if isinstance(custom, dict) and custom.get("type") == "ask":
        raw = custom.get("options")
    elif message.get("buttons"):
        raw = message["buttons"]
    options = [{"title": str(o["title"]), "payload": str(o["payload"])} for o in raw or []
               if isinstance(o, dict) and o.get("title") is not None and o.get("payload") is not None]
    return options or None


def render(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, str]] | None]:
    """One turn of the assistant as WeChat text, and the options a numbered reply picks (None: no options).

    Texts are joined; the last message that offers options gets them as numbered lines under it
    ("回复1：本科"). Custom payloads are not shown: `ask` becomes the numbered lines (and its `remaining`
    "（还需约3个问题）" after the question), and `assessment`'s explanation already is one of the texts.
    """
    last = max((i for i, m in enumerate(messages) if _options_of(m)), default=None)
    blocks: list[str] = []
    options = None
    for i, message in enumerate(messages):
        for key in ("text", "image", "attachment"):
            value = message.get(key)
            if isinstance(value, str) and value.strip():
                blocks.append(value.strip())
        custom = message.get("custom")
        progress = dialogue.progress_text(custom.get("remaining")) \
            if isinstance(custom, dict) and custom.get("type") == "ask" else None
        if progress and blocks:  # "（还需约3个问题）" under the question
            blocks[-1] = f"{blocks[-1]}（{progress}）"
        if i == last:
            options = _options_of(message) or []
            lines = "\n".join(_TEXTS["option_line"].format(n=n, title=o["title"]) for n, o in enumerate(options, 1))
            if blocks:
                blocks[-1] = f"{blocks[-1]}\n{lines}"
            else:
                blocks.append(lines)
    return "\n\n".join(blocks), options


def _cut(line: str, limit: int) -> int:
    """How many characters of `line` fit into `limit` bytes, ending after a punctuation mark when one is near."""
    size, end = 0, 0
    for end, char in enumerate(line):  # noqa: B007 (`end` is read after the loop)
        size += len(char.encode("utf-8"))
        if size > limit:
            break
    else:
        return len(line)
    for stop in range(end, max(end - 120, 0), -1):
        if line[stop - 1] in "。；！？，、;!?, ）)":
            return stop
    return max(end, 1)


def split_text(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """`text` in parts of at most `limit` bytes (UTF-8), split between lines where possible."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode("utf-8")) <= limit:
            current = candidate
            continue
        if current.strip():
            parts.append(current.strip("\n"))
        while len(line.encode("utf-8")) > limit:
            n = _cut(line, limit)
            parts.append(line[:n])
            line = line[n:]
        current = line
    if current.strip():
        parts.append(current.strip("\n"))
    return parts


def pick_option(text: str, options: list[dict[str, str]] | None) -> str:
    """A reply "1" (or "１", "1。") to numbered options is that option's payload; anything else stays as it is."""
    if options:
        bare = unicodedata.normalize("NFKC", text).strip().rstrip("。.、,，!！")
        if re.fullmatch(r"[0-9]{1,3}", bare) and 1 <= int(bare) <= len(options):
            return options[int(bare) - 1]["payload"]
    return text
