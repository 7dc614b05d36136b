"""The residents' web chat and the hotline staff console (assistant/channels/web.py): real HTTP against the
real action server and Rasa server (tests/support/servers.py), and a real headless browser (Debian's
chromium driven by Playwright) that uses both pages and takes the screenshots (results/screenshots/)."""
from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
import yaml

from assistant.conversation.explain import explain
from assistant.policy.engine import assess
from assistant.policy.profile import area_name, normalize_area, parse_profile
from assistant.policy.rules import CHANNEL_IDS
from tests.support.fixtures import load
from tests.support.servers import ROOT, _env, channels_app, interview, servers

pytestmark = pytest.mark.servers  # real servers: `make test`, not `make unit`

PROFILES = load("profiles.json")
TOKEN = "console-" + secrets.token_hex(12)
CHANNELS = ("assistant.channels.rest.SafeRestInput:\nassistant.channels.web.WebChatInput:\n"
            "assistant.channels.web.ConsoleInput:\n")
# Written under results/ (never over tracked files); docs/screenshots/ holds copies made on purpose.
SCREENSHOTS = ROOT / "results" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STATUS_WORDS = {"符合", "暂不符合", "尚不能确定", "不适用"}

@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """Both servers once for the module, with the web channels and a console token."""
    workdir = tmp_path_factory.mktemp("web")
    credentials = workdir / "credentials.yml"
    credentials.write_text(CHANNELS, encoding="utf-8")
    with servers(workdir, credentials=credentials, env={"CONSOLE_TOKEN": TOKEN}) as running:
        yield running


def _profile(name: str) -> dict:
    for case in PROFILES:
        if case["name"].startswith(name):
            return case
    raise AssertionError(f"public profile {name} is not in tests/fixtures/profiles.json")


def _auth() -> dict:
    return {"Authorization": f"Bearer {TOKEN}"}


# --- the chat page -----------------------------------------------------------------------------------------

class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

        self.links: list[str] = []   # pages a person navigates to (<a href>), not files the page loads

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "action") and value is not None:
                (self.links if tag == "a" else self.refs).append(value)


EXTERNAL = re.compile(r"https?:|@import|(?<![A-Za-z])url\(\s*['\"]?(?!data:)|(?:src|href|action)\s*=\s*['\"]?//", re.I)
TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def _check_page(base: str, path: str, headers: dict | None = None) -> list[str]:
    """Fetches a page and every file it loads; checks types, the CSP and that nothing comes from outside."""
    r = requests.get(base + path, headers=headers, timeout=30)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert not EXTERNAL.search(r.text), EXTERNAL.search(r.text)
    parser = _Refs()
    parser.feed(r.text)
    assets = [ref for ref in parser.refs if ref]
    assert assets and all(not re.match(r"^([a-z]+:|//)", ref, re.I) for ref in assets), assets
    page_dir = (base + path).split("?")[0]
    for ref in assets:
        asset = requests.get(page_dir + ref, timeout=30)
        assert asset.status_code == 200, ref
        assert asset.headers["content-type"].startswith(TYPES[Path(ref).suffix]), (ref, asset.headers["content-type"])
        if Path(ref).suffix in (".css", ".js"):
            assert asset.headers["content-type"].endswith("charset=utf-8")
            assert not EXTERNAL.search(asset.text), (ref, EXTERNAL.search(asset.text))
    # a link opens with the page's own query (console.js adds the session's token to the review link)
    query = (base + path).partition("?")[2]
    for link in parser.links:
        opened = requests.get(page_dir + link + (f"?{query}" if query else ""), timeout=30)
        assert opened.status_code == 200 and opened.headers["content-type"].startswith("text/html"), link
    return assets


