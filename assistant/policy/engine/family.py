"""投靠落户 (docs/rules.md §4): joining a spouse, parents or a child with Suzhou hukou, from 2023-04-01."""
from __future__ import annotations

from assistant.policy.engine.logic import all_of, any_of, fact, is_, status_of
from assistant.policy.engine.results import ChannelResult, criterion, note, without_rules
from assistant.policy.profile import Profile
from assistant.policy.rules import RuleData, RuleSet

ROUTES = ("spouse", "child", "parent", "elderly_80")


def family(profile: Profile, data: RuleData, rule_set: RuleSet) -> ChannelResult:
    texts = data.channels["family"].texts
    scheme, closed = without_rules("family", data, rule_set)
    if closed:
        return closed
    rules = {r: rule_set.get("family", r) for r in ROUTES}
    child, parent, old = rules["child"].value, rules["parent"].value, rules["elderly_80"].value
    truths = {
        "spouse": all_of(is_(profile, "married"), is_(profile, "spouse_suzhou_family_hukou"),
                         is_(profile, "spouse_side_owns_home")),
        "child": all_of(any_of(fact(profile, "age", lambda a: a < child["adult_age"]), is_(profile, "married", False)),
                        is_(profile, "parent_suzhou_family_hukou_with_home")),
        "parent": all_of(any_of(all_of(is_(profile, "sex", "male"),
                                       fact(profile, "age", lambda a: a >= parent["male_age"])),
                                all_of(is_(profile, "sex", "female"),
                                       fact(profile, "age", lambda a: a >= parent["female_age"])),
                                is_(profile, "retired")),
                         is_(profile, "child_suzhou_family_hukou_with_home")),
        "elderly_80": all_of(fact(profile, "age", lambda a: a >= old["age"]), is_(profile, "child_suzhou_hukou")),
    }
    criteria = [criterion(f"family_{r}", texts["criteria"][r].format(**(rules[r].value if isinstance(
        rules[r].value, dict) else {})), truths[r], rules[r], route=r, route_name=texts["routes"][r])
        for r in ROUTES]
    for r in ROUTES:
        if truths[r].value is True:
            return ChannelResult("family", "eligible", r, [c for c in criteria if c["route"] == r])
    overall = any_of(*truths.values())
    # Art. 4 has more categories than are encoded: a "no" says so and where to ask.
    notes = [note("family_other_categories", texts["other_categories"], scheme)] \
        if overall.value is False else []
    return ChannelResult("family", status_of(overall), None, criteria, needs=overall.needs, path=overall.path,
                         notes=notes)
