"""Everyone can use the web chat (WCAG 2.2 AA): axe-core on the chat, the result card and the console in
the phone and the desk sizes; a whole interview with the keyboard only; 长辈模式 (large text) measured, at
200 % zoom too; 读给我听 shown with a Chinese voice and hidden without one. Real servers, real chromium
(tests/test_web.py starts them the same way); the screenshots go to results/screenshots/."""
from __future__ import annotations

import re

import pytest
import requests

from tests.support import browser as kb
from tests.support.a11y import assert_accessible, axe_violations
from tests.support.servers import ROOT, interview
from tests.test_web import (  # noqa: F401  (fixtures: the servers, the browser)
    TOKEN,
    _profile,
    browser_factory,
    srv,
)

pytestmark = pytest.mark.servers

SCREENSHOTS = ROOT / "results" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESK = {"width": 1280, "height": 900}
ELDER_KEY = "suzhou-luohu.elder.v1"
# Large-text targets: everything a resident presses in the chat and the card.
TARGETS = ["#elder", "#restart", "#log .option", ".quick-btn", "#input", "#send",
           ".channel-head", ".explanation > summary", ".read-aloud"]
BASE_TEXT = ["body", ".bubble", ".option", ".criterion-text", ".channel-name", "#input"]


def _chat(browser_factory, **options):  # noqa: F811
    context = browser_factory(bypass_csp=True, **{**PHONE, **options})  # axe is injected as a script tag
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def _open_chat(page, srv) -> None:  # noqa: F811
    page.goto(srv.rasa_url + "/webhooks/web/")
    page.wait_for_function("() => document.querySelector('#sender').textContent.startsWith('web-')")


def _elder(page, on: bool) -> None:
    """The 长辈模式 switch, pressed with the keyboard (focus, Enter) until it is as wanted."""
    button = page.locator("#elder")
    if (button.get_attribute("aria-pressed") == "true") != on:
        button.focus()
        page.keyboard.press("Enter")
    assert button.get_attribute("aria-pressed") == ("true" if on else "false")


# --- keyboard and screen readers --------------------------------------------------------------------------

def test_a_whole_interview_with_the_keyboard_only(srv, browser_factory):  # noqa: F811
    page, errors = _chat(browser_factory)
    _open_chat(page, srv)
    log = page.locator("#log")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    assert page.locator("main #log").count() == 1 and page.locator("html").get_attribute("lang") == "zh-CN"
    # the order of the page, top to bottom, each stop with a visible focus ring
    stops = []
    for _ in range(9):
        page.keyboard.press("Tab")
        stop = kb.focused(page)
        assert stop and stop["outline"] != "none" and stop["outlineWidth"] >= 2, f"focus not visible: {stop}"
        stops.append(kb.name(stop))
    assert stops == ["elder", "restart", "试试：“我今年28，本科毕业，在园区上班……”", "从头开始问我",
                     "转人工", "我差多少分", "继续", "input", "send"]

    chosen = kb.keyboard_interview(page)
    assert chosen, "the assistant asked nothing with options"
    # every question said how many are left, in words under it (payload.remaining)
    progress = page.locator("#log .progress").all_inner_texts()
    assert progress and all(re.fullmatch(r"还需约\d+个问题|还剩最后1个问题", t) for t in progress), progress
    card = page.locator("#log > .msg:last-child .assessment-card")
    stop = kb.focused(page)
    assert kb.name(stop) == "input" or "card-title" in stop["classes"], stop
    # the card: a region named by its title; its channels open and close with Enter
    title_id, date_id = card.get_attribute("aria-labelledby").split()
    assert page.locator(f"#{title_id}").inner_text() in ("落户评估结果", "假设情况下的评估结果")
    assert "当日有效的规则" in page.locator(f"#{date_id}").inner_text()
    card.locator(".card-title").focus()
    summary = kb.press_until(page, lambda s: s["tag"] == "summary")
    channel = card.locator(".channel").first
    was_open = channel.evaluate("d => d.open")
    page.keyboard.press("Enter")
    assert channel.evaluate("d => d.open") is not was_open, f"Enter on {summary['text']} did not toggle it"
    # statuses in words (from terms.json) with a mark before them, not by colour alone
    statuses = set(requests.get(srv.rasa_url + "/webhooks/web/terms.json", timeout=30).json()["statuses"].values())
    chips = card.locator(".channel .chip")
    assert set(chips.all_inner_texts()) <= statuses and "符合" in chips.all_inner_texts()
    marks = chips.evaluate_all("cs => cs.map(c => getComputedStyle(c, '::before').content)")
    assert all(m not in ("none", "normal", '""') for m in marks), marks
    for icon in card.locator(".criterion-icon").all()[:5]:
        assert icon.get_attribute("role") == "img" and icon.get_attribute("aria-label") in ("已满足", "未满足", "尚不确定")
    for part in card.locator(".criteria").all():
        assert part.get_attribute("aria-label").endswith("的条件")
    # the resident asks for a human with the keyboard too
    count = page.locator("#log > .msg").count()
    kb.press_until(page, lambda s: s["text"] == "转人工")
    page.keyboard.press("Enter")
    kb.wait_reply(page, count)
    assert "12345" in page.locator("#log > .msg:last-child").inner_text()
    assert not errors, errors


