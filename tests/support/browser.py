"""The residents' chat driven as a keyboard user drives it, and what the browser measures of a page.

Used by tests/test_web_access.py with a Playwright page of the chat (assistant/web/chat.html)."""
from __future__ import annotations

from typing import Any

OPENING = "我今年28，本科毕业，在园区上班，社保交了两年多了，租的房子"
# The options a resident of the opening's kind picks when offered (else the first one).
PREFERRED = ("否", "苏州工业园区", "本科", "市区居住证", "备案的租赁住房")

_FOCUSED = """() => {
  const a = document.activeElement;
  if (!a || a === document.body) return null;
  const style = getComputedStyle(a);
  const msg = a.closest('#log > .msg');
  return {tag: a.tagName.toLowerCase(), id: a.id, classes: String(a.className), disabled: !!a.disabled,
          text: (a.innerText || a.value || '').trim(), label: a.getAttribute('aria-label') || '',
          outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) || 0,
          inLastMessage: !!msg && msg === document.querySelector('#log > .msg:last-child')};
}"""


def focused(page: Any) -> dict | None:
    """The element that has the keyboard's focus (None: the page itself), with its outline."""
    return page.evaluate(_FOCUSED)


def name(stop: dict | None) -> str:
    """A short name of a focus stop: its id, else its text."""
    return "" if stop is None else (stop["id"] or stop["text"])


def press_until(page: Any, done: Any, key: str = "Tab", limit: int = 40) -> dict:
    """Presses `key` until the focused element satisfies `done`; fails after `limit` presses."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        stop = focused(page)
        if stop is not None and done(stop):
            return stop
        seen.append(name(stop))
    raise AssertionError(f"{key} x{limit} never reached the element; focus went through {seen}")


def wait_reply(page: Any, count: int) -> None:
    """Waits until the log holds more than `count` messages and the assistant has answered."""
    page.wait_for_function("n => document.querySelectorAll('#log > .msg').length >= n + 2 && "
                           "document.getElementById('typing').hidden", arg=count)


def _enabled_options(page: Any) -> list[str]:
    return page.locator("#log > .msg:last-child .options .option:not([disabled])").all_inner_texts()


def choose_option(page: Any, titles: list[str]) -> str:
    """Moves the focus to the preferred option of the last question (Tab / Shift+Tab) and presses Enter."""
    title = next((t for t in PREFERRED if t in titles), titles[0])
    stop = focused(page)
    if not (stop and "option" in stop["classes"] and stop["inLastMessage"]):
        # from the input, back through the quick buttons to the question's last option
        stop = press_until(page, lambda s: "option" in s["classes"] and s["inLastMessage"], key="Shift+Tab")
    while stop["text"] != title:
        key = "Tab" if titles.index(stop["text"]) < titles.index(title) else "Shift+Tab"
        page.keyboard.press(key)
        stop = focused(page)
        assert stop and stop["text"] in titles, f"{key} left the question's options: {stop}"
        assert stop["outline"] != "none" and stop["outlineWidth"] >= 2, f"focus not visible on {stop}"
    page.keyboard.press("Enter")
    return title


def keyboard_interview(page: Any, max_turns: int = 14) -> list[str]:
    """A whole interview with the keyboard only: Tab to the input, type, Enter; each question answered by
    its option (Tab, Enter) or, without options, by typing a number; until the result card. Returns the
    options chosen."""
    press_until(page, lambda s: s["id"] == "input")
    count = page.locator("#log > .msg").count()
    page.keyboard.type(OPENING)
    page.keyboard.press("Enter")
    wait_reply(page, count)
    chosen: list[str] = []
    for _ in range(max_turns):
        if page.locator("#log > .msg:last-child .assessment-card").count():
            return chosen
        count = page.locator("#log > .msg").count()
        titles = _enabled_options(page)
        if titles:
            chosen.append(choose_option(page, titles))
        else:  # a number is asked: typed in the input
            if name(focused(page)) != "input":
                press_until(page, lambda s: s["id"] == "input")
            page.keyboard.type("24")
            page.keyboard.press("Enter")
        wait_reply(page, count)
        stop = focused(page)
        assert stop is not None, "after the assistant's answer the keyboard's focus is lost"
    raise AssertionError(f"no result card after {max_turns} answers: {chosen}")


_OVERFLOW = """(root) => {
  const doc = document.documentElement;
  const problems = [];
  if (doc.scrollWidth > doc.clientWidth) problems.push(`page ${doc.scrollWidth} > ${doc.clientWidth}`);
  const log = document.querySelector('#log');
  if (log && log.scrollWidth > log.clientWidth + 1) problems.push(`log ${log.scrollWidth} > ${log.clientWidth}`);
  const card = document.querySelector(root);
  const box = card.getBoundingClientRect();
  if (box.right > doc.clientWidth + 1 || box.left < -1) problems.push(`card ${box.left}..${box.right}`);
  for (const el of card.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !el.textContent.trim()) continue;
    const id = el.className || el.tagName;
    if (r.right > box.right + 1 || r.left < box.left - 1) problems.push(`${id} ${r.left}..${r.right} outside the card`);
    // wider content than its box: cut (overflow hidden) or sticking out of it (visible)
    if (el.clientWidth && el.scrollWidth > el.clientWidth + 1)
      problems.push(`${id} too wide: ${el.scrollWidth} > ${el.clientWidth}`);
  }
  return problems;
}"""


def overflow(page: Any, card: str = "#log > .msg:last-child .assessment-card") -> list[str]:
    """What sticks out sideways: the page, the log or any text of the card wider than its box (empty: none)."""
    return page.evaluate(_OVERFLOW, card)


_SIZES = """(selectors) => {
  const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const px = (el, p) => parseFloat(getComputedStyle(el)[p]);
  const out = {targets: {}, fonts: {}};
  for (const s of selectors.targets) {
    const els = [...document.querySelectorAll(s)].filter(visible);
    out.targets[s] = els.length ? Math.min(...els.map(e => Math.min(e.getBoundingClientRect().height,
                                                                    e.getBoundingClientRect().width))) : null;
  }
  for (const s of selectors.fonts) {
    const els = [...document.querySelectorAll(s)].filter(visible);
    out.fonts[s] = els.length ? {size: Math.min(...els.map(e => px(e, 'fontSize'))),
                                 lineHeight: Math.min(...els.map(e => px(e, 'lineHeight') / px(e, 'fontSize')))} : null;
  }
  let smallest = null;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !parent || !visible(parent)) continue;
    const size = px(parent, 'fontSize');
    if (smallest === null || size < smallest.size) smallest = {size, text: walker.currentNode.textContent.trim().slice(0, 20)};
  }
  out.smallest = smallest;
  return out;
}"""


def sizes(page: Any, targets: list[str], fonts: list[str]) -> dict:
    """Measured: the smallest side of each kind of target, the font size and line height of each kind of
    text (getComputedStyle, getBoundingClientRect), and the smallest visible text of the page."""
    return page.evaluate(_SIZES, {"targets": targets, "fonts": fonts})
