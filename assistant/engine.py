"""Profile -> assessment (CONTRACT.md §2). Pure functions over the rule data; no I/O.

Unknown facts are handled with three-valued logic: every condition is a Truth that is True, False or
None (unknown) and carries the unknown fields it still hangs on. A channel whose conditions are already
decided by the known facts is never "undetermined", and the fields an undetermined channel hangs on are
what the assessment lists as `missing`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, NamedTuple

from .profile import PROFILE_FIELDS, Profile, area_name, area_type, enum_label
from .rules import Policy, RuleSet, Value, policy

RECOMMENDATION_ORDER = ("suzhou_graduate", "family", "talent", "county_open", "points")
# Which channel's questions come first when two need as many answers: the ones most residents use.
QUESTION_ORDER = ("talent", "county_open", "suzhou_graduate", "family", "points")
TALENT_ROUTES = ("A", "B1", "B2", "C", "D")
FAMILY_ROUTES = ("spouse", "child", "parent", "elderly_80")
_RANKS = {name: {v: i for i, v in enumerate(values)} for name, values in {
    "education": ("none", "junior_high", "high_school", "associate", "bachelor", "master", "doctor"),
    "professional_title": ("none", "junior", "intermediate", "associate_senior", "senior"),
    "skill_level": ("none", "level5", "level4", "level3", "level2", "level1"),
}.items()}
_CREDENTIAL_FIELD = {"education": "education", "title": "professional_title", "skill": "skill_level"}
_NO_NEEDS: frozenset[str] = frozenset()


# --- three-valued logic ---------------------------------------------------------------------------------

class Truth(NamedTuple):
    """True, False or None (unknown). An unknown truth carries the unknown fields it hangs on (`needs`)
    and the smallest set of them that, answered right, would make it true (`path`)."""

    value: bool | None
    needs: frozenset[str] = _NO_NEEDS
    path: frozenset[str] = _NO_NEEDS


TRUE = Truth(True)
FALSE = Truth(False)


def _unknown(*fields: str) -> Truth:
    f = frozenset(fields)
    return Truth(None, f, f)


def _all(*parts: Truth) -> Truth:
    needs = path = None
    for part in parts:
        if part.value is False:
            return FALSE
        if part.value is None:
            needs = part.needs if needs is None else needs | part.needs
            path = part.path if path is None else path | part.path
    return TRUE if needs is None else Truth(None, needs, path)


def _any(*parts: Truth) -> Truth:
    needs = path = None
    for part in parts:
        if part.value is True:
            return TRUE
        if part.value is None:
            needs = part.needs if needs is None else needs | part.needs
            if path is None or len(part.path) < len(path):
                path = part.path
    return FALSE if needs is None else Truth(None, needs, path)


def _fact(p: Profile, name: str, test) -> Truth:
    value = getattr(p, name)
    if value is None:
        return _unknown(name)
    return TRUE if test(value) else FALSE


def _is(p: Profile, name: str, wanted: Any = True) -> Truth:
    return _fact(p, name, lambda v: v == wanted)


def _at_least(p: Profile, name: str, level: str) -> Truth:
    ranks = _RANKS[name]
    return _fact(p, name, lambda v: ranks[v] >= ranks[level])


def _age_at_most(p: Profile, cap: int | None) -> Truth:
    return TRUE if cap is None else _fact(p, "age", lambda a: a <= cap)


def _min_cap(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _result(t: Truth) -> str:
    return "met" if t.value is True else "not_met" if t.value is False else "unknown"


# --- building blocks of the output ----------------------------------------------------------------------

def _criterion(cid: str, text: str, truth: Truth, source: Value, detail: str = "", verified: bool | None = None,
               **extra: Any) -> dict:
    out = {"id": cid, "text": text, "result": _result(truth), "detail": detail,
           "verified": source.verified if verified is None else verified, "source": source.source}
    out.update(extra)
    return out


def _gap(field: str, have: Any, need: Any, text: str) -> dict:
    return {"field": field, "have": have, "need": need, "text": text}


@dataclass
class ChannelResult:
    id: str
    status: str
    route: str | None = None
    criteria: list | None = None
    gaps: list | None = None
    needs: frozenset[str] = _NO_NEEDS
    points: dict | None = None
    path: frozenset[str] | None = None  # fewest unknown fields that could make it eligible; None if none can

    def as_dict(self, pol: Policy, order: dict[str, int]) -> dict:
        return {"id": self.id, "name": pol.channels[self.id].name, "status": self.status, "route": self.route,
                "criteria": self.criteria or [], "gaps": self.gaps or [],
                "missing": sorted(self.needs, key=order.__getitem__) if self.status == "undetermined" else []}


def _status(t: Truth) -> str:
    return "eligible" if t.value is True else "not_eligible" if t.value is False else "undetermined"


def _not_encoded(cid: str, scheme: Value, text: str) -> ChannelResult:
    return ChannelResult(cid, "undetermined", criteria=[_criterion("rules_not_encoded", text, Truth(None), scheme)],
                         path=None)


# --- 人才落户 -------------------------------------------------------------------------------------------

@dataclass
class _Months:
    truth: Truth
    have: int | None
    relies_on_unverified: bool


def _talent_months(p: Profile, need: int, mode: str, yrd_cap: int) -> _Months:
    cons_field, yrd_field = "social_insurance_consecutive_months", "social_insurance_months_yrd_12m"
    cons, yrd = p.social_insurance_consecutive_months, p.social_insurance_months_yrd_12m
    if mode == "consecutive" or yrd_cap == 0:
        return _Months(_fact(p, cons_field, lambda m: m >= need), cons, False)
    if cons is None:
        needs = {cons_field} | ({yrd_field} if yrd is None else set())
        return _Months(Truth(None, frozenset(needs), frozenset((cons_field,))), None, False)
    if cons >= need:
        return _Months(TRUE, cons + min(yrd or 0, yrd_cap), False)
    if yrd is None:
        unknown = cons + yrd_cap >= need
        return _Months(_unknown(yrd_field) if unknown else FALSE, cons, unknown)
    have = cons + min(yrd, yrd_cap)
    return _Months(TRUE if have >= need else FALSE, have, yrd > 0)


def _credential_truth(p: Profile, field: str, level: str, strict_degree: bool) -> Truth:
    """At least `level` in `field`; a strict degree must be full-time with the degree, or certified overseas."""
    truth = _at_least(p, field, level)
    if strict_degree:
        return _all(truth, _any(_is(p, "full_time_degree"), _is(p, "overseas_degree_certified")))
    return truth


def _credential_label(cred: dict) -> tuple[str, str]:
    kind = next(k for k in _CREDENTIAL_FIELD if k in cred)
    return kind, enum_label(_CREDENTIAL_FIELD[kind], cred[kind])


@dataclass
class _Route:
    """The parts of a route that do not depend on the person, worked out once per rule value."""

    spec: Value
    creds: list[tuple[str, str, bool]]  # (profile field, lowest level, degree mode applies)
    combos: list[tuple[int, dict, int | None]]  # (credential index, tier, age cap)
    cred_text: str
    cond_texts: dict
    ids: dict[str, str]


_ROUTES: dict[int, _Route] = {}


def _compiled(rid: str, spec: Value, texts: dict) -> _Route:
    cached = _ROUTES.get(id(spec))
    if cached is not None and cached.spec is spec:
        return cached
    route = spec.value
    creds = route["credentials"]
    tiers = route.get("tiers") or [{}]
    combos = [(i, tier, _min_cap(c.get("age_cap"), tier.get("age_cap"))) for i, c in enumerate(creds) for tier in tiers]
    lowest: dict[str, dict] = {}  # per kind, the lowest qualifying level: "本科及以上" covers 硕士 and 博士
    for cred in creds:
        kind = next(k for k in _CREDENTIAL_FIELD if k in cred)
        ranks = _RANKS[_CREDENTIAL_FIELD[kind]]
        if kind not in lowest or ranks[cred[kind]] < ranks[lowest[kind][kind]]:
            lowest[kind] = cred
    options = "、".join(texts["credential_option"][k].format(label=label)
                       for k, label in (_credential_label(c) for c in lowest.values()))
    cred_text = texts["credential"].format(options=options) + texts["degree_mode"].get(route.get("degree_mode"), "")
    strict = route.get("degree_mode") == "full_time_or_certified_overseas"
    keys = [(_CREDENTIAL_FIELD[k], c[k], strict and k == "education") for c in creds for k in _CREDENTIAL_FIELD if k in c]
    ids = {part: f"talent_{rid}_{part}" for part in [*route.get("requires", []), "credential", "conditions"]}
    compiled = _ROUTES[id(spec)] = _Route(spec, keys, combos, cred_text, {}, ids)
    return compiled


def _talent_route(p: Profile, pol: Policy, rs: RuleSet, rid: str, spec: Value, retired: Truth, have: str,
                  known_creds: dict) -> tuple[Truth, list[dict], list[dict]]:
    """One route: its truth, its criteria and the gaps that would open it.

    `have` describes the person's credentials; `known_creds` caches credential truths across routes."""
    route, texts = spec.value, pol.channels["talent"].texts
    compiled = _compiled(rid, spec, texts)
    name = route["name"]
    yrd_cap = rs.get("talent", "effective_months_yrd_cap").value
    requires = [(f, _is(p, f)) for f in route.get("requires", [])]
    cred_truths = []
    for key in compiled.creds:
        truth = known_creds.get(key)
        if truth is None:
            truth = known_creds[key] = _credential_truth(p, *key)
        cred_truths.append(truth)
    months_cache: dict[int, _Months] = {}
    combos = []  # (credential truth, condition truth, tier, months info, cap, index)
    for n, (i, tier, cap) in enumerate(compiled.combos):
        if cred_truths[i].value is False:  # the route does not cover this credential: nothing else matters
            continue
        parts = [_age_at_most(p, cap)]
        months = None
        if "months" in tier:
            months = months_cache.get(tier["months"])
            if months is None:
                months = months_cache[tier["months"]] = _talent_months(p, tier["months"], route["months"], yrd_cap)
            parts.append(months.truth)
        if "shortage" in tier:
            parts.append(_is(p, "skill_in_shortage_catalogue", tier["shortage"]))
        combos.append((cred_truths[i], _all(*parts), tier, months, cap, n))
    truth = _all(retired, *(t for _, t in requires), _any(*(_all(c[0], c[1]) for c in combos)) if combos else FALSE)

    extra = {"route": rid, "route_name": name}
    criteria = [_criterion(compiled.ids[f], texts["requires"][f], t, spec, **extra)
                for f, t in requires]
    cred_truth = _any(*cred_truths)
    criteria.append(_criterion(compiled.ids["credential"], compiled.cred_text, cred_truth, spec, have, **extra))
    if cred_truth.value is not False:  # age limits mean nothing to someone the route does not cover
        # The age/insurance criterion speaks of the combinations the person's credentials make possible.
        for wanted in (True, None):
            shown = [c for c in combos if c[0].value is wanted]
            if shown:
                break
        key = tuple(c[5] for c in shown)
        text = compiled.cond_texts.get(key)
        if text is None:
            text = compiled.cond_texts[key] = _conditions_text(texts, route, shown)
        criteria.append(_criterion(compiled.ids["conditions"], text, _any(*(c[1] for c in shown)), spec,
                                   _conditions_detail(p, texts, shown), _conditions_verified(spec, shown), **extra))
    return truth, criteria, _talent_gaps(p, texts, name, retired, requires, combos)


