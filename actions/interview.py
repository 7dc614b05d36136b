"""rasa-sdk actions: read the tracker, call assistant/ (dialogue, engine, explain), return events.

No rule is decided here: the engine decides, assistant/dialogue.py picks the question, the domain's
responses and assistant/explain.py speak.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant import dialogue
from assistant.explain import explain, explain_change, explain_channel, explain_points
from assistant.privacy import ID_CARD_METADATA, hide_masks
from assistant.profile import FIELD_SPECS, enum_label
from assistant.rules import CHANNEL_IDS, policy

# Intents whose text is a question, not a statement of facts: answer them, then go back to the interview.
_NOT_FACTS = {"faq", "out_of_scope", "bot_challenge", "why_not", "ask_points_gap", "human_handoff", "thank",
              "goodbye"}
_HELP = {"bool": "utter_help_bool", "enum": "utter_help_choice", "area": "utter_help_choice"}
_INCREMENT = re.compile(r"再|多|还|又|继续")


def _state(tracker: Tracker) -> Dict[str, Any]:
    slots = tracker.current_slot_values()
    return {
        "values": dialogue.profile_values(slots),
        "as_of": slots.get("as_of"),
        "asked": slots.get("asked_field"),
        "skipped": list(slots.get("skipped_fields") or []),
        "failed": int(slots.get("failed_attempts") or 0),
        "mode": slots.get("interview_mode") or dialogue.MODE_DECIDE,
        "answered": bool(slots.get("answered")),
    }


def _ask(dispatcher: CollectingDispatcher, field: str) -> None:
    dispatcher.utter_message(response=f"utter_ask_{field}", json_message=dialogue.ask_payload(field))


def _answer(dispatcher: CollectingDispatcher, result: dict) -> None:
    dispatcher.utter_message(text=explain(result), json_message={"type": "assessment", **result})


def _id_card_facts(dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
    """Age and sex the channel read from an ID number in this message (assistant/channels/guard.py puts them
    in the message's metadata; the number itself never comes here), said in one line."""
    user = next((e for e in reversed(tracker.events) if e.get("event") == "user"), None) or {}
    found = (user.get("metadata") or {}).get(ID_CARD_METADATA)
    if not isinstance(found, dict) or not isinstance(found.get("age"), int) or found.get("sex") not in (
            "male", "female"):
        return {}
    dispatcher.utter_message(response="utter_id_card_used", age=found["age"], sex=enum_label("sex", found["sex"]))
    return {"age": found["age"], "sex": found["sex"]}


class ActionInterview(Action):
    """Takes the facts of the latest message, then asks the next question or gives the answer."""

    def name(self) -> Text:
        return "action_interview"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        st = _state(tracker)
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        events: List[EventType] = []
        values, asked = dict(st["values"]), st["asked"]
        learned = False
        if intent == "continue_interview":
            st["mode"] = dialogue.MODE_FULL
            events.append(SlotSet("interview_mode", dialogue.MODE_FULL))
        elif intent == "skip" and asked:
            st["skipped"].append(asked)
            events.append(SlotSet("skipped_fields", st["skipped"]))
            dispatcher.utter_message(response="utter_skipped")
            asked = None
        elif intent not in _NOT_FACTS:
            # Masked numbers ("3205**********1232") are nobody's age or months: read the rest of the message.
            reading = dialogue.read_message(hide_masks(message.get("text") or ""), intent,
                                            message.get("entities") or [], asked)
            reading.facts.update(_id_card_facts(dispatcher, tracker))
            if reading.as_of and reading.as_of != st["as_of"]:
                problems = dialogue.check({}, reading.as_of)
                if problems:
                    reading.errors += problems
                else:
                    st["as_of"] = reading.as_of
                    events.append(SlotSet("as_of", reading.as_of))
                    dispatcher.utter_message(response="utter_as_of", as_of=reading.as_of)
                    learned = True
            learned |= self._take_facts(dispatcher, reading, values, st, events)
            if reading.errors:
                dispatcher.utter_message(response="utter_invalid", errors="；".join(reading.errors))
            elif asked and not learned and intent != "greet":
                return events + self._not_understood(dispatcher, asked, st["failed"])
        elif asked is None and not st["answered"]:
            return events  # a question before any interview: answered by its own response, nothing to resume
        if not learned and st["answered"] and intent not in ("continue_interview", "skip"):
            if intent not in _NOT_FACTS:
                dispatcher.utter_message(response="utter_offer_continue")
            return events
        return events + self._next(dispatcher, values, st, asked)

    @staticmethod
    def _take_facts(dispatcher: CollectingDispatcher, reading: dialogue.Reading, values: dict, st: dict,
                    events: List[EventType]) -> bool:
        """Applies the facts of a message; confirms them unless it was just the answer to the question."""
        facts = reading.facts
        if not facts:
            return False
        problems = dialogue.check({**values, **facts}, st["as_of"])
        if problems:
            reading.errors += problems
            return False
        changed = {k: v for k, v in facts.items() if k in values and values[k] != v}
        new = {k: v for k, v in facts.items() if k not in values}
        values.update(facts)
        events += [SlotSet(k, v) for k, v in facts.items()]
        events.append(SlotSet("skipped_fields", [f for f in st["skipped"] if f not in facts]))
        st["skipped"] = [f for f in st["skipped"] if f not in facts]
        if changed:
            dispatcher.utter_message(response="utter_corrected", facts=dialogue.describe(changed))
        if len(new) > 1 or (new and st["asked"] not in new):
            dispatcher.utter_message(response="utter_understood", facts=dialogue.describe(new))
        return bool(changed or new)

    @staticmethod
    def _not_understood(dispatcher: CollectingDispatcher, asked: str, failed: int) -> List[EventType]:
        failed += 1
        if failed >= 2:
            dispatcher.utter_message(response=_HELP.get(FIELD_SPECS[asked][0], "utter_help_number"))
        else:
            dispatcher.utter_message(response="utter_not_understood")
        _ask(dispatcher, asked)
        return [SlotSet("failed_attempts", float(failed))]

    @staticmethod
    def _next(dispatcher: CollectingDispatcher, values: dict, st: dict, asked: str | None) -> List[EventType]:
        step = dialogue.plan(values, st["as_of"], st["skipped"], st["mode"])
        if step.question:
            # A question still open is asked again before a new one: the interview resumes where it was.
            question = asked if asked in step.remaining else step.question
            _ask(dispatcher, question)
            events: List[EventType] = [SlotSet("asked_field", question)]
            if question != asked:
                events.append(SlotSet("failed_attempts", 0.0))
            return events
        _answer(dispatcher, step.assessment)
        if st["mode"] == dialogue.MODE_DECIDE and step.remaining:
            dispatcher.utter_message(response="utter_offer_continue")
        elif st["mode"] == dialogue.MODE_FULL:
            dispatcher.utter_message(response="utter_nothing_more")
        return [SlotSet("asked_field", None), SlotSet("failed_attempts", 0.0), SlotSet("answered", True),
                SlotSet("last_assessment", step.assessment)]


def _current(tracker: Tracker) -> dict:
    st = _state(tracker)
    return dialogue.plan(st["values"], st["as_of"], st["skipped"], st["mode"]).assessment


def _channel_in(tracker: Tracker) -> str | None:
    """The channel a follow-up is about: DIET's `channel` entity, else a channel name in the text."""
    for ent in (tracker.latest_message or {}).get("entities") or []:
        if ent.get("entity") == "channel" and ent.get("value") in CHANNEL_IDS:
            return ent["value"]
    text = (tracker.latest_message or {}).get("text") or ""
    names = policy().messages["channel_words"]
    return next((cid for cid, words in names.items() if any(w in text for w in words)), None)


class ActionWhyNot(Action):
    """"为什么不能积分落户？" — the unmet and unknown conditions of that channel, from the engine."""

    def name(self) -> Text:
        return "action_why_not"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        result = _current(tracker)
        channel = _channel_in(tracker)
        if channel is None:
            channel = next((c["id"] for c in result["channels"] if c["status"] in ("not_eligible", "undetermined")),
                           None)
        if channel is None:
            dispatcher.utter_message(text=policy().messages["followups"]["no_channel"])
        else:
            dispatcher.utter_message(text=explain_channel(result, channel))
        return []


class ActionWhatIf(Action):
    """"那如果我再交半年社保呢？" — re-runs the engine with the changed facts, without storing them."""

    def name(self) -> Text:
        return "action_what_if"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        st = _state(tracker)
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        reading = dialogue.read_hypothesis(text)
        changes = dict(reading.facts)
        if _INCREMENT.search(text):  # "再交半年": months on top of what is known
            for name in list(changes):
                if name in dialogue.MONTH_FIELDS:
                    changes[name] += st["values"].get(name) or 0
                    if name == "social_insurance_months" and st["values"].get("social_insurance_consecutive_months") \
                            is not None and "social_insurance_consecutive_months" not in reading.facts:
                        changes["social_insurance_consecutive_months"] = \
                            st["values"]["social_insurance_consecutive_months"] + reading.facts[name]
        if not changes or dialogue.check({**st["values"], **changes}, st["as_of"]):
            dispatcher.utter_message(text=policy().messages["followups"]["no_change_read"])
            return []
        before = dialogue.plan(st["values"], st["as_of"], st["skipped"]).assessment
        after = dialogue.plan({**st["values"], **changes}, st["as_of"], st["skipped"]).assessment
        dispatcher.utter_message(text=explain_change(before, after, dialogue.describe(changes)),
                                 json_message={"type": "assessment", "hypothetical": True, **after})
        return []


class ActionPointsGap(Action):
    """"我差多少分" — the known points against the line, from the engine."""

    def name(self) -> Text:
        return "action_points_gap"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=explain_points(_current(tracker)))
        return []


class ActionHandoff(Action):
    """"转人工" — the facts collected so far and the 12345 hotline; marks the conversation for staff."""

    def name(self) -> Text:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        st = _state(tracker)
        summary = dialogue.describe(st["values"]) if st["values"] else ""
        if not summary:
            dispatcher.utter_message(response="utter_handoff", summary="")
            dispatcher.utter_message(response="utter_handoff_nothing_known")
        else:
            dispatcher.utter_message(response="utter_handoff", summary=summary)
        return [SlotSet("handoff_requested", True)]


class ActionRestartInterview(Action):
    """"重新开始" — forget everything of this conversation and ask the first question again."""

    def name(self) -> Text:
        return "action_restart_interview"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_restarted")
        first = dialogue.plan({}, None).question
        _ask(dispatcher, first)
        return [Restarted(), SlotSet("asked_field", first)]
