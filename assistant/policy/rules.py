"""Loads and checks the rule data in assistant/policy/*.yml and answers "which value is in force on a date".

The files read like OpenFisca parameters: every value is keyed by the date it takes effect and carries its
source and a `verified` flag. Loading is strict: an unknown key, a value without a date or a source, or an
unknown document is a RuleDataError naming the file and the place.
"""
from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

POLICY_DIR = Path(__file__).parent
TEXTS_DIR = Path(__file__).parent / "texts"
MESSAGES_FILE = Path(__file__).parents[1] / "conversation" / "messages.yml"
CHANNEL_IDS = ("talent", "points", "home_purchase", "county_open", "family", "suzhou_graduate", "residence_permit")

_TERMS_KEYS = {"supported_from", "revision", "documents", "areas", "area_types", "fields", "enums", "disclaimer",
               "unverified_notice", "validity"}
_REVISION_KEYS = {"number", "date", "changes"}
_DOCUMENT_KEYS = {"title", "valid_until", "extended_until", "extension_source", "rests_on"}
_CHANNEL_KEYS = {"channel", "parameters"}
_PARAMETER_KEYS = {"description", "unit", "values"}
_VALUE_KEYS = {"value", "document", "article", "verified", "note"}
_VALUE_REQUIRED = {"value", "document", "article", "verified"}
_ROUTE_KEYS = {"name", "degree_mode", "lower_degree", "requires", "months", "credentials", "tiers", "back_payments"}
_CREDENTIAL_KEYS = {"education", "title", "skill", "age_cap", "shortage", "verified", "article"}
_BACK_PAYMENT_KEYS = {"counted", "verified", "article"}
_TIER_KEYS = {"age_cap", "months", "shortage", "verified", "article"}
_CREDENTIAL_ENUMS = {"education": "education", "title": "professional_title", "skill": "skill_level"}


class RuleDataError(ValueError):
    """The rule data is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Value:
    """One dated value of a parameter, with where it comes from."""

    value: Any
    verified: bool
    document: str
    article: str
    effective_from: dt.date
    doc_id: str = ""
    valid_until: dt.date | None = None
    caveat: str | None = None          # said with the value: "有效期延续情况尚待官方核实"
    source: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built once: assessments share this dict, so treat it as read-only.
        source = {"document": self.document, "article": self.article,
                  "effective_from": self.effective_from.isoformat()}
        if self.valid_until is not None:
            source["valid_until"] = self.valid_until.isoformat()
        object.__setattr__(self, "source", source)


@dataclass(frozen=True)
class Parameter:
    """A named rule value that changes over time."""

    name: str
    description: str
    dates: tuple[dt.date, ...]
    values: tuple[Value, ...]

    def at(self, day: dt.date) -> Value | None:
        """The value in force on `day`, or None before the first date or where the rule was repealed."""
        i = bisect.bisect_right(self.dates, day) - 1
        if i < 0 or self.values[i].value is None:
            return None
        return self.values[i]


@dataclass(frozen=True)
class ChannelData:
    id: str
    name: str
    parameters: dict[str, Parameter]
    texts: dict


@dataclass(frozen=True)
class Validity:
    """How long a document applies: until `valid_until`; after it, until `extended_until` only on an
    unverified report of an extension (docs/rules.md §2c)."""

    valid_until: dt.date | None
    extended_until: dt.date | None

    @property
    def last(self) -> dt.date | None:
        return self.extended_until or self.valid_until

    def state(self, day: dt.date) -> str:
        """in_force, extension (only the unverified extension covers `day`) or expired."""
        if self.valid_until is None or day <= self.valid_until:
            return "in_force"
        return "extension" if self.extended_until is not None and day <= self.extended_until else "expired"


class RuleSet:
    """All parameter values in force on one day. A value whose document is past its validity is marked:
    unverified with a caveat during an unverified extension, and listed in `expired` after it."""

    def __init__(self, data: RuleData, day: dt.date):
        self.day = day
        self._memo: dict = {}
        self.expired: dict[str, list[Value]] = {}   # channel -> values whose document no longer applies
        caveat = data.terms["validity"]["extension_caveat"]
        self._values: dict[tuple[str, str], Value | None] = {}
        for cid, ch in data.channels.items():
            for name, p in ch.parameters.items():
                value = p.at(day)
                validity = data.validity.get(value.doc_id) if value is not None else None
                state = validity.state(day) if validity is not None else "in_force"
                if value is not None and validity is not None and state == "extension":
                    # an unverified value keeps saying so beside the validity caveat
                    said = caveat if value.verified else f"{data.terms['unverified_notice']}；{caveat}"
                    value = dataclasses.replace(value, verified=False, caveat=said,
                                                valid_until=validity.extended_until)
                elif value is not None and state == "expired":
                    self.expired.setdefault(cid, []).append(value)
                self._values[(cid, name)] = value

    def get(self, channel: str, name: str) -> Value:
        """The value in force; a rule the engine relies on but that is not in force on the day is a bug in
        the rule data (RuleDataError), not a fact of the person."""
        value = self._values[(channel, name)]
        if value is None:
            raise RuleDataError(f"{channel}.yml: {name} is not in force on {self.day.isoformat()}")
        return value

    def find(self, channel: str, name: str) -> Value | None:
        """The value in force, or None for a rule that exists only on some days (a route, a later note)."""
        return self._values[(channel, name)]

    def memo(self, key: Any, build: Any) -> Any:
        """A value worked out once per rule set (compiled routes, texts): `build()` on first use."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]


