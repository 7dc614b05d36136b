"""The State names its own slots (assistant/conversation/state.py): the slots it reads and sets are exactly the
slots domain.yml declares, so a slot renamed in one place and not the other fails here; reading the slots back
gives the same State; the console reads a tracker's slots through it (assistant/conversation/console.py)."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import yaml

from assistant.conversation import console
from assistant.conversation.state import SLOTS, State, slot_changes
from assistant.policy.profile import PROFILE_FIELDS

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
# Slots of domain.yml that are not the conversation's state: none today.
NOT_STATE_SLOTS: set[str] = set()


def test_the_states_slots_are_the_slots_domain_yml_declares():
    named = [*SLOTS.values(), *PROFILE_FIELDS]
    assert len(named) == len(set(named)), "a slot named twice"
    declared = set(DOMAIN["slots"]) - NOT_STATE_SLOTS
    assert set(named) == declared, (f"only in domain.yml: {sorted(declared - set(named))}; "
                                    f"only in the State: {sorted(set(named) - declared)}")
    assert NOT_STATE_SLOTS.issubset(DOMAIN["slots"]), "an exception domain.yml no longer declares"


def test_every_attribute_of_the_state_has_its_slot():
    attributes = {f.name for f in dataclasses.fields(State)} - {"values"}   # the profile fields, one slot each
    assert set(SLOTS) == attributes


def test_the_failed_attempts_slot_holds_a_number_as_rasa_keeps_it():
    assert DOMAIN["slots"][SLOTS["failed"]]["type"] == "float"


STATE = State(values={"age": 28, "target_area": "苏州工业园区"}, as_of="2025-06-01", asked="housing",
              also="education", asks={"housing": 2}, failed=1, skipped=["sex"], mode="full", answered=True,
              age_range=[40, 49], offer="continue", handoff=True, last_assessment={"recommended": []})


def test_the_slots_set_read_back_as_the_same_state():
    slots = dict(slot_changes(State(), STATE))
    assert slots[SLOTS["failed"]] == 1.0 and isinstance(slots[SLOTS["failed"]], float)
    # as Rasa keeps them: numbers as floats
    slots = {k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in slots.items()}
    slots[SLOTS["asks"]] = {"housing": 2.0}
    assert State.from_slots(slots) == STATE
    assert State.from_slots({}) == State()


def test_only_what_changed_is_set_and_after_a_restart_everything_the_state_holds():
    after = dataclasses.replace(STATE, values={**STATE.values, "age": 29}, failed=0, asked=None)
    assert slot_changes(STATE, after) == [("age", 29), (SLOTS["asked"], None), (SLOTS["failed"], 0.0)]
    restarted = slot_changes(STATE, State(values={"age": 29}, asks={"age": 1}), restart=True)
    # the tracker starts empty: every value the state holds is set, the default mode too
    assert restarted == [("age", 29), (SLOTS["asks"], {"age": 1}), (SLOTS["mode"], "decide")]


def test_the_console_shows_a_conversation_from_the_slots():
    slots = {**dict(slot_changes(State(), STATE)), SLOTS["last_assessment"]: "not an assessment"}
    tracker = SimpleNamespace(sender_id="web-x", events=[], current_slot_values=lambda: slots)
    shown = console.conversation(tracker)
    assert [f["field"] for f in shown["facts"]] == ["target_area", "age"]
    assert shown["as_of"] == "2025-06-01" and shown["asked_field"] == "housing" and shown["asked_label"]
    assert [s["field"] for s in shown["skipped"]] == ["sex"] and shown["handoff_requested"] is True
    assert shown["last_assessment"] is None and shown["explanation"] is None and shown["messages"] == []
