"""One turn of the conversation, decided in one place: `turn(state, message) -> Turn`.

The state decides first, the way a hotline officer listens: assistant/conversation/reading.py reads every part of the
message once (facts, the answer to the pending question, a question with its FAQ topics, a remark, a
command), and the turn decides from that reading alone, by the rows below in this order (`rows()` is this
table; tests/test_reading.py checks that the two agree). A question or a remark is never taken as an answer or a skip;
after a side path the pending question is asked again, with its ask payload. The engine decides eligibility,
the domain's responses speak; the action (actions/turn.py) only translates between Rasa and this function.

Decision table, first match wins (`pending` = a question is waiting for its answer):

| row         | the message                                               | pending | what happens                                |
|-------------|-----------------------------------------------------------|---------|---------------------------------------------|
| faq_choice  | a "您是想问" button chosen (clicked, its title typed, 都不是) | any     | that FAQ answer (or "none"), then resume    |
| restart     | "重新开始"                                                  | any     | everything forgotten, the first question    |
| handoff     | "转人工"                                                    | any     | the facts so far and 12345, flagged; resume |
| as_of       | "按2022-03-01的规则" and no fact                            | any     | the rules' date set; next question          |
| other_language | Latin letters, no Chinese, and no answer                | any     | a bilingual note with an example; resume;   |
|             |                                                           |         | a question the FAQ is sure of is answered   |
|             |                                                           |         | in Chinese after a bilingual word           |
| settle      | a settling question ("我想在园区落户需要什么条件"), unless  | no      | the area taken, one line of overview, the   |
|             | the FAQ is sure of another topic or the hukou moves out   |         | interview                                   |
| place       | a policy question about one place ("太仓落户政策")           | any     | what holds there (rule data in force), the  |
|             |                                                           |         | offer to check one's case; resume           |
| answer      | answers the pending question, or states facts of one's    | any     | facts taken (corrections said back); a      |
|             | own case (a question in it is answered too)               |         | question in it answered; next question      |
| partial     | names the kind of option, not which ("租的房子")            | yes     | the options again, with buttons             |
| skip        | "跳过" / "不知道"                                             | yes     | the field skipped, said once; next question |
| continue    | "继续" (or yes to the offer to go on)                       | no      | the interview goes on for every channel     |
| start       | yes to the offer to check one's own case                  | no      | the interview starts                        |
| why_ask     | "为什么要问这个"                                              | any     | the channels the question decides; resume   |
| what_if     | "如果我再交半年社保呢"                                        | any     | the engine on changed facts, not stored     |
| why_not     | "为什么不能积分落户"                                          | any     | that channel's unmet and unknown conditions |
| points_gap  | "我差多少分"                                                 | any     | the known points against the line           |
| remark      | a remark alone ("好麻烦啊", "等一下", "你是机器人吗")          | any     | a short acknowledgement; resume             |
| question    | any other question (or a statement close to an FAQ phrasing) | any  | the FAQ answer when sure; "您是想问…" with  |
|             |                                                           |         | buttons when unsure; out of scope only when |
|             |                                                           |         | neither the selector nor the retriever finds|
|             |                                                           |         | a topic; resume                             |
| greet       | a greeting                                                | any     | the greeting and the (pending or first)     |
|             |                                                           |         | question                                    |
| thanks      | thanks / goodbye                                          | any     | a polite reply; resume                      |
| unreadable  | anything else                                             | yes     | 1st "没理解" + the question; 2nd the form    |
|             |                                                           |         | with the options; 3rd skip, said once       |
| default     | anything else                                             | no      | what the assistant can do, with an example  |

A question is asked at most MAX_ASKS times: a fourth ask skips the field instead, so the interview always
ends; after a side path a question already asked MAX_ASKS times is not asked again, a short reminder says
it is still open. A what-if never stores its hypothetical facts.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from assistant.conversation import dialogue
from assistant.conversation.asking import _next, _resume, _skip
from assistant.conversation.dialogue import MODE_FULL
from assistant.conversation.explain import (
    explain_place,
)
from assistant.conversation.reading import INTENT_SURE, Reading, read
from assistant.conversation.side_paths import (
    _channel_in,
    _faq_answer,
    _points_gap,
    _question,
    _what_if,
    _why_ask,
    _why_not,
)
from assistant.conversation.state import MAX_ASKS, Message, State, Turn, _Builder
from assistant.conversation.state import SKIPS_TO_PAUSE as SKIPS_TO_PAUSE  # the tests read it here
from assistant.policy.profile import FIELD_SPECS
from assistant.policy.rules import rule_data
from assistant.stores.privacy import ID_CARD_METADATA
from assistant.understanding import cues, retrieval

# --- the turn ------------------------------------------------------------------------------------------

Test = Callable[[Reading, State], bool]
Handler = Callable[[_Builder, Reading, Message], "Turn | None"]


def _settles(r: Reading, st: State) -> bool:
    return not r.pending and not st.answered and _settling(r, r.question)


@functools.cache
def rows() -> list[tuple[str, Test, Handler]]:
    """The decision table of the module's docstring, in its order: (row, test, handler)."""
    return [
        ("faq_choice", lambda r, st: r.choice is not None, _row_choice),
        ("restart", lambda r, st: r.command == "restart", lambda b, r, m: _restart(b)),
        ("handoff", lambda r, st: r.command == "handoff", _row_handoff),
        ("as_of", lambda r, st: bool(r.facts.as_of) and r.facts.as_of != st.as_of and not r.facts.facts, _row_as_of),
        ("other_language", lambda r, st: r.foreign and not r.answers and not (r.offer and cues.accepts(r.text)),
         _row_foreign),
        ("settle", _settles, lambda b, r, m: _start_interview(b, r)),
        ("place", lambda r, st: r.place is not None and not r.first_person
         and (not r.answers or r.pending == "target_area"), _row_place),
        ("answer", lambda r, st: r.answers or r.own_case or bool(r.facts.errors), _take),
        ("partial", lambda r, st: r.partial and not r.answers, _row_partial),
        ("skip", lambda r, st: r.skip, _row_skip),
        ("continue", lambda r, st: not r.pending and _continues(r, st), _row_continue),
        ("start", lambda r, st: not r.pending and r.offer == "check" and (
            cues.accepts(r.text) or r.intent in ("affirm", "want_settle")), lambda b, r, m: _next(b, "start")),
        ("why_ask", lambda r, st: r.side == "why_ask", _row_side(lambda b, r, m: _why_ask(b))),
        ("what_if", lambda r, st: r.side == "what_if", _row_side(lambda b, r, m: _what_if(b, r.text))),
        ("why_not", lambda r, st: r.side == "why_not", _row_side(lambda b, r, m: _why_not(b, m))),
        ("points_gap", lambda r, st: r.side == "points_gap", _row_side(lambda b, r, m: _points_gap(b))),
        ("remark", lambda r, st: r.remark is not None, _row_remark),
        ("question", lambda r, st: r.question or (r.sure_topic() is not None and r.sure_topic() == r.phrased
                                                  and not r.facts.facts) or (
            not r.pending and r.intent in ("faq", "out_of_scope", "bot_challenge") and r.confidence >= INTENT_SURE),
         _row_question),
        ("greet", lambda r, st: r.greeting and not r.facts.facts, _row_greet),
        ("thanks", lambda r, st: r.thanks is not None, _row_thanks),
        ("unreadable", lambda r, st: r.pending is not None, lambda b, r, m: _unreadable(b, r.pending or "")),
        ("default", lambda r, st: True, _row_default),
    ]



