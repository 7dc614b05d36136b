"""积分落户 (docs/rules.md §2): four hard conditions, the known score against the line, and the items whose
values no source gives (listed as unscored, never invented)."""
from __future__ import annotations

import math
from collections.abc import Callable

from assistant.policy.engine.logic import FALSE, NO_NEEDS, TRUE, Truth, all_of, fact, is_, unknown
from assistant.policy.engine.results import ChannelResult, criterion, expired, gap, not_encoded, note
from assistant.policy.profile import Profile, enum_label
from assistant.policy.rules import RuleData, RuleSet, Value


def _age_points(rule: dict, over: int, age: int) -> int:
    if age <= rule["age_limit"]:
        return min(rule["max"], rule["base"] + rule["per_year"] * (rule["age_limit"] - age))
    return over


Get = Callable[[str], Value]
Add = Callable[..., None]


def score(profile: Profile, data: RuleData, rule_set: RuleSet) -> tuple[dict, frozenset[str]]:
    """The known points, item by item, and the unknown fields that could add or take away points."""
    texts = data.channels["points"].texts

    def get(name: str) -> Value:
        return rule_set.get("points", name)

    items: list[dict] = []
    unknown_fields: set[str] = set()

    def add(item: str, points: int, source: Value, verified: bool | None = None) -> None:
        items.append({"item": item, "label": texts["items"][item], "points": points,
                      "verified": source.verified if verified is None else verified, "source": source.source})

    for score_item in (_education, _skill_title, _age, _home, _social_insurance, _sentence):
        score_item(profile, get, add, unknown_fields)

    line = get("line").value
    known = sum(i["points"] for i in items)
    unscored = list(get("unscored_items").value)
    if profile.dishonest_debtor:
        unscored.append("dishonest_deduction")
    points = {"known": known, "line": line, "gap_points": max(0, line - known), "items": items,
              "unscored": unscored, "unscored_labels": [texts["unscored"][u] for u in unscored],
              "unscored_source": get("unscored_items").source}
    return points, frozenset(unknown_fields)


def _education(profile: Profile, get: Get, add: Add, unknown_fields: set[str]) -> None:
    if profile.education is None:
        unknown_fields.add("education")
    else:
        add("education", get("education_points").value.get(profile.education, 0), get("education_points"))


def _skill_title(profile: Profile, get: Get, add: Add, unknown_fields: set[str]) -> None:
    skill_src, title_src, mapped_src = get("skill_points"), get("title_as_skill"), get("skill_as_skill")
    # A level the table does not list (特级技师/首席技师) scores as the level it maps onto [unverified].
    mapped = mapped_src.value.get(profile.skill_level) if profile.skill_level else None
    skill_pts = skill_src.value.get(mapped or profile.skill_level, 0) if profile.skill_level else 0
    title_pts = skill_src.value.get(title_src.value.get(profile.professional_title), 0) \
        if profile.professional_title else 0
    if profile.skill_level is None:
        unknown_fields.add("skill_level")
    if profile.professional_title is None:
        unknown_fields.add("professional_title")
    if profile.skill_level is not None or profile.professional_title is not None:
        # A title or an unlisted level scores through its (unverified) mapping: cite that mapping then.
        by_skill = mapped_src if mapped else skill_src
        add("skill_title", max(skill_pts, title_pts), title_src if title_pts > skill_pts else by_skill,
            skill_src.verified and (title_src.verified if title_pts > skill_pts else by_skill.verified))


def _age(profile: Profile, get: Get, add: Add, unknown_fields: set[str]) -> None:
    age_rule, over = get("age_points"), get("age_points_over_limit")
    ages = (profile.age, profile.age) if profile.age is not None else profile.age_range
    if ages is None or _age_points(age_rule.value, over.value, ages[0]) != \
            _age_points(age_rule.value, over.value, ages[1]):
        unknown_fields.add("age")
    else:
        src = age_rule if ages[0] <= age_rule.value["age_limit"] else over
        add("age", _age_points(age_rule.value, over.value, ages[0]), src)


