"""Which question next: the one whose answer most likely brings the first open channel closest (docs/planner.md).

The engine stays the judge: only fields of the assessment's `missing` list are asked, and each candidate is
scored by running the engine on the profile with each possible answer, weighted by how common that answer
is (assistant/conversation/priors.yml, for ordering only). The score of a state is the fewest questions still needed to
open a settlement channel (0 once one is open, or when none can open any more); a question's score is the
expected score after its answer. After "继续" (every channel), the score is the number of fields still
missing. Ties keep the engine's order."""
from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.policy.engine.assess import RECOMMENDATION_ORDER, evaluate
from assistant.policy.engine.results import ChannelResult
from assistant.policy.profile import FIELD_SPECS, Profile, normalize_area
from assistant.policy.rules import rule_data

CANDIDATES = 8        # the first fields of `missing` scored by lookahead (the rest keep the engine's order)
_SETTLE = frozenset(RECOMMENDATION_ORDER)


@dataclass(frozen=True)
class Choice:
    """The next question: its fields (two for a paired question) and about how many questions are left."""

    fields: tuple[str, ...]
    remaining: int


@functools.lru_cache(maxsize=1)
def priors() -> dict:
    """assistant/conversation/priors.yml as {field: [(value, weight)]}, weights summing to 1, plus the pairs."""
    raw = yaml.safe_load((Path(__file__).with_name("priors.yml")).read_text(encoding="utf-8"))
    table: dict[str, list[tuple[Any, float]]] = {}
    for name, spec in raw["fields"].items():
        if name not in FIELD_SPECS:
            raise ValueError(f"priors.yml: unknown field {name}")
        if isinstance(spec, (int, float)):
            pairs = [(True, float(spec)), (False, 1.0 - float(spec))]
        else:
            pairs = [(_value(name, v), float(w)) for v, w in spec.items()]
        total = sum(w for _, w in pairs)
        table[name] = [(v, w / total) for v, w in pairs]
    after = {str(k): str(v) for k, v in (raw.get("asked_after") or {}).items()}
    for name in [*after, *after.values()]:
        if name not in FIELD_SPECS:
            raise ValueError(f"priors.yml: unknown field {name}")
    return {"fields": table, "pairs": [tuple(p) for p in raw.get("pairs", [])], "after": after}


def _value(name: str, raw: Any) -> Any:
    kind = FIELD_SPECS[name][0]
    if kind == "area":
        area = normalize_area(str(raw))
        if area is None:
            raise ValueError(f"priors.yml: unknown area {raw}")
        return area
    if kind == "int":
        return int(raw)
    if kind == "number":
        return float(raw)
    return raw


@functools.lru_cache(maxsize=8192)
def _channels(p: Profile) -> tuple[ChannelResult, ...]:
    """The engine's channel results for a profile (cached: the planner asks for the same ones again)."""
    data = rule_data()
    return tuple(evaluate(p, data, data.rules_on(p.as_of)))


def can_open(p: Profile, skipped: Iterable[str] = ()) -> frozenset[str]:
    """The undetermined channels that answers to questions not skipped could still make eligible."""
    return frozenset(r.id for r in _openable(_channels(p), frozenset(skipped)))


def _openable(results: Iterable[ChannelResult], skip: frozenset[str]) -> list[ChannelResult]:
    return [r for r in results if r.status == "undetermined" and r.path and not (r.path & skip)]


def decided(p: Profile) -> bool:
    """The first answer can be given: a settlement channel is open, or no answer could open one. (A skipped
    field closes no channel: its shortest way may need it, another way may not.)"""
    results = _channels(p)
    if any(r.status == "eligible" for r in results if r.id in _SETTLE):
        return True
    return not any(r.id in _SETTLE for r in _openable(results, frozenset()))


def _alive(r: ChannelResult | None) -> bool:
    return r is not None and (r.status == "eligible" or (r.status == "undetermined" and bool(r.path)))


def _with(p: Profile, name: str, value: Any) -> Profile:
    if name == "age":
        return p.replace(age=value, age_range=None)
    return p.replace(**{name: value})


def _lookahead(p: Profile, name: str) -> dict[str, tuple[float, float]]:
    """For every channel, over the answers to `name`: the chance the answer keeps it on its way (it opens, or
    its way gets no longer: the answer was one its shortest way hoped for), and the expected length of its
    way afterwards (0 once it is open or closed; for the bench, docs/planner.md)."""
    before = {r.id: _path(r) - {name} for r in _channels(p)}
    out: dict[str, tuple[float, float]] = {}
    for value, weight in priors()["fields"].get(name, ()):
        for r in _channels(_with(p, name, value)):
            kept, length = out.get(r.id, (0.0, 0.0))
            if r.status == "eligible" or (r.status == "undetermined" and r.path and r.path <= before[r.id]):
                kept += weight
            if _alive(r):
                length += weight * (len(r.path) if r.status == "undetermined" and r.path else 0)
            out[r.id] = (kept, length)
    return out


