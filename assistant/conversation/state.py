"""What the conversation's state and a message are, and what a turn gives back (assistant/conversation/turn.py
decides it): the slots' values in one dataclass, the NLU's reading of a message, the replies.

The State names its own slots (SLOTS, beside the profile fields, each its own slot): the action
(actions/turn.py) and the console (assistant/conversation/console.py) read a tracker's slots with
State.from_slots, and the action sets what slot_changes gives; domain.yml declares the same slots
(tests/test_state.py)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from assistant.conversation.dialogue import MODE_DECIDE, profile_values
from assistant.policy.profile import PROFILE_FIELDS

MAX_ASKS = 3
SKIPS_TO_PAUSE = 5     # this many new questions in a row answered "不知道": the answer so far, and the offer to go on

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

    @classmethod
    def from_slots(cls, slots: dict) -> State:
        """The state from a tracker's slots (Rasa keeps numbers as floats)."""
        get = slots.get
        age_range = get(SLOTS["age_range"])
        return cls(
            values=profile_values(slots),
            as_of=get(SLOTS["as_of"]),
            asked=get(SLOTS["asked"]),
            also=get(SLOTS["also"]),
            asks={k: int(v) for k, v in (get(SLOTS["asks"]) or {}).items()},
            failed=int(get(SLOTS["failed"]) or 0),
            skipped=list(get(SLOTS["skipped"]) or []),
            mode=get(SLOTS["mode"]) or MODE_DECIDE,
            answered=bool(get(SLOTS["answered"])),
            age_range=list(age_range) if age_range else None,
            offer=get(SLOTS["offer"]),
            handoff=bool(get(SLOTS["handoff"])),
            last_assessment=get(SLOTS["last_assessment"]),
        )


# The slots of the conversation's own state (State attribute -> slot name), beside the profile fields (each
# its own slot, State.values), in the order the action sets them.
SLOTS = {
    "as_of": "as_of", "asked": "asked_field", "also": "asked_also", "asks": "ask_counts", "failed": "failed_attempts",
    "skipped": "skipped_fields", "mode": "interview_mode", "answered": "answered", "age_range": "age_range",
    "offer": "pending_offer", "handoff": "handoff_requested", "last_assessment": "last_assessment",
}


def slot_changes(before: State, after: State, restart: bool = False) -> list[tuple[str, Any]]:
    """(slot, value) for what changed from `before` to `after`; after a restart, every slot `after` sets (the
    tracker then starts empty). Rasa keeps numbers as floats: the failed attempts go as one."""
    old = State() if restart else before
    changes = [(name, after.values.get(name)) for name in PROFILE_FIELDS
               if after.values.get(name) != old.values.get(name)]
    for attr, slot in SLOTS.items():
        value = getattr(after, attr)
        if value != getattr(old, attr) or (restart and value):
            changes.append((slot, float(value) if attr == "failed" else value))
    return changes


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
