"""FAQ retrieval beside the response selector: character n-gram TF-IDF (scikit-learn) over every FAQ phrasing.

The selector (DIET's ResponseSelector) is one opinion, the retriever another; `fuse` combines them so that a
question the classifier missed but that reads like a known phrasing still finds its topic, and "out of
scope" is said only when neither finds one. The weights and thresholds are calibrated on the held-out dev
questions (scripts/calibrate_faq.py writes assistant/understanding/calibration.yml; docs/understanding.md).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.understanding import cues
from assistant.understanding.cues import Text

ROOT = Path(__file__).resolve().parents[2]
FAQ_DATA = sorted((ROOT / "data" / "nlu").glob("faq*.yml"))
CALIBRATION = Path(__file__).with_name("calibration.yml")
_EXAMPLE = re.compile(r"^\s*-\s*(.+?)\s*$")
# Words every question has: they say nothing of its topic.
# A question bound to another city's rules ("长沙居住证…", "青岛市父母投靠子女落户…") is out of scope (the held-out
# sets' labelling rule, docs/understanding.md): naming one of these cities and no place of Suzhou's, its phrasings
# count OTHER_CITY as much. Shanghai, Nanjing, Wuxi and Changzhou are not in the list: FAQ topics are about them.
_OTHER_CITY = re.compile(
    "北京|天津|重庆|广州|深圳|杭州|成都|武汉|西安|长沙|郑州|青岛|济南|合肥|福州|厦门|宁波|沈阳|大连|哈尔滨|长春|昆明|"
    "贵阳|南宁|海口|三亚|石家庄|太原|兰州|南昌|东莞|佛山|珠海|惠州|温州|绍兴|嘉兴|湖州|金华|徐州|南通|扬州|镇江|"
    "泰州|盐城|淮安|连云港|宿迁|许昌|衡阳|宜昌|九江|梅州|洛阳|株洲|赣州|烟台|潍坊|唐山|保定|邯郸|芜湖|Beijing|"
    "Shenzhen|Guangzhou|Hangzhou|Chengdu|Wuhan|Tianjin|Chongqing", re.IGNORECASE)
_SUZHOU = re.compile("苏州|姑苏|虎丘|吴中|相城|吴江|园区|高新区|新区|常熟|张家港|昆山|太仓|Suzhou|Kunshan|Taicang|"
                     "Changshu|Zhangjiagang|Wujiang|SIP|SND", re.IGNORECASE)
# … but settling *there* is their rules ("中级职称能在上海落户么", "外地嫁上海几年可以上户口", "南京落户条件").
_SETTLE_THERE = re.compile("(?:在|到|去)(?:上海|南京|无锡|常州)市?(?:落户|上户口|入户|积分落户)|"
                           "(?:落户|落户到|嫁到?|迁到|迁入|入户)(?:上海|南京|无锡|常州)|(?:上海|南京|无锡|常州)市?(?:落户|积分落户|入户)")
OTHER_CITY = 0.3
_FILLER = re.compile(r"请问|你好|您好|我想问一下|我想问|想问一下|想问|咨询一下|咨询|一下|苏州市?|吗|呢|吧|啊|呀|的|了|是|我|想|要|怎么办")


@dataclass(frozen=True)
class Calibration:
    selector_weight: float = 0.75     # how much the selector's confidence counts in the fused score
    retriever_weight: float = 0.6     # … and the retriever's (scaled similarity)
    retriever_scale: float = 0.8      # a similarity at this value counts as full confidence
    sure: float = 0.5                 # answer the top topic at this fused score …
    margin: float = 0.1               # … this far ahead of the second
    candidate: float = 0.25           # a topic offered in "您是想问" needs this much
    oos_override: float = 0.0         # the classifier sure of "out of scope" is overruled only by a phrasing this close


@functools.cache
def calibration() -> Calibration:
    if CALIBRATION.exists():
        data = yaml.safe_load(CALIBRATION.read_text(encoding="utf-8")) or {}
        return Calibration(**{k: float(v) for k, v in (data.get("parameters") or {}).items()})
    return Calibration()


def _text(text: str | Text) -> Text:
    return text if isinstance(text, Text) else Text.of(text)


def _key(text: Text) -> str:
    return _FILLER.sub("", text.bare) or text.bare


# Latin words are words, not letters: with the letters' 1–2-grams every English question looked like every English
# phrasing ("How to move the account?" scored residence_permit, which has English phrasings, above hukou_transfer).
# The English words and phrases of cues.yml's `english_terms` become the Chinese word the phrasings use (the ways
# machine translation and people render 户口 are one: "account", "household registration"), so that an English
# question is compared with every Chinese phrasing; other English words are stemmed crudely, and the words every
# question has are dropped. Each top-level alternative of a term's pattern is a term of its own (`alternatives`),
# and at each place the longest match is read (`_translated`), so an entry's order or length decides nothing.
_LATIN = re.compile(r"[a-z]+")
_ENGLISH_FILLER = frozenset(re.findall(r"\w+", """
    a an the to of in on at for from by with and or is are am be been was were do does did can could will would
    should shall may might must i me my we our you your he she it its they their there this that these those what
    how which who whom when where why if not no yes please hello hi about into as so than then also any some"""))


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a regular expression ("a|b(?:c|d)" -> ["a", "b(?:c|d)"])."""
    out, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    return [*out, pattern[start:]]