def test_chat_page_and_assets_are_served_from_the_project_only(srv):
    assets = _check_page(srv.rasa_url, "/webhooks/web/")
    assert {"static/card.js", "static/chat.js", "static/chat.css"} <= set(assets)
    page = requests.get(srv.rasa_url + "/webhooks/web/", timeout=30).text
    assert 'lang="zh-CN"' in page and 'name="viewport"' in page and "重新开始" in page
    moved = requests.get(srv.rasa_url + "/webhooks/web", allow_redirects=False, timeout=30)
    assert moved.status_code == 301 and moved.headers["location"] == "/webhooks/web/"
    # the page draws what the REST channel on the same origin answers
    js = requests.get(srv.rasa_url + "/webhooks/web/static/chat.js", timeout=30).text
    assert '"/webhooks/rest/webhook"' in js and "innerHTML" not in js
    assert "innerHTML" not in requests.get(srv.rasa_url + "/webhooks/web/static/card.js", timeout=30).text
    terms = requests.get(srv.rasa_url + "/webhooks/web/terms.json", timeout=30)
    assert terms.status_code == 200 and terms.headers["content-type"].startswith("application/json")
    assert terms.json()["fields"]["education"] == "学历"
    assert set(terms.json()["statuses"].values()) == STATUS_WORDS
    for name in ("texts.yml", "../web.py", "chat.html.bak", "..%2Fchannels%2Fweb.py"):
        assert requests.get(f"{srv.rasa_url}/webhooks/web/static/{name}", timeout=30).status_code == 404


# --- the console: token -----------------------------------------------------------------------------------

def test_console_refuses_a_missing_or_wrong_token(srv):
    base = srv.rasa_url + "/webhooks/console"
    for headers, params in [({}, {}), ({"Authorization": "Bearer wrong"}, {}), ({}, {"token": "wrong"}),
                            ({"Authorization": TOKEN}, {})]:
        page = requests.get(base + "/", headers=headers, params=params, timeout=30)
        assert page.status_code == 401, (headers, params)
        assert page.headers["content-type"].startswith("text/html") and "坐席口令" in page.text
        assert page.headers["www-authenticate"].startswith("Bearer")
        api = requests.post(base + "/assess", json={"age": 30}, headers=headers, params=params, timeout=30)
        assert api.status_code == 401 and "口令" in api.json()["error"]
        assert requests.get(base + "/conversation/anyone", headers=headers, params=params,
                            timeout=30).status_code == 401
        assert requests.get(base + "/schema", headers=headers, params=params, timeout=30).status_code == 401
    assert requests.get(base + "/", params={"token": TOKEN}, timeout=30).status_code == 200
    moved = requests.get(base, params={"token": TOKEN}, allow_redirects=False, timeout=30)
    assert moved.status_code == 301 and moved.headers["location"] == f"/webhooks/console/?token={TOKEN}"
    assert requests.get(base + "/schema", headers=_auth(), timeout=30).status_code == 200


def test_console_page_with_the_token(srv):
    assets = _check_page(srv.rasa_url, f"/webhooks/console/?token={TOKEN}")
    assert {"static/card.js", "static/console.js", "static/console.css"} <= set(assets)
    schema = requests.get(srv.rasa_url + "/webhooks/console/schema", headers=_auth(), timeout=30).json()
    fields = {f["name"]: f for g in schema["groups"] for f in g["fields"]}
    from assistant.policy.profile import PROFILE_FIELDS
    assert set(fields) == set(PROFILE_FIELDS)
    assert fields["education"]["label"] == "学历" and fields["education"]["kind"] == "enum"
    assert {"value": "bachelor", "label": "本科"} in fields["education"]["options"]
    assert [o["label"] for o in fields["retired"]["options"]] == ["是", "否"]
    assert schema["as_of"]["kind"] == "date"


def test_console_without_a_configured_token_answers_503(tmp_path):
    """The channels on their own Sanic app with CONSOLE_TOKEN unset (a second Rasa server would cost a
    model load): the console says, in Chinese, what is missing; the chat page still works."""
    env = _env(tmp_path / "tracker.db", 0)
    env.pop("CONSOLE_TOKEN", None)
    with channels_app("WebChatInput(), ConsoleInput()", env, tmp_path / "console.log", "/webhooks/web/") as url:
        base = f"{url}/webhooks"
        page = requests.get(f"{base}/console/", params={"token": "anything"}, timeout=30)
        assert page.status_code == 503 and "CONSOLE_TOKEN" in page.text and "未启用" in page.text
        for method, path in [("POST", "/assess"), ("GET", "/conversation/x"), ("GET", "/schema")]:
            r = requests.request(method, f"{base}/console{path}", json={}, headers={"Authorization": "Bearer x"},
                                 timeout=30)
            assert r.status_code == 503 and "CONSOLE_TOKEN" in r.json()["error"], (path, r.text)


