"""Hypothesis strategies for what residents (and anyone else) may send: Chinese with digits, ID-card, mobile and
bank-card numbers written every way people write them, emoji, control and bidi characters, mixed scripts,
near-limit lengths. Shared by the property tests (tests/test_properties_*.py) and the HTTP fuzz
(scripts/fuzz_http.py, tests/test_fuzz.py).

A personal number comes as a `Written` number: the text as typed and the canonical digits that must never be
stored. Around it goes a boundary character that is no digit, letter or separator ("号", "，", an emoji), so
that it is a number of its own (glued to other digits, "513912345678" is no mobile number: docs/limits-and-privacy.md).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from assistant.stores.privacy import id_check_digit

ROOT = Path(__file__).resolve().parents[2]
OPENINGS = [line.strip() for line in (ROOT / "tests" / "fixtures" / "openings.txt").read_text(encoding="utf-8")
            .splitlines() if line.strip()]

# What people say, in pieces, so that generated messages also look like real ones.
PHRASES = OPENINGS + [
    "你好", "您好", "我今年28岁", "三十五岁", "虚岁36", "四十多岁", "本科", "大专毕业", "硕士", "高级工", "中级职称",
    "在园区上班", "工业园区", "姑苏区", "昆山", "张家港", "吴江", "社保交了两年", "社保3年半", "24个月", "两年零三个月",
    "租的房子", "备案的租房", "买了房", "九十平", "89.5平方", "没退休", "退休了", "结婚了", "老公是苏州户口",
    "不知道", "跳过", "重新开始", "转人工", "继续", "我差多少分", "为什么不能积分落户？", "那如果我再交半年社保呢？",
    "积分落户要多少分", "居住证怎么办", "按2025-06-01的规则评估", "按2023-02-30的规则评估", "是", "不是", "1", "2",
    "１", "²", "٣", "①", "都不是", "好麻烦啊", "谢谢", "再见", "hello", "I want to settle in Suzhou",
    '/inform{"housing": "own"}', '/inform{"age": "abc"}', '/inform{"age": [1, 2]}', '/inform{"target_area": 5}',
    '/inform{"faq_topic": "points_line"}', "/restart", "/affirm", '/inform{"age": 1e400}', "/", "/inform{",
]

ASCII_DIGITS = "0123456789"
FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in ASCII_DIGITS + "Xx"}
ARABIC_INDIC = {c: chr(0x0660 + int(c)) for c in ASCII_DIGITS}
SEPARATORS = [" ", "-", "\u3000", "\u00a0", "–", "—", "－", " - ", "  "]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e",
        "\u200f", "\u061c"]
CONTROLS = [chr(c) for c in range(32)] + ["\x7f", "\x85", "\u2028", "\u2029"]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧", "🇨🇳", "❤️", "🏠", "1️⃣", "#️⃣", "🧑🏻‍💻", "\U0001fae0"]
ODD_DIGITS = ["²", "³", "¹", "①", "⑫", "٣", "۴", "७", "๓", "𝟗", "Ⅻ", "〇", "½"]
MIXED_SCRIPTS = ["Привет", "مرحبا", "안녕하세요", "こんにちは", "สวัสดี", "Γειά", "ｆｕｌｌ", "e\u0301", "ﬁ", "ß",
                 "İ", "Ǆ", "\u0ba8\u0bbf", "𠀀𪚥", "繁體中文：我媽媽55歲"]
# No digit, letter, separator, invisible or keycap character: what ends a number.
BOUNDARIES = ["，", "。", "、", "；", "：", "！", "？", "号", "的", "我", "是", "和", "（", "）", "【", "】", "《", "》",
              "😀", "🏠", "。\n"]


@dataclass(frozen=True)
class Written:
    """A personal number as typed (`text`) and as it must never be stored (`digits`, an ID's X upper case)."""

    kind: str
    digits: str
    text: str


# --- the numbers ----------------------------------------------------------------------------------------------

AREAS = ["320583", "320506", "320505", "320582", "110105", "440305", "510107", "330106", "653101", "810000"]


@st.composite
def id_numbers(draw: st.DrawFn, right_check: bool | None = None) -> str:
    """An 18-digit ID number with a real birth date; its check digit right, wrong (a typo) or either."""
    area = draw(st.sampled_from(AREAS) | st.from_regex(r"[1-9][0-9]{5}", fullmatch=True))
    born = draw(st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)))
    first17 = f"{area}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    right = id_check_digit(first17)
    if right_check is None:
        right_check = draw(st.booleans())
    last = right if right_check else draw(st.sampled_from([c for c in "0123456789X" if c != right]))
    return first17 + last


@st.composite
def old_id_numbers(draw: st.DrawFn) -> str:
    """A first-generation 15-digit ID number (born 19YY)."""
    area = draw(st.sampled_from(AREAS))
    born = draw(st.dates(dt.date(1900, 1, 1), dt.date(1999, 12, 31)))
    return f"{area}{born:%y%m%d}{draw(st.integers(0, 999)):03d}"


def mobiles() -> st.SearchStrategy[str]:
    return st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


def luhn_digit(body: str) -> str:
    """The digit that makes `body` + it pass the Luhn check."""
    total = 0
    for i, char in enumerate(reversed(body)):
        d = int(char) * (1 if i % 2 else 2)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


