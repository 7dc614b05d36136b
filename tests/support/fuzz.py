"""The HTTP fuzz: generated conversations through every channel of the real servers, then the tracker store
searched for every personal number that was sent (scripts/fuzz_http.py prints the figures, tests/test_fuzz.py
asserts them).

Generation is hypothesis's own (tests/support/strategies.py), run as a seeded test body that only collects what
it is given: `@seed` makes a run repeatable, the generate phase alone keeps it to exactly the examples asked for
(no shrinking, no example database), and the strategies' bias towards edge cases — empty, boundary lengths,
repeated and odd characters — is what a fuzz wants (`strategy.example()` is meant for the REPL: it is neither
seeded nor bounded).

Routes: the REST channel as a program calls it; the web chat's request (a `web-…` sender and a `message_id`,
as assistant/web/chat.js sends it, after loading the page); WeChat in plaintext mode and in safe (AES) mode,
signed as WeChat signs (tests/support/wechat.py). Characters XML 1.0 cannot carry (C0 controls, lone surrogates)
never come from WeChat, so they are left out of WeChat messages only.
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from assistant.policy.rules import rule_data
from tests.support.servers import Servers, rss_mb, servers
from tests.support.strategies import said
from tests.support.wechat import WeChat, WeChatAPIStandIn, new_openid

ROUTES = ("rest", "web", "wechat", "wechat_aes")
_FAULT = rule_data().messages["input"]["fault"]
FAST_FAULT = 4.0   # seconds: a fault message sooner than every channel's time budget is a failed turn
_FAULT_WECHAT = rule_data().messages["wechat"]["failed"]
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass
class Conversation:
    route: str
    messages: list[tuple[str, tuple[str, ...]]]   # (text, personal numbers in it)
    metadata: dict | None = None                  # REST only: any JSON object, sometimes deeply nested


@dataclass
class Sent:
    route: str
    text: str
    status: int
    seconds: float
    problem: str | None = None      # a 5xx, or a 200 without any answer
    fault: bool = False             # the answer was the fault message (the time budget ran out, a failed turn)


@dataclass
class Report:
    sent: list[Sent] = field(default_factory=list)
    numbers: set[str] = field(default_factory=set)
    in_clear: list[tuple[str, str]] = field(default_factory=list)   # (number, where it was found)
    rss_before: float = 0.0
    rss_after: float = 0.0
    seconds: float = 0.0
    stopped_early: bool = False

    @property
    def server_errors(self) -> list[Sent]:
        return [s for s in self.sent if s.status >= 500]

    @property
    def problems(self) -> list[Sent]:
        return [s for s in self.sent if s.problem]

    @property
    def slowest(self) -> Sent | None:
        return max(self.sent, key=lambda s: s.seconds, default=None)


def _nested(depth: int) -> dict:
    value: object = "13912345678"
    for _ in range(depth):
        value = {"a": [value]}
    return value  # type: ignore[return-value]


def conversations_strategy() -> st.SearchStrategy[Conversation]:
    metadata = st.none() | st.none() | st.none() | st.just({"page": "web"}) | st.integers(1, 40).map(_nested)
    return st.builds(Conversation, st.sampled_from(ROUTES), st.lists(said(max_pieces=5), min_size=1, max_size=6),
                     metadata)


def generate(count: int, seed_value: int) -> list[Conversation]:
    """Conversations holding at least `count` messages in all, drawn by hypothesis from `seed_value`."""
    drawn: list[Conversation] = []

    @settings(max_examples=max(1, count), phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck), derandomize=False)
    @seed(seed_value)
    @given(conversations_strategy())
    def collect(conversation: Conversation) -> None:
        if sum(len(c.messages) for c in drawn) < count:
            drawn.append(conversation)

    collect()
    total = sum(len(c.messages) for c in drawn)
    if total > count:   # the last conversation is cut to the count
        drawn[-1].messages = drawn[-1].messages[:len(drawn[-1].messages) - (total - count)]
    return [c for c in drawn if c.messages]


# --- the servers ------------------------------------------------------------------------------------------------

@dataclass
class Target:
    srv: Servers
    wechat: WeChat


@contextlib.contextmanager
def started(work: Path) -> Iterator[Target]:
    """The real servers with the REST, web chat and WeChat channels (token, AES key, a stand-in of WeChat's API)."""
    token = secrets.token_hex(16)
    aes_key = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    app_id, app_secret = "wx" + secrets.token_hex(8), secrets.token_hex(16)
    api = WeChatAPIStandIn(app_id, app_secret)
    credentials = work / "credentials.yml"
    credentials.write_text(json.dumps({
        "assistant.channels.rest.SafeRestInput": None,
        "assistant.channels.wechat.WeChatInput": {"token": token, "encoding_aes_key": aes_key, "app_id": app_id,
                                                  "app_secret": app_secret, "api_base": api.url,
                                                  "reply_timeout": 10},
        "assistant.channels.web.WebChatInput": None,
    }), encoding="utf-8")
    try:
        with servers(work, credentials=credentials) as srv:
            srv.webhook("warm-up", "你好")   # the first message after the start is slow
            yield Target(srv, WeChat(srv.rasa_url, token, aes_key, app_id, "gh_" + secrets.token_hex(6)))
    finally:
        api.close()


def _send(target: Target, route: str, sender: str, text: str, metadata: dict | None,
          http: requests.Session) -> Sent:
    start = time.perf_counter()
    if route.startswith("wechat"):
        text = _XML_ILLEGAL.sub("", text)
        r = target.wechat.post(target.wechat.text(sender, text), safe=route == "wechat_aes")
        answered = r.status_code != 200 or bool(r.text)
    else:
        body: dict = {"sender": sender, "message": text}
        if route == "web":
            body["message_id"] = secrets.token_hex(8)
        elif metadata is not None:
            body["metadata"] = metadata
        r = http.post(f"{target.srv.rasa_url}/webhooks/rest/webhook", json=body, timeout=120)
        answered = r.status_code != 200 or bool(r.json())
    seconds = time.perf_counter() - start
    problem = None
    if route.startswith("wechat"):
        said = target.wechat.decoded(r, route) if r.status_code == 200 else ""
    else:   # the JSON may escape every Chinese character: read it
        said = "\n".join(str(m.get("text") or "") for m in r.json()) if r.status_code == 200 else ""
    fault = _FAULT in said or _FAULT_WECHAT in said
    if r.status_code >= 500:
        problem = f"HTTP {r.status_code}: {r.text[:300]}"
    elif not answered:
        problem = "no answer"
    elif fault and seconds < FAST_FAULT:
        problem = "the fault message at once: a turn that failed, not one that ran out of time"
    return Sent(route, text, r.status_code, seconds, problem, fault)


def _talk(target: Target, conversation: Conversation, deadline: float) -> list[Sent]:
    http = requests.Session()
    route = conversation.route
    if route == "web":
        sender = "web-" + secrets.token_hex(8)
        http.get(f"{target.srv.rasa_url}/webhooks/web/", timeout=30)   # the page, as a browser loads it first
    elif route.startswith("wechat"):
        sender = new_openid()
    else:
        sender = "fuzz-" + secrets.token_hex(8)
    out = []
    for text, _ in conversation.messages:
        if time.monotonic() > deadline:
            break
        out.append(_send(target, route, sender, text, conversation.metadata, http))
    return out


def run(target: Target, conversations: list[Conversation], jobs: int = 4, max_seconds: float = 1800) -> Report:
    """Sends every conversation (`jobs` at a time, each message after the reply to the one before); then searches
    the tracker store for the numbers sent."""
    report = Report(rss_before=rss_mb(target.srv.pids["rasa"]))
    deadline = time.monotonic() + max_seconds
    start = time.perf_counter()
    lock = threading.Lock()

    def one(conversation: Conversation) -> None:
        done = _talk(target, conversation, deadline)
        with lock:
            report.sent += done
            report.numbers.update(n for text, numbers in conversation.messages[:len(done)] for n in numbers)

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, conversations))
    report.seconds = time.perf_counter() - start
    report.stopped_early = time.monotonic() > deadline
    report.rss_after = rss_mb(target.srv.pids["rasa"])
    report.in_clear = in_clear(target.srv.db, report.numbers)
    return report


