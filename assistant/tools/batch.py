"""Many profiles at once: CSV rows in, one CSV row of results out per profile.

A bad row gets its error in the `error` column; it never stops the others.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from assistant.policy.engine import assess
from assistant.policy.profile import FIELDS, ProfileError, parse_profile
from assistant.policy.rules import CHANNEL_IDS, rule_data

ID_COLUMN = "id"
OUTPUT_COLUMNS = ("row", ID_COLUMN, *CHANNEL_IDS, "talent_route", "recommended", "points_known", "points_gap",
                  "missing", "error")


class BatchError(ValueError):
    """The file as a whole cannot be read (unknown columns, no header)."""


def _msg(key: str, **kw) -> str:
    return rule_data().messages["errors"][key].format(**kw)


def read_text(raw: bytes, path: str) -> str:
    """Decodes a CSV file: UTF-8 (with or without BOM), else GB18030 as Excel on Chinese Windows saves it."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BatchError(_msg("not_utf8", path=path))


def assess_rows(lines: Iterable[str], as_of: str | None = None,
                progress: Callable[[int], None] | None = None) -> Iterator[dict]:
    """Yields one output row (a dict of OUTPUT_COLUMNS) per input row."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if not header:
        raise BatchError(_msg("csv_empty"))
    header = [h.strip() for h in header]
    unknown = [h for h in header if h not in FIELDS and h != ID_COLUMN]
    if unknown:
        raise BatchError(_msg("csv_unknown_columns", columns="、".join(unknown), fields=", ".join(FIELDS)))
    for number, cells in enumerate(reader, start=1):
        if not any(c.strip() for c in cells):
            continue
        out: dict[str, Any] = {"row": number}
        if len(cells) != len(header):
            out["error"] = _msg("csv_row_width", row=number, got=len(cells), want=len(header))
            yield out
            continue
        data = dict(zip(header, cells, strict=True))  # widths checked above
        out[ID_COLUMN] = data.pop(ID_COLUMN, "")
        try:
            result = assess(parse_profile(data, as_of=as_of, from_text=True))
        except ProfileError as exc:
            out["error"] = "；".join(e.message for e in exc.errors)
        else:
            out.update(summary_row(result))
        if progress and number % 10000 == 0:
            progress(number)
        yield out


def summary_row(result: dict) -> dict:
    """The CSV columns of one assessment."""
    row = {c["id"]: c["status"] for c in result["channels"]}
    row["talent_route"] = next(c["route"] for c in result["channels"] if c["id"] == "talent") or ""
    row["recommended"] = " ".join(result["recommended"])
    points = result["points"]
    row["points_known"] = "" if points is None else points["known"]
    row["points_gap"] = "" if points is None else points["gap_points"]
    row["missing"] = " ".join(result["missing"])
    return row


def write_rows(rows: Iterable[dict], out: TextIO) -> tuple[int, int]:
    """Writes the rows as CSV; returns (rows written, rows with an error)."""
    writer = csv.DictWriter(out, fieldnames=OUTPUT_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    count = errors = 0
    for row in rows:
        writer.writerow(row)
        count += 1
        errors += bool(row.get("error"))
    return count, errors


def run_batch(text: str, out: TextIO, as_of: str | None = None,
              progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Assesses every row of a CSV text and writes the result CSV."""
    return write_rows(assess_rows(io.StringIO(text, newline=""), as_of, progress), out)
