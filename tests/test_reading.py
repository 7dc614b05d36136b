"""A message read as a whole (assistant/conversation/reading.py, assistant/conversation/turn.py; issue 20): facts, the answer to the
pending question, a question and a remark, in any combination; a question or a remark is never an answer or a
skip, each thing is said once, and the pending question comes back with its ask payload. The classifier's FAQ
ranking is an unsure one (UNSURE: below what the selector alone would answer); the retriever
(assistant/understanding/retrieval.py) confirms the topic."""
from __future__ import annotations

import re

import pytest

import assistant.conversation.turn as conversation
from assistant.conversation.turn import State, rows, turn
from assistant.understanding import cues
from tests.test_turn import AS_OF, PENDING, asked, msg, responses


def unsure(topic: str) -> list[tuple[str, float]]:
    return [(topic, 0.45), ("where_apply", 0.1)]


HOUSING = State(values={"target_area": "苏州工业园区", "age": 40, "education": "associate", "retired": False},
                as_of=AS_OF, asked="housing", asks={"housing": 1})


def test_the_docstring_table_is_the_order_of_the_rows():
    table = [m.group(1) for m in re.finditer(r"^\| (\w+)\s+\|", conversation.__doc__ or "", re.M)]
    assert table[0] == "row" and table[1:] == [name for name, _, _ in rows()]


@pytest.mark.parametrize("text,topic", [
    ("对了，居住证怎么办理？", "residence_permit"),
    ("等一下，租房可以落户吗", "rental_settlement"),
    ("积分落户要多少分？", "points_line"),
])
def test_a_question_in_the_middle_is_answered_and_the_pending_question_comes_back(text, topic):
    for state in (PENDING["bool"], HOUSING):
        result = turn(state, msg(text, "faq", faq=unsure(topic)))
        said = responses(result)
        assert said[0] == f"utter_faq/{topic}", said
        assert asked(result) == state.asked and said.count(f"utter_ask_{state.asked}") == 1, said
        assert not any(r.startswith("utter_skipped") for r in said) and result.state.values == state.values


@pytest.mark.parametrize("text,kind", [("好麻烦啊", "complaint"), ("等一下", "wait"), ("你是机器人吗", "bot"),
                                       ("怎么问这么多问题", "complaint"), ("哦这样啊", "aside")])
def test_a_remark_is_acknowledged_once_and_the_question_asked_again(text, kind):
    result = turn(PENDING["bool"], msg(text, "chitchat"))
    assert responses(result) == [f"utter_remark_{kind}", "utter_ask_retired"]
    assert result.state.values == PENDING["bool"].values and not result.state.skipped and result.state.failed == 0


@pytest.mark.parametrize("text,area,first", [("外地人太仓落户政策2020", "太仓市", None),
                                             ("昆山购房入户新规", "昆山市", "购房落户")])
def test_a_question_about_a_place_says_what_holds_there(text, area, first):
    result = turn(State(as_of=AS_OF), msg(text, "faq"))
    assert result.branch == "place", responses(result)
    answer = result.say[0].text
    assert f"在{area}（县级市）落户" in answer and "县级市落户" in answer and "不适用：积分落户" in answer
    if first:
        assert answer.splitlines()[1].startswith(f"  - {first}")
    assert responses(result)[-1] == "utter_offer_check" and result.state.offer == "check"


def test_english_gets_the_bilingual_note_not_an_interview():
    result = turn(State(as_of=AS_OF), msg("Kunshan settlement policy 2023", "want_settle", confidence=0.9))
    assert responses(result) == ["utter_chinese_only"] and not result.state.asked


def test_an_english_question_the_faq_is_sure_of_is_answered_in_chinese_and_the_question_comes_back():
    sure = [("residence_permit", 0.9), ("permit_time", 0.05)]
    result = turn(HOUSING, msg("How long is a residence permit valid?", "faq", faq=sure))
    assert responses(result)[:2] == ["utter_answer_in_chinese", "utter_faq/residence_permit"]
    assert asked(result) == "housing" and result.branch == "other_language"
    # when neither opinion is sure, the note alone, as before
    result = turn(HOUSING, msg("How long is a residence permit valid?", "faq", faq=[("points_line", 0.3)]))
    assert responses(result)[0] == "utter_chinese_only" and "utter_answer_in_chinese" not in responses(result)


