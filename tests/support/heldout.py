"""The held-out real questions and remarks (tests/fixtures/heldout/): loading, the dev/test split, and the
normalisation the leak rule compares texts by. Pure Python (PyYAML), no Rasa."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "tests" / "fixtures" / "heldout"
NLU = ROOT / "data" / "nlu"
QUESTION_TARGET, REMARK_TARGET = 200, 80            # issue 20's sizes
OUT_OF_SCOPE, PLACE = "out_of_scope", "place"
PLACES = ("姑苏", "虎丘", "吴中", "相城", "吴江", "园区", "常熟", "张家港", "昆山", "太仓")   # a `place` item's key
REMARK_KINDS = ("thanks", "complaint", "wait", "bot_question", "why_ask", "greeting", "hesitation", "other")
_ENTITY = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")     # Rasa's [text](entity) and [text]{...}


def split(text: str) -> str:
    """"dev" or "test", fixed by the text: the first byte of sha1(UTF-8 text), even -> dev."""
    return "dev" if hashlib.sha1(text.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def normal(text: str) -> str:
    """NFKC (full-width to half-width), lower case, whitespace collapsed: the exact-leak form."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def bare(text: str) -> str:
    """normal() without punctuation, symbols or spaces: the near-duplicate form."""
    return "".join(ch for ch in normal(text) if unicodedata.category(ch)[0] in "LN")


def questions() -> list[dict]:
    return [{**item, "split": split(item["text"])}
            for item in yaml.safe_load((HELDOUT / "questions.yml").read_text(encoding="utf-8"))]


def remarks() -> list[dict]:
    return [{**item, "split": split(item["text"])}
            for item in yaml.safe_load((HELDOUT / "remarks.yml").read_text(encoding="utf-8"))]


def training_examples(root: Path = NLU) -> dict[str, str]:
    """Every example of data/nlu/**/*.yml (intents, synonyms, lookups), entity markup removed -> its file."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    out.setdefault(_ENTITY.sub(r"\1", line[2:].strip()), str(path.relative_to(root.parent.parent)))
    return out


def faq_topics(root: Path = NLU) -> set[str]:
    """The faq/<topic> retrieval intents the training data defines."""
    topics = set()
    for path in root.rglob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            intent = str(block.get("intent") or "")
            if intent.startswith("faq/"):
                topics.add(intent.split("/", 1)[1])
    return topics


def leaks(texts: list[str], examples: dict[str, str]) -> list[tuple[str, str, str]]:
    """(held-out text, training example, its file) for each held-out text equal to a training example after
    normal() or, as a near-duplicate, after bare()."""
    exact = {normal(e): e for e in examples}
    near = {bare(e): e for e in examples if bare(e)}
    found = []
    for text in texts:
        hit = exact.get(normal(text)) or near.get(bare(text))
        if hit is not None:
            found.append((text, hit, examples[hit]))
    return found
