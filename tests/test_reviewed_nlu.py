""""标注正确主题" writes NLU examples (assistant/tools/reviewed_nlu.py): a valid Rasa NLU file that `rasa data validate`
accepts with the training data, no duplicates, nothing from the held-out sets, masked text only, and many
writers at once losing nothing. Always a temporary file: the tests never write data/nlu/reviewed.yml. And
`python -m assistant review` refusing a missing or foreign database."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from assistant.tools import reviewed_nlu
from assistant.tools.reviewed_nlu import LabelError, add_example

ROOT = Path(__file__).resolve().parents[1]
HELD_OUT = yaml.safe_load((ROOT / "tests" / "fixtures" / "faq_heldout.yml").read_text(encoding="utf-8"))


@pytest.fixture
def path(tmp_path, monkeypatch):
    target = tmp_path / "nlu" / "reviewed.yml"
    monkeypatch.setenv(reviewed_nlu.PATH_ENV, str(target))
    return target


def examples(path: Path) -> list[tuple[str, str]]:
    """(intent_response_key, text) as Rasa itself reads the file."""
    data = RasaYAMLReader().read(str(path))
    return [(m.get("intent_response_key"), m.get("text")) for m in data.intent_examples]


def a_training_example(intent: str) -> str:
    for item in yaml.safe_load((ROOT / "data" / "nlu" / "faq.yml").read_text(encoding="utf-8"))["nlu"]:
        if item.get("intent") == intent:
            return item["examples"].splitlines()[0].strip()[2:]
    raise AssertionError(f"no {intent} in data/nlu/faq.yml")


def test_the_default_is_the_tracked_file_and_the_tests_point_elsewhere(path):
    assert reviewed_nlu.DEFAULT_PATH == ROOT / "data" / "nlu" / "reviewed.yml"
    assert reviewed_nlu.reviewed_path() == path


def test_every_held_out_phrasing_is_seen_and_the_tracked_labels_hold_none_of_them():
    """The fixtures scanned include every held-out question; a committed data/nlu/reviewed.yml takes none of the
    fixtures' phrasings that are not training data elsewhere."""
    held = reviewed_nlu.held_out()
    assert all(reviewed_nlu.plain(i["q"]) in held for i in HELD_OUT)
    if reviewed_nlu.DEFAULT_PATH.exists():
        others = {reviewed_nlu.plain(e) for f in (ROOT / "data" / "nlu").glob("*.yml") if f != reviewed_nlu.DEFAULT_PATH
                  for _, e in reviewed_nlu._examples(yaml.safe_load(f.read_text(encoding="utf-8")))}
        labelled = [e for _, e in reviewed_nlu._examples(yaml.safe_load(
            reviewed_nlu.DEFAULT_PATH.read_text(encoding="utf-8")))]
        leaked = [e for e in labelled if reviewed_nlu.plain(e) in held - others]
        assert not leaked, f"held-out phrasings in {reviewed_nlu.DEFAULT_PATH}: {leaked}"


def test_a_label_creates_a_rasa_nlu_file_with_its_header_that_rasa_reads(path):
    done = add_example("住了一年多的出租屋，户口能迁进来不", "rental_settlement")
    assert done.added and done.path == path and done.text == "住了一年多的出租屋，户口能迁进来不"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# 坐席在对话复核页面") and 'version: "3.1"' in text
    add_example("积分要达到几分才可以落户呢", "points_line")
    assert examples(path) == [("faq/points_line", "积分要达到几分才可以落户呢"),
                              ("faq/rental_settlement", "住了一年多的出租屋，户口能迁进来不")]
    assert not [p for p in path.parent.iterdir() if p.name != "reviewed.yml"], "temporary files left behind"