# --- axe-core: WCAG 2.2 A/AA -------------------------------------------------------------------------------

def test_axe_finds_nothing_serious_in_the_chat_and_the_card(srv, browser_factory):  # noqa: F811
    page, errors = _chat(browser_factory)
    _open_chat(page, srv)
    assert_accessible(page, "chat, phone")
    kb.keyboard_interview(page)
    page.locator("#log .assessment-card .channel").evaluate_all("ds => ds.forEach(d => { d.open = true; })")
    assert_accessible(page, "result card, phone")
    _elder(page, True)
    assert_accessible(page, "result card, 长辈模式, phone")
    page.set_viewport_size(DESK)
    assert_accessible(page, "result card, 长辈模式, desktop")
    _elder(page, False)
    assert_accessible(page, "result card, desktop")
    assert not errors, errors


def test_axe_finds_nothing_serious_in_the_console(srv, browser_factory):  # noqa: F811
    sender = "web-a11y-console"
    interview(srv, sender, _profile("p01")["profile"])
    desk = browser_factory(bypass_csp=True, viewport=DESK)
    page = desk.new_page()
    page.goto(f"{srv.rasa_url}/webhooks/console/")
    assert_accessible(page, "console, no token")
    page.goto(f"{srv.rasa_url}/webhooks/console/?token={TOKEN}")
    page.locator("#f-education").wait_for()
    assert_accessible(page, "console form, desktop")
    page.select_option("#f-education", "bachelor")
    page.fill("#f-age", "28")
    page.locator("#assess").focus()
    page.keyboard.press("Enter")
    page.locator("#answer:not([hidden]) #card .assessment-card").wait_for()
    page.locator("#rules-sheet, #resident-view").evaluate_all("ds => ds.forEach(d => { d.open = true; })")
    assert_accessible(page, "console answer and card, desktop")
    page.fill("#lookup-id", sender)
    page.keyboard.press("Enter")
    page.locator("#conversation .conversation-head").wait_for()
    page.locator("#conversation details").evaluate_all("ds => ds.forEach(d => { d.open = true; })")
    assert_accessible(page, "console conversation, desktop")
    page.set_viewport_size(PHONE["viewport"])
    assert_accessible(page, "console, phone")


# --- 长辈模式 -----------------------------------------------------------------------------------------------

def test_elder_mode_is_large_clear_and_remembered(srv, browser_factory):  # noqa: F811
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page, errors = _chat(browser_factory)
    _open_chat(page, srv)
    kb.keyboard_interview(page)
    normal = kb.sizes(page, TARGETS, BASE_TEXT)
    axe_violations(page, "normal mode, enhanced contrast (7:1), for comparison", rules=["color-contrast-enhanced"])
    page.evaluate("document.activeElement.blur()")
    page.locator("#log .assessment-card").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "web-chat-normal.png"))
    assert page.locator("#elder").inner_text() == "长辈模式"
    _elder(page, True)
    large = kb.sizes(page, TARGETS, BASE_TEXT)
    print(f"\n长辈模式 measured: normal {normal}\n  large {large}")
    for selector, measured in large["fonts"].items():
        assert measured and measured["size"] >= 20 and measured["lineHeight"] >= 1.5, (selector, measured)
    for selector, side in large["targets"].items():
        if selector != ".read-aloud":  # hidden without a voice (see the 读给我听 test)
            assert side is not None and side >= 48, (selector, side)
    assert large["smallest"]["size"] >= 16, large["smallest"]
    # higher contrast: axe's enhanced contrast rule (WCAG 1.4.6, 7:1) finds nothing in 长辈模式
    assert not axe_violations(page, "长辈模式, enhanced contrast (7:1)", rules=["color-contrast-enhanced"])
    page.evaluate("document.activeElement.blur()")
    page.locator("#log .assessment-card").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "web-chat-elder.png"))
    # remembered on the device
    page.reload()
    page.locator("#log .assessment-card").wait_for()
    assert page.evaluate(f"localStorage.getItem('{ELDER_KEY}')") == "on"
    assert page.locator("html").get_attribute("class") == "elder"
    assert page.locator("#elder").get_attribute("aria-pressed") == "true"
    _elder(page, False)
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "16px"
    assert not errors, errors


