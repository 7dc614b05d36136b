"""本市院校毕业生直接落户 (docs/rules.md §5), from 2023-04-01."""
from __future__ import annotations

from assistant.policy.engine.logic import is_, status_of
from assistant.policy.engine.results import ChannelResult, criterion, without_rules
from assistant.policy.profile import Profile
from assistant.policy.rules import RuleData, RuleSet


def suzhou_graduate(profile: Profile, data: RuleData, rule_set: RuleSet) -> ChannelResult:
    texts = data.channels["suzhou_graduate"].texts
    scheme, closed = without_rules("suzhou_graduate", data, rule_set)
    if closed:
        return closed
    t = is_(profile, "suzhou_college_graduate")
    return ChannelResult("suzhou_graduate", status_of(t), "direct" if t.value else None,
                         [criterion("graduate_suzhou_college", texts["criterion"], t, scheme, route="direct",
                                    route_name=texts["route_name"])], needs=t.needs,
                         path=t.path)
