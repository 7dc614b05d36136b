"""Interviews without a server: a persona with a full profile answers every question of the pure-Python turn
(assistant.conversation.turn.turn, with the rule-based fact entities as the NLU would give them), then "继续" to the
end. Shared by scripts/bench_questions.py and tests/test_planner.py.

Personas: the public profiles (tests/fixtures/profiles.json) and generated ones, drawn at random and then
chosen so that every channel comes first in the recommendation, and none does, before and after the
policy revisions (as_of dates on both sides of 2023-04-01 and 2024-01-01)."""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field

from assistant.conversation.turn import Message, State, turn
from assistant.policy.engine import assess
from assistant.policy.profile import parse_profile
from assistant.understanding.facts import fact_spans
from tests.support.fixtures import load
from tests.support.residents import Resident

AS_OF_DATES = ("2022-06-01", "2023-06-01", "2024-03-01", "2025-06-01")
REGIME_CHANGE = "2024-01-01"    # the 2024 talent 办法 (and revision 3) against the 2020/2023 rules
AREAS = ("姑苏区", "虎丘区", "吴中区", "相城区", "吴江区", "工业园区", "常熟市", "张家港市", "昆山市", "太仓市")
CHANNELS = ("suzhou_graduate", "family", "talent", "home_purchase", "county_open", "points")


def message(text: str) -> Message:
    """A message as the NLU pipeline reads it: a button payload's entities, or the rule-based fact entities."""
    m = re.match(r"^/(\w+)(\{.*\})?$", text)
    if m:
        entities = [{"entity": k, "value": v} for k, v in json.loads(m.group(2) or "{}").items()]
        return Message(text, m.group(1), 1.0, entities)
    return Message(text, None, 0.0, [dict(e, extractor="FactEntityExtractor") for e in fact_spans(text)])


@dataclass
class Interview:
    """What one interview asked and answered."""

    first: dict | None                       # the first assessment given
    final: dict | None                       # the last one, after "继续" to the end
    before_first: list[str] = field(default_factory=list)   # different fields asked before the first answer
    questions: int = 0                      # different questions before the first answer (a pair is one)
    asked: list[str] = field(default_factory=list)          # every field asked, in order (pairs: both)
    remaining: list[int] = field(default_factory=list)      # the `remaining` estimate of each ask
    turns: int = 0


def _asks(result) -> list[dict]:
    return [s.payload for s in result.say if s.payload and s.payload.get("type") == "ask"]


def _assessments(result) -> list[dict]:
    return [s.payload for s in result.say if s.payload and s.payload.get("type") == "assessment"
            and not s.payload.get("hypothetical")]


def answer(resident: Resident, ask: dict, words: bool = False) -> str:
    """The persona's reply to every field the question asks: a button payload with the values (the planner's
    decisions, free of reading), or with `words` the canonical phrasing ("28岁，本科"); "不知道" when unknown."""
    names = ask.get("fields") or [ask["field"]]
    known = {n: resident.profile[n] for n in names if resident.profile.get(n) is not None}
    if not known:
        return "不知道"
    if not words:
        return "/inform" + json.dumps(known, ensure_ascii=False)
    return "，".join(resident.say(n, v, ask) for n, v in known.items())


def interview(profile: dict, seed: int = 0, max_turns: int = 80, words: bool = False) -> Interview:
    """The whole interview of one persona, "继续" after the first answer."""
    resident = Resident(profile, seed, interject=0.0)
    state = State()
    out = Interview(None, None)
    text = f"按{profile['as_of']}的规则评估" if profile.get("as_of") else "你好"
    for _ in range(max_turns):
        result = turn(state, message(text))
        state = result.state
        out.turns += 1
        asks = _asks(result)
        for ask in asks:
            names = ask.get("fields") or [ask["field"]]
            out.asked += names
            if out.first is None:
                out.questions += any(n not in out.before_first for n in names)
                out.before_first += [n for n in names if n not in out.before_first]
            if "remaining" in ask:
                out.remaining.append(ask["remaining"])
        found = _assessments(result)
        if found:
            out.first = out.first or found[0]
            out.final = found[-1]
        if asks:
            text = answer(resident, asks[-1], words)
        elif state.offer == "continue":
            text = "继续"
        else:
            break
    return out


def verdict(assessment: dict) -> dict:
    """The statuses of every channel and the recommendation."""
    return {"statuses": {c["id"]: c["status"] for c in assessment["channels"]},
            "recommended": assessment["recommended"]}


