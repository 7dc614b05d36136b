"""Conversation tests: whole conversations, written in YAML by policy staff, run against a running assistant;
and a real conversation turned into such a test.

    python -m assistant.tools.conversation_tests tests/conversations/ [--url http://127.0.0.1:5005] [-k 园区]
    python -m assistant.tools.conversation_tests export <sender_id> [--url …] [--console-token …]

The format is close to Rasa Pro's end-to-end test cases. Every assertion step checks the replies to the
last `user` (or `as_of`) message:

    test_cases:
      - test_case: 园区本科租房，人才落户
        steps:
          - as_of: 2025-06-01          # sends "按2025-06-01的规则评估" (the rules' date; it starts the interview)
          - user: 我今年28，本科，在园区上班，社保两年
          - bot_contains: 人才落户      # some bot text (or button title) contains it
          - bot_not_contains: 积分落户
          - utter: utter_ask_retired   # a domain response sent in this turn (read from the tracker)
          - asks: retired              # the field of the turn's last `ask` payload (null: no question)
          - user: 没退休
          - assessment: {talent: eligible, route: A, recommended_first: talent}

`assessment` keys: a channel id with its status (eligible, not_eligible, undetermined, not_applicable);
`route` (or `talent_route`): the talent route; `recommended`: the whole list; `recommended_first`;
`area`: the area's name; `as_of`; `points_known`, `points_line`; `hypothetical: true` to check a what-if
answer instead of a real one. Each test case runs in a fresh conversation (a new sender id).

Only the standard library, requests and PyYAML: no Rasa import, so it runs on any machine that can reach
the assistant's REST channel — `make run`, or a test environment behind nginx, where Rasa's HTTP API is not
reachable: every check reads the channel's replies (`utter`: the "response" each reply names,
assistant/channels/rest.py). Only `export` reads a conversation's tracker, through the hotline console
(`--console-token`) or Rasa's HTTP API (`rasa run --enable-api`; `--token` for its auth token).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import requests

from assistant.tools.conversation_cases import (
    _NO_NAMES,
    AS_OF_MESSAGE,
    CHANNELS,
    DEFAULT_JUNIT,
    DEFAULT_URL,
    RESPONSE_KEY,
    Case,
    Client,
    Step,
    Unreachable,
    _texts,
    load,
    payloads,
)
from assistant.tools.conversation_export import export

# --- running a test case ----------------------------------------------------------------------------------------

@dataclass
class Turn:
    message: str
    replies: list[dict]

    @property
    def responses(self) -> list[str]:
        """The domain responses this turn sent, as the REST channel names them in its replies."""
        names: list[str] = []
        for reply in self.replies:
            name = reply.get(RESPONSE_KEY)
            if isinstance(name, str) and name not in names:
                names.append(name)
        return names


@dataclass
class Result:
    case: Case
    sender: str
    turns: list[Turn] = field(default_factory=list)
    failure: str | None = None     # the step and what was expected
    error: str | None = None       # the case could not run
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.failure is None and self.error is None


def _assessment(replies: list[dict], hypothetical: bool) -> dict | None:
    found = [a for a in payloads(replies, "assessment") if bool(a.get("hypothetical")) == hypothetical]
    return found[-1] if found else None


def _summary(assessment: dict) -> str:
    statuses = ", ".join(f"{c['id']}={c['status']}" + (f"({c['route']})" if c.get("route") else "")
                         for c in assessment.get("channels", []))
    return f"{statuses}; recommended={assessment.get('recommended')}"


def check_assessment(expected: dict, replies: list[dict]) -> str | None:
    """What differs between the expected statuses and the turn's assessment, or None."""
    hypothetical = bool(expected.get("hypothetical"))
    got = _assessment(replies, hypothetical)
    if got is None:
        return f"no {'what-if ' if hypothetical else ''}assessment in the replies to this message"
    channels = {c["id"]: c for c in got.get("channels", [])}
    points = got.get("points") or {}
    actual = {
        **{cid: channels.get(cid, {}).get("status") for cid in CHANNELS},
        "route": channels.get("talent", {}).get("route"),
        "talent_route": channels.get("talent", {}).get("route"),
        "recommended": got.get("recommended"),
        "recommended_first": (got.get("recommended") or [None])[0],
        "area": (got.get("area") or {}).get("name"),
        "as_of": got.get("as_of"),
        "points_known": points.get("known"),
        "points_line": points.get("line"),
        "hypothetical": hypothetical,
    }
    wrong = []
    for key, want in expected.items():
        want = want.isoformat() if isinstance(want, dt.date) else want
        if actual[key] != want:
            wrong.append(f"{key}: expected {want!r}, got {actual[key]!r}")
    return "; ".join(wrong) + f"\n  the assessment: {_summary(got)}" if wrong else None