def _conditions_text(texts: dict, route: dict, combos: list) -> str:
    if not any("months" in c[2] or "shortage" in c[2] for c in combos):
        caps = [c[4] for c in combos]
        return texts["no_age_cap"] if None in caps else texts["age_cap"].format(cap=max(caps))
    parts = []
    for _, _, tier, _, cap, _ in combos:
        bits = [texts["no_age_cap"] if cap is None else texts["age_cap"].format(cap=cap)]
        if "shortage" in tier:
            bits.insert(0, texts["shortage"][tier["shortage"]])
        if "months" in tier:
            bits.append(texts["months"][route["months"]].format(months=tier["months"]))
        text = "，".join(bits)
        if text not in parts:
            parts.append(text)
    return texts["tier_join"].join(parts)


def _conditions_detail(p: Profile, texts: dict, combos: list) -> str:
    bits = []
    if p.age is not None:
        bits.append(texts["detail"]["age"].format(age=p.age))
    haves = [c[3].have for c in combos if c[3] is not None and c[3].have is not None]
    if haves:
        bits.append(texts["detail"]["months"].format(have=max(haves)))
    return "，".join(bits)


def _conditions_verified(spec: Value, combos: list) -> bool:
    if not spec.verified:
        return False
    relevant = [c for c in combos if c[1].value is not False] or combos
    return not any(c[2].get("verified") is False or (c[3] is not None and c[3].relies_on_unverified)
                   for c in relevant)


