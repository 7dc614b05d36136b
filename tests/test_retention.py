"""`python -m assistant purge` on a real SQLite tracker store written by Rasa's own SQLTrackerStore (our masking
subclass, as endpoints.yml configures it), and the store's backstop masking of personal data."""
from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.stores.tracker_store import MaskingSQLTrackerStore

ROOT = Path(__file__).resolve().parents[1]
DAY = 86400.0
ID_NUMBER = "320502198511234564"   # valid GB 11643 check digit


def write(db: Path, conversations: dict[str, list[float]]) -> None:
    """Each conversation: a user message and the bot's answer at each of the given times."""
    store = MaskingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(db))
    for sender, times in conversations.items():
        events = []
        for t in times:
            events += [UserUttered("你好", {"name": "greet"}, timestamp=t),
                       ActionExecuted("utter_greet", timestamp=t + 0.1), BotUttered("您好", timestamp=t + 0.2)]
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    store.engine.dispose()


def rows(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT sender_id, count(*) FROM events GROUP BY sender_id").fetchall())


def purge(db: Path | str, *args: str, endpoints: Path | None = None,
          env: dict | None = None) -> subprocess.CompletedProcess:
    extra = ["--endpoints", str(endpoints)] if endpoints else []
    done = subprocess.run([sys.executable, "-m", "assistant", "purge", *args, *extra], capture_output=True, cwd=ROOT,
                          env={**os.environ, "RASA_DB": str(db), **(env or {})}, timeout=120)
    done.out, done.err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    return done


@pytest.fixture
def db(tmp_path):
    now = time.time()
    path = tmp_path / "tracker.db"
    write(path, {
        "old": [now - 400 * DAY, now - 200 * DAY],           # last message 200 days ago
        "came-back": [now - 300 * DAY, now - 10 * DAY],      # began long ago, last message 10 days ago
        "recent": [now - 3600],
        "yesterday": [now - 1.5 * DAY],
    })
    return path


def test_older_than_deletes_whole_conversations_whose_last_event_is_older(db):
    before = rows(db)
    done = purge(db, "--older-than", "180d")
    assert done.returncode == 0, done.err
    assert done.out.strip() == f"已删除1个对话，共{before['old']}条记录。"
    assert str(db) in done.err
    assert set(rows(db)) == {"came-back", "recent", "yesterday"}
    assert rows(db)["came-back"] == before["came-back"], "a conversation goes whole or not at all"


def test_hours_and_dry_run(db):
    before = rows(db)
    dry = purge(db, "--older-than", "12h", "--dry-run")
    assert dry.returncode == 0, dry.err
    expected = before["old"] + before["came-back"] + before["yesterday"]
    assert dry.out.strip() == f"试运行：将删除3个对话，共{expected}条记录（未删除任何数据）。"
    assert rows(db) == before
    assert purge(db, "--older-than", "12h").out.strip() == f"已删除3个对话，共{expected}条记录。"
    assert set(rows(db)) == {"recent"}


def test_one_conversation_by_id(db):
    before = rows(db)
    done = purge(db, "--conversation", "recent")
    assert done.returncode == 0, done.err
    assert done.out.strip() == f"已删除1个对话，共{before['recent']}条记录。"
    assert "recent" not in rows(db) and len(rows(db)) == 3
    missing = purge(db, "--conversation", "nobody")
    assert missing.returncode == 1 and "没有找到对话“nobody”" in missing.out
    assert len(rows(db)) == 3


@pytest.mark.parametrize("value", ["180", "6m", "abc", "0d", "-3d", ""])
def test_a_bad_duration_is_a_chinese_error(db, value):
    done = purge(db, f"--older-than={value}")
    assert done.returncode == 2
    assert "“--older-than”应为天数或小时数" in done.err and "Traceback" not in done.err
    assert len(rows(db)) == 4


def test_missing_database_is_not_created(tmp_path):
    missing = tmp_path / "nope" / "tracker.db"
    done = purge(missing, "--older-than", "180d")
    assert done.returncode == 2 and f"找不到对话数据库：{missing}" in done.err
    assert not missing.exists()


def test_a_database_that_is_not_a_tracker_store(tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    done = purge(other, "--older-than", "180d")
    assert done.returncode == 2 and "没有对话记录（events 表）" in done.err


def test_a_store_that_is_not_sql(tmp_path, db):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: mongod\n  url: mongodb://localhost:27017\n", encoding="utf-8")
    done = purge(db, "--older-than", "180d", endpoints=endpoints)
    assert done.returncode == 2 and "不是SQL数据库（type: mongod）" in done.err


def test_a_database_url_as_for_postgresql(tmp_path, db):
    """`url: ${DATABASE_URL}` (issue 10's PostgreSQL) goes through the same URL handling; SQLite stands in."""
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: assistant.stores.tracker_store.MaskingSQLTrackerStore\n"
                         "  url: ${DATABASE_URL}\n", encoding="utf-8")
    done = purge("", "--conversation", "old", endpoints=endpoints, env={"DATABASE_URL": f"sqlite:///{db}"})
    assert done.returncode == 0, done.err
    assert "old" not in rows(db)
    unset = purge(db, "--conversation", "old", endpoints=endpoints, env={"DATABASE_URL": ""})
    assert unset.returncode == 2 and "url 为空" in unset.err


def test_the_store_masks_personal_data_that_came_around_the_channels(tmp_path):
    db = tmp_path / "tracker.db"
    store = MaskingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(db))
    text = f"身份证{ID_NUMBER}，手机13912345678，邮箱zhangsan@qq.com"
    tracker = DialogueStateTracker.from_events("api", [
        UserUttered(text, {"name": "inform"}, parse_data={"text": text, "intent": {"name": "inform"}},
                    metadata={"phone": "13912345678"}),
        SlotSet("note", f"{ID_NUMBER}"), BotUttered(f"您说的是{ID_NUMBER}吗", {"custom": {"x": "13912345678"}})])
    asyncio.run(store.save(tracker))
    with sqlite3.connect(db) as conn:
        data = [json.loads(row[0]) for row in conn.execute("SELECT data FROM events ORDER BY id")]
    stored = json.dumps(data, ensure_ascii=False)
    assert ID_NUMBER not in stored and "13912345678" not in stored and "zhangsan" not in stored
    assert data[0]["text"] == "身份证3205**********4564，手机139****5678，邮箱z***@qq.com"
    assert data[0]["parse_data"]["text"] == data[0]["text"]
    assert data[1]["value"] == "3205**********4564"
    # read back, it is a normal conversation
    again = asyncio.run(store.retrieve("api"))
    assert again.latest_message.text == data[0]["text"] and len(again.events) == 3