@functools.cache
def _english() -> tuple[re.Pattern[str], list[tuple[re.Pattern[str], str]]]:
    """One pattern that finds where any English term starts, and every alternative of every term (a top-level "|"
    of its pattern, longest pattern first) with the Chinese word of its term."""
    terms = sorted(((alternative, str(word)) for pattern, word in cues.words("english_terms").items()
                    for alternative in alternatives(pattern)), key=lambda kv: -len(kv[0]))
    return (re.compile("|".join(rf"\b(?:{pattern})\b" for pattern, _ in terms)),
            [(re.compile(rf"\b(?:{pattern})\b"), word) for pattern, word in terms])


def _terms_in(lower: str) -> list[tuple[int, int, str]]:
    """(start, end, Chinese word) of the English terms in a lower-cased text, left to right. At each place the
    longest match is read, whichever entry it is in ("vocational skills training" is 技能培训, not 技能等级证书 and
    "training"); of two as long, the longer pattern's."""
    anywhere, terms = _english()
    out: list[tuple[int, int, str]] = []
    pos = 0
    while (m := anywhere.search(lower, pos)) is not None:
        start = m.start()
        end, word = max(((hit.end(), word) for pattern, word in terms if (hit := pattern.match(lower, start))),
                        key=lambda hit: hit[0])
        end = max(end, start + 1)   # no term is empty (tests/test_reading.py); this keeps the loop finite if one were
        out.append((start, end, word))
        pos = end
    return out


def _replaced(lower: str, by: str | None) -> tuple[list[str], str]:
    """The Chinese words of the English terms of a lower-cased text, and the text with each term replaced by `by`
    (its Chinese word when `by` is None)."""
    found, parts, pos = [], [], 0
    for start, end, word in _terms_in(lower):
        found.append(word)
        parts += [lower[pos:start], word if by is None else by]
        pos = end
    return found, "".join([*parts, lower[pos:]])


def _translated(lower: str) -> tuple[list[str], str]:
    """The Chinese words of the English terms in a lower-cased text, and the text with those terms blanked."""
    return _replaced(lower, " ")


def in_chinese(text: str) -> str:
    """A message with Latin words, lower-cased, its English terms replaced by their Chinese words ("How to
    settle after buying a house" -> "how to 落户 after 购房"): what the intent classifier and the response selector
    read (assistant/understanding/components.py), so that they see the words of the Chinese phrasings. A text
    without Latin letters is returned as it is."""
    lower = text.lower()
    return _replaced(lower, None)[1] if _LATIN.search(lower) else text


