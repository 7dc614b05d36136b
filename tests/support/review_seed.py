"""Conversations for the review tests (tests/test_review.py): sent through the real servers over REST, with the web
chat's kind of id and over WeChat (plaintext mode, signed as WeChat signs), into the servers' SQLite store; two
of them then moved back in time there (45 minutes: abandoned at their question; 10 days: outside the week)."""
from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from tests.support.fixtures import load
from tests.support.servers import ROOT, Servers, interview
from tests.test_wechat import WeChat, new_openid

TOKEN = "review-" + secrets.token_hex(12)
WECHAT = {"WECHAT_TOKEN": secrets.token_hex(16),
          "WECHAT_ENCODING_AES_KEY": base64.b64encode(os.urandom(32)).decode().rstrip("="),
          "WECHAT_APP_ID": "wx" + secrets.token_hex(8), "WECHAT_APP_SECRET": "",
          "WECHAT_API_BASE": "http://127.0.0.1:9"}   # nothing listens: a late answer is not sent anywhere
CHANNELS = ("assistant.channels.rest.SafeRestInput:\nassistant.channels.web.WebChatInput:\n"
            "assistant.channels.web.ConsoleInput:\nassistant.channels.wechat.WeChatInput:\n  reply_timeout: 10\n")
PROFILES = load("profiles.json")
HELD_OUT = yaml.safe_load((ROOT / "tests" / "fixtures" / "faq_heldout.yml").read_text(encoding="utf-8"))
# Questions for which the FAQ selector may be unsure ("您是想问"); the first that gets the buttons is used.
UNSURE = ["落户以后孩子上学和社保怎么办", "户口和居住证哪个先办", "在苏州买房和租房落户有什么区别",
          "积分和人才落户哪个快", "公共户和自己买房落户哪个好", "毕业生落户和人才落户有什么不一样",
          "我想了解一下政策", "落户的事情问一下", "户口的问题"]
OUT_OF_SCOPE = "今天苏州天气怎么样？"
MASKED = "我的手机13912345678，租房子能落户吗？"
TODAY = dt.date.today()


@dataclass
class Talk:
    """One seeded conversation: what was sent and what came back."""

    sender: str
    sent: list[str] = field(default_factory=list)
    replies: list[list[dict]] = field(default_factory=list)


@dataclass
class Store:
    """The servers with their seeded store, and the review's API behind the console token."""

    srv: Servers
    reviewed: Path
    talks: dict[str, Talk]

    def get(self, path: str, **params) -> requests.Response:
        return requests.get(f"{self.srv.rasa_url}/webhooks/console/review{path}", params=params,
                            headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)

    def data(self, **params) -> dict:
        r = self.get("/data", **{"since": TODAY.isoformat(), "until": TODAY.isoformat(), **params})
        assert r.status_code == 200, r.text
        return r.json()

    def label(self, body: dict) -> requests.Response:
        return requests.post(f"{self.srv.rasa_url}/webhooks/console/review/label", json=body,
                             headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)


def _say(srv, talk: Talk, text: str) -> list[dict]:
    replies = srv.webhook(talk.sender, text)
    talk.sent.append(text)
    talk.replies.append(replies)
    return replies


def _shift(db: Path, sender: str, seconds: float) -> None:
    """Moves a conversation back in time in the store, as if it had happened `seconds` earlier."""
    with sqlite3.connect(db, timeout=30) as conn:
        conn.execute("UPDATE events SET timestamp = timestamp - ? WHERE sender_id = ?", (seconds, sender))


def seed(srv) -> dict[str, Talk]:
    """The conversations, by what they show: web (to the answer, then 转人工), none ("都不是"), oos, stop, old …"""
    talks: dict[str, Talk] = {}
    web = talks["web"] = Talk("web-" + secrets.token_hex(8))            # the web chat's kind of id
    out = interview(srv, web.sender, PROFILES[0]["profile"])
    for message, replies in out.transcript:
        web.sent.append(message)
        web.replies.append(replies)
    assert out.assessment is not None
    _say(srv, web, "转人工")
    for n, question in enumerate(UNSURE):
        talk = Talk(f"rest-unsure-{n}-{secrets.token_hex(3)}")
        replies = _say(srv, talk, question)
        talks[f"unsure-{n}"] = talk
        buttons = [b for r in replies for b in r.get("buttons") or []]
        if any(b["title"] == "都不是" for b in buttons):
            talks["none"] = talk
            _say(srv, talk, next(b["payload"] for b in buttons if b["title"] == "都不是"))
            break
    assert "none" in talks, "no question got “您是想问”: change UNSURE"
    oos = talks["oos"] = Talk("rest-oos-" + secrets.token_hex(4))
    _say(srv, oos, "你好")
    _say(srv, oos, OUT_OF_SCOPE)
    stop = talks["stop"] = Talk("rest-stop-" + secrets.token_hex(4))
    _say(srv, stop, "你好")
    _say(srv, stop, "工业园区")
    old = talks["old"] = Talk("rest-old-" + secrets.token_hex(4))
    _say(srv, old, "你好")
    masked = talks["masked"] = Talk("rest-masked-" + secrets.token_hex(4))
    _say(srv, masked, MASKED)
    held = talks["held"] = Talk("rest-held-" + secrets.token_hex(4))
    _say(srv, held, next(i["q"] for i in HELD_OUT if i["topic"]))
    wx = WeChat(srv.rasa_url, WECHAT["WECHAT_TOKEN"], WECHAT["WECHAT_ENCODING_AES_KEY"], WECHAT["WECHAT_APP_ID"],
                "gh_" + secrets.token_hex(6))
    talks["wechat"] = Talk(new_openid(), sent=["你好"])
    assert "哪个区" in wx.say(talks["wechat"].sender, "你好")
    _shift(srv.db, stop.sender, 45 * 60)
    _shift(srv.db, old.sender, 10 * 86400)
    return talks
