"""The turn policy (assistant/conversation/turn.py) as a table: for each kind of pending question, the replies
people give and the branch that must decide. Messages carry what the NLU pipeline would give: the rule-based
fact entities of assistant/understanding/facts.py, an intent the classifier might guess (often a wrong one, on purpose),
and an FAQ ranking."""
from __future__ import annotations

import json
import re

import pytest

from assistant.conversation.turn import MAX_ASKS, Message, State, turn
from assistant.understanding.facts import fact_spans

AS_OF = "2025-06-01"


def msg(text: str, intent: str | None = None, confidence: float = 0.9, faq=None, **metadata) -> Message:
    m = re.match(r"^/(\w+)(\{.*\})?$", text)
    if m:  # a button payload: the intent and entities it names, as Rasa parses it
        entities = [{"entity": k, "value": v} for k, v in json.loads(m.group(2) or "{}").items()]
        return Message(text, m.group(1), 1.0, entities, faq or [], metadata)
    entities = [dict(e, extractor="FactEntityExtractor") for e in fact_spans(text)]
    return Message(text, intent, confidence, entities, faq or [], metadata)


def responses(result) -> list[str]:
    return [s.response or "text" for s in result.say]


def asked(result) -> str | None:
    asks = [s.payload["field"] for s in result.say if s.payload and s.payload.get("type") == "ask"]
    return asks[-1] if asks else None


# One state per kind of pending question: the park, a 30-year-old bachelor, asked about …
BASE = {"target_area": "苏州工业园区", "age": 30, "education": "bachelor"}
PENDING = {
    "bool": State(values=dict(BASE), as_of=AS_OF, asked="retired", asks={"retired": 1}),
    "enum": State(values={"target_area": "苏州工业园区"}, as_of=AS_OF, asked="education", asks={"education": 1}),
    "area": State(as_of=AS_OF, asked="target_area", asks={"target_area": 1}),
    "number": State(values={"target_area": "姑苏区"}, as_of=AS_OF, asked="age", asks={"age": 1}),
    "months": State(values={"target_area": "姑苏区", "age": 30, "education": "associate", "retired": False,
                            "professional_title": "none", "skill_level": "none", "employed_in_suzhou": True,
                            "housing": "rental_unregistered", "suzhou_college_graduate": False,
                            "married": False, "social_insurance_months_yrd_12m": 0},
                    as_of=AS_OF, asked="social_insurance_consecutive_months",
                    asks={"social_insurance_consecutive_months": 1}),
}
FAQ_SURE = [("residence_permit", 0.92), ("points_line", 0.03)]

# (kind, reply, intent the classifier guesses, FAQ ranking, expected branch, the fact taken or None)
TABLE = [
    # plain answers: the classifier's guess does not matter
    ("bool", "没退休", "deny", None, "answer", ("retired", False)),
    ("bool", "是的呢", "thank", None, "answer", ("retired", True)),
    ("enum", "大学本科", "faq", FAQ_SURE, "answer", ("education", "bachelor")),
    ("enum", "研究生毕业", "inform", None, "answer", ("education", "master")),
    ("area", "园区那边", "faq", [("county_open", 0.8)], "answer", ("target_area", "苏州工业园区")),
    ("area", "昆山", "inform", None, "answer", ("target_area", "昆山市")),
    ("number", "28", "inform", None, "answer", ("age", 28)),
    ("number", "今年三十二了", "inform", None, "answer", ("age", 32)),
    ("months", "八个月", "inform", None, "answer", ("social_insurance_consecutive_months", 8)),
    ("months", "快半年了", "inform", None, "answer", ("social_insurance_consecutive_months", 5)),
    # an answer with extra facts
    ("bool", "没退休，在园区上班", "inform", None, "answer", ("employed_in_suzhou", True)),
    ("enum", "本科，今年29", "inform", None, "answer", ("age", 29)),
    ("number", "35岁，大专", "inform", None, "answer", ("education", "associate")),
    # an unrelated statement counts as unreadable (never as an FAQ, whatever the classifier says)
    ("bool", "好麻烦啊", "thank", None, "remark", None),
    ("enum", "没有固定住的地方", "faq", [("rental_settlement", 0.7)], "facts", ("housing", "none")),
    ("area", "今天天气不错", "out_of_scope", None, "unreadable", None),
    ("number", "你们这个挺好用的", "faq", [("legal_effect", 0.5)], "unreadable", None),
    ("months", "公司挺大的", "inform", None, "unreadable", None),
    # a real question goes to the FAQ, then the pending question comes back
    ("bool", "办居住证要住满多久？", "faq", FAQ_SURE, "question", None),
    ("enum", "积分落户要多少分呢", "faq", [("points_line", 0.95)], "question", None),
    ("area", "那这个要多久？", "skip", [("where_apply", 0.4), ("residence_permit", 0.35)], "did_you_mean", None),
    ("number", "为什么要问年龄？", "why_not", None, "why_ask", None),
    ("months", "如果我再交半年呢？", "what_if", None, "question", None),
    # a correction of an earlier answer
    ("bool", "不对，我是大专", "inform", None, "facts", ("education", "associate")),
    ("number", "不对，我想落在吴中区", "inform", None, "facts", ("target_area", "吴中区")),
    # 不知道 / 跳过
    ("bool", "不知道", "skip", None, "skip", None),
    ("enum", "跳过", "skip", None, "skip", None),
    ("area", "不清楚", "deny", None, "skip", None),
    ("months", "不记得了", "skip", None, "skip", None),
    # English: a bilingual note, never a restart or a handoff
    ("bool", "restart please", "start_over", None, "unreadable", None),
    ("enum", "I want a human", "human_handoff", None, "unreadable", None),
    ("area", "hello", "greet", None, "unreadable", None),
]


