"""What the pages are told: their fixed words (assistant/web/texts.yml), the public labels and statuses and the
console's form schema. What the console shows of an assessment (its script and citations) and of a resident's
conversation is assistant/conversation/console.py."""
from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import yaml

from assistant.policy.profile import FIELD_SPECS, PROFILE_FIELDS, enum_label, enum_values, field_label
from assistant.policy.rules import rule_data

WEB = Path(__file__).resolve().parents[1] / "web"


@functools.lru_cache(maxsize=1)
def texts() -> dict:
    """The fixed Chinese words of assistant/web/texts.yml."""
    return yaml.safe_load((WEB / "texts.yml").read_text(encoding="utf-8"))


# --- what the pages need to know: labels and statuses ------------------------------------------------------

def terms() -> dict:
    """Public labels for the pages: field labels, statuses, the unverified notice."""
    data = rule_data()
    return {
        "fields": dict(data.terms["fields"]),
        "statuses": dict(data.messages["explain"]["statuses"]),
        "unverified": data.terms["unverified_notice"],
        "disclaimer": data.terms["disclaimer"],
        "progress": dict(data.messages["dialogue"]["progress"]),   # under a question: payload.remaining
    }


def schema() -> dict:
    """The console form: every profile field with its label, its kind and, for choices, the options."""
    data = rule_data()
    bools = data.messages["dialogue"]["bool_values"]

    def spec(name: str) -> dict:
        kind = FIELD_SPECS[name]
        out: dict[str, Any] = {"name": name, "label": field_label(name), "kind": kind[0]}
        if kind[0] in ("int", "number"):
            out.update(min=kind[1], max=kind[2])
        elif kind[0] == "enum":
            out["options"] = [{"value": v, "label": enum_label(kind[1], v)} for v in enum_values(kind[1])]
        elif kind[0] == "area":
            out["options"] = [{"value": a["name"], "label": a["name"]} for a in data.terms["areas"].values()]
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
            "supported_from": data.supported_from.isoformat(), **terms()}
