"""The mutation score of the last `mutmut run` (make mutation): killed / total, per file of the engine and in all.

A timeout counts as killed (the mutant made the code hang), as in mutmut's own badge. Mutants not checked yet
(an interrupted run) are shown and left out of the score; `mutmut results` lists the survivors and
`mutmut show <name>` shows one. Reads mutmut's work folder, mutants/ (gitignored).
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

MUTANTS = Path("mutants")


def counts_by_file(root: Path = MUTANTS) -> dict[str, Counter[str]]:
    """Each mutated file's mutants counted by status (killed, survived, timeout, not checked …)."""
    result: dict[str, Counter[str]] = {}
    for meta in sorted(root.rglob("*.py.meta")):
        codes = json.loads(meta.read_text(encoding="utf-8")).get("exit_code_by_key", {})
        if codes:
            result[str(meta.relative_to(root))[: -len(".meta")]] = Counter(status_by_exit_code[c] for c in codes.values())
    return result


def score_line(name: str, counts: Counter[str]) -> str:
    killed = counts["killed"] + counts["timeout"]
    checked = sum(counts.values()) - counts["not checked"]
    share = f"{100 * killed / checked:5.1f} %" if checked else "    –  "
    rest = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k not in ("killed", "timeout") and v)
    return f"{name:40} {killed:5}/{checked:<5} {share}   {rest}"


def main() -> int:
    by_file = counts_by_file()
    if not by_file:
        print("no mutmut results in mutants/: run `make mutation` first")
        return 1
    total: Counter[str] = Counter()
    print(f"{'file':40} killed/total  score   (timeouts count as killed)")
    for name, counts in by_file.items():
        total.update(counts)
        print(score_line(name, counts))
    print(score_line("mutation score", total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
