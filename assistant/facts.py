"""Facts a resident states in free text -> profile fields (CONTRACT.md §1).

    >>> extract_facts("我今年28，本科毕业，在园区上班，社保交了两年多了，租的房子")
    {'age': 28, 'education': 'bachelor', 'employed_in_suzhou': True, 'target_area': '苏州工业园区',
     'social_insurance_active': True, 'social_insurance_months': 24}

The knowledge is data: `facts.yml` lists the patterns, most specific first, and what each sets.  This
module is the small interpreter for that table plus the pieces that need code:

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from . import parsing
from .profile import FIELD_SPECS, area_name, area_type, enum_values, normalize_area, normalize_enum
from .rules import policy

__all__ = ["extract_facts", "fact_spans", "load_table", "FactsError", "FACTS_FILE"]

log = logging.getLogger(__name__)

FACTS_FILE = Path(__file__).with_name("facts.yml")

# The fields a message may set: the person's facts, never as_of (a parameter, not a fact), and the range of
# 周岁 a vague or nominal age allows ("四十多岁", "虚岁36"), which is not a contract field.
_FIELDS = {**{name: spec for name, spec in FIELD_SPECS.items() if name != "as_of"}, "age_range": ("range",)}

_TABLE_KEYS = {"contexts", "guards", "enum_alias_stoplist", "macros", "rules"}
_RULE_KEYS = {"match", "set", "consume", "fence", "overlap", "guard", "unique", "in", "if", "unless", "reject"}
_GUARD_KEYS = {"question_after", "question_before", "hypothetical", "clause_break"}
_MACRO_RE = re.compile(r"\{([A-Z][A-Z0-9_]*)(?::([a-z_]+))?\}")
_DEFAULT_CONTEXT = "self"


class FactsError(ValueError):
    """facts.yml is malformed; the message names the rule."""


# --------------------------------------------------------------------------- converters

def _strip_groups(pattern: str) -> str:
    """parsing.py's regexes without their named groups, so they can be embedded (several times)."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


def _as_age(text: str) -> int | None:
    if parsing.parse_age_range(text) is not None:  # "四十多岁" is no single age
        return None
    age = parsing.parse_age(text)
    if age is None:  # "我妈55了": a bare number right after the person, the pattern vouched for it
        number = parsing.parse_number(text)
        if isinstance(number, int) and 0 <= number <= 120:
            age = number
    return age


def _as_age_range(text: str) -> list[int] | None:
    span = parsing.parse_age_range(text)
    return None if span is None else list(span)


def _as_area(text: str) -> str | None:
    area_id = normalize_area(text)
    return None if area_id is None else area_name(area_id)


def _as_area_type(text: str) -> str | None:
    return area_type(normalize_area(text))


def _as_m2(text: str) -> float | None:
    return parsing.parse_area_m2(text)


def _as_months(text: str) -> int | None:
    return parsing.parse_months(text)


# name -> (function(group text, options) -> value or None, allowed options).  In facts.yml:
# {months: GROUP, cap: 12}, {age: GROUP}, {m2: GROUP}, {area: GROUP}, {area_type: GROUP},
# {enum: ENUM_NAME, from: GROUP, suffix: TEXT}; GROUP may be a list (the first group that matched).
_CONVERTERS: dict[str, tuple[Callable[[str, dict], Any], set[str]]] = {
    "months": (lambda t, o: _cap(_as_months(t), o.get("cap")), {"cap"}),
    "age": (lambda t, o: _as_age(t), set()),
    "age_range": (lambda t, o: _as_age_range(t), set()),
    "m2": (lambda t, o: _as_m2(t), set()),
    "area": (lambda t, o: _as_area(t), set()),
    "area_type": (lambda t, o: _as_area_type(t), set()),
    "enum": (lambda t, o: normalize_enum(o["enum"], t + o.get("suffix", "")), {"from", "enum", "suffix"}),
}


def _cap(value: int | None, cap: int | None) -> int | None:
    return value if value is None or cap is None else min(value, cap)