def test_the_labelled_file_passes_rasa_data_validate_with_the_training_data(path):
    add_example("社区公共户到底是个啥", "collective_hukou")
    add_example("我在昆山租房能把户口落过去吗", "rental_settlement")
    done = subprocess.run([sys.executable, "scripts/validate_data.py", str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "clean" in done.stdout


def test_the_same_phrasing_is_added_once_and_never_under_a_second_topic(path):
    assert add_example("户口挂靠社区公共户要什么手续", "collective_hukou").added
    again = add_example(" 戶口掛靠社區公共戶，要什麼手續？", "collective_hukou")   # traditional, punctuation
    assert not again.added
    with pytest.raises(LabelError) as wrong:
        add_example("户口挂靠社区公共户要什么手续", "rental_settlement")
    assert wrong.value.key == "trained_elsewhere" and wrong.value.fields["intent"] == "faq/collective_hukou"
    assert examples(path) == [("faq/collective_hukou", "户口挂靠社区公共户要什么手续")]
    trained = a_training_example("faq/points_line")
    assert not add_example(trained, "points_line").added        # already training data
    with pytest.raises(LabelError) as elsewhere:
        add_example(trained, "talent_age")
    assert elsewhere.value.key == "trained_elsewhere"


def test_held_out_phrasings_never_become_training_data(path):
    question = next(i["q"] for i in HELD_OUT if i["topic"])
    for text in (question, question + "呀", "请问" + question):
        with pytest.raises(LabelError) as refused:
            add_example(text, "rental_settlement")
        assert refused.value.key == "held_out", text
    assert not path.exists()


def test_only_masked_text_is_written_and_brackets_are_no_entity_annotation(path):
    add_example("我电话13912345678，身份证320502198511234564，租房能落户吗", "rental_settlement")
    add_example("[园区](target_area)的集体户怎么落", "collective_hukou")
    text = path.read_text(encoding="utf-8")
    assert "13912345678" not in text and "139****5678" in text
    assert "198511234564" not in text and "3205**********4564" in text
    data = RasaYAMLReader().read(str(path))
    assert all(not m.get("entities") for m in data.intent_examples)
    assert ("faq/collective_hukou", "［园区］(target_area)的集体户怎么落") in examples(path)


@pytest.mark.parametrize("text, topic, key", [
    ("租房能落户吗？", "no_such_topic", "unknown_topic"),
    ('/inform{"faq_topic": "none"}', "rental_settlement", "not_a_message"),
    ("？？ ！", "rental_settlement", "not_a_message"),
    ("租" * 201, "rental_settlement", "too_long"),
])
def test_what_is_no_example_is_refused(path, text, topic, key):
    with pytest.raises(LabelError) as refused:
        add_example(text, topic)
    assert refused.value.key == key
    assert not path.exists()


WRITER = """
import sys
from assistant.tools.reviewed_nlu import add_example
for i in range(int(sys.argv[2])):
    add_example(f"复核并发写入第{sys.argv[1]}组第{i}句，居住证要多久", "permit_time")
"""


def test_writers_at_once_lose_nothing_and_write_nothing_twice(path):
    groups, each = 6, 5
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(g), str(each)], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}) for g in range(groups)]
    assert [p.wait(timeout=300) for p in procs] == [0] * groups
    # and a second round of the same sentences adds nothing
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(g), str(each)], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}) for g in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    found = examples(path)
    want = {("faq/permit_time", f"复核并发写入第{g}组第{i}句，居住证要多久") for g in range(groups) for i in range(each)}
    assert len(found) == groups * each and set(found) == want


# --- the command line's database errors (the figures themselves: tests/test_review.py, on a real store) ----------

def review(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", "review", *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **env}, timeout=120)


def test_review_says_in_chinese_what_is_wrong_with_the_database_and_exits_2(tmp_path):
    env = {"DATABASE_URL": ""}
    missing = review("--since", "2026-11-01", env={**env, "RASA_DB": str(tmp_path / "nothing.db")})
    assert missing.returncode == 2 and "找不到对话数据库" in missing.stderr and "Traceback" not in missing.stderr
    assert not (tmp_path / "nothing.db").exists()
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER)")
    wrong = review("--since", "2026-11-01", env={**env, "RASA_DB": str(foreign)})
    assert wrong.returncode == 2 and "不是助手的对话存储" in wrong.stderr
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not an SQLite file at all" * 100)
    bad = review("--since", "2026-11-01", env={**env, "RASA_DB": str(broken)})
    assert bad.returncode == 2 and "无法连接对话数据库" in bad.stderr and "Traceback" not in bad.stderr
    dates = review("--since", "2026-13-01", env={**env, "RASA_DB": str(foreign)})
    assert dates.returncode == 2 and "YYYY-MM-DD" in dates.stderr and "2026-13-01" in dates.stderr
    backwards = review("--since", "2026-11-09", "--until", "2026-11-01", env={**env, "RASA_DB": str(foreign)})
    assert backwards.returncode == 2 and "晚于" in backwards.stderr
