"""The interview, independent of Rasa: what a message says, which question comes next, when to answer.

The engine decides what is still unknown (the assessment's `missing` list); the planner (assistant/conversation/planner.py)
picks among those fields the question whose answer most likely opens a channel soonest. The interview stops
as soon as a settlement channel is open, or when no answer left could open one (or, after "继续", when
nothing unknown could change any status).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# what the interview shows, read here by the turn, the action, the channels and the tests:
from assistant.conversation.progress import MODE_DECIDE as MODE_DECIDE
from assistant.conversation.progress import MODE_FULL as MODE_FULL
from assistant.conversation.progress import MONTH_FIELDS, ask_options
from assistant.conversation.progress import Plan as Plan
from assistant.conversation.progress import ask_payload as ask_payload
from assistant.conversation.progress import check as check
from assistant.conversation.progress import describe as describe
from assistant.conversation.progress import display as display
from assistant.conversation.progress import plan as plan
from assistant.conversation.progress import profile_values as profile_values
from assistant.conversation.progress import progress_text as progress_text
from assistant.policy.profile import (
    FIELD_SPECS,
    area_aliases,
    area_type,
    convert_field,
    enum_aliases,
    enum_values,
    normalize_area,
    normalize_enum,
)
from assistant.understanding import cues
from assistant.understanding.parsing import (
    Text,
    parse_age,
    parse_age_range,
    parse_area_m2,
    parse_months,
    parse_number,
)

# Entities from explicit button payloads (no extractor) are trusted first, then the rule-based extractors,
# then what DIET learned.
_EXTRACTOR_RANK = {None: 0, "FactEntityExtractor": 1, "GazetteerEntityExtractor": 2}
_PUNCT = re.compile(r"[\s，。！？、,.!?;；:：~～…\"'“”‘’（）()]+")
_DATE = re.compile(r"(20\d\d)[-年/.](\d{1,2})[-月/.](\d{1,2})日?")
_AS_OF_WORDS = ("规则", "政策", "评估", "按", "as_of", "日期")


@dataclass
class FactReading:
    """What one message says about the profile."""

    facts: dict[str, Any] = field(default_factory=dict)     # field -> validated contract value
    errors: list[str] = field(default_factory=list)         # Chinese messages for values out of range
    as_of: str | None = None                                # "按2022-03-01的规则" sets the evaluation date
    contextual: set[str] = field(default_factory=set)       # fields read as the reply to the question asked
    age_range: list[int] | None = None                      # "四十多岁", "虚岁36": 周岁 known only as a range
    split: bool = False                                     # a yes to a paired yes/no question: ask each alone


def _entity_facts(entities: Iterable[dict]) -> tuple[dict[str, Any], list[str]]:
    facts: dict[str, Any] = {}
    errors: list[str] = []
    ranked = sorted(entities or [], key=lambda e: _EXTRACTOR_RANK.get(e.get("extractor"), 3))
    for ent in ranked:
        name = ent.get("entity")
        if name not in FIELD_SPECS or name == "as_of" or name in facts:
            continue
        try:
            facts[name] = convert_field(name, ent.get("value"))
        except ValueError as exc:
            if str(exc) not in errors:
                errors.append(str(exc))
    return facts, errors


def _words(key: str) -> set[str]:
    return {str(w).lower() for w in cues.words(key)}


_PARTICLES = re.compile(r"(?:的|了|呢|呀|啊|哦|吧|哈|啦|嘛|哟|喔|额|呃)+$")
_LEADING = re.compile(r"^(?:嗯|额|呃|哦|噢|那个|就是|我的是|我是|是|我)+")
# "快两年了", "不到一年": not yet that long. A threshold at that value is not met, so read one month less.
_NOT_YET = re.compile(r"快|将近|接近|不到|没满|未满|不满|还差|没到|不够")
_NONE_WORDS = re.compile(r"^(?:没有|没|无|都没有|啥也没有|什么都没有|没有的|还没有|还没|没办|没考|没评|没拿)")


# Aliases that are everyday words ("没有", "自有"): found inside a reply they say nothing (see _enum_reply).
_GENERIC = re.compile(r"(?:没|无|不)[有办]?的?|自有")


def _alias_in(text: str, table: dict[str, str]) -> str | None:
    """The value of the longest alias (two characters or more) the text contains, if only one value."""
    found = sorted(((a, v) for a, v in table.items() if len(a) >= 2 and a in text and not _GENERIC.fullmatch(a)),
                   key=lambda av: -len(av[0]))
    if not found:
        return None
    values = {v for a, v in found if not any(a in b and a != b for b, _ in found)}  # drop aliases inside longer ones
    return values.pop() if len(values) == 1 else None


alias_in = _alias_in


@functools.cache
def _replies(enum_name: str) -> dict[str, str]:
    """cues.yml's `enum_replies`: words that say which value only as the reply to its question ("备案了")."""
    return {word: value for value, words in cues.words("enum_replies").get(enum_name, {}).items() for word in words}