def _talent_gaps(p: Profile, texts: dict, name: str, retired: Truth, requires: list, combos: list) -> list[dict]:
    """Gaps that time or a job can close: months of insurance, employment. Age and degrees are not gaps."""
    if retired.value is False:
        return []
    gaps = []
    for cred_t, _, tier, months, cap, _ in combos:
        if cred_t.value is not True or _age_at_most(p, cap).value is not True:
            continue
        if "shortage" in tier and p.skill_in_shortage_catalogue is not tier["shortage"]:
            continue
        if months is not None and months.truth.value is False and months.have is not None:
            missing = tier["months"] - months.have
            gaps.append(_gap("social_insurance_consecutive_months", months.have, tier["months"],
                             texts["gap"]["months"].format(missing=missing, route=name)))
        if months is None or months.truth.value is not False:
            for f, t in requires:
                if t.value is False:
                    gaps.append(_gap(f, False, True, texts["gap"]["requires"][f].format(route=name)))
    return gaps


def _talent(p: Profile, pol: Policy, rs: RuleSet) -> ChannelResult:
    texts = pol.channels["talent"].texts
    retired_src = rs.get("talent", "not_retired")
    retired = _is(p, "retired", False)
    common = _criterion("talent_not_retired", texts["not_retired"], retired, retired_src)
    have = "，".join(enum_label(_CREDENTIAL_FIELD[k], getattr(p, _CREDENTIAL_FIELD[k]))
                    for k in _CREDENTIAL_FIELD if getattr(p, _CREDENTIAL_FIELD[k]) is not None)
    have = texts["detail"]["credential"].format(have=have) if have else ""
    routes, known_creds = [], {}
    for rid in TALENT_ROUTES:
        spec = rs.get("talent", f"route_{rid}")
        if spec is not None:
            routes.append((rid, *_talent_route(p, pol, rs, rid, spec, retired, have, known_creds)))
    for rid, truth, criteria, _ in routes:
        if truth.value is True:
            return ChannelResult("talent", "eligible", rid, [common, *criteria])
    criteria = [common] + [c for _, _, cs, _ in routes for c in cs]
    gaps = _dedupe_gaps(g for *_, gs in routes for g in gs)
    overall = _any(*(t for _, t, _, _ in routes))
    return ChannelResult("talent", _status(overall), None, criteria, gaps, overall.needs, path=overall.path)