# --- the console: assess ----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", PROFILES, ids=[c["name"][:3] for c in PROFILES])
def test_console_assess_is_the_engine(srv, case):
    r = requests.post(srv.rasa_url + "/webhooks/console/assess", json=case["profile"], headers=_auth(), timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    want = json.loads(json.dumps(assess(parse_profile(case["profile"]))))
    assert body["assessment"] == want
    assert body["explanation"] == explain(want)
    assert {c["id"]: c["status"] for c in body["assessment"]["channels"]} == case["expected"]["statuses"]
    script = body["script"]
    assert script.startswith("您好") and case["profile"]["as_of"] in script and "审核为准" in script
    names = {c["id"]: c["name"] for c in want["channels"]}
    for cid in want["recommended"]:
        assert names[cid] in script
    assert "依据：" not in script  # the citations are listed apart
    cited = {(c["document"], c["article"], c["effective_from"]) for c in body["citations"]}
    for channel in want["channels"]:
        for criterion in channel["criteria"]:
            src = criterion["source"]
            assert (src["document"], src["article"], src["effective_from"]) in cited
    assert all(isinstance(c["verified"], bool) and c["channels"] for c in body["citations"])


@pytest.mark.parametrize("body, field, words", [
    ({"age": 300}, "age", "年龄"),
    ({"age": "二十八"}, "age", "年龄"),
    ({"education": "小学博士"}, "education", "学历"),
    ({"target_area": "火星"}, "target_area", "拟落户地区"),
    ({"as_of": "2019-01-01"}, "as_of", "评估日期"),
    ({"retired": "maybe"}, "retired", "退休"),
    ({"favourite_colour": "red"}, "favourite_colour", "未知字段"),
], ids=["age-300", "age-text", "education", "area", "as_of-too-early", "bool", "unknown-field"])
def test_console_assess_names_the_wrong_field(srv, body, field, words):
    r = requests.post(srv.rasa_url + "/webhooks/console/assess", json=body, headers=_auth(), timeout=30)
    assert r.status_code == 400, r.text
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert words in errors[0]["message"] and words in r.json()["error"]


def test_console_assess_rejects_what_is_not_a_profile(srv):
    url = srv.rasa_url + "/webhooks/console/assess"
    bad = requests.post(url, data="{not json", headers={**_auth(), "Content-Type": "application/json"}, timeout=30)
    assert bad.status_code == 400 and "JSON" in bad.json()["error"]
    listed = requests.post(url, json=[1, 2], headers=_auth(), timeout=30)
    assert listed.status_code == 400 and "数组" in listed.json()["error"]


# --- the console: a resident's conversation ---------------------------------------------------------------

def test_conversation_look_up_shows_facts_last_assessment_and_handoff(srv):
    case = _profile("p01")
    sender = "web-test-handoff"
    out = interview(srv, sender, case["profile"])
    url = f"{srv.rasa_url}/webhooks/console/conversation/{sender}"
    before = requests.get(url, headers=_auth(), timeout=30)
    assert before.status_code == 200, before.text
    assert before.json()["handoff_requested"] is False
    srv.webhook(sender, "转人工")
    r = requests.get(url, params={"token": TOKEN}, timeout=30)
    assert r.status_code == 200
    got = r.json()
    assert got["sender_id"] == sender and got["handoff_requested"] is True
    facts = {f["field"]: f for f in got["facts"]}
    assert facts["target_area"]["label"] == "拟落户地区" and facts["target_area"]["value"] == "苏州工业园区"
    assert facts["education"]["value"] == "bachelor" and facts["education"]["display"] == "本科"
    assert facts["age"]["value"] == 27 and facts["age"]["label"] == "年龄（周岁）"
    for name, fact in facts.items():
        assert fact["value"] == case["profile"][name] or name == "target_area", name
    last = got["last_assessment"]
    assert last["recommended"] == out.assessment["recommended"] == ["talent"]
    assert {c["id"] for c in last["channels"]} == {c["id"] for c in out.assessment["channels"]}
    assert got["explanation"].startswith("【落户评估】")
    assert got["as_of"] == case["profile"]["as_of"]
    assert any(m["from"] == "user" and m["text"] == "转人工" for m in got["messages"])


def test_unknown_conversation_is_404(srv):
    r = requests.get(f"{srv.rasa_url}/webhooks/console/conversation/web-nobody-{secrets.token_hex(4)}",
                     headers=_auth(), timeout=30)
    assert r.status_code == 404 and "没有找到会话" in r.json()["error"]
    # looking it up did not create it
    again = requests.get(f"{srv.rasa_url}/webhooks/console/conversation/never-seen", headers=_auth(), timeout=30)
    assert again.status_code == 404
    assert requests.get(f"{srv.rasa_url}/webhooks/console/conversation/never-seen", headers=_auth(),
                        timeout=30).status_code == 404


# --- a real browser -----------------------------------------------------------------------------------------

def _playwright():
    # `make test` installs chromium (make browser): its absence is a broken set-up, not a reason to skip.
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)"
    from playwright.sync_api import sync_playwright
    return sync_playwright


