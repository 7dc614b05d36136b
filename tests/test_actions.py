"""The custom actions, run on rasa-sdk trackers built like the ones the Rasa server sends: the exact
events they return and the responses they send."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.interview import (ActionHandoff, ActionInterview, ActionPointsGap, ActionRestartInterview,
                               ActionWhatIf, ActionWhyNot)

AS_OF = "2025-06-01"
# A bachelor in the park, everything known but the talent facts: the answer is one question away.
PARK = {"as_of": AS_OF, "target_area": "苏州工业园区", "age": 27.0, "education": "bachelor", "retired": None}


def tracker(text: str = "", intent: str = "inform", entities: list | None = None, **slots) -> Tracker:
    slots = {"as_of": AS_OF, **slots}
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
    return Tracker("test", slots, message, [], False, None, {}, "action_listen")


def run(action, t: Tracker) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, t, {})
    return events, dispatcher.messages


def slot_events(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(messages) -> list:
    return [m.get("response") for m in messages]


def test_a_greeting_asks_where_first_with_the_area_options():
    events, messages = run(ActionInterview(), tracker("你好，我想问下落户的事", "greet", as_of=None))
    assert responses(messages) == ["utter_ask_target_area"]
    ask = messages[0]["custom"]
    assert ask["type"] == "ask" and ask["field"] == "target_area"
    assert [o["title"] for o in ask["options"]][:1] == ["姑苏区"] and len(ask["options"]) == 10
    assert ask["options"][5]["payload"] == '/inform{"target_area": "苏州工业园区"}'
    assert slot_events(events) == {"asked_field": "target_area", "failed_attempts": 0.0}


def test_a_message_with_many_facts_fills_them_all_confirms_and_asks_only_the_rest():
    entities = [{"entity": "age", "value": 28, "extractor": "FactEntityExtractor"},
                {"entity": "education", "value": "bachelor", "extractor": "GazetteerEntityExtractor"},
                {"entity": "target_area", "value": "苏州工业园区", "extractor": "GazetteerEntityExtractor"},
                {"entity": "employed_in_suzhou", "value": True, "extractor": "FactEntityExtractor"},
                {"entity": "social_insurance_months", "value": 24, "extractor": "FactEntityExtractor"}]
    events, messages = run(ActionInterview(), tracker("我今年28，本科毕业，在园区上班，社保交了两年多了，租的房子",
                                                      entities=entities))
    slots = slot_events(events)
    assert {k: slots[k] for k in ("age", "education", "target_area", "employed_in_suzhou",
                                  "social_insurance_months")} == {
        "age": 28, "education": "bachelor", "target_area": "苏州工业园区", "employed_in_suzhou": True,
        "social_insurance_months": 24}
    assert responses(messages)[0] == "utter_understood"
    assert "学历：本科" in messages[0]["facts"] and "拟落户地区：苏州工业园区" in messages[0]["facts"]
    asked = slots["asked_field"]
    assert messages[-1]["custom"]["field"] == asked
    assert asked not in ("age", "education", "target_area", "employed_in_suzhou", "social_insurance_months")


def test_a_bare_number_answers_the_age_question():
    events, messages = run(ActionInterview(), tracker("28", "nlu_fallback", target_area="苏州工业园区",
                                                      asked_field="age"))
    assert slot_events(events)["age"] == 28
    assert responses(messages) == [f"utter_ask_{slot_events(events)['asked_field']}"]  # no echo for a plain answer


@pytest.mark.parametrize("text,intent,field,value", [
    ("是的", "affirm", "retired", True),
    ("没有", "deny", "married", False),
    ("两年零三个月", "inform", "social_insurance_months", 27),
    ("没交过", "deny", "nanjing_social_insurance_months", 0),
    ("2", "inform", "education", "junior_high"),        # "回复2" picks the second option
    ("九十平", "inform", "home_area_m2", 90.0),
    ("园区", "inform", "target_area", "苏州工业园区"),
])
def test_short_replies_are_read_against_the_question(text, intent, field, value):
    events, _ = run(ActionInterview(), tracker(text, intent, asked_field=field, target_area="苏州工业园区"))
    assert slot_events(events)[field] == value


def test_a_correction_overwrites_and_says_so():
    entities = [{"entity": "education", "value": "associate", "extractor": "GazetteerEntityExtractor"}]
    events, messages = run(ActionInterview(), tracker("不对，我是大专", entities=entities, education="bachelor",
                                                      target_area="苏州工业园区", asked_field="age"))
    assert slot_events(events)["education"] == "associate"
    assert messages[0]["response"] == "utter_corrected" and messages[0]["facts"] == "学历：大专/高职"


def test_skipping_a_question_moves_on_and_never_asks_it_again():
    events, messages = run(ActionInterview(), tracker("不知道", "skip", asked_field="age", target_area="苏州工业园区"))
    slots = slot_events(events)
    assert slots["skipped_fields"] == ["age"]
    assert messages[0]["response"] == "utter_skipped"
    assert slots["asked_field"] != "age"


def test_two_failed_answers_explain_the_expected_form_and_offer_to_skip():
    first_events, first = run(ActionInterview(), tracker("啊这", "nlu_fallback", asked_field="age"))
    assert responses(first) == ["utter_not_understood", "utter_ask_age"]
    assert slot_events(first_events) == {"failed_attempts": 1.0}
    second_events, second = run(ActionInterview(), tracker("随便", "nlu_fallback", asked_field="age",
                                                           failed_attempts=1.0))
    assert responses(second) == ["utter_help_number", "utter_ask_age"]
    assert slot_events(second_events) == {"failed_attempts": 2.0}


def test_an_impossible_value_is_refused_with_the_reason():
    entities = [{"entity": "age", "value": 300, "extractor": "FactEntityExtractor"}]
    events, messages = run(ActionInterview(), tracker("我300岁", entities=entities, asked_field="age"))
    assert messages[0]["response"] == "utter_invalid" and "0到120" in messages[0]["errors"]
    assert "age" not in slot_events(events)
    assert messages[-1]["custom"]["field"] == "age"


def test_once_the_outcome_is_clear_the_answer_comes_with_the_assessment_payload():
    events, messages = run(ActionInterview(), tracker("没有", "deny", asked_field="retired",
                                                      **{k: v for k, v in PARK.items() if v is not None}))
    answer = next(m for m in messages if m.get("custom", {}).get("type") == "assessment")
    assert "推荐渠道：人才落户（先落户后就业）" in answer["text"]
    assert answer["custom"]["recommended"] == ["talent"]
    assert responses(messages)[-1] == "utter_offer_continue"
    slots = slot_events(events)
    assert slots["answered"] is True and slots["asked_field"] is None
    assert slots["last_assessment"]["recommended"] == ["talent"]


def test_continue_after_the_answer_asks_about_the_other_channels():
    known = {k: v for k, v in PARK.items() if v is not None}
    events, messages = run(ActionInterview(), tracker("继续", "continue_interview", answered=True, retired=False,
                                                      **known))
    slots = slot_events(events)
    assert slots["interview_mode"] == "full"
    assert messages[-1]["custom"]["type"] == "ask" and slots["asked_field"] == messages[-1]["custom"]["field"]


def test_a_faq_in_the_middle_resumes_the_pending_question():
    events, messages = run(ActionInterview(), tracker("租房子的能落户吗", "faq", asked_field="age",
                                                      target_area="苏州工业园区"))
    assert responses(messages) == ["utter_ask_age"]
    assert "age" not in slot_events(events) and "housing" not in slot_events(events)


def test_the_rules_date_can_be_set_in_words():
    events, messages = run(ActionInterview(), tracker("按2022-03-01的规则评估", as_of=None))
    assert slot_events(events)["as_of"] == "2022-03-01"
    assert messages[0]["response"] == "utter_as_of"


P04 = {"target_area": "苏州工业园区", "age": 30.0, "sex": "male", "education": "high_school",
       "full_time_degree": True, "professional_title": "none", "skill_level": "none", "employed_in_suzhou": True,
       "retired": False, "social_insurance_active": True, "social_insurance_months": 90.0,
       "social_insurance_consecutive_months": 24.0, "residence_permit": "urban", "residence_months": 24.0,
       "housing": "rental_registered", "serious_criminal_record": False, "sentence_months": 0.0,
       "dishonest_debtor": False, "nanjing_social_insurance_months": 0.0}


def test_why_not_names_the_unmet_condition_and_its_source():
    _, messages = run(ActionWhyNot(), tracker("为什么不能积分落户？", "why_not",
                                              entities=[{"entity": "channel", "value": "points"}],
                                              **dict(P04, housing="rental_unregistered")))
    text = messages[0]["text"]
    assert text.startswith("积分落户：暂不符合")
    assert "在市区有合法稳定住所" in text and "《苏州市区积分落户管理办法》" in text


def test_what_if_reruns_the_engine_with_more_months_without_storing_them():
    small = dict(P04, social_insurance_months=70.0, age=33.0)  # 404 points: p03 of the public profiles
    small["social_insurance_months"] = 60.0  # 354 points: 46 short
    entities = [{"entity": "social_insurance_months", "value": 12, "extractor": "FactEntityExtractor"}]
    events, messages = run(ActionWhatIf(), tracker("那如果我再交一年社保呢？", "what_if", entities=entities, **small))
    assert events == []
    text = messages[0]["text"]
    assert "积分落户：尚不能确定 → 符合" in text and "354分 → 414分" in text
    assert messages[0]["custom"]["hypothetical"] is True


def test_points_gap_reports_known_points_and_the_line():
    _, messages = run(ActionPointsGap(), tracker("我差多少分", "ask_points_gap", **dict(P04, social_insurance_months=60.0,
                                                                                   age=33.0)))
    assert "已知354分" in messages[0]["text"] or "已知积分354分" in messages[0]["text"]
    assert "还差46分" in messages[0]["text"]


def test_handoff_summarises_the_facts_and_flags_the_conversation():
    events, messages = run(ActionHandoff(), tracker("转人工", "human_handoff", target_area="苏州工业园区", age=28.0))
    assert messages[0]["response"] == "utter_handoff"
    assert "年龄（周岁）：28岁" in messages[0]["summary"]
    assert slot_events(events) == {"handoff_requested": True}


def test_restart_forgets_everything_and_asks_the_first_question():
    events, messages = run(ActionRestartInterview(), tracker("重新开始", "restart", age=28.0))
    assert events[0] == Restarted()
    assert events[1] == SlotSet("asked_field", "target_area")
    assert responses(messages) == ["utter_restarted", "utter_ask_target_area"]