def _dedupe_gaps(gaps: Iterable[dict]) -> list[dict]:
    """One gap per field: the one closest to being closed."""
    best: dict[str, dict] = {}
    for g in gaps:
        old = best.get(g["field"])
        if old is None or (isinstance(g["need"], int) and not isinstance(g["need"], bool)
                           and g["need"] - g["have"] < old["need"] - old["have"]):
            best[g["field"]] = g
    return list(best.values())


# --- 积分落户 -------------------------------------------------------------------------------------------

def _points_score(p: Profile, pol: Policy, rs: RuleSet) -> tuple[dict, frozenset[str]]:
    """The known points, item by item, and the unknown fields that could add or take away points."""
    texts = pol.channels["points"].texts
    get = lambda name: rs.get("points", name)  # noqa: E731
    items, unknown = [], set()

    def add(item: str, points: int, source: Value, verified: bool | None = None) -> None:
        items.append({"item": item, "label": texts["items"][item], "points": points,
                      "verified": source.verified if verified is None else verified, "source": source.source})

    if p.education is None:
        unknown.add("education")
    else:
        add("education", get("education_points").value.get(p.education, 0), get("education_points"))

    skill_src, title_src = get("skill_points"), get("title_as_skill")
    skill_pts = skill_src.value.get(p.skill_level, 0) if p.skill_level else 0
    title_pts = skill_src.value.get(title_src.value.get(p.professional_title), 0) if p.professional_title else 0
    if p.skill_level is None:
        unknown.add("skill_level")
    if p.professional_title is None:
        unknown.add("professional_title")
    if p.skill_level is not None or p.professional_title is not None:
        add("skill_title", max(skill_pts, title_pts), skill_src, skill_src.verified and title_pts <= skill_pts)

    if p.age is None:
        unknown.add("age")
    else:
        rule = get("age_points").value
        if p.age <= rule["age_limit"]:
            add("age", min(rule["max"], rule["base"] + rule["per_year"] * (rule["age_limit"] - p.age)),
                get("age_points"))
        else:
            add("age", get("age_points_over_limit").value, get("age_points_over_limit"))

    if p.housing is None:
        unknown.add("housing")
    elif p.housing == "own":
        rule = get("home_points").value
        if p.home_area_m2 is None:
            unknown.add("home_area_m2")
            extra = 0
        else:
            extra = max(0, math.floor(p.home_area_m2 - rule["above_m2"])) * rule["per_m2"]
        add("home", min(rule["max"], rule["base"] + extra), get("home_points"))

    si_src = get("social_insurance_points")
    months = [p.social_insurance_months]
    if get("nanjing_months_count").value:
        months.append(p.nanjing_social_insurance_months)
    for name, m in zip(("social_insurance_months", "nanjing_social_insurance_months"), months):
        if m is None:
            unknown.add(name)
    if any(m is not None for m in months):
        total = sum(m for m in months if m is not None)
        add("social_insurance", min(si_src.value["max"], si_src.value["per_month"] * total), si_src)

    deduction = get("sentence_deduction")
    if p.sentence_months:
        add("criminal_sentence", -deduction.value * p.sentence_months, deduction)

    line = get("line").value
    known = sum(i["points"] for i in items)
    unscored = list(get("unscored_items").value)
    if p.dishonest_debtor:
        unscored.append("dishonest_deduction")
    points = {"known": known, "line": line, "gap_points": max(0, line - known), "items": items,
              "unscored": unscored, "unscored_labels": [texts["unscored"][u] for u in unscored],
              "unscored_source": get("unscored_items").source}
    return points, frozenset(unknown)


