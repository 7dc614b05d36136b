"""Turn numbers, ages, durations and floor areas typed in colloquial Chinese into values.

Pure Python and regex/table driven: it runs on every message, so nothing here imports
Rasa, and the slow cn2an import only happens the first time a Chinese numeral is seen.
No public function raises: bad input gives None.

Conventions for vague phrasings (residents rarely give exact figures):
* "多" / "余" / "几" / "来" ("五年多", "十几个月") mean "at least": the stated value is returned,
  i.e. rounded down.  Ages are the exception: "四十多岁" is any age from 40 to 49 and 虚岁 is not
  周岁, so parse_age gives None for them and parse_age_range the range (docs/rules.md §0).  Fractions of a month are also rounded down
  ("半个月" -> 0, "1.3年" -> 15).
* "快" / "将近" / "差不多" / "大概" / "不到" / "没满" ("快两年了") are ignored: the stated
  value is returned (24).  Callers checking a hard threshold (e.g. 社保满24个月) should
  confirm with the resident rather than trust such a reply.
* A number without a unit is never a duration, age or area; the caller decides the unit
  (use parse_number for a bare reply).
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["normalize", "Text", "parse_number", "parse_months", "parse_age", "parse_age_range", "parse_area_m2"]

# Bounds per-message latency (OpenCC is linear but not free); real chat messages are far shorter.
MAX_CHARS = 4000

_AGE_RANGE = (0, 120)
_AREA_RANGE = (0.0, 10000.0)  # exclusive lower bound: "0平" is not a floor area
_MAX_YEARS = 100  # a larger "年" number is a calendar year ("2020年"), not a duration

# --------------------------------------------------------------------------- normalize

# Full-width digits/letters and the ideographic space; full-width punctuation is kept
# because the clause splitter understands both forms.
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}
_FULLWIDTH.update({c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)})
_FULLWIDTH.update({c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)})
_FULLWIDTH[0x3000] = 0x20
_FULLWIDTH_DECIMAL = re.compile(r"(?<=\d)．(?=\d)")  # "３．５" is a decimal, not a full stop
# Whitespace runs shrink to one character so the patterns need to allow only one optional
# space (several chained unbounded \s* backtrack polynomially over a long run of spaces).
_WHITESPACE = re.compile(r"\s+")


def _squeeze(match: re.Match) -> str:
    return "\n" if "\n" in match.group() else " "


_t2s_converter = None


def _t2s(text: str) -> str:
    global _t2s_converter
    try:
        if _t2s_converter is None:
            from opencc import OpenCC

            _t2s_converter = OpenCC("t2s")
        return _t2s_converter.convert(text)
    except Exception:  # a broken converter must not take the whole message down
        return text


def normalize(text: str) -> str:
    """Traditional -> simplified, full-width digits/letters/spaces -> half-width, whitespace
    runs squeezed to one character, stripped.  Non-string input gives "".
    """
    if not isinstance(text, str):
        return ""
    text = text[:MAX_CHARS].translate(_FULLWIDTH)
    text = _WHITESPACE.sub(_squeeze, _FULLWIDTH_DECIMAL.sub(".", text))
    return _t2s(text).strip()



_PUNCT = re.compile(r"[\s，。！？、,.!?;；:：~～…\"'“”‘’（）()]+")
_PARTICLES = re.compile(r"(?:的|了|呢|呀|啊|哦|吧|哈|啦|嘛|哟|喔|额|呃)+$")


@dataclass(frozen=True)
class Text:
    """A message normalised once: `raw` as typed and `normal` (`normalize(raw)`); `lower`, `bare` (no spaces
    or punctuation, lower case) and `core` (bare without the trailing particles 的了呢…) are derived from
    `normal` when first read. The turn passes this value on; nothing normalises the message again."""

    raw: str
    normal: str

    @classmethod
    def of(cls, raw: str | None) -> Text:
        return cls(raw or "", normalize(raw or ""))

    @classmethod
    def normalised(cls, normal: str) -> Text:
        """A part of a normal text (a clause, the text after an opener): normal already."""
        return cls(normal, normal.strip())

    @functools.cached_property
    def lower(self) -> str:
        return self.normal.lower()

    @functools.cached_property
    def bare(self) -> str:
        return _PUNCT.sub("", self.normal).lower()

    @functools.cached_property
    def core(self) -> str:
        return _PARTICLES.sub("", self.bare)


def _normal(text: str | Text) -> str:
    """The normal form of a text, normalised only if it is not a `Text` already."""
    return text.normal if isinstance(text, Text) else normalize(text)


# --------------------------------------------------------------------------- numbers

_CN_DIGITS = "零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖"
_CN_UNITS = "十拾百佰千仟万亿"
# A Chinese numeral must start with a digit or 十 ("百" alone is not a number) and may carry
# a decimal part only when digits follow 点 ("好一点" is not 1.x).
# Lengths are bounded so a long run of numerals cannot make the regexes backtrack quadratically.
_CN_NUM = rf"[{_CN_DIGITS}十拾][{_CN_DIGITS}{_CN_UNITS}]{{0,15}}(?:点[{_CN_DIGITS}]{{1,6}})?"
_AR_NUM = r"(?<![\d.])\d{1,12}(?:\.\d{1,6})?"
NUMBER = rf"(?:{_AR_NUM}|{_CN_NUM})"
# "至少" style qualifiers between a number and its unit: the value is rounded down.
_MORE = r"(?:多|余|几|来)"

# parse_number also accepts "1.5万" / "2万5"; cn2an resolves the mixed forms.
_ANY_NUMBER = re.compile(rf"{_AR_NUM}(?:[万千亿][\d{_CN_DIGITS}]?)?|{_CN_NUM}")
_PLAIN_ARABIC = re.compile(r"\d+(?:\.\d+)?")

# Everyday words that contain numerals but are not numbers ("社保一直在交").
_NOT_NUMBERS = ("一直", "一起", "一定", "一样", "一些", "一般", "一下", "一切", "一旦", "一共",
                "一点", "万一", "统一", "唯一", "一模一样")
_NOT_NUMBER_RE = re.compile(
    rf"(?<![{_CN_DIGITS}{_CN_UNITS}\d])(?:{'|'.join(sorted(_NOT_NUMBERS, key=len, reverse=True))})"
    rf"(?![{_CN_DIGITS}])"
)


def _tidy(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


@lru_cache(maxsize=4096)
def _to_number(token: str) -> int | float | None:
    if _PLAIN_ARABIC.fullmatch(token):
        return _tidy(float(token))
    try:
        import cn2an  # lazy: ~150 ms import, only paid once a Chinese numeral shows up

        value = cn2an.cn2an(token, "smart")
    except Exception:  # cn2an raises on many colloquial forms; treat as "no number"
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return _tidy(value)


def parse_number(text: str | Text) -> int | float | None:
    """Return the first number (Arabic or Chinese, e.g. "两千二" -> 2200) in the text, else None."""
    text = _normal(text)
    if not text:
        return None
    text = _NOT_NUMBER_RE.sub(" ", text)
    for match in _ANY_NUMBER.finditer(text):
        value = _to_number(match.group())
        if value is not None:
            return value
    return None


# --------------------------------------------------------------------------- durations


def _month_part(tag: str) -> str:
    return (
        rf"(?P<m{tag}>{NUMBER})\s?(?P<g{tag}>个)?\s?(?P<h{tag}>半)?\s?{_MORE}?\s?(?P<G{tag}>个)?\s?"
        r"月(?!份|底|初|号|日)"
    )


_NOT_AFTER_YEAR = r"(?!级|代|龄|纪|底|初|薪|度|份)"  # 三年级, 90年代, 年龄, 年底 ...
_EN_YEARS = r"(?:years?|yrs?)(?![a-z])"
_EN_MONTHS = r"(?:months?|mos?)(?![a-z])"

DURATION = re.compile(
    "|".join(
        (
            # 两年 / 三年半 / 五年多 / 三整年 / 两年零三个月 / 2年3个月
            rf"(?<!第)(?P<y>{NUMBER})\s?{_MORE}?\s?整?\s?年{_NOT_AFTER_YEAR}(?P<yh>半)?{_MORE}?"
            rf"(?:\s?(?:零|又|加|和)?\s?{_month_part('1')})?",
            # 3 years / 1 year and 6 months
            rf"(?<![\d.])(?P<ey>\d+(?:\.\d+)?)\s?{_EN_YEARS}"
            rf"(?:\s?(?:and\s?|,\s?)?(?P<em1>\d+(?:\.\d+)?)\s?{_EN_MONTHS})?",
            rf"(?<![{_CN_DIGITS}十\d])(?P<hy>半)年",
            rf"(?<!第){_month_part('2')}",
            rf"(?<![\d.])(?P<em2>\d+(?:\.\d+)?)\s?{_EN_MONTHS}",
            rf"(?<![{_CN_DIGITS}十\d])(?P<hm>半)个?月",
        )
    ),
    re.IGNORECASE,
)

# Words meaning "never paid / none" -> 0 months, but only when no duration was stated.
_NEGATIONS = ("没有", "没交", "没缴", "没办", "没买", "没上", "没参保", "未交", "未缴", "未办",
              "未参保", "从没", "从来没", "从未", "还没", "不交", "none", "never")
_NEGATION_RE = re.compile(
    rf"(?<!有)(?<![a-z])(?:{'|'.join(sorted(_NEGATIONS, key=len, reverse=True))})(?![a-z])",
    re.IGNORECASE,
)
# "社保有没有要求？" asks a question; it does not state that nothing was paid.
_QUESTION_RE = re.compile(r"[吗呢?？]|是否|多少|多久|多长|几年|几个月")


def _months_from_match(m: re.Match) -> float | None:
    g = m.groupdict()
    if g["y"] is not None:
        years = _to_number(g["y"])
        if years is None or years > _MAX_YEARS:
            return None
        total = years * 12 + (6 if g["yh"] else 0)
        if g["m1"] is not None:
            months = _to_number(g["m1"])
            if months is None:
                return None
            total += months + (0.5 if g["h1"] else 0)
        return total
    if g["ey"] is not None:
        years = _to_number(g["ey"])
        if years is None or years > _MAX_YEARS:
            return None
        months = _to_number(g["em1"]) if g["em1"] is not None else 0
        return None if months is None else years * 12 + months
    if g["hy"]:
        return 6
    if g["m2"] is not None:
        months = _to_number(g["m2"])
        if months is None or months > _MAX_YEARS * 12:
            return None
        if not (g["g2"] or g["G2"]) and months <= 12:
            return None  # "3月" without 个 is March, not three months
        return months + (0.5 if g["h2"] else 0)
    if g["em2"] is not None:
        return _to_number(g["em2"])
    if g["hm"]:
        return 0.5
    return None


def _durations(text: str) -> list[tuple[int, int, int]]:
    """(start, end, whole months) for every duration in already-normalized text."""
    found = []
    for m in DURATION.finditer(text):
        value = _months_from_match(m)
        if value is not None and value >= 0:
            # round() first so 1.1年 * 12 = 13.200000000000001 cannot drift across an integer
            found.append((m.start(), m.end(), int(math.floor(round(value, 6)))))
    return found


def _states_none(text: str) -> bool:
    return bool(_NEGATION_RE.search(text)) and not _QUESTION_RE.search(text)


def parse_months(text: str | Text) -> int | None:
    """Return the first duration in the text as whole months ("三年半" -> 42, "没交过" -> 0);
    a bare number without 年/月 gives None.  Vague words follow the module docstring."""
    text = _normal(text)
    if not text:
        return None
    found = _durations(text)
    if found:
        return found[0][2]
    return 0 if _states_none(text) else None


# --------------------------------------------------------------------------- age

# A number counts as an age only with 岁, or right after 今年/年龄/我, and not followed by
# another unit ("今年交了28个月" and "我2套房" stay out).
_NOT_A_UNIT_AFTER = rf"(?!\s?(?:[年月个号日天元块万千百平米%套间次]|周岁|\d|\.\d|[{_CN_DIGITS}十]|点))"
AGE = re.compile(
    "|".join(
        (
            rf"(?P<a1>{NUMBER})\s?(?P<q1>{_MORE})?\s?(?P<u1>周岁|虚岁|岁)",
            rf"(?P<p2>今年|年龄|年纪|岁数|虚岁|周岁|(?<![a-z])age(?![a-z]))\s?(?:是|有|才|刚|已经|都|:|：)?\s?"
            rf"(?P<a2>{NUMBER})(?P<q2>{_MORE})?{_NOT_A_UNIT_AFTER}",
            rf"我\s?(?:都|已经|才|刚)?\s?(?P<a3>{NUMBER})(?P<q3>{_MORE})?\s?(?:了|啦)?(?=$|[，,。；;！!？?\s])",
            r"(?<![\d.])(?P<a4>\d+)\s?(?:years?\s?old|y/?o)(?![a-z])",
        )
    ),
    re.IGNORECASE,
)


def _age_span(m: re.Match) -> tuple[int, int] | None:
    """The 周岁 an age phrase allows, as (lowest, highest) (docs/rules.md §0): "28岁" (28, 28); 虚岁 36 is
    34–35 周岁; a round number with 多/几/来 ("四十多岁", "三十几岁") any age of that decade."""
    token = m.group("a1") or m.group("a2") or m.group("a3") or m.group("a4")
    value = _to_number(token)
    if value is None or not _AGE_RANGE[0] <= value <= _AGE_RANGE[1] or not float(value).is_integer():
        return None
    age = int(value)
    vague = m.group("q1") or m.group("q2") or m.group("q3")
    if "虚岁" in ((m.group("u1") or "") + (m.group("p2") or "")):
        return (max(age - 2, 0), max(age - 1, 0))
    if vague and age % 10 == 0:
        return (age, min(age + 9, _AGE_RANGE[1]))
    return (age, age)  # "45岁多": 45 and some months is 45 周岁


def _age_in(text: str) -> int | None:
    for m in AGE.finditer(text):
        span = _age_span(m)
        if span is not None:
            return span[0] if span[0] == span[1] else None
    return None


def parse_age(text: str | Text) -> int | None:
    """Return an exact age (周岁) stated in the text ("二十八岁", "今年28"), 0..120, else None; a vague
    or nominal age ("四十多岁", "虚岁36") is not exact: see parse_age_range."""
    return _age_in(_normal(text))


def parse_age_range(text: str | Text) -> tuple[int, int] | None:
    """The range of 周岁 a vague or nominal age allows ("四十多岁" -> (40, 49), "虚岁36" -> (34, 35)),
    else None (no age, or an exact one)."""
    for m in AGE.finditer(_normal(text)):
        span = _age_span(m)
        if span is not None:
            return span if span[0] != span[1] else None
    return None


# --------------------------------------------------------------------------- area

# "平" alone is colloquial for 平方米, but 平时/平安/平方公里 are not areas.
_AREA_UNIT = (
    r"(?:平方米|平方公尺|平米|平方(?!公里|千米)|平(?!方|时|常|安|均|台|板|衡|价|稳|静|和|等|层|顶|江)"
    r"|㎡|m²|m2(?![a-z\d])|sqm(?![a-z])|square\s?met(?:er|re)s?)"
)
AREA = re.compile(
    "|".join(
        (
            rf"(?P<r1>{NUMBER})\s?{_MORE}?\s?{_AREA_UNIT}",
            rf"(?:面积|建面|套内)\s?(?:是|有|约|大约|大概|:|：)?\s?(?P<r2>{NUMBER}){_MORE}?{_NOT_A_UNIT_AFTER}",
        )
    ),
    re.IGNORECASE,
)


def _area_in(text: str) -> float | None:
    for m in AREA.finditer(text):
        value = _to_number(m.group("r1") or m.group("r2"))
        if value is not None and _AREA_RANGE[0] < value <= _AREA_RANGE[1]:
            return float(value)
    return None


def parse_area_m2(text: str | Text) -> float | None:
    """Return a floor area in square metres ("90平", "一百二十平", "89.5平方"), else None."""
    return _area_in(_normal(text))
