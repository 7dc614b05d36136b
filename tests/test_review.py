"""The conversation review (/webhooks/console/review; assistant/tools/review*.py, assistant/channels/review.py).

Real conversations go through the real servers (tests/support/servers.py) — over REST, with the web chat's kind
of id, and over WeChat (plaintext mode, signed as WeChat signs) — into a real SQLite tracker store; two of them
are then moved back in time in that store (45 minutes: abandoned at their question; 10 days: outside the
week; tests/support/review_seed.py). The review's figures, filters, drop-off table and transcripts are checked against what the
conversations got (the REST replies, Rasa's own tracker API, /model/parse); then the page is driven in the real
browser (filters by keyboard, the chart, "保存为测试", "标注正确主题"), the command line reads the same store, and
the console's token guards all of it (401; 503 without CONSOLE_TOKEN). Labels go to a temporary file.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from assistant.tools.review import choice_topic
from assistant.tools.reviewed_nlu import DEFAULT_PATH
from tests.support.a11y import assert_accessible
from tests.support.review_seed import CHANNELS, OUT_OF_SCOPE, TODAY, TOKEN, WECHAT, Store, seed
from tests.support.servers import ROOT, _env, channels_app, payloads, servers
from tests.test_web import SCREENSHOTS, _watch, browser_factory  # noqa: F401 (a fixture)

pytestmark = pytest.mark.servers  # real servers: `make test`, not `make unit`


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("review")
    credentials = workdir / "credentials.yml"
    credentials.write_text(CHANNELS, encoding="utf-8")
    reviewed = workdir / "labels" / "reviewed.yml"
    before = DEFAULT_PATH.read_bytes() if DEFAULT_PATH.exists() else None
    env = {"CONSOLE_TOKEN": TOKEN, "REVIEWED_NLU": str(reviewed), **WECHAT}
    with servers(workdir, credentials=credentials, env=env) as srv:
        yield Store(srv, reviewed, seed(srv))
    assert (DEFAULT_PATH.read_bytes() if DEFAULT_PATH.exists() else None) == before, "the tracked file was written"


def _senders(rows: list[dict]) -> set[str]:
    return {r["sender_id"] for r in rows}


def _asked(events: list[dict]) -> list[str]:
    """The fields asked in a conversation, from Rasa's own tracker API (the bot events' ask payloads)."""
    found = [((e.get("data") or {}).get("custom") or {}).get("field") for e in events if e["event"] == "bot"
             and ((e.get("data") or {}).get("custom") or {}).get("type") == "ask"]
    return list(dict.fromkeys(found))


# --- the signals kept with each turn ------------------------------------------------------------------------

def test_every_bot_message_keeps_the_row_that_decided_it(store):
    for key in ("web", "none", "oos"):
        events = store.srv.tracker(store.talks[key].sender)["events"]
        bots = [e for e in events if e["event"] == "bot"]
        assert bots and all((e.get("metadata") or {}).get("turn_branch") for e in bots), key
    none = store.srv.tracker(store.talks["none"].sender)["events"]
    rows = [(e.get("metadata") or {}).get("turn_branch") for e in none if e["event"] == "bot"]
    assert rows[0] == "did_you_mean" and rows[-1] == "faq_choice"
    web = store.srv.tracker(store.talks["web"].sender)["events"]
    assert [e for e in web if e["event"] == "bot"][-1]["metadata"]["turn_branch"] == "handoff"


# --- the figures and filters -------------------------------------------------------------------------------------

def test_the_filters_find_exactly_the_conversations_they_describe(store):
    talks = store.talks
    everyone = store.data()
    today = {t.sender for k, t in talks.items() if k != "old"}
    assert _senders(everyone["conversations"]) == today
    assert everyone["counts"]["conversations"] == len(today)
    assert _senders(store.data(filter="handoff")["conversations"]) == {talks["web"].sender}
    assert _senders(store.data(filter="none_chosen")["conversations"]) == {talks["none"].sender}
    unsure = _senders(store.data(filter="unsure")["conversations"])
    assert {talks["none"].sender, talks["oos"].sender} <= unsure
    assert not unsure & {talks["web"].sender, talks["stop"].sender, talks["wechat"].sender}
    stopped = store.data(filter="abandoned")["conversations"]
    last_ask = payloads(talks["stop"].replies[-1], "ask")[-1]["field"]
    assert [(c["sender_id"], c["pending"]) for c in stopped] == [(talks["stop"].sender, last_ask)]
    assert store.data(filter="handoff,abandoned")["conversations"] == []
    assert _senders(store.data(channel="web")["conversations"]) == {talks["web"].sender}
    assert _senders(store.data(channel="wechat")["conversations"]) == {talks["wechat"].sender}
    assert _senders(store.data(channel="rest")["conversations"]) == today - {talks["web"].sender,
                                                                             talks["wechat"].sender}
    assert set(everyone["channels"]) == {"rest", "web", "wechat"}
    week = store.data(since=(TODAY - dt.timedelta(days=11)).isoformat())
    assert _senders(week["conversations"]) == today | {talks["old"].sender}
    bad = store.get("/data", since="2026-02-30")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]
    assert store.get("/data", filter="everything").status_code == 400


def test_the_drop_off_table_counts_what_was_asked_and_where_residents_stopped(store):
    talks = store.talks
    expected: dict[str, int] = {}
    for talk in {t.sender: t for k, t in talks.items() if k != "old"}.values():
        asked = _asked(store.srv.tracker(talk.sender)["events"])
        if talk is not talks["wechat"]:   # the REST replies say the same
            assert asked == list(dict.fromkeys(p["field"] for r in talk.replies for p in payloads(r, "ask")))
        for name in asked:
            expected[name] = expected.get(name, 0) + 1
    rows = store.data()["dropoff"]
    assert {r["field"]: r["asked"] for r in rows} == expected
    last_ask = payloads(talks["stop"].replies[-1], "ask")[-1]["field"]
    assert {r["field"]: r["stopped"] for r in rows if r["stopped"]} == {last_ask: 1}
    assert [r["asked"] for r in rows] == sorted((r["asked"] for r in rows), reverse=True)
    assert all(r["label"] and r["label"] != r["field"] for r in rows)


def test_unanswered_questions_are_the_questions_not_the_none_of_these(store):
    rows = store.data()["unanswered"]
    texts = {r["text"]: r for r in rows}
    question = store.talks["none"].sent[0]
    assert question in texts and texts[question]["reasons"] == ["none_chosen"]
    assert texts[question]["sender_id"] == store.talks["none"].sender and texts[question]["turn"] == 0
    assert OUT_OF_SCOPE in texts and set(texts[OUT_OF_SCOPE]["reasons"]) <= {"out_of_scope", "no_answer"}
    assert not any(t.startswith("/") or t == "都不是" for t in texts)


def test_a_conversation_shows_every_turn_with_its_signals(store):
    talk = store.talks["none"]
    r = store.get(f"/conversation/{talk.sender}")
    assert r.status_code == 200, r.text
    got = r.json()
    assert [t["text"] for t in got["turns"]] == talk.sent
    first, choice = got["turns"]
    buttons = [b["payload"] for b in talk.replies[0][0]["buttons"]]
    assert first["offered"] == [choice_topic(p) for p in buttons if choice_topic(p) != "none"]
    assert first["low_confidence"] and first["branch"] == "did_you_mean"
    assert choice["chosen"] == "none" and choice["payload"]
    parsed = requests.post(f"{store.srv.rasa_url}/model/parse", json={"text": talk.sent[0]}, timeout=30).json()
    ranking = parsed["response_selector"]["faq"]["ranking"]
    assert first["faq_topic"] == ranking[0]["intent_response_key"].split("/", 1)[1]
    assert first["faq_score"] == pytest.approx(ranking[0]["confidence"], abs=1e-3)
    best = next(i for i in parsed["intent_ranking"] if i["name"] != "nlu_fallback")
    assert first["intent"] == best["name"] and first["confidence"] == pytest.approx(best["confidence"], abs=1e-3)
    masked = store.get(f"/conversation/{store.talks['masked'].sender}")
    assert "13912345678" not in masked.text and "139****5678" in masked.json()["turns"][0]["text"]
    stop = store.get(f"/conversation/{store.talks['stop'].sender}").json()
    assert stop["flags"]["abandoned"] and stop["pending_label"]
    assert store.get("/conversation/nobody-" + secrets.token_hex(4)).status_code == 404


# --- "标注正确主题" ---------------------------------------------------------------------------------------------------

def test_labelling_appends_the_stored_masked_text_once(store):
    masked = store.talks["masked"].sender
    first = store.label({"sender_id": masked, "turn": 0, "topic": "rental_settlement"})
    assert first.status_code == 200, first.text
    assert first.json()["added"] is True and "租房能不能落户" in first.json()["message"]
    again = store.label({"sender_id": masked, "turn": 0, "topic": "rental_settlement"})
    assert again.status_code == 200 and again.json()["added"] is False
    other = store.label({"sender_id": masked, "turn": 0, "topic": "points_line"})
    assert other.status_code == 409 and "faq/rental_settlement" in other.json()["error"]
    examples = [(m.get("intent_response_key"), m.get("text"))
                for m in RasaYAMLReader().read(str(store.reviewed)).intent_examples]
    assert examples == [("faq/rental_settlement", "我的手机139****5678，租房子能落户吗？")]
    assert "13912345678" not in store.reviewed.read_text(encoding="utf-8")
    held = store.label({"sender_id": store.talks["held"].sender, "turn": 0, "topic": "rental_settlement"})
    assert held.status_code == 409 and "测试集" in held.json()["error"]
    payload = store.label({"sender_id": store.talks["none"].sender, "turn": 1, "topic": "rental_settlement"})
    assert payload.status_code == 400 and "按钮" in payload.json()["error"]
    for body in ({"sender_id": masked, "turn": 9, "topic": "rental_settlement"}, {"sender_id": masked},
                 {"sender_id": masked, "turn": True, "topic": "rental_settlement"}, [1]):
        assert store.label(body).status_code == 400, body
    assert store.label({"sender_id": "nobody", "turn": 0, "topic": "rental_settlement"}).status_code == 404


# --- the command line -------------------------------------------------------------------------------------------

def _cli(store, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RASA_DB": str(store.srv.db), "DATABASE_URL": ""}
    return subprocess.run([sys.executable, "-m", "assistant", "review", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_the_command_line_prints_the_same_figures_from_the_store(store):
    api = store.data()
    done = _cli(store, "--since", TODAY.isoformat(), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert str(store.srv.db) in done.stderr
    got = json.loads(done.stdout)
    assert (got["since"], got["until"]) == (TODAY.isoformat(), TODAY.isoformat())
    for key in ("counts", "dropoff", "unanswered"):
        assert got[key] == api[key], key
    md = _cli(store, "--since", (TODAY - dt.timedelta(days=11)).isoformat())
    assert md.returncode == 0, md.stderr
    out = md.stdout
    assert out.startswith(f"# 对话复核：{TODAY - dt.timedelta(days=11)} 至 {TODAY}")
    everyone = {t.sender for t in store.talks.values()}
    # the old conversation, too, stopped at its first question (10 days ago)
    assert f"共 {len(everyone)} 个对话" in out and "| 要求转人工 | 1 |" in out and "| 中途放弃 | 2 |" in out
    assert store.talks["none"].sent[0] in out and OUT_OF_SCOPE.replace("|", "\\|") in out
    stop_field = payloads(store.talks["stop"].replies[-1], "ask")[-1]["field"]
    assert f"（{stop_field}） |" in out and "13912345678" not in out


# --- the token ---------------------------------------------------------------------------------------------------

def test_the_review_needs_the_console_token(store):
    base = f"{store.srv.rasa_url}/webhooks/console/review"
    for headers, params in [({}, {}), ({"Authorization": "Bearer wrong"}, {}), ({}, {"token": "wrong"})]:
        page = requests.get(base, headers=headers, params=params, timeout=30)
        assert page.status_code == 401 and "坐席口令" in page.text and page.headers["content-type"].startswith("text/html")
        for path in ("/data", f"/conversation/{store.talks['web'].sender}"):
            r = requests.get(base + path, headers=headers, params=params, timeout=30)
            assert r.status_code == 401 and "口令" in r.json()["error"], path
        r = requests.post(base + "/label", json={"sender_id": store.talks["masked"].sender, "turn": 0,
                                                 "topic": "points_line"}, headers=headers, params=params, timeout=30)
        assert r.status_code == 401
    page = requests.get(base, params={"token": TOKEN}, timeout=30)
    assert page.status_code == 200 and "对话复核" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    moved = requests.get(base + "/", params={"token": TOKEN}, allow_redirects=False, timeout=30)
    assert moved.status_code == 301 and moved.headers["location"] == f"/webhooks/console/review?token={TOKEN}"
    for name in ("review.js", "dropoff.js", "review.css"):
        asset = requests.get(f"{base}/static/{name}", timeout=30)
        assert asset.status_code == 200 and "innerHTML" not in asset.text and "http" not in asset.text.replace(
            "http://www.w3.org/2000/svg", ""), name
    assert requests.get(f"{base}/static/review.html", timeout=30).status_code == 404


@pytest.mark.parametrize("token", ["", "set"], ids=["no CONSOLE_TOKEN", "no SQL store"])
def test_without_a_token_or_a_store_the_review_answers_503(tmp_path, token):
    env = {**_env(tmp_path / "tracker.db", 0), "CONSOLE_TOKEN": token}
    ready = "/webhooks/console/review/static/review.js"
    with channels_app("ConsoleInput()", env, tmp_path / "console.log", ready) as url:
        base = f"{url}/webhooks/console/review"
        auth = {"Authorization": f"Bearer {token}"}
        for method, path in [("GET", "/data"), ("GET", "/conversation/x"), ("POST", "/label")]:
            r = requests.request(method, base + path, json={}, headers=auth, timeout=30)
            assert r.status_code == 503, (path, r.text)
            assert ("CONSOLE_TOKEN" if not token else "SQL") in r.json()["error"]
        page = requests.get(base, params={"token": token or "x"}, timeout=30)
        assert page.status_code == (503 if not token else 200)


# --- the page in a real browser ------------------------------------------------------------------------------------

def _rows(page) -> set[str]:
    page.wait_for_function("() => !document.getElementById('run').disabled")
    return set(page.locator("#list tbody tr").evaluate_all("rows => rows.map(r => r.dataset.sender)"))


def _figures_and_filters(page, store) -> None:
    """The counts and the chart are the API's; the filters work from the keyboard, with a visible focus."""
    talks = store.talks
    assert _rows(page) == {t.sender for k, t in talks.items() if k != "old"}   # the last 7 days: not the old one
    api = store.data(since=(TODAY - dt.timedelta(days=6)).isoformat())
    assert page.locator('[data-count="handoff"] dd').inner_text() == str(api["counts"]["handoff"])
    # every control has a label; the chart is an image with a text alternative and a table beside it
    unlabelled = page.evaluate("""() => Array.from(document.querySelectorAll('input, select, button'))
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
        .map(e => e.outerHTML)""")
    assert unlabelled == []
    bars = page.locator("#dropoff svg g.bar")
    assert [(b.get_attribute("data-field"), int(b.get_attribute("data-asked")), int(b.get_attribute("data-stopped")))
            for b in bars.all()] == [(r["field"], r["asked"], r["stopped"]) for r in api["dropoff"]]
    stop_field = payloads(talks["stop"].replies[-1], "ask")[-1]["field"]
    assert page.locator(f'#dropoff g.bar[data-field="{stop_field}"] rect.bar-stopped').count() == 1
    assert page.locator("#dropoff svg").get_attribute("role") == "img"
    assert "问过" in page.locator("#dropoff svg desc").text_content()
    assert page.locator("#dropoff-table tbody tr").count() == len(api["dropoff"])
    # Tab from the channel to the second filter, Space
    page.focus("#channel")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelectorAll('#list tbody tr').length === 1")
    assert _rows(page) == {talks["none"].sender}
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert page.evaluate("() => document.activeElement.id") == "filter-none_chosen" and outline != "none"
    page.keyboard.press("Space")
    page.select_option("#channel", "web")
    page.wait_for_function("() => document.querySelectorAll('#list tbody tr').length === 1")
    assert _rows(page) == {talks["web"].sender}
    page.select_option("#channel", "")
    page.check("#filter-unsure")
    assert {talks["none"].sender, talks["oos"].sender} <= _rows(page)
    page.uncheck("#filter-unsure")


