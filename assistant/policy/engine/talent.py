"""人才落户 (docs/rules.md §1): the routes of the rule data, each a set of credentials with age caps and, for
some, employment and social-insurance tiers. The first route that holds decides."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from assistant.policy.engine.logic import (
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
from assistant.policy.engine.results import ChannelResult, criterion, expired, gap
from assistant.policy.engine.talent_routes import FIELD, Combo, Credential, Route, routes
from assistant.policy.profile import Profile, enum_label
from assistant.policy.rules import RuleData, RuleSet, Value

CONSECUTIVE = "social_insurance_consecutive_months"
YRD = "social_insurance_months_yrd_12m"


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


def months_against(profile: Profile, need: int, mode: str | None, yrd_cap: int, yrd_verified: bool) -> Months:
    """Whether the months reach `need`. From 2024 the 沪苏浙皖 months of the last 12 months count, but only
    when in the month of application the person works and pays social insurance in Suzhou."""
    cons, yrd = profile.social_insurance_consecutive_months, profile.social_insurance_months_yrd_12m
    if mode == "consecutive" or yrd_cap == 0:
        return Months(fact(profile, CONSECUTIVE, lambda m: m >= need), cons, 0, False)
    in_suzhou = all_of(is_(profile, "employed_in_suzhou"), is_(profile, "social_insurance_active"))
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


def credential_truth(profile: Profile, c: Credential) -> Truth:
    """At least the credential's level; a strict degree must be full-time or certified overseas, where a
    full-time lower degree counts for its level (asked only once the highest degree is known not to be)."""
    truth = at_least(profile, c.field, c.level)
    if c.strict_degree:
        ways = [is_(profile, "full_time_degree"), is_(profile, "overseas_degree_certified")]
        ranks = RANKS["education"]
        lower = c.lower_degree
        if lower is not None and ranks[c.level] <= ranks[lower] and profile.full_time_degree is False:
            ways.append(all_of(fact(profile, "education", lambda e: ranks[e] > ranks[lower]),
                               is_(profile, "full_time_lower_degree")))
        truth = all_of(truth, any_of(*ways))
    if c.shortage is not None:
        truth = all_of(truth, is_(profile, "skill_in_shortage_catalogue", c.shortage))
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


def _evaluate_route(profile: Profile, data: RuleData, rule_set: RuleSet, route: Route, retired: Truth, have: str,
                    cred_cache: dict) -> RouteResult:
    texts = data.channels["talent"].texts
    yrd_rule = rule_set.get("talent", "effective_months_yrd_cap")
    requires = [(f, is_(profile, f)) for f in route.requires]
    cred_truths = []
    for c in route.credentials:
        if c not in cred_cache:
            cred_cache[c] = credential_truth(profile, c)
        cred_truths.append(cred_cache[c])
    months_by_need: dict[int, Months] = {}
    combos: list[ComboTruth] = []
    for combo in route.combos:
        cred = cred_truths[combo.credential]
        if cred.value is False:  # the route does not cover this credential: nothing else matters
            continue
        parts = [age_at_most(profile, combo.cap)]
        months = None
        if combo.tier.months is not None:
            need = combo.tier.months
            if need not in months_by_need:
                months_by_need[need] = months_against(profile, need, route.months_mode, yrd_rule.value,
                                                      yrd_rule.verified)
            months = months_by_need[need]
            parts.append(months.truth)
        if combo.tier.shortage is not None:
            parts.append(is_(profile, "skill_in_shortage_catalogue", combo.tier.shortage))
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
        text = rule_set.memo(("talent_conditions", route.rid, tuple(c.combo.index for c in shown)),
                       lambda: _conditions_text(texts, route, shown))
        relied = _relied(route, shown)
        criteria.append(criterion(ids["conditions"], text, any_of(*(c.conditions for c in shown)),
                                  _conditions_source(route, relied), _conditions_detail(profile, texts, shown),
                                  _conditions_verified(route, relied), route=route.rid, route_name=route.name))
    gaps = _gaps(profile, texts, route, retired, requires, combos)
    if truth.value is not True:
        off = _off_catalogue(profile, rule_set, texts, route, retired)
        criteria += off[:1]
        gaps += off[1:]
    return RouteResult(route, truth, criteria, gaps)


def _off_catalogue(profile: Profile, rule_set: RuleSet, texts: dict, route: Route, retired: Truth) -> list[dict]:
    """From 2024 a certificate off the shortage catalogue opens no skill route (docs/readings.md §1): for a
    skill the route would cover on the catalogue, the reason and, while the age would fit, the gap that
    names the catalogue. [criterion, gap?] or []."""
    rule = rule_set.find("talent", "off_catalogue_skill")
    if rule is None or route.catalogue_skill is None or profile.skill_in_shortage_catalogue is not False \
            or at_least(profile, "skill_level", route.catalogue_skill).value is not True:
        return []
    out = [criterion(f"talent_{route.rid}_off_catalogue", texts["off_catalogue"].format(**rule.value), FALSE, rule,
                     route=route.rid, route_name=route.name)]
    fits = [c for c in route.combos if route.credentials[c.credential].kind == "skill"
            and at_least(profile, "skill_level", route.credentials[c.credential].level).value is True
            and age_at_most(profile, c.cap).value is not False]
    if fits and retired.value is not False:
        out.append(gap("skill_in_shortage_catalogue", False, True, texts["gap"]["off_catalogue"].format(**rule.value),
                       rule.verified))
    return out


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
            months = texts["months_no_back_payments" if route.back_payments else "months"][route.months_mode]
            bits.append(months.format(months=tier.months))
        text = "，".join(bits)
        if text not in parts:
            parts.append(text)
    return texts["tier_join"].join(parts)


def _conditions_detail(profile: Profile, texts: dict, combos: list[ComboTruth]) -> str:
    bits = []
    if profile.age is not None:
        bits.append(texts["detail"]["age"].format(age=profile.age))
    haves = [c.months.effective for c in combos if c.months is not None and c.months.effective is not None]
    if haves:
        bits.append(texts["detail"]["months"].format(have=max(haves)))
    return "，".join(bits)


def _sound(c: ComboTruth) -> bool:
    """A credential and tier whose values are confirmed, counted without unverified 沪苏浙皖 months."""
    return c.combo.verified and not (c.months is not None and c.months.relies_on_unverified)


def _relied(route: Route, combos: list[ComboTruth]) -> list[ComboTruth]:
    """The combinations the person's result rests on: one that holds on confirmed values if any (a level1
    of 40 meets the confirmed cap 45 of level2 and needs no unverified cap), else those that hold, else
    those still open, else all."""
    holding = [c for c in combos if c.conditions.value is True]
    sound = [c for c in holding if _sound(c)]
    return sound[:1] or holding or [c for c in combos if c.conditions.value is not False] or combos


def _back_payments_unverified(route: Route, combos: list[ComboTruth]) -> bool:
    """The route's unverified "不含补缴" reading matters where months are counted."""
    back = route.back_payments
    return back is not None and back["verified"] is False and any(c.combo.tier.months is not None for c in combos)


