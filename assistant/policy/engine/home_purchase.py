"""购房落户 (docs/rules.md §2b): since the 2024 property measures an owner, or the buyer of a new home with a
registered 网签 contract, may apply for hukou anywhere in 苏州大市."""
from __future__ import annotations

from assistant.policy.engine.logic import FALSE, UNKNOWN, fact, status_of
from assistant.policy.engine.results import ChannelResult, criterion, expired, note
from assistant.policy.profile import Profile, enum_label
from assistant.policy.rules import RuleData, RuleSet


def home_purchase(profile: Profile, data: RuleData, rule_set: RuleSet) -> ChannelResult:
    texts = data.channels["home_purchase"].texts
    scheme = rule_set.get("home_purchase", "scheme")
    if scheme.value == "none":  # before the measures: in 市区 a home only scored points
        return ChannelResult("home_purchase", "not_applicable",
                             criteria=[criterion("home_purchase_none", texts["none"], FALSE, scheme)])
    if scheme.value == "announced":  # announced, implementing rules not yet in force: nothing to ask
        return ChannelResult("home_purchase", "undetermined",
                             criteria=[criterion("home_purchase_announced", texts["announced"], UNKNOWN, scheme)])
    stale = expired("home_purchase", data, rule_set)
    if stale:
        return stale
    housing = rule_set.get("home_purchase", "eligible_housing")
    truth = fact(profile, "housing", lambda h: h in housing.value)
    crit = criterion("home_purchase_housing", texts["housing"], truth, housing,
                     enum_label("housing", profile.housing) if profile.housing else "")
    notes = []
    if truth.value is True:
        details = rule_set.get("home_purchase", "details")
        notes = [note(f"home_purchase_{d}", texts["details"][d], details) for d in details.value]
    return ChannelResult("home_purchase", status_of(truth), None, [crit],
                         needs=truth.needs, path=truth.path if truth.value is not False else None, notes=notes)
