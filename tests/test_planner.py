"""The planner (assistant/conversation/planner.py, docs/planner.md): the order changes, never a decision. On every persona
(the public profiles and the generated ones, every channel, before and after the 2024 rules) the verdict after
the planner's interview and "继续" to the end equals the full profile's; and the paired question reads both
facts, skips both, and asks the other half next."""
from __future__ import annotations

import pytest

from assistant.conversation import dialogue, planner
from assistant.conversation.turn import State, turn
from assistant.policy.profile import PROFILE_FIELDS
from tests.support.interviews import CHANNELS, full_verdict, interview, message, personas, verdict

PERSONAS = personas()


def test_the_personas_cover_every_channel_and_both_regimes():
    firsts = {(full_verdict(p)["recommended"] or ["none"])[0] for p in PERSONAS}
    assert set(CHANNELS) | {"none"} <= firsts and len(PERSONAS) >= 100
    assert {p["as_of"] < "2024-01-01" for p in PERSONAS} == {True, False}


@pytest.mark.parametrize("n", range(len(PERSONAS)))
def test_no_decision_changes(n):
    profile = PERSONAS[n]
    iv = interview(profile)
    assert iv.final is not None and verdict(iv.final) == full_verdict(profile)
    assert iv.first is not None and all(r >= 1 for r in iv.remaining)


def test_the_priors_name_only_profile_fields_and_sum_to_one():
    table = planner.priors()["fields"]
    assert set(table) <= set(PROFILE_FIELDS)
    assert all(abs(sum(w for _, w in values) - 1) < 1e-9 for values in table.values())


def _ask(result):
    return next(s.payload for s in result.say if s.payload and s.payload.get("type") == "ask")


# A renter in the park: no home to buy through, so the talent channel's age and education come first.
START = State(values={"target_area": "苏州工业园区", "housing": "rental_unregistered"}, as_of="2025-06-01")


def test_age_and_education_in_one_question_read_together():
    first = turn(START, message("你好"))
    ask = _ask(first)
    assert ask["fields"] == ["age", "education"] and "options" not in ask and ask["remaining"] >= 1
    assert first.state.asks == {"age": 1, "education": 0}  # counted as its payload's field, age
    both = turn(first.state, message("32岁，本科"))
    assert both.state.values["age"] == 32 and both.state.values["education"] == "bachelor"
    assert _ask(both)["field"] not in ("age", "education")


def test_half_an_answer_asks_the_other_half_next():
    first = turn(START, message("你好"))
    half = turn(first.state, message("本科"))
    assert half.state.values["education"] == "bachelor" and _ask(half)["field"] == "age"
    assert "fields" not in _ask(half)


def test_i_dont_know_skips_both():
    first = turn(START, message("你好"))
    skipped = turn(first.state, message("不知道"))
    assert {"age", "education"} <= set(skipped.state.skipped)


def test_the_first_answer_names_the_easier_channels_and_continue_goes_on():
    state = State(values={"target_area": "苏州工业园区", "age": 45, "education": "bachelor",
                          "employed_in_suzhou": True}, as_of="2025-06-01", asked="retired", asks={"retired": 1})
    answered = turn(state, message("没退休"))
    names = [s.response for s in answered.say]
    assert "utter_offer_easier" in names and answered.state.offer == "continue"
    assessment = next(s.payload for s in answered.say if s.payload and s.payload["type"] == "assessment")
    assert assessment["recommended"] == ["talent"]
    more = turn(answered.state, message("继续"))
    assert more.branch == "continue" and _ask(more) is not None


def test_the_progress_text():
    assert dialogue.progress_text(3) == "还需约3个问题" and dialogue.progress_text(None) is None


def _pair(first: str, second: str, **known) -> State:
    return State(values={"target_area": "苏州工业园区", **known}, as_of="2025-06-01", asked=first, also=second,
                 asks={first: 1, second: 1})


@pytest.mark.parametrize("reply", ["都没有", "没有", "两个都没有"])
def test_a_bare_no_answers_both_halves_of_a_pair(reply):
    state = _pair("serious_criminal_record", "dishonest_debtor", age=30, education="bachelor")
    values = turn(state, message(reply)).state.values
    assert values["serious_criminal_record"] is False and values["dishonest_debtor"] is False
    titles = turn(_pair("professional_title", "skill_level", age=30, education="associate"), message(reply))
    assert titles.state.values["professional_title"] == titles.state.values["skill_level"] == "none"


def test_a_yes_to_two_yes_no_questions_answers_neither_and_asks_each_alone():
    state = _pair("parent_suzhou_family_hukou_with_home", "child_suzhou_family_hukou_with_home", age=50,
                  education="high_school", married=False)
    result = turn(state, message("有"))
    assert "parent_suzhou_family_hukou_with_home" not in result.state.values
    assert "child_suzhou_family_hukou_with_home" not in result.state.values
    ask = _ask(result)
    assert ask["field"] == "parent_suzhou_family_hukou_with_home" and "fields" not in ask
    assert turn(result.state, message("是的")).state.values["parent_suzhou_family_hukou_with_home"] is True


