"""The one custom action: the Rasa tracker in, assistant.conversation.turn.turn, events and messages out.

Nothing is decided here (docs/readings.md, assistant/conversation/turn.py): this module only translates the slots
into a State and the latest message into a Message, and the Turn back into bot messages and slot events. Which
slots hold the state, and which change, the State says (assistant/conversation/state.py: State.from_slots,
slot_changes); here they only become rasa_sdk events.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.conversation.state import State, slot_changes
from assistant.conversation.turn import Message, Turn, turn

# Kept with every bot message of a turn (the BotUttered metadata, stored with the tracker): the row of the
# decision table that decided it, for the staff's conversation review (assistant/tools/review.py). Channels do not
# send metadata on to residents.
BRANCH_KEY = "turn_branch"


def state_of(tracker: Tracker) -> State:
    """The conversation's state from the slots (the State knows its slots: assistant/conversation/state.py)."""
    return State.from_slots(tracker.current_slot_values())


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
    """Slot events for what changed (everything after a restart), as the state gives them (slot_changes)."""
    events: list[EventType] = [Restarted()] if result.restart else []
    return events + [SlotSet(slot, value) for slot, value in slot_changes(before, result.state, result.restart)]


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