@st.composite
def bank_cards(draw: st.DrawFn) -> str:
    """A 16–19-digit number that passes the Luhn check (UnionPay 62…, Visa 4…, Mastercard 5…)."""
    length = draw(st.integers(16, 19))
    prefix = draw(st.sampled_from(["62", "4", "5", "3", "9"]))
    body = prefix + draw(st.text(ASCII_DIGITS, min_size=length - 1 - len(prefix), max_size=length - 1 - len(prefix)))
    return body + luhn_digit(body)


def numbers() -> st.SearchStrategy[tuple[str, str]]:
    """(kind, canonical digits) of every kind of personal number that must be masked."""
    return st.one_of(id_numbers().map(lambda n: ("id_card", n)), old_id_numbers().map(lambda n: ("id_card", n)),
                     mobiles().map(lambda n: ("mobile", n)), bank_cards().map(lambda n: ("bank_card", n)))


@st.composite
def written(draw: st.DrawFn, invisible: bool = False) -> Written:
    """A number as people type it: full-width or other digits (or some of each), spaces or dashes inside, an
    ID's X as X, x, Ｘ or ｘ; with `invisible`, zero-width and bidi characters inside too (the channels remove
    those before anything else)."""
    kind, digits = draw(numbers())
    style = draw(st.sampled_from(["ascii", "full", "mixed", "arabic"]))
    chars = []
    for char in digits:
        if char == "X":
            chars.append(draw(st.sampled_from(["X", "x", "Ｘ", "ｘ"])))
            continue
        to = {"ascii": None, "full": FULL_WIDTH, "arabic": ARABIC_INDIC, "mixed": draw(st.sampled_from(
            [None, FULL_WIDTH]))}[style]
        chars.append(to[char] if to else char)
    inside = st.sampled_from(SEPARATORS + (INVISIBLE + BIDI if invisible else []))
    cuts = draw(st.sets(st.integers(1, len(chars) - 1), max_size=len(chars) // 3))
    text = "".join((draw(inside) if i in cuts else "") + c for i, c in enumerate(chars))
    return Written(kind, digits, text)


# --- text around them ---------------------------------------------------------------------------------------------

def characters() -> st.SearchStrategy[str]:
    """Any one character a message may hold, the awkward ones more often than chance would give them."""
    singles = [c for c in INVISIBLE + BIDI + CONTROLS + SEPARATORS + EMOJI + MIXED_SCRIPTS + ODD_DIGITS if len(c) == 1]
    return st.one_of(
        st.characters(codec="utf-8"),                       # anything but surrogates
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.sampled_from(list(ASCII_DIGITS) + list(FULL_WIDTH.values()) + singles),
    )


def noise(max_size: int = 40) -> st.SearchStrategy[str]:
    """Characters and little sequences (emoji with modifiers, words of other scripts, separators) in any order."""
    sequences = st.sampled_from([c for c in SEPARATORS + EMOJI + MIXED_SCRIPTS if len(c) > 1])
    return st.lists(characters() | sequences, max_size=max_size).map("".join)


Said = tuple[str, tuple[str, ...]]   # a message and the canonical digits of the personal numbers in it


def pieces(invisible: bool = True) -> st.SearchStrategy[Said]:
    """One piece of a message: a phrase, a number with or without a unit, noise, or a personal number."""
    plain = st.one_of(
        st.sampled_from(PHRASES),
        noise(),
        st.integers(-10, 10 ** 20).map(str),
        st.builds(lambda n, u: f"{n}{u}", st.integers(0, 2000), st.sampled_from(["岁", "个月", "年", "平", "分", "号"])),
    ).map(lambda text: (text, ()))
    number = st.builds(lambda b, w, a: (f"{b}{w.text}{a}", (w.digits,)), st.sampled_from(BOUNDARIES),
                       written(invisible), st.sampled_from(BOUNDARIES))
    return plain | number


def _joined(parts: list[Said]) -> Said:
    return "".join(p[0] for p in parts), tuple(d for p in parts for d in p[1])


def said(max_pieces: int = 6) -> st.SearchStrategy[Said]:
    """A message as the channels may receive it (surrogates included, as JSON can carry them), with the personal
    numbers in it."""
    plain = st.lists(pieces(), max_size=max_pieces).map(_joined)
    return st.one_of(
        plain,
        st.builds(lambda m, s: (m[0] + s, m[1]), plain, st.sampled_from(SURROGATES)),
        near_limit(),
    )


def messages(max_pieces: int = 6) -> st.SearchStrategy[str]:
    """The text of `said`."""
    return said(max_pieces).map(lambda m: m[0])


@st.composite
def near_limit(draw: st.DrawFn, limit: int = 1000) -> Said:
    """A message of about the length limit: just under, at, or just over it (before cleaning)."""
    length = draw(st.sampled_from([limit - 1, limit, limit + 1, limit - 50, limit + 200]))
    text, numbers = _joined(draw(st.lists(pieces(invisible=False), min_size=1, max_size=4)))
    filler = draw(st.sampled_from(["我", "社保", "a", "一二三", "😀"]))
    return (text + filler * length)[:length], numbers   # a number cut off at the end is simply not found


@st.composite
def with_number(draw: st.DrawFn, invisible: bool = False) -> tuple[str, Written]:
    """A message holding one personal number, between boundaries, with any text around."""
    number = draw(written(invisible))
    before, after = draw(noise()), draw(noise())
    text = before + draw(st.sampled_from(BOUNDARIES)) + number.text + draw(st.sampled_from(BOUNDARIES)) + after
    return text, number
