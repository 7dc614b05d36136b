"""What one message is, read once, before anything is decided: `read(state, message) -> Reading`.

A message may at once state facts, answer the pending question, ask a question and make a remark. The
reading finds every part (cue words from assistant/understanding/cues.yml, facts from assistant/conversation/dialogue.py, FAQ topics
from the selector fused with the retriever of assistant/understanding/retrieval.py); assistant/conversation/turn.py decides
from the reading alone. A question or a remark is never read as the answer to the pending question.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.conversation import dialogue
from assistant.conversation.dialogue import FactReading
from assistant.policy.profile import area_aliases, normalize_area
from assistant.policy.rules import rule_data
from assistant.stores.privacy import hide_masks
from assistant.understanding import cues, retrieval
from assistant.understanding.cues import Text

if TYPE_CHECKING:
    from assistant.conversation.state import Message, State

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
# A short reply with a question mark ("没有呢", "是吗？") may still answer; a longer question does not.
SHORT_REPLY = 6
SHORT_ANSWER = 4       # a reply this short ("有房子") answers the pending question and nothing else
INTENT_SURE = 0.7      # a follow-up intent (why-not, what-if, points) the classifier is sure of
PHRASED = 0.5          # a retriever similarity at which a statement reads like a known question


@dataclass
class Reading:
    """Every part of one message, and the state it was read in."""

    text: Text
    facts: FactReading                       # facts, errors, as_of, the reply to the pending question
    pending: str | None                      # the field of the question waiting for its answer
    also: str | None                         # its second field, when it asks two at once (a paired question)
    offer: str | None                        # what was offered last turn ("check", "continue", "faq:a,b")
    payload: bool = False                    # a button's payload ("/inform{…}")
    chinese: bool = False
    foreign: bool = False                    # Latin letters and no Chinese
    question: bool = False                   # interrogative form (after any opener)
    remark: str | None = None                # "wait", "complaint", "bot", "aside"
    skip: bool = False                       # "不知道", "跳过"
    partial: bool = False                    # names the kind of the pending option, not which ("租的房子")
    command: str | None = None               # "restart", "handoff", "continue"
    choice: str | None = None                # a "您是想问" button chosen (a topic, or "none")
    side: str | None = None                  # "why_ask", "what_if", "why_not", "points_gap"
    topics: list[tuple[str, float]] = field(default_factory=list)   # FAQ topics, fused scores, best first
    agreed: str | None = None                # the top topic of both opinions, for a message only part of which asks
    phrased: str | None = None               # the top topic, when it is also the retriever's, close to a phrasing
    closest: float = 0.0                     # the retriever's similarity to the closest topic's phrasings
    place: str | None = None                 # the area a policy question is about ("太仓落户政策")
    greeting: bool = False
    thanks: str | None = None                # "thanks" or "goodbye"
    first_person: bool = False
    intent: str | None = None
    confidence: float = 0.0

    @property
    def answers(self) -> bool:
        """The message answers the pending question."""
        return self.pending is not None and (self.pending in self.facts.facts or self.also in self.facts.facts
                                             or self.facts.split or (
            self.pending == "age" and self.facts.age_range is not None))

    @property
    def own_case(self) -> bool:
        """Facts of the resident's own case (a question with facts counts when it speaks of oneself)."""
        return bool(self.facts.facts) and (not self.question or self.first_person)

    def sure_topic(self) -> str | None:
        """The FAQ topic the message asks about, when the fused score is sure and ahead of the second."""
        cal = retrieval.calibration()
        if not self.topics or cues.has("vague", self.text):  # "这个要多久能办好？" has no topic of its own
            return None
        # The classifier knows what is out of scope, the selector does not (it always ranks some topic): only a
        # question close to a phrasing overrules a sure "out of scope" ("苏州公积金贷款额度计算方法").
        if self.intent == "out_of_scope" and self.confidence >= INTENT_SURE and self.closest < cal.oos_override:
            return None
        top, score = self.topics[0]
        second = self.topics[1][1] if len(self.topics) > 1 else 0.0
        if score >= cal.sure and score - second >= cal.margin:
            return top
        return top if top == self.agreed and score >= cal.candidate else None


def _faq_choice(msg: Message, offer: str | None, text: Text) -> str | None:
    """A clicked "您是想问…" button, or its title (or "都不是") typed; a payload with an unknown topic is none."""
    topics = rule_data().messages["faq_topics"]
    choice = next((str(e.get("value")) for e in msg.entities if e.get("entity") == "faq_topic"), None)
    if choice == "none" or choice in topics:
        return choice
    if not offer or not offer.startswith("faq:"):
        return None
    if cues.has("none_of_these", text):
        return "none"
    return next((t for t in offer[4:].split(",") if t and Text.of(topics.get(t, t)).bare == text.bare), None)


def _command(text: Text, chinese: bool) -> str | None:
    if chinese and cues.has("restart", text):
        return "restart"
    if chinese and cues.has("handoff", text):
        return "handoff"
    if cues.has("continue", text):
        return "continue"
    return None


def _side(text: Text, msg: Message, question: bool) -> str | None:
    """Follow-up questions about the interview itself: why this question, what if, why not, the points."""
    sure = msg.confidence >= INTENT_SURE
    if cues.has("why_ask", text):
        return "why_ask"
    if ((msg.intent == "what_if" and sure) or (question and cues.has("what_if", text))) \
            and dialogue.read_hypothesis(text).facts:
        return "what_if"
    if (msg.intent == "why_not" and sure) or (question and cues.has("why_not", text)):
        return "why_not"
    if (msg.intent == "ask_points_gap" and sure) or cues.has("points_gap", text):
        return "points_gap"
    return None