def _check(step: Step, turn: Turn) -> str | None:
    """Checks one assertion step against the replies to the last message; the failure text or None."""
    replies = turn.replies
    if step.kind == "bot_contains":
        return None if str(step.value) in _texts(replies) else f"no bot message contains {str(step.value)!r}"
    if step.kind == "bot_not_contains":
        return f"a bot message contains {str(step.value)!r}" if str(step.value) in _texts(replies) else None
    if step.kind == "asks":
        asks = payloads(replies, "ask")
        got = asks[-1]["field"] if asks else None
        if got == step.value:
            return None
        return (f"expected the question about {step.value!r}, got "
                + (f"the question about {got!r}" if got else "no question"))
    if step.kind == "utter":
        if step.value in turn.responses:
            return None
        if replies and not any(RESPONSE_KEY in r for r in replies):
            return f"expected the response {step.value!r}; the replies name no response ({_NO_NAMES})"
        return f"expected the response {step.value!r}, got {turn.responses or 'none'}"
    if step.kind == "assessment":
        return check_assessment(step.value, replies)
    raise ValueError(step.kind)


def run_case(client: Client, case: Case) -> Result:
    """Runs one test case in a fresh conversation; stops at the first failing step."""
    result = Result(case, f"test-{uuid.uuid4().hex[:16]}")
    start = time.perf_counter()
    try:
        if case.error:
            result.error = case.error
            return result
        for number, step in enumerate(case.steps, start=1):
            if step.kind in ("user", "as_of"):
                text = AS_OF_MESSAGE.format(date=step.value) if step.kind == "as_of" else str(step.value)
                result.turns.append(Turn(text, client.send(result.sender, text)))
                continue
            problem = _check(step, result.turns[-1])
            if problem:
                result.failure = f"step {number}: {step.line}\n  {problem}"
                return result
    except Unreachable as exc:
        result.error = str(exc)
    except requests.RequestException as exc:
        result.error = f"HTTP error: {exc}"
    finally:
        result.seconds = time.perf_counter() - start
    return result


def run(client: Client, cases: list[Case], jobs: int = 1,
        progress: Callable[[Result], None] | None = None) -> list[Result]:
    """Runs the test cases, `jobs` conversations at a time; results in the order of `cases`."""
    def one(case: Case) -> Result:
        result = run_case(client, case)
        if progress:
            progress(result)
        return result

    if jobs <= 1:
        return [one(c) for c in cases]
    with ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(one, cases))


# --- reporting ---------------------------------------------------------------------------------------------------

def transcript(result: Result) -> str:
    """The whole conversation: each message, then each reply (payloads in brief, response names if known)."""
    lines = []
    for n, turn in enumerate(result.turns, start=1):
        lines.append(f"{n:3d} > {turn.message}")
        for reply in turn.replies:
            if reply.get("text"):
                name = f"  [{reply[RESPONSE_KEY]}]" if reply.get(RESPONSE_KEY) else ""
                body = reply["text"].replace("\n", "\n        ")
                lines.append(f"      < {body}{name}")
                if reply.get("buttons"):
                    lines.append("        buttons: " + " | ".join(f"{b.get('title')} -> {b.get('payload')}"
                                                              for b in reply["buttons"]))
            custom = reply.get("custom")
            if isinstance(custom, dict) and custom.get("type") == "ask":
                options = "/".join(str(o.get("title")) for o in custom.get("options") or [])
                lines.append(f"      < {{ask: {custom.get('field')}" + (f"; options: {options}" if options else "")
                             + "}")
            elif isinstance(custom, dict) and custom.get("type") == "assessment":
                kind = "what-if assessment" if custom.get("hypothetical") else "assessment"
                lines.append(f"      < {{{kind}: {_summary(custom)}}}")
    return "\n".join(lines)