def full_verdict(profile: dict) -> dict:
    return verdict(assess(parse_profile(dict(profile))))


# --- personas --------------------------------------------------------------------------------------------

def _persona(rng: random.Random) -> dict:
    """One full profile, drawn at random (consistent: consecutive months within the months in all)."""
    edu = rng.choices(("junior_high", "high_school", "associate", "bachelor", "master", "doctor"),
                      (8, 14, 26, 34, 14, 4))[0]
    age = rng.randint(19, 62)
    employed = rng.random() < 0.8
    months = rng.choice((0, 2, 5, 8, 14, 30, 60, 120)) if employed or rng.random() < 0.3 else 0
    consecutive = min(months, rng.choice((0, 2, 4, 7, 12, 36)))
    housing = rng.choices(("own", "new_home_contract", "rental_registered", "rental_unregistered",
                           "public_housing", "collective", "none"), (25, 5, 25, 25, 5, 10, 5))[0]
    married = rng.random() < 0.55
    permit = rng.choices(("none", "urban", "county"), (40, 40, 20))[0]
    return {
        "as_of": rng.choice(AS_OF_DATES), "target_area": rng.choice(AREAS), "age": age,
        "sex": rng.choice(("male", "female")), "education": edu,
        "full_time_degree": rng.random() < 0.75, "full_time_lower_degree": rng.random() < 0.2,
        "overseas_degree_certified": rng.random() < 0.05,
        "professional_title": rng.choices(("none", "junior", "intermediate", "associate_senior", "senior"),
                                          (70, 12, 12, 4, 2))[0],
        "skill_level": rng.choices(("none", "level5", "level4", "level3", "level2", "level1", "principal"),
                                   (75, 4, 6, 7, 4, 3, 1))[0],
        "skill_in_shortage_catalogue": rng.random() < 0.4, "employed_in_suzhou": employed,
        "retired": age >= 55 and rng.random() < 0.6,
        "social_insurance_active": employed and months > 0 and rng.random() < 0.9,
        "social_insurance_months": months, "social_insurance_consecutive_months": consecutive,
        "social_insurance_months_yrd_12m": rng.choice((0, 0, 0, 6, 12)),
        "nanjing_social_insurance_months": rng.choice((0, 0, 0, 0, 24)),
        "residence_permit": permit, "residence_months": 0 if permit == "none" else rng.choice((3, 8, 14, 30, 60)),
        "housing": housing, "home_area_m2": rng.choice((45, 60, 75, 90, 120)) if housing == "own" else None,
        "studying_in_suzhou": age < 25 and rng.random() < 0.3, "suzhou_college_graduate": rng.random() < 0.12,
        "married": married, "spouse_suzhou_family_hukou": married and rng.random() < 0.2,
        "spouse_side_owns_home": married and rng.random() < 0.3,
        "parent_suzhou_family_hukou_with_home": rng.random() < 0.06,
        "child_suzhou_family_hukou_with_home": age > 45 and rng.random() < 0.15,
        "child_suzhou_hukou": age > 30 and rng.random() < 0.1,
        "serious_criminal_record": rng.random() < 0.01, "sentence_months": rng.choice((0,) * 30 + (6,)),
        "dishonest_debtor": rng.random() < 0.02,
    }


def _bucket(profile: dict) -> tuple[str, str]:
    first = full_verdict(profile)["recommended"]
    return (first[0] if first else "none", "after" if profile["as_of"] >= REGIME_CHANGE else "before")


def generated(per_bucket: int = 9, seed: int = 16, pool: int = 4000) -> list[dict]:
    """Personas for every (first recommended channel or none) x (before, after the 2024 rules): up to
    `per_bucket` each, from a fixed-seed pool (county_open exists only in the county-level cities)."""
    rng = random.Random(seed)
    buckets: dict[tuple[str, str], list[dict]] = {}
    for _ in range(pool):
        p = {k: v for k, v in _persona(rng).items() if v is not None}
        key = _bucket(p)
        if len(buckets.setdefault(key, [])) < per_bucket:
            buckets[key].append(p)
    return [p for key in sorted(buckets) for p in buckets[key]]


def public() -> list[dict]:
    return [case["profile"] for case in load("profiles.json")]


def personas() -> list[dict]:
    """The public profiles, then the generated ones."""
    return public() + generated()
