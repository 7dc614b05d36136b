"""What the hotline console shows (docs/interfaces.md §1), beside the explanations it is built from
(explain.py): the answer for a profile, with the script an agent reads out and the clauses it cites, and a
resident's conversation as staff see it (its slots read as the State, assistant/conversation/state.py).

The channel (assistant/channels/web.py) only translates HTTP; the words of the script are in messages.yml
(console:)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict
from typing import Any

from assistant.conversation import dialogue
from assistant.conversation.explain import changes, explain, next_steps, recommendation, still_missing
from assistant.conversation.state import State
from assistant.policy import sheet
from assistant.policy.engine import assess
from assistant.policy.profile import FIELD_SPECS, field_label, parse_profile
from assistant.policy.rules import rule_data

# --- the console's answer: script and citations ------------------------------------------------------------


def script(result: dict) -> str:
    """What the agent reads out, built from the assessment: the recommendation and why (or, when nothing is
    open yet, what would change that), the next step and what is still missing, without the citations
    (they are listed beside it) and with a spoken mark on unverified lines, between an opening and a
    closing."""
    words = rule_data().messages["console"]["script"]

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
    prefix = rule_data().messages["dialogue"]["fact"].format(label=label, value="")
    return text[len(prefix):] if text.startswith(prefix) else text


def conversation(tracker: Any) -> dict:
    """What staff see of a conversation (a Rasa tracker): the facts collected, the last assessment, the
    handoff flag, the latest messages. The JSON's keys are the console's (console.js); their values are the
    State's, read from the tracker's slots."""
    state = State.from_slots(tracker.current_slot_values())
    facts = []
    for name, value in state.values.items():
        try:
            shown = _shown(name, value)
        except (KeyError, ValueError, TypeError):
            shown = str(value)
        facts.append({"field": name, "label": field_label(name), "value": value, "display": shown})
    last = state.last_assessment if isinstance(state.last_assessment, dict) else None
    explanation = None
    if last is not None:
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
    return {
        "sender_id": tracker.sender_id,
        "facts": facts,
        "as_of": state.as_of,
        "asked_field": state.asked,
        "asked_label": field_label(state.asked) if state.asked in FIELD_SPECS else None,
        "skipped": [{"field": f, "label": field_label(f)} for f in state.skipped if f in FIELD_SPECS],
        "handoff_requested": state.handoff,
        "last_assessment": last,
        "explanation": explanation,
        "messages": messages[-40:],
    }
