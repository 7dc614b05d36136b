"""The command line as hotline staff and other programs use it: JSON out, Chinese text, CSV batches,
and clear messages with exit status 2 for bad input."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fixtures import load

ROOT = Path(__file__).resolve().parents[1]
P01 = {"as_of": "2025-06-01", "target_area": "园区", "age": 27, "education": "bachelor", "full_time_degree": True,
       "employed_in_suzhou": True, "retired": False, "social_insurance_active": True, "social_insurance_months": 24,
       "social_insurance_consecutive_months": 24, "residence_permit": "urban", "residence_months": 24,
       "housing": "rental_registered", "professional_title": "none", "skill_level": "none"}


def run(*args: str, stdin: str | bytes = "") -> subprocess.CompletedProcess:
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    done = subprocess.run([sys.executable, "-m", "assistant", *args], input=data, capture_output=True, cwd=ROOT,
                          timeout=60)
    done.out, done.err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    return done


def test_assess_from_stdin_prints_the_contract_json():
    done = run("assess", "-", stdin=json.dumps(P01))
    assert done.returncode == 0, done.err
    result = json.loads(done.out)
    assert result["area"] == {"name": "苏州工业园区", "type": "urban"}
    assert [c["id"] for c in result["channels"]] == ["talent", "points", "home_purchase", "county_open", "family",
                                                      "suzhou_graduate", "residence_permit"]
    assert result["recommended"] == ["talent"] and result["points"]["known"] == 266
    assert "12345" in result["disclaimer"]


@pytest.mark.parametrize("case", load("profiles.json"), ids=lambda c: c["name"])
def test_every_public_profile_gets_its_expected_statuses_from_the_command_line(case):
    done = run("assess", "-", stdin=json.dumps(case["profile"], ensure_ascii=False))
    assert done.returncode == 0, done.err
    result = json.loads(done.out)
    expected = case["expected"]
    assert {c["id"]: c["status"] for c in result["channels"]} == {**{c["id"]: c["status"] for c in
                                                                    result["channels"]}, **expected["statuses"]}
    if "recommended" in expected:
        assert result["recommended"] == expected["recommended"]
    for key, value in (expected.get("points") or {}).items():
        assert result["points"][key] == value, key


def test_assess_from_a_file_and_as_of_override(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(dict(P01, education="associate", age=38, social_insurance_consecutive_months=8)),
                    encoding="utf-8")
    now = json.loads(run("assess", str(path)).out)
    then = json.loads(run("assess", str(path), "--as-of", "2023-06-01").out)
    assert now["as_of"] == "2025-06-01" and then["as_of"] == "2023-06-01"
    talent_now = next(c for c in now["channels"] if c["id"] == "talent")
    talent_then = next(c for c in then["channels"] if c["id"] == "talent")
    assert (talent_now["status"], talent_now["route"]) == ("eligible", "C")
    assert talent_then["status"] == "not_eligible"  # 2020 rules: 大专 only up to 35


def test_text_format_is_the_chinese_explanation():
    done = run("assess", "-", "--format", "text", stdin=json.dumps(P01))
    assert done.returncode == 0
    assert "推荐渠道：人才落户（先落户后就业）" in done.out
    assert "积分落户" in done.out and "12345" in done.out and "社区公共户" in done.out


BAD = [
    ({"age": 300}, "age", "0到120"),
    ({"age": "28"}, "age", "整数"),
    ({"social_insurance_months": -3}, "social_insurance_months", "0到1200"),
    ({"target_area": "上海"}, "target_area", "姑苏区"),
    ({"education": "幼儿园"}, "education", "bachelor"),
    ({"married": "yes"}, "married", "true 或 false"),
    ({"as_of": "2020-12-31"}, "as_of", "2021-01-01"),
    ({"as_of": "明天"}, "as_of", "YYYY-MM-DD"),
    ({"hobby": "chess"}, "hobby", "可用的字段"),
    ({"social_insurance_months": 3, "social_insurance_consecutive_months": 9}, "social_insurance_consecutive_months",
     "不能大于"),
]


@pytest.mark.parametrize("profile,field,hint", BAD, ids=[b[1] for b in BAD])
def test_bad_input_names_the_field_and_exits_2(profile, field, hint):
    done = run("assess", "-", stdin=json.dumps(profile, ensure_ascii=False))
    assert done.returncode == 2
    assert "Traceback" not in done.err and done.out == ""
    assert field in done.err and hint in done.err


def test_every_bad_field_is_reported_at_once():
    done = run("assess", "-", stdin=json.dumps({"age": -1, "sex": "x", "housing": 5}))
    assert done.returncode == 2
    assert all(f in done.err for f in ("age", "sex", "housing"))


@pytest.mark.parametrize("stdin,hint", [("{age: 28}", "无法解析JSON"), ("", "没有读到任何输入"), ("[1, 2]", "JSON对象"),
                                        (b"\xff\xfe{", "UTF-8")])
def test_malformed_json_is_a_clear_error(stdin, hint):
    done = run("assess", "-", stdin=stdin)
    assert done.returncode == 2 and hint in done.err and "Traceback" not in done.err


def test_missing_file_and_bad_as_of_option():
    assert "找不到文件" in run("assess", "/no/such/file.json").err
    done = run("assess", "-", "--as-of", "2019-01-01", stdin="{}")
    assert done.returncode == 2 and "2021-01-01" in done.err


def _batch_rows(out: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(out)))


def test_batch_keeps_going_past_bad_rows(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(
        "id,as_of,target_area,age,education,full_time_degree,employed_in_suzhou,retired\n"
        "a,2025-06-01,园区,27,本科,是,true,false\n"
        "b,2025-06-01,火星,27,bachelor,true,true,false\n"
        "c,2025-06-01,昆山,abc,bachelor,true,true,false\n"
        "d,2025-06-01,昆山,30,bachelor,,true,false\n", encoding="utf-8")
    done = run("assess", "--batch", str(path))
    assert done.returncode == 0, done.err
    rows = _batch_rows(done.out)
    assert [r["id"] for r in rows] == ["a", "b", "c", "d"]
    assert rows[0]["talent"] == "eligible" and rows[0]["talent_route"] == "A" and rows[0]["recommended"] == "talent"
    assert "target_area" in rows[1]["error"] and rows[1]["talent"] == ""
    assert "age" in rows[2]["error"]
    assert rows[3]["error"] == "" and rows[3]["points"] == "not_applicable" and rows[3]["points_known"] == ""
    assert "4行，其中2行有错误" in done.err


def test_batch_reads_excel_gbk_files_and_writes_to_a_file(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes("target_area,age,education\n工业园区,30,硕士\n".encode("gb18030"))
    out = tmp_path / "out.csv"
    done = run("assess", "--batch", str(path), "--as-of", "2025-06-01", "-o", str(out))
    assert done.returncode == 0, done.err
    rows = _batch_rows(out.read_text(encoding="utf-8"))
    assert rows[0]["talent"] == "undetermined" and "retired" in rows[0]["missing"]


def test_batch_with_unknown_columns_stops_with_exit_2(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("age,salary\n30,9000\n", encoding="utf-8")
    done = run("assess", "--batch", str(path))
    assert done.returncode == 2 and "salary" in done.err and "Traceback" not in done.err


# --- the rules sheet ---------------------------------------------------------------------------------------

def test_rules_sheet_lists_the_rules_in_force_with_sources_and_flags():
    done = run("rules", "--as-of", "2025-06-01")
    assert done.returncode == 0, done.err
    assert "按2025-06-01当日有效的规则" in done.out
    assert "【购房落户】" in done.out and "【人才落户】" in done.out
    assert "尚待官方核实" in done.out and "已核实" in done.out
    assert "分值线" in done.out and "400" in done.out


def test_rules_sheet_json_has_every_column():
    done = run("rules", "--as-of", "2026-11-28", "--format", "json")
    sheet = json.loads(done.out)
    assert sheet["as_of"] == "2026-11-28"
    row = next(r for r in sheet["rules"] if r["channel"] == "points" and r["parameter"] == "line")
    assert row["value"] == "400" and row["effective_from"] == "2023-04-01"
    assert row["valid_until"].startswith("2026-03-31") and row["verified"] is False  # the reported extension
    assert {"channel", "condition", "value", "document", "article", "effective_from", "valid_until",
            "verified"} <= set(row)


def test_rules_sheet_before_2024_has_no_home_purchase_in_force():
    rows = json.loads(run("rules", "--as-of", "2023-06-01", "--format", "json").out)["rules"]
    hp = [r for r in rows if r["channel"] == "home_purchase"]
    assert [r["value"] for r in hp] == ["未实行"]


def test_rules_changes_between_two_dates_show_the_2024_talent_rules_and_home_purchase():
    done = run("rules", "--changes", "2023-12-31", "2024-09-01")
    assert done.returncode == 0, done.err
    assert "规则变化：2023-12-31 → 2024-09-01" in done.out
    assert "新增 【购房落户】" in done.out
    assert "《苏州市人才落户管理办法》" in done.out and "废止 【人才落户】" in done.out


def test_rules_with_a_bad_date_is_a_clear_error():
    done = run("rules", "--as-of", "2020-01-01")
    assert done.returncode == 2 and "不能早于2021-01-01" in done.err
    done = run("rules", "--as-of", "soon")
    assert done.returncode == 2 and "YYYY-MM-DD" in done.err


def test_docs_rules_md_is_the_generated_sheet():
    """docs/rules.md is generated from the rule data: a change to the rules must regenerate it (make docs)."""
    done = run("rules", "--all", "--format", "md")
    assert done.returncode == 0, done.err
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == done.out, \
        "docs/rules.md is stale: run `make docs` and commit it"
