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
import json
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import requests
import yaml

DEFAULT_URL = "http://127.0.0.1:5005"
DEFAULT_JUNIT = Path("results") / "conversations.xml"
TEXTS = yaml.safe_load(Path(__file__).with_suffix(".yml").read_text(encoding="utf-8"))

CHANNELS = ("talent", "points", "home_purchase", "county_open", "family", "suzhou_graduate", "residence_permit")
STATUSES = ("eligible", "not_eligible", "undetermined", "not_applicable")
ASSESSMENT_KEYS = {"route", "talent_route", "recommended", "recommended_first", "area", "as_of", "points_known",
                   "points_line", "hypothetical", *CHANNELS}
STEP_KINDS = ("user", "as_of", "bot_contains", "bot_not_contains", "utter", "asks", "assessment")
AS_OF_MESSAGE = "按{date}的规则评估"
_AS_OF_TEXT = re.compile(r"^按(\d{4}-\d{2}-\d{2})的规则评估$")


class Unreachable(Exception):
    """The assistant (or its HTTP API) cannot be reached: the message says what to do."""


def _unreachable(url: str) -> str:
    return (f"无法连接助手 {url}：请先启动助手（make run），或用 --url 指定地址。\n"
            f"Cannot reach the assistant at {url}: start it (make run) or pass --url.")


_NO_NAMES = "an assistant older than the response names of its REST channel: assistant/channels/rest.py"
RESPONSE_KEY = "response"      # the REST channel's name of the domain response a reply was rendered from
_NO_API = ("读取会话记录需要 Rasa 的 HTTP API（rasa run --enable-api；有口令时加 --token）。\n"
           "Reading the conversation needs Rasa's HTTP API (rasa run --enable-api; --token for its auth token).")


# --- the test files ----------------------------------------------------------------------------------------

@dataclass
class Step:
    kind: str
    value: Any
    line: str           # the step as written, for messages


@dataclass
class Case:
    file: Path
    name: str
    steps: list[Step]
    error: str | None = None     # the file or the case is malformed: reported as an error, never run


def _step_text(kind: str, value: Any) -> str:
    if isinstance(value, dict):
        value = "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return f"{kind}: {value}"


def _check_step(kind: str, value: Any) -> str | None:
    """What is wrong with one step, or None."""
    if kind in ("user", "bot_contains", "bot_not_contains", "utter") and (not isinstance(value, (str, int, float))
                                                                           or str(value) == ""):
        return f"`{kind}` needs a text"
    if kind == "as_of" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
        return f"`as_of` needs a date like 2025-06-01, got {value!r}"
    if kind == "asks" and value is not None and not isinstance(value, str):
        return f"`asks` needs a field name (or null), got {value!r}"
    if kind == "assessment":
        if not isinstance(value, dict) or not value:
            return "`assessment` needs a mapping, e.g. {talent: eligible, recommended_first: talent}"
        unknown = sorted(set(map(str, value)) - ASSESSMENT_KEYS)
        if unknown:
            return f"unknown assessment key(s) {unknown}; known: {sorted(ASSESSMENT_KEYS)}"
        bad = {k: v for k, v in value.items() if k in CHANNELS and v not in STATUSES}
        if bad:
            return f"unknown status(es) {bad}; statuses: {list(STATUSES)}"
        if "recommended" in value and not isinstance(value["recommended"], list):
            return "`recommended` needs a list, e.g. [talent] (or [] for none)"
    return None


def _parse_case(file: Path, index: int, raw: Any) -> Case:
    if not isinstance(raw, dict) or "test_case" not in raw:
        return Case(file, f"#{index + 1}", [], "each entry of test_cases needs `test_case` (its name) and `steps`")
    name = str(raw["test_case"])
    unknown = set(raw) - {"test_case", "steps"}
    if unknown:
        return Case(file, name, [], f"unknown key(s) {sorted(unknown)} (a test case has test_case and steps)")
    steps: list[Step] = []
    for n, item in enumerate(raw.get("steps") or [], start=1):
        if not isinstance(item, dict) or len(item) != 1:
            return Case(file, name, [], f"step {n} must be one `kind: value` pair, got {item!r}")
        kind, value = next(iter(item.items()))
        if kind not in STEP_KINDS:
            return Case(file, name, [], f"step {n}: unknown kind `{kind}` (known: {', '.join(STEP_KINDS)})")
        if isinstance(value, dt.date):
            value = value.isoformat()
        problem = _check_step(kind, value)
        if problem:
            return Case(file, name, [], f"step {n}: {problem}")
        steps.append(Step(kind, value, _step_text(kind, value)))
    if not steps or steps[0].kind not in ("user", "as_of"):
        return Case(file, name, steps, "the first step must be `user` or `as_of`")
    return Case(file, name, steps)


