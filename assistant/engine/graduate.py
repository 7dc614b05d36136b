"""本市院校毕业生直接落户 (docs/rules.md §5), from 2023-04-01."""
from __future__ import annotations

from ..profile import Profile
from ..rules import Policy, RuleSet
from .logic import is_, status_of
from .results import ChannelResult, criterion, expired, not_encoded


def suzhou_graduate(p: Profile, pol: Policy, rs: RuleSet) -> ChannelResult:
    texts = pol.channels["suzhou_graduate"].texts
    scheme = rs.get("suzhou_graduate", "scheme")
    if scheme.value == "not_encoded":
        return not_encoded("suzhou_graduate", scheme, texts["not_encoded"])
    stale = expired("suzhou_graduate", pol, rs)
    if stale:
        return stale
    t = is_(p, "suzhou_college_graduate")
    return ChannelResult("suzhou_graduate", status_of(t), "direct" if t.value else None,
                         [criterion("graduate_suzhou_college", texts["criterion"], t, scheme, route="direct",
                                    route_name=texts["route_name"])], needs=t.needs,
                         path=t.path)