def turn(state: State, msg: Message) -> Turn:
    """Decides one turn: what to say and how the state changes (the decision table above)."""
    b = _Builder(state)
    reading = read(state, msg)
    b.state.offer = None
    reading.facts.facts = {**_id_card(b, msg), **reading.facts.facts}
    # "不对，我是大专" (the education known was another): a correction of that fact, not a "no" to the pending
    # question; "不是，孩子不是苏州户口" changes nothing known and answers it.
    corrected = [k for k, v in reading.facts.facts.items()
                 if k not in (reading.pending, reading.also) and k in state.values and state.values[k] != v]
    if reading.pending in reading.facts.contextual and cues.has("correction", reading.text) and corrected:
        del reading.facts.facts[reading.pending]
        reading.facts.facts.pop(reading.also or "", None)
    for _row, test, handler in rows():
        if test(reading, state):
            decided = handler(b, reading, msg)
            if decided is not None:
                return decided
    raise AssertionError("the last row matches every message")  # pragma: no cover


def _continues(r: Reading, st: State) -> bool:
    return r.command == "continue" or (r.offer == "continue" and cues.accepts(r.text)) or (
        r.intent == "continue_interview" and r.confidence >= INTENT_SURE and st.answered and not r.question)


def _row_choice(b: _Builder, r: Reading, msg: Message) -> Turn:
    _faq_answer(b, r.choice or "none")
    return _resume(b, "faq_choice")


def _row_handoff(b: _Builder, r: Reading, msg: Message) -> Turn:
    _handoff(b)
    return _resume(b, "handoff")


