"""One turn of the conversation, decided in one place: `turn(state, message) -> Turn`.

The state decides first, the way a hotline officer listens: when a question is pending, the message is
first read as its answer; only a message that is clearly a question (and not an answer) goes to the FAQ,
why-not, what-if or handoff paths, each of which then resumes the pending question. The classifier's
intent is a hint, never the judge of a reply. The action (actions/turn.py) only translates between Rasa
and this function; the engine decides eligibility, the domain's responses speak.

Decision table, first match wins (`pending` = a question is waiting for its answer):

| # | the message                                         | pending | what happens                                       |
|---|-----------------------------------------------------|---------|----------------------------------------------------|
| 1 | a choice of a disambiguation button (faq_topic),    | any     | that FAQ answer (or "none of these"), then resume  |
|   | clicked, or its title or "都不是" typed             |         |                                                    |
| 2 | a restart command ("重新开始")                        | any     | everything forgotten, the first question           |
| 3 | a handoff command ("转人工")                          | any     | the facts so far and 12345, flagged; resume        |
| 4 | answers the pending question (also among other facts)| yes     | facts taken (corrections said), next question      |
| 5 | states other facts, and is not a question           | any     | facts taken and said back; next (or resume)        |
| 6 | "跳过" / "不知道"                                       | yes     | the field is skipped, said so; next question (the  |
|   |                                                     |         | answer so far after SKIPS_TO_PAUSE in a row)       |
| 7 | "继续" (or yes to the offer to go on)                 | no      | the interview goes on for every channel            |
| 8 | yes to the offer to check one's own case            | no      | the interview starts                               |
| 9 | a settling question ("我想在园区落户需要什么条件")      | no      | the area taken, one line of overview, interview    |
|   | (unless the FAQ selector is sure of another topic,  |         |                                                    |
|   | or the hukou moves out: "迁回老家")                 |         |                                                    |
|10 | "为什么要问这个" / a what-if question                  | any     | the channels the question decides / the engine     |
|   | ("如果我再交半年社保呢")                              |         | re-run on the changed facts, not stored            |
|11 | a why-not question ("为什么不能积分落户")              | any     | that channel's unmet and unknown conditions        |
|12 | "我差多少分"                                           | any     | the known points against the line                  |
|13 | any other question                                  | any     | the FAQ answer if the selector is sure; else       |
|   |                                                     |         | "您是想问…？" with the likeliest topics as buttons   |
|   |                                                     |         | and the pending question again                     |
|14 | Latin letters and no Chinese (and not an answer)    | any     | a short bilingual note with an example; resume     |
|15 | a greeting                                          | any     | the greeting and the (pending or first) question   |
|16 | thanks / goodbye                                    | no      | a polite reply                                     |
|17 | anything else                                       | yes     | unreadable: 1st "没理解" + the question; 2nd the   |
|   |                                                     |         | expected form with the options; 3rd skip, say so   |
|18 | anything else                                       | no      | what the assistant can do, with an example         |

A question is asked at most MAX_ASKS times: a fourth ask skips the field instead, so the interview always
ends. A what-if never stores its hypothetical facts.
"""
from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any

from . import dialogue, faq
from .dialogue import MODE_DECIDE, MODE_FULL, Reading
from .explain import explain, explain_change, explain_channel, explain_points
from .parsing import normalize
from .privacy import ID_CARD_METADATA, hide_masks
from .profile import FIELD_SPECS
from .rules import CHANNEL_IDS, policy

MAX_ASKS = 3
SKIPS_TO_PAUSE = 5     # this many new questions in a row answered "不知道": the answer so far, and the offer to go on
FAQ_SURE = 0.6         # the top FAQ topic is answered when at least this confident …
FAQ_MARGIN = 0.25      # … and this far ahead of the second; otherwise the assistant asks which one
FAQ_CANDIDATE = 0.08   # a topic offered in "您是想问" needs at least this much
INTENT_SURE = 0.7      # a follow-up intent (why-not, what-if, points) the classifier is sure of

# --- what the state and a message are -----------------------------------------------------------------


