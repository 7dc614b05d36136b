"""Hardened input and personal data, over real HTTP against the real Rasa server and action server
(credentials.yml and endpoints.yml as `make run` uses them, SQLite tracker store read directly):

- every input limit of the REST channel: malformed bodies get 400, huge ones 413 quickly, too long messages a
  polite reply that stores nothing, control characters are stripped, bad sender ids refused;
- every kind of personal data is masked before it is stored, the ID number gives age and sex once, a number
  failing the ID check digit is left alone, and the HTTP API's path around the channels is masked too;
- the action server stopped or hung: a polite reply with the 12345 hotline within 5 s, and the conversation
  goes on once it is back (restarted on the same port);
- the Rasa server's memory after a run of bad inputs stays within 10 % (figures in results/hardening.json).
"""
from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

import pytest
import requests

from assistant.policy.rules import rule_data
from assistant.stores.privacy import id_check_digit
from tests.support.servers import ROOT, ActionServer, payloads, rasa_server, rss_mb, texts

pytestmark = pytest.mark.servers  # real servers: `make test`, not `make unit`

INPUT = rule_data().messages["input"]
ID_1990 = "320583199001011232"            # check digit computed below; born 1990-01-01, male
ID_WRONG = "320583199001011234"           # the issue's example: wrong check digit (and no Luhn: no bank card)
CJK = re.compile(r"[\u4e00-\u9fff]")


