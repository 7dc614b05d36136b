"""Lints the rule data: every value has a date, a source and a verified flag; unknown keys are errors; every
rule docs/readings.md marks [unverified] carries verified: false."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from assistant.policy.rules import MESSAGES_FILE, POLICY_DIR, RuleDataError, load_rule_data, rule_data


def test_the_project_rule_data_loads():
    pol = load_rule_data()
    assert set(pol.channels) >= {"talent", "points", "county_open", "family", "suzhou_graduate", "residence_permit"}
    for channel in pol.channels.values():
        for param in channel.parameters.values():
            assert param.dates, param.name
            for value in param.values:
                assert value.document and value.article and isinstance(value.verified, bool)


def _broken_copy(tmp_path: Path, file: str, mutate) -> Path:
    target = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, target)
    data = yaml.safe_load((target / file).read_text(encoding="utf-8"))
    mutate(data)
    (target / file).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


def _line(data):
    return data["parameters"]["line"]["values"]


MUTATIONS = [
    ("points.yml", lambda d: _line(d)[dt.date(2023, 4, 1)].update(typo=1), "unknown key(s) typo"),
    ("points.yml", lambda d: _line(d)[dt.date(2023, 4, 1)].pop("document"), "missing key(s) document"),
    ("points.yml", lambda d: _line(d)[dt.date(2023, 4, 1)].pop("verified"), "missing key(s) verified"),
    ("points.yml", lambda d: _line(d)[dt.date(2023, 4, 1)].update(document="nowhere"), "unknown document 'nowhere'"),
    ("points.yml", lambda d: _line(d)[dt.date(2023, 4, 1)].update(verified="yes"), "verified must be true or false"),
    ("points.yml", lambda d: _line(d)[dt.date(2023, 4, 1)].update(article=""), "article must name the clause"),
    ("points.yml", lambda d: _line(d).update({"soon": _line(d)[dt.date(2023, 4, 1)]}), "must be a date"),
    ("points.yml", lambda d: d["parameters"]["line"].update(values={}), "non-empty mapping"),
    ("points.yml", lambda d: d["parameters"]["line"].update(scope="all"), "unknown key(s) scope"),
    ("points.yml", lambda d: d.update(extra=1), "unknown key(s) extra"),
    ("family.yml", lambda d: d.update(channel="talent"), "channel must be 'family'"),
    ("talent.yml", lambda d: d["parameters"]["route_A"]["values"][dt.date(2024, 1, 1)]["value"].update(age=3),
     "unknown key(s) age"),
    ("talent.yml", lambda d: d["parameters"]["route_A"]["values"][dt.date(2024, 1, 1)]["value"]["credentials"]
     .append({"education": "phd"}), "unknown education 'phd'"),
    ("terms.yml", lambda d: d.update(colours=[]), "unknown key(s) colours"),
    ("talent.yml", lambda d: _route(d, "A")["credentials"][-1].pop("article"), "an unverified part must name its article"),
    ("talent.yml", lambda d: _route(d, "C")["back_payments"].update(counted=True), "counted must be false"),
    ("talent.yml", lambda d: _route(d, "C")["back_payments"].pop("verified"), "missing key(s) verified"),
    ("terms.yml", lambda d: d["documents"]["talent_2024"].update(rests_on="talent_2020"), "rests_on"),
    ("terms.yml", lambda d: d["revision"].pop("changes"), "missing key(s) changes"),
]


def _route(data, rid):
    return data["parameters"][f"route_{rid}"]["values"][dt.date(2024, 1, 1)]["value"]


@pytest.mark.parametrize("file,mutate,message", MUTATIONS, ids=[m[2] for m in MUTATIONS])
def test_malformed_rule_data_is_rejected_with_the_place_named(tmp_path, file, mutate, message):
    broken = _broken_copy(tmp_path, file, mutate)
    with pytest.raises(RuleDataError) as err:
        load_rule_data(broken, MESSAGES_FILE)
    assert message in str(err.value)
    assert file in str(err.value)


def test_a_stray_policy_file_is_rejected(tmp_path):
    target = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, target)
    (target / "housing.yml").write_text("parameters: {}\n", encoding="utf-8")
    with pytest.raises(RuleDataError, match="expected exactly the files"):
        load_rule_data(target, MESSAGES_FILE)


# Every rule docs/readings.md marks [unverified] (or "not found"), as (channel, parameter, date it takes effect).
UNVERIFIED = [
    ("talent", "route_B1", "2024-01-01"),            # §1b B1 carried over from 2020
    ("talent", "off_catalogue_skill", "2024-01-01"),  # §1b revision 3: no off-catalogue skill route, 141 工种
    ("points", "skill_as_skill", "2023-04-01"),      # §2 revision 3: principal scores as level1
    # §1b: the 沪苏浙皖 months are confirmed (澎湃 2023-11-29, 苏州人社), so effective_months_yrd_cap is verified.
    ("points", "title_as_skill", "2023-04-01"),      # §2 titles mapping
    ("points", "age_points_over_limit", "2023-04-01"),  # §2 over-40 value
    ("points", "social_insurance_points", "2023-04-01"),  # §2 2016 value carried over
    ("points", "unscored_items", "2023-04-01"),
    ("points", "dishonest_deduction", "2023-04-01"),
    ("county_open", "scheme", "2023-04-01"),         # §3 local texts not found
    ("county_open", "legal_housing", "2023-04-01"),
    ("suzhou_graduate", "scheme", "2023-04-01"),     # §5 further conditions not found
    ("home_purchase", "scheme", "2024-08-01"),       # §2b date of the implementing notice
    ("home_purchase", "eligible_housing", "2024-08-01"),
    ("home_purchase", "details", "2024-08-01"),      # §2b one secondary source each
    ("points", "lower_line_reports", "2024-07-01"),  # §2 "200 from 2024-07": no credible source
    ("residence_permit", "endorsement_late_days", "2021-01-01"),  # §6 签注 restart
]


@pytest.mark.parametrize("channel,name,day", UNVERIFIED)
def test_unverified_rules_carry_their_flag(channel, name, day):
    value = rule_data().channels[channel].parameters[name].at(dt.date.fromisoformat(day))
    assert value is not None and value.verified is False


def _route_on(rid: str, day: dt.date = dt.date(2024, 1, 1)) -> dict:
    return rule_data().channels["talent"].parameters[f"route_{rid}"].at(day).value


def test_revision_3_parts_of_the_2024_talent_routes_carry_their_flag():
    """RULES.md revision 3 (§1b): 高级技师 50 and 特级技师+ 55 unverified beside the confirmed 技师 45; Route D has
    the catalogue tier only; Route C's 不含补缴 unverified; every part on the catalogue."""
    caps = {c["skill"]: c for c in _route_on("A")["credentials"] if "skill" in c}
    assert {k: (c["age_cap"], c.get("verified", True), c["shortage"]) for k, c in caps.items()} == {
        "level2": (45, True, True), "level1": (50, False, True), "principal": (55, False, True)}
    assert [(t["shortage"], t.get("verified", True)) for t in _route_on("D")["tiers"]] == [(True, True)]
    assert _route_on("C")["back_payments"] == {"counted": False, "verified": False,
                                               "article": _route_on("C")["back_payments"]["article"]}
    assert "back_payments" not in _route_on("C", dt.date(2023, 12, 31))  # the 2020 notice says 不含补缴 itself


