"""The talent routes as the rule data gives them (docs/readings.md §1), compiled once per rule set: each
route's credentials with their age caps, its age and social-insurance tiers, and the combinations of both."""
from __future__ import annotations

from dataclasses import dataclass

from assistant.policy.engine.logic import RANKS
from assistant.policy.profile import enum_label
from assistant.policy.rules import RuleData, RuleSet, Value

ROUTES = ("A", "B1", "B2", "C", "D")
FIELD = {"education": "education", "title": "professional_title", "skill": "skill_level"}


@dataclass(frozen=True)
class Credential:
    """One qualifying credential: a field at least `level`, with its own age cap."""

    kind: str                     # education | title | skill
    level: str
    age_cap: int | None
    strict_degree: bool           # the degree must be full-time with the degree, or certified overseas
    lower_degree: str | None      # a full-time lower degree counts as this level (2020 Route A)
    shortage: bool | None         # must (True) be on Suzhou's shortage catalogue
    verified: bool = True         # its age cap is confirmed (False: said with the answer, with its article)
    article: str | None = None

    @property
    def field(self) -> str:
        return FIELD[self.kind]


@dataclass(frozen=True)
class Tier:
    """An age and social-insurance tier of a route; a credential qualifies through any of its tiers."""

    age_cap: int | None = None
    months: int | None = None
    shortage: bool | None = None
    verified: bool = True
    article: str | None = None


@dataclass(frozen=True)
class Combo:
    """A credential with a tier; the age cap is the lower of the two. Unverified when either is, with the
    articles of the unverified parts."""

    index: int
    credential: int
    tier: Tier
    cap: int | None
    verified: bool = True
    articles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    rid: str
    name: str
    spec: Value
    requires: tuple[str, ...]
    months_mode: str | None       # consecutive | effective
    credentials: tuple[Credential, ...]
    combos: tuple[Combo, ...]
    credential_text: str
    back_payments: dict | None = None  # months paid afterwards do not count (its flag and article)
    catalogue_skill: str | None = None  # the lowest skill level whose way through the route needs the catalogue


def _min_cap(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _compile(rid: str, spec: Value, texts: dict) -> Route:
    data = spec.value
    strict = data.get("degree_mode") == "full_time_or_certified_overseas"
    creds = []
    for c in data["credentials"]:
        kind = next(k for k in FIELD if k in c)
        creds.append(Credential(kind, c[kind], c.get("age_cap"), strict and kind == "education",
                                data.get("lower_degree") if kind == "education" else None, c.get("shortage"),
                                c.get("verified", True), c.get("article")))
    tiers = [Tier(t.get("age_cap"), t.get("months"), t.get("shortage"), t.get("verified", True), t.get("article"))
             for t in data.get("tiers") or [{}]]
    combos = tuple(Combo(n, i, tier, _min_cap(c.age_cap, tier.age_cap), c.verified and tier.verified,
                         tuple(part.article for part in (c, tier) if not part.verified and part.article))
                   for n, (i, c, tier) in enumerate((i, c, t) for i, c in enumerate(creds) for t in tiers))
    on_catalogue = [c.level for c in creds if c.kind == "skill"
                    and (c.shortage is True or all(t.shortage is True for t in tiers))]
    lowest = min(on_catalogue, key=RANKS["skill_level"].__getitem__) if on_catalogue else None
    return Route(rid, data["name"], spec, tuple(data.get("requires", [])), data.get("months"), tuple(creds),
                 combos, _credential_text(data, creds, texts), data.get("back_payments"), lowest)


def _credential_text(data: dict, creds: list[Credential], texts: dict) -> str:
    """"学历、职称或技能等级符合以下之一：本科及以上学历、…": per kind the lowest level, read "at least"."""
    lowest: dict[tuple, Credential] = {}
    for c in creds:
        key = (c.kind, c.shortage)
        ranks = RANKS[c.field]
        if key not in lowest or ranks[c.level] < ranks[lowest[key].level]:
            lowest[key] = c
    options = "、".join(texts["credential_option"][c.kind].format(label=enum_label(c.field, c.level))
                       + (texts["shortage_credential"] if c.shortage else "") for c in lowest.values())
    text = texts["credential"].format(options=options) + texts["degree_mode"].get(data.get("degree_mode"), "")
    if data.get("lower_degree"):
        text += texts["lower_degree"]
    return text


def routes(rule_set: RuleSet, data: RuleData) -> list[Route]:
    """The talent routes in force on the rule set's day."""
    texts = data.channels["talent"].texts
    out = []
    for rid in ROUTES:
        spec = rule_set.find("talent", f"route_{rid}")
        if spec is not None:
            out.append(rule_set.memo(("talent", rid), lambda rid=rid, spec=spec: _compile(rid, spec, texts)))
    return out
