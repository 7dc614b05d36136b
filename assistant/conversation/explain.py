"""Assessment -> plain Chinese for a resident or for hotline staff to read out.

Everything said here is read from the assessment and the message templates; no rule is decided twice.
Every line that rests on an unverified rule carries the flag, and an answer with any such line ends with
the notice (docs/rules.md: unverified rules carry their flag to the user).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from assistant.policy.engine.assess import RECOMMENDATION_ORDER
from assistant.policy.rules import rule_data

_STATUS_ORDER = {"eligible": 0, "undetermined": 1, "not_eligible": 2, "not_applicable": 3}


def _t(key: str) -> str:
    return rule_data().messages["explain"][key]


def _labels(fields: list[str]) -> str:
    names = rule_data().terms["fields"]
    return "、".join(names.get(f, f) for f in fields)


def _flag(item: dict) -> str:
    """"【有效期延续情况尚待官方核实】" or "【该项分值/条件尚待官方核实】" for an unverified item, else ""."""
    if item.get("verified", True):
        return ""
    return _t("caveat_flag").format(caveat=item["caveat"]) if item.get("caveat") else _t("unverified_flag")


def _flagged(lines: list[str]) -> bool:
    """Whether any line carries a flag (the answer then ends with the notice): every flag ends the same way."""
    end = _t("unverified_flag")[-len("尚待官方核实】"):]
    return any(end in line for line in lines)


def _channel_title(channel: dict) -> str:
    """"人才落户（先落户后就业）": the channel with the name of the route that decided it, if any."""
    names = [c["route_name"] for c in channel["criteria"] if c.get("route") == channel["route"] and "route_name" in c]
    return _t("recommended_route").format(name=channel["name"], route=names[0]) if names else channel["name"]


def _short_title(document: str) -> str:
    return document.split("》")[0] + "》" if "》" in document else document


def _criterion_line(c: dict, template: str | None = None) -> str:
    """A condition with its detail, its source and, where the rule is unverified, the flag."""
    src = c["source"]
    return (template or _t("criterion_line")).format(
        text=c["text"], detail=f"（{c['detail']}）" if c.get("detail") else "", document=_short_title(src["document"]),
        article=src["article"], effective_from=src["effective_from"], flag=_flag(c))


def _points_items(p: dict) -> str:
    """"文化学历100分，年龄46分，参保120分*": * marks an unverified value."""
    return "，".join(f"{i['label']}{i['points']}分" + ("*" if not i["verified"] else "") for i in p["items"]) or "无"


def _route_of_closest(not_met: list[dict], criteria: list[dict]) -> list[dict]:
    """The unmet conditions of the route nearest to passing: a route that covers the person's credential
    first (its age or months are what failed), then the one with the fewest unmet conditions."""
    covered = {c.get("route") for c in criteria if c["id"].endswith("_credential") and c["result"] != "not_met"}
    by_route: dict = {}
    for c in not_met:
        by_route.setdefault(c.get("route"), []).append(c)
    return min(by_route.items(), key=lambda kv: (kv[0] not in covered, len(kv[1])))[1]


def _reason(channel: dict, result: dict) -> str:
    """One line on why a channel is not (yet) open, flagged when it rests on an unverified rule."""
    criteria = channel["criteria"]
    if channel["id"] == "points" and result["points"] and channel["status"] == "undetermined" and \
            not any(c["result"] == "unknown" for c in criteria if c["id"] != "points_score"):
        p = result["points"]
        score = next(c for c in criteria if c["id"] == "points_score")
        return _t("reason_points").format(known=p["known"], line=p["line"], gap=p["gap_points"],
                                          unscored="、".join(p["unscored_labels"][:3])) + _flag(score)
    not_met = [c for c in criteria if c["result"] == "not_met"]
    if channel["status"] == "not_applicable" and criteria:
        return _t("reason_text").format(text=criteria[0]["text"]) + _flag(criteria[0])
    if channel["status"] == "not_eligible" and not_met:
        route = _route_of_closest(not_met, criteria)
        shown = next((c for c in route if not c.get("verified", True)), route[0])
        return _t("reason_not_met").format(text=shown["text"]) + _flag(shown)
    if channel["id"] == "residence_permit" and channel["status"] == "eligible":
        return _t("reason_permit")
    if channel["status"] == "undetermined" and criteria and criteria[0]["id"] in ("rules_not_encoded",
                                                                                  "rules_expired"):
        return _t("reason_text").format(text=criteria[0]["text"]) + _flag(criteria[0])
    if channel.get("missing"):
        return _t("reason_unknown").format(fields=_labels(channel["missing"][:4]))
    return ""


def _note_lines(channel: dict) -> list[str]:
    return [_t("note_line").format(text=n["text"], flag=_flag(n)) for n in channel.get("notes") or []]


def recommendation(result: dict, criterion_line=None) -> list[str]:
    """The recommendation and why the first channel fits, or that nothing is open yet (and the 居住证)."""
    line_of = criterion_line or _criterion_line
    channels = {c["id"]: c for c in result["channels"]}
    recommended = result["recommended"]
    if not recommended:
        lines = [_t("none_eligible")]
        if channels["residence_permit"]["status"] == "eligible":
            lines.append(_t("permit_first_county" if result["area"]["type"] == "county" else "permit_first"))
        return lines
    names = [_channel_title(channels[cid]) for cid in recommended]
    first = channels[recommended[0]]
    return [_t("recommended").format(channels="、".join(names)), _t("why").format(name=first["name"]),
            *(line_of(c) for c in first["criteria"]), *_note_lines(first)]


def changes(result: dict) -> list[str]:
    """What would change the outcome: the gaps of the channels not yet open, each once."""
    gaps = [g for c in result["channels"] if c["status"] != "eligible" for g in c["gaps"]]
    if not gaps:
        return []
    return [_t("changes")] + [_t("change_line").format(text=g["text"], flag=_flag(g)) for g in _unique(gaps)]


def next_steps(result: dict) -> list[str]:
    """Where to apply for the recommended channels (or for a 居住证 when none is open)."""
    channels = {c["id"]: c for c in result["channels"]}
    steps = result["recommended"] or (
        ["residence_permit"] if channels["residence_permit"]["status"] == "eligible" else [])
    return [_t("next")] + [_t("next_line").format(text=_t("next_steps")[cid]) for cid in steps] if steps else []


def still_missing(result: dict) -> list[str]:
    return [_t("missing").format(fields=_labels(result["missing"][:5]))] if result["missing"] else []


def explain(result: dict) -> str:
    """The full Chinese explanation: recommendation, why, why not the others, what would change it, next steps."""
    channels = {c["id"]: c for c in result["channels"]}
    area = result["area"]["name"] or _t("area_unknown")
    lines = [_t("heading").format(as_of=result["as_of"], area=area), "", *recommendation(result), "", _t("others")]
    recommended = result["recommended"]
    for c in sorted((c for c in result["channels"] if c["id"] not in recommended[:1]),
                    key=lambda c: _STATUS_ORDER[c["status"]]):
        lines.append(_t("other_line").format(name=c["name"], status=_t("statuses")[c["status"]],
                                             reason=_reason(c, result)))
        lines += ["  " + line for line in _note_lines(c)]
    p = result["points"]
    unverified_points = False
    if p is not None and channels["points"]["status"] != "not_applicable":
        lines.append(_t("points_line").format(known=p["known"], line=p["line"], items=_points_items(p),
                                              unscored="、".join(p["unscored_labels"])))
        unverified_points = any(not i["verified"] for i in p["items"])
    for block in (changes(result), _registration(result), still_missing(result), next_steps(result)):
        if block:
            lines += ["", *block]
    if unverified_points or _flagged(lines):
        lines += ["", _t("unverified")]
    lines += ["", result["disclaimer"]]
    return "\n".join(lines)


def _registration(result: dict) -> list[str]:
    if not result["registration_options"]:
        return []
    texts = rule_data().channels["registration"].texts
    source = rule_data().rules_on(dt.date.fromisoformat(result["as_of"])).get("registration", "options").source
    return [_t("registration")] + [_t("registration_line").format(
        text=texts[o], document=_short_title(source["document"]), article=source["article"])
        for o in result["registration_options"]]


def _unique(items: list[dict]) -> list[dict]:
    """Gaps or criteria with distinct texts (several routes can share a condition), in order."""
    seen, out = set(), []
    for item in items:
        if item["text"] not in seen:
            seen.add(item["text"])
            out.append(item)
    return out


def _f(key: str) -> str:
    return rule_data().messages["followups"][key]


def explain_channel(result: dict, channel_id: str) -> str:
    """Why one channel has its status: the unmet and unknown conditions, what would close the gaps."""
    c = next(ch for ch in result["channels"] if ch["id"] == channel_id)
    lines = [_f("channel_heading").format(name=_channel_title(c), status=_t("statuses")[c["status"]])]
    groups = [("met", "met")] if c["status"] in ("eligible", "not_applicable") else \
        [("not_met", "not_met"), ("unknown", "unknown")]
    for key, wanted in groups:
        shown = [cr for cr in c["criteria"] if cr["result"] == wanted or c["status"] == "not_applicable"]
        if shown:
            lines += [_f(key)] + [_criterion_line(cr, _f("criterion")) for cr in _unique(shown)]
    lines += _note_lines(c)
    if c["gaps"]:
        lines += [_f("gaps")] + [_f("gap").format(text=g["text"], flag=_flag(g)) for g in c["gaps"]]
    if c.get("missing"):
        lines.append(_f("missing").format(fields=_labels(c["missing"][:5])))
    if channel_id == "points" and result["points"] is not None:
        lines.append(explain_points(result))
    if _flagged(lines):
        lines.append(_t("unverified"))
    return "\n".join(lines)


def explain_points(result: dict) -> str:
    """The known points against the line, item by item, and what is not counted."""
    p = result["points"]
    channel = next(c for c in result["channels"] if c["id"] == "points")
    if p is None:
        if channel["status"] == "not_applicable":  # a county-level city from 2023-04-01
            return _f("points_none_county").format(area=result["area"]["name"])
        # Before 2023-04-01 (the county-level cities used points too) or after the rules expired.
        return channel["criteria"][0]["text"] + _flag(channel["criteria"][0]) if channel["criteria"] else \
            _f("points_none_date")
    head = _f("points_enough" if p["gap_points"] == 0 else "points").format(known=p["known"], line=p["line"],
                                                                           gap=p["gap_points"])
    lines = [head, _f("points_items").format(items=_points_items(p)),
             _f("points_unscored").format(unscored="、".join(p["unscored_labels"]))]
    if any(not i["verified"] for i in p["items"]):
        lines.append(_f("points_unverified"))
    lines += [line.strip() for line in _note_lines(channel)]
    gaps = [g for g in channel["gaps"] if g["field"] in ("social_insurance_months", "points")]
    lines += [g["text"] + _flag(g) for g in gaps]
    return "\n".join(lines)


def explain_change(before: dict, after: dict, changes: str) -> str:
    """What a hypothetical change would do to each channel and to the points."""
    lines = [_f("change_heading").format(changes=changes)]
    old = {c["id"]: c for c in before["channels"]}
    for c in after["channels"]:
        if c["status"] != old[c["id"]]["status"]:
            lines.append(_f("change_line").format(name=c["name"], before=_t("statuses")[old[c["id"]]["status"]],
                                                  after=_t("statuses")[c["status"]]))
    if before["points"] and after["points"] and before["points"]["known"] != after["points"]["known"]:
        lines.append(_f("points_change").format(before=before["points"]["known"], after=after["points"]["known"],
                                                line=after["points"]["line"]))
    if len(lines) == 1:
        lines.append(_f("no_change"))
        gaps = [g for c in after["channels"] if c["status"] != "eligible" for g in c["gaps"]]
        lines += [_f("gap").format(text=g["text"], flag=_flag(g)) for g in _unique(gaps)[:3]]
    lines.append(_f("hypothetical"))
    return "\n".join(lines)


def _p(key: str) -> str:
    return rule_data().messages["place"][key]


def _place_line(c: dict) -> str:
    """One channel in a place: its conditions (route by route), the first source, the flag if any is unverified."""
    join = _p("condition_join")
    routes: dict[str | None, list[dict]] = {}
    for cr in c["criteria"]:
        routes.setdefault(cr.get("route"), []).append(cr)
    parts = []
    for route, crs in routes.items():
        conditions = join.join(cr["text"] for cr in crs)
        name = next((cr["route_name"] for cr in crs if cr.get("route_name")), None)
        parts.append(_p("route").format(route=name, conditions=conditions) if route and name else conditions)
    unverified = next((cr for cr in c["criteria"] if not cr.get("verified", True)), None)
    src = c["criteria"][0]["source"]
    return _p("channel").format(name=c["name"], conditions=_p("route_join").join(parts),
                                document=_short_title(src["document"]), article=src["article"],
                                effective_from=src["effective_from"], flag=_flag(unverified) if unverified else "")


def explain_place(result: dict, first: str | None = None) -> str:
    """What holds in the assessment's area on its date, channel by channel (the one asked about first), from
    the rule data in force; the channels that do not apply there in one line."""
    area = result["area"] or {}
    here = [c for c in result["channels"] if c["status"] != "not_applicable" and c["criteria"]]
    here.sort(key=lambda c: c["id"] != first)
    lines = [_p("heading").format(as_of=result["as_of"], area=area.get("name", ""),
                                  area_type=rule_data().terms["area_types"].get(area.get("type"), ""))]
    lines += [_place_line(c) for c in here]
    elsewhere = [c["name"] for c in result["channels"] if c["status"] == "not_applicable"]
    if elsewhere:
        lines.append(_p("not_here").format(area=area.get("name", ""), channels="、".join(elsewhere)))
    if _flagged(lines):
        lines.append(_t("unverified"))
    return "\n".join(lines)


def explain_easier(recommended: list[str], can_open: Iterable[str]) -> str:
    """What could still open a channel ranked above the one recommended ("是本市院校毕业生或有…", for
    utter_offer_easier): the channels above it that answers not yet given could open; "" when none can."""
    if not recommended:
        return ""
    above = RECOMMENDATION_ORDER[:RECOMMENDATION_ORDER.index(recommended[0])]
    texts = rule_data().messages["dialogue"]["easier"]
    return texts["join"].join(texts["channels"][c] for c in above if c in set(can_open))
