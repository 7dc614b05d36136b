""""标注正确主题": a resident's message added as an NLU example of an FAQ topic to data/nlu/reviewed.yml.

The file is training data (`rasa train` reads data/): a Rasa NLU YAML file of faq/<topic> examples that staff
review and commit; `REVIEWED_NLU` names another file (the tests point it at a temporary one). Adding is safe
against concurrent writers (an exclusive lock on the file's folder; the new version is written beside it and
renamed over it, so a reader never sees half a file) and against duplicates (a phrasing already trained is not
added again, nor under a second intent). The held-out evaluation sets under tests/fixtures/ and this file are
kept apart: a message that is one of the fixtures' phrasings not already trained, or nearly (similarity >= 0.8,
the held-out sets' own rule), is refused. Only the stored, masked text is written, masked once more. Pure Python.
"""
from __future__ import annotations

import contextlib
import difflib
import fcntl
import functools
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import KeyedError
from assistant.policy.rules import rule_data
from assistant.stores.privacy import mask
from assistant.understanding.parsing import normalize

ROOT = Path(__file__).resolve().parents[2]
PATH_ENV = "REVIEWED_NLU"
DEFAULT_PATH = ROOT / "data" / "nlu" / "reviewed.yml"
NLU_DIR = ROOT / "data" / "nlu"
FIXTURES = ROOT / "tests" / "fixtures"
NEAR = 0.8              # tests/fixtures/faq_heldout.yml: held-out phrasings stay below this similarity
NEAR_MIN_CHARS = 6      # shorter texts are compared exactly only (every short reply looks like another)
MAX_CHARS = 200
HEADER = """\
# 坐席在对话复核页面（/webhooks/console/review，“标注正确主题”）标注的 FAQ 例句：居民的原话（个人号码已打码），
# 标注为它本应得到的 FAQ 主题。提交前请逐条核对：主题不对的删掉；这个文件是训练数据（make train 会读取）。
# 评估用的测试集（tests/fixtures/）与本文件互不取用。
# Examples labelled by staff on the review page; training data once committed. Written by assistant/tools/reviewed_nlu.py.
"""
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when there: the training data is 130 KB
_PUNCT = re.compile(r"[\s，。？！、,.?!~～…：:；;“”\"'‘’（）()【】\[\]《》<>-]+")


class LabelError(KeyedError):
    """A label that cannot be added; `key` names the message in assistant/tools/review.yml (label:)."""


@dataclass(frozen=True)
class Labelled:
    added: bool          # False: the file had the example already
    topic: str
    text: str
    path: Path


@functools.lru_cache(maxsize=50_000)   # the training data's phrasings are compared on every label
def plain(text: str) -> str:
    """A phrasing's comparable form: 繁->简, half-width, no spaces or punctuation, lower case."""
    return _PUNCT.sub("", normalize(text or "")).lower()


def reviewed_path() -> Path:
    """The file labels go to: $REVIEWED_NLU, else data/nlu/reviewed.yml."""
    configured = (os.environ.get(PATH_ENV) or "").strip()
    return Path(configured) if configured else DEFAULT_PATH


def topics() -> dict[str, str]:
    """Every FAQ topic with its title (the "您是想问" buttons' words, messages.yml faq_topics)."""
    return dict(rule_data().messages["faq_topics"])


def _load(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)   # a safe loader (CSafeLoader or SafeLoader)


def _examples(data: Any) -> Iterator[tuple[str, str]]:
    """(intent, example) of a Rasa NLU YAML document."""
    items = data.get("nlu") if isinstance(data, dict) else None
    for item in items or []:
        if not isinstance(item, dict) or "intent" not in item:
            continue
        examples = item.get("examples") or ""
        if isinstance(examples, str):
            lines = [line.strip()[2:] for line in examples.splitlines() if line.strip().startswith("- ")]
        else:
            lines = [str(e.get("text", "")) for e in examples if isinstance(e, dict)]
        for line in lines:
            yield str(item["intent"]), line.strip()