@dataclass
class State:
    """What the conversation remembers between turns (the Rasa slots, typed)."""

    values: dict[str, Any] = field(default_factory=dict)   # known profile facts (contract values)
    as_of: str | None = None
    asked: str | None = None                # the field of the pending question
    also: str | None = None                 # its second field, when it asks two at once ("您今年多大，最高学历是？")
    asks: dict[str, int] = field(default_factory=dict)      # times each field has been asked
    failed: int = 0                         # unreadable replies to the pending question
    skipped: list[str] = field(default_factory=list)
    mode: str = MODE_DECIDE                 # decide: stop once the outcome is clear; full: every channel
    answered: bool = False                  # an assessment has been given
    age_range: list[int] | None = None      # 周岁 known only as a range ("四十多岁")
    offer: str | None = None                # "check" (own case), "continue", or "faq:a,b" (the topics offered
                                            # by "您是想问…"), offered last turn
    handoff: bool = False
    last_assessment: dict | None = None


@dataclass
class Message:
    """One message as the NLU pipeline read it."""

    text: str
    intent: str | None = None
    confidence: float = 0.0
    entities: list[dict] = field(default_factory=list)
    faq: list[tuple[str, float]] = field(default_factory=list)   # (topic, confidence), best first
    metadata: dict = field(default_factory=dict)


@dataclass
class Say:
    """One bot message: a domain response (filled with `values`) or a ready text, with a custom payload."""

    response: str | None = None
    text: str | None = None
    payload: dict | None = None
    buttons: list[dict] | None = None
    values: dict = field(default_factory=dict)


@dataclass
class Turn:
    say: list[Say]
    state: State
    restart: bool = False       # forget the whole conversation before applying `state`
    branch: str = ""            # which row of the decision table decided (for tests and logs)


# --- reading the message -----------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
# Interrogative form (docs/readings.md §9): a question, not an answer.
_QUESTION = re.compile(r"[?？]|吗|呢|么$|怎么|怎样|如何|什么|啥|多少|多久|多长|多大|哪|几[年个月天岁种]|能不能|可不可以|"
                       r"是不是|有没有|要不要|会不会|行不行|是否|能否|可否|为何|为什么|咋")
_RESTART = re.compile(r"^(?:请|帮我)?(?:重新开始|重来|从头(?:开始|再来)|重新评估|清空(?:信息|重来)?)(?:吧|一下|一遍)?$")
_HANDOFF = re.compile(r"转人工|人工客服|人工服务|找人工|真人客服|接人工|转接人工|人工坐席|人工咨询|要人工|^人工$")
_CORRECTION = re.compile(r"^(?:不对|不是|错了|说错了|搞错了|更正|纠正|改一下)")
_FIRST_PERSON = re.compile(r"我|本人|俺|咱")
_GREETING = re.compile(r"^(?:你好|您好|哈喽|嗨|在吗|在不在|有人吗|早上好|下午好|晚上好|早|hi|hello|hey)[啊呀哈吗]*")
_THANKS = re.compile(r"谢|感谢|多谢|thank|thx")
_GOODBYE = re.compile(r"再见|拜拜|回头见|bye")
_CONTINUE = re.compile(r"^(?:继续|接着|接着问|继续问|继续吧|其他渠道|看看其他渠道|还有呢|然后呢|全部看看)$")
_YES = re.compile(r"^(?:好|好的|好啊|好呀|行|可以|嗯|嗯嗯|是|是的|要|要的|需要|ok|okay|yes|开始|来吧|看看|帮我看看)$")
_SETTLE = re.compile(r"落户|迁户口|户口迁|办户口|上户口|入户|户口落|落在|落到|想落|settle")
_WANT = re.compile(r"想|要|能|可以|怎么|怎样|如何|条件|需要|办|行不行|吗")
_WHAT_IF = re.compile(r"如果|要是|假如|假设|万一|再交|再缴|再住|再过|的话")
_WHY_NOT = re.compile(r"为什么|为啥|怎么(?:就)?不|凭什么")
_WHY_ASK = re.compile(r"为什么要?问|为啥要?问|问这个(?:干嘛|干什么|做什么|有什么用)|跟这个有什么关系|这个有关系吗")
_POINTS_GAP = re.compile(r"差多少分|还差几分|差几分|多少分了|我.{0,4}(?:积分|分数).{0,4}多少|算.{0,3}(?:积分|分)")
_SIDE_INTENTS = {"why_not", "what_if", "ask_points_gap"}


