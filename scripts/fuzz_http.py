"""The HTTP fuzz: generated messages through REST, the web chat's request and WeChat (signed, plaintext and AES
mode) against the real servers on loopback, then the tracker store searched for every ID-card, mobile and
bank-card number that was sent. Prints the figures; exit status 1 when any answer was a 5xx, any message got
no answer or any number is stored in clear.

    .venv/bin/python scripts/fuzz_http.py                        # 2,000 messages, seed 19, 4 conversations at once
    .venv/bin/python scripts/fuzz_http.py --count 5000 --seed 7 --jobs 2 --max-seconds 3600

The messages are drawn by hypothesis from tests/support/strategies.py (see tests/support/fuzz.py for how, and
why not `.example()`): the same seed gives the same messages. tests/test_fuzz.py runs 400 of them in `make test`.
The figures and every problem go to results/fuzz.json as well; the servers' logs and tracker store stay in
results/fuzz-servers/.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import fuzz  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="messages to send (default 2000)")
    parser.add_argument("--seed", type=int, default=19, help="hypothesis seed (default 19)")
    parser.add_argument("--jobs", type=int, default=4, help="conversations at the same time (default 4)")
    parser.add_argument("--max-seconds", type=float, default=3600, help="stop sending after this (default 3600)")
    parser.add_argument("--out", default=str(ROOT / "results" / "fuzz.json"), help="JSON report")
    args = parser.parse_args(argv)

    conversations = fuzz.generate(args.count, args.seed)
    print(f"==> {sum(len(c.messages) for c in conversations)} messages in {len(conversations)} conversations "
          f"(seed {args.seed}); starting the servers", flush=True)
    work = Path(args.out).parent / "fuzz-servers"    # the servers' logs and tracker store stay for a look
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with fuzz.started(work) as target:
        report = fuzz.run(target, conversations, jobs=args.jobs, max_seconds=args.max_seconds)
    lines = fuzz.summary(report)
    print("\n".join(lines))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "seed": args.seed, "summary": lines, "problems": [asdict(s) for s in report.problems],
        "faults": [asdict(s) for s in report.sent if s.fault],
        "in_clear": report.in_clear, "slowest": [asdict(s) for s in sorted(report.sent, key=lambda s: -s.seconds)[:10]],
    }, ensure_ascii=False, indent=1), encoding="utf-8", errors="backslashreplace")   # lone surrogates sent
    return 1 if report.problems or report.in_clear else 0


if __name__ == "__main__":
    sys.exit(main())
