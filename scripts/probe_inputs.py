"""Sends bad inputs to the REST webhook and prints what each got: HTTP status and reply time, the slowest reply,
and the Rasa server's memory before and after (plus 200 more bad requests in a row).

    .venv/bin/python scripts/probe_inputs.py                 # starts its own servers, as `make bench` does
    .venv/bin/python scripts/probe_inputs.py --url http://127.0.0.1:5005 [--pid PID]   # a running server

A figure for issue 9's closing note, not a test (tests/test_hardening.py asserts the behaviour). The table is
also written to results/probe_inputs.txt.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.servers import rss_mb, servers  # noqa: E402

ID_NUMBER = "320583199001011232"    # a valid check digit


def _json(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _chunks() -> Iterator[bytes]:
    yield b'{"sender": "probe", "message": "'
    for _ in range(100):
        yield "落".encode() * 1000
    yield b'"}'


# A request body: bytes, or chunks sent without a Content-Length.
Body = bytes | Iterator[bytes]

PROBES: list[tuple[str, Callable[[], Body]]] = [
    ("empty body", lambda: b""),
    ("JSON array", lambda: b"[]"),
    ("JSON string", lambda: _json("你好")),
    ("JSON number", lambda: b"42"),
    ("form data, not JSON", lambda: "sender=me&message=你好".encode()),
    ("invalid UTF-8", lambda: b'{"sender": "probe", "message": "\xff\xfe"}'),
    ("JSON nested 5,000 deep", lambda: b"[" * 5000 + b"]" * 5000),
    ("missing sender", lambda: _json({"message": "你好"})),
    ("missing message", lambda: _json({"sender": "probe"})),
    ("message a number", lambda: _json({"sender": "probe", "message": 28})),
    ("message null", lambda: _json({"sender": "probe", "message": None})),
    ("sender 65 characters", lambda: _json({"sender": "a" * 65, "message": "你好"})),
    ("sender Chinese", lambda: _json({"sender": "张三", "message": "你好"})),
    ("sender '../x'", lambda: _json({"sender": "../x", "message": "你好"})),
    ("metadata a string", lambda: _json({"sender": "probe", "message": "你好", "metadata": "x"})),
    ("body 16 KiB + 1 byte", lambda: b'{"sender": "probe", "message": "' + b"a" * 16_357 + b'"}'),
    ("body 1 MB", lambda: b"x" * 1_000_000),
    ("body 20 MB", lambda: b"x" * 20_000_000),
    ("chunked body 300 KB, no length", _chunks),
    ("message 56,000 characters (the issue's)", lambda: _json({"sender": "probe", "message": "落" * 56_000})),
    ("message 100,000 characters", lambda: _json({"sender": "probe", "message": "我今年二十八岁" * 14_286})),
    ("message 1,001 characters", lambda: _json({"sender": "probe-long", "message": "落户" * 500 + "吗"})),
    ("message 1,000 characters (the most accepted)",
     lambda: _json({"sender": "probe-max", "message": ("我今年二十八岁，本科毕业，" * 77)[:1000]})),
    ("only control / zero-width characters", lambda: _json({"sender": "probe", "message": "\u200b\x00\u202e\n"})),
    ("control characters in a message", lambda: _json({"sender": "probe-ctl", "message": "我今年\x0028岁\u200b\r\n本科"})),
    ("lone surrogate", lambda: b'{"sender": "probe-sur", "message": "\\ud800\xe4\xbd\xa0\xe5\xa5\xbd"}'),
    ("ID number and mobile (masked)",
     lambda: _json({"sender": "probe-id", "message": f"身份证{ID_NUMBER}，手机13912345678"})),
]


def post(url: str, body: Body | Callable[[], Body]) -> tuple[int, float, str]:
    start = time.perf_counter()
    try:
        r = requests.post(f"{url}/webhooks/rest/webhook", data=body() if callable(body) else body,
                          headers={"Content-Type": "application/json"}, timeout=60)
        status, text = r.status_code, r.text
    except requests.RequestException as exc:
        status, text = 0, f"{type(exc).__name__}"
    return status, time.perf_counter() - start, text


def _summary(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text[:40]
    if isinstance(data, dict):
        return data.get("error", "")[:40]
    return " / ".join((m.get("text") or "")[:24] for m in data[:2]) if isinstance(data, list) else ""


def find_pid(url: str) -> int | None:
    """The Rasa server listening on `url`'s port, from /proc (the command line of `rasa run … -p PORT`)."""
    port = url.rsplit(":", 1)[-1].strip("/")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in args]
        if any(w.endswith("rasa") for w in words) and "run" in words and "actions" not in words and (
                port in words and any(w in ("-p", "--port") for w in words)):
            return int(proc.name)
    return None


def probe(url: str, pid: int | None) -> str:
    requests.post(f"{url}/webhooks/rest/webhook", json={"sender": "probe-warm", "message": "你好"}, timeout=120)
    before = rss_mb(pid) if pid else None
    lines = [f"{'input':<46} {'HTTP':>4} {'time':>8}  answer", "-" * 100]
    slowest = (0.0, "")
    for name, make_body in PROBES:
        status, seconds, text = post(url, make_body)
        slowest = max(slowest, (seconds, name))
        lines.append(f"{name:<46} {status:>4} {seconds * 1000:>6.0f}ms  {_summary(text)}")
    bad = [b"", b"[]", _json({"sender": "张三", "message": "x"}), b"{" * 4000,
           _json({"sender": "probe-long", "message": "落" * 1001})]
    statuses: dict[int, int] = {}
    start = time.perf_counter()
    for i in range(200):
        body = (_json({"sender": "probe", "message": "我今年二十八岁" * 14_286}) if i % 50 == 0
                else b"x" * 2_000_000 if i % 10 == 0 else bad[i % len(bad)])
        status, seconds, _ = post(url, body)
        statuses[status] = statuses.get(status, 0) + 1
        slowest = max(slowest, (seconds, "one of the 200 in a row"))
    wall = time.perf_counter() - start
    after = rss_mb(pid) if pid else None
    lines += ["-" * 100,
              f"then 200 bad requests in a row (4 of 100,000 characters, 16 of 2 MB, the rest malformed or 1,001 "
              f"characters): statuses {dict(sorted(statuses.items()))}, {wall:.1f}s in all",
              f"slowest reply: {slowest[0] * 1000:.0f} ms ({slowest[1]})"]
    if before is not None and after is not None:
        lines.append(f"Rasa server memory (VmRSS, pid {pid}): before {before:.0f} MB, after {after:.0f} MB "
                     f"({(after - before) / before * 100:+.1f} %)")
    else:
        lines.append("Rasa server memory: not measured (no --pid, and no `rasa run` found on that port)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running Rasa server, e.g. http://127.0.0.1:5005 (default: start one)")
    parser.add_argument("--pid", type=int, help="the Rasa server's process id, for its memory")
    args = parser.parse_args()
    if args.url:
        report = probe(args.url.rstrip("/"), args.pid or find_pid(args.url))
    else:
        with tempfile.TemporaryDirectory() as tmp, servers(Path(tmp)) as srv:
            report = probe(srv.rasa_url, srv.pids["rasa"])
    print(report)
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "probe_inputs.txt").write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