# --------------------------------------------------------------------------- the table

@dataclass
class _Value:
    """What a rule sets a field to: a literal, or a conversion of the text of one of its groups."""

    literal: Any = None
    converter: str | None = None
    groups: tuple[str, ...] = ()
    options: dict = field(default_factory=dict)


@dataclass
class _Rule:
    where: str
    patterns: list[re.Pattern]
    sets: dict[str, _Value]
    consume: bool = True
    fence: bool = False
    overlap: bool = False
    guard: bool = True
    unique: bool = False
    contexts: frozenset = frozenset({_DEFAULT_CONTEXT})
    if_re: re.Pattern | None = None
    unless_re: re.Pattern | None = None
    reject: dict[str, re.Pattern] = field(default_factory=dict)


@dataclass
class _Table:
    rules: list[_Rule]
    contexts: list[tuple[str, re.Pattern]]
    question_after: re.Pattern
    question_before: re.Pattern
    hypothetical: re.Pattern
    clause_break: re.Pattern


def _fail(where: str, message: str) -> None:
    raise FactsError(f"facts.yml {where}: {message}")


def _alias_alternation(aliases: list[str]) -> str:
    """One regex alternative per alias, longest first; ASCII aliases only as whole words."""
    parts = []
    for alias in sorted(set(aliases), key=lambda a: (-len(a), a)):
        escaped = re.escape(alias)
        parts.append(rf"(?<![a-z]){escaped}(?![a-z])" if alias.isascii() else escaped)
    return "(?:" + "|".join(parts) + ")"


