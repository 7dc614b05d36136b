"""Facts a resident states in free text -> profile fields (docs/interfaces.md §1).

    >>> extract_facts("我今年28，本科毕业，在园区上班，社保交了两年多了，租的房子")
    {'age': 28, 'education': 'bachelor', 'employed_in_suzhou': True, 'target_area': '苏州工业园区',
     'social_insurance_active': True, 'social_insurance_months': 24}

The knowledge is data: `facts.yml` lists the patterns, most specific first, and what each sets;
assistant/understanding/facts_table.py loads and checks it.  This module interprets the table on a message:

* every message goes through `parsing.normalize` (traditional -> simplified, full-width -> half-width);
  the offsets of `fact_spans` are mapped back to the ORIGINAL text;
* `{DUR}`, `{AGE}`, `{M2}`, `{NUM}` in a pattern are parsing.py's own regexes, and the captured text is
  converted by parsing.parse_months / parse_age / parse_area_m2 (no second number parser here);
* `{AREA}` and `{ENUM:name}` are built from the aliases of policy/terms.yml, and the captured text is
  converted by profile.normalize_area / normalize_enum (no alias list is copied into facts.yml).

How the table is read (see the header of facts.yml): the rules run in file order; a field keeps the
first value found (so negations, listed first, win over the positive phrasing); a match may not overlap
text an earlier rule consumed (so "高级工程师" is not also read as "高级工", and "南京交了两年社保" is not
read as Suzhou months).  Nothing here raises on any message: an odd one gives fewer facts, never an error
(a malformed facts.yml does raise FactsError, on the first call: that is a bug to see, not a message).
"""
from __future__ import annotations

import bisect
import logging
import re
from typing import Any

from assistant.understanding import parsing
from assistant.understanding.facts_table import (
    CONVERTERS,
    DEFAULT_CONTEXT,
    FACTS_FILE,
    FIELDS,
    FactsError,
    Rule,
    Table,
    load_table,
)

__all__ = ["extract_facts", "fact_spans", "load_table", "FactsError", "FACTS_FILE"]

log = logging.getLogger(__name__)

_TABLE: Table | None = None


def _table() -> Table:
    global _TABLE
    if _TABLE is None:
        _TABLE = load_table()
    return _TABLE


# --------------------------------------------------------------------------- normalisation with offsets

def _normalized_with_offsets(text: str | parsing.Text) -> tuple[str, list[int] | None]:
    """parsing.normalize(text) and, for each of its characters, the index of the original character
    it came from (None: identical positions).  normalize converts character by character except that it
    truncates, squeezes whitespace runs to one character and strips; all three only shorten the text."""
    if isinstance(text, parsing.Text):  # normalised already: offsets index its normal form
        return text.normal, None
    if not isinstance(text, str):
        return "", None
    norm = parsing.normalize(text)
    if len(norm) == len(text):
        return norm, None
    head = text[: parsing.MAX_CHARS]
    index: list[int] = []
    for m in re.finditer(r"\s+|\S+", head):
        if m.group()[0].isspace():
            index.append(m.start())
        else:
            index.extend(range(m.start(), m.end()))
    # strip(): leading and trailing whitespace runs are one character each by now
    if index and head[index[0]].isspace():
        index = index[1:]
    if index and head[index[-1]].isspace():
        index = index[:-1]
    if len(index) != len(norm):  # a converter changed a length: convert character by character instead
        chars = []
        for i in index:
            c = parsing.normalize(head[i]) or " "
            chars.append(c if len(c) == 1 else head[i])
        norm = "".join(chars)
    return norm, index


# --------------------------------------------------------------------------- the interpreter

def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in spans)


def _blocked(start: int, end: int, consumed: list[tuple[int, int, bool]], overlap: bool) -> bool:
    """Consumed text hides a match; with overlap only fenced-off text does."""
    return any(start < e and s < end and (fence or not overlap) for s, e, fence in consumed)


def _a_not_a(text: str, start: int) -> bool:
    """"有没有居住证" / "是不是失信人员" ask a question: neither half states a fact."""
    if 0 < start < len(text) - 1 and text[start] in "没不" and text[start - 1] == text[start + 1]:
        return True
    return start >= 2 and text[start - 1] in "没不" and text[start - 2] == text[start]


def _guarded(table: Table, text: str, breaks: list[int], start: int, end: int) -> bool:
    """The match is asked or supposed, not stated (the guards of facts.yml)."""
    if table.question_after.match(text, end) or _a_not_a(text, start):
        return True
    i = bisect.bisect_right(breaks, start) - 1
    prefix = text[breaks[i] if i >= 0 else 0:start]
    return bool(table.question_before.search(prefix) or table.hypothetical.search(prefix))


