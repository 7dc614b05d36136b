"""The production topology on this machine, with real servers (`make test-production`; tests/support/topology.py):
PostgreSQL, Redis and nginx from Debian's packages, TWO Rasa instances and ONE action server behind nginx,
configured as deploy/ configures them.

- whole conversations of simulated residents through nginx, their turns spread over both instances, every turn
  answered (no error, no fault message); an assessment given is the expected one (the state carried between
  instances is right); whether the simulation reaches one at all is the dialogue's business (tests/test_e2e.py);
- PostgreSQL holds every event once, in order: each conversation's stored user messages are exactly those sent,
  followed by exactly the replies the resident got;
- WeChat: the same MsgId sent to both instances is answered by both and reaches the assistant once; numbered
  options offered by one instance are understood by the other; a signed plaintext URL cannot be reused there;
- one instance killed (SIGKILL) in the middle: every conversation goes on on the other, nothing lost or doubled;
- nginx: the REST body limit (16 KiB, the channel's own answer), Rasa's HTTP API not reachable;
- the conversation review reads PostgreSQL: its page's API on both instances and `python -m assistant review`
  (DATABASE_URL) give the same figures, which count what PostgreSQL holds.

CONVERSATIONS (default 20) sets the size of the first run.
"""
from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from assistant.policy.rules import rule_data
from tests.support import services
from tests.support.fixtures import load
from tests.support.residents import Resident, decided_right, talk
from tests.support.servers import ROOT, payloads
from tests.support.topology import Topology, production, stored_problems

pytestmark = [pytest.mark.servers, pytest.mark.production]  # `make test-production` only

FAULT = rule_data().messages["input"]["fault"]
CONVERSATIONS = int(os.environ.get("CONVERSATIONS", "20"))
PROFILES = load("profiles.json")
CONSOLE_TOKEN = "console-" + secrets.token_hex(12)


@pytest.fixture(scope="module")
def wechat_keys():
    return {"WECHAT_TOKEN": secrets.token_hex(16),
            "WECHAT_ENCODING_AES_KEY": base64.b64encode(os.urandom(32)).decode().rstrip("="),
            "WECHAT_APP_ID": "wx" + secrets.token_hex(8), "WECHAT_APP_SECRET": "", "WECHAT_API_BASE": ""}


@pytest.fixture(scope="module")
def topology(tmp_path_factory, wechat_keys) -> Topology:
    gone = services.missing()
    if gone:
        pytest.fail(f"not installed: {', '.join(gone)}; `make services` (as root) installs them")
    env = {**wechat_keys, "CONSOLE_TOKEN": CONSOLE_TOKEN}
    with production(tmp_path_factory.mktemp("production"), instances=2, action_servers=1, env=env) as top:
        for instance in top.instances:   # the first message after a start is slow
            requests.post(f"{instance.url}/webhooks/rest/webhook", json={"sender": "warm-up", "message": "你好"},
                          timeout=120)
        yield top


# --- conversations and what PostgreSQL holds ----------------------------------------------------------------------

class Conversation:
    """One simulated resident talking through nginx; every turn with the instance that answered it."""

    def __init__(self, top: Topology, sender: str, case: dict, seed: int) -> None:
        self.top, self.sender, self.case, self.seed = top, sender, case, seed
        self.turns: list[tuple[str, list[dict], str]] = []
        self.sent_at: list[float] = []   # when each turn's request went out (time.monotonic)
        self.outcome = None
        self.error: Exception | None = None

    def send(self, text: str) -> list[dict]:
        self.sent_at.append(time.monotonic())
        replies, upstream = self.top.webhook(self.sender, text)
        self.turns.append((text, replies, upstream))
        return replies

    def run(self) -> Conversation:
        try:
            self.outcome = talk(self.send, Resident(self.case["profile"], self.seed))
        except Exception as exc:   # reported by the test, with the others
            self.error = exc
        return self