def test_the_points_line_asked_is_the_faq_answer_though_the_classifier_guesses_ones_own_gap():
    line = turn(HOUSING, msg("积分落户要多少分？", "ask_points_gap", confidence=0.87, faq=[("points_line", 0.945)]))
    assert "utter_faq/points_line" in responses(line) and asked(line) == "housing"
    gap = turn(HOUSING, msg("我还差多少分？", "ask_points_gap", confidence=0.87, faq=[("points_line", 0.945)]))
    assert gap.branch == "points_gap" and "utter_faq/points_line" not in responses(gap)


def test_a_question_about_a_place_is_no_answer_to_the_area_asked():
    state = State(as_of=AS_OF, asked="target_area", asks={"target_area": 1})
    about = turn(state, msg("昆山市属于江苏哪个市", "faq", faq=[("districts", 0.95)]))
    assert "target_area" not in about.state.values and "utter_faq/districts" in responses(about)
    assert asked(about) == "target_area"
    mine = turn(state, msg("我想在昆山落户，需要什么条件？", "want_settle"))
    assert mine.state.values.get("target_area") == "昆山市"


def test_a_no_with_a_new_fact_answers_the_question_and_a_no_with_a_changed_one_corrects():
    values = {"target_area": "苏州工业园区", "age": 30, "education": "high_school"}
    pair = State(values=values, as_of=AS_OF, asked="parent_suzhou_family_hukou_with_home",
                 also="child_suzhou_family_hukou_with_home", asks={"parent_suzhou_family_hukou_with_home": 1})
    result = turn(pair, msg("不是，孩子不是苏州户口"))
    assert result.state.values.get("parent_suzhou_family_hukou_with_home") is False
    assert asked(result) != "parent_suzhou_family_hukou_with_home"
    single = State(values=values, as_of=AS_OF, asked="suzhou_college_graduate", asks={"suzhou_college_graduate": 1})
    corrected = turn(single, msg("不对，我是大专"))
    assert corrected.state.values["education"] == "associate"
    assert "suzhou_college_graduate" not in corrected.state.values


def test_an_apology_is_a_remark_not_a_no():
    state = State(values={"target_area": "吴中区"}, as_of=AS_OF, asked="suzhou_college_graduate",
                  asks={"suzhou_college_graduate": 1})
    result = turn(state, msg("实在不好意思我刚才走神了", "deny", confidence=0.95))
    assert "suzhou_college_graduate" not in result.state.values and asked(result) == "suzhou_college_graduate"


def test_english_terms_meet_the_chinese_phrasings():
    """The retriever reads an English question through cues.yml's english_terms: its Chinese words are what the
    topic's Chinese phrasings say."""
    from assistant.understanding import retrieval

    for text, topic in [("I bought a house, can I move my account?", "home_purchase"),
                        ("What is the use of a residence permit", "residence_permit"),
                        ("Will I lose my homestead in the village if I transfer my hukou?", "land_rights")]:
        assert retrieval.retriever().rank(text)[0][0] == topic, text


def test_the_classifiers_read_english_terms_in_chinese_and_the_action_gets_the_text_as_typed():
    """The NLU pipeline's translator gives the features the Chinese words of an English message; the restorer at
    the end of the pipeline gives the message back its text, which the tracker and the action read."""
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from assistant.understanding.components import EnglishTermTranslator, OriginalTextRestorer

    english, chinese = "Can I settle in Kunshan after buying a house?", "我想在昆山买房落户"
    messages = [Message(data={"text": english}), Message(data={"text": chinese})]
    EnglishTermTranslator().process(messages)
    seen = messages[0].get("text")
    assert "落户" in seen and "购房" in seen and "昆山" in seen and "settle" not in seen, seen
    assert messages[1].get("text") == chinese
    OriginalTextRestorer().process(messages)
    assert [m.get("text") for m in messages] == [english, chinese]
    examples = TrainingData([Message(data={"text": "How long is a residence permit valid?", "intent": "faq"})])
    assert "居住证" in EnglishTermTranslator().process_training_data(examples).training_examples[0].get("text")