class Env:
    def __init__(self, url: str, pid: int, db: Path, actions: ActionServer) -> None:
        self.url, self.pid, self.db, self.actions = url, pid, db, actions
        self.webhook = f"{url}/webhooks/rest/webhook"

    def post(self, body: bytes | str | None = None, *, json_body: object = None, timeout: float = 60,
             **kwargs) -> requests.Response:
        if json_body is not None:
            return requests.post(self.webhook, json=json_body, timeout=timeout, **kwargs)
        data = body.encode("utf-8") if isinstance(body, str) else body
        return requests.post(self.webhook, data=data, timeout=timeout,
                             headers={"Content-Type": "application/json", **kwargs.pop("headers", {})}, **kwargs)

    def say(self, sender: str, message: str, **extra) -> list[dict]:
        r = self.post(json_body={"sender": sender, "message": message, **extra})
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    def rows(self, sender: str | None = None) -> list[dict]:
        """Every stored event (of one conversation), as Rasa wrote it."""
        with sqlite3.connect(self.db) as conn:
            query = "SELECT data FROM events" + (" WHERE sender_id = ?" if sender else "") + " ORDER BY id"
            return [json.loads(r[0]) for r in conn.execute(query, (sender,) if sender else ())]

    def raw_rows(self) -> str:
        with sqlite3.connect(self.db) as conn:
            return "\n".join(f"{r[0]}\t{r[1]}\t{r[2]}" for r in conn.execute(
                "SELECT sender_id, intent_name, data FROM events"))

    def slots(self, sender: str) -> dict:
        return requests.get(f"{self.url}/conversations/{sender}/tracker", timeout=30).json()["slots"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    work = tmp_path_factory.mktemp("hardening")
    actions = ActionServer(work).start()
    try:
        with rasa_server(work, actions.port, work / "tracker.db") as (url, pid):
            ready = Env(url, pid, work / "tracker.db", actions)
            ready.say("warm-up", "你好")   # the first message after the start is slow
            yield ready
    finally:
        actions.stop()


def test_the_test_numbers():
    assert id_check_digit(ID_1990[:17]) == ID_1990[17] and id_check_digit(ID_WRONG[:17]) != ID_WRONG[17]


# --- input limits ----------------------------------------------------------------------------------------------

BAD_BODIES = [
    ("empty body", b"", INPUT["not_json"]),
    ("JSON array", b'[{"sender": "a", "message": "hi"}]', INPUT["not_json"]),
    ("JSON string", '"你好"', INPUT["not_json"]),
    ("JSON number", b"42", INPUT["not_json"]),
    ("not JSON", "sender=me&message=你好", INPUT["not_json"]),
    ("not UTF-8", b'{"sender": "a", "message": "\xff\xfe"}', INPUT["not_json"]),
    ("nested 5,000 deep", b"[" * 5000 + b"]" * 5000, INPUT["not_json"]),
    ("missing message", b'{"sender": "a"}', INPUT["bad_message"]),
    ("message a number", b'{"sender": "a", "message": 28}', INPUT["bad_message"]),
    ("message null", b'{"sender": "a", "message": null}', INPUT["bad_message"]),
    ("message a list", b'{"sender": "a", "message": ["hi"]}', INPUT["bad_message"]),
    ("missing sender", '{"message": "你好"}', INPUT["bad_sender"]),
    ("sender a number", '{"sender": 12345, "message": "你好"}', INPUT["bad_sender"]),
    ("sender empty", '{"sender": "", "message": "你好"}', INPUT["bad_sender"]),
    ("sender 65 characters", json.dumps({"sender": "a" * 65, "message": "你好"}), INPUT["bad_sender"]),
    ("sender Chinese", '{"sender": "张三", "message": "你好"}', INPUT["bad_sender"]),
    ("sender with a space", '{"sender": "a b", "message": "你好"}', INPUT["bad_sender"]),
    ("sender with a slash", '{"sender": "../x", "message": "你好"}', INPUT["bad_sender"]),
    ("sender with a newline", '{"sender": "a\\n", "message": "你好"}', INPUT["bad_sender"]),
    ("metadata a string", '{"sender": "a", "message": "你好", "metadata": "x"}', INPUT["bad_metadata"]),
    # found by the fuzz: JSON parses 600 levels, cleaning them recursed past Python's stack: HTTP 500
    ("metadata nested 600 deep", '{"sender": "a", "message": "你好", "metadata": ' + '{"a": ' * 600 + "1"
     + "}" * 601, INPUT["bad_metadata"]),
]


@pytest.mark.parametrize("body, error", [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES])
def test_a_malformed_body_gets_400_with_a_chinese_message(env, body, error):
    before = len(env.rows())
    r = env.post(body)
    assert r.status_code == 400, r.text
    assert r.json() == {"error": error} and CJK.search(error)
    assert len(env.rows()) == before, "nothing reached the tracker store"


@pytest.mark.parametrize("size", [16 * 1024 + 1, 1_000_000, 20_000_000])
def test_a_huge_body_is_refused_with_413_quickly(env, size):
    body = b'{"sender": "huge", "message": "' + b"a" * size + b'"}'
    start = time.perf_counter()
    r = env.post(body)
    elapsed = time.perf_counter() - start
    assert r.status_code == 413 and r.json()["error"] == INPUT["too_large"].format(limit=16384)
    assert elapsed < 3, f"{elapsed:.1f}s"
    assert env.rows("huge") == []


def test_a_huge_chunked_body_without_length_is_refused_too(env):
    def chunks():
        yield b'{"sender": "chunked", "message": "'
        for _ in range(100):
            yield "落".encode() * 1000
        yield b'"}'

    r = requests.post(env.webhook, data=chunks(), headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 413
    assert env.rows("chunked") == []


def test_a_message_over_1000_characters_gets_a_polite_reply_and_is_not_stored(env):
    sender = "too-long"
    env.say(sender, "你好")
    stored = env.rows(sender)
    message = "我今年二十八岁，本科毕业，" * 77  # 1,001 characters
    assert len(message) == 1001
    start = time.perf_counter()
    replies = env.say(sender, message)
    assert time.perf_counter() - start < 2
    assert replies == [{"recipient_id": sender, "text": INPUT["too_long"].format(length=1001, limit=1000)}]
    assert env.rows(sender) == stored, "the message reached the tracker store"
    assert env.slots(sender)["age"] is None


def test_a_message_of_exactly_1000_characters_is_read(env):
    sender = "just-fits"
    message = ("我今年二十八岁，本科毕业，" * 77)[:999] + "。"
    assert len(message) == 1000
    assert env.say(sender, message)
    assert [e["text"] for e in env.rows(sender) if e["event"] == "user"] == [message]


def test_control_and_invisible_characters_are_stripped(env):
    sender = "controls"
    replies = env.say(sender, "我今年\x0028岁\u200b，\u202e本科\x07毕业\r\n在园区\t上班\ufeff")
    user = [e for e in env.rows(sender) if e["event"] == "user"][-1]
    assert user["text"] == "我今年28岁，本科毕业 在园区 上班"
    assert env.slots(sender)["age"] == 28 and env.slots(sender)["education"] == "bachelor"
    assert payloads(replies, "ask")


def test_only_invisible_characters_get_a_prompt_and_nothing_is_stored(env):
    replies = env.say("invisible", "\u200b\u200d\x00 \n")
    assert replies == [{"recipient_id": "invisible", "text": INPUT["empty"]}]
    assert env.rows("invisible") == []


@pytest.mark.parametrize("sender", ["a", "x" * 64, "web-3f2a9c_1.2:x@y"])
def test_good_sender_ids_are_served(env, sender):
    assert env.say(sender, "你好")


def _ours(metadata: dict) -> dict:
    """An event's metadata without what Rasa adds itself (the model's ids)."""
    return {k: v for k, v in metadata.items() if k not in ("model_id", "assistant_id")}


def test_metadata_is_passed_on_like_rasa_rest(env):
    env.say("meta", "你好", metadata={"page": "web", "phone": "13912345678"})
    user = [e for e in env.rows("meta") if e["event"] == "user"][-1]
    assert _ours(user["metadata"]) == {"page": "web", "phone": "139****5678"}


# --- personal data ---------------------------------------------------------------------------------------------

def _nowhere(env: Env, *numbers: str) -> None:
    stored = env.raw_rows()
    for number in numbers:
        assert number not in stored, f"{number} is stored"


def test_id_and_mobile_are_masked_and_the_id_gives_age_and_sex_once(env):
    sender = "id-card"
    env.say(sender, "按2025-06-01的规则评估")
    replies = env.say(sender, f"我身份证号{ID_1990}，手机13912345678")
    said = texts(replies)
    assert "已根据您提供的身份证号读取：年龄（周岁）：35岁；性别：男。号码本身不会保存" in said
    assert "我记下了" not in said  # said once
    slots = env.slots(sender)
    assert slots["age"] == 35 and slots["sex"] == "male"
    user = [e for e in env.rows(sender) if e["event"] == "user"][-1]
    assert user["text"] == "我身份证号3205**********1232，手机139****5678"
    assert user["parse_data"]["text"] == user["text"]
    assert _ours(user["metadata"]) == {"id_card": {"age": 35, "sex": "male"}}   # no number, no birth date
    _nowhere(env, ID_1990, "13912345678", "19900101", "1990-01-01")
    assert payloads(replies, "ask") or payloads(replies, "assessment")


def test_the_id_number_is_not_read_as_the_answer_to_the_pending_question(env):
    sender = "id-pending"
    env.say(sender, "按2025-06-01的规则评估")
    env.say(sender, "你好")
    env.say(sender, "园区")   # next comes a question on a number (age, months …), not on the ID
    replies = env.say(sender, f"身份证{ID_1990.lower()}")
    assert "应为0到120之间" not in texts(replies) and "收到：3205" not in texts(replies)
    assert env.slots(sender)["age"] == 35


@pytest.mark.parametrize("message, raw, masked", [
    ("邮箱zhangsan.li@example.com，有事联系", ["zhangsan.li@example.com", "zhangsan"], "z***@example.com"),
    ("工资卡6222021234567890128", ["6222021234567890128"], "6222***********0128"),
    ("电话 139 1234 5678", ["139 1234 5678"], "139****5678"),
    ("身份证１１０１０５１９４９１２３１００２Ｘ", ["１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"],
     "1101**********002X"),
])
def test_every_kind_is_masked_before_it_is_stored(env, message, raw, masked):
    sender = f"kind-{abs(hash(message)) % 10 ** 8}"
    env.say(sender, message)
    user = [e for e in env.rows(sender) if e["event"] == "user"][-1]
    assert masked in user["text"]
    _nowhere(env, *raw)


def test_the_issues_example_with_a_mistyped_check_digit_is_masked_and_read(env):
    sender = "wrong-check"
    env.say(sender, "按2025-06-01的规则评估")
    replies = env.say(sender, f"我身份证号{ID_WRONG}，手机13912345678")
    assert "已根据您提供的身份证号读取：年龄（周岁）：35岁；性别：男。" in texts(replies)
    user = [e for e in env.rows(sender) if e["event"] == "user"][-1]
    assert user["text"] == "我身份证号3205**********1234，手机139****5678"
    assert env.slots(sender)["age"] == 35
    _nowhere(env, ID_WRONG, "13912345678", "19900101")


def test_the_issue_19_message_with_an_x_id_and_a_wrong_check_digit_gets_a_normal_masked_reply(env):
    # 32058319900101123X: the check digit should be 2; luhn_ok(int('X')) crashed the guard (HTTP 500)
    sender = "issue-19"
    env.say(sender, "按2025-06-01的规则评估")
    r = env.post(json_body={"sender": sender, "message": "我身份证号32058319900101123X，手机13912345678，想在园区落户"})
    assert r.status_code == 200, r.text
    said = texts(r.json())
    assert INPUT["fault"] not in said and "已根据您提供的身份证号读取：年龄（周岁）：35岁；性别：男。" in said
    assert payloads(r.json(), "ask") or payloads(r.json(), "assessment")
    user = [e for e in env.rows(sender) if e["event"] == "user"][-1]
    assert user["text"] == "我身份证号3205**********123X，手机139****5678，想在园区落户"
    assert env.slots(sender)["target_area"] == "苏州工业园区"
    _nowhere(env, "32058319900101123X", "32058319900101123x", "13912345678", "19900101")


@pytest.mark.parametrize("command", ["/restart", "/restart\udfff", "/back", "/session_start"])
def test_rasa_s_own_commands_typed_get_an_answer_and_forget_nothing(env, command):
    # found by the fuzz: Rasa ran its own action_restart (or back, session_start), which says nothing, and the
    # resident got the fault message; now they are words like any other
    sender = f"command-{command[1:5]}-{len(command)}"
    env.say(sender, "我在园区上班")
    replies = env.say(sender, command)
    assert replies and INPUT["fault"] not in texts(replies), replies
    assert env.slots(sender)["target_area"] == "苏州工业园区"


def test_a_client_cannot_pretend_to_have_given_an_id_number(env):
    sender = "spoof"
    replies = env.say(sender, "我是本科", metadata={"id_card": {"age": 30, "sex": "female"}})
    assert "身份证号读取" not in texts(replies) and env.slots(sender)["age"] is None


def test_two_different_id_numbers_give_no_age(env):
    sender = "two-ids"
    other = "320502198511234564"
    replies = env.say(sender, f"我的{ID_1990}，我老婆的{other}")
    assert "身份证号读取" not in texts(replies)
    _nowhere(env, ID_1990, other)


def test_the_http_api_around_the_channels_is_masked_by_the_store(env):
    sender = "api-path"
    r = requests.post(f"{env.url}/conversations/{sender}/messages",
                      json={"text": f"身份证{ID_1990}，手机13912345678", "sender": "user"}, timeout=60)
    assert r.status_code == 200, r.text
    _nowhere(env, ID_1990, "13912345678")
    user = [e for e in env.rows(sender) if e["event"] == "user"][-1]
    assert user["text"] == "身份证3205**********1232，手机139****5678"


# --- faults users notice ---------------------------------------------------------------------------------------

def _timed(env: Env, sender: str, message: str) -> tuple[float, list[dict]]:
    start = time.perf_counter()
    replies = env.say(sender, message)
    return time.perf_counter() - start, replies


def test_action_server_down_gets_a_polite_reply_within_5s_and_the_conversation_goes_on(env):
    sender = "action-down"
    first = payloads(env.say(sender, "你好"), "ask")[-1]["field"]
    env.actions.stop()
    try:
        elapsed, replies = _timed(env, sender, "我今年28岁")
        assert elapsed < 5, f"{elapsed:.1f}s"
        assert texts(replies).endswith(INPUT["fault"]) and "12345" in texts(replies)
    finally:
        env.actions.start()   # the same port, as a restarted service would
    replies = env.say(sender, "我今年28岁")
    assert payloads(replies, "ask") and env.slots(sender)["age"] == 28
    assert first == "target_area" and env.slots(sender)["asked_field"] == first  # still the open question


def test_action_server_hung_gets_a_polite_reply_within_5s_and_the_conversation_goes_on(env):
    sender = "action-hung"
    env.say(sender, "你好")
    env.actions.pause()
    try:
        elapsed, replies = _timed(env, sender, "本科毕业")
        assert elapsed < 5, f"{elapsed:.1f}s"
        assert texts(replies).endswith(INPUT["fault"])
    finally:
        env.actions.resume()
    # The late handling finishes in the background under the conversation's lock; the next message waits for
    # it and the conversation is whole: education was taken once, and the next answer is read.
    replies = env.say(sender, "我今年28岁")
    assert payloads(replies, "ask") or payloads(replies, "assessment")
    slots = env.slots(sender)
    assert slots["education"] == "bachelor" and slots["age"] == 28


# --- memory after a run of bad inputs --------------------------------------------------------------------------

def test_memory_stays_within_10_percent_after_a_run_of_bad_inputs(env):
    for i in range(5):
        env.say(f"mem-warm-{i}", "我今年28，本科毕业，在园区上班")
    before = rss_mb(env.pid)
    slowest, statuses = 0.0, {}
    bad = [b"", b"[]", b'{"sender": "a"}', '{"sender": "张三", "message": "x"}'.encode(),
           b"{" * 4000, json.dumps({"sender": "m", "message": "落" * 1001}).encode()]
    for i in range(200):
        if i % 50 == 0:   # a 100,000-character message: the one that took 20 GB before
            body = json.dumps({"sender": "mem", "message": "我今年二十八岁" * 14_286}, ensure_ascii=False)
            r = env.post(body)
        elif i % 10 == 0:
            r = env.post(b"x" * 2_000_000)
        else:
            r = env.post(bad[i % len(bad)])
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        slowest = max(slowest, r.elapsed.total_seconds())
    after = rss_mb(env.pid)
    report = {"rss_before_mb": round(before), "rss_after_mb": round(after), "requests": 200,
              "statuses": statuses, "slowest_s": round(slowest, 3)}
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "hardening.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    assert set(statuses) <= {200, 400, 413}
    assert abs(after - before) <= 0.10 * before, report
    assert slowest < 2, report
