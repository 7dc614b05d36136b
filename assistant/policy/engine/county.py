"""县级市落户 (docs/rules.md §3): 常熟, 张家港, 昆山 and 太仓 opened settlement fully from 2023-04-01; their own
texts were not found, so every answer that mentions the channel says the local police decide."""
from __future__ import annotations

from assistant.policy.engine.logic import FALSE, fact
from assistant.policy.engine.results import ChannelResult, criterion, expired, gap, not_encoded, note
from assistant.policy.profile import Profile, area_name
from assistant.policy.rules import RuleData, RuleSet


def county_open(profile: Profile, data: RuleData, rule_set: RuleSet, area_kind: str | None) -> ChannelResult:
    texts = data.channels["county_open"].texts
    scheme = rule_set.get("county_open", "scheme")
    if area_kind == "urban":  # certain whatever the counties' own rules say
        only = criterion("county_only", texts["urban"], FALSE, scheme, verified=True)
        only.pop("caveat", None)
        return ChannelResult("county_open", "not_applicable", criteria=[only])
    local = [note("county_local_rules", texts["note"], scheme)]
    if scheme.value == "not_encoded":
        result = not_encoded("county_open", scheme, texts["not_encoded"])
        result.notes = local
        return _area_decides(result, area_kind)
    stale = expired("county_open", data, rule_set)
    if stale:
        stale.notes = local
        return _area_decides(stale, area_kind)
    housing = rule_set.get("county_open", "legal_housing")
    h = fact(profile, "housing", lambda v: v in housing.value)
    area_label = area_name(profile.target_area) if profile.target_area else texts["area_unknown"]
    criteria = [criterion("county_housing", texts["legal_housing"].format(area=area_label), h, housing)]
    if area_kind is None:
        return ChannelResult("county_open", "undetermined", criteria=criteria, needs=h.needs | {"target_area"},
                             path=h.path | {"target_area"} if h.value is not False else None, notes=local)
    if h.value is True:
        return ChannelResult("county_open", "eligible", criteria=criteria, notes=local)
    gaps = [gap("housing", profile.housing, "rental_registered", texts["gap"]["legal_housing"], housing.verified)] \
        if h.value is False else []
    return ChannelResult("county_open", "undetermined", criteria=criteria, gaps=gaps, needs=h.needs,
                         path=h.path if h.value is None else None, notes=local)


def _area_decides(result: ChannelResult, area_kind: str | None) -> ChannelResult:
    """Without its rules the channel stays undetermined, but an urban area would still make it not
    applicable: while the area is unknown, the result hangs on it (no answer makes it eligible)."""
    if area_kind is None:
        result.needs = frozenset({"target_area"})
    return result