def _a_conversation(page, store) -> None:
    """The out-of-scope conversation: the transcript with the signals, "保存为测试", closed by Escape."""
    talk = store.talks["oos"]
    page.locator(f'#list tr[data-sender="{talk.sender}"] button').click()
    page.locator("#transcript li").first.wait_for()
    assert page.locator("#transcript li").count() == len(talk.sent)
    assert page.evaluate("() => document.activeElement.id") == "detail-title"
    question = page.locator("#transcript li").nth(1)
    assert question.locator(".say-user .plain-text").inner_text() == OUT_OF_SCOPE
    assert "意图" in question.locator(".signals").inner_text() and question.locator(".tag").count() >= 1
    with page.expect_download() as download:
        page.click("#save-test")
    saved = yaml.safe_load(Path(download.value.path()).read_text(encoding="utf-8"))
    assert {"user": OUT_OF_SCOPE} in saved["test_cases"][0]["steps"]
    page.keyboard.press("Escape")
    assert page.locator("#detail").is_hidden()


def _label_the_unanswered_question(page, store) -> None:
    """Opened from the unanswered questions: "都不是" beside the choice, and the question labelled with the topic
    the resident should have got (here: the first one offered)."""
    talk = store.talks["none"]
    page.locator("#unanswered tbody tr", has_text=talk.sent[0]).locator("button").click()
    page.locator("#transcript li").first.wait_for()
    asked, chosen = page.locator("#transcript li").nth(0), page.locator("#transcript li").nth(1)
    assert "都不是" in chosen.locator(".signals").inner_text() and chosen.locator("select").count() == 0
    assert "您是想问" in asked.locator(".signals").inner_text()
    topic = choice_topic(talk.replies[0][0]["buttons"][0]["payload"])
    asked.locator("select").select_option(topic)
    asked.locator(".label-button").click()
    page.wait_for_function("() => document.getElementById('label-status').textContent.length > 0")
    assert "已把这句话加入" in page.locator("#label-status").inner_text()
    written = [(m.get("intent_response_key"), m.get("text"))
               for m in RasaYAMLReader().read(str(store.reviewed)).intent_examples]
    assert (f"faq/{topic}", talk.sent[0]) in written


def test_the_review_page_in_a_browser(store, browser_factory):  # noqa: F811 (the fixture)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    origin = store.srv.rasa_url
    # bypass_csp: axe-core is injected as a script tag, which the page's policy (script-src 'self') refuses
    page = browser_factory(viewport={"width": 1440, "height": 1000}, bypass_csp=True).new_page()
    problems = _watch(page, origin)
    page.goto(f"{origin}/webhooks/console/review?token={TOKEN}")
    page.locator("#list tbody tr").first.wait_for()
    assert TOKEN not in page.url
    assert_accessible(page, "review page, the list and the chart")
    _figures_and_filters(page, store)
    _a_conversation(page, store)
    assert_accessible(page, "review page, a conversation open")
    _label_the_unanswered_question(page, store)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "review.png"))
    assert not problems, problems