@pytest.mark.parametrize("kind,reply,intent,ranking,branch,fact", TABLE, ids=[f"{r[0]}: {r[1]}" for r in TABLE])
def test_the_pending_question_decides_first(kind, reply, intent, ranking, branch, fact):
    state = PENDING[kind]
    result = turn(state, msg(reply, intent, faq=ranking))
    assert result.branch == branch, responses(result)
    if fact is not None:
        assert result.state.values[fact[0]] == fact[1]
    if branch == "unreadable":
        assert result.state.failed == state.failed + 1
        assert asked(result) == state.asked  # the same question again
    if branch in ("question", "why_ask", "did_you_mean"):
        assert result.state.values == state.values  # a question changes no fact
    if branch in ("question", "why_ask"):
        assert asked(result) == state.asked  # and the interview resumes where it was
    if branch == "did_you_mean":  # the buttons, then the pending question again: a reply may answer either
        assert responses(result)[0] == "utter_did_you_mean" and asked(result) == state.asked
        assert result.state.asks[state.asked] == state.asks.get(state.asked, 0) + 1
    if branch == "skip":
        assert state.asked in result.state.skipped and asked(result) != state.asked
    if reply.isascii() and not reply.isdigit():
        assert "utter_chinese_only" in responses(result) and not result.restart
        assert not result.state.handoff


def test_english_without_a_question_pending_gets_the_bilingual_note():
    result = turn(State(), msg("Can I settle in Suzhou?", "human_handoff"))
    assert responses(result) == ["utter_chinese_only"] and not result.state.handoff and not result.restart


def test_a_question_is_asked_at_most_three_times_then_skipped():
    state = PENDING["bool"]
    for n in range(2, MAX_ASKS + 1):
        result = turn(state, msg("嗯嗯随便吧", "affirm" if n == 99 else "inform"))
        assert result.branch == "unreadable" and asked(result) == "retired"
        assert result.state.asks["retired"] == n
        state = result.state
    assert responses(result)[0] == "utter_help_bool"  # the second unreadable reply explains the form
    final = turn(state, msg("嗯嗯随便吧", "inform"))
    assert final.branch == "unreadable_skip" and "retired" in final.state.skipped
    assert "utter_skipped_unclear" in responses(final) and asked(final) != "retired"


def test_questions_in_the_middle_never_make_a_fourth_ask_nor_skip_the_pending_question():
    state = PENDING["enum"]
    for n in range(5):
        result = turn(state, msg("积分落户要多少分？", "faq", faq=[("points_line", 0.95)]))
        said = responses(result)
        assert said[0] == "utter_faq/points_line" and not any(r.startswith("utter_skipped") for r in said), said
        # asked again with its ask payload while it may be; then a reminder, once, that it is still open
        assert said[1:] == (["utter_ask_education"] if n < MAX_ASKS - 1 else ["utter_still_open"]), said
        state = result.state
    assert max(state.asks.values()) <= MAX_ASKS and "education" not in state.skipped and state.asked == "education"
    assert turn(state, msg("本科", "inform")).state.values["education"] == "bachelor"