def choose(p: Profile, candidates: Sequence[str], skipped: Iterable[str] = (), full: bool = False) -> Choice:
    """The next question among `candidates` (the unskipped `missing` fields, in the engine's order).

    Until the first answer: the settlement channels that can still open are alternatives, each a conjunction
    of the unknown fields on its shortest way (`path`). Alternatives are best tried in order of their chance
    of opening per question (q / n), and a conjunction by its likeliest failure first, so the next question
    is the field of the best channel's way that most likely closes it (a field on more ways first on a tie).
    After "继续", or when no channel can open: the engine's order (the fields that decide the most)."""
    skip = frozenset(skipped)
    order = {f: i for i, f in enumerate(candidates)}
    ways = [r for r in _openable(_channels(p), skip) if r.id in _SETTLE and r.path and r.path <= order.keys()]
    if full:  # every field still missing is asked
        return Choice(_paired(candidates[0], candidates), max(1, _asks(candidates)))
    if not ways:  # the shortest way left needs a field skipped: about as long as that way
        blocked = [r for r in _openable(_channels(p), frozenset()) if r.id in _SETTLE]
        return Choice(_paired(candidates[0], candidates), _estimate(p, blocked))
    fields = sorted({f for r in ways for f in _path(r)}, key=order.__getitem__)
    ahead = {f: _lookahead(p, f) for f in fields}
    chance = {r.id: _product(ahead[f].get(r.id, (0.0, 0.0))[0] for f in _path(r)) for r in ways}
    if candidates[0] == "target_area":
        # the area decides which channels exist at all (the engine always puts it first)
        return Choice(("target_area",), _estimate(p, ways, chance))
    best = max(ways, key=lambda r: (chance[r.id] / len(_path(r)), -RECOMMENDATION_ORDER.index(r.id)))
    shared = {f: sum(f in _path(r) for r in ways) for f in fields}
    # its likeliest failure first (a field on more ways first on a tie)
    name = min(_path(best), key=lambda f: (round(ahead[f].get(best.id, (0.0, 0.0))[0], 6), -shared[f], order[f]))
    seen = {name}
    while priors()["after"].get(name) in order and priors()["after"][name] not in seen:
        name = priors()["after"][name]  # what the question presupposes is asked first ("您结婚了吗")
        seen.add(name)
    return Choice(_paired(name, candidates), _estimate(p, ways, chance))


def _path(r: ChannelResult) -> frozenset[str]:
    return r.path or frozenset()


def _asks(fields: Iterable[str]) -> int:
    """How many questions ask these fields (a pair whose two fields are both among them is one)."""
    names = set(fields)
    return len(names) - sum(1 for pair in priors()["pairs"] if set(pair) <= names)


def _product(xs: Iterable[float]) -> float:
    out = 1.0
    for x in xs:
        out *= x
    return out


def _estimate(p: Profile, ways: list[ChannelResult], chance: dict[str, float] | None = None) -> int:
    """About how many questions until the first answer: the ways tried in order, each as long as its path
    (a pair asked together counted once), the next tried only when the ones before failed (fields shared by
    ways counted once)."""
    if chance is None:
        return max(1, min(_asks(_path(r)) for r in ways)) if ways else 1
    ranked = sorted(ways, key=lambda r: -chance[r.id] / len(_path(r)))
    expected, reach, asked = 0.0, 1.0, set[str]()
    for r in ranked:
        new = _path(r) - asked
        expected += reach * _asks(new)
        asked |= new
        reach *= 1.0 - chance[r.id]
    return max(1, round(expected))


def _paired(best: str, candidates: Sequence[str]) -> tuple[str, ...]:
    """Both fields of a pair when the chosen one is in a pair whose other field matters too."""
    for pair in priors()["pairs"]:
        if best in pair and all(f in candidates for f in pair):
            return tuple(pair)
    return (best,)


def questions(fields: Sequence[str]) -> list[tuple[str, ...]]:
    """Fields in the order they were asked, grouped into the questions that asked them (a pair is one)."""
    pairs = {tuple(p) for p in priors()["pairs"]}
    out: list[tuple[str, ...]] = []
    i = 0
    while i < len(fields):
        two = tuple(fields[i:i + 2])
        out.append(two if two in pairs else (fields[i],))
        i += len(out[-1])
    return out
