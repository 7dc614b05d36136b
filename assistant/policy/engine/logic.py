"""Three-valued logic over a profile: every condition is True, False or unknown (None).

An unknown truth carries the unknown fields it still hangs on (`needs`) and the smallest set of them that,
answered right, would make it true (`path`). A channel whose conditions the known facts already decide is
never "undetermined", and the fields an undetermined channel hangs on are what the assessment lists as
`missing` (docs/interfaces.md).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from assistant.policy.profile import Profile

NO_NEEDS: frozenset[str] = frozenset()

RANKS: dict[str, dict[str, int]] = {name: {v: i for i, v in enumerate(values)} for name, values in {
    "education": ("none", "junior_high", "high_school", "associate", "bachelor", "master", "doctor"),
    "professional_title": ("none", "junior", "intermediate", "associate_senior", "senior"),
    "skill_level": ("none", "level5", "level4", "level3", "level2", "level1", "principal"),
}.items()}


class Truth(NamedTuple):
    """True, False or None (unknown), with the unknown fields it hangs on."""

    value: bool | None
    needs: frozenset[str] = NO_NEEDS
    path: frozenset[str] = NO_NEEDS


TRUE = Truth(True)
FALSE = Truth(False)
UNKNOWN = Truth(None)


def unknown(*fields: str) -> Truth:
    f = frozenset(fields)
    return Truth(None, f, f)


def _combined(parts: tuple[Truth, ...], decisive: bool,
              path_of: Callable[[list[Truth]], frozenset[str]]) -> Truth:
    """`decisive` if any part is; else unknown if any part is unknown (hanging on all their needs, along
    `path_of` their paths); else the opposite of `decisive`."""
    if any(part.value is decisive for part in parts):
        return TRUE if decisive else FALSE
    open_parts = [part for part in parts if part.value is None]
    if not open_parts:
        return FALSE if decisive else TRUE
    return Truth(None, NO_NEEDS.union(*(part.needs for part in open_parts)), path_of(open_parts))


def all_of(*parts: Truth) -> Truth:
    """False if any part is false; else unknown if any is unknown (every path is needed); else true."""
    return _combined(parts, False, lambda open_parts: NO_NEEDS.union(*(part.path for part in open_parts)))


def any_of(*parts: Truth) -> Truth:
    """True if any part is true; else unknown if any is unknown (the shortest path wins); else false."""
    return _combined(parts, True, lambda open_parts: min(open_parts, key=lambda part: len(part.path)).path)


def fact(profile: Profile, name: str, test: Callable[[Any], bool]) -> Truth:
    """`test` applied to a field, unknown while the field is.

    An age known only as a range (虚岁, "四十多岁": docs/rules.md §0) decides a test when both ends of the
    range agree; every age test is monotone (a cap, a minimum), so the ends decide for the whole range."""
    value = getattr(profile, name)
    if value is None:
        if name == "age" and profile.age_range is not None:
            low, high = (test(a) for a in profile.age_range)
            if low == high:
                return TRUE if low else FALSE
        return unknown(name)
    return TRUE if test(value) else FALSE


def is_(profile: Profile, name: str, wanted: Any = True) -> Truth:
    return fact(profile, name, lambda v: v == wanted)


def at_least(profile: Profile, name: str, level: str) -> Truth:
    """An ordered enumeration at `level` or higher ("本科及以上")."""
    ranks = RANKS[name]
    return fact(profile, name, lambda v: ranks[v] >= ranks[level])


def age_at_most(profile: Profile, cap: int | None) -> Truth:
    return TRUE if cap is None else fact(profile, "age", lambda a: a <= cap)


def status_of(t: Truth) -> str:
    return "eligible" if t.value is True else "not_eligible" if t.value is False else "undetermined"


def result_of(t: Truth) -> str:
    return "met" if t.value is True else "not_met" if t.value is False else "unknown"