def _trained(path: Path) -> dict[str, str]:
    """Plain phrasing -> intent, over the training data (data/nlu/*.yml and the reviewed file)."""
    found: dict[str, str] = {}
    files = {p.resolve() for p in NLU_DIR.glob("*.yml")} | ({path.resolve()} if path.is_file() else set())
    for file in sorted(files):
        for intent, example in _examples(_load(file.read_text(encoding="utf-8"))):
            found.setdefault(plain(example), intent)
    return found


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def held_out(folder: Path = FIXTURES) -> set[str]:
    """The plain form of every phrasing in the test fixtures (the held-out sets among them; those that are
    training data already are no held-out phrasings, and add_example leaves them out)."""
    out: set[str] = set()
    for file in sorted(folder.glob("*")) if folder.is_dir() else []:
        text = file.read_text(encoding="utf-8") if file.suffix in (".yml", ".yaml", ".json", ".txt") else ""
        if file.suffix in (".yml", ".yaml"):
            out.update(plain(s) for s in _strings(_load(text)))
        elif file.suffix == ".json":
            out.update(plain(s) for s in _strings(json.loads(text)))
        elif text:
            out.update(plain(line) for line in text.splitlines())
    return {s for s in out if s}


def _near(phrase: str, others: set[str]) -> str | None:
    if phrase in others:
        return phrase
    if len(phrase) < NEAR_MIN_CHARS:
        return None
    for other in others:
        if len(other) >= NEAR_MIN_CHARS:
            matcher = difflib.SequenceMatcher(None, phrase, other)
            if matcher.real_quick_ratio() >= NEAR and matcher.quick_ratio() >= NEAR and matcher.ratio() >= NEAR:
                return other
    return None


def clean(text: str) -> str:
    """The example as written: masked again, on one line, square brackets full-width (Rasa would read
    "[x](y)" as an entity annotation)."""
    text = mask(normalize(text or "")).replace("[", "［").replace("]", "］")
    return re.sub(r"\s+", " ", text).strip()


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the folder (flock works on a directory on Linux): one writer at a time, across
    processes and Rasa instances on this machine."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def render(examples: dict[str, list[str]]) -> str:
    """The file: the header, then one block per intent (sorted), its examples in the order they came."""
    out = [HEADER, 'version: "3.1"', "", "nlu:"]
    for intent in sorted(examples):
        out += [f"- intent: {intent}", "  examples: |"]
        out += [f"    - {example}" for example in examples[intent]]
        out.append("")
    if not examples:
        out[-1] = "nlu: []"
    return "\n".join(out).rstrip("\n") + "\n"


def _read(path: Path) -> dict[str, list[str]]:
    examples: dict[str, list[str]] = {}
    if path.is_file():
        for intent, example in _examples(_load(path.read_text(encoding="utf-8"))):
            examples.setdefault(intent, []).append(example)
    return examples


def _write(path: Path, content: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def add_example(text: str, topic: str, path: Path | None = None) -> Labelled:
    """Adds `text` as an example of faq/<topic>; LabelError when it cannot be (the reason in `key`)."""
    path = path or reviewed_path()
    if topic not in topics():
        raise LabelError("unknown_topic", topic=topic)
    example = clean(text)
    phrase = plain(example)
    if not phrase or example.startswith("/"):
        raise LabelError("not_a_message")
    if len(example) > MAX_CHARS:
        raise LabelError("too_long", limit=MAX_CHARS)
    intent = f"faq/{topic}"
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.parent):
        trained = _trained(path)
        if trained.get(phrase) == intent:
            return Labelled(False, topic, example, path)
        if phrase in trained:
            raise LabelError("trained_elsewhere", intent=trained[phrase])
        if _near(phrase, held_out() - set(trained)):
            raise LabelError("held_out")
        examples = _read(path)
        examples.setdefault(intent, []).append(example)
        content = render(examples)
        if list(_examples(_load(content))).count((intent, example)) != 1:
            raise LabelError("not_a_message")   # the text would not survive YAML: never write a broken file
        _write(path, content)
    return Labelled(True, topic, example, path)
