"""Simulated residents: people who answer the assistant's questions in everyday Chinese (the phrase table of
tests/fixtures/phrases.yml), sometimes with a remark or a question instead of an answer, and say "不知道"
to what they do not know. Used by the end-to-end tests and by `make bench`."""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PHRASES = yaml.safe_load((Path(__file__).resolve().parents[1] / "fixtures" / "phrases.yml")
                         .read_text(encoding="utf-8"))
_CN = "零一二三四五六七八九"
_MONTH_FIELDS = {"social_insurance_months", "social_insurance_consecutive_months", "social_insurance_months_yrd_12m",
                 "nanjing_social_insurance_months", "residence_months", "sentence_months"}
_UNKNOWN = ["不知道", "不清楚", "跳过"]


def cn_number(n: int) -> str:
    """28 -> 二十八 (0..99)."""
    if n < 10:
        return _CN[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[ones] if ones else "")


def cn_duration(months: int) -> str:
    """24 -> 两年, 8 -> 八个月, 70 -> 五年十个月, 42 -> 三年半."""
    years, rest = divmod(months, 12)
    year = ("两" if years == 2 else cn_number(years)) + "年" if years else ""
    if not rest:
        return year
    if years and rest == 6:
        return year + "半"
    return year + ("两" if rest == 2 else cn_number(rest)) + "个月"


@dataclass
class Resident:
    """One person with a profile (docs/interfaces.md §1) and a way of talking (`seed`)."""

    profile: dict
    seed: int = 0
    interject: float = 0.25          # chance of a remark or a question before answering a new question
    pool: dict | None = None         # {"remarks": [...], "questions": [...]}; default tests/fixtures/phrases.yml
    rng: random.Random = field(init=False)
    interjected: set = field(default_factory=set)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.seed}:{sorted(self.profile.items())}")

    def _pick(self, options: list) -> str:
        return str(self.rng.choice(options))

    def answer(self, ask: dict) -> str:
        """The reply to an `ask` payload: an interjection once in a while, else the answer in words."""
        name = ask["field"]
        if name not in self.interjected and self.rng.random() < self.interject:
            self.interjected.add(name)
            kind = self.rng.choice(["remarks", "questions"])
            return self._pick((self.pool or PHRASES["interjections"])[kind])
        fields = ask.get("fields") or [name]
        if len(fields) > 1:  # a paired question ("您今年多大，最高学历是？"): both answers in one breath
            known = [self.say(f, self.profile.get(f), {"field": f}) for f in fields if self.profile.get(f) is not None]
            return "，".join(known) if known else self._pick(_UNKNOWN)
        return self.say(name, self.profile.get(name), ask)

    def say(self, name: str, value: Any, ask: dict) -> str:
        if value is None:
            return self._pick(_UNKNOWN)
        if isinstance(value, bool):
            return self._pick(PHRASES["bool"][name][value])
        if name == "target_area":
            return self._pick(PHRASES["area"].get(value, [value]))
        if name in PHRASES["enum"]:
            return self._pick(PHRASES["enum"][name][value])
        n = int(value) if float(value).is_integer() else value
        if name in _MONTH_FIELDS:
            if n == 0:
                return self._pick(PHRASES["number"]["zero_months"])
            template = self._pick(PHRASES["number"]["months"])
            return template.format(n=n, dur=cn_duration(n))
        template = self._pick(PHRASES["number"].get(name, ["{n}"]))
        return template.format(n=n, cn=cn_number(n) if isinstance(n, int) and n < 100 else n)


@dataclass
class Outcome:
    assessment: dict | None
    asks: dict[str, int]
    turns: int
    transcript: list[tuple[str, list[dict]]]


def payloads(replies: list[dict], kind: str) -> list[dict]:
    return [r["custom"] for r in replies if isinstance(r.get("custom"), dict) and r["custom"].get("type") == kind]


def talk(send: Callable[[str], list[dict]], resident: Resident, opening: str = "你好",
         max_turns: int = 80) -> Outcome:
    """Drives one conversation to its assessment: the rules' date, the opening, then every answer."""
    transcript: list[tuple[str, list[dict]]] = []
    asks: dict[str, int] = {}
    # Staff and tests fix the rules' date first ("按…的规则评估"): that turn starts the interview too.
    pending = [f"按{resident.profile['as_of']}的规则评估" if resident.profile.get("as_of") else opening]
    easier = True
    for turn_no in range(max_turns):
        message = pending.pop(0) if pending else None
        if message is None:
            break
        replies = send(message)
        transcript.append((message, replies))
        for ask in payloads(replies, "ask"):
            asks[ask["field"]] = asks.get(ask["field"], 0) + 1
        found = payloads(replies, "assessment")
        if found and not any(a.get("hypothetical") for a in found) and not pending:
            # "可能有更简便的渠道——回复“继续”帮您核对": a resident told so goes on, once
            if easier and any(r.get("response") == "utter_offer_easier" for r in replies):
                easier = False
                pending.append("继续")
                continue
            return Outcome(found[-1], asks, turn_no + 1, transcript)
        question = payloads(replies, "ask")
        if question and not pending:
            pending.append(resident.answer(question[-1]))
    return Outcome(None, asks, len(transcript), transcript)


def decided_right(assessment: dict, expected: dict) -> bool:
    """The statuses the interview decided are those expected, and so is the channel recommended first (or
    none). The first answer comes as soon as one channel is open (docs/planner.md): a lower-ranked channel
    it did not need may still be undetermined, so the rest of the list is not compared."""
    got = {c["id"]: c["status"] for c in assessment["channels"]}
    wrong = {k: v for k, v in got.items() if v != "undetermined" and expected["statuses"].get(k) != v}
    return not wrong and assessment["recommended"][:1] == expected["recommended"][:1]
