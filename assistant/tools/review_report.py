"""The review's figures as a weekly report: `python -m assistant review --since 2026-11-01 [--until D]
[--format md|json]` (assistant/__main__.py), and the words of assistant/tools/review.yml the page shares.

The figures are assistant/tools/review.py's, over the conversations assistant/tools/review_store.py reads: counts per
filter, the top unanswered questions (masked, as stored) and the drop-off table.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any

import yaml

from assistant.tools.review_store import Range

TEXTS_FILE = Path(__file__).with_name("review.yml")


@functools.lru_cache(maxsize=1)
def texts() -> dict:
    """The review's words (assistant/tools/review.yml)."""
    return yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))


def channel_name(channel: str) -> str:
    return texts()["channels"].get(channel, channel)


def _cell(text: Any) -> str:
    """A Markdown table cell: no line breaks, no column separators."""
    return str(text).replace("\n", " ").replace("|", "\\|")


def _counts(figures: dict) -> list[str]:
    words, counts = texts()["report"], figures["counts"]
    channels = "，".join(f"{channel_name(c)} {n}" for c, n in counts["channels"].items()) or words["no_channels"]
    out = [words["total"].format(**{**counts, "channels": channels}), "", words["counts_heading"], "",
           words["counts_header"], "|---|---:|---|"]
    for name, label in texts()["filters"].items():
        note = texts()["filter_help"][name]
        if name == "unsure":
            note += words["unsure_detail"].format(**counts)
        out.append(f"| {label} | {counts[name]} | {_cell(note)} |")
    return out


def _unanswered(figures: dict) -> list[str]:
    words, reasons = texts()["report"], texts()["reasons"]
    out = ["", words["unanswered_heading"], ""]
    if not figures["unanswered"]:
        return [*out, words["unanswered_none"]]
    out += [words["unanswered_header"], "|---:|---|---:|---:|---|"]
    for n, row in enumerate(figures["unanswered"], 1):
        why = "、".join(reasons.get(r, r) for r in row["reasons"])
        out.append(f"| {n} | {_cell(row['text'])} | {row['count']} | {row['conversations']} | {why} |")
    return out


def _dropoff(figures: dict) -> list[str]:
    words = texts()["report"]
    out = ["", words["dropoff_heading"], ""]
    if not figures["dropoff"]:
        return [*out, words["dropoff_none"]]
    out += [words["dropoff_header"], "|---|---:|---:|---:|"]
    for row in figures["dropoff"]:
        share = f"{row['stopped'] / row['asked']:.0%}" if row["asked"] else "–"
        out.append(f"| {_cell(row['label'])}（{row['field']}） | {row['asked']} | {row['stopped']} | {share} |")
    return out


def markdown(figures: dict, span: Range) -> str:
    """The report in Markdown, in Chinese."""
    lines = [texts()["report"]["title"].format(since=span.since, until=span.until), "", *_counts(figures),
             *_unanswered(figures), *_dropoff(figures)]
    return "\n".join(lines) + "\n"


def as_json(figures: dict, span: Range, now: float) -> str:
    """The report as JSON: the range, when it was made, and the figures."""
    body = {"since": span.since.isoformat(), "until": span.until.isoformat(),
            "generated_at": dt.datetime.fromtimestamp(now).isoformat(timespec="seconds"), **figures}
    return json.dumps(body, ensure_ascii=False, indent=2)