def converse(top: Topology, prefix: str, count: int, workers: int,
             during=None) -> list[Conversation]:
    cases = [(case, seed) for seed in range(1 + count // len(PROFILES)) for case in PROFILES][:count]
    conversations = [Conversation(top, f"{prefix}-{n}-{secrets.token_hex(3)}", case, seed)
                     for n, (case, seed) in enumerate(cases)]
    with ThreadPoolExecutor(workers) as pool:
        done = pool.map(Conversation.run, conversations)
        if during is not None:
            during(conversations)
        list(done)
    return conversations


def check_conversations(top: Topology, conversations: list[Conversation]) -> int:
    """No turn failed or got the fault message, an assessment given is the expected one, and PostgreSQL holds
    exactly what was said and answered, once, in order. Returns how many conversations reached an assessment."""
    problems = []
    stored = top.stored([c.sender for c in conversations])
    assessed = 0
    for c in conversations:
        name = f"{c.sender} ({c.case['name']}, seed {c.seed})"
        if c.error is not None:
            problems.append(f"{name}: {c.error!r}")
            continue
        if c.outcome.assessment is not None:
            assessed += 1
            if not decided_right(c.outcome.assessment, c.case["expected"]):
                problems.append(f"{name}: a wrong assessment after {len(c.turns)} turns")
        faults = [text for text, replies, _ in c.turns if any(r.get("text") == FAULT for r in replies)]
        if faults:
            problems.append(f"{name}: the fault message after {faults}")
        problems += [f"{name}: {p}" for p in stored_problems(stored.get(c.sender, []), c.turns)]
    assert not problems, "\n".join(problems)
    assert assessed >= len(conversations) // 2, f"only {assessed} of {len(conversations)} reached an assessment"
    return assessed


def test_conversations_through_nginx_use_both_instances_and_postgresql_holds_every_event_once_in_order(topology):
    start = time.monotonic()
    conversations = converse(topology, "prod", CONVERSATIONS, workers=min(CONVERSATIONS, 20))
    seconds = time.monotonic() - start
    assessed = check_conversations(topology, conversations)
    served = Counter(upstream for c in conversations for _, _, upstream in c.turns)
    ports = {f"127.0.0.1:{i.port}" for i in topology.instances}
    assert set(served) == ports, served                       # no retries needed, both instances answered
    turns = sum(served.values())
    assert min(served.values()) >= 0.3 * turns, served        # round robin
    # round robin over everyone's requests: a conversation's turns go to both instances, except by chance
    long = [c for c in conversations if len(c.turns) >= 4]
    mixed = [c for c in long if len({u for _, _, u in c.turns}) == 2]
    assert len(mixed) >= len(long) // 2, f"only {len(mixed)} of {len(long)} conversations used both instances"
    print(f"\n{len(conversations)} conversations ({assessed} to their assessment), {turns} turns in {seconds:.0f} s "
          f"({turns / seconds:.1f} msg/s); turns per instance: {dict(served)}")


def test_one_conversation_alone_alternates_between_the_instances_turn_by_turn(topology):
    [conversation] = converse(topology, "alone", 1, workers=1)
    check_conversations(topology, [conversation])
    upstreams = [u for _, _, u in conversation.turns]
    assert len(upstreams) >= 4
    assert all(a != b for a, b in zip(upstreams, upstreams[1:], strict=False)), upstreams


# --- WeChat on both instances -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wechat(topology, wechat_keys):
    from tests.test_wechat import WeChat  # the signing and encryption of WeChat's server

    def to(url: str) -> WeChat:
        return WeChat(url, wechat_keys["WECHAT_TOKEN"], wechat_keys["WECHAT_ENCODING_AES_KEY"],
                      wechat_keys["WECHAT_APP_ID"], "gh_" + secrets.token_hex(6))

    senders = [to(i.url) for i in topology.instances] + [to(topology.url)]
    ids = itertools.count(int(time.time() * 1000))   # one WeChat server: message ids unique across instances
    for wx in senders:
        wx.ids = ids
    return senders[:-1], senders[-1]


def user_texts(top: Topology, sender: str) -> list[str]:
    return [e.get("text") for e in top.stored([sender]).get(sender, []) if e["event"] == "user"]


def test_the_same_wechat_message_sent_to_both_instances_reaches_the_assistant_once(topology, wechat):
    from tests.test_wechat import new_openid

    (one, other), via_nginx = wechat
    for safe in (True, False):
        openid = new_openid()
        xml = one.text(openid, "你好，我今年28岁，本科毕业")
        def send(wx, xml=xml, safe=safe) -> str:
            return wx.reply(wx.post(xml, safe=safe), safe=safe)["Content"]

        with ThreadPoolExecutor(2) as pool:   # at the same moment, one on each instance
            answers = list(pool.map(send, (one, other)))
        again = via_nginx.reply(via_nginx.post(xml, safe=safe), safe=safe)["Content"]   # and a later retry
        assert answers[0] and answers[0] == answers[1] == again, answers
        assert "回复1" in answers[0] or "？" in answers[0]
        assert user_texts(topology, openid) == ["你好，我今年28岁，本科毕业"]


def test_numbered_options_offered_by_one_instance_are_understood_by_the_other(topology, wechat):
    from tests.test_wechat import new_openid

    (one, other), _ = wechat
    openid = new_openid()
    first = one.say(openid, "你好")
    assert "回复1：" in first
    other.say(openid, "1")
    assert user_texts(topology, openid)[-1].startswith("/inform")


def test_a_signed_plaintext_url_cannot_carry_another_message_on_the_other_instance(topology, wechat):
    from tests.test_wechat import new_openid

    (one, other), _ = wechat
    openid = new_openid()
    params = one.params()
    assert one.reply(one.post(one.text(openid, "你好"), params=params))["Content"]
    assert other.post(other.text(openid, "转人工"), params=params).status_code == 403
    assert user_texts(topology, openid) == ["你好"]


# --- nginx --------------------------------------------------------------------------------------------------------

def test_nginx_refuses_big_bodies_as_the_rest_channel_does_and_hides_rasas_api(topology):
    limit = 16 * 1024
    message = "好" * ((limit - 40) // 3)
    body = json.dumps({"sender": "size", "message": message}, ensure_ascii=False).encode()
    body += b" " * (limit - len(body))
    assert requests.post(f"{topology.url}/webhooks/rest/webhook", data=body, timeout=30,
                         headers={"Content-Type": "application/json"}).status_code == 200   # 16 KiB: read
    too_big = requests.post(f"{topology.url}/webhooks/rest/webhook", data=body + b" ", timeout=30,
                            headers={"Content-Type": "application/json"})
    expected = rule_data().messages["input"]["too_large"].format(limit=limit)
    assert too_big.status_code == 413 and too_big.json() == {"error": expected}
    for path in ("/conversations/size/tracker", "/model/parse", "/status", "/version"):
        assert requests.get(f"{topology.url}{path}", timeout=10).status_code == 404, path
    assert requests.get(f"{topology.url}/webhooks/web/", timeout=10).status_code == 200
    assert requests.get(f"{topology.url}/webhooks/wechat", params={"echostr": "1"}, timeout=10).status_code == 403


# --- the conversation review on PostgreSQL -------------------------------------------------------------------------

def _review(top: Topology, path: str, **params) -> requests.Response:
    return requests.get(f"{top.url}/webhooks/console/review{path}", params=params, timeout=60,
                        headers={"Authorization": f"Bearer {CONSOLE_TOKEN}"})


def test_the_review_figures_come_from_postgresql(topology):
    prefix = f"review-{secrets.token_hex(3)}"
    handoff, stop = f"{prefix}-handoff", f"{prefix}-stop"
    for sender, message in [(handoff, "你好"), (handoff, "转人工"), (stop, "你好")]:
        topology.webhook(sender, message)
    replies, _ = topology.webhook(stop, "工业园区")
    pending = payloads(replies, "ask")[-1]["field"]
    [done] = converse(topology, prefix, 1, workers=1)
    engine = topology.engine()
    today = dt.date.today()
    start = time.mktime(today.timetuple())
    try:
        with engine.begin() as conn:   # the resident left 45 minutes ago
            conn.execute(sa.text("UPDATE events SET timestamp = timestamp - 2700 WHERE sender_id = :s"), {"s": stop})
            senders = {row[0] for row in conn.execute(sa.text(
                "SELECT DISTINCT sender_id FROM events WHERE type_name = 'user' AND timestamp >= :t"), {"t": start})}
    finally:
        engine.dispose()
    answers = [_review(topology, "/data", since=today.isoformat()) for _ in topology.instances]   # round robin
    assert all(a.status_code == 200 for a in answers), [a.text[:300] for a in answers]
    api = answers[0].json()
    assert {a.headers.get("X-Upstream") for a in answers} == {f"127.0.0.1:{i.port}" for i in topology.instances}
    assert all(a.json()["counts"] == api["counts"] for a in answers)
    assert {c["sender_id"] for c in api["conversations"]} == senders and api["counts"]["conversations"] == len(senders)
    flagged = _review(topology, "/data", since=today.isoformat(), filter="handoff").json()["conversations"]
    assert handoff in {c["sender_id"] for c in flagged}
    stopped = _review(topology, "/data", since=today.isoformat(), filter="abandoned").json()["conversations"]
    assert (stop, pending) in {(c["sender_id"], c["pending"]) for c in stopped}
    assert next(r for r in api["dropoff"] if r["field"] == pending)["stopped"] >= 1
    shown = _review(topology, f"/conversation/{done.sender}").json()
    assert [t["text"] for t in shown["turns"]] == [text for text, _, _ in done.turns]
    cli = subprocess.run([sys.executable, "-m", "assistant", "review", "--since", today.isoformat(), "--format",
                          "json"], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={**os.environ, "DATABASE_URL": topology.postgres.url})
    assert cli.returncode == 0, cli.stderr
    assert "postgresql://" in cli.stderr and topology.postgres.url.split("@")[-1] in cli.stderr
    figures = json.loads(cli.stdout)
    assert (figures["counts"], figures["dropoff"], figures["unanswered"]) == \
        (api["counts"], api["dropoff"], api["unanswered"])
    print(f"\nreview from PostgreSQL: {api['counts']}")


# --- one instance killed in the middle (last: it leaves one instance) ------------------------------------------------

def test_killing_one_instance_in_the_middle_loses_nothing(topology):
    victim, survivor = topology.instances
    count = max(8, CONVERSATIONS // 2)
    killed_at: list[int] = []
    killed_time: list[float] = []

    def kill_when_under_way(conversations: list[Conversation]) -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            done = sum(len(c.turns) for c in conversations)
            if done >= 3 * len(conversations):   # every conversation is a few turns in
                topology.kill(victim)
                killed_at.append(done)
                killed_time.append(time.monotonic())
                return
            time.sleep(0.05)

    thread_result: list = []
    conversations = converse(topology, "kill", count, workers=count,
                             during=lambda cs: thread_result.append(
                                 threading.Thread(target=kill_when_under_way, args=(cs,)).start()))
    time.sleep(0.1)
    assert killed_at, "the instance was not killed"
    assert not victim.alive
    check_conversations(topology, conversations)
    after = [u for c in conversations for (_, _, u), t in zip(c.turns, c.sent_at, strict=False) if t > killed_time[0]]
    assert after and all(u.split(", ")[-1] == f"127.0.0.1:{survivor.port}" for u in after)
    print(f"\nkilled the instance on port {victim.port} after {killed_at[0]} turns; "
          f"{sum(len(c.turns) for c in conversations)} turns in all, "
          f"{sum(1 for c in conversations for _, _, u in c.turns if ',' in u)} retried by nginx on the other")