def _bare(text: str) -> str:
    return re.sub(r"[\s，。！？、,.!?;；:：~～…\"'“”‘’（）()]+", "", normalize(text or "")).lower()


def is_question(text: str) -> bool:
    """Interrogative form: the resident is asking, not answering."""
    return bool(_QUESTION.search(normalize(text or "")))


def _has_chinese(text: str) -> bool:
    return bool(_CJK.search(text or ""))


def _is_payload(text: str) -> bool:
    return (text or "").startswith("/")


def _faq_choice(msg: Message) -> str | None:
    """The topic of a clicked "您是想问…" button; a payload typed with an unknown topic is no choice (it has no
    answer to send)."""
    topics = policy().messages["faq_topics"]
    choice = next((str(e.get("value")) for e in msg.entities if e.get("entity") == "faq_topic"), None)
    return choice if choice == "none" or choice in topics else None


_NONE_OF_THESE = re.compile(r"^(?:都不是|都不对|都不是的|不是这些|都没有|以上都不是)$")


def _typed_choice(offer: str | None, bare: str) -> str | None:
    """A button of "您是想问…" typed instead of clicked: its title, or "都不是" (never read as an answer)."""
    if not offer or not offer.startswith("faq:"):
        return None
    if _NONE_OF_THESE.match(bare):
        return "none"
    titles = policy().messages["faq_topics"]
    return next((t for t in offer[4:].split(",") if t and _bare(titles.get(t, t)) == bare), None)


# --- the turn ------------------------------------------------------------------------------------------

class _Builder:
    """Accumulates what one turn says and how the state changes."""

    def __init__(self, state: State) -> None:
        self.state = dataclasses.replace(state, values=dict(state.values), asks=dict(state.asks),
                                         skipped=list(state.skipped))
        self.say: list[Say] = []
        self.restart = False
        self.said_back: set[str] = set()    # facts already said back this turn (the ID card's age and sex)

    def utter(self, response: str, payload: dict | None = None, **values: Any) -> None:
        self.say.append(Say(response=response, payload=payload, values=dict(values)))

    def text(self, text: str, payload: dict | None = None) -> None:
        self.say.append(Say(text=text, payload=payload))

    def done(self, branch: str) -> Turn:
        return Turn(self.say, self.state, self.restart, branch)