# --- the search of the tracker store ---------------------------------------------------------------------------------

def readable(text: str) -> str:
    """Digits of any script as ASCII, full-width as half-width, spaces and dashes left out, upper case: every way
    a number could still be read from a stored text."""
    out = []
    for char in text:
        digit = unicodedata.decimal(char, None)
        if digit is not None:
            out.append(str(digit))
        elif not (char.isspace() or unicodedata.category(char) in ("Pd", "Cf") or char == "\u2212"):
            out.append(unicodedata.normalize("NFKC", char))
    return "".join(out).upper()


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def in_clear(db: Path, numbers: set[str]) -> list[tuple[str, str]]:
    """Every number of `numbers` found in any string of any stored event, with the sender and event type."""
    found = []
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT sender_id, type_name, data FROM events").fetchall()
    for sender, kind, data in rows:
        text = "\n".join(readable(s) for s in _strings(json.loads(data)))
        found += [(n, f"{sender} {kind}") for n in numbers if n in text]
    return found


def summary(report: Report) -> list[str]:
    """The figures, one per line."""
    slowest = report.slowest
    by_route = {r: sum(1 for s in report.sent if s.route == r) for r in ROUTES}
    lines = [
        f"messages sent: {len(report.sent)} in {report.seconds:.0f} s "
        f"({', '.join(f'{r} {n}' for r, n in by_route.items())})" + (" — stopped at the time limit"
                                                                     if report.stopped_early else ""),
        f"5xx answers: {len(report.server_errors)}",
        f"answers without any reply: {sum(1 for s in report.problems if s.status < 500)}",
        f"fault messages (a turn that failed or ran out of time; the machine's load shows here): "
        f"{sum(1 for s in report.sent if s.fault)}",
        f"statuses: {dict(sorted(_count(s.status for s in report.sent).items()))}",
        f"slowest reply: {slowest.seconds:.2f} s ({slowest.route}, {len(slowest.text)} characters)" if slowest
        else "slowest reply: -",
        f"personal numbers sent: {len(report.numbers)}; found in clear in the tracker store: {len(report.in_clear)}",
        f"Rasa server memory: {report.rss_before:.0f} MB before, {report.rss_after:.0f} MB after",
    ]
    for s in report.problems[:5]:
        lines.append(f"  problem ({s.route}): {s.problem} — message {s.text[:120]!r}")
    for s in [s for s in report.sent if s.fault][:5]:
        lines.append(f"  fault message ({s.route}, {s.seconds:.2f} s) — message {s.text[:120]!r}")
    for number, where in report.in_clear[:5]:
        lines.append(f"  in clear: {number} ({where})")
    return lines


def _count(values: Iterator[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out
