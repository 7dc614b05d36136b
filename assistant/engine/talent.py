"""人才落户 (docs/rules.md §1): the routes of the rule data, each a set of credentials with age caps and, for
some, employment and social-insurance tiers. The first route that holds decides."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..profile import Profile, enum_label
from ..rules import Policy, RuleSet, Value
from .logic import (
    FALSE,
    NO_NEEDS,
    RANKS,
    TRUE,
    Truth,
    age_at_most,
    all_of,
    any_of,
    at_least,
    fact,
    is_,
    status_of,
    unknown,
)
from .results import ChannelResult, criterion, gap

ROUTES = ("A", "B1", "B2", "C", "D")
CONSECUTIVE = "social_insurance_consecutive_months"
YRD = "social_insurance_months_yrd_12m"
_FIELD = {"education": "education", "title": "professional_title", "skill": "skill_level"}


# --- a route as the rule data gives it, compiled once per rule set ---------------------------------------

@dataclass(frozen=True)
class Credential:
    """One qualifying credential: a field at least `level`, with its own age cap."""

    kind: str                     # education | title | skill
    level: str
    age_cap: int | None
    strict_degree: bool           # the degree must be full-time with the degree, or certified overseas
    lower_degree: str | None      # a full-time lower degree counts as this level (2020 Route A)
    shortage: bool | None         # must (True) be on Suzhou's shortage catalogue

    @property
    def field(self) -> str:
        return _FIELD[self.kind]


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
    """A credential with a tier; the age cap is the lower of the two."""

    index: int
    credential: int
    tier: Tier
    cap: int | None


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


def _min_cap(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _compile(rid: str, spec: Value, texts: dict) -> Route:
    data = spec.value
    strict = data.get("degree_mode") == "full_time_or_certified_overseas"
    creds = []
    for c in data["credentials"]:
        kind = next(k for k in _FIELD if k in c)
        creds.append(Credential(kind, c[kind], c.get("age_cap"), strict and kind == "education",
                                data.get("lower_degree") if kind == "education" else None, c.get("shortage")))
    tiers = [Tier(t.get("age_cap"), t.get("months"), t.get("shortage"), t.get("verified", True), t.get("article"))
             for t in data.get("tiers") or [{}]]
    combos = tuple(Combo(n, i, tier, _min_cap(c.age_cap, tier.age_cap))
                   for n, (i, c, tier) in enumerate((i, c, t) for i, c in enumerate(creds) for t in tiers))
    return Route(rid, data["name"], spec, tuple(data.get("requires", [])), data.get("months"), tuple(creds),
                 combos, _credential_text(data, creds, texts))


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


def routes(rs: RuleSet, pol: Policy) -> list[Route]:
    """The talent routes in force on the rule set's day."""
    texts = pol.channels["talent"].texts
    out = []
    for rid in ROUTES:
        spec = rs.find("talent", f"route_{rid}")
        if spec is not None:
            out.append(rs.memo(("talent", rid), lambda rid=rid, spec=spec: _compile(rid, spec, texts)))
    return out


# --- one person ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Months:
    """Social-insurance months against a tier: consecutive months plus the 沪苏浙皖 months that count."""

    truth: Truth
    consecutive: int | None
    counted_yrd: int
    relies_on_unverified: bool

    @property
    def effective(self) -> int | None:
        return None if self.consecutive is None else self.consecutive + self.counted_yrd


def months_against(p: Profile, need: int, mode: str | None, yrd_cap: int, yrd_verified: bool) -> Months:
    """Whether the months reach `need`. From 2024 the 沪苏浙皖 months of the last 12 months count, but only
    when in the month of application the person works and pays social insurance in Suzhou."""
    cons, yrd = p.social_insurance_consecutive_months, p.social_insurance_months_yrd_12m
    if mode == "consecutive" or yrd_cap == 0:
        return Months(fact(p, CONSECUTIVE, lambda m: m >= need), cons, 0, False)
    in_suzhou = all_of(is_(p, "employed_in_suzhou"), is_(p, "social_insurance_active"))
    counted = min(yrd, yrd_cap) if yrd is not None and in_suzhou.value is True else 0
    if cons is None:
        needs = {CONSECUTIVE} | ({YRD} if yrd is None else set())
        return Months(Truth(None, frozenset(needs), frozenset((CONSECUTIVE,))), None, counted, False)
    if cons >= need:
        return Months(TRUE, cons, counted, False)
    if cons + yrd_cap < need or in_suzhou.value is False:
        return Months(FALSE, cons, 0, False)
    if yrd is None:
        t = all_of(unknown(YRD), in_suzhou)
        return Months(t, cons, 0, not yrd_verified)
    if cons + min(yrd, yrd_cap) < need:
        return Months(FALSE, cons, counted, False)
    return Months(in_suzhou, cons, counted, yrd > 0 and not yrd_verified)