def _points(p: Profile, pol: Policy, rs: RuleSet, area_kind: str | None) -> ChannelResult:
    texts = pol.channels["points"].texts
    scheme = rs.get("points", "scheme")
    if scheme.value == "not_encoded":
        return _not_encoded("points", scheme, texts["not_encoded"])
    county_scope = rs.get("points", "county_scope")
    if area_kind == "county" and county_scope is not None and not county_scope.value:
        return ChannelResult("points", "not_applicable",
                             criteria=[_criterion("points_urban_only", texts["county"], FALSE, county_scope)])
    get = lambda name: rs.get("points", name)  # noqa: E731
    need_months = get("residence_permit_months").value
    area = _unknown("target_area") if area_kind is None else TRUE
    h1 = _all(_is(p, "residence_permit", "urban"), _fact(p, "residence_months", lambda m: m >= need_months))
    h2 = _is(p, "social_insurance_active")
    housing_types = get("legal_housing").value
    h3 = _fact(p, "housing", lambda h: h in housing_types)
    h4 = _is(p, "serious_criminal_record", False)
    permit_detail = ""
    if p.residence_permit is not None and p.residence_months is not None:
        permit_detail = texts["detail"]["residence_permit"].format(
            permit=enum_label("residence_permit", p.residence_permit), months=p.residence_months)
    criteria = [
        _criterion("points_residence_permit", texts["hard"]["residence_permit"].format(months=need_months), h1,
                   get("residence_permit_months"), permit_detail),
        _criterion("points_social_insurance", texts["hard"]["social_insurance_active"], h2,
                   get("social_insurance_active")),
        _criterion("points_housing", texts["hard"]["legal_housing"], h3, get("legal_housing"),
                   enum_label("housing", p.housing) if p.housing else ""),
        _criterion("points_no_serious_crime", texts["hard"]["no_serious_crime"], h4, get("no_serious_crime")),
    ]
    points, score_unknown = _points_score(p, pol, rs)
    line, known = points["line"], points["known"]
    score_ok = Truth(True if known >= line else None)
    criteria.append(_criterion("points_score", texts["score"].format(line=line), score_ok, get("line"),
                               texts["detail"]["score"].format(known=known, line=line),
                               get("line").verified and all(i["verified"] for i in points["items"])))
    deductions = _all(_is(p, "dishonest_debtor", False), _fact(p, "sentence_months", lambda m: True))
    if known >= line:
        criteria.append(_criterion("points_dishonest", texts["dishonest"], _is(p, "dishonest_debtor", False),
                                   get("dishonest_deduction")))
    hard = _all(h1, h2, h3, h4)
    gaps = _points_gaps(p, texts, rs, h1, h2, h3, points)
    if hard.value is False:
        return ChannelResult("points", "not_eligible", criteria=criteria, gaps=gaps, points=points)
    if hard.value is True and area.value is True and known >= line and deductions.value is True:
        return ChannelResult("points", "eligible", criteria=criteria, points=points)
    needs = hard.needs | area.needs
    needs |= (deductions.needs - {"dishonest_debtor"} if p.dishonest_debtor else deductions.needs) \
        if known >= line else score_unknown
    path = None if p.dishonest_debtor else hard.path | area.path | deductions.needs | (
        score_unknown if known < line else _NO_NEEDS)
    return ChannelResult("points", "undetermined", criteria=criteria, gaps=gaps, needs=needs, points=points,
                         path=path)


