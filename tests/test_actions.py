"""action_turn on rasa-sdk trackers built like the ones the Rasa server sends: the exact responses it sends
and the exact events it returns (the decisions themselves are tested as a table in tests/test_turn.py)."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.turn import ActionTurn, message_of, state_of

AS_OF = "2025-06-01"


def tracker(text: str, intent: str = "inform", confidence: float = 0.9, entities: list | None = None,
            faq: list | None = None, metadata: dict | None = None, **slots) -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": confidence},
               "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.35},
                                  {"name": intent, "confidence": confidence}],
               "entities": entities or []}
    if faq:
        message["response_selector"] = {"faq": {"ranking": [
            {"intent_response_key": f"faq/{t}", "confidence": c} for t, c in faq]}}
    # as the Rasa server sends it: the channel's metadata is on the user event, not in the parse data
    events = [{"event": "user", "text": text, "parse_data": message, "metadata": metadata or {}}]
    return Tracker("test", {"as_of": AS_OF, **slots}, message, events, False, None, {}, "action_listen")


def run(t: Tracker) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    return ActionTurn().run(dispatcher, t, {}), dispatcher.messages


def test_the_message_is_read_with_the_best_intent_that_is_not_the_fallback():
    m = message_of(tracker("积分落户要多少分", "faq", 0.8, faq=[("points_line", 0.9), ("points_basis", 0.05)],
                           metadata={"id_card": {"age": 30}}))
    assert (m.intent, m.confidence) == ("faq", 0.8)
    assert m.faq == [("points_line", 0.9), ("points_basis", 0.05)] and m.metadata == {"id_card": {"age": 30}}


def test_slots_become_the_state():
    st = state_of(tracker("x", age=28.0, asked_field="housing", ask_counts={"housing": 2.0}, failed_attempts=1.0,
                          skipped_fields=["sex"], age_range=[40, 49], pending_offer="continue"))
    assert st.values == {"age": 28} and st.asked == "housing" and st.asks == {"housing": 2}
    assert st.failed == 1 and st.skipped == ["sex"] and st.age_range == [40, 49] and st.offer == "continue"


def test_a_greeting_asks_where_first_with_the_area_options():
    events, messages = run(tracker("你好", "greet", as_of=None))
    assert [m["response"] for m in messages] == ["utter_greet", "utter_ask_target_area"]
    ask = messages[1]["custom"]
    assert ask["type"] == "ask" and ask["field"] == "target_area" and len(ask["options"]) == 10
    assert ask["options"][5]["payload"] == '/inform{"target_area": "苏州工业园区"}'
    assert "姑苏区" in messages[1]["urban_areas"] and "昆山市" in messages[1]["county_areas"]
    assert events == [SlotSet("asked_field", "target_area"), SlotSet("ask_counts", {"target_area": 1})]


def test_an_answer_sets_the_slot_and_the_next_question():
    entities = [{"entity": "target_area", "value": "苏州工业园区"}]
    events, messages = run(tracker('/inform{"target_area": "苏州工业园区"}', entities=entities,
                                   asked_field="target_area", ask_counts={"target_area": 1},
                                   housing="rental_unregistered"))
    # the planner (docs/planner.md): a renter is asked age and education in one question (counted as age)
    assert [m["response"] for m in messages] == ["utter_ask_age_education"]
    assert messages[0]["custom"]["fields"] == ["age", "education"] and messages[0]["custom"]["remaining"] >= 1
    assert events == [SlotSet("target_area", "苏州工业园区"), SlotSet("asked_field", "age"),
                      SlotSet("asked_also", "education"),
                      SlotSet("ask_counts", {"target_area": 1, "age": 1, "education": 0})]


def test_the_answer_carries_the_assessment_and_the_offer_to_go_on():
    slots = {"target_area": "苏州工业园区", "age": 27.0, "education": "bachelor", "asked_field": "retired",
             "ask_counts": {"retired": 1}}
    events, messages = run(tracker("没退休", "deny", **slots))
    assert messages[0]["custom"]["type"] == "assessment" and messages[0]["custom"]["recommended"] == ["talent"]
    assert "人才落户" in messages[0]["text"] and messages[2]["response"] == "utter_offer_continue"
    # the channels ranked above talent that could still open, in one line
    assert messages[1]["response"] == "utter_offer_easier" and "本市院校毕业生" in messages[1]["conditions"]
    names = [e["name"] for e in events]
    assert names == ["retired", "asked_field", "answered", "pending_offer", "last_assessment"]
    assert SlotSet("retired", False) in events and SlotSet("answered", True) in events


def test_a_restart_clears_the_conversation_first():
    events, messages = run(tracker("重新开始", "start_over", age=30.0, asked_field="housing"))
    assert events[0] == Restarted()
    assert [m["response"] for m in messages] == ["utter_restarted", "utter_ask_target_area"]
    assert SlotSet("asked_field", "target_area") in events and SlotSet("age", None) not in events


def test_disambiguation_buttons_answer_with_the_chosen_topic():
    events, messages = run(tracker("那这个要多久？", "faq", faq=[("residence_permit", 0.4), ("where_apply", 0.38)]))
    assert [m["response"] for m in messages] == ["utter_did_you_mean"]
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles[-1] == "都不是" and "居住证怎么办、签注" in titles and len(titles) <= 4
    button = next(b for b in messages[0]["buttons"] if b["title"] == "居住证怎么办、签注")
    _, answer = run(tracker(button["payload"], entities=[{"entity": "faq_topic", "value": "residence_permit"}]))
    assert answer[0]["response"] == "utter_faq/residence_permit" and answer[0]["permit_months"] == "6"
