"""How a reply is read against the question asked (assistant.conversation.dialogue), without the NLU's fact extractor:
the short answers people give to one question ("园区那边", "没评过", "2", "快两年了", "嗯")."""
from __future__ import annotations

import pytest

from assistant.conversation import dialogue
from assistant.policy.rules import rule_data
from assistant.understanding.parsing import Text


def read(text: str, asked: str, intent: str | None = None):
    return dialogue.read_message(Text.of(text), intent, [], asked)


@pytest.mark.parametrize("text,area", [
    ("园区那边", "苏州工业园区"), ("在昆山", "昆山市"), ("就是吴江", "吴江区"), ("高新区吧", "虎丘区")])
def test_an_area_is_read_from_an_alias_inside_the_reply(text, area):
    assert read(text, "target_area").facts == {"target_area": area}


def test_two_different_areas_in_one_reply_are_no_answer():
    assert "target_area" not in read("昆山或者太仓", "target_area").facts


@pytest.mark.parametrize("text,value", [
    ("大学本科", "bachelor"), ("研究生", "master"), ("没评过职称", "none"), ("中级职称", "intermediate")])
def test_an_enumeration_is_read_from_the_reply(text, value):
    asked = "education" if value in ("bachelor", "master") else "professional_title"
    assert read(text, asked).facts == {asked: value}


@pytest.mark.parametrize("text,value", [
    ("特级技师", "principal"), ("首席技师", "principal"), ("特级技师/首席技师", "principal"), ("高级技师", "level1"),
    ("技师", "level2")])
def test_a_skill_level_is_read_from_the_reply_and_the_technician_inside_a_longer_title_is_not_level2(text, value):
    """RULES.md revision 3: 特级技师/首席技师 is its own level (principal), above 高级技师."""
    assert read(text, "skill_level").facts == {"skill_level": value}


def test_the_skill_level_question_offers_the_principal_level_last():
    options = dialogue.ask_options("skill_level")
    assert [o["title"] for o in options][-1] == "特级技师/首席技师"
    assert options[-1]["value"] == "principal"


def test_no_with_a_word_of_another_question_says_nothing():
    assert read("没有固定住的地方", "education").facts == {}


def test_an_option_number_answers_the_question_with_that_option():
    options = dialogue.ask_options("education")
    assert read("2", "education").facts == {"education": options[1]["value"]}
    assert read(str(len(options) + 1), "education").facts == {}


@pytest.mark.parametrize("text,intent,value", [
    ("没退休", None, False), ("还没有", None, False), ("是的，已经退了", None, True),
    ("嗯", "affirm", True), ("这个嘛", "deny", False), ("现在没交", None, False), ("目前没有", None, False)])
def test_yes_and_no(text, intent, value):
    assert read(text, "retired", intent).facts == {"retired": value}


def test_a_yes_no_reply_the_classifier_does_not_know_is_no_answer():
    assert read("这个嘛", "retired", None).facts == {}


@pytest.mark.parametrize("text,months", [
    ("两年", 24), ("27个月", 27), ("快两年了", 23), ("没交过", 0), ("没有", 0), ("一年半", 18)])
def test_months_from_a_reply(text, months):
    assert read(text, "social_insurance_months").facts == {"social_insurance_months": months}


def test_a_big_bare_number_is_no_count_of_months():
    assert read("150", "social_insurance_months").facts == {}
    assert read("101", "social_insurance_months").facts == {}
    assert read("100", "social_insurance_months").facts == {"social_insurance_months": 100}


def test_an_age_and_an_age_range():
    assert read("28", "age").facts == {"age": 28}
    rng = read("四十多岁", "age")
    assert "age" not in rng.facts and rng.age_range is not None and rng.age_range[0] == 40


def test_a_supposition_is_never_the_answer():
    assert read("如果我再交半年呢", "social_insurance_months").facts == {}


def test_i_dont_know_is_no_answer():
    assert read("不知道", "retired").facts == {} and dialogue.is_skip(Text.of("不清楚"))


def test_facts_are_said_back_with_their_labels_in_the_contracts_order():
    texts = rule_data().messages["dialogue"]
    line = dialogue.describe({"retired": False, "age": 30, "social_insurance_months": 24})
    parts = line.split(texts["fact_join"])
    assert len(parts) == 3 and parts[0].startswith("年龄") and "30" in parts[0]
    assert texts["bool_values"]["false"] in parts[1] and "24" in parts[2]
