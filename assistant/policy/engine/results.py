"""The pieces of an assessment's output (docs/interfaces.md §2): criteria, gaps and a channel's result."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.policy.engine.logic import NO_NEEDS, UNKNOWN, Truth, result_of
from assistant.policy.rules import RuleData, RuleDataError, RuleSet, Value


def criterion(cid: str, text: str, truth: Truth, source: Value, detail: str = "", verified: bool | None = None,
              **extra: Any) -> dict:
    """One condition of a channel, with its result and the clause it rests on."""
    out = {"id": cid, "text": text, "result": result_of(truth), "detail": detail,
           "verified": source.verified if verified is None else verified, "source": source.source}
    if source.caveat:
        out["caveat"] = source.caveat
    out.update(extra)
    return out


def gap(field: str, have: Any, need: Any, text: str, verified: bool = True) -> dict:
    """What would close a condition: the field, its value and the value needed; `verified` is false when
    the condition rests on an unverified rule (the answer then says so)."""
    return {"field": field, "have": have, "need": need, "text": text, "verified": verified}


@dataclass
class ChannelResult:
    """A channel's status with its criteria and gaps; `needs` and `path` feed the assessment's `missing`."""

    id: str
    status: str
    route: str | None = None
    criteria: list | None = None
    gaps: list | None = None
    needs: frozenset[str] = NO_NEEDS
    points: dict | None = None
    path: frozenset[str] | None = None  # fewest unknown fields that could make it eligible; None if none can
    notes: list | None = None           # what every answer mentioning the channel must say

    def as_dict(self, data: RuleData, order: dict[str, int]) -> dict:
        return {"id": self.id, "name": data.channels[self.id].name, "status": self.status, "route": self.route,
                "criteria": self.criteria or [], "gaps": self.gaps or [], "notes": self.notes or [],
                "missing": sorted(self.needs, key=order.__getitem__) if self.status == "undetermined" else []}


def note(nid: str, text: str, source: Value, verified: bool | None = None) -> dict:
    """A statement that goes with a channel's answer (a caveat, an unverified detail, where to ask)."""
    out = {"id": nid, "text": text, "verified": source.verified if verified is None else verified,
           "source": source.source}
    if source.caveat:
        out["caveat"] = source.caveat
    return out


def _last_day(data: RuleData, doc_id: str) -> str:
    """The last day a document applied; a document can only have expired when it has one."""
    last = data.validity[doc_id].last
    if last is None:
        raise RuleDataError(f"{doc_id}: expired without a validity date")
    return last.isoformat()


def expired(cid: str, data: RuleData, rule_set: RuleSet) -> ChannelResult | None:
    """After the last validity of a document the channel rests on: undetermined, and the answer says the
    rule data needs an update (a rule never applies silently past its validity, docs/rules.md §2c)."""
    values = rule_set.expired.get(cid)
    if not values:
        return None
    words = data.terms["validity"]
    crits = [criterion("rules_expired", _expired_text(data, words, v), UNKNOWN, v, verified=False)
             for v in {v.doc_id: v for v in values}.values()]
    return ChannelResult(cid, "undetermined", criteria=crits, path=None)


def _expired_text(data: RuleData, words: dict, v: Value) -> str:
    """"…的有效期（至…）已过": of the document itself, or of the one it was made under (docs/readings.md §2c)."""
    until = _last_day(data, v.doc_id)
    base = data.rests_on.get(v.doc_id)
    if base is None:
        return words["expired"].format(document=v.document, until=until)
    return words["expired_basis"].format(document=v.document, basis=data.document_title(base), until=until)


def not_encoded(cid: str, scheme: Value, text: str) -> ChannelResult:
    """A period whose rules are not in the rule data: undetermined, and no answer can change that."""
    return ChannelResult(cid, "undetermined", criteria=[criterion("rules_not_encoded", text, Truth(None), scheme)],
                         path=None)


def without_rules(cid: str, data: RuleData, rule_set: RuleSet) -> tuple[Value, ChannelResult | None]:
    """The channel's scheme, and the result of the channel when its rules are not encoded on the day or its
    document has expired (None while its rules apply)."""
    scheme = rule_set.get(cid, "scheme")
    if scheme.value == "not_encoded":
        return scheme, not_encoded(cid, scheme, data.channels[cid].texts["not_encoded"])
    return scheme, expired(cid, data, rule_set)
