"""The planner (assistant/planner.py, docs/planner.md): the order changes, never a decision. On every persona
(the public profiles and the generated ones, every channel, before and after the 2024 rules) the verdict after
the planner's interview and "继续" to the end equals the full profile's; and the paired question reads both
facts, skips both, and asks the other half next."""
from __future__ import annotations

import pytest

from assistant import dialogue, planner
from assistant.conversation import State, turn
from assistant.profile import PROFILE_FIELDS
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


START = State(values={"target_area": "苏州工业园区"}, as_of="2025-06-01")


def test_age_and_education_in_one_question_read_together():
    first = turn(START, message("你好"))
    ask = _ask(first)
    assert ask["fields"] == ["age", "education"] and "options" not in ask and ask["remaining"] >= 1
    assert first.state.asks == {"age": 1, "education": 1}
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
