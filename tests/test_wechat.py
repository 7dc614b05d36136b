"""The WeChat channel over real HTTP on loopback: these tests play WeChat's server (signed XML, plaintext and
safe mode, with wechatpy) against the real Rasa server and action server, and stand in for WeChat's API server
(/cgi-bin/token and /cgi-bin/message/custom/send), the only stand-in, since the real one is out of reach (both in
tests/support/wechat.py, which the HTTP fuzz uses too).

Every test runs twice: with the channel's memory (message ids, answers, signed URLs, numbered options) in the Rasa
process, as `make run` has it, and on a real Redis server (REDIS_URL, as in production; assistant/channels/state.py).

The Rasa server runs with a temporary credentials.yml: the REST channel, the channel at /webhooks/wechat/, and two test
variants of the same class defined below (Rasa imports them from this module): /webhooks/wechat_slow/ with a
tiny reply_timeout (every answer takes the customer-service path) and /webhooks/wechat_off/ without a token.
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from assistant.channels.wechat import WeChatInput
from assistant.channels.wechat_render import MAX_TEXT_BYTES, pick_option, render, split_text
from assistant.policy.rules import rule_data
from tests.support import services
from tests.support.fixtures import load
from tests.support.servers import interview, servers, texts
from tests.support.wechat import WeChat, WeChatAPIStandIn, new_openid

pytestmark = pytest.mark.servers  # real servers: `make test`, not `make unit`



class SlowWeChatInput(WeChatInput):
    """The same channel at /webhooks/wechat_slow/; the test configures it with a tiny reply_timeout."""

    @classmethod
    def name(cls) -> str:
        return "wechat_slow"


class UnconfiguredWeChatInput(WeChatInput):
    """The same channel at /webhooks/wechat_off/, without a token."""

    @classmethod
    def name(cls) -> str:
        return "wechat_off"


def user_texts(srv, sender: str) -> list[str]:
    return [e.get("text") for e in srv.tracker(sender)["events"] if e["event"] == "user"]


def wait_until(condition, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds}s")


# --- the servers, once for the module -----------------------------------------------------------------------------

@pytest.fixture(scope="module", params=["memory", "redis"])
def env(request, tmp_path_factory):
    work = tmp_path_factory.mktemp("wechat")
    token = secrets.token_hex(16)
    aes_key = base64.b64encode(os.urandom(32)).decode().rstrip("=")   # 43 characters, like the 公众号 page's
    app_id, app_secret = "wx" + secrets.token_hex(8), secrets.token_hex(16)
    api = WeChatAPIStandIn(app_id, app_secret)
    block = {"token": token, "encoding_aes_key": aes_key, "app_id": app_id, "app_secret": app_secret,
             "api_base": api.url}
    credentials = work / "credentials.yml"
    credentials.write_text(json.dumps({   # YAML is a superset of JSON
        "assistant.channels.rest.SafeRestInput": None,
        # a wide passive window, so that a loaded machine does not turn a passive reply into "success"
        "assistant.channels.wechat.WeChatInput": {**block, "reply_timeout": 10},
        "tests.test_wechat.SlowWeChatInput": {**block, "reply_timeout": 0.01},
        "tests.test_wechat.UnconfiguredWeChatInput": None,
    }), encoding="utf-8")
    unset = {name: "" for name in ("WECHAT_TOKEN", "WECHAT_ENCODING_AES_KEY", "WECHAT_APP_ID", "WECHAT_APP_SECRET",
                                   "WECHAT_API_BASE")}
    try:
        with _state_server(request.param) as extra, \
                servers(work, credentials=credentials, env={**unset, **extra}) as srv:
            srv.webhook("warm-up", "你好")   # the first message after the start is slow
            yield srv, WeChat(srv.rasa_url, token, aes_key, app_id, "gh_" + secrets.token_hex(6)), api
    finally:
        api.close()


@contextlib.contextmanager
def _state_server(kind: str):
    """The environment that puts the channel's state in memory, or on a Redis server started for the module."""
    if kind == "memory":
        yield {}
        return
    if "redis-server" in services.missing():
        pytest.fail("redis-server is not installed: `make services` (as root) installs it")
    with services.redis() as server:
        yield {"REDIS_URL": server.url}


