"""The HTTP fuzz in `make test` (tests/support/fuzz.py; scripts/fuzz_http.py runs 2,000 and prints the figures):
400 generated messages, in conversations, through REST, the web chat's request and WeChat in plaintext and AES
mode, against the real servers on loopback, bounded to 15 minutes. No answer may be a 5xx, every message gets an
answer, and no ID-card, mobile or bank-card number that was sent is in the tracker store in clear."""
from __future__ import annotations

import pytest

from tests.support import fuzz

pytestmark = pytest.mark.servers  # real servers: `make test`, not `make unit`

COUNT, SEED = 400, 1919


def test_generated_messages_through_every_channel_never_break_the_assistant(tmp_path):
    conversations = fuzz.generate(COUNT, SEED)
    assert sum(len(c.messages) for c in conversations) == COUNT
    assert {c.route for c in conversations} == set(fuzz.ROUTES)
    with fuzz.started(tmp_path) as target:
        report = fuzz.run(target, conversations, jobs=4, max_seconds=900)
    figures = "\n".join(fuzz.summary(report))
    print(figures)
    assert not report.stopped_early, figures
    assert report.server_errors == [], figures
    assert report.problems == [], figures
    assert report.numbers, "no personal number was sent: the generator is broken"
    assert report.in_clear == [], figures


def test_the_same_seed_gives_the_same_messages():
    first, again = fuzz.generate(30, 7), fuzz.generate(30, 7)
    assert [c.messages for c in first] == [c.messages for c in again]