class RuleData:
    """The whole rule base: shared terms, one ChannelData per channel, registration options, messages."""

    def __init__(self, terms: dict, channels: dict[str, ChannelData], messages: dict, version: str):
        self.terms = terms
        self.channels = channels
        self.messages = messages
        self.version = version
        self.supported_from: dt.date = terms["supported_from"]
        self.revision: dict = terms["revision"]   # the revision of RULES.md the rule data follows
        docs = terms["documents"]
        # A document made under another (rests_on) applies as long as that one does (docs/readings.md §2c).
        self.rests_on: dict[str, str] = {d: doc["rests_on"] for d, doc in docs.items() if "rests_on" in doc}
        self.validity = {doc_id: Validity(docs[base].get("valid_until"), docs[base].get("extended_until"))
                         for doc_id in docs for base in [self.rests_on.get(doc_id, doc_id)]}
        # A new rule set starts on every date a value takes effect and the day after a validity ends.
        ends = {d + dt.timedelta(days=1) for v in self.validity.values()
                for d in (v.valid_until, v.extended_until) if d is not None}
        self._epochs = sorted({d for ch in channels.values() for p in ch.parameters.values() for d in p.dates}
                              | ends)
        self._rulesets: dict[int, RuleSet] = {}

    def rules_on(self, day: dt.date) -> RuleSet:
        """The rule set in force on `day` (cached per period between two rule changes)."""
        epoch = bisect.bisect_right(self._epochs, day)
        rs = self._rulesets.get(epoch)
        if rs is None:
            rs = self._rulesets[epoch] = RuleSet(self, day)
        return rs

    def text(self, channel: str, *path: str) -> Any:
        node: Any = self.channels[channel].texts
        for key in path:
            node = node[key]
        return node

    def document_title(self, doc_id: str) -> str:
        return self.terms["documents"][doc_id]["title"]


def _fail(where: str, msg: str) -> None:
    raise RuleDataError(f"{where}: {msg}")