def credential_truth(p: Profile, c: Credential) -> Truth:
    """At least the credential's level; a strict degree must be full-time or certified overseas, where a
    full-time lower degree counts for its level (asked only once the highest degree is known not to be)."""
    truth = at_least(p, c.field, c.level)
    if c.strict_degree:
        ways = [is_(p, "full_time_degree"), is_(p, "overseas_degree_certified")]
        ranks = RANKS["education"]
        lower = c.lower_degree
        if lower is not None and ranks[c.level] <= ranks[lower] and p.full_time_degree is False:
            ways.append(all_of(fact(p, "education", lambda e: ranks[e] > ranks[lower]),
                               is_(p, "full_time_lower_degree")))
        truth = all_of(truth, any_of(*ways))
    if c.shortage is not None:
        truth = all_of(truth, is_(p, "skill_in_shortage_catalogue", c.shortage))
    return truth


@dataclass(frozen=True)
class ComboTruth:
    combo: Combo
    credential: Truth
    conditions: Truth
    months: Months | None


@dataclass
class RouteResult:
    route: Route
    truth: Truth
    criteria: list[dict]
    gaps: list[dict]


def _evaluate_route(p: Profile, pol: Policy, rs: RuleSet, route: Route, retired: Truth, have: str,
                    cred_cache: dict) -> RouteResult:
    texts = pol.channels["talent"].texts
    yrd_rule = rs.get("talent", "effective_months_yrd_cap")
    requires = [(f, is_(p, f)) for f in route.requires]
    cred_truths = []
    for c in route.credentials:
        if c not in cred_cache:
            cred_cache[c] = credential_truth(p, c)
        cred_truths.append(cred_cache[c])
    months_by_need: dict[int, Months] = {}
    combos: list[ComboTruth] = []
    for combo in route.combos:
        cred = cred_truths[combo.credential]
        if cred.value is False:  # the route does not cover this credential: nothing else matters
            continue
        parts = [age_at_most(p, combo.cap)]
        months = None
        if combo.tier.months is not None:
            need = combo.tier.months
            if need not in months_by_need:
                months_by_need[need] = months_against(p, need, route.months_mode, yrd_rule.value, yrd_rule.verified)
            months = months_by_need[need]
            parts.append(months.truth)
        if combo.tier.shortage is not None:
            parts.append(is_(p, "skill_in_shortage_catalogue", combo.tier.shortage))
        combos.append(ComboTruth(combo, cred, all_of(*parts), months))
    routes_truth = any_of(*(all_of(c.credential, c.conditions) for c in combos)) if combos else FALSE
    truth = all_of(retired, *(t for _, t in requires), routes_truth)

    ids = {part: f"talent_{route.rid}_{part}" for part in [*route.requires, "credential", "conditions"]}
    criteria = [criterion(ids[f], texts["requires"][f], t, route.spec, route=route.rid, route_name=route.name)
                for f, t in requires]
    cred_truth = any_of(*cred_truths)
    criteria.append(criterion(ids["credential"], route.credential_text, cred_truth, route.spec, have, route=route.rid,
                              route_name=route.name))
    if cred_truth.value is not False:  # age limits mean nothing to someone the route does not cover
        shown = [c for c in combos if c.credential.value is True] or [c for c in combos if c.credential.value is None]
        text = rs.memo(("talent_conditions", route.rid, tuple(c.combo.index for c in shown)),
                       lambda: _conditions_text(texts, route, shown))
        criteria.append(criterion(ids["conditions"], text, any_of(*(c.conditions for c in shown)),
                                  _conditions_source(route.spec, shown), _conditions_detail(p, texts, shown),
                                  _conditions_verified(route.spec, shown), route=route.rid, route_name=route.name))
    return RouteResult(route, truth, criteria, _gaps(p, texts, route, retired, requires, combos))


def _conditions_text(texts: dict, route: Route, combos: list[ComboTruth]) -> str:
    if not any(c.combo.tier.months is not None or c.combo.tier.shortage is not None for c in combos):
        caps = [c.combo.cap for c in combos if c.combo.cap is not None]
        return texts["no_age_cap"] if len(caps) < len(combos) else texts["age_cap"].format(cap=max(caps))
    parts: list[str] = []
    for c in combos:
        tier = c.combo.tier
        bits = [texts["no_age_cap"] if c.combo.cap is None else texts["age_cap"].format(cap=c.combo.cap)]
        if tier.shortage is not None:
            bits.insert(0, texts["shortage"][tier.shortage])
        if tier.months is not None:
            bits.append(texts["months"][route.months_mode].format(months=tier.months))
        text = "，".join(bits)
        if text not in parts:
            parts.append(text)
    return texts["tier_join"].join(parts)