def report(result: Result) -> str:
    head = f"{result.case.file} :: {result.case.name}"
    if result.passed:
        return f"PASS {head}"
    if result.error and not result.turns:
        return f"ERROR {head}\n  {result.error}"
    problem = result.failure or result.error
    return (f"FAIL {head}  (sender id {result.sender})\n  {problem}\n  transcript:\n"
            + "\n".join("    " + line for line in transcript(result).splitlines()))


def write_junit(results: list[Result], path: Path) -> None:
    """JUnit XML, one testsuite per file, that CI systems display."""
    suites = ET.Element("testsuites", name="conversation tests")
    by_file: dict[Path, list[Result]] = {}
    for r in results:
        by_file.setdefault(r.case.file, []).append(r)
    for file, items in by_file.items():
        suite = ET.SubElement(suites, "testsuite", name=str(file), tests=str(len(items)),
                              failures=str(sum(1 for r in items if r.failure)),
                              errors=str(sum(1 for r in items if r.error)),
                              time=f"{sum(r.seconds for r in items):.3f}")
        for r in items:
            case = ET.SubElement(suite, "testcase", classname=file.stem, name=r.case.name, time=f"{r.seconds:.3f}")
            if r.failure or r.error:
                tag = "failure" if r.failure else "error"
                text = (r.failure or r.error or "").splitlines()[0]
                ET.SubElement(case, tag, message=text).text = report(r)
            ET.SubElement(case, "system-out").text = f"sender id: {r.sender}\n{transcript(r)}"
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


# --- from a real conversation to a test case ------------------------------------------------------------------


# --- the command line ------------------------------------------------------------------------------------------

def _run_command(args: argparse.Namespace) -> int:
    cases = load(args.paths, args.keyword)
    if not cases:
        print(f"没有找到测试用例 / no test cases in {' '.join(args.paths)}", file=sys.stderr)
        return 1
    client = Client(args.url, args.token)
    try:
        client.check()
    except Unreachable as exc:
        print(exc, file=sys.stderr)
        return 1
    start = time.perf_counter()
    results = run(client, cases, args.jobs, progress=None if args.quiet else _progress)
    seconds = time.perf_counter() - start
    if not args.quiet:
        print()
    for r in results:
        if not r.passed:
            print(report(r) + "\n")
    write_junit(results, Path(args.junit))
    failed = sum(1 for r in results if not r.passed)
    print(f"{len(results) - failed} passed, {failed} failed, {len(results)} conversation tests in {seconds:.1f} s "
          f"(JUnit: {args.junit})")
    return 1 if failed else 0


def _progress(result: Result) -> None:
    print("." if result.passed else "F", end="", flush=True)


def _export_command(args: argparse.Namespace) -> int:
    try:
        print(export(args.sender_id, args.url, args.token, args.console_token), end="")
    except Unreachable as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=os.environ.get("ASSISTANT_URL", DEFAULT_URL),
                        help=f"the running assistant (default {DEFAULT_URL})")
    common.add_argument("--token", default=os.environ.get("RASA_TOKEN"), help="Rasa's --auth-token, if it has one")
    if argv[:1] == ["export"]:
        parser = argparse.ArgumentParser(prog="python -m assistant.tools.conversation_tests export", parents=[common],
                                         description="Print a conversation as a test case (YAML).")
        parser.add_argument("sender_id")
        parser.add_argument("--console-token", default=os.environ.get("CONSOLE_TOKEN"),
                            help="read it through the hotline console instead of Rasa's HTTP API")
        return _export_command(parser.parse_args(argv[1:]))
    parser = argparse.ArgumentParser(prog="python -m assistant.tools.conversation_tests", parents=[common],
                                     description="Run conversation tests (YAML files or folders) against a "
                                                 "running assistant; `export <sender_id>` prints a conversation "
                                                 "as a test case.")
    parser.add_argument("paths", nargs="+", help="test files or folders (tests/conversations/)")
    parser.add_argument("-k", dest="keyword", help="only the test cases whose name contains this")
    parser.add_argument("--junit", default=str(DEFAULT_JUNIT), help=f"JUnit XML report (default {DEFAULT_JUNIT})")
    parser.add_argument("--jobs", type=int, default=4, help="conversations run at the same time (default 4)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress dots")
    return _run_command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