def test_the_2024_talent_rules_rest_on_the_validity_of_the_2023_hukou_rules():
    pol = rule_data()
    assert pol.rests_on == {"talent_2024": "hukou_2023"}
    assert pol.validity["talent_2024"] == pol.validity["hukou_2023"]
    assert pol.channels["talent"].parameters["route_B1"].at(dt.date(2024, 1, 1)).doc_id == "talent_2024"


def test_values_change_only_on_their_dates():
    line = rule_data().channels["points"].parameters["line"]
    assert line.at(dt.date(2023, 3, 31)) is None
    assert line.at(dt.date(2023, 4, 1)).value == 400
    b2 = rule_data().channels["talent"].parameters["route_B2"]
    assert b2.at(dt.date(2023, 12, 31)) is not None and b2.at(dt.date(2024, 1, 1)) is None


# --- every verified: false value is disclosed by some answer ---------------------------------------------

def _case_profiles():
    """Every profile of the case tables (tests/cases/*.yml): they cover every route and date of the rules."""
    from tests.test_cases import CASES_DIR, _profile

    found = []
    for path in sorted(CASES_DIR.glob("*.yml")):
        found += [_profile(case) for case in yaml.safe_load(path.read_text(encoding="utf-8"))]
    assert len(found) > 300, "the case tables are missing"
    return found


