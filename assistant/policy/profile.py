"""The resident profile (docs/interfaces.md §1): its fields, validation with Chinese error messages, and aliases.

Every field is optional; None means "not known yet". Unknown keys, wrong types and impossible values are
collected into one ProfileError, each message naming the field and the accepted values.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.policy.rules import rule_data

# Field kinds: ("int", min, max) | ("number", min, max) | ("bool",) | ("enum", enum name) | ("area",) | ("date",)
FIELD_SPECS: dict[str, tuple] = {
    "as_of": ("date",),
    "target_area": ("area",),
    "age": ("int", 0, 120),
    "sex": ("enum", "sex"),
    "education": ("enum", "education"),
    "full_time_degree": ("bool",),
    "full_time_lower_degree": ("bool",),
    "overseas_degree_certified": ("bool",),
    "professional_title": ("enum", "professional_title"),
    "skill_level": ("enum", "skill_level"),
    "skill_in_shortage_catalogue": ("bool",),
    "employed_in_suzhou": ("bool",),
    "retired": ("bool",),
    "social_insurance_active": ("bool",),
    "social_insurance_months": ("int", 0, 1200),
    "social_insurance_consecutive_months": ("int", 0, 1200),
    "social_insurance_months_yrd_12m": ("int", 0, 12),
    "nanjing_social_insurance_months": ("int", 0, 1200),
    "residence_permit": ("enum", "residence_permit"),
    "residence_months": ("int", 0, 1440),
    "housing": ("enum", "housing"),
    "home_area_m2": ("number", 1, 10000),
    "studying_in_suzhou": ("bool",),
    "suzhou_college_graduate": ("bool",),
    "married": ("bool",),
    "spouse_suzhou_family_hukou": ("bool",),
    "spouse_side_owns_home": ("bool",),
    "parent_suzhou_family_hukou_with_home": ("bool",),
    "child_suzhou_family_hukou_with_home": ("bool",),
    "child_suzhou_hukou": ("bool",),
    "serious_criminal_record": ("bool",),
    "sentence_months": ("int", 0, 1200),
    "dishonest_debtor": ("bool",),
}
FIELDS: tuple[str, ...] = tuple(FIELD_SPECS)
PROFILE_FIELDS: tuple[str, ...] = FIELDS[1:]  # the facts about the person (as_of is a parameter)

_TRUE = {"true", "1", "yes", "y", "是", "有", "对", "t"}
_FALSE = {"false", "0", "no", "n", "否", "无", "没有", "不是", "f"}


@dataclass(frozen=True, slots=True)
class Profile:
    """A validated profile. `target_area` holds the area id (see terms.yml), not the text typed."""

    as_of: dt.date
    target_area: str | None = None
    age: int | None = None
    sex: str | None = None
    education: str | None = None
    full_time_degree: bool | None = None
    full_time_lower_degree: bool | None = None
    overseas_degree_certified: bool | None = None
    professional_title: str | None = None
    skill_level: str | None = None
    skill_in_shortage_catalogue: bool | None = None
    employed_in_suzhou: bool | None = None
    retired: bool | None = None
    social_insurance_active: bool | None = None
    social_insurance_months: int | None = None
    social_insurance_consecutive_months: int | None = None
    social_insurance_months_yrd_12m: int | None = None
    nanjing_social_insurance_months: int | None = None
    residence_permit: str | None = None
    residence_months: int | None = None
    housing: str | None = None
    home_area_m2: float | None = None
    studying_in_suzhou: bool | None = None
    suzhou_college_graduate: bool | None = None
    married: bool | None = None
    spouse_suzhou_family_hukou: bool | None = None
    spouse_side_owns_home: bool | None = None
    parent_suzhou_family_hukou_with_home: bool | None = None
    child_suzhou_family_hukou_with_home: bool | None = None
    child_suzhou_hukou: bool | None = None
    serious_criminal_record: bool | None = None
    sentence_months: int | None = None
    dishonest_debtor: bool | None = None
    # Not a contract field: an age known only as a range of 周岁 (虚岁 36 -> 34..35), from the conversation.
    age_range: tuple[int, int] | None = None

    def known(self) -> dict[str, Any]:
        """The known facts as contract values (area as its canonical name), as_of excluded."""
        out = {}
        for name in PROFILE_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = area_name(value) if name == "target_area" else value
        return out

    def replace(self, **changes: Any) -> Profile:
        return dataclasses.replace(self, **changes)


@dataclass
class FieldError:
    field: str
    message: str


@dataclass
class ProfileError(ValueError):
    """One or more fields are wrong; `errors` names each."""

    errors: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(e.message for e in self.errors)


def _msg(key: str, **kw: Any) -> str:
    if "field" in kw and "label" not in kw:
        kw["label"] = field_label(kw["field"])
    return rule_data().messages["errors"][key].format(**kw)


def field_label(name: str) -> str:
    return rule_data().terms["fields"].get(name, name)


def _squash(text: str) -> str:
    return "".join(text.split()).lower()


def _build_alias_tables() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    terms = rule_data().terms
    areas = {}
    for area_id, area in terms["areas"].items():
        for alias in [area_id, area["name"], *area["aliases"]]:
            areas[_squash(str(alias))] = area_id
    enums = {}
    for enum_name, enum in terms["enums"].items():
        table = {}
        for value, spec in enum["values"].items():
            for alias in [value, spec["label"], *spec.get("aliases", [])]:
                table[_squash(str(alias))] = value
        enums[enum_name] = table
    return areas, enums


_ALIASES: tuple[dict[str, str], dict[str, dict[str, str]]] | None = None


def _aliases() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    global _ALIASES
    if _ALIASES is None:
        _ALIASES = _build_alias_tables()
    return _ALIASES


def normalize_area(text: str) -> str | None:
    """Area id for a name or common alias ("园区" -> "sip"), or None."""
    return _aliases()[0].get(_squash(text))


def normalize_enum(enum_name: str, text: str) -> str | None:
    """Enumeration value for an id, a label or a Chinese alias ("本科" -> "bachelor"), or None."""
    return _aliases()[1][enum_name].get(_squash(text))


def area_aliases() -> dict[str, str]:
    """Every alias of an area (squashed, lower case) -> the area id."""
    return _aliases()[0]


def enum_aliases(enum_name: str) -> dict[str, str]:
    """Every alias of an enumeration's values (squashed, lower case) -> the value."""
    return _aliases()[1][enum_name]