@pytest.mark.parametrize("width, elder", [(640, False), (640, True), (320, True)],
                         ids=["200%-normal", "200%-elder", "400%-elder"])
def test_the_card_reflows_when_zoomed(srv, browser_factory, width, elder):  # noqa: F811
    # 1280 CSS px at 200 % is a 640 px wide viewport (at 400 %, 320 px: WCAG's reflow width)
    page, errors = _chat(browser_factory, viewport={"width": width, "height": 800}, is_mobile=False,
                         has_touch=False)
    _open_chat(page, srv)
    if elder:
        _elder(page, True)
    kb.keyboard_interview(page)
    page.locator("#log .assessment-card details").evaluate_all("ds => ds.forEach(d => { d.open = true; })")
    assert kb.overflow(page) == []
    # the measure sees a line too long for the card
    page.locator("#log .assessment-card .criterion-text").first.evaluate(
        "t => { t.style.whiteSpace = 'nowrap'; t.textContent += '很长'.repeat(200); }")
    assert any("criterion-text" in p for p in kb.overflow(page))
    assert not errors, errors


# --- 读给我听 -----------------------------------------------------------------------------------------------

# The browser's speech synthesis as the test sets it: its voices, and what speak() was given.
FAKE_SPEECH = """(() => {
  window.__voices = %s;
  window.__spoken = [];
  speechSynthesis.getVoices = () => window.__voices;
  speechSynthesis.speak = u => window.__spoken.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.name});
  speechSynthesis.cancel = () => {};
  window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; this.lang = ""; this.voice = null; } };
})()"""
ZH = '[{"lang": "zh-CN", "name": "Ting-Ting", "voiceURI": "zh", "localService": true, "default": false}]'
EN = '[{"lang": "en-US", "name": "Samantha", "voiceURI": "en", "localService": true, "default": true}]'


def test_read_aloud_reads_each_message_in_chinese(srv, browser_factory):  # noqa: F811
    page, errors = _chat(browser_factory)
    page.add_init_script(FAKE_SPEECH % ZH)
    _open_chat(page, srv)
    kb.keyboard_interview(page)
    bots = page.locator("#log > .msg.bot")
    assert page.locator("#log .read-aloud:not([hidden])").count() == bots.count() > 2
    # the welcome's button, reached with the keyboard: after the header's two buttons
    page.locator("#elder").focus()
    stop = kb.press_until(page, lambda s: "read-aloud" in s["classes"])
    assert stop["text"] == "读给我听"
    page.keyboard.press("Enter")
    spoken = page.evaluate("window.__spoken")
    assert spoken and {s["lang"] for s in spoken} == {"zh-CN"} and {s["voice"] for s in spoken} == {"Ting-Ting"}
    assert "".join(s["text"] for s in spoken).startswith("您好！我是苏州落户政策助手。请说说您的情况")
    assert kb.focused(page)["text"] == "停止朗读"
    # the card's message: its title, summary and every channel's status are read
    page.evaluate("window.__spoken = []")
    bots.last.locator(".read-aloud").focus()
    page.keyboard.press("Enter")
    said = "".join(s["text"] for s in page.evaluate("window.__spoken"))
    assert "落户评估结果" in said and "人才落户" in said and "符合" in said, said
    _elder(page, True)
    assert kb.sizes(page, [".read-aloud"], [".read-aloud"])["targets"][".read-aloud"] >= 48
    assert not errors, errors


def test_read_aloud_is_hidden_without_a_chinese_voice(srv, browser_factory):  # noqa: F811
    page, errors = _chat(browser_factory)
    page.add_init_script(FAKE_SPEECH % "[]")
    _open_chat(page, srv)
    buttons = page.locator("#log .read-aloud")
    assert buttons.count() == 1 and buttons.first.is_hidden()
    page.evaluate(f"window.__voices = {EN}; speechSynthesis.dispatchEvent(new Event('voiceschanged'))")
    assert buttons.first.is_hidden()  # an English voice cannot read Chinese
    page.evaluate(f"window.__voices = {ZH}; speechSynthesis.dispatchEvent(new Event('voiceschanged'))")
    assert buttons.first.is_visible()  # voices arrive late in some browsers: the buttons follow
    page.evaluate("window.__voices = []; speechSynthesis.dispatchEvent(new Event('voiceschanged'))")
    assert buttons.first.is_hidden()
    # and the browser as it is (headless chromium has no voice here): hidden unless it has a Chinese one
    plain, _ = _chat(browser_factory)
    _open_chat(plain, srv)
    has_zh = plain.evaluate("speechSynthesis.getVoices().some(v => v.lang.toLowerCase().startsWith('zh'))")
    assert plain.locator("#log .read-aloud").first.is_visible() is has_zh
    assert not errors, errors
