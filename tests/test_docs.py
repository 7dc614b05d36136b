"""The documentation holds together: the README stays short, every relative link of README.md and docs/*.md
leads to a file (and to a heading, when it names one), every path the pages name in code exists, and every
`make <target>` the README names is a target of the Makefile."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)
# Paths of the repository named in code spans (files that runs create, such as results/…, are not named so).
# data/nlu/reviewed.yml is written when staff first label a message in the conversation review.
CREATED_BY_USE = {"data/nlu/reviewed.yml"}
REPO_PATH = re.compile(r"(?<![\w./-])((?:assistant|actions|tests|scripts|deploy|docs|data)/[\w./*@+-]*[\w/*])")


def name(page: Path) -> str:
    return str(page.relative_to(ROOT))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.M)}


def test_the_readme_is_at_most_250_lines():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 250


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_every_relative_link_leads_to_a_file_and_heading(page):
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{name(page)}: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_every_path_named_in_code_exists(page):
    code = " ".join(CODE.findall(page.read_text(encoding="utf-8")))
    missing = sorted({p for p in REPO_PATH.findall(code)
                      if "<" not in p and p not in CREATED_BY_USE and not (list(ROOT.glob(p)) if "*" in p else (ROOT / p).exists())})
    assert not missing, f"{name(page)} names paths that do not exist: {missing}"


def test_every_make_target_the_readme_names_exists():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-zA-Z][\w-]*):", makefile, re.M))
    code = " ".join(CODE.findall(README.read_text(encoding="utf-8")))
    named = set(re.findall(r"\bmake ([a-z][\w-]*)", code))
    assert {"run", "test"} <= named
    assert named <= targets, f"not in the Makefile: {sorted(named - targets)}"