def _row_as_of(b: _Builder, r: Reading, msg: Message) -> Turn | None:
    return _next(b, "as_of") if _set_as_of(b, r.facts.as_of or "") else None


def _row_foreign(b: _Builder, r: Reading, msg: Message) -> Turn:
    topic = r.sure_topic()
    if topic:   # "How long is a residence permit valid?": the answer, in Chinese, said to be so in both languages
        b.utter("utter_answer_in_chinese")
        _faq_answer(b, topic)
        return _resume(b, "other_language")
    b.utter("utter_chinese_only")
    return _count_failure(b, r.pending) if r.pending else b.done("other_language")


def _row_place(b: _Builder, r: Reading, msg: Message) -> Turn:
    st = b.state
    area = r.place or ""
    result = dialogue.plan({"target_area": area}, st.as_of, (), MODE_FULL).assessment
    b.text(explain_place(result, _channel_in(msg)), payload={"type": "place", "area": area})
    if st.asked == "target_area":      # the area question is answered by the place asked about
        st.values["target_area"] = area
        return _next(b, "place")
    if not st.answered and st.asked is None:
        b.utter("utter_offer_check")
        st.offer = "check"
        if "target_area" not in st.values:
            st.values["target_area"] = area
    return _resume(b, "place")


def _row_skip(b: _Builder, r: Reading, msg: Message) -> Turn:
    _skip(b, r.pending or "")
    if r.also:  # "不知道" to a paired question skips both
        _skip(b, r.also, say=False)
    return _next(b, "skip")


def _row_continue(b: _Builder, r: Reading, msg: Message) -> Turn:
    b.state.mode = MODE_FULL
    return _next(b, "continue")


def _row_side(ask: Callable[[_Builder, Reading, Message], None]) -> Handler:
    def handler(b: _Builder, r: Reading, msg: Message) -> Turn:
        ask(b, r, msg)
        return _resume(b, r.side or "side")
    return handler


def _row_remark(b: _Builder, r: Reading, msg: Message) -> Turn:
    b.utter(f"utter_remark_{r.remark}")
    return _resume(b, "remark") if b.state.asked or b.state.answered else _next(b, "remark")


def _row_question(b: _Builder, r: Reading, msg: Message) -> Turn:
    if _question(b, r) == "asked_back":  # "您是想问…": a button, or an answer to the pending question
        return _resume(b, "did_you_mean")
    return _resume(b, "question")


def _row_partial(b: _Builder, r: Reading, msg: Message) -> Turn:
    b.utter("utter_partial_answer")
    return _resume(b, "partial", remind=False)


def _row_greet(b: _Builder, r: Reading, msg: Message) -> Turn:
    if r.pending or b.state.answered:
        return _resume(b, "greet")
    b.utter("utter_greet")
    return _next(b, "greet")


def _row_thanks(b: _Builder, r: Reading, msg: Message) -> Turn:
    b.utter("utter_thanks" if r.thanks == "thanks" else "utter_goodbye")
    return _resume(b, "thanks")


def _row_default(b: _Builder, r: Reading, msg: Message) -> Turn:
    b.utter("utter_default")
    return b.done("default")


# --- the rows ---------------------------------------------------------------------------------------------

def _restart(b: _Builder) -> Turn:
    b.restart = True
    b.state = State()
    b.utter("utter_restarted")
    return _next(b, "restart")


def _handoff(b: _Builder) -> None:
    summary = dialogue.describe(b.state.values) if b.state.values else ""
    b.utter("utter_handoff", summary=summary)
    if not summary:
        b.utter("utter_handoff_nothing_known")
    b.state.handoff = True


def _set_as_of(b: _Builder, as_of: str) -> bool:
    problems = dialogue.check({}, as_of)
    if problems:
        b.utter("utter_invalid", errors="；".join(problems))
        return False
    b.state.as_of = as_of
    b.utter("utter_as_of", as_of=as_of)
    return True


def _id_card(b: _Builder, msg: Message) -> dict[str, Any]:
    """Age and sex the channel read from an ID number (the number itself never reaches here), said once."""
    card = (msg.metadata or {}).get(ID_CARD_METADATA)
    if not isinstance(card, dict):
        return {}
    facts = {k: card[k] for k in ("age", "sex") if card.get(k) is not None}
    if facts:
        b.utter("utter_id_card_used", facts=dialogue.describe(facts))
        b.said_back.update(facts)
    return facts