def turn(state: State, msg: Message) -> Turn:
    """Decides one turn: what to say and how the state changes (the decision table above)."""
    b = _Builder(state)
    st = b.state
    text = msg.text or ""
    bare = _bare(text)
    pending = st.asked
    offer, st.offer = st.offer, None
    payload = _is_payload(text)
    chinese = _has_chinese(text)
    foreign = not chinese and not payload and bool(_LATIN.search(text))

    choice = _faq_choice(msg) or _typed_choice(offer, bare)
    if choice is not None:                                                            # 1
        _faq_answer(b, choice)
        return _resume(b, "faq_choice")
    if chinese and _RESTART.match(bare):                                              # 2
        return _restart(b)
    if chinese and _HANDOFF.search(bare):                                             # 3
        _handoff(b)
        return _resume(b, "handoff")

    # A masked personal number ("3205**********1234") is never read as a fact (the channel masked it).
    reading = dialogue.read_message(hide_masks(text), msg.intent,
                                    [e for e in msg.entities if "*" not in str(e.get("value"))], pending)
    reading.facts = {**_id_card(b, msg), **reading.facts}
    # "不对，我是大专": a correction of another fact, not a "no" to the pending question.
    if pending in reading.contextual and _CORRECTION.match(normalize(text)) and len(reading.facts) > 1:
        del reading.facts[pending]
    question = is_question(text) and not payload
    answers_pending = pending is not None and (
        pending in reading.facts or st.also in reading.facts or (pending == "age" and reading.age_range is not None))
    if reading.as_of and reading.as_of != st.as_of and _set_as_of(b, reading.as_of) and not reading.facts:
        return _next(b, "as_of")
    if not pending and not st.answered and _settling(text, msg, question):            # 9
        return _start_interview(b, reading)
    own_case = bool(reading.facts) and (not question or bool(_FIRST_PERSON.search(text)))
    if answers_pending or own_case or reading.errors:                                 # 4, 5
        return _take(b, reading, msg, pending, answers_pending)
    if pending and dialogue.is_skip(text):                                                 # 6
        _skip(b, pending)
        if st.also:  # "不知道" to a paired question skips both
            _skip(b, st.also, said=False)
        return _next(b, "skip")
    if not pending and (_CONTINUE.match(bare) or (offer == "continue" and _YES.match(bare))
                        or (msg.intent == "continue_interview" and msg.confidence >= INTENT_SURE
                            and st.answered and not question)):                       # 7
        st.mode = MODE_FULL
        return _next(b, "continue")
    if not pending and offer == "check" and (_YES.match(bare) or msg.intent in ("affirm", "want_settle")):  # 8
        return _next(b, "start")
    if foreign:                                                                       # 14
        b.utter("utter_chinese_only")
        return _count_failure(b, pending) if pending else b.done("other_language")
    side = _side_path(text, msg, question, pending is not None)
    if side is not None:                                                              # 10–13
        if side(b, msg) == "asked_back":  # "您是想问…": a button, or an answer to the pending question
            return _resume(b, "did_you_mean")
        return _resume(b, side.__name__.lstrip("_"))
    if _GREETING.search(bare) and not reading.facts:                                  # 15
        if pending or st.answered:
            return _resume(b, "greet")
        b.utter("utter_greet")
        return _next(b, "greet")
    if _THANKS.search(bare) or _GOODBYE.search(bare):                                 # 16
        b.utter("utter_thanks" if _THANKS.search(bare) else "utter_goodbye")
        return _resume(b, "thanks")
    if pending:                                                                       # 17
        return _unreadable(b, pending)
    b.utter("utter_default")                                                          # 18
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


def _take(b: _Builder, reading: Reading, msg: Message, pending: str | None, answers: bool) -> Turn:
    """Rows 4 and 5: the facts of the message, checked together with what is known."""
    st = b.state
    facts = dict(reading.facts)
    # An area named in passing ("居住证是在昆山办的") does not move the settlement target: only a message
    # about settling (or the answer to the area question) does.
    if "target_area" in facts and st.values.get("target_area") and pending != "target_area" \
            and facts["target_area"] != st.values["target_area"] and not _SETTLE.search(msg.text or ""):
        facts.pop("target_area")
    errors = list(reading.errors)
    if facts:
        errors += dialogue.check({**st.values, **facts}, st.as_of)
    if errors:
        b.utter("utter_invalid", errors="；".join(errors))
        return _count_failure(b, pending) if pending else _next(b, "invalid")
    changed = {k: v for k, v in facts.items() if k in st.values and st.values[k] != v}
    new = {k: v for k, v in facts.items() if k not in st.values}
    st.values.update(facts)
    st.skipped = [f for f in st.skipped if f not in facts]
    if reading.age_range and "age" not in st.values:
        st.age_range = reading.age_range
    if "age" in facts:
        st.age_range = None
    if changed:
        b.utter("utter_corrected", facts=dialogue.describe(changed))
    new = {k: v for k, v in new.items() if k not in b.said_back}
    if len(new) > 1 or (new and pending not in new):
        b.utter("utter_understood", facts=dialogue.describe(new))
    if answers:
        st.failed = 0
        return _next(b, "answer")
    return _next(b, "facts") if not pending else _resume(b, "facts")


def _skip(b: _Builder, field_name: str, said: bool = True) -> None:
    st = b.state
    if field_name not in st.skipped:
        st.skipped.append(field_name)
    st.failed = 0
    if said:
        b.utter("utter_skipped")