def _conditions_detail(p: Profile, texts: dict, combos: list[ComboTruth]) -> str:
    bits = []
    if p.age is not None:
        bits.append(texts["detail"]["age"].format(age=p.age))
    haves = [c.months.effective for c in combos if c.months is not None and c.months.effective is not None]
    if haves:
        bits.append(texts["detail"]["months"].format(have=max(haves)))
    return "，".join(bits)


def _conditions_source(spec: Value, combos: list[ComboTruth]) -> Value:
    """The route's clause, and the clause of an unverified tier the person's conditions rest on."""
    articles = [c.combo.tier.article for c in _relevant(combos) if not c.combo.tier.verified and c.combo.tier.article]
    if not articles:
        return spec
    return replace(spec, article="；".join(dict.fromkeys([spec.article, *articles])))


def _relevant(combos: list[ComboTruth]) -> list[ComboTruth]:
    return [c for c in combos if c.conditions.value is not False] or combos


def _conditions_verified(spec: Value, combos: list[ComboTruth]) -> bool:
    """False when the conditions that matter for this person rest on an unverified tier or count."""
    if not spec.verified:
        return False
    return not any(not c.combo.tier.verified or (c.months is not None and c.months.relies_on_unverified)
                   for c in _relevant(combos))


def _gaps(p: Profile, texts: dict, route: Route, retired: Truth, requires: list, combos: list[ComboTruth]
          ) -> list[dict]:
    """Gaps that time or a job can close: months of insurance, employment. Age and degrees are not gaps.
    Months are stated in the units of the field they name: consecutive months still needed after the
    沪苏浙皖 months that count (docs/rules.md §1b)."""
    if retired.value is False:
        return []
    gaps = []
    for c in combos:
        tier = c.combo.tier
        if c.credential.value is not True or age_at_most(p, c.combo.cap).value is not True:
            continue
        if tier.shortage is not None and p.skill_in_shortage_catalogue is not tier.shortage:
            continue
        months = c.months
        if months is not None and tier.months is not None and months.truth.value is False \
                and months.consecutive is not None:  # months are counted only against a tier with months
            need = tier.months - months.counted_yrd
            gaps.append(gap(CONSECUTIVE, months.consecutive, need, texts["gap"]["months"].format(
                missing=need - months.consecutive, route=route.name), route.spec.verified and tier.verified))
        if months is None or months.truth.value is not False:
            for f, t in requires:
                if t.value is False:
                    gaps.append(gap(f, False, True, texts["gap"]["requires"][f].format(route=route.name),
                                    route.spec.verified and tier.verified))
    return gaps


def _dedupe_gaps(gaps: Iterable[dict]) -> list[dict]:
    """One gap per field: the one closest to being closed."""
    best: dict[str, dict] = {}
    for g in gaps:
        old = best.get(g["field"])
        if old is None or (isinstance(g["need"], int) and not isinstance(g["need"], bool)
                           and g["need"] - g["have"] < old["need"] - old["have"]):
            best[g["field"]] = g
    return list(best.values())


def talent(p: Profile, pol: Policy, rs: RuleSet) -> ChannelResult:
    texts = pol.channels["talent"].texts
    retired = is_(p, "retired", False)
    common = criterion("talent_not_retired", texts["not_retired"], retired, rs.get("talent", "not_retired"))
    held = "，".join(enum_label(f, getattr(p, f)) for f in _FIELD.values() if getattr(p, f) is not None)
    have = texts["detail"]["credential"].format(have=held) if held else ""
    cred_cache: dict = {}
    results = [_evaluate_route(p, pol, rs, r, retired, have, cred_cache) for r in routes(rs, pol)]
    for r in results:
        if r.truth.value is True:
            return ChannelResult("talent", "eligible", r.route.rid, [common, *r.criteria])
    criteria = [common] + [c for r in results for c in r.criteria]
    overall = any_of(*(r.truth for r in results)) if results else FALSE
    return ChannelResult("talent", status_of(overall), None, criteria,
                         _dedupe_gaps(g for r in results for g in r.gaps), overall.needs or NO_NEEDS,
                         path=overall.path)
