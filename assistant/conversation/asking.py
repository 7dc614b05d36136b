"""Asking: the next question of the plan, a skipped question, the pause after many skips, and the pending
question asked again after a side path."""
from __future__ import annotations

from assistant.conversation import dialogue, planner
from assistant.conversation.dialogue import MODE_DECIDE, MODE_FULL
from assistant.conversation.explain import (
    explain,
    explain_easier,
)
from assistant.conversation.state import MAX_ASKS, SKIPS_TO_PAUSE, Say, State, Turn, _Builder
from assistant.policy.profile import field_label
from assistant.policy.rules import rule_data
from assistant.understanding import faq


def _skip(b: _Builder, field_name: str, say: bool = True) -> None:
    st = b.state
    if field_name not in st.skipped:
        st.skipped.append(field_name)
    st.failed = 0
    if say:
        b.utter("utter_skipped")




# --- asking --------------------------------------------------------------------------------------------------

def _ask(b: _Builder, fields: tuple[str, ...], remaining: int | None = None) -> bool:
    """Asks about `fields` (one, or the two of a paired question), at most MAX_ASKS times; returns False (and
    skips them) when that is used up. A paired question counts as asking its first field (the `field` of
    its ask payload); the second is recorded beside it (planner.questions groups the two)."""
    st = b.state
    name, also = fields[0], (fields[1] if len(fields) > 1 else None)
    if st.asks.get(name, 0) >= MAX_ASKS:
        b.utter("utter_skipped_unclear")
        for f in fields:
            _skip(b, f, say=False)
        st.asked = st.also = None
        return False
    st.asks[name] = st.asks.get(name, 0) + 1
    if also:  # the second field of a pair is recorded as asked with it, and counted when asked in its own name
        st.asks[also] = st.asks.get(also, 0)
    if st.asked != name:
        st.failed = 0
    st.asked, st.also = name, also
    if also:
        response = f"utter_ask_{name}_{also}"
    else:
        response = "utter_ask_age_exact" if name == "age" and st.age_range else f"utter_ask_{name}"
    b.say.append(Say(response=response, payload=dialogue.ask_payload(name, also, remaining), values=faq.values_on()))
    return True


def _pending(st: State, step: dialogue.Plan) -> tuple[str, ...]:
    """The fields of the pending question that still matter: both, one (the other was answered), or none."""
    return tuple(f for f in (st.asked, st.also) if f and f in step.remaining)


def _plan(st: State) -> dialogue.Plan:
    return dialogue.plan(st.values, st.as_of, st.skipped, st.mode, st.age_range)


def _resume(b: _Builder, branch: str, remind: bool = True) -> Turn:
    """After a side path: the pending question again, with its ask payload; one already asked MAX_ASKS times
    is not asked again (a reminder says it is still open), nor skipped for a question the resident asked.
    After an unreadable reply (`remind` False) the limit skips it instead."""
    st = b.state
    if remind and st.asked and st.asks.get(st.asked, 0) >= MAX_ASKS:
        b.utter("utter_still_open", field=field_label(st.asked))
        return b.done(branch)
    if st.asked:
        step = _plan(st)
        pending = _pending(st, step)  # none when what was said since made the question moot ("没结婚")
        if pending and _ask(b, pending, step.estimate or None):
            return b.done(branch)
        return _next(b, branch)
    return b.done(branch)


def _skipping(st: State) -> bool:
    """The last SKIPS_TO_PAUSE questions asked were all skipped ("不知道"): the resident does not know these
    things, so the answer so far comes first (what is still missing, and "继续" to go on), not a long list."""
    recent = planner.questions(list(st.asks))[-SKIPS_TO_PAUSE:]
    return len(recent) == SKIPS_TO_PAUSE and all(f in st.skipped for q in recent for f in q)


def _next(b: _Builder, branch: str) -> Turn:
    """The next question the planner picks (the pending one first, if it still matters), or the answer."""
    st = b.state
    while True:
        step = _plan(st)
        if step.question is None:
            break
        if st.mode == MODE_DECIDE and _skipping(st):
            b.text(rule_data().messages["dialogue"]["paused_after_skips"])
            break
        # the pending question first while it matters (after half a paired answer, the other half)
        if _ask(b, _pending(st, step) or step.fields, step.estimate):
            return b.done(branch)
    st.asked = st.also = None
    st.failed = 0
    result = step.assessment
    b.text(explain(result), payload={"type": "assessment", **result})
    if st.mode == MODE_DECIDE and step.remaining:
        easier = explain_easier(step.assessment["recommended"], step.can_open)
        if easier:
            b.utter("utter_offer_easier", conditions=easier)
        b.utter("utter_offer_continue")
        st.offer = "continue"
    elif st.mode == MODE_FULL:
        b.utter("utter_nothing_more")
    st.answered = True
    st.last_assessment = result
    return b.done(branch)
