"""What the pages are told: their fixed words (assistant/web/texts.yml), the public labels and statuses, the
console's form schema, its script and citations, and a conversation's tracker as the console shows it."""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from assistant.conversation import dialogue
from assistant.conversation.explain import changes, explain, next_steps, recommendation, still_missing
from assistant.policy import sheet
from assistant.policy.engine import assess
from assistant.policy.profile import (
    FIELD_SPECS,
    PROFILE_FIELDS,
    enum_label,
    enum_values,
    field_label,
    parse_profile,
)
from assistant.policy.rules import policy

WEB = Path(__file__).resolve().parents[1] / "web"


@functools.lru_cache(maxsize=1)
def texts() -> dict:
    """The fixed Chinese words of assistant/web/texts.yml."""
    return yaml.safe_load((WEB / "texts.yml").read_text(encoding="utf-8"))


# --- what the pages need to know: labels and statuses ------------------------------------------------------

def terms() -> dict:
    """Public labels for the pages: field labels, statuses, the unverified notice."""
    pol = policy()
    return {
        "fields": dict(pol.terms["fields"]),
        "statuses": dict(pol.messages["explain"]["statuses"]),
        "unverified": pol.terms["unverified_notice"],
        "disclaimer": pol.terms["disclaimer"],
        "progress": dict(pol.messages["dialogue"]["progress"]),   # under a question: payload.remaining
    }


def schema() -> dict:
    """The console form: every profile field with its label, its kind and, for choices, the options."""
    pol = policy()
    bools = pol.messages["dialogue"]["bool_values"]

    def spec(name: str) -> dict:
        kind = FIELD_SPECS[name]
        out: dict[str, Any] = {"name": name, "label": field_label(name), "kind": kind[0]}
        if kind[0] in ("int", "number"):
            out.update(min=kind[1], max=kind[2])
        elif kind[0] == "enum":
            out["options"] = [{"value": v, "label": enum_label(kind[1], v)} for v in enum_values(kind[1])]
        elif kind[0] == "area":
            out["options"] = [{"value": a["name"], "label": a["name"]} for a in pol.terms["areas"].values()]
        elif kind[0] == "bool":
            out["options"] = [{"value": True, "label": bools["true"]}, {"value": False, "label": bools["false"]}]
        return out

    groups, placed = [], set()
    for group in texts()["form_groups"]:
        names = [f for f in group["fields"] if f in FIELD_SPECS and f not in placed]
        placed.update(names)
        groups.append({"title": group["title"], "fields": [spec(f) for f in names]})
    rest = [f for f in PROFILE_FIELDS if f not in placed]
    if rest:
        groups[-1]["fields"] += [spec(f) for f in rest]
    return {"as_of": spec("as_of"), "groups": groups, "today": dt.date.today().isoformat(),
            "supported_from": pol.supported_from.isoformat(), **terms()}


# --- the console's answer: script and citations ------------------------------------------------------------

def script(result: dict) -> str:
    """What the agent reads out, built from the assessment: the recommendation and why (or, when nothing is
    open yet, what would change that), the next step and what is still missing, without the citations
    (they are listed beside it) and with a spoken mark on unverified lines, between an opening and a
    closing."""
    words = texts()["script"]

    def spoken(criterion: dict) -> str:
        detail = f"（{criterion['detail']}）" if criterion.get("detail") else ""
        return f"  {criterion['text']}{detail}" + ("" if criterion["verified"] else words["unverified"])

    out = [words["opening"].format(as_of=result["as_of"], area=result["area"]["name"] or words["area_unknown"])]
    blocks = [recommendation(result, spoken)]
    if not result["recommended"]:
        blocks.append(changes(result))
    blocks += [next_steps(result), still_missing(result)]
    for block in blocks:
        out += [line if not line.startswith(" ") else "  " + line.strip().lstrip("-· ").strip() for line in block]
    out.append(words["closing"])
    return _WRITTEN_FLAG.sub(words["unverified"], "\n".join(out))


# A written flag ("【该项分值/条件尚待官方核实】", "【有效期延续情况尚待官方核实】") is read out as the spoken mark.
_WRITTEN_FLAG = re.compile(r"【[^】]*尚待官方核实】")


def citations(result: dict) -> list[dict]:
    """Every clause the assessment relies on, once, with the channels that cite it: the recommended
    channels first. `verified` is false when any use of the clause is not officially verified."""
    order = {"eligible": 0, "undetermined": 1, "not_eligible": 2, "not_applicable": 3}
    channels = sorted(result["channels"], key=lambda c: (c["id"] not in result["recommended"], order[c["status"]]))
    found: dict[tuple, dict] = {}

    def add(source: dict, verified: bool, channel: str) -> None:
        key = (source["document"], source["article"], source["effective_from"])
        entry = found.setdefault(key, {"document": key[0], "article": key[1], "effective_from": key[2],
                                       "verified": True, "channels": []})
        entry["verified"] = entry["verified"] and bool(verified)
        if channel not in entry["channels"]:
            entry["channels"].append(channel)

    for channel in channels:
        for criterion in channel["criteria"]:
            add(criterion["source"], criterion["verified"], channel["name"])
        if channel["id"] == "points" and result.get("points"):
            for item in result["points"]["items"]:
                add(item["source"], item["verified"], channel["name"])
    return list(found.values())


def console_answer(data: Any) -> dict:
    """The console's answer for a profile (docs/interfaces.md §1), with the rules sheet of the date it
    evaluates; ProfileError for bad input."""
    profile = parse_profile(data)
    result = assess(profile)
    explanation = explain(result)
    return {"assessment": result, "explanation": explanation, "script": script(result),
            "citations": citations(result), "rules": [asdict(r) for r in sheet.rows_on(profile.as_of)]}


# --- a resident's conversation ----------------------------------------------------------------------------

def _shown(name: str, value: Any) -> str:
    label = field_label(name)
    text = dialogue.display(name, value)
    prefix = policy().messages["dialogue"]["fact"].format(label=label, value="")
    return text[len(prefix):] if text.startswith(prefix) else text


def conversation(tracker: Any) -> dict:
    """What staff see of a conversation: the facts collected, the last assessment, the handoff flag."""
    slots = tracker.current_slot_values()
    facts = []
    for name, value in dialogue.profile_values(slots).items():
        try:
            shown = _shown(name, value)
        except (KeyError, ValueError, TypeError):
            shown = str(value)
        facts.append({"field": name, "label": field_label(name), "value": value, "display": shown})
    last = slots.get("last_assessment")
    explanation = None
    if isinstance(last, dict):
        try:
            explanation = explain(last)
        except (KeyError, TypeError, ValueError, IndexError):
            explanation = None
    messages = []
    for event in tracker.events:
        kind = getattr(event, "type_name", "")
        if kind in ("user", "bot") and getattr(event, "text", None):
            messages.append({"from": kind, "text": event.text,
                             "time": dt.datetime.fromtimestamp(event.timestamp).isoformat(timespec="seconds")})
    asked = slots.get("asked_field")
    return {
        "sender_id": tracker.sender_id,
        "facts": facts,
        "as_of": slots.get("as_of"),
        "asked_field": asked,
        "asked_label": field_label(asked) if asked in FIELD_SPECS else None,
        "skipped": [{"field": f, "label": field_label(f)} for f in (slots.get("skipped_fields") or [])
                    if f in FIELD_SPECS],
        "handoff_requested": bool(slots.get("handoff_requested")),
        "last_assessment": last if isinstance(last, dict) else None,
        "explanation": explanation,
        "messages": messages[-40:],
    }