_CLAUSE = re.compile(r"[，,。；;！!？?\s]+")


def _asking_clause(text: Text) -> Text:
    """The clause that asks ("刚来苏州四个月，在厂里上班，想办居住证" -> "想办居住证"): the last clause with a
    question or a wish, when the message has several; else the whole message."""
    clauses = [Text.normalised(c) for c in _CLAUSE.split(text.normal) if c]
    asking = [c for c in clauses if cues.has("question", c) or cues.has("want", c)]
    return asking[-1] if len(clauses) > 1 and asking else text


def place_in(text: Text) -> str | None:
    """The area a message names (its contract name), if exactly one."""
    return normalize_area(text.bare) or dialogue.alias_in(text.bare, area_aliases())


def _stated(msg: Message, text: Text, asking: bool) -> list[dict]:
    """The entities that are facts of one's own case. A masked personal number ("3205**********1234") is none
    (the channel masked it); a question neither about oneself nor about settling states none
    ("昆山市属于江苏哪个市": the place is what it asks about)."""
    if asking and not cues.has("first_person", text) and not cues.has("settle", text):
        return []
    return [e for e in msg.entities if "*" not in str(e.get("value"))]


def read(state: State, msg: Message) -> Reading:
    """Reads every part of `msg` in the state it arrives in."""
    raw = msg.text or ""
    text = Text.of(raw)
    payload = raw.startswith("/")
    chinese = bool(_CJK.search(raw))
    rest = Text.normalised(cues.without_opener(text.normal)) if chinese and not payload else text
    opened = bool(rest.bare) and rest.bare != text.bare     # "对了，居住证怎么办？": the rest is what it says
    rest = rest if opened else text
    question = not payload and cues.has("question", rest) and not cues.has("not_yet", rest)
    clause = _asking_clause(rest)
    retrieved = [] if payload else retrieval.retriever().rank(clause)
    # Another city's rules ("长沙居住证怎么办") get no Suzhou answer, however sure the selector is.
    topics = retrieval.fuse(msg.faq, retrieved) if (retrieved or msg.faq) and not retrieval.elsewhere(text) else []
    # The selector read the whole message; when only a part of it asks ("对了，…", "…，想办居住证"), the two
    # opinions agreeing on the top topic is enough.
    agreed = None
    if not payload and clause != text and retrieved and msg.faq and topics \
            and retrieved[0][0] == msg.faq[0][0] == topics[0][0]:
        agreed = topics[0][0]
    # A statement the retriever finds close to a known phrasing ("2023苏州积分落户申请条件") asks that topic.
    phrased = topics[0][0] if topics and retrieved and retrieved[0][0] == topics[0][0] \
        and retrieved[0][1] >= PHRASED else None
    pending = state.asked
    # A question (other than a short reply with a question mark, "没有呢") is never the pending answer.
    asked = None if pending and question and len(rest.core) > SHORT_REPLY else pending
    entities = _stated(msg, text, question and asked is None)
    # A remark ("好难啊", "那就好") is never a yes or a no by the classifier's guess: only its words may answer.
    said = None if payload or opened else cues.remark(text)
    # A remark is read as the reply to one question, never clause by clause against a pair ("非常感谢，有问题…").
    facts = dialogue.read_reply(Text.normalised(hide_masks(rest.normal)), None if said else msg.intent, entities, asked,
                               state.also if asked and not said else None)
    # A remark said with nothing else ("好麻烦啊", "等一下", "你是机器人吗") is no answer and no skip.
    remark = None if facts.facts else said
    # A short reply to the pending question ("有房子" to "配偶家在苏州有房吗") answers that question only: it does
    # not change what is already known of another field.
    if pending in facts.contextual and len(rest.core) <= SHORT_ANSWER and not cues.has("correction", text):
        for name in [k for k in facts.facts if k != pending and k in state.values and state.values[k] != facts.facts[k]]:
            del facts.facts[name]
    place = None
    # While the area is asked, "太仓落户政策" asks about the policy there (and answers the question too).
    policy = any(w in text.bare for w in cues.words("policy_words"))
    if chinese and not payload and (pending != "target_area" or policy) \
            and any(w in text.bare for w in cues.words("place_words")):
        place = place_in(text)
    thanks = "thanks" if cues.has("thanks", text) else "goodbye" if cues.has("goodbye", text) else None
    reading = Reading(
        text=text, facts=facts, pending=pending, also=state.also if pending else None, offer=state.offer, payload=payload, chinese=chinese,
        foreign=not chinese and not payload and bool(_LATIN.search(raw)), question=question, remark=remark,
        skip=bool(pending) and dialogue.is_skip(text), command=_command(text, chinese),
        partial=bool(pending) and not question and pending not in facts.facts
        and any(w in text.bare for w in cues.words("partial_answers").get(pending, [])),
        choice=_faq_choice(msg, state.offer, text), side=None if payload else _side(rest, msg, question),
        topics=topics, agreed=agreed, phrased=phrased, closest=retrieved[0][1] if retrieved else 0.0, place=place, greeting=cues.has("greeting", text), thanks=thanks,
        first_person=cues.has("first_person", text), intent=msg.intent, confidence=msg.confidence)
    # "积分落户要多少分？" asks the line, not one's own gap: the classifier's guess of a points question without its
    # words gives way to an FAQ topic both opinions are sure of.
    if reading.side == "points_gap" and not cues.has("points_gap", rest) and reading.sure_topic():
        reading.side = None
    return reading