def test_more_months_when_only_the_months_at_this_employer_are_known():
    state = State(values={"target_area": "吴中区", "age": 40, "education": "associate", "retired": False,
                          "employed_in_suzhou": True, "social_insurance_active": True,
                          "social_insurance_consecutive_months": 3}, as_of=AS_OF, asked="married",
                  asks={"married": 1})
    result = turn(state, msg("那如果我再交三个月社保呢？", "what_if"))
    payload = next(s.payload for s in result.say if s.payload and s.payload["type"] == "assessment")
    assert payload["hypothetical"] is True and asked(result) == "married"
    assert result.state.values == state.values


def test_a_what_if_never_stores_its_facts():
    state = State(values={**BASE, "retired": False, "employed_in_suzhou": True}, as_of=AS_OF, answered=True)
    result = turn(state, msg("那如果我再交半年社保呢？", "what_if"))
    assert result.state.values == state.values
    payload = next(s.payload for s in result.say if s.payload)
    assert payload["type"] == "assessment" and payload["hypothetical"] is True


def test_a_settling_question_takes_the_area_and_starts_the_interview():
    for text, area in (("我想在工业园区落户，需要什么条件", "苏州工业园区"), ("我想在吴中区落户，需要什么条件", "吴中区")):
        result = turn(State(as_of=AS_OF), msg(text, "faq", faq=[("county_open", 0.7)]))
        assert result.branch == "settle" and result.state.values["target_area"] == area
        assert responses(result)[0] == "utter_overview" and asked(result) is not None


def test_a_documents_question_without_a_person_is_answered_not_an_interview():
    result = turn(State(as_of=AS_OF), msg("落户要带什么材料", "faq", faq=[("documents", 0.8), ("where_apply", 0.1)]))
    assert responses(result)[0] == "utter_faq/documents" and result.state.asked is None


def test_a_settling_message_with_other_facts_says_them_back():
    result = turn(State(as_of=AS_OF), msg("hi 我是master degree，今年30，想settle在工业园区", "want_settle"))
    assert result.branch == "settle" and responses(result)[:2] == ["utter_overview", "utter_understood"]
    assert result.state.values == {"target_area": "苏州工业园区", "education": "master", "age": 30}


def test_moving_a_hukou_back_home_is_a_question_not_the_start_of_an_interview():
    result = turn(State(as_of=AS_OF), msg("我是农村户口的大学生，户口迁到学校后毕业了还能迁回老家吗", "faq",
                                         faq=[("rural_students", 0.75), ("hukou_transfer", 0.1)]))
    assert responses(result)[0] == "utter_faq/rural_students" and result.branch != "settle"


def test_a_policy_question_naming_a_channel_is_answered_with_an_offer():
    result = turn(State(as_of=AS_OF), msg("积分落户要多少分", "faq", faq=[("points_line", 0.9)]))
    assert responses(result) == ["utter_faq/points_line", "utter_offer_check"] and result.state.offer == "check"
    start = turn(result.state, msg("好的", "affirm"))
    assert start.branch == "start" and asked(start) == "target_area"


def test_an_unsure_faq_asks_which_topic_and_a_choice_answers_it():
    result = turn(State(as_of=AS_OF), msg("那这个要多久？", "faq", faq=[("permit_time", 0.4),
                                                                     ("hukou_transfer", 0.35)]))
    assert result.branch == "did_you_mean"
    buttons = result.say[0].buttons
    assert [b["title"] for b in buttons][-1] == "都不是" and 3 <= len(buttons) <= 4
    chosen = turn(result.state, msg(buttons[0]["payload"]))
    assert responses(chosen)[0] == "utter_faq/permit_time"
    none = turn(result.state, msg(buttons[-1]["payload"]))
    assert responses(none) == ["utter_faq_none"]


def test_a_typed_choice_of_did_you_mean_is_a_choice_not_an_answer_to_the_pending_question():
    state = PENDING["bool"]
    asked_back = turn(state, msg("那这个要多久？", "faq", faq=[("permit_time", 0.4),
                                                            ("hukou_transfer", 0.35)]))
    assert asked_back.branch == "did_you_mean" and asked(asked_back) == "retired"
    none = turn(asked_back.state, msg("都不是", "deny"))
    assert responses(none)[0] == "utter_faq_none" and "retired" not in none.state.values
    assert asked(none) == "retired"
    title = asked_back.say[0].buttons[1]["title"]
    chosen = turn(asked_back.state, msg(title, "faq"))
    assert responses(chosen)[0] == "utter_faq/hukou_transfer"
    answered = turn(asked_back.state, msg("没退休", "deny"))  # or simply the answer to the question
    assert answered.state.values["retired"] is False