def test_the_store_writes_what_readers_need_once_as_utf8(tmp_path):
    """The response selector's answer texts and a response's filling values are not written (nothing reads them
    from a stored conversation); the rankings, the response's name and the decision row are; Chinese is UTF-8,
    and a text UTF-8 cannot hold (a lone surrogate) is written escaped, not lost."""
    db = tmp_path / "tracker.db"
    store = MaskingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(db))
    answer = {"responses": [{"text": "积分落户分值线为400分。"}], "confidence": 0.9,
              "intent_response_key": "faq/points_line", "utter_action": "utter_faq/points_line"}
    parse = {"text": "积分落户要多少分", "intent": {"name": "faq", "confidence": 0.9},
             "response_selector": {"all_retrieval_intents": ["faq"], "faq": {
                 "response": answer, "ranking": [{"confidence": 0.9, "intent_response_key": "faq/points_line"}]}}}
    tracker = DialogueStateTracker.from_events("utf8", [
        UserUttered("积分落户要多少分", {"name": "faq"}, parse_data=parse),
        BotUttered("积分落户分值线为400分。", metadata={"utter_action": "utter_faq/points_line", "turn_branch": "question",
                                               "points_line": "400", "urban_areas": "姑苏区、虎丘区"}),
        UserUttered("\ud800半个字", {"name": "inform"})])
    asyncio.run(store.save(tracker))
    with sqlite3.connect(db) as conn:
        raw = [row[0] for row in conn.execute("SELECT data FROM events ORDER BY id")]
    user, bot, odd = (json.loads(r) for r in raw)
    assert "积分落户要多少分" in raw[0] and "\\u" not in raw[0]            # UTF-8, not escaped
    selector = user["parse_data"]["response_selector"]["faq"]
    assert "response" not in selector and selector["ranking"][0]["intent_response_key"] == "faq/points_line"
    assert bot["metadata"] == {"utter_action": "utter_faq/points_line", "turn_branch": "question"}
    assert bot["text"] == "积分落户分值线为400分。" and odd["text"] == "\ud800半个字"
    again = asyncio.run(store.retrieve("utf8"))
    assert [e.text for e in again.events if hasattr(e, "text")] == ["积分落户要多少分", "积分落户分值线为400分。", "\ud800半个字"]
