"""The one custom action: the Rasa tracker in, assistant.conversation.turn.turn, events and messages out.

Nothing is decided here (docs/readings.md, assistant/conversation/turn.py): this module only translates the slots
into a State and the latest message into a Message, and the Turn back into bot messages and slot events.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.conversation import dialogue
from assistant.conversation.turn import Message, State, Turn, turn
from assistant.policy.profile import PROFILE_FIELDS

# The slots of the conversation's own state, beside the profile fields.
STATE_SLOTS = {
    "as_of": "as_of", "asked": "asked_field", "also": "asked_also", "asks": "ask_counts", "failed": "failed_attempts",
    "skipped": "skipped_fields", "mode": "interview_mode", "answered": "answered", "age_range": "age_range",
    "offer": "pending_offer", "handoff": "handoff_requested", "last_assessment": "last_assessment",
}
# Kept with every bot message of a turn (the BotUttered metadata, stored with the tracker): the row of the
# decision table that decided it, for the staff's conversation review (assistant/tools/review.py). Channels do not
# send metadata on to residents.
BRANCH_KEY = "turn_branch"


def state_of(tracker: Tracker) -> State:
    """The conversation's state from the slots (Rasa keeps numbers as floats)."""
    slots = tracker.current_slot_values()
    return State(
        values=dialogue.profile_values(slots),
        as_of=slots.get("as_of"),
        asked=slots.get("asked_field"),
        also=slots.get("asked_also"),
        asks={k: int(v) for k, v in (slots.get("ask_counts") or {}).items()},
        failed=int(slots.get("failed_attempts") or 0),
        skipped=list(slots.get("skipped_fields") or []),
        mode=slots.get("interview_mode") or dialogue.MODE_DECIDE,
        answered=bool(slots.get("answered")),
        age_range=list(slots.get("age_range")) if slots.get("age_range") else None,
        offer=slots.get("pending_offer"),
        handoff=bool(slots.get("handoff_requested")),
        last_assessment=slots.get("last_assessment"),
    )


def message_of(tracker: Tracker) -> Message:
    """The latest message: its text, the classifier's best intent (not the fallback's), entities, the FAQ
    selector's ranking and the channel's metadata (assistant/channels/guard.py)."""
    latest = tracker.latest_message or {}
    ranking = [i for i in latest.get("intent_ranking") or [] if i.get("name") != "nlu_fallback"]
    top = ranking[0] if ranking else (latest.get("intent") or {})
    selector = ((latest.get("response_selector") or {}).get("faq") or {})
    faq = [(str(r.get("intent_response_key", "")).split("/", 1)[-1], float(r.get("confidence") or 0.0))
           for r in selector.get("ranking") or [] if r.get("intent_response_key")]
    # The channel's metadata (age and sex read from an ID number) is on the user event, not in the parse data.
    user = next((e for e in reversed(tracker.events) if e.get("event") == "user"), None) or {}
    return Message(text=latest.get("text") or "", intent=top.get("name"), confidence=float(top.get("confidence") or 0),
                   entities=list(latest.get("entities") or []), faq=faq, metadata=dict(user.get("metadata") or {}))


def events_of(before: State, result: Turn) -> list[EventType]:
    """Slot events for what changed (everything after a restart)."""
    after = result.state
    events: list[EventType] = [Restarted()] if result.restart else []
    old = State() if result.restart else before
    for name in PROFILE_FIELDS:
        if after.values.get(name) != old.values.get(name):
            events.append(SlotSet(name, after.values.get(name)))
    for attr, slot in STATE_SLOTS.items():
        value = getattr(after, attr)
        if value != getattr(old, attr) or (result.restart and value):
            events.append(SlotSet(slot, float(value) if attr == "failed" else value))
    return events


class ActionTurn(Action):
    """Every message goes through here: the state decides first (assistant/conversation/turn.py)."""

    def name(self) -> str:
        return "action_turn"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        before = state_of(tracker)
        result = turn(before, message_of(tracker))
        for say in result.say:
            if say.response:
                dispatcher.utter_message(response=say.response, json_message=say.payload, buttons=say.buttons,
                                         **{**say.values, BRANCH_KEY: result.branch})
            else:
                dispatcher.utter_message(text=say.text, json_message=say.payload, buttons=say.buttons,
                                         **{BRANCH_KEY: result.branch})
        return events_of(before, result)