def _builtin_macros(stoplist: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    terms = policy().terms
    builtins = {
        "NUM": parsing._NUM,
        "DUR": "(?:" + _strip_groups(parsing._DURATION.pattern) + ")",
        "AGE": "(?:" + _strip_groups(parsing._AGE.pattern) + ")",
        "M2": "(?:" + _strip_groups(parsing._AREA.pattern) + ")",
        "AREA": _alias_alternation([str(a) for area_id, area in terms["areas"].items()
                                    for a in (area_id, area["name"], *area["aliases"])]),
    }
    enums = {}
    for enum_name, enum in terms["enums"].items():
        # Chinese phrasings of two characters or more: one-letter ids ("M") and generic words
        # ("无", "没有") would match everywhere; the rules that need them spell them out.
        aliases = [str(a) for spec in enum["values"].values() for a in (spec["label"], *spec.get("aliases", []))]
        enums[enum_name] = _alias_alternation(
            [a for a in aliases if len(a) >= 2 and not a.isascii() and a not in stoplist])
    return builtins, enums


def _expand(pattern: str, where: str, macros: dict[str, str], builtins: dict[str, str],
            enums: dict[str, str], depth: int = 0) -> str:
    if depth > 8:
        _fail(where, "macros nest too deeply (a macro refers to itself?)")

    def replace(m: re.Match) -> str:
        name, arg = m.group(1), m.group(2)
        if name == "ENUM":
            if arg not in enums:
                _fail(where, f"unknown enumeration {{ENUM:{arg}}}; known: {', '.join(enums)}")
            return enums[arg]
        if arg is not None:
            _fail(where, f"{{{name}:{arg}}}: only ENUM takes an argument")
        if name in builtins:
            return builtins[name]
        if name in macros:
            return _expand(macros[name], f"{where} (macro {name})", macros, builtins, enums, depth + 1)
        _fail(where, f"unknown macro {{{name}}}; known: {', '.join([*builtins, *macros, 'ENUM:...'])}")
        return ""

    return _MACRO_RE.sub(replace, pattern)


def _compile(pattern: Any, where: str, expand: Callable[[str, str], str]) -> re.Pattern:
    if not isinstance(pattern, str) or not pattern:
        _fail(where, "a pattern must be a non-empty string")
    try:
        return re.compile(expand(pattern, where), re.IGNORECASE)
    except re.error as exc:
        _fail(where, f"bad regular expression: {exc}")
        raise  # unreachable


def _check_literal(where: str, name: str, value: Any) -> None:
    kind = _FIELDS[name][0]
    ok = {
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "enum": value in enum_values(_FIELDS[name][1]) if kind == "enum" else False,
        "area": isinstance(value, str) and normalize_area(value) is not None
        and area_name(normalize_area(value)) == value,
    }[kind]
    if not ok:
        _fail(where, f"{name}: {value!r} is not a contract value for this field")


def _value(where: str, name: str, spec: Any, groups: set[str]) -> _Value:
    if name not in _FIELDS:
        _fail(where, f"unknown field {name!r}; known: {', '.join(_FIELDS)}")
    if not isinstance(spec, dict):
        _check_literal(where, name, spec)
        return _Value(literal=spec)
    kinds = [k for k in spec if k in _CONVERTERS]
    if len(kinds) != 1:
        _fail(where, f"{name}: name one converter of {', '.join(_CONVERTERS)}")
    kind = kinds[0]
    options = {k: v for k, v in spec.items() if k != kind}
    unknown = set(options) - _CONVERTERS[kind][1]
    if unknown:
        _fail(where, f"{name}: unknown option(s) {', '.join(sorted(unknown))}")
    if kind == "enum":
        options = {**options, "enum": spec["enum"], "from": spec.get("from")}
        if _FIELDS[name][0] != "enum" or _FIELDS[name][1] != spec["enum"]:
            _fail(where, f"{name}: the enumeration must be {_FIELDS[name][1] if _FIELDS[name][0] == 'enum' else '-'}")
        source = spec.get("from")
    else:
        source = spec[kind]
    names = tuple(source) if isinstance(source, list) else (source,)
    if not names or any(n not in groups for n in names):
        _fail(where, f"{name}: group(s) {names} not in every pattern of the rule")
    return _Value(converter=kind, groups=names, options=options)


def load_table(path: Path = FACTS_FILE) -> _Table:
    """Reads and checks facts.yml; a malformed table raises FactsError naming the rule."""
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise FactsError(f"facts.yml: cannot read: {exc}") from exc
    if not isinstance(data, dict) or set(data) - _TABLE_KEYS or "rules" not in data:
        _fail("top level", f"expected the keys {', '.join(sorted(_TABLE_KEYS))}")
    macros = {str(k): str(v) for k, v in (data.get("macros") or {}).items()}
    builtins, enums = _builtin_macros({str(s) for s in data.get("enum_alias_stoplist") or []})
    clash = set(macros) & set(builtins)
    if clash:
        _fail("macros", f"{', '.join(sorted(clash))} are built in")

    def expand(pattern: str, where: str) -> str:
        return _expand(pattern, where, macros, builtins, enums)

    guards = data.get("guards") or {}
    if set(guards) != _GUARD_KEYS:
        _fail("guards", f"expected exactly {', '.join(sorted(_GUARD_KEYS))}")
    contexts = [(str(name), _compile(p, f"contexts.{name}", expand)) for name, p in (data.get("contexts") or {}).items()]
    known_contexts = {_DEFAULT_CONTEXT, *(name for name, _ in contexts)}

    rules = []
    for i, raw in enumerate(data["rules"] or []):
        where = f"rules[{i}]"
        if not isinstance(raw, dict) or "match" not in raw or "set" not in raw:
            _fail(where, "a rule needs match and set")
        unknown = set(raw) - _RULE_KEYS
        if unknown:
            _fail(where, f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_RULE_KEYS))}")
        sources = raw["match"] if isinstance(raw["match"], list) else [raw["match"]]
        where = f"{where} ({str(sources[0])[:30]}...)"
        patterns = [_compile(p, where, expand) for p in sources]
        groups = set.intersection(*(set(p.groupindex) for p in patterns))
        if not isinstance(raw["set"], dict):
            _fail(where, "set must map fields to values ({} for a rule that only consumes text)")
        sets = {str(name): _value(where, str(name), spec, groups) for name, spec in raw["set"].items()}
        in_ = raw.get("in", [_DEFAULT_CONTEXT])
        in_ = [in_] if isinstance(in_, str) else in_
        if not set(in_) <= known_contexts:
            _fail(where, f"unknown context(s) in {in_}; known: {', '.join(sorted(known_contexts))}")
        reject = {}
        for group, pat in (raw.get("reject") or {}).items():
            if group not in groups:
                _fail(where, f"reject names group {group!r} that the patterns lack")
            reject[group] = _compile(pat, where, expand)
        rules.append(_Rule(
            where=where, patterns=patterns, sets=sets,
            consume=bool(raw.get("consume", True)), fence=bool(raw.get("fence", not sets)),
            overlap=bool(raw.get("overlap", False)),
            guard=bool(raw.get("guard", True)), unique=bool(raw.get("unique", False)),
            contexts=frozenset(in_),
            if_re=_compile(raw["if"], where, expand) if "if" in raw else None,
            unless_re=_compile(raw["unless"], where, expand) if "unless" in raw else None,
            reject=reject,
        ))
    return _Table(rules, contexts, *(_compile(guards[k], f"guards.{k}", expand) for k in
                                     ("question_after", "question_before", "hypothetical", "clause_break")))