def _conditions_source(route: Route, relied: list[ComboTruth]) -> Value:
    """The route's clause, and the clauses of the unverified parts the person's conditions rest on."""
    spec = route.spec
    articles = [a for c in relied for a in c.combo.articles]
    if route.back_payments is not None and _back_payments_unverified(route, relied):
        articles.append(route.back_payments["article"])
    if not articles:
        return spec
    return replace(spec, article="；".join(dict.fromkeys([spec.article, *articles])))


def _conditions_verified(route: Route, relied: list[ComboTruth]) -> bool:
    """False when the conditions that matter for this person rest on an unverified cap, tier or count."""
    return route.spec.verified and all(_sound(c) for c in relied) and not _back_payments_unverified(route, relied)


def _gaps(profile: Profile, texts: dict, route: Route, retired: Truth, requires: list, combos: list[ComboTruth]
          ) -> list[dict]:
    """Gaps that time or a job can close: months of insurance, employment. Age and degrees are not gaps.
    Months are stated in the units of the field they name: consecutive months still needed after the
    沪苏浙皖 months that count (docs/rules.md §1b)."""
    if retired.value is False:
        return []
    gaps = []
    for c in combos:
        tier = c.combo.tier
        if c.credential.value is not True or age_at_most(profile, c.combo.cap).value is not True:
            continue
        if tier.shortage is not None and profile.skill_in_shortage_catalogue is not tier.shortage:
            continue
        months = c.months
        sound = route.spec.verified and c.combo.verified
        if months is not None and tier.months is not None and months.truth.value is False \
                and months.consecutive is not None:  # months are counted only against a tier with months
            need = tier.months - months.counted_yrd
            gaps.append(gap(CONSECUTIVE, months.consecutive, need, texts["gap"]["months"].format(
                missing=need - months.consecutive, route=route.name),
                sound and not _back_payments_unverified(route, [c])))
        if months is None or months.truth.value is not False:
            for f, t in requires:
                if t.value is False:
                    gaps.append(gap(f, False, True, texts["gap"]["requires"][f].format(route=route.name), sound))
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


def talent(profile: Profile, data: RuleData, rule_set: RuleSet) -> ChannelResult:
    # The 2024 办法 rests on the 2023 户籍准入登记管理办法 (docs/readings.md §2c): past its validity, undetermined.
    stale = expired("talent", data, rule_set)
    if stale is not None:
        return stale
    texts = data.channels["talent"].texts
    retired = is_(profile, "retired", False)
    common = criterion("talent_not_retired", texts["not_retired"], retired, rule_set.get("talent", "not_retired"))
    held = "，".join(enum_label(f, getattr(profile, f)) for f in FIELD.values() if getattr(profile, f) is not None)
    have = texts["detail"]["credential"].format(have=held) if held else ""
    cred_cache: dict = {}
    results = [_evaluate_route(profile, data, rule_set, r, retired, have, cred_cache) for r in routes(rule_set, data)]
    for r in results:
        if r.truth.value is True:
            return ChannelResult("talent", "eligible", r.route.rid, [common, *r.criteria])
    criteria = [common] + [c for r in results for c in r.criteria]
    overall = any_of(*(r.truth for r in results)) if results else FALSE
    return ChannelResult("talent", status_of(overall), None, criteria,
                         _dedupe_gaps(g for r in results for g in r.gaps), overall.needs or NO_NEEDS,
                         path=overall.path)