def _home(profile: Profile, get: Get, add: Add, unknown_fields: set[str]) -> None:
    if profile.housing is None:
        unknown_fields.add("housing")
    elif profile.housing == "own":
        rule = get("home_points").value
        extra = 0
        if profile.home_area_m2 is None:
            unknown_fields.add("home_area_m2")
        else:
            extra = max(0, math.floor(profile.home_area_m2 - rule["above_m2"])) * rule["per_m2"]
        add("home", min(rule["max"], rule["base"] + extra), get("home_points"))


def _social_insurance(profile: Profile, get: Get, add: Add, unknown_fields: set[str]) -> None:
    si_src = get("social_insurance_points")
    months = [("social_insurance_months", profile.social_insurance_months)]
    if get("nanjing_months_count").value:
        months.append(("nanjing_social_insurance_months", profile.nanjing_social_insurance_months))
    unknown_fields.update(name for name, m in months if m is None)
    if any(m is not None for _, m in months):
        total = sum(m for _, m in months if m is not None)
        add("social_insurance", min(si_src.value["max"], si_src.value["per_month"] * total), si_src,
            si_src.verified and (not profile.nanjing_social_insurance_months or get("nanjing_months_count").verified))


def _sentence(profile: Profile, get: Get, add: Add, unknown_fields: set[str]) -> None:
    deduction = get("sentence_deduction")
    if profile.sentence_months:
        add("criminal_sentence", -deduction.value * profile.sentence_months, deduction)


def points(profile: Profile, data: RuleData, rule_set: RuleSet, area_kind: str | None) -> ChannelResult:
    texts = data.channels["points"].texts
    scheme = rule_set.get("points", "scheme")
    if scheme.value == "not_encoded":
        return not_encoded("points", scheme, texts["not_encoded"])
    county_scope = rule_set.find("points", "county_scope")
    if area_kind == "county" and county_scope is not None and not county_scope.value:
        return ChannelResult("points", "not_applicable",
                             criteria=[criterion("points_urban_only", texts["county"], FALSE, county_scope)])
    stale = expired("points", data, rule_set)
    if stale:
        return stale

    def get(name: str) -> Value:
        return rule_set.get("points", name)
    area = unknown("target_area") if area_kind is None else TRUE
    h1, h2, h3, h4, criteria = _hard_conditions(profile, texts, get)
    pts, score_unknown = score(profile, data, rule_set)
    line, known = pts["line"], pts["known"]
    reached = known >= line
    criteria.append(criterion("points_score", texts["score"].format(line=line), Truth(True if reached else None),
                              get("line"), texts["detail"]["score"].format(known=known, line=line),
                              get("line").verified and all(i["verified"] for i in pts["items"])))
    # An unknown item is simply not in the known score: only the 失信 deduction, whose value is unknown,
    # keeps a score over the line from deciding (docs/rules.md §2).
    honest = is_(profile, "dishonest_debtor", False)
    if reached:
        criteria.append(criterion("points_dishonest", texts["dishonest"], honest, get("dishonest_deduction")))
    hard = all_of(h1, h2, h3, h4)
    gaps = _gaps(profile, texts, rule_set, h1, h2, h3, pts)
    notes = _notes(data, rule_set, known, line)
    if hard.value is False:
        return ChannelResult("points", "not_eligible", criteria=criteria, gaps=gaps, points=pts, notes=notes)
    if hard.value is True and area.value is True and reached and honest.value is True:
        return ChannelResult("points", "eligible", criteria=criteria, points=pts, notes=notes)
    needs = hard.needs | area.needs
    if reached:
        needs |= honest.needs
    else:
        needs |= score_unknown
    path = None if profile.dishonest_debtor else hard.path | area.path | honest.needs | (
        score_unknown if not reached else NO_NEEDS)
    return ChannelResult("points", "undetermined", criteria=criteria, gaps=gaps, needs=needs, points=pts,
                         path=path, notes=notes)