def _convert(rule: Rule, m: re.Match) -> dict[str, tuple[Any, int, int]] | None:
    """field -> (value, start, end) for one match, or None when a value does not convert."""
    out = {}
    for name, spec in rule.sets.items():
        if spec.converter is None:
            out[name] = (spec.literal, m.start(), m.end())
            continue
        group = next((g for g in spec.groups if m.group(g) is not None), None)
        if group is None:
            return None
        value = CONVERTERS[spec.converter][0](m.group(group), spec.options)
        if value is None or not _in_range(name, value):
            return None
        out[name] = (value, m.start(group), m.end(group))
    return out


def _in_range(name: str, value: Any) -> bool:
    spec = FIELDS[name]
    if spec[0] in ("int", "number"):
        return spec[1] <= value <= spec[2]
    return True


def _context(table: Table, text: str) -> str:
    for name, pattern in table.contexts:
        if pattern.search(text):
            return name
    return DEFAULT_CONTEXT


def _run(table: Table, text: str) -> list[tuple[str, Any, int, int]]:
    """(field, value, start, end) in normalized-text offsets, one per field."""
    found: dict[str, tuple[Any, int, int]] = {}
    consumed: list[tuple[int, int, bool]] = []  # (start, end, fenced off)
    context = _context(table, text)
    breaks = [m.end() for m in table.clause_break.finditer(text)]  # where each clause starts
    for rule in table.rules:
        if context not in rule.contexts:
            continue
        if rule.if_re is not None and not rule.if_re.search(text):
            continue
        if rule.unless_re is not None and rule.unless_re.search(text):
            continue
        accepted: list[dict[str, tuple[Any, int, int]]] = []
        taken: list[tuple[int, int]] = []
        for pattern in rule.patterns:
            pos = 0
            while pos <= len(text):
                m = pattern.search(text, pos)
                if m is None:
                    break
                start, end = m.span()
                pos = end if end > start else start + 1
                if (_blocked(start, end, consumed, rule.overlap) or _overlaps(start, end, taken)
                        or (rule.guard and _guarded(table, text, breaks, start, end))
                        or any(m.group(g) is not None and r.fullmatch(m.group(g)) for g, r in rule.reject.items())):
                    pos = start + 1  # a shorter match further on may still be free
                    continue
                values = _convert(rule, m)
                if values is None:
                    pos = start + 1
                    continue
                accepted.append(values)
                taken.append((start, end))
        if rule.unique:
            for name in rule.sets:
                if len({repr(v[name][0]) for v in accepted}) > 1:
                    accepted = []
        for values in accepted:
            for name, value in values.items():
                found.setdefault(name, value)
        if rule.consume:
            consumed.extend((s, e, rule.fence) for s, e in taken)
    _drop_contradictions(found)
    return [(name, v, s, e) for name, (v, s, e) in found.items()]


# Pairs a profile rejects together (profile.parse_profile): a message stating both is contradicting
# itself ("社保连续交了两年…社保交了18个月"), so neither is clear: both are left out and asked.
_AT_MOST = (("social_insurance_consecutive_months", "social_insurance_months"),)


def _drop_contradictions(found: dict[str, tuple[Any, int, int]]) -> None:
    for small, large in _AT_MOST:
        if small in found and large in found and found[small][0] > found[large][0]:
            del found[small], found[large]


def fact_spans(text: str | parsing.Text) -> list[dict]:
    """Every fact the message states, as Rasa-style entities:
    [{"entity": field, "value": contract value, "start": s, "end": e}, ...] sorted by position;
    offsets index the ORIGINAL text (text[s:e] is the phrase that states the fact; for a `Text`, its normal
    form)."""
    try:
        norm, index = _normalized_with_offsets(text)
        if not norm:
            return []
        spans = []
        for name, value, start, end in _run(_table(), norm):
            if index is not None:
                start, end = index[start], index[end - 1] + 1
            spans.append({"entity": name, "value": value, "start": start, "end": end})
        return sorted(spans, key=lambda s: (s["start"], s["end"], s["entity"]))
    except FactsError:
        raise  # a broken facts.yml is a bug to see, not a message to shrug off
    except Exception:  # defensive: one odd message must never break the dialogue turn
        log.exception("fact extraction failed")
        return []


def extract_facts(text: str | parsing.Text) -> dict[str, object]:
    """Profile field -> contract value for every fact the message clearly states (docs/interfaces.md §1):
    enum ids, the area's canonical name, bools, ints, a float for home_area_m2.  A field the message
    leaves unclear is left out (the assistant asks).  Never raises on a message."""
    return {span["entity"]: span["value"] for span in fact_spans(text)}
