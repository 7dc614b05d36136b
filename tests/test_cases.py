"""Runs the case tables in tests/cases/*.yml: profile in, expected assessment facts out.

Each case: name, as_of, input (a profile; `age_words` gives the age as a resident says it, "虚岁36" or
"四十多岁", read by assistant/understanding/parsing.py), output with any of: statuses (channel -> status), talent_route,
family_route, points (null, or known/line/gap_points), recommended, registration_options,
missing_includes, missing_excludes, missing_first, gaps_include (channel, field, have, need, verified),
gaps_exclude (channel, field: no gap on that field),
unverified (channels with at least one verified: false criterion), verified (channels with none),
notes (channel -> the exact note ids), criteria_include (channel -> criterion ids), caveated (channels
whose every criterion carries the validity caveat), not_caveated (channels whose criteria carry none).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.policy.engine import assess
from assistant.policy.profile import parse_profile
from assistant.understanding.parsing import parse_age, parse_age_range

CASES_DIR = Path(__file__).parent / "cases"
OUTPUT_KEYS = {"statuses", "talent_route", "family_route", "points", "recommended", "registration_options",
               "missing_includes", "missing_excludes", "missing_first", "gaps_include", "gaps_exclude", "unverified",
               "verified",
               "notes", "criteria_include", "caveated", "not_caveated"}


def _profile(case: dict):
    data = dict(case["input"], as_of=str(case["as_of"]))
    words = data.pop("age_words", None)
    profile = parse_profile(data)
    if words is not None:
        span = parse_age_range(words)
        assert span is not None or parse_age(words) is not None, f"no age in {words!r}"
        profile = profile.replace(age=parse_age(words)) if span is None else profile.replace(age_range=span)
    return profile


def _cases():
    for path in sorted(CASES_DIR.glob("*.yml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            yield pytest.param(case, id=f"{path.stem}: {case['name']}")


@pytest.mark.parametrize("case", _cases())
def test_case(case):
    assert set(case["output"]) <= OUTPUT_KEYS, f"unknown output keys {set(case['output']) - OUTPUT_KEYS}"
    result = assess(_profile(case))
    out = case["output"]
    channels = {c["id"]: c for c in result["channels"]}
    for cid, status in out.get("statuses", {}).items():
        assert channels[cid]["status"] == status, f"{cid}: {channels[cid]['status']} != {status}"
    if "talent_route" in out:
        assert channels["talent"]["route"] == out["talent_route"]
    if "family_route" in out:
        assert channels["family"]["route"] == out["family_route"]
    if "points" in out:
        if out["points"] is None:
            assert result["points"] is None
        else:
            got = {k: result["points"][k] for k in out["points"]}
            assert got == out["points"]
    for key in ("recommended", "registration_options"):
        if key in out:
            assert result[key] == out[key]
    for f in out.get("missing_includes", []):
        assert f in result["missing"], f"{f} not in missing {result['missing']}"
    for f in out.get("missing_excludes", []):
        assert f not in result["missing"], f"{f} in missing {result['missing']}"
    if "missing_first" in out:
        assert result["missing"][:1] == [out["missing_first"]], result["missing"]
    for want in out.get("gaps_include", []):
        gaps = channels[want["channel"]]["gaps"]
        match = [g for g in gaps if g["field"] == want["field"]]
        assert match, f"no gap on {want['field']} in {want['channel']}: {gaps}"
        for k in ("have", "need", "verified"):
            if k in want:
                assert match[0][k] == want[k], f"{want['field']} {k}: {match[0][k]} != {want[k]}"
    for unwanted in out.get("gaps_exclude", []):
        gaps = channels[unwanted["channel"]]["gaps"]
        assert not [g for g in gaps if g["field"] == unwanted["field"]], f"a gap on {unwanted['field']}: {gaps}"
    for cid in out.get("unverified", []):
        assert any(not c["verified"] for c in channels[cid]["criteria"]), f"{cid} shows no unverified criterion"
    for cid in out.get("verified", []):
        assert all(c["verified"] for c in channels[cid]["criteria"]), f"{cid} shows an unverified criterion"
    for cid, ids in out.get("notes", {}).items():
        assert [n["id"] for n in channels[cid]["notes"]] == ids, channels[cid]["notes"]
    for cid, ids in out.get("criteria_include", {}).items():
        got = [c["id"] for c in channels[cid]["criteria"]]
        assert set(ids) <= set(got), f"{cid}: {ids} not all in {got}"
    for cid in out.get("caveated", []):
        crits = channels[cid]["criteria"]
        assert crits and all(c.get("caveat") and not c["verified"] for c in crits), crits
    for cid in out.get("not_caveated", []):
        assert not any(c.get("caveat") for c in channels[cid]["criteria"]), channels[cid]["criteria"]