def _shown_unverified(result: dict) -> list[dict]:
    """Every source an answer shows with the unverified flag: criteria, notes, gaps' channels, points items."""
    out = []
    for channel in result["channels"]:
        for item in channel["criteria"] + channel["notes"]:
            if not item["verified"]:
                out.append(item["source"])
    for item in (result["points"] or {}).get("items", []):
        if not item["verified"]:
            out.append(item["source"])
    if result["points"]:
        out.append(result["points"]["unscored_source"])  # said as "分值未公布、未计入"
    return out


def _unverified_values():
    """(channel, parameter, date, document title, article) of every verified: false value, or talent tier,
    credential or back-payment rule."""
    for cid, channel in rule_data().channels.items():
        for name, param in channel.parameters.items():
            for day, value in zip(param.dates, param.values, strict=True):
                if value.value is None:
                    continue
                if not value.verified:
                    yield cid, name, day, value.document, value.article
                route = value.value if name.startswith("route_") else {}
                parts = [*(route.get("tiers") or []), *route.get("credentials", []), route.get("back_payments") or {}]
                for part in parts:
                    if part.get("verified") is False:
                        yield cid, name, day, value.document, part["article"]


def test_every_unverified_value_is_disclosed_by_some_answer():
    """The lint of docs/readings.md's rule: an answer that relies on an unverified value says so. A verified: false
    value that no case of tests/cases/ shows with its flag is a value no answer can disclose."""
    from assistant.conversation.explain import explain
    from assistant.policy.engine import assess

    shown: set[tuple[str, str, str]] = set()
    for profile in _case_profiles():
        result = assess(profile)
        sources = _shown_unverified(result)
        if sources:
            assert "尚待官方核实" in explain(result)
        # a talent tier's clause is added to its route's after "；"
        shown |= {(s["document"], s["effective_from"], part) for s in sources
                  for part in [s["article"], *s["article"].split("；")]}
    silent = [f"{cid}.{name} {day}" for cid, name, day, doc, article in _unverified_values()
              if (doc, day.isoformat(), article) not in shown]
    assert not silent, f"unverified values that no answer discloses: {silent}"


def test_rules_version_changes_with_a_rule_and_not_with_a_text(tmp_path):
    """Display texts live in assistant/policy/texts/: rewording one leaves rules_version as it is."""
    from assistant.policy.rules import TEXTS_DIR

    base = load_rule_data().version
    texts = tmp_path / "texts"
    shutil.copytree(TEXTS_DIR, texts)
    data = yaml.safe_load((texts / "points.yml").read_text(encoding="utf-8"))
    data["texts"]["county"] = "县级市没有积分落户"
    (texts / "points.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert load_rule_data(POLICY_DIR, MESSAGES_FILE, texts).version == base
    changed = _broken_copy(tmp_path, "points.yml", lambda d: _line(d)[dt.date(2023, 4, 1)].update(value=390))
    assert load_rule_data(changed, MESSAGES_FILE).version != base