@pytest.fixture
def srv(env):
    return env[0]


@pytest.fixture
def wx(env):
    return env[1]


@pytest.fixture
def api(env):
    return env[2]


# --- rendering (no servers) ---------------------------------------------------------------------------------------

def test_rendering_numbers_the_options_and_leaves_out_the_assessment_json():
    turn = [{"text": "好的，我记下了：本科。"}, {"text": "请问您的最高学历是？"},
            {"custom": {"type": "ask", "field": "education",
                        "options": [{"title": "本科", "value": "bachelor", "payload": '/inform{"education": "bachelor"}'},
                                    {"title": "硕士", "value": "master", "payload": '/inform{"education": "master"}'}]}},
            {"custom": {"type": "assessment", "channels": []}}]
    text, options = render(turn)
    assert text == "好的，我记下了：本科。\n\n请问您的最高学历是？\n回复1：本科\n回复2：硕士"
    assert "channels" not in text
    assert pick_option("1", options) == '/inform{"education": "bachelor"}'
    assert pick_option(" ２。", options) == '/inform{"education": "master"}'
    assert pick_option("3", options) == "3" and pick_option("28", None) == "28"


def test_a_question_says_how_many_are_left_and_a_pair_has_no_numbers():
    turn = [{"text": "您今年多大（周岁），最高学历是？"},
            {"custom": {"type": "ask", "field": "age", "fields": ["age", "education"], "remaining": 3}}]
    assert render(turn) == ("您今年多大（周岁），最高学历是？（还需约3个问题）", None)
    last = [{"text": "您是否已经办理了退休？"}, {"custom": {"type": "ask", "field": "retired", "remaining": 1}}]
    assert render(last)[0] == "您是否已经办理了退休？（还剩最后1个问题）"