def _count_failure(b: _Builder, pending: str) -> Turn:
    st = b.state
    st.failed += 1
    if st.failed >= MAX_ASKS:
        b.utter("utter_skipped_unclear")
        _skip(b, pending)
        if st.also:
            _skip(b, st.also, said=False)
        return _next(b, "unreadable_skip")
    return _resume(b, "unreadable")


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


def _settling(text: str, msg: Message, question: bool) -> bool:
    """"我想在园区落户，需要什么条件": a question about settling oneself (first person or no topic named),
    not a policy question that names a channel ("人才落户要什么条件") or a topic of its own."""
    if msg.intent == "want_settle" and msg.confidence >= INTENT_SURE:
        return True
    norm = normalize(text)
    if not (_SETTLE.search(norm) and _WANT.search(norm)) or len(norm) > 40 or _LEAVE.search(norm):
        return False
    named = any(w in norm for words in policy().messages["channel_words"].values() for w in words)
    # A topic the FAQ selector is sure of answers the message, unless it is one a resident asking about their
    # own settling ("我想落户要什么条件") is taken for: that asks for the interview.
    topic = bool(msg.faq) and msg.faq[0][1] >= FAQ_SURE and (
        msg.faq[0][0] not in _SETTLE_TOPICS or not _FIRST_PERSON.search(norm))
    return not named and not topic


# Moving a hukou out of Suzhou or back home ("毕业了还能迁回老家吗") is no question about settling here.
_LEAVE = re.compile(r"迁回|迁出|迁走|回迁|迁到外地|转回")
# FAQ topics a bare "我想落户需要什么条件" may be mistaken for: the interview answers it better.
_SETTLE_TOPICS = {"county_open", "documents", "where_apply", "talent_conditions", "points_conditions", "districts"}


def _start_interview(b: _Builder, reading: Reading) -> Turn:
    """Row 9: the area the message names, a line of overview, the first question."""
    facts = {k: v for k, v in reading.facts.items() if k not in b.state.values}
    b.state.values.update(facts)
    area = b.state.values.get("target_area")
    b.utter("utter_overview", area=area or policy().messages["dialogue"]["suzhou"])
    others = {k: v for k, v in facts.items() if k != "target_area" and k not in b.said_back}
    if others:  # "我30岁，硕士，想在园区落户": the area is in the overview, the rest said back
        b.utter("utter_understood", facts=dialogue.describe(others))
    return _next(b, "settle")


# --- side paths: answered, then the interview resumes ------------------------------------------------------

def _side_path(text: str, msg: Message, question: bool, pending: bool):
    """Rows 10–13: which question this is, or None when it is no question. While a question is pending, only
    the interrogative form counts: a statement the classifier takes for a topic is no question."""
    norm = normalize(text)
    sure = msg.confidence >= INTENT_SURE
    if _WHY_ASK.search(norm):
        return _why_ask
    what_if = (msg.intent == "what_if" and sure) or (question and _WHAT_IF.search(norm))
    if what_if and dialogue.read_hypothesis(text).facts:
        return _what_if
    if (msg.intent == "why_not" and sure) or (question and _WHY_NOT.search(norm)):
        return _why_not
    if (msg.intent == "ask_points_gap" and sure) or _POINTS_GAP.search(norm):
        return _points_gap
    if question or (not pending and msg.intent in ("faq", "out_of_scope", "bot_challenge") and sure):
        return _question
    return None


def _plan(st: State) -> dialogue.Plan:
    return dialogue.plan(st.values, st.as_of, st.skipped, st.mode, st.age_range)


def _assessment(st: State) -> dict:
    return _plan(st).assessment