@pytest.fixture(scope="module")
def browser_factory():
    sync_playwright = _playwright()
    profiles: list[str] = []
    with sync_playwright() as p:
        contexts = []

        def new_context(**options):
            profile = tempfile.mkdtemp(prefix="chromium-profile-")
            profiles.append(profile)
            context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                           headless=True, locale="zh-CN", **options)
            context.set_default_timeout(90_000)
            contexts.append(context)
            return context

        yield new_context
        for context in contexts:
            context.close()
    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)


def _watch(page, origin: str) -> list[str]:
    """Requests that leave the server, and script errors: both must stay empty."""
    problems: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(origin) or r.url.startswith("data:")
            else problems.append(f"request to {r.url}"))
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    return problems


PREFERRED = ("否", "苏州工业园区", "本科", "市区居住证", "备案的租赁住房")


def test_browser_chat_on_a_phone_and_the_console(srv, browser_factory):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    origin = srv.rasa_url
    phone = browser_factory(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                            has_touch=True)
    page = phone.new_page()
    problems = _watch(page, origin)
    page.goto(origin + "/webhooks/web/")
    sender = page.locator("#sender").inner_text()
    assert re.fullmatch(r"web-[0-9a-f]{16}", sender)
    assert page.evaluate("JSON.parse(localStorage.getItem('suzhou-luohu.chat.v1')).sender") == sender

    page.fill("#input", "我今年28，本科毕业，在园区上班，社保交了两年多了，租的房子")
    page.click("#send")
    messages = page.locator("#log > .msg")
    messages.nth(2).wait_for()
    assert messages.nth(1).inner_text().startswith("我今年28")
    clicked: list[str] = []
    card = page.locator(".assessment-card")
    for _ in range(12):
        if card.count():
            break
        count = messages.count()
        options = page.locator("#log > .msg.bot:last-child .option:not([disabled])")
        if options.count():
            titles = options.all_inner_texts()
            title = next((t for t in PREFERRED if t in titles), titles[0])
            options.nth(titles.index(title)).click()
            clicked.append(title)
        else:  # a question without options (a number): answered by typing
            page.fill("#input", "24")
            page.click("#send")
        messages.nth(count + 1).wait_for()
        # the user's bubble shows the option's title, never its payload
        assert not messages.nth(count).inner_text().startswith("/")
    assert clicked, "the assistant asked nothing with options"
    # questions already answered can't be answered again
    assert page.locator("#log > .msg:not(:last-child) .option:not([disabled])").count() == 0
    card.first.wait_for()
    assert card.first.locator(".channel").count() == len(CHANNEL_IDS)
    chips = card.first.locator(".channel .chip").all_inner_texts()
    assert set(chips) <= STATUS_WORDS and "符合" in chips
    assert card.first.locator(".channel[data-channel=talent] .chip").inner_text() == "符合"
    citation = card.first.locator(".channel[data-channel=talent] .citation").first.inner_text()
    assert "《苏州市人才落户管理办法》" in citation and "起施行" in citation
    assert card.first.locator(".badge-unverified").count() >= 1   # the points' social insurance score
    assert "已知" in card.first.locator(".points").inner_text()
    assert "审核为准" in card.first.locator(".disclaimer").inner_text()
    assert page.locator(".explanation .plain-text").first.text_content().startswith("【落户评估】")
    box = page.locator(".option").first.bounding_box()
    assert box and box["height"] >= 44   # touch targets
    assert page.evaluate("document.documentElement.scrollWidth") <= 390   # no sideways scrolling

    # a reload keeps the conversation; the screenshot shows the card
    page.reload()
    card.first.wait_for()
    assert page.locator("#sender").inner_text() == sender
    # the screenshot: the last question with its options, the one the resident clicked, then the card
    assert page.locator(".option.chosen").last.inner_text() == clicked[-1]
    page.locator(".option.chosen").last.evaluate(
        "b => { const m = b.closest('.msg'); (b.parentNode.previousElementSibling || m).scrollIntoView({block: 'start'}); }")
    page.screenshot(path=str(SCREENSHOTS / "web-chat.png"))

    # the resident asks for a human; then starts again with a new id
    count = messages.count()
    page.click('.quick-btn[data-message="转人工"]')
    messages.nth(count + 1).wait_for()
    assert "12345" in messages.nth(count + 1).inner_text()
    page.click("#restart")
    assert page.locator("#sender").inner_text() != sender
    assert page.locator("#log > .msg").count() == 1   # only the welcome
    assert not problems, problems

    # --- the console, on a desk screen -----------------------------------------------------------------
    desk = browser_factory(viewport={"width": 1440, "height": 1100})
    console = desk.new_page()
    problems = _watch(console, origin)
    console.goto(f"{origin}/webhooks/console/?token={TOKEN}")
    console.locator("#f-education").wait_for()
    assert TOKEN not in console.url   # the token does not stay in the address bar
    case = _profile("p03")
    schema = requests.get(origin + "/webhooks/console/schema", headers=_auth(), timeout=30).json()
    kinds = {f["name"]: f["kind"] for g in schema["groups"] for f in g["fields"]}
    for name, value in case["profile"].items():
        if value is None:
            continue
        if name == "as_of":
            console.fill("#f-as_of", value)
        elif kinds[name] == "bool":
            console.locator(f'.field[data-field="{name}"] label:has(input[value="{str(value).lower()}"])').click()
        elif kinds[name] == "area":
            console.select_option(f"#f-{name}", area_name(normalize_area(value)))
        elif kinds[name] == "enum":
            console.select_option(f"#f-{name}", value)
        else:
            console.fill(f"#f-{name}", str(value))
    console.click("#assess")
    console.locator("#answer").wait_for()
    want = assess(parse_profile(case["profile"]))
    card = console.locator("#card .assessment-card")
    statuses = {c: card.locator(f".channel[data-channel={c}]").get_attribute("class").split("status-")[1]
                for c in case["expected"]["statuses"]}
    assert statuses == case["expected"]["statuses"]
    assert want["recommended"] == case["expected"]["recommended"]
    script = console.locator("#script").inner_text()
    assert script.startswith("您好") and "积分落户" in script
    assert console.locator("#citations tbody tr").count() >= 5
    assert "尚待官方核实" in console.locator("#citations").inner_text()

    # the resident's conversation from the chat above
    console.fill("#lookup-id", sender)
    console.click("#lookup button")
    console.locator("#conversation .conversation-head").wait_for()
    assert console.locator("#conversation .flag").inner_text() == "已请求转人工"
    facts = console.locator("#conversation .facts").inner_text()
    assert "学历" in facts and "本科" in facts and "拟落户地区" in facts
    assert "推荐人才落户" in console.locator("#conversation .last-assessment > summary").inner_text()
    # "保存为测试": the conversation downloaded as a conversation test (assistant/tools/conversation_tests.py)
    with console.expect_download() as download:
        console.click("#save-test")
    assert download.value.suggested_filename == f"test-{sender}.yml"
    saved = yaml.safe_load(Path(download.value.path()).read_text(encoding="utf-8"))
    steps = saved["test_cases"][0]["steps"]
    assert sender in saved["test_cases"][0]["test_case"] and {"user": "转人工"} in steps
    assert next(s["assessment"] for s in steps if "assessment" in s)["talent"] == "eligible"
    console.click("#conversation .last-assessment > summary")
    assert console.locator("#conversation .assessment-card .channel").count() == len(CHANNEL_IDS)
    console.click("#conversation .last-assessment > summary")
    console.evaluate("window.scrollTo(0, 0); document.querySelector('.form-panel').scrollTop = 0")
    console.screenshot(path=str(SCREENSHOTS / "console.png"))

    # a wrong value: the field is named and marked
    console.fill("#f-age", "300")
    console.click("#assess")
    console.locator("#errors:not([hidden])").wait_for()
    assert "年龄" in console.locator("#errors").inner_text()
    assert console.locator('.field.invalid[data-field="age"]').count() == 1
    # an unknown conversation
    console.fill("#lookup-id", "web-nobody")
    console.click("#lookup button")
    console.locator("#notice:not([hidden])").wait_for()
    assert "没有找到会话" in console.locator("#notice").inner_text()
    assert not problems, problems