def _take(b: _Builder, reading: Reading, msg: Message) -> Turn:
    """Row answer: the facts of the message, checked together with what is known; a question asked in the
    same message ("刚来苏州四个月，租房住，想办居住证") is answered too, then the next question."""
    st = b.state
    pending, answers = reading.pending, reading.answers
    facts = dict(reading.facts.facts)
    # An area named in passing ("居住证是在昆山办的") does not move the settlement target: only a message
    # about settling (or the answer to the area question) does.
    if "target_area" in facts and st.values.get("target_area") and pending != "target_area" \
            and facts["target_area"] != st.values["target_area"] and not cues.has("settle", reading.text):
        facts.pop("target_area")
    errors = list(reading.facts.errors)
    if facts:
        errors += dialogue.check({**st.values, **facts}, st.as_of)
    if errors:
        b.utter("utter_invalid", errors="；".join(errors))
        return _count_failure(b, pending) if pending else _next(b, "invalid")
    changed = {k: v for k, v in facts.items() if k in st.values and st.values[k] != v}
    new = {k: v for k, v in facts.items() if k not in st.values}
    st.values.update(facts)
    st.skipped = [f for f in st.skipped if f not in facts]
    if reading.facts.age_range and "age" not in st.values:
        st.age_range = reading.facts.age_range
    if "age" in facts:
        st.age_range = None
    if changed:
        b.utter("utter_corrected", facts=dialogue.describe(changed))
    new = {k: v for k, v in new.items() if k not in b.said_back}
    if len(new) > 1 or (new and pending not in new):
        b.utter("utter_understood", facts=dialogue.describe(new))
    topic = reading.sure_topic() if (reading.question or cues.has("want", reading.text)) else None
    if topic and not reading.side and not _settling(reading, reading.question):
        _faq_answer(b, topic)
    if reading.facts.split:  # a yes to a paired yes/no question: each of the two is asked alone
        st.also = None
    if reading.partial and not answers:   # "社保交了两年，租的房子": the housing options again
        b.utter("utter_partial_answer")
    if answers:
        st.failed = 0
        return _next(b, "answer")
    return _next(b, "facts") if not pending else _resume(b, "facts")


def _count_failure(b: _Builder, pending: str) -> Turn:
    st = b.state
    st.failed += 1
    st.also = None  # a paired question not understood: its first field is asked alone
    if st.failed >= MAX_ASKS:
        b.utter("utter_skipped_unclear")
        _skip(b, pending, say=False)
        return _next(b, "unreadable_skip")
    return _resume(b, "unreadable", remind=False)


def _unreadable(b: _Builder, pending: str) -> Turn:
    """Row 17: the first time "没理解", the second the expected form with the options, the third a skip."""
    st = b.state
    if st.failed + 1 < MAX_ASKS:
        if st.failed + 1 == 1:
            b.utter("utter_not_understood")
        else:
            b.utter(_HELP.get(FIELD_SPECS[pending][0], "utter_help_number"))
    return _count_failure(b, pending)


_HELP = {"bool": "utter_help_bool", "enum": "utter_help_choice", "area": "utter_help_choice"}


def _settling(r: Reading, question: bool) -> bool:
    """"我想在园区落户，需要什么条件": a question about settling oneself (first person or no topic named),
    not a policy question that names a channel ("人才落户要什么条件") or a topic of its own."""
    if r.intent == "want_settle" and r.confidence >= INTENT_SURE:
        return True
    text = r.text
    if not (cues.has("settle", text) and cues.has("want", text)) or len(text.normal) > 40 or cues.has("leave", text) \
            or retrieval.elsewhere(text):   # "外地嫁上海几年可以上户口": another city's rules
        return False
    named = any(w in text.normal for words in cues.words("channel_words").values() for w in words)
    # A topic the FAQ is sure of answers the message, unless it is one a resident asking about their own
    # settling ("我想落户要什么条件") is taken for: that asks for the interview.
    topic = r.sure_topic()
    return not named and (topic is None or (topic in _SETTLE_TOPICS and r.first_person))


# FAQ topics a bare "我想落户需要什么条件" may be mistaken for: the interview answers it better.
_SETTLE_TOPICS = {"county_open", "documents", "where_apply", "talent_conditions", "points_conditions", "districts"}


def _start_interview(b: _Builder, reading: Reading) -> Turn:
    """Row settle: the area the message names, a line of overview, the first question."""
    facts = {k: v for k, v in reading.facts.facts.items() if k not in b.state.values}
    b.state.values.update(facts)
    area = b.state.values.get("target_area")
    b.utter("utter_overview", area=area or rule_data().messages["dialogue"]["suzhou"])
    others = {k: v for k, v in facts.items() if k != "target_area" and k not in b.said_back}
    if others:  # "我30岁，硕士，想在园区落户": the area is in the overview, the rest said back
        b.utter("utter_understood", facts=dialogue.describe(others))
    return _next(b, "settle")