@pytest.mark.parametrize("typed,seen", [
    ("对了，居住证怎么办理？", "居住证怎么办理？"),
    ("等一下，租房可以落户吗", "租房可以落户吗"),
    ("嗯请问一下积分落户要多少分", "积分落户要多少分"),
    ("等一下", "等一下"),            # nothing follows: the opener is the message
    ("对了。", "对了。"),
    ("对，本科", "对，本科"),        # 对 alone answers: not an opener
])
def test_the_classifiers_read_what_follows_an_opener(typed, seen):
    """"对了，…" is read by the intent classifier and the selector as what it asks, not as a yes to 对."""
    from rasa.shared.nlu.training_data.message import Message

    from assistant.understanding.components import EnglishTermTranslator, OriginalTextRestorer

    messages = [Message(data={"text": typed})]
    EnglishTermTranslator().process(messages)
    assert messages[0].get("text") == seen
    OriginalTextRestorer().process(messages)
    assert messages[0].get("text") == typed

@pytest.mark.parametrize("text,topic", [
    ("Can I register my hukou at a rented apartment if the landlord agrees?", "rental_settlement"),
    ("I forgot the annual endorsement of my residence permit, what happens?", "residence_permit"),
    ("What is the cut-off score for points-based settlement?", "points_line"),
    ("Will I be forced to transfer my hukou?", "voluntary"),
    ("My residence permit was stolen, how do I get it reissued?", "permit_replace"),
    ("What is the difference between a collective household and a family household?", "collective_hukou"),
    ("With a junior college diploma, how many months of social security do I need?", "associate_degree"),
    ("Can retired parents move in with their children in Suzhou?", "family_conditions"),
    ("Are Suzhou-Wuxi-Changzhou social insurance years accumulated?", "suxichang"),
    ("Is Wuzhong part of the urban area?", "districts"),
])
def test_an_english_question_of_a_topic_reads_as_its_chinese_phrasings(text, topic):
    from assistant.understanding import retrieval

    assert retrieval.retriever().rank(text)[0][0] == topic, retrieval._translated(text.lower())[0]


@pytest.mark.parametrize("text", ["What is the weather like today?", "I like football and music.",
                                  "Thank you very much, goodbye", "nah man", "of course not", "hello there"])
def test_unrelated_english_has_no_english_term(text):
    from assistant.understanding import retrieval

    assert retrieval._translated(text.lower())[0] == []


def test_every_english_term_compiles_with_no_capturing_group_and_no_alternative_twice():
    """The glossary is joined into one pattern and will translate English in the NLU pipeline too: each
    alternative is a pattern of its own that matches no empty text, and none is in two entries."""
    from assistant.understanding import retrieval

    seen: dict[str, str] = {}
    for pattern, word in cues.words("english_terms").items():
        assert re.compile(pattern).groups == 0, pattern
        for alternative in retrieval.alternatives(pattern):
            assert re.compile(alternative).groups == 0 and not re.fullmatch(alternative, ""), alternative
            assert alternative not in seen, (alternative, word, seen.get(alternative))
            seen[alternative] = str(word)


def test_the_longest_english_term_is_read_whichever_entry_it_is_in():
    from assistant.understanding import retrieval

    assert retrieval.alternatives("a|b(?:c|d)|[|]x") == ["a", "b(?:c|d)", "[|]x"]
    assert retrieval._translated("vocational skills training")[0] == ["技能培训"]
    assert retrieval._translated("household register booklet and residence permit")[0] == ["户口本", "居住证"]
    assert retrieval._translated("join my husband")[0] == ["投靠", "老公"]


def test_facts_and_a_question_in_one_message_are_both_taken():
    text = "刚来苏州四个月，租房住，在厂里上班，想办居住证"
    result = turn(State(values={"target_area": "吴中区"}, as_of=AS_OF), msg(text, "faq", faq=unsure("residence_permit")))
    values = result.state.values
    assert values.get("residence_months") == 4 and values.get("employed_in_suzhou") is True, values
    said = responses(result)
    assert "utter_understood" in said and "utter_faq/residence_permit" in said and asked(result), said


def test_a_cue_reads_the_form_its_spec_names():
    """`form: normal` keeps punctuation ("园区？" asks); every cue's spec has known keys only (YAML reads a key
    `on` as the boolean true, which once left every cue reading the bare form)."""
    assert all(set(spec) <= {"match", "form", "words"} for spec in cues._data()["cues"].values())
    assert cues.cue("question").form == "normal" and cues.has("question", "园区？")
    assert not cues.has("question", "园区")