def _enum_reply(enum_name: str, bare: str) -> str | None:
    """An enumeration value from a reply: the exact alias, an alias inside it, or "none" for a bare "没有"
    or "没有" with a word of the question ("没有职称"; "没有固定住的地方" says nothing of a degree)."""
    exact = normalize_enum(enum_name, bare) or normalize_enum(enum_name, _LEADING.sub("", bare))
    if exact:
        return exact
    found = _alias_in(bare, enum_aliases(enum_name)) or _alias_in(bare, _replies(enum_name))
    if found:
        return found
    none = _NONE_WORDS.match(bare)
    if none and "none" in enum_values(enum_name):
        rest = bare[none.end():]
        topic = cues.words("none_topics").get(enum_name, [])
        if len(rest) <= 2 or any(word in rest for word in topic):
            return "none"
    return None


# A reply that does not know or will not say ("不知道" does not mean "no"): the cue `skip` of cues.yml.
SKIP = cues.cue("skip").pattern
_NO_PREFIX = re.compile(r"^(?:都|也|全|均)?(?:不|没|未|无|非)")   # "都没房子", "也没有"
_YES_PREFIX = re.compile(r"^(?:是|有|对(?!方)|已经?|在|一直|正在|还在|早就)")
_NEGATION = re.compile(r"不|没|未|无|非")
_YES_CLAUSE = 6   # the longest clause read as a yes by how it begins ("是全日制的", "一直在交")


def is_skip(text: Text) -> bool:
    return bool(SKIP.match(text.core))


def _yes_no(text: Text, bare: str, intent: str | None) -> bool | None:
    """Yes or no from a reply to a yes/no question: the whole reply, else its first clause ("有的，他家有房"),
    else how that clause begins ("不是苏州户口", "是全日制的"), else the classifier's affirm/deny."""
    if SKIP.match(bare):
        return None
    first = re.split(r"[，,。；;！!\s]", text.normal, maxsplit=1)[0].lower()
    for candidate in (text.bare, bare, _LEADING.sub("", bare), first, Text.normalised(first).core):
        if candidate in _words("affirmative"):
            return True
        if candidate in _words("negative"):
            return False
    # "孩子不是苏州户口", "对方也是外地的": the person the question is about, then how the clause goes on
    clause = cues.cue("subject").pattern.sub("", first) or first
    if _NO_PREFIX.match(clause):
        return False
    # "父母在老家", "外地的": not in Suzhou (every yes/no question is about Suzhou)
    if cues.has("elsewhere", clause) and "苏州" not in clause:
        return False
    # "还在上班没退休" is for the facts to read; a longer clause that begins so ("在厂里干了三年多") tells
    # something else, not a yes
    if _YES_PREFIX.match(clause) and not _NEGATION.search(clause) and len(clause) <= _YES_CLAUSE:
        return True
    if intent in ("affirm", "deny"):
        return intent == "affirm"
    return None