def test_five_questions_in_a_row_not_known_give_the_answer_so_far_and_continue_goes_on():
    from assistant.conversation.turn import SKIPS_TO_PAUSE
    state = turn(State(as_of=AS_OF), msg("我想在吴中区落户", "want_settle")).state
    asked_fields = [state.asked]
    for _ in range(SKIPS_TO_PAUSE - 1):
        state = turn(state, msg("不知道", "skip")).state
        asked_fields.append(state.asked)
    # five different questions (a paired question, "您今年多大，最高学历是？", is one; "不知道" skips both)
    assert len(set(asked_fields)) == SKIPS_TO_PAUSE and all(asked_fields)
    assert {"age", "education"} <= set(state.skipped)
    paused = turn(state, msg("不知道", "skip"))
    assert asked(paused) is None and paused.state.offer == "continue"
    payload = next(s.payload for s in paused.say if s.payload and s.payload["type"] == "assessment")
    assert payload["recommended"] == [] and "utter_offer_continue" in responses(paused)
    more = turn(paused.state, msg("继续", "continue_interview"))
    assert more.branch == "continue" and asked(more) not in (None, *asked_fields)


def test_a_known_answer_between_skips_keeps_the_interview_going():
    state = turn(State(as_of=AS_OF), msg("我想在吴中区落户", "want_settle")).state
    for i in range(6):
        reply = "不知道" if i != 2 else ("28" if state.asked == "age" else "没有")
        state = turn(state, msg(reply, None)).state
    assert state.asked is not None


def test_an_area_named_in_passing_does_not_move_the_target():
    state = State(values={"target_area": "苏州工业园区", "housing": "rental_registered"}, as_of=AS_OF,
                  asked="residence_permit", asks={"residence_permit": 1})
    result = turn(state, msg("居住证是在昆山办的", "inform"))
    assert result.state.values["target_area"] == "苏州工业园区"
    assert result.state.values["residence_permit"] == "county"


def test_restart_and_handoff_are_commands_in_chinese():
    state = PENDING["bool"]
    handoff = turn(state, msg("转人工", "human_handoff"))
    assert handoff.state.handoff and responses(handoff)[0] == "utter_handoff" and asked(handoff) == "retired"
    restart = turn(state, msg("重新开始", "start_over"))
    assert restart.restart and restart.state.values == {} and asked(restart) == "target_area"


def test_the_id_card_facts_of_the_channel_are_taken_with_a_line():
    state = State(values={"target_area": "苏州工业园区"}, as_of=AS_OF, asked="age", asks={"age": 1})
    result = turn(state, msg("我身份证号3205**********1234", "inform", id_card={"age": 36, "sex": "male"}))
    assert result.state.values["age"] == 36 and result.state.values["sex"] == "male"
    assert "utter_id_card_used" in responses(result) and asked(result) != "age"
    assert "utter_understood" not in responses(result)  # said once, not twice


def test_a_policy_question_that_names_a_degree_is_answered_not_taken_as_the_residents_facts():
    result = turn(State(as_of=AS_OF), msg("本科学历多大年纪以内可以直接落户", "faq",
                                         faq=[("talent_age", 0.85), ("talent_conditions", 0.1)]))
    assert responses(result)[0] == "utter_faq/talent_age" and result.state.values == {}


def test_an_age_range_asks_for_the_exact_age():
    state = State(values={"target_area": "苏州工业园区", "education": "bachelor", "retired": False}, as_of=AS_OF,
                  asked="age", asks={"age": 1})
    result = turn(state, msg("四十多岁", "inform"))
    assert result.state.age_range == [40, 49]
    assert responses(result) == ["utter_ask_age_exact"] and asked(result) == "age"


def test_the_interview_always_ends():
    """Whatever the replies, an assessment comes: every question is asked at most three times."""
    first = turn(State(as_of=AS_OF), msg("你好", "greet"))
    state, said = first.state, list(first.say)
    for n in range(200):
        result = turn(state, msg("嗯" if n % 2 else "好麻烦啊", "inform"))
        said += result.say
        state = result.state
        if state.answered:
            break
    assert state.answered and any(s.payload and s.payload.get("type") == "assessment" for s in said)
    assert max(state.asks.values()) <= MAX_ASKS