def test_yes_and_accepting_words_agree():
    for word in ("对", "好的", "是的", "可以"):
        assert cues.accepts(cues.Text.of(word)), word
    assert cues.answer_word("对") is True and cues.answer_word("好的") is None  # 好的 accepts an offer, states no fact


def test_the_retriever_confirms_an_unsure_selector_and_alone_only_offers_topics():
    from assistant.understanding import retrieval

    text = "居住证怎么办理"
    assert retrieval.topics(text, unsure("residence_permit"))[0][1] >= retrieval.calibration().sure
    alone = turn(State(as_of=AS_OF), msg(text, "faq"))   # no selector: "您是想问" with the topic first
    assert responses(alone)[0] == "utter_did_you_mean" and alone.state.offer.startswith("faq:residence_permit")


@pytest.mark.parametrize("text,field,value", [
    ("父母在老家", "parent_suzhou_family_hukou_with_home", False),
    ("孩子不是苏州户口", "child_suzhou_family_hukou_with_home", False),
    ("对方也是外地的", "spouse_suzhou_family_hukou", False),
])
def test_a_yes_no_reply_about_someone_else_is_read(text, field, value):
    state = State(values={"target_area": "苏州工业园区", "age": 58, "married": False}, as_of=AS_OF, asked=field,
                  asks={field: 1})
    assert turn(state, msg(text, "inform")).state.values[field] is value


@pytest.mark.parametrize("text", ["好难啊,太宽泛了", "那就好"])
def test_a_remark_is_no_yes_whatever_the_classifier_guesses(text):
    result = turn(PENDING["bool"], msg(text, "affirm", confidence=0.95))
    assert "retired" not in result.state.values and asked(result) == "retired", responses(result)


def test_a_short_yes_answers_the_question_and_changes_no_other_fact():
    state = State(values={"target_area": "苏州工业园区", "housing": "rental_registered", "married": True,
                          "spouse_suzhou_family_hukou": True}, as_of=AS_OF, asked="spouse_side_owns_home",
                  asks={"spouse_side_owns_home": 1})
    result = turn(state, msg("有房子", "affirm"))
    assert result.state.values["spouse_side_owns_home"] is True
    assert result.state.values["housing"] == "rental_registered" and "utter_corrected" not in responses(result)



@pytest.mark.parametrize("field,text,intent,stated,answer", [
    ("housing", "没退休呢", "deny", {"retired": False}, None),          # the 没 is the retiring's, not "no home"
    ("suzhou_college_graduate", "没结婚", "deny", {"married": False}, None),
    ("suzhou_college_graduate", "没结婚，不是", "deny", {"married": False}, False),   # the clause without a fact answers
    # "在…" begins a yes ("在交") only in a short clause: this one tells of work, not of the school
    ("suzhou_college_graduate", "在厂里干了三年多，一直交社保", "inform", {"social_insurance_active": True}, None),
])
def test_a_no_that_belongs_to_another_fact_does_not_answer_the_pending_question(field, text, intent, stated, answer):
    state = State(values={"target_area": "苏州工业园区", "age": 30}, as_of=AS_OF, asked=field, asks={field: 1})
    result = turn(state, msg(text, intent))
    assert {k: result.state.values.get(k) for k in stated} == stated
    assert result.state.values.get(field) is answer, result.state.values
    if answer is None:
        assert asked(result) == field, responses(result)



@pytest.mark.parametrize("text", ["租的房子", "租房住", "在园区租了个房子"])
def test_a_rental_with_no_word_of_its_registration_gets_the_housing_options_again(text):
    """"租的房子" to the housing question: registered or not decides, so the options come back at once, with
    buttons — no FAQ answer about renting, no fact guessed."""
    state = State(values={"target_area": "苏州工业园区", "age": 30}, as_of=AS_OF, asked="housing", asks={"housing": 1})
    result = turn(state, msg(text, "inform", faq=[("rental_settlement", 0.9)]))
    assert responses(result) == ["utter_partial_answer", "utter_ask_housing"], responses(result)
    assert "housing" not in result.state.values and asked(result) == "housing"
    options = [o["value"] for o in result.say[-1].payload["options"]]
    assert {"rental_registered", "rental_unregistered"} <= set(options)
    for reply, value in (("备案了", "rental_registered"), ("还没备案", "rental_unregistered")):
        assert turn(result.state, msg(reply, "inform")).state.values["housing"] == value, reply

