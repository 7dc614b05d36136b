"""The table of facts.yml: its loader and checker, and the converters a rule may name.

facts.yml says which phrases state which profile fields (see its header); `load_table` reads and checks it
into a `Table` of compiled rules, raising FactsError naming the rule on the first problem.
assistant/understanding/facts.py interprets the table on a message.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.policy.profile import FIELD_SPECS, area_name, area_type, enum_values, normalize_area, normalize_enum
from assistant.policy.rules import rule_data
from assistant.understanding import parsing

__all__ = ["CONVERTERS", "DEFAULT_CONTEXT", "FACTS_FILE", "FIELDS", "FactsError", "Rule", "Table", "Value",
           "load_table"]

FACTS_FILE = Path(__file__).with_name("facts.yml")

# The fields a message may set: the person's facts, never as_of (a parameter, not a fact), and the range of
# 周岁 a vague or nominal age allows ("四十多岁", "虚岁36"), which is not a contract field.
FIELDS = {**{name: spec for name, spec in FIELD_SPECS.items() if name != "as_of"}, "age_range": ("range",)}

_TABLE_KEYS = {"contexts", "guards", "enum_alias_stoplist", "macros", "rules"}
_RULE_KEYS = {"match", "set", "consume", "fence", "overlap", "guard", "unique", "in", "if", "unless", "reject"}
_GUARD_KEYS = {"question_after", "question_before", "hypothetical", "clause_break"}
_MACRO_RE = re.compile(r"\{([A-Z][A-Z0-9_]*)(?::([a-z_]+))?\}")
DEFAULT_CONTEXT = "self"


class FactsError(ValueError):
    """facts.yml is malformed; the message names the rule."""


# --------------------------------------------------------------------------- converters

def _strip_groups(pattern: str) -> str:
    """parsing.py's regexes without their named groups, so they can be embedded (several times)."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


def _as_age(snippet: str) -> int | None:
    text = parsing.Text.normalised(snippet)   # a part of the message's normal form
    if parsing.parse_age_range(text) is not None:  # "四十多岁" is no single age
        return None
    age = parsing.parse_age(text)
    if age is None:  # "我妈55了": a bare number right after the person, the pattern vouched for it
        number = parsing.parse_number(text)
        if isinstance(number, int) and 0 <= number <= 120:
            age = number
    return age


def _as_age_range(text: str) -> list[int] | None:
    span = parsing.parse_age_range(parsing.Text.normalised(text))
    return None if span is None else list(span)


def _as_area(text: str) -> str | None:
    area_id = normalize_area(text)
    return None if area_id is None else area_name(area_id)


def _as_area_type(text: str) -> str | None:
    return area_type(normalize_area(text))


def _as_m2(text: str) -> float | None:
    return parsing.parse_area_m2(parsing.Text.normalised(text))


def _as_months(text: str) -> int | None:
    return parsing.parse_months(parsing.Text.normalised(text))


# name -> (function(group text, options) -> value or None, allowed options).  In facts.yml:
# {months: GROUP, cap: 12}, {age: GROUP}, {m2: GROUP}, {area: GROUP}, {area_type: GROUP},
# {enum: ENUM_NAME, from: GROUP, suffix: TEXT}; GROUP may be a list (the first group that matched).
CONVERTERS: dict[str, tuple[Callable[[str, dict], Any], set[str]]] = {
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
class Value:
    """What a rule sets a field to: a literal, or a conversion of the text of one of its groups."""

    literal: Any = None
    converter: str | None = None
    groups: tuple[str, ...] = ()
    options: dict = field(default_factory=dict)


@dataclass
class Rule:
    where: str
    patterns: list[re.Pattern]
    sets: dict[str, Value]
    consume: bool = True
    fence: bool = False
    overlap: bool = False
    guard: bool = True
    unique: bool = False
    contexts: frozenset = frozenset({DEFAULT_CONTEXT})
    if_re: re.Pattern | None = None
    unless_re: re.Pattern | None = None
    reject: dict[str, re.Pattern] = field(default_factory=dict)


@dataclass
class Table:
    rules: list[Rule]
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
    terms = rule_data().terms
    builtins = {
        "NUM": parsing.NUMBER,
        "DUR": "(?:" + _strip_groups(parsing.DURATION.pattern) + ")",
        "AGE": "(?:" + _strip_groups(parsing.AGE.pattern) + ")",
        "M2": "(?:" + _strip_groups(parsing.AREA.pattern) + ")",
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
    kind = FIELDS[name][0]
    ok = {
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "enum": value in enum_values(FIELDS[name][1]) if kind == "enum" else False,
        "area": isinstance(value, str) and (area := normalize_area(value)) is not None and area_name(area) == value,
    }[kind]
    if not ok:
        _fail(where, f"{name}: {value!r} is not a contract value for this field")


def _value(where: str, name: str, spec: Any, groups: set[str]) -> Value:
    if name not in FIELDS:
        _fail(where, f"unknown field {name!r}; known: {', '.join(FIELDS)}")
    if not isinstance(spec, dict):
        _check_literal(where, name, spec)
        return Value(literal=spec)
    kinds = [k for k in spec if k in CONVERTERS]
    if len(kinds) != 1:
        _fail(where, f"{name}: name one converter of {', '.join(CONVERTERS)}")
    kind = kinds[0]
    options = {k: v for k, v in spec.items() if k != kind}
    unknown = set(options) - CONVERTERS[kind][1]
    if unknown:
        _fail(where, f"{name}: unknown option(s) {', '.join(sorted(unknown))}")
    if kind == "enum":
        options = {**options, "enum": spec["enum"], "from": spec.get("from")}
        if FIELDS[name][0] != "enum" or FIELDS[name][1] != spec["enum"]:
            _fail(where, f"{name}: the enumeration must be {FIELDS[name][1] if FIELDS[name][0] == 'enum' else '-'}")
        source = spec.get("from")
    else:
        source = spec[kind]
    names = tuple(source) if isinstance(source, list) else (source,)
    if not names or any(n not in groups for n in names):
        _fail(where, f"{name}: group(s) {names} not in every pattern of the rule")
    return Value(converter=kind, groups=names, options=options)


def load_table(path: Path = FACTS_FILE) -> Table:
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
    known_contexts = {DEFAULT_CONTEXT, *(name for name, _ in contexts)}

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
        in_ = raw.get("in", [DEFAULT_CONTEXT])
        in_ = [in_] if isinstance(in_, str) else in_
        if not set(in_) <= known_contexts:
            _fail(where, f"unknown context(s) in {in_}; known: {', '.join(sorted(known_contexts))}")
        reject = {}
        for group, pat in (raw.get("reject") or {}).items():
            if group not in groups:
                _fail(where, f"reject names group {group!r} that the patterns lack")
            reject[group] = _compile(pat, where, expand)
        rules.append(Rule(
            where=where, patterns=patterns, sets=sets,
            consume=bool(raw.get("consume", True)), fence=bool(raw.get("fence", not sets)),
            overlap=bool(raw.get("overlap", False)),
            guard=bool(raw.get("guard", True)), unique=bool(raw.get("unique", False)),
            contexts=frozenset(in_),
            if_re=_compile(raw["if"], where, expand) if "if" in raw else None,
            unless_re=_compile(raw["unless"], where, expand) if "unless" in raw else None,
            reject=reject,
        ))
    return Table(rules, contexts, *(_compile(guards[k], f"guards.{k}", expand) for k in
                                     ("question_after", "question_before", "hypothetical", "clause_break")))