def load_file(path: Path) -> list[Case]:
    """The test cases of one file (a malformed file is one case with its error)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [Case(path, path.name, [], f"cannot read {path}: {exc}")]
    if not isinstance(data, dict) or not isinstance(data.get("test_cases"), list):
        return [Case(path, path.name, [], "the file needs a top-level `test_cases:` list")]
    cases = [_parse_case(path, i, raw) for i, raw in enumerate(data["test_cases"])]
    names = [c.name for c in cases]
    for case in cases:
        if names.count(case.name) > 1 and not case.error:
            case.error = f"two test cases in {path.name} are named {case.name!r}"
    return cases


def yaml_files(paths: list[str | Path]) -> list[Path]:
    """The YAML files of the given files and folders (folders recursively, sorted)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(q for q in p.rglob("*") if q.suffix in (".yml", ".yaml") and q.is_file())
        else:
            found.append(p)
    return found


def load(paths: list[str | Path], keyword: str | None = None) -> list[Case]:
    cases = [c for f in yaml_files(paths) for c in load_file(f)]
    return [c for c in cases if not keyword or keyword in c.name]


# --- talking to the assistant ---------------------------------------------------------------------------------

@dataclass
class Client:
    """The REST webhook of a running assistant, and its tracker through Rasa's HTTP API."""

    url: str = DEFAULT_URL
    token: str | None = None      # Rasa's --auth-token, for the tracker (export only)
    timeout: float = 60

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        self.http = requests.Session()

    def check(self) -> None:
        try:
            self.http.get(self.url + "/", timeout=10).raise_for_status()
        except requests.RequestException as exc:
            raise Unreachable(_unreachable(self.url)) from exc

    def send(self, sender: str, text: str) -> list[dict]:
        try:
            r = self.http.post(f"{self.url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                               timeout=self.timeout)
        except requests.ConnectionError as exc:
            raise Unreachable(_unreachable(self.url)) from exc
        r.raise_for_status()
        return r.json() or []

    def tracker(self, sender: str) -> dict:
        params = {"include_events": "ALL", **({"token": self.token} if self.token else {})}
        try:
            r = self.http.get(f"{self.url}/conversations/{requests.utils.quote(sender, safe='')}/tracker",
                              params=params, timeout=self.timeout)
        except requests.ConnectionError as exc:
            raise Unreachable(_unreachable(self.url)) from exc
        if r.status_code in (401, 403, 404, 405):
            raise Unreachable(_NO_API)
        r.raise_for_status()
        return r.json()


def payloads(replies: list[dict], kind: str) -> list[dict]:
    return [r["custom"] for r in replies if isinstance(r.get("custom"), dict) and r["custom"].get("type") == kind]


def _texts(replies: list[dict]) -> str:
    parts = []
    for r in replies:
        if r.get("text"):
            parts.append(r["text"])
        parts += [str(b.get("title", "")) for b in r.get("buttons") or []]
    return "\n".join(parts)


def turns_of(events: list[dict]) -> list[tuple[dict, list[dict]]]:
    """The tracker's events as turns: each user event with the bot events that follow it."""
    turns: list[tuple[dict, list[dict]]] = []
    for event in events:
        if event.get("event") == "user":
            turns.append((event, []))
        elif event.get("event") == "bot" and turns:
            turns[-1][1].append(event)
    return turns


def response_name(bot_event: dict) -> str | None:
    return (bot_event.get("metadata") or {}).get("utter_action")


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
