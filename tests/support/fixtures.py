"""The test fixtures under tests/fixtures/: the public example profiles, opening lines and FAQ questions.

A missing fixture fails the test that needs it, with a message saying what is missing: no test skips or
shrinks silently.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load(name: str) -> Any:
    """profiles.json / faq.json as JSON, openings.txt as its non-empty lines."""
    path = FIXTURES / name
    if not path.is_file():
        raise FileNotFoundError(f"test fixture {path} is missing: it is part of the repository, restore it")
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else [line for line in text.splitlines() if line.strip()]