def _points_gaps(p: Profile, texts: dict, rs: RuleSet, h1: Truth, h2: Truth, h3: Truth, points: dict
                 ) -> list[dict]:
    gaps = []
    need_months = rs.get("points", "residence_permit_months").value
    if h1.value is False:
        if p.residence_permit == "urban":
            gaps.append(_gap("residence_months", p.residence_months, need_months, texts["gap"]["residence_months"]
                             .format(missing=need_months - p.residence_months, need=need_months)))
        else:
            gaps.append(_gap("residence_permit", p.residence_permit, "urban",
                             texts["gap"]["residence_permit"].format(need=need_months)))
    if h2.value is False:
        gaps.append(_gap("social_insurance_active", False, True, texts["gap"]["social_insurance_active"]))
    if h3.value is False:
        gaps.append(_gap("housing", p.housing, "rental_registered", texts["gap"]["legal_housing"]))
    gap = points["gap_points"]
    if gap > 0 and p.social_insurance_months is not None:
        rule = rs.get("points", "social_insurance_points").value
        months = p.social_insurance_months or 0
        counted = months + (p.nanjing_social_insurance_months or 0)
        room = rule["max"] - min(rule["max"], rule["per_month"] * counted)
        if room >= gap:
            extra = math.ceil(gap / rule["per_month"])
            gaps.append(_gap("social_insurance_months", months, months + extra,
                             texts["gap"]["points"].format(gap=gap, per_month=rule["per_month"], months=extra)))
        else:
            gaps.append(_gap("points", points["known"], points["line"], texts["gap"]["points_capped"].format(gap=gap)))
    return gaps


# --- 县级市落户 -----------------------------------------------------------------------------------------

def _county_open(p: Profile, pol: Policy, rs: RuleSet, area_kind: str | None) -> ChannelResult:
    texts = pol.channels["county_open"].texts
    scheme = rs.get("county_open", "scheme")
    if area_kind == "urban":
        return ChannelResult("county_open", "not_applicable",
                             criteria=[_criterion("county_only", texts["urban"], FALSE, scheme)])
    if scheme.value == "not_encoded":
        return _not_encoded("county_open", scheme, texts["not_encoded"])
    housing = rs.get("county_open", "legal_housing")
    h = _fact(p, "housing", lambda v: v in housing.value)
    area_label = area_name(p.target_area) if p.target_area else texts["area_unknown"]
    criteria = [_criterion("county_housing", texts["legal_housing"].format(area=area_label), h, housing,
                           texts["note"])]
    if area_kind is None:
        return ChannelResult("county_open", "undetermined", criteria=criteria, needs=h.needs | {"target_area"},
                             path=h.path | {"target_area"} if h.value is not False else None)
    if h.value is True:
        return ChannelResult("county_open", "eligible", criteria=criteria)
    gaps = [_gap("housing", p.housing, "rental_registered", texts["gap"]["legal_housing"])] if h.value is False else []
    return ChannelResult("county_open", "undetermined", criteria=criteria, gaps=gaps, needs=h.needs,
                         path=h.path if h.value is None else None)


