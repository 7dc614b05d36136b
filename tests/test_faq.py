"""FAQ answers state rule values only through placeholders filled from the rule data (assistant/understanding/faq.py):
every number in an answer is a rule value, a date of the rule data, or a fact of a cited document."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from assistant.policy.rules import rule_data
from assistant.understanding.faq import values_on

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = ROOT / "domain.yml"


def _faq_answers() -> dict[str, str]:
    answers = {}
    for name, variants in (yaml.safe_load(DOMAIN.read_text(encoding="utf-8")).get("responses") or {}).items():
        if name.startswith("utter_faq/"):
            answers[name] = variants[0]["text"]
    assert len(answers) >= 20, "the FAQ answers are missing"
    return answers


ANSWERS = _faq_answers()
# Digits a template may type itself: document numbers, the hotline, years and dates of the history it
# tells, and four facts of cited documents that are not rules of the engine (313号(四) "5年以上" and (二)3,
# the 3 working days of the talent pre-check, the 2024-06-25 police notice, and the 准迁证 "有效期40天" of the
# 2022 points procedure under 苏府规字〔2020〕15号, research-notes §6.2, told as history in utter_faq/hukou_transfer).
ALLOWED_LITERALS = re.compile(
    r"\{\w+\}|〔\d{4}〕\d+号|313号|第\d+号|12345|分值线是500分|\d{4}年(?:\d{1,2}月\d{1,2}日|起|旧办法|的标准|7月起分值线降为200分)?"
    r"|（二）3|5年以上|3个工作日|有效期40天")


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_a_template_types_no_rule_value_itself(name):
    stray = re.findall(r"\d+", ALLOWED_LITERALS.sub("", ANSWERS[name]))
    assert not stray, f"{name} types {stray} by hand: use a placeholder of assistant/understanding/faq.py"


def _rule_numbers() -> set[str]:
    """Every number the rule data holds: values, dates, articles and document titles, the disclaimer."""
    pol = rule_data()
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(k)
                walk(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v)
        elif isinstance(node, (dt.date,)):
            found.update({str(node.year), str(node.month), str(node.day)})
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            found.add(str(node))
        elif isinstance(node, str):
            found.update(re.findall(r"\d+", node))

    for channel in pol.channels.values():
        for param in channel.parameters.values():
            for day, value in zip(param.dates, param.values, strict=True):
                walk([day, value.value, value.article, value.document])
    walk([pol.terms["documents"], pol.terms["disclaimer"]])
    return found


@pytest.mark.parametrize("day", [None, dt.date(2022, 6, 1), dt.date(2026, 11, 28), dt.date(2028, 1, 1)])
def test_every_number_of_a_filled_answer_is_in_the_rule_data(day):
    values, known = values_on(day), _rule_numbers()
    for name, template in ANSWERS.items():
        text = template.format(**values)
        unknown = set(re.findall(r"\d+", ALLOWED_LITERALS.sub("", text))) - known
        assert not unknown, f"{name}: {unknown} is not a value of the rule data"


def test_the_answers_follow_the_rule_data():
    values = values_on()
    line = ANSWERS["utter_faq/points_line"].format(**values)
    assert f"{rule_data().rules_on(dt.date.today()).get('points', 'line').value}分" in line
    assert "姑苏区" in line and "昆山市" in line
    ages = ANSWERS["utter_faq/talent_age"].format(**values)
    assert "45周岁" in ages and "50周岁" in ages and "55周岁" in ages


def test_every_answer_offers_12345_and_defers_to_the_official_text():
    for name, template in ANSWERS.items():
        assert "12345" in template and "以官方公布为准" in template, name


def _training_phrasings() -> dict[str, set[str]]:
    """faq/<topic> -> its training examples, normalised (繁->简, no spaces or punctuation)."""
    from assistant.understanding.parsing import normalize

    out: dict[str, set[str]] = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            for line in (item.get("examples") or "").splitlines() if "intent" in item else []:
                if line.strip().startswith("- "):
                    out.setdefault(item["intent"], set()).add(_plain(normalize(line.strip()[2:])))
    return out


def _plain(text: str) -> str:
    return re.sub(r"[\s，。？！、,.?!~…：:；;“”\"'（）()]+", "", text).lower()


def test_the_held_out_faq_phrasings_cover_every_topic_and_are_not_training_data():
    from assistant.understanding.parsing import normalize

    held = yaml.safe_load((ROOT / "tests" / "fixtures" / "faq_heldout.yml").read_text(encoding="utf-8"))
    topics = {name.split("/", 1)[1] for name in ANSWERS}
    per_topic: dict[str, int] = {}
    for item in held:
        assert item["topic"] is None or item["topic"] in topics, item
        per_topic[item["topic"]] = per_topic.get(item["topic"], 0) + 1
    assert all(4 <= per_topic.get(t, 0) <= 6 for t in topics), per_topic
    assert per_topic.get(None, 0) >= 10
    trained = set().union(*_training_phrasings().values())
    copied = [i["q"] for i in held if _plain(normalize(i["q"])) in trained]
    assert not copied, f"held-out phrasings in the training data: {copied}"


def test_no_phrasing_is_trained_under_two_intents():
    seen: dict[str, str] = {}
    clashes = []
    for intent, phrasings in _training_phrasings().items():
        for p in phrasings:
            if p in seen and seen[p] != intent:
                clashes.append((p, seen[p], intent))
            seen[p] = intent
    assert not clashes, clashes


def test_every_topic_has_a_title_for_the_did_you_mean_buttons():
    titles = rule_data().messages["faq_topics"]
    missing = [name.split("/", 1)[1] for name in ANSWERS if name.split("/", 1)[1] not in titles]
    assert not missing, f"topics without a title in assistant/conversation/messages.yml faq_topics: {missing}"