_TABLE: _Table | None = None


def _table() -> _Table:
    global _TABLE
    if _TABLE is None:
        _TABLE = load_table()
    return _TABLE


# --------------------------------------------------------------------------- normalisation with offsets

def _normalized_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """parsing.normalize(text) and, for each of its characters, the index of the original character
    it came from (None: identical positions).  normalize converts character by character except that it
    truncates, squeezes whitespace runs to one character and strips; all three only shorten the text."""
    if not isinstance(text, str):
        return "", None
    norm = parsing.normalize(text)
    if len(norm) == len(text):
        return norm, None
    head = text[: parsing._MAX_CHARS]
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


def _guarded(table: _Table, text: str, breaks: list[int], start: int, end: int) -> bool:
    """The match is asked or supposed, not stated (the guards of facts.yml)."""
    if table.question_after.match(text, end) or _a_not_a(text, start):
        return True
    i = bisect.bisect_right(breaks, start) - 1
    prefix = text[breaks[i] if i >= 0 else 0:start]
    return bool(table.question_before.search(prefix) or table.hypothetical.search(prefix))


def _convert(rule: _Rule, m: re.Match) -> dict[str, tuple[Any, int, int]] | None:
    """field -> (value, start, end) for one match, or None when a value does not convert."""
    out = {}
    for name, spec in rule.sets.items():
        if spec.converter is None:
            out[name] = (spec.literal, m.start(), m.end())
            continue
        group = next((g for g in spec.groups if m.group(g) is not None), None)
        if group is None:
            return None
        value = _CONVERTERS[spec.converter][0](m.group(group), spec.options)
        if value is None or not _in_range(name, value):
            return None
        out[name] = (value, m.start(group), m.end(group))
    return out


def _in_range(name: str, value: Any) -> bool:
    spec = _FIELDS[name]
    if spec[0] in ("int", "number"):
        return spec[1] <= value <= spec[2]
    return True


def _context(table: _Table, text: str) -> str:
    for name, pattern in table.contexts:
        if pattern.search(text):
            return name
    return _DEFAULT_CONTEXT


def _run(table: _Table, text: str) -> list[tuple[str, Any, int, int]]:
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


def fact_spans(text: str) -> list[dict]:
    """Every fact the message states, as Rasa-style entities:
    [{"entity": field, "value": contract value, "start": s, "end": e}, ...] sorted by position;
    offsets index the ORIGINAL text (text[s:e] is the phrase that states the fact)."""
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


def extract_facts(text: str) -> dict[str, object]:
    """Profile field -> contract value for every fact the message clearly states (CONTRACT.md §1):
    enum ids, the area's canonical name, bools, ints, a float for home_area_m2.  A field the message
    leaves unclear is left out (the assistant asks).  Never raises on a message."""
    return {span["entity"]: span["value"] for span in fact_spans(text)}