def _contextual(asked: str, text: Text, intent: str | None, entities: Iterable[dict],
                options: list[dict] | None = None) -> Any:
    """The value a short reply gives to the question that was asked ("28", "是", "两年", "2", "租的备案了"),
    or None."""
    kind = FIELD_SPECS[asked][0]
    bare = text.core or text.bare
    if SKIP.match(bare):
        return None
    number = next((e.get("value") for e in entities or [] if e.get("entity") in ("number", "duration_months")), None)
    if kind == "bool":
        return _yes_no(text, bare, intent)
    # "回复1：本科" on WeChat; ASCII digits only ("²".isdigit() is True, and int("²") raises)
    if options and bare.isascii() and bare.isdigit() and 1 <= int(bare) <= len(options):
        return options[int(bare) - 1]["value"]
    if asked == "residence_permit":
        area = normalize_area(bare) or _alias_in(bare, area_aliases())
        if area is not None and not _NONE_WORDS.match(bare):  # "居住证是在昆山办的": where it is registered
            return area_type(area)
    if kind == "enum":
        return _enum_reply(FIELD_SPECS[asked][1], bare)
    if kind == "area":
        return normalize_area(bare) or _alias_in(bare, area_aliases())
    if asked == "age":
        if parse_age_range(text) is not None:  # "四十多" is a range, read by read_message
            return None
        return parse_age(text) or _whole(parse_number(text))
    if asked == "home_area_m2":
        return parse_area_m2(text) or parse_number(text)
    if asked in MONTH_FIELDS:
        months = parse_months(text)
        if months is None and (bare in _words("negative") or _NONE_WORDS.match(bare)):
            return 0
        if months is None:
            months = _whole(number if number is not None else parse_number(text))
            if months is not None and "年" not in text.normal and months > 100:
                return None
        if months is not None and _NOT_YET.search(text.normal):
            months = max(months - 1, 0)
        return months
    return None


