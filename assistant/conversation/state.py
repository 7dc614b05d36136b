"""What the conversation's state and a message are, and what a turn gives back (assistant/conversation/turn.py
decides it): the slots' values in one dataclass, the NLU's reading of a message, the replies."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from assistant.conversation.dialogue import MODE_DECIDE

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
