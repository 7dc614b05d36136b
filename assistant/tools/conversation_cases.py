"""The conversation tests' format and their client: loading and checking the YAML test files, the REST
client that talks to a running assistant, and reading its replies and trackers (no Rasa import)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

DEFAULT_URL = "http://127.0.0.1:5005"
DEFAULT_JUNIT = Path("results") / "conversations.xml"
TEXTS = yaml.safe_load(Path(__file__).with_name("conversation_tests.yml").read_text(encoding="utf-8"))

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