def _whole(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and float(value).is_integer() else None


def read_message(text: Text, intent: str | None, entities: Iterable[dict], asked: str | None) -> FactReading:
    """Every fact a message states, plus its answer to the question that was asked."""
    entities = list(entities or [])
    facts, errors = _entity_facts(entities)
    reading = FactReading(facts, errors)
    if "age" not in facts:
        span = next((e.get("value") for e in entities if e.get("entity") == "age_range"), None)
        if span is None and asked == "age":
            found = parse_age_range(text)
            span = list(found) if found else None
        # a typed payload ("/inform{\"age_range\": …}") may carry anything: only two ages in order are a range
        low, high = (_whole(span[0]), _whole(span[1])) if isinstance(span, (list, tuple)) and len(span) == 2 \
            else (None, None)
        if low is not None and high is not None and 0 <= low <= high <= 120:
            reading.age_range = [low, high]
    reply = _unclaimed(text, facts, asked) if asked in FIELD_SPECS and asked not in facts else None
    if asked is not None and reply is not None and not _HYPOTHESIS.search(text.raw):
        value = _contextual(asked, reply, intent, entities, ask_options(asked))
        if value is not None:
            try:
                reading.facts[asked] = convert_field(asked, value)
                reading.contextual.add(asked)
            except ValueError as exc:
                reading.errors.append(str(exc))
    date = _DATE.search(text.normal)
    if date and any(w in text.raw for w in _AS_OF_WORDS):
        with contextlib.suppress(ValueError):  # "2023-02-30" is no date: no rules' date is set
            reading.as_of = dt.date(*map(int, date.groups())).isoformat()
    return reading


def _claims(name: str, asked: str) -> bool:
    """A yes/no fact of another person or thing ("没退休", "没结婚") owns the yes or no word it was read from:
    fields of one person or one thing share the first word of their names (child_…, residence_…)."""
    return FIELD_SPECS[name][0] == "bool" and name.split("_")[0] != asked.split("_")[0]


def _unclaimed(text: Text, facts: dict, asked: str) -> Text | None:
    """What of a message may answer the pending question: all of it unless it states a yes/no fact of another
    kind; else its clauses that state none ("没退休，有房子" -> "有房子"); nothing when every clause states one
    ("没退休呢" to the housing question says nothing of housing, "没结婚" nothing of the school). "有房子" to the
    spouse's home question and "孩子不是苏州户口" to the child's are still their answers."""
    if not any(_claims(name, asked) for name in facts):
        return text
    from assistant.understanding.facts import extract_facts

    clauses = [Text.normalised(c) for c in _CLAUSES.split(text.normal) if c]
    rest = [c.normal for c in clauses if not any(_claims(name, asked) for name in extract_facts(c))]
    return Text.normalised("，".join(rest)) if rest and len(clauses) > 1 else None


_CLAUSES = re.compile(r"[，,、；;。\s]+")
_SHORT_NO = re.compile(r"^[没不未无].{0,3}$")   # "没在交", "不在交了": a short no
_CLAUSE_ANSWER = 8   # a clause of a paired reply longer than this (its bare form) answers neither half


def read_reply(text: Text, intent: str | None, entities: Iterable[dict], asked: str | None,
               also: str | None = None) -> FactReading:
    """`read_message` for the reply to the pending question; with `also`, the reply to a paired question
    ("您今年多大，最高学历是？"). Besides the facts it names: in clauses ("38，大专", "有，在市区办的，24个月") each clause
    answers one of the two, in either order; in one, a bare no ("都没有") answers both, a yes to two yes/no
    questions answers neither (`split`: each is asked alone), and otherwise the reply answers the first
    unless it named a fact ("高级工" says nothing of a 职称, "没退休" nothing of either)."""
    if not also or not asked:
        return read_message(text, intent, entities, asked)
    reading = read_message(text, intent, entities, None)
    both_bool = FIELD_SPECS[asked][0] == FIELD_SPECS[also][0] == "bool"
    clauses = [Text.normalised(c) for c in _CLAUSES.split(text.normal) if c]
    bare = text.core
    if len(clauses) >= 2:
        from assistant.understanding.facts import extract_facts

        for position, clause in enumerate(clauses):
            if {asked, also} & extract_facts(clause).keys():
                continue  # "没有职称，三级": a clause that names its field answers no other
            # a bare yes or no answers the question at its place ("是的，没退休"), or confirms the other clause
            # ("对，在苏州工作" says nothing of retiring)
            yes_no = clause.core in _words("affirmative") | _words("negative")
            names = (asked, also)[position:position + 1] if yes_no else (asked, also)
            if not yes_no and len(clause.core) > _CLAUSE_ANSWER:
                continue  # "我喊了五遍才转成功": a remark, not "5 months"
            about = bool(cues.cue("subject").pattern.match(clause.normal))   # "父母在老家"
            for name in (n for n in names if n not in reading.facts):
                if FIELD_SPECS[name][0] == "bool" and not (yes_no or about or _SHORT_NO.match(clause.core)):
                    continue  # a yes/no half takes a yes or a no ("没在交"): "有问题我再问你哈", "非常感谢" are neither
                one = read_message(clause, None, [], name)
                if name in one.facts:
                    reading.facts[name] = one.facts[name]
                    reading.contextual.add(name)
                    break
    elif cues.has("deny_both", bare) or bare in _words("negative"):
        for name in (asked, also):
            none = _none_of(name)
            if name not in reading.facts and none is not None:
                reading.facts[name] = none
                reading.contextual.add(name)
    elif both_bool and not reading.facts and _yes_no(text, bare, intent):
        reading.split = True
    elif not reading.facts:  # "父母在老家" answers the first; "没退休" (another fact) neither
        first = read_message(text, intent, entities, asked)
        if asked in first.facts:
            reading.facts[asked] = first.facts[asked]
            reading.contextual.add(asked)
        reading.errors += [e for e in first.errors if e not in reading.errors]
        reading.age_range = reading.age_range or first.age_range
    return reading


def _none_of(name: str) -> Any:
    """The "no" answer of a field: False for a yes/no question, "none" for an enumeration that has it."""
    kind = FIELD_SPECS[name][0]
    if kind == "bool":
        return False
    if kind == "enum" and "none" in enum_values(name):
        return "none"
    return None


_HYPOTHETICAL = re.compile(r"^(那么?|那|如果|要是|假如|假设|万一|要)+|(的话|呢|吗|会怎样|会怎么样|怎么样)+$")
# A supposition is never the answer to the question asked ("如果我再交半年呢").
_HYPOTHESIS = cues.cue("hypothesis").pattern


def read_hypothesis(text: Text) -> FactReading:
    """The facts of a what-if question ("那如果我再交半年社保呢？"), read as if they were stated."""
    from assistant.understanding.facts import extract_facts

    clause = _PUNCT.sub("", text.normal)
    while True:
        stripped = _HYPOTHETICAL.sub("", clause)
        if stripped == clause:
            break
        clause = stripped
    facts, errors = _entity_facts({"entity": k, "value": v} for k, v in extract_facts(Text.normalised(clause)).items())
    return FactReading(facts, errors)
