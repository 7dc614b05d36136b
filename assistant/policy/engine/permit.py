"""居住证 (docs/rules.md §6): not settlement, the service to fall back on and the basis of points."""
from __future__ import annotations

from assistant.policy.engine.logic import TRUE, all_of, any_of, fact, is_, status_of
from assistant.policy.engine.results import ChannelResult, criterion, gap, note
from assistant.policy.profile import Profile
from assistant.policy.rules import RuleData, RuleSet


def residence_permit(profile: Profile, data: RuleData, rule_set: RuleSet) -> ChannelResult:
    texts = data.channels["residence_permit"].texts
    months_src = rule_set.get("residence_permit", "min_residence_months")
    need = months_src.value
    if profile.residence_permit in ("urban", "county"):
        late = rule_set.get("residence_permit", "endorsement_late_days")
        return ChannelResult("residence_permit", "not_applicable",
                             criteria=[criterion("permit_held", texts["holds"], TRUE, months_src)],
                             notes=[note("permit_endorsement", texts["endorsement"].format(days=late.value), late)])
    months = fact(profile, "residence_months", lambda m: m >= need)
    basis = any_of(is_(profile, "employed_in_suzhou"), fact(profile, "housing", lambda h: h != "none"),
                   is_(profile, "studying_in_suzhou"))
    criteria = [criterion("permit_months", texts["months"].format(months=need), months, months_src,
                          f"{profile.residence_months}" if profile.residence_months is not None else ""),
                criterion("permit_basis", texts["basis"], basis, months_src)]
    gaps = []
    if months.value is False:
        gaps.append(gap("residence_months", profile.residence_months, need,
                        texts["gap"]["months"].format(missing=need - profile.residence_months), months_src.verified))
    if basis.value is False:
        gaps.append(gap("employed_in_suzhou", False, True, texts["gap"]["basis"], months_src.verified))
    truth = all_of(months, basis)
    if profile.residence_permit is None:
        return ChannelResult("residence_permit", "undetermined", criteria=criteria, gaps=gaps,
                             needs=truth.needs | {"residence_permit"})
    return ChannelResult("residence_permit", status_of(truth), criteria=criteria, gaps=gaps, needs=truth.needs)