def _hard_conditions(profile: Profile, texts: dict, get: Get) -> tuple[Truth, Truth, Truth, Truth, list[dict]]:
    """The four hard conditions (permit and residence, social insurance, legal housing, no serious crime)
    and their criteria."""
    need_months = get("residence_permit_months").value
    h1 = all_of(is_(profile, "residence_permit", "urban"),
                fact(profile, "residence_months", lambda m: m >= need_months))
    h2 = is_(profile, "social_insurance_active")
    housing_types = get("legal_housing").value
    h3 = fact(profile, "housing", lambda h: h in housing_types)
    h4 = is_(profile, "serious_criminal_record", False)
    permit_detail = ""
    if profile.residence_permit is not None and profile.residence_months is not None:
        permit_detail = texts["detail"]["residence_permit"].format(
            permit=enum_label("residence_permit", profile.residence_permit), months=profile.residence_months)
    criteria = [
        criterion("points_residence_permit", texts["hard"]["residence_permit"].format(months=need_months), h1,
                  get("residence_permit_months"), permit_detail),
        criterion("points_social_insurance", texts["hard"]["social_insurance_active"], h2,
                  get("social_insurance_active")),
        criterion("points_housing", texts["hard"]["legal_housing"], h3, get("legal_housing"),
                  enum_label("housing", profile.housing) if profile.housing else ""),
        criterion("points_no_serious_crime", texts["hard"]["no_serious_crime"], h4, get("no_serious_crime")),
    ]
    return h1, h2, h3, h4, criteria


def _notes(data: RuleData, rule_set: RuleSet, known: int, line: int) -> list[dict]:
    """Reports of a lower line that no credible source confirms, for scores between it and the line."""
    reports = rule_set.find("points", "lower_line_reports")
    if reports is None or not reports.value["min_known"] <= known < line:
        return []
    text = data.channels["points"].texts["lower_line_reports"].format(line=line, **reports.value)
    return [note("points_lower_line_reports", text, reports)]


def _gaps(profile: Profile, texts: dict, rule_set: RuleSet, h1: Truth, h2: Truth, h3: Truth, pts: dict) -> list[dict]:
    gaps = []
    permit = rule_set.get("points", "residence_permit_months")
    need_months = permit.value
    if h1.value is False:
        if profile.residence_permit == "urban":
            gaps.append(gap("residence_months", profile.residence_months, need_months, texts["gap"]["residence_months"]
                            .format(missing=need_months - profile.residence_months, need=need_months), permit.verified))
        else:
            gaps.append(gap("residence_permit", profile.residence_permit, "urban",
                            texts["gap"]["residence_permit"].format(need=need_months), permit.verified))
    if h2.value is False:
        src = rule_set.get("points", "social_insurance_active")
        gaps.append(gap("social_insurance_active", False, True, texts["gap"]["social_insurance_active"],
                        src.verified))
    if h3.value is False:
        src = rule_set.get("points", "legal_housing")
        gaps.append(gap("housing", profile.housing, "rental_registered", texts["gap"]["legal_housing"], src.verified))
    missing = pts["gap_points"]
    if missing > 0 and profile.social_insurance_months is not None:
        src = rule_set.get("points", "social_insurance_points")
        rule = src.value
        months = profile.social_insurance_months or 0
        counted = months + (profile.nanjing_social_insurance_months or 0)
        room = rule["max"] - min(rule["max"], rule["per_month"] * counted)
        if room >= missing:
            extra = math.ceil(missing / rule["per_month"])
            gaps.append(gap("social_insurance_months", months, months + extra, texts["gap"]["points"].format(
                gap=missing, per_month=rule["per_month"], months=extra), src.verified))
        else:
            gaps.append(gap("points", pts["known"], pts["line"], texts["gap"]["points_capped"].format(gap=missing),
                            src.verified))
    return gaps