def _what_if(b: _Builder, msg: Message) -> None:
    """Row 10: the engine on the changed facts; nothing is stored."""
    st = b.state
    reading = dialogue.read_hypothesis(msg.text)
    changes = dict(reading.facts)
    if re.search(r"再|多|还|又|继续", msg.text or ""):  # "再交半年": months on top of what is known
        for name in list(changes):
            if name in dialogue.MONTH_FIELDS:
                base = st.values.get(name)
                if base is None and name == "social_insurance_months":  # at least the months at this employer
                    base = st.values.get("social_insurance_consecutive_months")
                changes[name] += base or 0
                if name == "social_insurance_months" and "social_insurance_consecutive_months" in st.values \
                        and "social_insurance_consecutive_months" not in reading.facts:
                    changes["social_insurance_consecutive_months"] = \
                        st.values["social_insurance_consecutive_months"] + reading.facts[name]
    if not changes or dialogue.check({**st.values, **changes}, st.as_of):
        b.utter("utter_what_if_unclear")
        return
    before = _assessment(st)
    after = dialogue.plan({**st.values, **changes}, st.as_of, st.skipped, st.mode, st.age_range).assessment
    b.text(explain_change(before, after, dialogue.describe(changes)),
           payload={"type": "assessment", "hypothetical": True, **after})


def _why_not(b: _Builder, msg: Message) -> None:
    """Row 11: the unmet and unknown conditions of the channel asked about (or the first not open)."""
    result = _assessment(b.state)
    channel = _channel_in(msg)
    if channel is None:
        channel = next((c["id"] for c in result["channels"] if c["status"] in ("not_eligible", "undetermined")),
                       None)
    if channel is None:
        b.utter("utter_which_channel")
    else:
        b.text(explain_channel(result, channel))


def _why_ask(b: _Builder, msg: Message) -> None:
    """"为什么要问这个？": the channels the pending question can still decide."""
    pending = b.state.asked
    result = _assessment(b.state)
    names = [c["name"] for c in result["channels"] if pending and pending in c.get("missing", [])]
    if names:
        b.utter("utter_why_ask", channels="、".join(names))
    else:
        b.utter("utter_why_ask_general")


def _points_gap(b: _Builder, msg: Message) -> None:
    """Row 12."""
    b.text(explain_points(_assessment(b.state)))


def _channel_in(msg: Message) -> str | None:
    for ent in msg.entities:
        if ent.get("entity") == "channel" and ent.get("value") in CHANNEL_IDS:
            return str(ent["value"])
    names = policy().messages["channel_words"]
    return next((cid for cid, words in names.items() if any(w in (msg.text or "") for w in words)), None)


def _question(b: _Builder, msg: Message) -> str | None:
    """Row 13: a policy question. Answered when the selector is sure; otherwise "您是想问…？"."""
    ranking = [(t, c) for t, c in msg.faq if c >= FAQ_CANDIDATE]
    if msg.intent == "out_of_scope" and msg.confidence >= INTENT_SURE and (not ranking or ranking[0][1] < FAQ_SURE):
        b.utter("utter_out_of_scope")
        return None
    if msg.intent == "bot_challenge" and msg.confidence >= INTENT_SURE:
        b.utter("utter_iamabot")
        return None
    if not ranking:
        b.utter("utter_no_answer")
        return None
    top, confidence = ranking[0]
    second = ranking[1][1] if len(ranking) > 1 else 0.0
    if confidence >= FAQ_SURE and confidence - second >= FAQ_MARGIN:
        _faq_answer(b, top)
        return None
    _disambiguate(b, [t for t, _ in ranking[:3]])
    return "asked_back"


def _faq_answer(b: _Builder, topic: str) -> None:
    if topic == "none":
        b.utter("utter_faq_none")
        return
    response = f"utter_faq/{topic}"
    b.say.append(Say(response=response, values=faq.values_on()))
    if topic in _CHANNEL_TOPICS and not b.state.answered and b.state.asked is None:
        b.utter("utter_offer_check")
        b.state.offer = "check"


# FAQ topics about a channel's conditions: after the answer, the offer to check the resident's own case.
_CHANNEL_TOPICS = {"talent_conditions", "points_conditions", "associate_degree", "skilled_worker",
                   "family_conditions", "suzhou_graduate", "outside_graduate", "shanghai_work", "home_purchase",
                   "county_open", "talent_age", "points_line"}


def _disambiguate(b: _Builder, topics: list[str]) -> None:
    titles = policy().messages["faq_topics"]
    buttons = [{"title": titles.get(t, t), "payload": _choice_payload(t)} for t in topics]
    buttons.append({"title": policy().messages["dialogue"]["none_of_these"], "payload": _choice_payload("none")})
    b.say.append(Say(response="utter_did_you_mean", buttons=buttons,
                     values={"topics": "、".join(f"“{titles.get(t, t)}”" for t in topics)}))
    b.state.offer = "faq:" + ",".join(topics)