# --- 投靠落户 -------------------------------------------------------------------------------------------

def _family(p: Profile, pol: Policy, rs: RuleSet) -> ChannelResult:
    texts = pol.channels["family"].texts
    scheme = rs.get("family", "scheme")
    if scheme.value == "not_encoded":
        return _not_encoded("family", scheme, texts["not_encoded"])
    spouse, child, parent, old = (rs.get("family", r) for r in FAMILY_ROUTES)
    truths = {
        "spouse": _all(_is(p, "married"), _is(p, "spouse_suzhou_family_hukou"), _is(p, "spouse_side_owns_home")),
        "child": _all(_any(_fact(p, "age", lambda a: a < child.value["adult_age"]), _is(p, "married", False)),
                      _is(p, "parent_suzhou_family_hukou_with_home")),
        "parent": _all(_any(_all(_is(p, "sex", "male"), _fact(p, "age", lambda a: a >= parent.value["male_age"])),
                            _all(_is(p, "sex", "female"), _fact(p, "age", lambda a: a >= parent.value["female_age"])),
                            _is(p, "retired")),
                       _is(p, "child_suzhou_family_hukou_with_home")),
        "elderly_80": _all(_fact(p, "age", lambda a: a >= old.value["age"]), _is(p, "child_suzhou_hukou")),
    }
    sources = dict(zip(FAMILY_ROUTES, (spouse, child, parent, old)))
    criteria = [_criterion(f"family_{r}", texts["criteria"][r].format(**(sources[r].value if isinstance(
        sources[r].value, dict) else {})), truths[r], sources[r], route=r, route_name=texts["routes"][r])
        for r in FAMILY_ROUTES]
    for r in FAMILY_ROUTES:
        if truths[r].value is True:
            return ChannelResult("family", "eligible", r, [c for c in criteria if c["route"] == r])
    overall = _any(*truths.values())
    return ChannelResult("family", _status(overall), None, criteria, needs=overall.needs, path=overall.path)


# --- 本市院校毕业生 / 居住证 ------------------------------------------------------------------------------

def _suzhou_graduate(p: Profile, pol: Policy, rs: RuleSet) -> ChannelResult:
    texts = pol.channels["suzhou_graduate"].texts
    scheme = rs.get("suzhou_graduate", "scheme")
    if scheme.value == "not_encoded":
        return _not_encoded("suzhou_graduate", scheme, texts["not_encoded"])
    t = _is(p, "suzhou_college_graduate")
    return ChannelResult("suzhou_graduate", _status(t), "direct" if t.value else None,
                         [_criterion("graduate_suzhou_college", texts["criterion"], t, scheme)], needs=t.needs,
                         path=t.path)


def _residence_permit(p: Profile, pol: Policy, rs: RuleSet) -> ChannelResult:
    texts = pol.channels["residence_permit"].texts
    months_src = rs.get("residence_permit", "min_residence_months")
    need = months_src.value
    if p.residence_permit in ("urban", "county"):
        late = rs.get("residence_permit", "endorsement_late_days")
        return ChannelResult("residence_permit", "not_applicable", criteria=[
            _criterion("permit_held", texts["holds"].format(days=late.value), TRUE, late)])
    months = _fact(p, "residence_months", lambda m: m >= need)
    basis = _any(_is(p, "employed_in_suzhou"), _fact(p, "housing", lambda h: h != "none"),
                 _is(p, "studying_in_suzhou"))
    criteria = [_criterion("permit_months", texts["months"].format(months=need), months, months_src,
                           f"{p.residence_months}" if p.residence_months is not None else ""),
                _criterion("permit_basis", texts["basis"], basis, months_src)]
    gaps = []
    if months.value is False:
        gaps.append(_gap("residence_months", p.residence_months, need,
                         texts["gap"]["months"].format(missing=need - p.residence_months)))
    if basis.value is False:
        gaps.append(_gap("employed_in_suzhou", False, True, texts["gap"]["basis"]))
    truth = _all(months, basis)
    if p.residence_permit is None:
        return ChannelResult("residence_permit", "undetermined", criteria=criteria, gaps=gaps,
                             needs=truth.needs | {"residence_permit"})
    return ChannelResult("residence_permit", _status(truth), criteria=criteria, gaps=gaps, needs=truth.needs)