def area_name(area_id: str) -> str:
    return rule_data().terms["areas"][area_id]["name"]


def area_type(area_id: str | None) -> str | None:
    return None if area_id is None else rule_data().terms["areas"][area_id]["type"]


def enum_values(enum_name: str) -> list[str]:
    return list(rule_data().terms["enums"][enum_name]["values"])


def enum_label(enum_name: str, value: str) -> str:
    return rule_data().terms["enums"][enum_name]["values"][value]["label"]


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def _convert(name: str, raw: Any, from_text: bool) -> Any:
    """Converts one raw value; raises ValueError with the Chinese message."""
    spec = FIELD_SPECS[name]
    kind = spec[0]
    if kind in ("int", "number"):
        value = raw
        if from_text and isinstance(raw, str):
            try:
                value = float(raw.strip()) if kind == "number" else int(raw.strip())
            except ValueError:
                value = None
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and kind == "int" and isinstance(value, float):
            ok = value.is_integer()
            value = int(value) if ok else value
        if ok and kind == "number":
            ok = math.isfinite(value)
        if not ok or not spec[1] <= value <= spec[2]:
            raise ValueError(_msg(kind, field=name, min=spec[1], max=spec[2], value=_show(raw)))
        return float(value) if kind == "number" else int(value)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if from_text and isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise ValueError(_msg("bool", field=name, value=_show(raw)))
    if kind == "enum":
        value = normalize_enum(spec[1], raw) if isinstance(raw, str) else None
        if value is None:
            raise ValueError(_msg("enum", field=name, values="、".join(enum_values(spec[1])),
                                  value=_show(raw)))
        return value
    if kind == "area":
        value = normalize_area(raw) if isinstance(raw, str) else None
        if value is None:
            names = "、".join(a["name"] for a in rule_data().terms["areas"].values())
            raise ValueError(_msg("area", field=name, values=names, value=_show(raw)))
        return value
    if kind == "date":
        try:
            day = dt.date.fromisoformat(raw.strip()) if isinstance(raw, str) else None
        except ValueError:
            day = None
        if day is None:
            raise ValueError(_msg("date", field=name, value=_show(raw)))
        earliest = rule_data().supported_from
        if day < earliest:
            raise ValueError(_msg("date_too_early", field=name, earliest=earliest.isoformat(),
                                  value=_show(raw)))
        return day
    raise AssertionError(kind)


def convert_field(name: str, raw: Any) -> Any:
    """One field's value from a typed or extracted value ("28", "本科", True); ValueError with the Chinese
    message when it is not acceptable. as_of is not a fact about the person and is not accepted here."""
    if name not in FIELD_SPECS or name == "as_of":
        raise ValueError(_msg("unknown_field", field=name, fields=", ".join(FIELDS)))
    value = _convert(name, raw, True)
    return area_name(value) if FIELD_SPECS[name][0] == "area" else value


def parse_profile(data: Any, *, as_of: str | None = None, today: Callable[[], dt.date] = dt.date.today,
                  from_text: bool = False) -> Profile:
    """Validates a profile mapping (JSON object or CSV row) into a Profile.

    `as_of` overrides the profile's own date. `from_text` accepts strings for numbers and booleans
    (CSV cells, form fields); empty strings and None mean unknown.
    """
    if not isinstance(data, dict):
        kind = {list: "数组", str: "字符串", int: "数字", float: "数字", bool: "布尔值"}.get(type(data), "空值")
        raise ProfileError([FieldError("", _msg("not_object", kind=kind))])
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name, raw in data.items():
        if name not in FIELD_SPECS:
            errors.append(FieldError(str(name), _msg("unknown_field", field=name, fields=", ".join(FIELDS))))
            continue
        if raw is None or (isinstance(raw, str) and from_text and not raw.strip()):
            continue
        try:
            values[name] = _convert(name, raw, from_text)
        except ValueError as exc:
            errors.append(FieldError(name, str(exc)))
    if as_of is not None:
        errors = [e for e in errors if e.field != "as_of"]
        try:
            values["as_of"] = _convert("as_of", as_of, True)
        except ValueError as exc:
            errors.append(FieldError("as_of", str(exc)))
    total, consecutive = values.get("social_insurance_months"), values.get("social_insurance_consecutive_months")
    if total is not None and consecutive is not None and consecutive > total:
        name = "social_insurance_consecutive_months"
        errors.append(FieldError(name, _msg("consecutive_gt_total", label=field_label(name), field=name,
                                            consecutive=consecutive, total=total)))
    if errors:
        raise ProfileError(errors)
    values.setdefault("as_of", today())
    if values["as_of"] < rule_data().supported_from:
        raise ProfileError([FieldError("as_of", _msg("date_too_early", label=field_label("as_of"), field="as_of",
                                                     earliest=rule_data().supported_from.isoformat(),
                                                     value=values["as_of"].isoformat()))])
    return Profile(**values)
