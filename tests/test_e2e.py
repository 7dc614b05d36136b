"""Whole conversations with the real action server and Rasa server over the REST webhook, with the
SQLite tracker store: every public profile, opening and FAQ question of tests/fixtures/, and a restart of
the Rasa server in the middle of a conversation."""
from __future__ import annotations

import pytest

from tests.support.fixtures import load
from tests.support.residents import Resident, decided_right, talk
from tests.support.servers import interview, payloads, rasa_server, servers, texts

pytestmark = pytest.mark.servers  # real servers: `make test`, not `make unit`


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with servers(tmp_path_factory.mktemp("e2e")) as running:
        yield running


PROFILES = load("profiles.json")


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("case", PROFILES, ids=[c["name"] for c in PROFILES])
def test_a_simulated_resident_reaches_the_expected_statuses(srv, case, seed):
    """Everyday Chinese answers, with remarks and questions in the middle (tests/fixtures/phrases.yml)."""
    resident = Resident(case["profile"], seed)
    out = talk(lambda text: srv.webhook(f"resident-{case['name'][:3]}-{seed}", text), resident)
    assert out.assessment is not None, _transcript(out)
    assert decided_right(out.assessment, case["expected"]), _transcript(out)
    assert max(out.asks.values()) <= 3, f"a question was asked more than three times: {out.asks}"
    assert not set(out.asks) & {k for k, v in case["profile"].items() if v is None}


def _transcript(out) -> str:
    return "\n".join(f"> {m}\n  " + " | ".join(r.get("text", "")[:60] for r in replies)
                     for m, replies in out.transcript)


def test_questions_carry_options_that_web_pages_can_draw(srv):
    replies = srv.webhook("options", "你好")
    ask = payloads(replies, "ask")[-1]
    assert ask["field"] == "target_area"
    assert {"title", "value", "payload"} <= set(ask["options"][0])
    assert "哪个区" in texts(replies)


OPENINGS = load("openings.txt")


@pytest.mark.parametrize("line", OPENINGS)
def test_every_opening_gets_a_relevant_next_step(srv, line):
    sender = f"opening-{abs(hash(line))}"
    replies = srv.webhook(sender, line)
    asks = payloads(replies, "ask")
    slots = srv.tracker(sender)["slots"]
    known = {k for k, v in slots.items() if v is not None and k in answers_fields()}
    decided = payloads(replies, "assessment")
    if decided:  # the opening already decides: the answer, a channel open, and no question before it
        assert not asks and decided[-1]["recommended"], f"an answer with nothing open after {line!r}: {replies}"
    else:
        assert len(asks) == 1, f"not one question after {line!r}: {replies}"
        assert asks[0]["field"] not in known, f"asked about {asks[0]['field']} already stated in {line!r}"
    # every fact taken from the opening is said back; a greeting takes none
    assert ("我记下了" in texts(replies)) == bool(known), (known, texts(replies))


def answers_fields() -> set[str]:
    from assistant.policy.profile import PROFILE_FIELDS
    return set(PROFILE_FIELDS)


FAQ = load("faq.json")


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
    profile = dict(PROFILES[2]["profile"])
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
    """A second Rasa server on the same tracker store resumes at the pending question."""
    import requests

    sender = "survivor"
    pending = payloads(srv.webhook(sender, "我今年28，本科毕业，在园区上班"), "ask")[-1]["field"]
    action_port = int(srv.action_url.rsplit(":", 1)[1])
    with rasa_server(tmp_path, action_port, srv.db) as (second, _):
        slots = requests.get(f"{second}/conversations/{sender}/tracker", timeout=30).json()["slots"]
        assert slots["age"] == 28 and slots["education"] == "bachelor" and slots["asked_field"] == pending
        replies = requests.post(f"{second}/webhooks/rest/webhook", json={"sender": sender, "message": "你好"},
                                timeout=60).json()
        assert payloads(replies, "ask")[-1]["field"] == pending