# --- the assessment ---------------------------------------------------------------------------------------

def _registration(p: Profile, pol: Policy, rs: RuleSet, talent_status: str) -> list[str]:
    options = []
    if p.housing == "own":
        options.append("own_home")
    if p.housing in ("rental_registered", "rental_unregistered"):
        options += ["community_collective", "landlord_address"]
    if talent_status == "eligible" and p.housing != "own":
        options.append("talent_collective")
    if p.employed_in_suzhou:
        options.append("employer_collective")
    order = rs.get("registration", "options").value
    return sorted(options, key=order.index)


def _evaluate(p: Profile, pol: Policy, rs: RuleSet, only: Iterable[str] | None = None) -> list[ChannelResult]:
    kind = area_type(p.target_area)
    channels = {
        "talent": lambda: _talent(p, pol, rs),
        "points": lambda: _points(p, pol, rs, kind),
        "county_open": lambda: _county_open(p, pol, rs, kind),
        "family": lambda: _family(p, pol, rs),
        "suzhou_graduate": lambda: _suzhou_graduate(p, pol, rs),
        "residence_permit": lambda: _residence_permit(p, pol, rs),
    }
    return [channels[c]() for c in (only or channels)]


def _missing(results: list[ChannelResult]) -> list[str]:
    """Unknown fields that could change a status, most useful first.

    First the fields on the shortest way to opening a settlement channel (the channel that needs the
    fewest answers, earlier in the recommendation order on a tie): if they come out right, the interview
    is over; if not, that way is closed. Then the other fields, a field that is one of few blockers of a
    channel before one of many. Ties keep the contract's field order."""
    weight: dict[str, float] = {}
    for r in results:
        if r.status == "undetermined" and r.needs:
            for f in r.needs:
                weight[f] = weight.get(f, 0.0) + 1.0 / len(r.needs)
    by_id = {r.id: r for r in results}
    ways = [(len(r.path), i, r.path) for i, r in enumerate(by_id[c] for c in QUESTION_ORDER)
            if r.status == "undetermined" and r.path]
    first = min(ways)[2] if ways else _NO_NEEDS
    # The area decides which channels exist at all (市区 points or 县级市 open settlement): always first.
    return sorted(weight, key=lambda f: (f != "target_area", f not in first, -round(weight[f], 9), _FIELD_ORDER[f]))


_FIELD_ORDER = {f: i for i, f in enumerate(PROFILE_FIELDS)}


def assess(p: Profile, pol: Policy | None = None) -> dict:
    """The assessment of CONTRACT.md §2 for a validated profile."""
    pol = pol or policy()
    rs = pol.rules_on(p.as_of)
    kind = area_type(p.target_area)
    results = _evaluate(p, pol, rs)
    by_id = {r.id: r for r in results}
    missing = _missing(results)
    order = {f: i for i, f in enumerate(missing)}
    return {
        "as_of": p.as_of.isoformat(),
        "rules_version": pol.version,
        "area": {"name": area_name(p.target_area) if p.target_area else None, "type": kind},
        "channels": [r.as_dict(pol, order) for r in results],
        "points": by_id["points"].points,
        "recommended": [c for c in RECOMMENDATION_ORDER if by_id[c].status == "eligible"],
        "registration_options": _registration(p, pol, rs, by_id["talent"].status),
        "missing": missing,
        "disclaimer": pol.terms["disclaimer"],
    }
