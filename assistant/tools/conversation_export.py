"""From a real conversation to a conversation test: the tracker read through the console or Rasa's HTTP API,
the residents' personal data masked, the steps written as YAML (no Rasa import)."""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import requests
import yaml

from assistant.tools.conversation_cases import (
    _AS_OF_TEXT,
    DEFAULT_URL,
    TEXTS,
    Client,
    Unreachable,
    _unreachable,
    response_name,
    turns_of,
)

# Personal data in what residents typed: never printed in clear. (The channels of the issue-9 branch mask
# messages before they are stored; this is the exporter's own, deliberately broader pass: any long digit
# run, grouped digits and e-mail addresses.)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_LONG_NUMBER = re.compile(r"(?<![0-9])(?:[0-9][ -]?){10,}[0-9Xx](?![0-9])")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789xX")


def mask(text: str) -> str:
    """ID-card, mobile and bank-card numbers (any run of 11 or more digits, spaces or hyphens between them
    allowed) keep their first 3 and last 4 digits; e-mail addresses their first letter and domain."""
    text = text.translate(_FULL_WIDTH)
    text = _EMAIL.sub(lambda m: m.group()[0] + "***@" + m.group().split("@", 1)[1], text)

    def digits(m: re.Match) -> str:
        d = re.sub(r"[ -]", "", m.group())
        return d[:3] + "*" * (len(d) - 7) + d[-4:]

    return _LONG_NUMBER.sub(digits, text)


def _flow(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, sort_keys=False, width=10_000).strip()


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def as_test_case(tracker: dict, url: str = DEFAULT_URL, name: str | None = None) -> str:
    """A conversation (a tracker as Rasa's HTTP API returns it, events included) as a test case: the user
    turns (masked), the field asked after each, FAQ answers by response name, and the last assessment's
    statuses; the rules' date is pinned to that of the last assessment."""
    sender = str(tracker.get("sender_id", ""))
    turns = turns_of(tracker.get("events") or [])
    steps: list[str] = []
    last: tuple[int, dict] | None = None
    as_of_set = False
    for user, bots in turns:
        text = mask(str(user.get("text") or ""))
        stated = _AS_OF_TEXT.match(text.strip())
        if stated:
            steps.append(f"- as_of: {stated.group(1)}")
            as_of_set = True
        else:
            steps.append(f"- user: {_quoted(text)}")
        for bot in bots:
            name_ = response_name(bot)
            if name_ and name_.startswith("utter_faq/"):
                steps.append(f"- utter: {name_}")
        raw = [(b.get("data") or {}).get("custom") for b in bots]
        customs = [c for c in raw if isinstance(c, dict)]
        assessments = [c for c in customs if c.get("type") == "assessment" and not c.get("hypothetical")]
        if assessments:
            last = (len(steps), assessments[-1])
        asks = [c for c in customs if c.get("type") == "ask"]
        if asks:
            steps.append(f"- asks: {asks[-1].get('field')}")
    if last is not None:
        index, result = last
        expected: dict[str, Any] = {c["id"]: c["status"] for c in result.get("channels", [])}
        route = next((c.get("route") for c in result.get("channels", []) if c["id"] == "talent"), None)
        if route:
            expected["route"] = route
        expected["recommended"] = list(result.get("recommended") or [])
        # after the user step (and its `utter` steps) of that turn, before its `asks`
        at = index
        while at < len(steps) and steps[at].startswith("- utter:"):
            at += 1
        steps.insert(at, f"- assessment: {_flow(expected)}")
    if not as_of_set:
        date = (last[1].get("as_of") if last else None) or _day(turns[0][0].get("timestamp") if turns else None)
        steps.insert(0, f"- as_of: {date}")
    when = _day(turns[-1][0].get("timestamp") if turns else None)
    header = TEXTS["export_header"].format(sender_id=sender, date=when, url=url)
    title = name or TEXTS["export_name"].format(sender_id=sender)
    lines = ["# " + line if line else "#" for line in header.rstrip("\n").splitlines()]
    lines += ["test_cases:", f"  - test_case: {_quoted(title)}", "    steps:"]
    lines += ["      " + s for s in steps]
    return "\n".join(lines) + "\n"


def _day(timestamp: float | None) -> str:
    when = dt.datetime.fromtimestamp(timestamp) if timestamp else dt.datetime.now()
    return when.date().isoformat()


def export(sender: str, url: str, token: str | None = None, console_token: str | None = None) -> str:
    """The test case of conversation `sender`: through the hotline console when a console token is given,
    else through Rasa's HTTP API."""
    base = url.rstrip("/")
    if console_token:
        try:
            r = requests.get(f"{base}/webhooks/console/conversation/{requests.utils.quote(sender, safe='')}/test.yml",
                             headers={"Authorization": f"Bearer {console_token}"}, timeout=60)
        except requests.ConnectionError as exc:
            raise Unreachable(_unreachable(base)) from exc
        if r.status_code != 200:
            raise Unreachable(_console_error(r))
        return r.text
    client = Client(base, token)
    client.check()
    tracker = client.tracker(sender)
    if not turns_of(tracker.get("events") or []):
        raise Unreachable(f"会话 {sender} 没有居民消息。 Conversation {sender} has no user message.")
    return as_test_case(tracker, base)


def _console_error(r: requests.Response) -> str:
    try:
        return str(r.json().get("error") or r.text)
    except ValueError:
        return f"HTTP {r.status_code}: {r.text[:200]}"
