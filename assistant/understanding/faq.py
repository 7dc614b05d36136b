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


def _areas(pol: RuleData, kind: str) -> str:
    return "、".join(a.get("display", a["name"]) for a in pol.terms["areas"].values() if a["type"] == kind)


def _getters(pol: RuleData) -> dict[str, Callable[[RuleSet], str | int | None]]:
    def value(channel: str, name: str, key: str | None = None) -> Callable[[RuleSet], int | str | None]:
        def read(rs: RuleSet) -> int | str | None:
            v = rs.find(channel, name)
            return None if v is None else v.value if key is None else v.value[key]
        return read

    def since(channel: str, name: str, wanted: object = None) -> Callable[[RuleSet], str | None]:
        def read(rs: RuleSet) -> str | None:
            v = rs.find(channel, name)
            if v is None or (wanted is not None and v.value != wanted):
                return None
            return cn_date(v.effective_from)
        return read

    def cap(credential: str) -> Callable[[RuleSet], int | None]:
        def read(rs: RuleSet) -> int | None:
            route = rs.find("talent", "route_A")
            return None if route is None else _caps(route).get(credential)
        return read

    def tier(route: str, index: int, key: str) -> Callable[[RuleSet], int | None]:
        """A tier of talent route C or D as the 2024 办法 words it (months counted with the 沪苏浙皖 months);
        a route in another form on the date asked (the 2020 notice's single tier) reads as absent, so an answer
        never mixes the tiers of two documents."""
        def read(rs: RuleSet) -> int | None:
            v = rs.find("talent", route)
            if v is None or v.value.get("months") != "effective" or len(v.value["tiers"]) <= index:
                return None
            return v.value["tiers"][index][key]
        return read

    def first(channel: str, name: str, wanted: object) -> str:
        """The date a parameter first took the value `wanted`: history, whatever the date asked."""
        param = pol.channels[channel].parameters[name]
        return cn_date(next(d for d, v in zip(param.dates, param.values, strict=True) if v.value == wanted))

    validity = pol.validity["hukou_2023"]

    def known(day: dt.date | None, what: str) -> dt.date:
        if day is None:
            raise RuleDataError(f"validity hukou_2023 has no {what}")
        return day
    return {
        "points_line": value("points", "line"),
        "points_from": since("points", "line"),
        "points_permit_months": value("points", "residence_permit_months"),
        "si_per_month": value("points", "social_insurance_points", "per_month"),
        "si_max": value("points", "social_insurance_points", "max"),
        "permit_months": value("residence_permit", "min_residence_months"),
        "late_days": value("residence_permit", "endorsement_late_days"),
        "talent_from": since("talent", "route_A"),
        "cap_bachelor": cap("education:bachelor"),
        "cap_master": cap("education:master"),
        "cap_doctor": cap("education:doctor"),
        "cap_level2": cap("skill:level2"),
        "cap_level1": cap("skill:level1"),
        "cap_principal": cap("skill:principal"),
        "catalogue_year": value("talent", "off_catalogue_skill", "catalogue_year"),
        "catalogue_size": value("talent", "off_catalogue_skill", "catalogue_size"),
        "catalogue_previous": value("talent", "off_catalogue_skill", "previous_size"),
        # 0 (the 2020 notice) means no 沪苏浙皖 months count: the answers describe the rule where they do.
        "yrd_months": lambda rs: value("talent", "effective_months_yrd_cap")(rs) or None,
        "talent_c_young_age": tier("route_C", 0, "age_cap"),
        "talent_c_young_months": tier("route_C", 0, "months"),
        "talent_c_age": tier("route_C", 1, "age_cap"),
        "talent_c_months": tier("route_C", 1, "months"),
        "talent_d_age": tier("route_D", 0, "age_cap"),
        "talent_d_months": tier("route_D", 0, "months"),
        "family_male_age": value("family", "parent", "male_age"),
        "family_female_age": value("family", "parent", "female_age"),
        "family_elderly_age": value("family", "elderly_80", "age"),
        "home_purchase_from": since("home_purchase", "scheme", "in_force"),
        "home_purchase_announced": lambda rs: first("home_purchase", "scheme", "announced"),
        "hukou_2023_from": lambda rs: first("family", "scheme", "hukou_2023"),
        "valid_until": lambda rs: cn_date(known(validity.valid_until, "valid_until")),
        "caveat_from": lambda rs: cn_date(known(validity.valid_until, "valid_until") + dt.timedelta(days=1)),
        "extended_until": lambda rs: cn_date(known(validity.extended_until, "extended_until")),
        "urban_areas": lambda rs: _areas(pol, "urban"),
        "county_areas": lambda rs: _areas(pol, "county"),
    }


def values_on(day: dt.date | None = None, pol: RuleData | None = None) -> dict[str, str]:
    """Every placeholder of the FAQ answers, from the rules in force on `day` (today when None)."""
    pol = pol or rule_data()
    rs, latest = pol.rules_on(day or dt.date.today()), pol.rules_on(_LATEST)
    out = {}
    for name, read in _getters(pol).items():
        found = read(rs)
        out[name] = str(found if found is not None else read(latest))
    return out