def _stem(word: str) -> str:
    for suffix in ("ments", "ment", "ings", "ing", "ies", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def _grams(text: str | Text) -> list[str]:
    """What the retriever compares: character 1–2-grams of the question without its filler words (`_key`), Latin
    letters left out; for a question with Latin letters, the 1–2-grams of the Chinese words of its English terms
    (`_translated`) and its other English words, stemmed, as words. A phrasing is a str, a message its `Text`."""
    text = _text(text)
    key = _key(text)
    grams = [key[i: i + n] for n in Retriever.NGRAMS for i in range(len(key) - n + 1)] \
        if not _LATIN.search(key) else []
    if grams:
        return grams
    terms, rest = _translated(text.lower)
    parts = [_LATIN.sub("", key), *terms]
    return [part[i: i + n] for part in parts for n in Retriever.NGRAMS for i in range(len(part) - n + 1)] + \
        [_stem(w) for w in _LATIN.findall(rest) if w not in _ENGLISH_FILLER]


def _analysed(item: str | list[str]) -> list[str]:
    """The vectorizer's analyser: a phrasing's grams; a question's grams, already made by `Retriever.rank`."""
    return item if isinstance(item, list) else _grams(item)


def faq_examples(paths: list[Path] | None = None) -> list[tuple[str, str]]:
    """(topic, phrasing) for every example of a faq/<topic> intent in the training data."""
    out: list[tuple[str, str]] = []
    for path in paths or FAQ_DATA:
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            intent = str(block.get("intent", ""))
            if not intent.startswith("faq/"):
                continue
            for line in str(block.get("examples", "")).splitlines():
                m = _EXAMPLE.match(line)
                if m:
                    out.append((intent[4:], m.group(1)))
    return out


class Retriever:
    """Cosine similarity of a question to each phrasing (character 1–2-grams); a topic scores the mean of its
    best `BEST` phrasings, so that one stray phrasing that shares a place name does not outweigh a topic
    whose several phrasings all say what the question asks (chosen on the held-out dev questions: top-1
    77.6 % with 1–3-grams and the best phrasing, 97.0 % with these; docs/understanding.md)."""

    NGRAMS = (1, 2)
    BEST = 3

    def __init__(self, examples: list[tuple[str, str]]) -> None:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.topics = [t for t, _ in examples]
        self.vectorizer = TfidfVectorizer(analyzer=_analysed, sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform([text for _, text in examples])
        self._rows = {t: np.array([i for i, u in enumerate(self.topics) if u == t]) for t in dict.fromkeys(self.topics)}

    def rank(self, text: str | Text, top: int = 5) -> list[tuple[str, float]]:
        import numpy as np

        text = _text(text)
        grams = _grams(text)
        if not grams:
            return []
        scores = (self.matrix @ self.vectorizer.transform([grams]).T).toarray().ravel()
        if elsewhere(text):
            scores = scores * OTHER_CITY
        best = {topic: float(np.sort(scores[rows])[::-1][: self.BEST].mean()) for topic, rows in self._rows.items()}
        return sorted(((t, s) for t, s in best.items() if s > 0.0), key=lambda ts: -ts[1])[:top]


def elsewhere(text: str | Text) -> bool:
    """The question is bound to another city's rules: it names one and no place of Suzhou's ("长沙居住证…")."""
    text = text.normal if isinstance(text, Text) else text
    return bool(_OTHER_CITY.search(text) or _SETTLE_THERE.search(text)) and not _SUZHOU.search(text)


@functools.cache
def retriever() -> Retriever:
    return Retriever(faq_examples())


def fuse(selector: list[tuple[str, float]], retrieved: list[tuple[str, float]],
         cal: Calibration | None = None) -> list[tuple[str, float]]:
    """Noisy-or of the two opinions: a topic either finds counts, both finding it counts more."""
    cal = cal or calibration()
    sel = dict(selector)
    ret = {t: min(1.0, s / cal.retriever_scale) for t, s in retrieved}
    fused = {t: 1 - (1 - cal.selector_weight * sel.get(t, 0.0)) * (1 - cal.retriever_weight * ret.get(t, 0.0))
             for t in set(sel) | set(ret)}
    return sorted(fused.items(), key=lambda ts: (-ts[1], ts[0]))


def topics(text: str, selector: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The FAQ topics a question may be about, best first, with fused scores (none for another city's rules:
    our answers state Suzhou's)."""
    return [] if elsewhere(text) else fuse(selector, retriever().rank(text))
