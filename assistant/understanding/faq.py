"""The numbers, dates and lists FAQ answers state, read from the rule data in force on a date.

The FAQ answers (`utter_faq/<topic>` in domain.yml) are templates: "累计积分达到{points_line}分". An answer
never restates a rule value by hand, so a new dated value in assistant/policy/ changes every answer that
mentions it. A value not in force on the date asked (a rule that does not exist yet or any more) is taken
from the latest date that has one: FAQ answers describe the rules as they stand.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from assistant.policy.rules import RuleData, RuleDataError, RuleSet, Value, rule_data

_LATEST = dt.date(9999, 12, 31)


def cn_date(day: dt.date) -> str:
    """2023-04-01 -> "2023年4月1日"."""
    return f"{day.year}年{day.month}月{day.day}日"


def _caps(route: Value) -> dict[str, int]:
    """"education:bachelor" -> 45 for a talent route's credentials."""
    out = {}
    for cred in route.value["credentials"]:
        kind = next(k for k in ("education", "title", "skill") if k in cred)
        out[f"{kind}:{cred[kind]}"] = cred.get("age_cap")
    return out


def _areas(data: RuleData, kind: str) -> str:
    return "、".join(a.get("display", a["name"]) for a in data.terms["areas"].values() if a["type"] == kind)


Getter = Callable[[RuleSet], str | int | None]


def _value(channel: str, name: str, key: str | None = None) -> Callable[[RuleSet], int | str | None]:
    def read(rule_set: RuleSet) -> int | str | None:
        v = rule_set.find(channel, name)
        return None if v is None else v.value if key is None else v.value[key]
    return read


def _since(channel: str, name: str, wanted: object = None) -> Callable[[RuleSet], str | None]:
    def read(rule_set: RuleSet) -> str | None:
        v = rule_set.find(channel, name)
        if v is None or (wanted is not None and v.value != wanted):
            return None
        return cn_date(v.effective_from)
    return read


def _cap(credential: str) -> Callable[[RuleSet], int | None]:
    def read(rule_set: RuleSet) -> int | None:
        route = rule_set.find("talent", "route_A")
        return None if route is None else _caps(route).get(credential)
    return read


def _tier(route: str, index: int, key: str) -> Callable[[RuleSet], int | None]:
    """A tier of talent route C or D as the 2024 办法 words it (months counted with the 沪苏浙皖 months);
    a route in another form on the date asked (the 2020 notice's single tier) reads as absent, so an answer
    never mixes the tiers of two documents."""
    def read(rule_set: RuleSet) -> int | None:
        v = rule_set.find("talent", route)
        if v is None or v.value.get("months") != "effective" or len(v.value["tiers"]) <= index:
            return None
        return v.value["tiers"][index][key]
    return read


def _first(data: RuleData, channel: str, name: str, wanted: object) -> str:
    """The date a parameter first took the value `wanted`: history, whatever the date asked."""
    param = data.channels[channel].parameters[name]
    return cn_date(next(d for d, v in zip(param.dates, param.values, strict=True) if v.value == wanted))


def _known(day: dt.date | None, what: str) -> dt.date:
    if day is None:
        raise RuleDataError(f"validity hukou_2023 has no {what}")
    return day


def _getters(data: RuleData) -> dict[str, Getter]:
    """Every placeholder's getter, by topic, in the order values_on lists them."""
    return {**_points_getters(), **_talent_getters(), **_family_getters(), **_document_getters(data)}


def _points_getters() -> dict[str, Getter]:
    """积分落户 and the residence permit."""
    return {
        "points_line": _value("points", "line"),
        "points_from": _since("points", "line"),
        "points_permit_months": _value("points", "residence_permit_months"),
        "si_per_month": _value("points", "social_insurance_points", "per_month"),
        "si_max": _value("points", "social_insurance_points", "max"),
        "permit_months": _value("residence_permit", "min_residence_months"),
        "late_days": _value("residence_permit", "endorsement_late_days"),
    }


def _talent_getters() -> dict[str, Getter]:
    """The talent routes: route A's age caps, the off-catalogue skills, the tiers of routes C and D."""
    return {
        "talent_from": _since("talent", "route_A"),
        "cap_bachelor": _cap("education:bachelor"),
        "cap_master": _cap("education:master"),
        "cap_doctor": _cap("education:doctor"),
        "cap_level2": _cap("skill:level2"),
        "cap_level1": _cap("skill:level1"),
        "cap_principal": _cap("skill:principal"),
        "catalogue_year": _value("talent", "off_catalogue_skill", "catalogue_year"),
        "catalogue_size": _value("talent", "off_catalogue_skill", "catalogue_size"),
        "catalogue_previous": _value("talent", "off_catalogue_skill", "previous_size"),
        # 0 (the 2020 notice) means no 沪苏浙皖 months count: the answers describe the rule where they do.
        "yrd_months": lambda rule_set: _value("talent", "effective_months_yrd_cap")(rule_set) or None,
        "talent_c_young_age": _tier("route_C", 0, "age_cap"),
        "talent_c_young_months": _tier("route_C", 0, "months"),
        "talent_c_age": _tier("route_C", 1, "age_cap"),
        "talent_c_months": _tier("route_C", 1, "months"),
        "talent_d_age": _tier("route_D", 0, "age_cap"),
        "talent_d_months": _tier("route_D", 0, "months"),
    }


def _family_getters() -> dict[str, Getter]:
    """投靠: the parents' and the elderly's ages."""
    return {
        "family_male_age": _value("family", "parent", "male_age"),
        "family_female_age": _value("family", "parent", "female_age"),
        "family_elderly_age": _value("family", "elderly_80", "age"),
    }


def _document_getters(data: RuleData) -> dict[str, Getter]:
    """The documents' dates (home purchase, the 2023 hukou rules and their validity) and the areas."""
    validity = data.validity["hukou_2023"]
    return {
        "home_purchase_from": _since("home_purchase", "scheme", "in_force"),
        "home_purchase_announced": lambda rule_set: _first(data, "home_purchase", "scheme", "announced"),
        "hukou_2023_from": lambda rule_set: _first(data, "family", "scheme", "hukou_2023"),
        "valid_until": lambda rule_set: cn_date(_known(validity.valid_until, "valid_until")),
        "caveat_from": lambda rule_set: cn_date(_known(validity.valid_until, "valid_until") + dt.timedelta(days=1)),
        "extended_until": lambda rule_set: cn_date(_known(validity.extended_until, "extended_until")),
        "urban_areas": lambda rule_set: _areas(data, "urban"),
        "county_areas": lambda rule_set: _areas(data, "county"),
    }


def values_on(day: dt.date | None = None, data: RuleData | None = None) -> dict[str, str]:
    """Every placeholder of the FAQ answers, from the rules in force on `day` (today when None)."""
    data = data or rule_data()
    rule_set, latest = data.rules_on(day or dt.date.today()), data.rules_on(_LATEST)
    out = {}
    for name, read in _getters(data).items():
        found = read(rule_set)
        out[name] = str(found if found is not None else read(latest))
    return out