def test_long_text_is_split_within_the_limit_between_lines():
    text = "\n".join(f"第{i}条：" + "符合条件，依据《苏州市人才落户管理办法》。" * 6 for i in range(40)) + "\n" + "长" * 1500
    parts = split_text(text)
    assert len(parts) > 2 and all(len(p.encode("utf-8")) <= MAX_TEXT_BYTES for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
    assert all(p.startswith("第") or p.startswith("长") for p in parts)


# --- verification and refusals ------------------------------------------------------------------------------------

def test_url_verification_echoes_echostr_only_for_a_good_signature(wx):
    echostr = str(secrets.randbelow(10 ** 18))
    good = requests.get(wx.url(), params={**wx.params(), "echostr": echostr}, timeout=10)
    assert good.status_code == 200 and good.text == echostr
    bare = requests.get(wx.url().rstrip("/"), params={**wx.params(), "echostr": echostr}, timeout=10)
    assert bare.status_code == 200 and bare.text == echostr   # with or without the final slash
    forged = requests.get(wx.url(), params={**wx.params(), "signature": "0" * 40, "echostr": echostr}, timeout=10)
    missing = requests.get(wx.url(), params={"echostr": echostr}, timeout=10)
    old = requests.get(wx.url(), params={**wx.params(int(time.time()) - 301), "echostr": echostr}, timeout=10)
    for resp in (forged, missing, old):
        assert resp.status_code == 403 and echostr not in resp.text


def test_forged_signatures_are_refused_and_the_assistant_sees_nothing(srv, wx):
    openid = new_openid()
    xml = wx.text(openid, "我今年28岁，本科毕业")
    assert wx.post(xml, signature="f" * 40).status_code == 403
    assert wx.post(xml, params={"timestamp": str(int(time.time())), "nonce": "1"}).status_code == 403
    assert wx.post(xml, safe=True, msg_signature="0" * 40).status_code == 403
    assert wx.post(xml, safe=True, signature="0" * 40).status_code == 403
    other = WeChat(wx.rasa_url, "not-the-token", base64.b64encode(os.urandom(32)).decode().rstrip("="),
                   wx.crypto.app_id, wx.account)
    assert other.post(xml, safe=True).status_code == 403
    assert user_texts(srv, openid) == []


def test_a_signed_url_cannot_carry_another_message(srv, wx):
    openid = new_openid()
    params = wx.params()
    assert wx.reply(wx.post(wx.text(openid, "你好", msg_id=42_000_001), params=params))["Content"]
    assert wx.post(wx.text(openid, "转人工", msg_id=42_000_002), params=params).status_code == 403
    assert user_texts(srv, openid) == ["你好"]


def test_an_old_or_future_timestamp_is_refused_as_a_replay(srv, wx):
    openid = new_openid()
    xml = wx.text(openid, "你好")
    assert wx.post(xml, params=wx.params(int(time.time()) - 301)).status_code == 403
    assert wx.post(xml, safe=True, params=wx.params(int(time.time()) - 3600)).status_code == 403
    assert wx.post(xml, params=wx.params(int(time.time()) + 400)).status_code == 403
    assert user_texts(srv, openid) == []


def test_malformed_messages_get_400(srv, wx):
    assert wx.post("<xml><ToUserName><![CDATA[gh").status_code == 400
    assert wx.post("这不是XML").status_code == 400
    assert wx.post("<xml><MsgType>text</MsgType></xml>").status_code == 400
    params = wx.params()
    garbage = base64.b64encode(b"not what WeChat encrypts").decode()
    params.update(encrypt_type="aes", msg_signature=wx.sign(wx.token, params["timestamp"], params["nonce"], garbage))
    body = f"<xml><ToUserName><![CDATA[{wx.account}]]></ToUserName><Encrypt><![CDATA[{garbage}]]></Encrypt></xml>"
    assert requests.post(wx.url(), params=params, data=body.encode(), timeout=10).status_code == 400
    assert srv.webhook("still-alive", "你好")   # the server carries on


def test_without_a_token_the_url_answers_503_and_the_rest_runs(srv, wx):
    get = requests.get(wx.url("wechat_off"), params={**wx.params(), "echostr": "1"}, timeout=10)
    post = wx.post(wx.text(new_openid(), "你好"), channel="wechat_off")
    for resp in (get, post):
        assert resp.status_code == 503 and "WECHAT_TOKEN" in resp.text and "未启用" in resp.text
    assert "哪个区" in texts(srv.webhook(new_openid(), "你好"))


# --- conversations ----------------------------------------------------------------------------------------------------

def test_plaintext_message_gets_the_first_question_as_passive_reply(srv, wx, api):
    openid = new_openid()
    content = wx.say(openid, "你好")
    assert "苏州落户政策助手" in content and "哪个区" in content and "回复1：" in content
    assert len(content.encode("utf-8")) <= MAX_TEXT_BYTES
    assert user_texts(srv, openid) == ["你好"]
    assert srv.tracker(openid)["latest_input_channel"] == "wechat"
    time.sleep(0.8)
    assert api.texts_for(openid) == []   # it all fit into the passive reply


def test_safe_mode_message_reply_decrypts_to_the_first_question(srv, wx):
    openid = new_openid()
    resp = wx.post(wx.text(openid, "你好"), safe=True)
    assert "哪个区" not in resp.text and "<Encrypt>" in resp.text
    reply = wx.reply(resp, safe=True)
    assert reply["ToUserName"] == openid and "哪个区" in reply["Content"]
    assert user_texts(srv, openid) == ["你好"]


def test_a_retried_message_reaches_the_assistant_once(srv, wx, api):
    openid = new_openid()
    xml = wx.text(openid, "你好，我今年28岁")
    with ThreadPoolExecutor(2) as pool:   # the retry arrives while the first try is being answered
        first, second = pool.map(lambda _: wx.post(xml), range(2))
    third = wx.post(xml)                  # and once more after it was answered
    contents = [wx.reply(r)["Content"] for r in (first, second, third)]
    assert contents[0] and contents[0] == contents[1] == contents[2]
    assert user_texts(srv, openid) == ["你好，我今年28岁"]
    time.sleep(0.8)
    assert api.texts_for(openid) == []


def test_numbered_options_and_a_reply_1_answers_with_that_option(srv, wx):
    openid = new_openid()
    content = wx.say(openid, "你好")
    titles = re.findall(r"^回复(\d+)：(.+)$", content, re.M)
    assert [n for n, _ in titles] == [str(i) for i in range(1, len(titles) + 1)] and len(titles) >= 2
    answer = wx.say(openid, "1")
    sent = user_texts(srv, openid)[-1]
    assert sent.startswith("/inform") and titles[0][1] in sent
    assert srv.tracker(openid)["slots"]["target_area"] == titles[0][1]
    assert answer and "哪个区" not in answer
    # full-width digits, as Chinese keyboards type them
    other = new_openid()
    wx.say(other, "你好")
    wx.say(other, "２")
    assert srv.tracker(other)["slots"]["target_area"] == titles[1][1]


@pytest.mark.parametrize("kind, fields", [
    ("image", {"PicUrl": "http://mmbiz.qpic.cn/x.jpg", "MediaId": "m1"}),
    ("voice", {"MediaId": "m2", "Format": "amr"}),
    ("video", {"MediaId": "m3", "ThumbMediaId": "t3"}),
    ("location", {"Location_X": "31.30", "Location_Y": "120.58", "Scale": "15", "Label": "苏州市"}),
    ("link", {"Title": "落户", "Description": "政策", "Url": "https://example.org/"}),
])
def test_other_message_types_get_a_polite_text_reply(srv, wx, kind, fields):
    openid = new_openid()
    reply = wx.reply(wx.post(wx.message(openid, kind, **fields)))
    assert reply["MsgType"] == "text" and "文字" in reply["Content"] and "抱歉" in reply["Content"]
    assert user_texts(srv, openid) == []


def test_subscribe_gets_the_welcome_and_other_events_success(srv, wx):
    openid = new_openid()
    reply = wx.reply(wx.post(wx.message(openid, "event", Event="subscribe", EventKey="")))
    assert "苏州落户政策助手" in reply["Content"] and "哪个区" in reply["Content"]
    assert user_texts(srv, openid) == ["你好"]
    for event in ({"Event": "unsubscribe"}, {"Event": "CLICK", "EventKey": "menu"}, {"Event": "VIEW", "EventKey": "u"}):
        resp = wx.post(wx.message(new_openid(), "event", **event))
        assert resp.status_code == 200 and resp.text == "success"


def _long_answer_profile(srv):
    """A public profile whose final answer needs more than one WeChat message, and the messages that reach it."""
    for case in load("profiles.json"):
        out = interview(srv, f"probe-{secrets.token_hex(4)}", case["profile"])
        final = texts(out.transcript[-1][1])
        if len(final.encode("utf-8")) > MAX_TEXT_BYTES + 100:
            return [message for message, _ in out.transcript], final
    raise AssertionError("no public profile has an answer longer than one WeChat message: the test needs one")


def test_a_long_answer_is_split_and_the_rest_follows_by_customer_service(srv, wx, api):
    messages, final = _long_answer_profile(srv)
    openid = new_openid()
    for message in messages[:-1]:
        srv.webhook(openid, message)
    first = wx.say(openid, messages[-1])
    assert len(first.encode("utf-8")) <= MAX_TEXT_BYTES
    rest = wait_until(lambda: api.texts_for(openid), 20)
    time.sleep(1.0)   # every part has come
    rest = api.texts_for(openid)
    assert all(len(p.encode("utf-8")) <= MAX_TEXT_BYTES for p in rest)
    whole = re.sub(r"\s", "", first + "".join(rest))
    assert whole == re.sub(r"\s", "", final)    # all of it, once, in order
    assert all("\\u" not in m["raw"].decode("utf-8") for m in api.messages)  # characters, not JSON escapes


def test_slow_answers_come_through_the_customer_service_api(srv, wx, api):
    openid = new_openid()
    hello = wx.text(openid, "你好")
    resp = wx.post(hello, channel="wechat_slow")
    assert resp.status_code == 200 and resp.text == "success"
    first = wait_until(lambda: api.texts_for(openid))
    assert "哪个区" in first[0] and "回复1：" in first[0]
    token_requests = len(api.token_requests)
    assert api.token_requests[-1] == {"grant_type": "client_credential", "appid": wx.crypto.app_id,
                                      "secret": api.app_secret}

    # a retry after the answer went out: no second answer, and the assistant saw the message once
    assert wx.post(hello, channel="wechat_slow").text == "success"
    # the options of an answer sent later work as well; the access_token is reused
    assert wx.post(wx.text(openid, "1"), channel="wechat_slow").text == "success"
    wait_until(lambda: len(api.texts_for(openid)) >= 2)
    assert len(api.token_requests) == token_requests
    assert user_texts(srv, openid)[0] == "你好" and user_texts(srv, openid)[1].startswith("/inform")

    # WeChat refuses an access_token (40001): a new one is fetched and the message still goes out
    api.revoke_tokens()
    assert wx.post(wx.text(openid, "跳过"), channel="wechat_slow").text == "success"
    wait_until(lambda: len(api.texts_for(openid)) >= 3)
    assert len(api.token_requests) == token_requests + 1 and {"errcode": 40001} in api.refused
    time.sleep(0.5)
    assert len(api.texts_for(openid)) == 3 and len(user_texts(srv, openid)) == 3


# --- the same input limits as the REST channel (assistant/channels/guard.py) ------------------------------------------

ID_1990 = "320583199001011232"   # valid GB 11643 check digit; born 1990-01-01, male


def test_a_message_over_1000_characters_gets_a_polite_reply_and_never_reaches_the_assistant(srv, wx):
    openid = new_openid()
    content = "我今年二十八岁，本科毕业，" * 77   # 1,001 characters
    reply = wx.say(openid, content)
    assert reply == rule_data().messages["input"]["too_long"].format(length=1001, limit=1000)
    assert user_texts(srv, openid) == []


def test_invisible_characters_are_stripped_before_the_assistant(srv, wx):
    openid = new_openid()
    reply = wx.say(openid, "我今年\u200b28岁\u202e，本科\ufeff毕业\n在园区\t上班")
    assert user_texts(srv, openid) == ["我今年28岁，本科毕业 在园区 上班"]
    assert "回复1" in reply or "？" in reply


def test_personal_data_is_masked_and_the_id_number_gives_age_and_sex(srv, wx):
    openid = new_openid()
    wx.say(openid, "按2025-06-01的规则评估")
    reply = wx.say(openid, f"身份证{ID_1990}，电话13912345678")
    assert "已根据您提供的身份证号读取：年龄（周岁）：35岁；性别：男。" in reply
    assert user_texts(srv, openid)[-1] == "身份证3205**********1232，电话139****5678"
    stored = json.dumps(srv.tracker(openid), ensure_ascii=False)
    assert ID_1990 not in stored and "13912345678" not in stored


def test_a_sender_that_is_no_openid_is_refused(srv, wx):
    for openid in ("o" + "x" * 70, "有中文的ID", "a b"):
        assert wx.post(wx.text(openid, "你好")).status_code == 400