def _choice_payload(topic: str) -> str:
    return "/inform" + json.dumps({"faq_topic": topic}, ensure_ascii=False)


# --- asking --------------------------------------------------------------------------------------------------

def _ask(b: _Builder, fields: tuple[str, ...], remaining: int | None = None) -> bool:
    """Asks about `fields` (one, or the two of a paired question), at most MAX_ASKS times; returns False (and
    skips them) when that is used up. Every field of a paired question counts as asked."""
    st = b.state
    name, also = fields[0], (fields[1] if len(fields) > 1 else None)
    if st.asks.get(name, 0) >= MAX_ASKS:
        b.utter("utter_skipped_unclear")
        _skip(b, name)
        if also:
            _skip(b, also, said=False)
        st.asked = st.also = None
        return False
    for f in fields:
        st.asks[f] = st.asks.get(f, 0) + 1
    if st.asked != name:
        st.failed = 0
    st.asked, st.also = name, also
    if also:
        response = f"utter_ask_{name}_{also}"
    else:
        response = "utter_ask_age_exact" if name == "age" and st.age_range else f"utter_ask_{name}"
    b.say.append(Say(response=response, payload=dialogue.ask_payload(name, also, remaining),
                     values=faq.values_on()))
    return True


def _pending(st: State, step: dialogue.Plan) -> tuple[str, ...]:
    """The fields of the pending question that still matter: both, one (the other was answered), or none."""
    return tuple(f for f in (st.asked, st.also) if f and f in step.remaining)


def _resume(b: _Builder, branch: str) -> Turn:
    """After a side path: the pending question again (within its limit), or nothing when none is pending."""
    st = b.state
    if st.asked:
        step = _plan(st)
        if _ask(b, _pending(st, step) or (st.asked,), step.estimate or None):
            return b.done(branch)
        return _next(b, branch)
    return b.done(branch)


def _skipping(st: State) -> bool:
    """The last SKIPS_TO_PAUSE questions asked were all skipped ("不知道"): the resident does not know these
    things, so the answer so far comes first (what is still missing, and "继续" to go on), not a long list."""
    recent = list(st.asks)[-SKIPS_TO_PAUSE:]
    return len(recent) == SKIPS_TO_PAUSE and all(f in st.skipped for f in recent)


def _next(b: _Builder, branch: str) -> Turn:
    """The next question the engine needs (the pending one first, if it still matters), or the answer."""
    st = b.state
    while True:
        step = _plan(st)
        if step.question is None:
            break
        if st.mode == MODE_DECIDE and _skipping(st):
            b.text(policy().messages["dialogue"]["paused_after_skips"])
            break
        # the pending question first while it matters (after half a paired answer, the other half)
        if _ask(b, _pending(st, step) or step.fields, step.estimate):
            return b.done(branch)
    st.asked = st.also = None
    st.failed = 0
    result = step.assessment
    b.text(explain(result), payload={"type": "assessment", **result})
    if st.mode == MODE_DECIDE and step.remaining:
        easier = _easier(step)
        if easier:
            b.utter("utter_offer_easier", conditions=easier)
        b.utter("utter_offer_continue")
        st.offer = "continue"
    elif st.mode == MODE_FULL:
        b.utter("utter_nothing_more")
    st.answered = True
    st.last_assessment = result
    return b.done(branch)


def _easier(step: dialogue.Plan) -> str:
    """What could still open a channel ranked above the one recommended ("是本市院校毕业生或有直系亲属在苏州"):
    the channels above it that answers not yet given could open; "" when none can."""
    from .engine.assess import RECOMMENDATION_ORDER

    recommended = step.assessment["recommended"]
    if not recommended:
        return ""
    above = RECOMMENDATION_ORDER[:RECOMMENDATION_ORDER.index(recommended[0])]
    texts = policy().messages["dialogue"]["easier"]
    return texts["join"].join(texts["channels"][c] for c in above if c in step.can_open)
