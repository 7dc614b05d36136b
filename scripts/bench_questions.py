"""Questions before the first answer, without a server: every persona (tests/support/interviews.py: the
public profiles and the generated ones, every channel, before and after the 2024 rules) answers the planner's
questions through the pure-Python turn, then "继续" to the end. Prints the median and maximum of different
questions (a paired question is one) and fields before the first answer, the decisions that differ from the
full profile's (target: none) and the time per turn.

    python scripts/bench_questions.py           # answers as button payloads (the planner's decisions)
    python scripts/bench_questions.py --words   # answers in everyday Chinese (reading included)
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.interviews import full_verdict, generated, interview, public, verdict


def main(argv: list[str]) -> int:
    words = "--words" in argv
    rows = []
    errors: list[int] = []
    start = time.perf_counter()
    turns = 0
    for group, profiles in (("public", public()), ("generated", generated())):
        for p in profiles:
            iv = interview(p, words=words)
            turns += iv.turns
            same = iv.final is not None and verdict(iv.final) == full_verdict(p)
            rows.append((group, iv.questions, len(iv.before_first), same))
            if iv.remaining:  # the estimate under the first question against the questions it took
                errors.append(abs(iv.remaining[0] - iv.questions))
    elapsed = time.perf_counter() - start
    print(f"Questions before the first answer ({'words' if words else 'payload answers'}):")
    for group in ("public", "generated", "all"):
        sel = [r for r in rows if group in ("all", r[0])]
        qs, fs = [r[1] for r in sel], [r[2] for r in sel]
        print(f"  {group:9} {len(sel):4} personas: questions median {statistics.median(qs):g}, max {max(qs)}; "
              f"fields median {statistics.median(fs):g}, max {max(fs)}")
    print(f"  `remaining` under the first question against the questions asked: off by median "
          f"{statistics.median(errors):g}, 90th percentile {sorted(errors)[int(len(errors) * 0.9)]}")
    wrong = sum(not r[3] for r in rows)
    print(f"  decisions different from the full profile's after 继续 to the end: {wrong} (target 0)")
    print(f"  {turns} turns in {elapsed:.1f} s: {elapsed / turns * 1000:.1f} ms per turn (the engine and planner)")
    return 0 if wrong == 0 or words else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
