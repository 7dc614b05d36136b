"""Profile -> assessment (docs/interfaces.md §2): every channel, the recommendation, where to register,
and the unknown facts that could still change a status, most useful first. Pure functions; no I/O."""
from __future__ import annotations

from collections.abc import Callable

from assistant.policy.engine.county import county_open
from assistant.policy.engine.family import family
from assistant.policy.engine.graduate import suzhou_graduate
from assistant.policy.engine.home_purchase import home_purchase
from assistant.policy.engine.logic import NO_NEEDS
from assistant.policy.engine.permit import residence_permit
from assistant.policy.engine.points import points
from assistant.policy.engine.results import ChannelResult
from assistant.policy.engine.talent import talent
from assistant.policy.profile import PROFILE_FIELDS, Profile, area_name, area_type
from assistant.policy.rules import RuleData, RuleSet, rule_data

# docs/rules.md §8.
RECOMMENDATION_ORDER = ("suzhou_graduate", "family", "talent", "home_purchase", "county_open", "points")
# Which channel's questions come first when two need as many answers: the ones most residents use.
QUESTION_ORDER = ("talent", "home_purchase", "county_open", "suzhou_graduate", "family", "points")
_FIELD_ORDER = {f: i for i, f in enumerate(PROFILE_FIELDS)}


def evaluate(profile: Profile, data: RuleData, rule_set: RuleSet) -> list[ChannelResult]:
    """Every channel, in the order of the channel ids."""
    kind = area_type(profile.target_area)
    channels: dict[str, Callable[[], ChannelResult]] = {
        "talent": lambda: talent(profile, data, rule_set),
        "points": lambda: points(profile, data, rule_set, kind),
        "home_purchase": lambda: home_purchase(profile, data, rule_set),
        "county_open": lambda: county_open(profile, data, rule_set, kind),
        "family": lambda: family(profile, data, rule_set),
        "suzhou_graduate": lambda: suzhou_graduate(profile, data, rule_set),
        "residence_permit": lambda: residence_permit(profile, data, rule_set),
    }
    return [build() for build in channels.values()]


def missing(results: list[ChannelResult]) -> list[str]:
    """Unknown fields that could change a status, most useful first.

    First the fields on the shortest way to opening a settlement channel (the channel that needs the
    fewest answers, earlier in QUESTION_ORDER on a tie): if they come out right, the interview is over;
    if not, that way is closed. Then the other fields, a field that is one of few blockers of a channel
    before one of many. Ties keep the contract's field order."""
    weight: dict[str, float] = {}
    for r in results:
        if r.status == "undetermined" and r.needs:
            for f in r.needs:
                weight[f] = weight.get(f, 0.0) + 1.0 / len(r.needs)
    by_id = {r.id: r for r in results}
    ways = [(len(r.path), i, r.path) for i, r in enumerate(by_id[c] for c in QUESTION_ORDER)
            if r.status == "undetermined" and r.path]
    first = min(ways)[2] if ways else NO_NEEDS
    # The area decides which channels exist at all (市区 points or 县级市 open settlement): always first.
    return sorted(weight, key=lambda f: (f != "target_area", f not in first, -round(weight[f], 9), _FIELD_ORDER[f]))


def registration(profile: Profile, rule_set: RuleSet, talent_status: str) -> list[str]:
    """Where the hukou can be registered (docs/rules.md §7)."""
    options = []
    if profile.housing in ("own", "new_home_contract"):
        options.append("own_home")
    if profile.housing in ("rental_registered", "rental_unregistered"):
        options += ["community_collective", "landlord_address"]
    if talent_status == "eligible" and profile.housing != "own":
        options.append("talent_collective")
    if profile.employed_in_suzhou:
        options.append("employer_collective")
    order = rule_set.get("registration", "options").value
    return sorted(options, key=order.index)


def assess(profile: Profile, data: RuleData | None = None) -> dict:
    """The assessment of docs/interfaces.md §2 for a validated profile."""
    data = data or rule_data()
    rule_set = data.rules_on(profile.as_of)
    results = evaluate(profile, data, rule_set)
    by_id = {r.id: r for r in results}
    unknown = missing(results)
    order = {f: i for i, f in enumerate(unknown)}
    return {
        "as_of": profile.as_of.isoformat(),
        "rules_version": data.version,
        "area": {"name": area_name(profile.target_area) if profile.target_area else None,
                 "type": area_type(profile.target_area)},
        "channels": [r.as_dict(data, order) for r in results],
        "points": by_id["points"].points,
        "recommended": [c for c in RECOMMENDATION_ORDER if by_id[c].status == "eligible"],
        "registration_options": registration(profile, rule_set, by_id["talent"].status),
        "missing": unknown,
        "disclaimer": data.terms["disclaimer"],
    }