def test_no_skill_certificate_is_an_answer_not_a_question():
    state = State(values={"target_area": "苏州工业园区", "age": 30, "education": "junior_high"}, as_of=AS_OF,
                  asked="skill_level", asks={"skill_level": 1})
    result = turn(state, msg("没有技能证书", "inform", faq=[("skilled_worker", 0.5)]))
    assert result.state.values["skill_level"] == "none" and not any(r.startswith("utter_faq") for r in responses(result))


@pytest.mark.parametrize("text", ["长沙居住证怎么办理", "杭州积分落户要多少分"])
def test_another_citys_rules_get_no_suzhou_answer_however_sure_the_selector(text):
    topic = "residence_permit" if "居住证" in text else "points_line"
    said = responses(turn(State(), msg(text, "faq", faq=[(topic, 0.99)])))
    assert not any(r.startswith("utter_faq/") for r in said), said
    # a Suzhou place in the question keeps it ours
    said = responses(turn(State(), msg(text.replace("长沙", "苏州").replace("杭州", "苏州"), "faq", faq=[(topic, 0.99)])))
    assert f"utter_faq/{topic}" in said, said

    # … nor an interview about settling in Suzhou
    said = responses(turn(State(), msg("外地嫁上海几年可以上户口", "out_of_scope", 0.5, faq=[("family_conditions", 0.3)])))
    assert "utter_ask_target_area" not in said and not any(r.startswith("utter_faq/") for r in said), said


@pytest.mark.parametrize("text,topic", [
    ("虎丘区为什么叫高新区", "districts"),                          # a why with no "not": a fact, not one's own case
    ("承包方全家迁入设区的市的，发包方为什么可以收回其承包地？", "land_rights"),
    ("积分落户怎么算积分", "points_basis"),                         # how points are counted, not one's own gap
    ("昆山是县级市还是地级市", "districts"),                         # "是…还是…" asks; 昆山 is no fact of one's own
])
def test_a_question_about_a_fact_is_answered_not_taken_for_ones_own_case(text, topic):
    result = turn(State(as_of=AS_OF), msg(text, "inform", faq=[(topic, 0.9), ("where_apply", 0.05)]))
    said = responses(result)
    assert said[0] == f"utter_faq/{topic}" and result.state.values == {}, said


@pytest.mark.parametrize("text,side", [("为什么不能积分落户", "why_not"), ("帮我算算积分", "points_gap")])
def test_ones_own_why_not_and_points_are_still_side_paths(text, side):
    state = State(values={"target_area": "苏州工业园区", "age": 30}, as_of=AS_OF)
    assert turn(state, msg(text, "inform", faq=[("points_basis", 0.5)])).branch == side

@pytest.mark.parametrize("text", ["这个要多久能办好？", "要多久？", "这个需要什么材料"])
def test_a_question_with_no_topic_of_its_own_asks_which_however_sure_the_selector(text):
    said = responses(turn(State(), msg(text, "faq", faq=[("hukou_transfer", 0.95), ("permit_time", 0.04)])))
    assert "utter_did_you_mean" in said and not any(r.startswith("utter_faq/") for r in said), said


@pytest.mark.parametrize("text,state", [
    ("我今年28，本科毕业，在园区上班，社保交了两年多了", State(as_of=AS_OF, asked="target_area", asks={"target_area": 1})),
    ("有的，租的房子备案了", HOUSING),
    ("對了，居住證怎麼辦理？", HOUSING),                    # traditional characters: one conversion
    ("那如果我再交半年社保呢？", HOUSING),
    ("38，大专", State(values={"target_area": "苏州工业园区"}, as_of=AS_OF, asked="age", also="education",
                      asks={"age": 1, "education": 1})),
    ("好麻烦啊", HOUSING),
])
def test_a_message_is_normalised_once_in_a_turn(monkeypatch, text, state):
    """Every reader of the turn (cues, facts, the reply, the retriever, the what-if) reads one `Text`: the
    message goes through parsing.normalize once, whatever it says (issue 21)."""
    from assistant.understanding import parsing

    message = msg(text, faq=unsure("residence_permit"))   # the NLU's entities, read before the turn
    turn(state, message)                                    # warm: the rule data and the retriever's phrasings
    seen: list[str] = []
    real = parsing._t2s
    monkeypatch.setattr(parsing, "_t2s", lambda s: seen.append(s) or real(s))
    turn(state, message)
    assert seen == [text]