@pytest.mark.parametrize("reply, first, second", [
    ("在交，两年三个月", True, 27),
    ("一直在交，三年了", True, 36),
])
def test_two_clauses_answer_the_two_halves(reply, first, second):
    state = _pair("social_insurance_active", "social_insurance_months", age=30, education="associate")
    values = turn(state, message(reply)).state.values
    assert values["social_insurance_active"] is first and values["social_insurance_months"] == second


def test_a_clause_that_names_its_field_answers_no_other():
    state = _pair("professional_title", "skill_level", age=30, education="associate")
    values = turn(state, message("没有职称，三级")).state.values
    assert values["professional_title"] == "none" and values["skill_level"] == "level3"
    named = turn(state, message("高级工")).state
    assert named.values["skill_level"] == "level3" and "professional_title" not in named.values


def test_fields_asked_are_grouped_into_questions():
    assert planner.questions(["target_area", "age", "education", "housing"]) == [
        ("target_area",), ("age", "education"), ("housing",)]


def test_a_channel_with_many_ways_is_not_tried_first_for_its_number_of_ways():
    # family stays possible whatever one answer is (spouse or parent), but each of its ways needs answers few
    # people give: a 28-year-old working in the park is first asked what opens a channel for many
    first = dialogue.plan({"target_area": "苏州工业园区", "age": 28, "employed_in_suzhou": True}, "2025-06-01")
    assert first.question not in ("married", "parent_suzhou_family_hukou_with_home", "spouse_suzhou_family_hukou")


def test_a_reply_naming_another_fact_answers_neither_half():
    told = turn(_pair("professional_title", "skill_level"), message("没退休"))
    assert told.state.values["retired"] is False
    assert "professional_title" not in told.state.values and "skill_level" not in told.state.values


def test_a_plain_no_to_two_yes_no_questions_answers_both():
    told = turn(_pair("parent_suzhou_family_hukou_with_home", "child_suzhou_family_hukou_with_home"), message("不是"))
    assert told.state.values["parent_suzhou_family_hukou_with_home"] is False
    assert told.state.values["child_suzhou_family_hukou_with_home"] is False


def test_what_a_question_presupposes_is_asked_first():
    known = {"target_area": "苏州工业园区", "age": 30, "sex": "male", "education": "junior_high",
             "employed_in_suzhou": True, "residence_permit": "none", "housing": "rental_registered",
             "suzhou_college_graduate": False, "professional_title": "none", "skill_level": "none",
             "parent_suzhou_family_hukou_with_home": False, "child_suzhou_family_hukou_with_home": False}
    # family's only way left is the spouse's, and "您结婚了吗" comes before "配偶是苏州户口吗"
    assert dialogue.plan(known, "2025-06-01").question == "married"


@pytest.mark.parametrize("reply, employed, retired", [
    ("对，在苏州工作", True, None),       # the yes confirms the clause after it: nothing said of retiring
    ("是的，没退休", True, False),        # a bare yes at the first place answers the first question
    ("在苏州上班，没退休", True, False),
])
def test_a_bare_yes_beside_a_named_fact(reply, employed, retired):
    told = turn(_pair("employed_in_suzhou", "retired"), message(reply))
    assert told.state.values.get("employed_in_suzhou") is employed
    assert told.state.values.get("retired") is retired


def test_a_no_about_the_first_person_answers_the_first_question():
    told = turn(_pair("parent_suzhou_family_hukou_with_home", "child_suzhou_family_hukou_with_home"),
                message("父母在老家"))
    assert told.state.values["parent_suzhou_family_hukou_with_home"] is False
    assert "child_suzhou_family_hukou_with_home" not in told.state.values


def test_a_remark_in_two_clauses_answers_no_half():
    told = turn(_pair("employed_in_suzhou", "retired"), message("非常感谢，有问题我再问你哈。"))
    assert "employed_in_suzhou" not in told.state.values and "retired" not in told.state.values


def test_three_clauses_answer_a_pair():
    told = turn(_pair("residence_permit", "residence_months"), message("有，在市区办的，24个月"))
    assert told.state.values["residence_permit"] == "urban" and told.state.values["residence_months"] == 24


def test_a_short_no_answers_a_yes_no_half():
    told = turn(_pair("social_insurance_active", "social_insurance_months"), message("没在交，没有"))
    assert told.state.values["social_insurance_active"] is False


def test_a_remark_with_a_number_is_no_half_of_a_pair():
    told = turn(_pair("residence_permit", "residence_months"), message("我喊了五遍才转成功,差点把邻居引来。"))
    assert "residence_months" not in told.state.values


def test_a_clause_about_the_parents_answers_their_half():
    told = turn(_pair("parent_suzhou_family_hukou_with_home", "child_suzhou_family_hukou_with_home"),
                message("父母在老家，没有"))
    assert told.state.values["parent_suzhou_family_hukou_with_home"] is False
    assert told.state.values["child_suzhou_family_hukou_with_home"] is False


def test_a_no_after_a_word_for_all_is_a_no():
    state = State(values={"target_area": "苏州工业园区", "married": True, "spouse_suzhou_family_hukou": True},
                  as_of="2023-06-01", asked="spouse_side_owns_home", asks={"spouse_side_owns_home": 1})
    assert turn(state, message("都没房子")).state.values["spouse_side_owns_home"] is False