def _check_keys(where: str, data: Any, allowed: set[str], required: Iterable[str] = ()) -> None:
    if not isinstance(data, dict):
        _fail(where, f"expected a mapping, got {type(data).__name__}")
    unknown = sorted(str(k) for k in set(data) - allowed)
    if unknown:
        _fail(where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    missing = sorted(set(required) - set(data))
    if missing:
        _fail(where, f"missing key(s) {', '.join(missing)}")


def _check_route(where: str, route: Any, terms: dict) -> None:
    _check_keys(where, route, _ROUTE_KEYS, ["name", "credentials"])
    for i, cred in enumerate(route["credentials"]):
        w = f"{where}.credentials[{i}]"
        _check_keys(w, cred, _CREDENTIAL_KEYS)
        kinds = [k for k in cred if k in _CREDENTIAL_ENUMS]
        if len(kinds) != 1:
            _fail(w, "name exactly one of education, title, skill")
        enum = terms["enums"][_CREDENTIAL_ENUMS[kinds[0]]]["values"]
        if cred[kinds[0]] not in enum:
            _fail(w, f"unknown {kinds[0]} {cred[kinds[0]]!r}; allowed: {', '.join(enum)}")
        _check_unverified_part(w, cred)
    for i, tier in enumerate(route.get("tiers") or []):
        _check_keys(f"{where}.tiers[{i}]", tier, _TIER_KEYS)
        _check_unverified_part(f"{where}.tiers[{i}]", tier)
    if "back_payments" in route:
        back = route["back_payments"]
        _check_keys(f"{where}.back_payments", back, _BACK_PAYMENT_KEYS, _BACK_PAYMENT_KEYS)
        # The profile counts consecutive months without back-payments (docs/interfaces.md §1): only that.
        if back["counted"] is not False:
            _fail(f"{where}.back_payments", "counted must be false (the profile has no field of back-paid months)")
        _check_unverified_part(f"{where}.back_payments", back, required=True)
    if route.get("tiers") and route.get("months") not in ("consecutive", "effective"):
        _fail(where, "routes with tiers need months: consecutive | effective")


def _check_unverified_part(where: str, part: dict, required: bool = False) -> None:
    """A credential, tier or back-payment rule of a route may carry its own flag; an unverified one names
    the clause it comes from (said with the answer that rests on it)."""
    if "verified" not in part and not required:
        return
    if not isinstance(part.get("verified"), bool):
        _fail(where, "verified must be true or false")
    if part["verified"] is False and not (isinstance(part.get("article"), str) and part["article"].strip()):
        _fail(where, "an unverified part must name its article")


def _check_revision(where: str, rev: Any) -> None:
    _check_keys(where, rev, _REVISION_KEYS, _REVISION_KEYS)
    if not isinstance(rev["number"], int) or isinstance(rev["number"], bool):
        _fail(where, "number must be an integer")
    if not isinstance(rev["date"], dt.date) or isinstance(rev["date"], dt.datetime):
        _fail(where, f"date must be a date YYYY-MM-DD, got {rev['date']!r}")
    if not isinstance(rev["changes"], list) or not rev["changes"] or \
            not all(isinstance(c, str) and c.strip() for c in rev["changes"]):
        _fail(where, "changes must be a non-empty list of texts")


def _parameter(where: str, name: str, data: Any, terms: dict) -> Parameter:
    _check_keys(where, data, _PARAMETER_KEYS, ["description", "values"])
    values = data["values"]
    if not isinstance(values, dict) or not values:
        _fail(where, "values must be a non-empty mapping of dates to values")
    dated = []
    for day, entry in values.items():
        w = f"{where}.values.{day}"
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            _fail(w, f"the key must be a date YYYY-MM-DD, got {day!r}")
        _check_keys(w, entry, _VALUE_KEYS, _VALUE_REQUIRED)
        if entry["document"] not in terms["documents"]:
            _fail(w, f"unknown document {entry['document']!r}; known: {', '.join(terms['documents'])}")
        if not isinstance(entry["verified"], bool):
            _fail(w, "verified must be true or false")
        if not isinstance(entry["article"], str) or not entry["article"].strip():
            _fail(w, "article must name the clause the value comes from")
        if name.startswith("route_") and entry["value"] is not None:
            _check_route(f"{w}.value", entry["value"], terms)
        doc = terms["documents"][entry["document"]]
        dated.append((day, Value(entry["value"], entry["verified"], doc["title"], entry["article"], day,
                                 entry["document"], doc.get("valid_until"))))
    dated.sort(key=lambda pair: pair[0])
    return Parameter(name, data["description"], tuple(d for d, _ in dated), tuple(v for _, v in dated))


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleDataError(f"{path.name}: not valid YAML: {exc}") from None


def load_rule_data(policy_dir: Path = POLICY_DIR, messages_file: Path = MESSAGES_FILE,
                   texts_dir: Path = TEXTS_DIR) -> RuleData:
    """Reads and checks every policy file; raises RuleDataError on the first problem."""
    terms = _read_yaml(policy_dir / "terms.yml")
    _check_keys("terms.yml", terms, _TERMS_KEYS, _TERMS_KEYS)
    _check_revision("terms.yml.revision", terms["revision"])
    for doc_id, doc in terms["documents"].items():
        where = f"terms.yml.documents.{doc_id}"
        _check_keys(where, doc, _DOCUMENT_KEYS, ["title"])
        for key in ("valid_until", "extended_until"):
            if key in doc and (not isinstance(doc[key], dt.date) or isinstance(doc[key], dt.datetime)):
                _fail(f"{where}.{key}", f"must be a date YYYY-MM-DD, got {doc[key]!r}")
        if "extended_until" in doc and ("valid_until" not in doc or "extension_source" not in doc
                                        or doc["extended_until"] <= doc["valid_until"]):
            _fail(where, "extended_until needs valid_until before it and an extension_source")
        if "rests_on" in doc:
            base = terms["documents"].get(doc["rests_on"])
            if base is None or "valid_until" not in base or "rests_on" in base or "valid_until" in doc:
                _fail(f"{where}.rests_on", "must name another document with its own valid_until (and no validity here)")
    channels: dict[str, ChannelData] = {}
    names = sorted(p.name for p in policy_dir.glob("*.yml"))
    expected = sorted([f"{c}.yml" for c in CHANNEL_IDS] + ["terms.yml", "registration.yml"])
    if names != expected:
        raise RuleDataError(f"{policy_dir}: expected exactly the files {', '.join(expected)}, found {', '.join(names)}")
    hashed: dict[str, Any] = {"terms": _rule_terms(terms)}
    for cid in CHANNEL_IDS + ("registration",):
        data = _read_yaml(policy_dir / f"{cid}.yml")
        where = f"{cid}.yml"
        if cid == "registration":
            _check_keys(where, data, {"parameters"}, ["parameters"])
        else:
            _check_keys(where, data, _CHANNEL_KEYS, _CHANNEL_KEYS)
            if data["channel"] != cid:
                _fail(where, f"channel must be {cid!r}, got {data['channel']!r}")
        words = _read_yaml(texts_dir / f"{cid}.yml")
        _check_keys(f"texts/{cid}.yml", words, {"name", "texts"}, ["texts"])
        params = {n: _parameter(f"{where}.parameters.{n}", n, d, terms) for n, d in data["parameters"].items()}
        channels[cid] = ChannelData(cid, words.get("name", cid), params, words["texts"])
        hashed[cid] = data["parameters"]
    messages = yaml.safe_load(messages_file.read_text(encoding="utf-8"))
    latest = max(d for ch in channels.values() for p in ch.parameters.values() for d in p.dates)
    # The version names the rules only: a reworded text or a new alias leaves it as it is.
    digest = hashlib.sha256(yaml.safe_dump(hashed, sort_keys=True, allow_unicode=True).encode("utf-8"))
    return RuleData(terms, channels, messages, f"{latest.isoformat()}+{digest.hexdigest()[:8]}")


def _rule_terms(terms: dict) -> dict:
    """The parts of terms.yml that are rules: the documents, the areas and their kind, the values."""
    return {"supported_from": terms["supported_from"], "revision": terms["revision"]["number"],
            "documents": terms["documents"],
            "areas": {a: spec["type"] for a, spec in terms["areas"].items()},
            "enums": {name: list(e["values"]) for name, e in terms["enums"].items()}}


@lru_cache(maxsize=1)
def rule_data() -> RuleData:
    """The project's rule base, loaded once per process."""
    return load_rule_data()
