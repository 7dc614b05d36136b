"""The interview as it is shown: the known profile values, the plan of questions left, a question's ask payload
with its options, the progress line and the facts displayed (assistant/conversation/dialogue.py reads replies)."""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from assistant.conversation import planner
from assistant.policy.engine import assess
from assistant.policy.profile import (
    FIELD_SPECS,
    PROFILE_FIELDS,
    ProfileError,
    enum_label,
    field_label,
    parse_profile,
)
from assistant.policy.rules import rule_data

MODE_DECIDE, MODE_FULL = "decide", "full"
MONTH_FIELDS = {"social_insurance_months", "social_insurance_consecutive_months", "social_insurance_months_yrd_12m",
                "nanjing_social_insurance_months", "residence_months", "sentence_months"}


def profile_values(slots: dict) -> dict[str, Any]:
    """The known profile fields among the slots (Rasa keeps numbers as floats)."""
    out = {}
    for name in PROFILE_FIELDS:
        value = slots.get(name)
        if value is None:
            continue
        if FIELD_SPECS[name][0] == "int" and isinstance(value, float):
            value = int(value)
        out[name] = value
    return out


@dataclass
class Plan:
    """What to do next: ask `question` (with `fields`, both fields of a paired question), or give `assessment`
    as the answer (question is None). `remaining`: the fields still missing; `estimate`: about how many
    questions are left, this one included; `can_open`: undetermined channels that answers not yet given
    could open."""

    assessment: dict
    question: str | None
    remaining: list[str]
    fields: tuple[str, ...] = ()
    estimate: int = 0
    can_open: frozenset[str] = frozenset()


def plan(values: dict, as_of: str | None, skipped: Iterable[str] = (), mode: str = MODE_DECIDE,
         age_range: Iterable[int] | None = None) -> Plan:
    """Runs the engine on what is known and picks the next question, or none when the outcome is clear.
    An age known only as a range decides the caps it does not straddle (docs/rules.md §0)."""
    profile = parse_profile(dict(values), as_of=as_of)
    if age_range and profile.age is None:
        low, high = age_range
        profile = profile.replace(age_range=(int(low), int(high)))
    result = assess(profile)
    skipped = set(skipped or ())
    remaining = [f for f in result["missing"] if f not in skipped]
    # The first answer as soon as a channel is open, or when no answer left could open one (docs/planner.md).
    if not remaining or (mode == MODE_DECIDE and planner.decided(profile)):
        return Plan(result, None, remaining, can_open=planner.can_open(profile, skipped))
    choice = planner.choose(profile, remaining, skipped, full=mode == MODE_FULL)
    return Plan(result, choice.fields[0], remaining, choice.fields, choice.remaining)


def ask_options(name: str) -> list[dict] | None:
    """Buttons for a question: enumeration values (and yes/no), each with the payload that answers it."""
    kind = FIELD_SPECS[name][0]
    if kind == "bool":
        labels = rule_data().messages["dialogue"]["bool_values"]
        values = [(True, labels["true"]), (False, labels["false"])]
    elif kind == "enum":
        spec = rule_data().terms["enums"][FIELD_SPECS[name][1]]["values"]
        values = [(v, spec[v].get("button") or spec[v]["label"]) for v in spec]
    elif kind == "area":
        values = [(a["name"], a["name"]) for a in rule_data().terms["areas"].values()]
    else:
        return None
    return [{"title": title, "value": value, "payload": _payload(name, value)} for value, title in values]


def _payload(name: str, value: Any) -> str:
    return "/inform" + json.dumps({name: value}, ensure_ascii=False)


def ask_payload(name: str, also: str | None = None, remaining: int | None = None) -> dict:
    """The `ask` payload of docs/interfaces.md §3 for a question about `name` (and `also`, a paired question:
    `fields` names both, and there are no buttons, since one button could answer only one of them);
    `remaining`: about how many questions are left, this one included."""
    payload: dict[str, Any] = {"type": "ask", "field": name}
    options = None if also else ask_options(name)
    if options:
        payload["options"] = options
    if also:
        payload["fields"] = [name, also]
    if remaining is not None:
        payload["remaining"] = remaining
    return payload


def progress_text(remaining: Any) -> str | None:
    """"还需约3个问题" for an ask payload's `remaining` (None when it has none)."""
    if not isinstance(remaining, int) or isinstance(remaining, bool) or remaining < 1:
        return None
    texts = rule_data().messages["dialogue"]["progress"]
    return texts["one"] if remaining == 1 else texts["many"].format(n=remaining)


def display(name: str, value: Any) -> str:
    """A fact as the resident reads it back: "学历：本科"."""
    texts = rule_data().messages["dialogue"]
    kind = FIELD_SPECS[name][0]
    if kind == "bool":
        shown = texts["bool_values"]["true" if value else "false"]
    elif kind == "enum":
        shown = enum_label(FIELD_SPECS[name][1], value)
    elif name == "age":
        shown = f"{value}{texts['unit']['age']}"
    elif name in MONTH_FIELDS:
        shown = f"{value}{texts['unit']['months']}"
    elif name == "home_area_m2":
        shown = f"{value:g}{texts['unit']['home_area_m2']}"
    else:
        shown = str(value)
    return texts["fact"].format(label=field_label(name), value=shown)


def describe(facts: dict[str, Any]) -> str:
    """Several facts in one line, in the contract's field order."""
    order = {f: i for i, f in enumerate(PROFILE_FIELDS)}
    return rule_data().messages["dialogue"]["fact_join"].join(
        display(k, v) for k, v in sorted(facts.items(), key=lambda kv: order[kv[0]]))


def check(values: dict, as_of: str | None) -> list[str]:
    """Messages for facts that contradict each other (e.g. more consecutive months than months in all)."""
    try:
        parse_profile(dict(values), as_of=as_of)
    except ProfileError as exc:
        return [e.message for e in exc.errors]
    return []
