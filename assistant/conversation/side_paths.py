"""Side paths of a turn: answered, then the interview resumes (what-if, why not, why this question, the points
gap, a question answered from the FAQ, or a choice among close FAQ topics)."""
from __future__ import annotations

import json

from assistant.conversation import dialogue
from assistant.conversation.explain import (
    explain_change,
    explain_channel,
    explain_points,
)
from assistant.conversation.reading import INTENT_SURE, Reading
from assistant.conversation.state import Message, Say, State, _Builder
from assistant.policy.rules import CHANNEL_IDS, rule_data
from assistant.understanding import cues, faq, retrieval
from assistant.understanding.cues import Text

# --- side paths: answered, then the interview resumes ------------------------------------------------------

def _assessment(st: State) -> dict:
    return dialogue.plan(st.values, st.as_of, st.skipped, st.mode, st.age_range).assessment


def _what_if(b: _Builder, text: Text) -> None:
    """Row what_if: the engine on the changed facts; nothing is stored."""
    st = b.state
    reading = dialogue.read_hypothesis(text)
    changes = dict(reading.facts)
    if cues.has("more", text):  # "再交半年": months on top of what is known
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


def _why_ask(b: _Builder) -> None:
    """"为什么要问这个？": the channels the pending question can still decide."""
    pending = b.state.asked
    result = _assessment(b.state)
    names = [c["name"] for c in result["channels"] if pending and pending in c.get("missing", [])]
    if names:
        b.utter("utter_why_ask", channels="、".join(names))
    else:
        b.utter("utter_why_ask_general")


def _points_gap(b: _Builder) -> None:
    b.text(explain_points(_assessment(b.state)))


def _channel_in(msg: Message) -> str | None:
    for ent in msg.entities:
        if ent.get("entity") == "channel" and ent.get("value") in CHANNEL_IDS:
            return str(ent["value"])
    names = cues.words("channel_words")
    return next((cid for cid, words in names.items() if any(w in (msg.text or "") for w in words)), None)


def _question(b: _Builder, r: Reading) -> str | None:
    """Row question: the FAQ answer when the fused ranking is sure; out of scope when the classifier is sure of
    that and no topic is; "没能回答" when neither the selector nor the retriever finds a topic; else "您是想问…？"."""
    cal = retrieval.calibration()
    ranking = [(t, c) for t, c in r.topics if c >= cal.candidate]
    if r.intent == "bot_challenge" and r.confidence >= INTENT_SURE and not r.sure_topic():
        b.utter("utter_iamabot")
        return None
    topic = r.sure_topic()
    if topic:
        _faq_answer(b, topic)
        return None
    if r.intent == "out_of_scope" and r.confidence >= INTENT_SURE:
        b.utter("utter_out_of_scope")
        return None
    if not ranking:
        b.utter("utter_no_answer")
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
    titles = rule_data().messages["faq_topics"]
    buttons = [{"title": titles.get(t, t), "payload": _choice_payload(t)} for t in topics]
    buttons.append({"title": rule_data().messages["dialogue"]["none_of_these"], "payload": _choice_payload("none")})
    b.say.append(Say(response="utter_did_you_mean", buttons=buttons,
                     values={"topics": "、".join(f"“{titles.get(t, t)}”" for t in topics)}))
    b.state.offer = "faq:" + ",".join(topics)


def _choice_payload(topic: str) -> str:
    return "/inform" + json.dumps({"faq_topic": topic}, ensure_ascii=False)
