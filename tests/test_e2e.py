"""Whole conversations with the real action server and Rasa server over the REST webhook, with the
SQLite tracker store: every public profile, opening and FAQ question of ../shared/eval, and a restart of
the Rasa server in the middle of a conversation."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.servers import MODEL, interview, payloads, rasa_server, servers, texts

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="no trained model: `make test` trains one first")


def _load(name: str):
    path = EVAL / name
    if not path.exists():
        pytest.skip(f"{path} is not beside this checkout")
    return json.loads(path.read_text(encoding="utf-8")) if name.endswith(".json") else \
        [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with servers(tmp_path_factory.mktemp("e2e")) as running:
        yield running


PROFILES = _load("profiles.json") if (EVAL / "profiles.json").exists() else []


@pytest.mark.parametrize("case", PROFILES, ids=[c["name"] for c in PROFILES])
def test_public_profile_conversation_reaches_the_expected_statuses(srv, case):
    out = interview(srv, f"profile-{case['name'][:3]}", case["profile"])
    got = {c["id"]: c["status"] for c in out.assessment["channels"]}
    want = case["expected"]["statuses"]
    # The interview stops once the outcome is clear: channels it did not need may still be undetermined.
    decided = {k: v for k, v in got.items() if v != "undetermined"}
    assert {k: want[k] for k in decided} == decided
    assert out.assessment["recommended"] == case["expected"]["recommended"]
    assert len(set(out.questions)) == len(out.questions), f"a question was asked twice: {out.questions}"
    assert not set(out.questions) & {k for k, v in case["profile"].items() if v is None}


def test_questions_carry_options_that_web_pages_can_draw(srv):
    replies = srv.webhook("options", "你好")
    ask = payloads(replies, "ask")[-1]
    assert ask["field"] == "target_area"
    assert {"title", "value", "payload"} <= set(ask["options"][0])
    assert "哪个区" in texts(replies)


OPENINGS = _load("openings.txt") if (EVAL / "openings.txt").exists() else []


@pytest.mark.parametrize("line", OPENINGS)
def test_every_opening_gets_a_relevant_next_step(srv, line):
    sender = f"opening-{abs(hash(line))}"
    replies = srv.webhook(sender, line)
    asks, answers = payloads(replies, "ask"), payloads(replies, "assessment")
    assert asks or answers, f"no question and no answer for {line!r}: {replies}"
    slots = srv.tracker(sender)["slots"]
    known = {k for k, v in slots.items() if v is not None and k in answers_fields()}
    if asks:
        assert asks[-1]["field"] not in known, f"asked about {asks[-1]['field']} already stated in {line!r}"
    if len(known) >= 2:
        assert "我记下了" in texts(replies)


def answers_fields() -> set[str]:
    from assistant.profile import PROFILE_FIELDS
    return set(PROFILE_FIELDS)


FAQ = _load("faq.json") if (EVAL / "faq.json").exists() else []


@pytest.mark.parametrize("item", FAQ, ids=[f["q"] for f in FAQ])
def test_faq_answers_state_the_required_facts(srv, item):
    replies = srv.webhook(f"faq-{abs(hash(item['q']))}", item["q"])
    text = texts(replies)
    for word in item["must"]:
        assert word in text, f"{item['q']!r}: {word!r} missing from {text!r}"


def test_faq_in_the_middle_of_the_interview_resumes_the_question(srv):
    sender = "faq-middle"
    first = payloads(srv.webhook(sender, "你好"), "ask")[-1]["field"]
    replies = srv.webhook(sender, "办居住证要住满多久")
    assert "半年" in texts(replies)
    assert payloads(replies, "ask")[-1]["field"] == first


def test_correction_skip_and_handoff(srv):
    sender = "correction"
    srv.webhook(sender, "我今年28，本科毕业，在园区上班")
    replies = srv.webhook(sender, "不对，我是大专")
    assert "已为您更正" in texts(replies) and "大专" in texts(replies)
    assert srv.tracker(sender)["slots"]["education"] == "associate"
    asked = payloads(replies, "ask")[-1]["field"]
    skipped = srv.webhook(sender, "不知道")
    assert payloads(skipped, "ask")[-1]["field"] != asked
    handoff = texts(srv.webhook(sender, "转人工"))
    assert "12345" in handoff and "大专" in handoff
    assert srv.tracker(sender)["slots"]["handoff_requested"] is True


def test_follow_ups_after_the_answer(srv):
    sender = "follow-ups"
    profile = dict(PROFILES[2]["profile"]) if len(PROFILES) > 2 else None
    if profile is None:
        pytest.skip("public profiles not available")
    profile["social_insurance_months"] = 60   # 354 points: short of the line
    profile["social_insurance_consecutive_months"] = 60
    out = interview(srv, sender, profile)
    assert out.assessment is not None
    why = texts(srv.webhook(sender, "为什么不能积分落户？"))
    assert "积分落户" in why
    gap = texts(srv.webhook(sender, "我差多少分"))
    assert "还差" in gap and "400" in gap
    what_if = texts(srv.webhook(sender, "那如果我再交一年社保呢？"))
    assert "假设" in what_if and "→" in what_if


def test_out_of_scope_is_polite_and_says_what_it_can_do(srv):
    text = texts(srv.webhook("oos", "今天天气怎么样"))
    assert "落户" in text and "抱歉" in text


def test_a_conversation_survives_a_restart_of_the_rasa_server(srv, tmp_path):
    sender = "survivor"
    pending = payloads(srv.webhook(sender, "我今年28，本科毕业，在园区上班"), "ask")[-1]["field"]
    action_port = int(srv.action_url.rsplit(":", 1)[1])
    with rasa_server(tmp_path, action_port, srv.db) as (second, _):
        import requests

        def say(message: str) -> list[dict]:
            return requests.post(f"{second}/webhooks/rest/webhook", json={"sender": sender, "message": message},
                                 timeout=60).json()

        slots = requests.get(f"{second}/conversations/{sender}/tracker", timeout=30).json()["slots"]
        assert slots["age"] == 28 and slots["education"] == "bachelor" and slots["asked_field"] == pending
        # The resident comes back: the interview resumes at the question that was pending.
        assert payloads(say("你好"), "ask")[-1]["field"] == pending
        replies = say("不知道")
        assert payloads(replies, "ask") or payloads(replies, "assessment")
