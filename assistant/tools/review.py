"""The conversation review for staff: the signals of every stored turn, and the figures over many conversations.

Everything comes from the events the tracker store already keeps (no second store): a user event's parse data
(the classifier's intent and confidence, the FAQ selector's topic and score), the bot events' metadata (the
response sent, `utter_action`, and the decision-table row, `turn_branch`, that actions/turn.py adds), their
`ask` payloads and "您是想问" buttons, and the `handoff_requested` slot. Events are plain dicts as the
`events` table stores them (assistant/tools/review_store.py reads them); pure Python, no Rasa. Used by the review
page (assistant/channels/review.py) and `python -m assistant review` (assistant/tools/review_report.py).
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.policy.profile import FIELD_SPECS, field_label
from assistant.tools.reviewed_nlu import plain

ABANDON_AFTER = 30 * 60          # seconds without a reply after a question: the resident stopped there (issue 17)
FALLBACK_INTENT = "nlu_fallback"  # the FallbackClassifier's verdict (config.yml's threshold), not a real intent
WEB_SENDER = re.compile(r"web-[0-9a-f]{16}")   # the web chat's conversation ids (assistant/web/chat.js)
CHOICE = re.compile(r"^/inform(\{.*\})$")
FILTERS = ("handoff", "none_chosen", "unsure", "abandoned")

# Replies that mean the assistant was unsure or could not read the message, and those that mean it had no
# answer: "您是想问" (the selector unsure), nothing found, the default reply, an unreadable answer.
UNSURE_RESPONSES = {"utter_did_you_mean", "utter_no_answer", "utter_default", "utter_not_understood"}
OUT_OF_SCOPE = "utter_out_of_scope"
NO_ANSWER = "utter_no_answer"
NONE_CHOSEN = "utter_faq_none"
DID_YOU_MEAN = "utter_did_you_mean"
HANDOFF = "utter_handoff"


@dataclass
class Reply:
    """One bot message as the review shows it."""

    text: str
    response: str | None          # the domain response, or None for a ready text (the answer, a what-if …)
    ask: str | None = None        # the field of its `ask` payload
    assessment: bool = False      # it carries the (not hypothetical) assessment
    buttons: list[str] = field(default_factory=list)


@dataclass
class TurnSignals:
    """One user message, what understanding made of it, and what the assistant did."""

    index: int
    time: float
    text: str                     # as stored: personal numbers masked by the channels
    intent: str | None = None     # the classifier's best intent (not the fallback's), as actions/turn.py reads it
    confidence: float | None = None
    fallback: bool = False        # nlu_fallback ranked first: below the FallbackClassifier's threshold
    faq_topic: str | None = None  # the FAQ selector's first topic and its score
    faq_score: float | None = None
    branch: str | None = None     # the decision-table row (assistant/conversation/turn.py), when stored
    replies: list[Reply] = field(default_factory=list)
    offered: list[str] = field(default_factory=list)   # the topics "您是想问" offered
    chosen: str | None = None     # what this message chose of the previous turn's offer: a topic, or "none" (都不是)
    asked: str | None = None      # the question the turn ended with
    low_confidence: bool = False
    out_of_scope: bool = False
    no_answer: bool = False
    handoff: bool = False
    payload: bool = False         # a button's payload, not typed text

    @property
    def responses(self) -> list[str]:
        return [r.response for r in self.replies if r.response]


@dataclass
class ConversationReview:
    """A conversation (one sender id) with its turns and what the filters look at."""

    sender_id: str
    channel: str                  # "rest", "web" (the web chat posts to REST), "wechat", or another input channel
    started: float
    last: float
    turns: list[TurnSignals]
    handoff: bool = False
    none_chosen: bool = False
    low_confidence: bool = False
    out_of_scope: bool = False
    pending: str | None = None    # the question of the last bot message, when no reply came after it
    abandoned: bool = False       # … and none came within ABANDON_AFTER
    asked: list[str] = field(default_factory=list)     # every field asked, once, in order
    assessed: bool = False

    @property
    def unsure(self) -> bool:
        return self.low_confidence or self.out_of_scope

    def flags(self) -> dict[str, bool]:
        return {name: bool(getattr(self, name)) for name in FILTERS}


# --- reading the events -----------------------------------------------------------------------------------------

def _intent(parse: dict) -> tuple[str | None, float | None, bool]:
    ranking = [i for i in parse.get("intent_ranking") or [] if i.get("name") != FALLBACK_INTENT]
    top = ranking[0] if ranking else (parse.get("intent") or {})
    fallback = (parse.get("intent") or {}).get("name") == FALLBACK_INTENT
    name = top.get("name")
    return (name if name != FALLBACK_INTENT else None), _score(top.get("confidence")), fallback


def _faq(parse: dict) -> tuple[str | None, float | None]:
    selector = (parse.get("response_selector") or {}).get("faq") or {}
    ranking = [r for r in selector.get("ranking") or [] if r.get("intent_response_key")]
    if not ranking:
        return None, None
    return str(ranking[0]["intent_response_key"]).split("/", 1)[-1], _score(ranking[0].get("confidence"))


def _score(value: Any) -> float | None:
    return round(float(value), 4) if isinstance(value, (int, float)) else None


def choice_topic(payload: str) -> str | None:
    """The topic a "您是想问" button's payload picks ('/inform{"faq_topic": "x"}'), or None."""
    found = CHOICE.match(payload or "")
    if not found:
        return None
    try:
        value = json.loads(found.group(1)).get("faq_topic")
    except (ValueError, AttributeError):
        return None
    return str(value) if value else None


def _reply(event: dict) -> Reply:
    data = event.get("data") or {}
    custom: dict = data["custom"] if isinstance(data.get("custom"), dict) else {}
    meta = event.get("metadata") or {}
    return Reply(text=str(event.get("text") or ""), response=meta.get("utter_action"),
                 ask=custom.get("field") if custom.get("type") == "ask" else None,
                 assessment=custom.get("type") == "assessment" and not custom.get("hypothetical"),
                 buttons=[str(b.get("title", "")) for b in data.get("buttons") or []])


def _user_turn(index: int, event: dict) -> TurnSignals:
    parse = event.get("parse_data") or {}
    intent, confidence, fallback = _intent(parse)
    topic, score = _faq(parse)
    text = str(event.get("text") or "")
    return TurnSignals(index=index, time=float(event.get("timestamp") or 0), text=text, intent=intent,
                       confidence=confidence, fallback=fallback, faq_topic=topic, faq_score=score,
                       payload=text.startswith("/"))


def _finish(turn: TurnSignals, bots: list[dict], previous: TurnSignals | None) -> None:
    """The signals a turn's replies give, once they are all known."""
    turn.replies = [_reply(b) for b in bots]
    turn.branch = next(((b.get("metadata") or {}).get("turn_branch") for b in bots
                        if (b.get("metadata") or {}).get("turn_branch")), None)
    names = set(turn.responses)
    for bot in bots:
        if (bot.get("metadata") or {}).get("utter_action") == DID_YOU_MEAN:
            topics = [choice_topic(str(b.get("payload", ""))) for b in (bot.get("data") or {}).get("buttons") or []]
            turn.offered = [t for t in topics if t and t != "none"]
    asks = [r.ask for r in turn.replies if r.ask]
    turn.asked = asks[-1] if asks else None
    if previous is not None and previous.offered:
        faq = [n.split("/", 1)[1] for n in turn.responses if n.startswith("utter_faq/")]
        if NONE_CHOSEN in names:
            turn.chosen = "none"
        elif faq and (turn.branch == "faq_choice" or choice_topic(turn.text) == faq[0]
                      or (turn.branch is None and faq[0] in previous.offered)):
            turn.chosen = faq[0]
    turn.low_confidence = bool(names & UNSURE_RESPONSES)
    turn.out_of_scope = OUT_OF_SCOPE in names
    turn.no_answer = NO_ANSWER in names
    turn.handoff = HANDOFF in names


def channel_of(sender_id: str, input_channel: str | None) -> str:
    """The channel a conversation came through: the web chat posts to REST with its own kind of id."""
    if input_channel == "rest" and WEB_SENDER.fullmatch(sender_id):
        return "web"
    return input_channel or "unknown"


def review(sender_id: str, events: list[dict], now: float) -> ConversationReview:
    """A conversation's turns and flags from its stored events (in the store's order)."""
    turns: list[TurnSignals] = []
    bots: list[dict] = []
    channel: str | None = None
    handoff_slot = False
    last_bot: dict | None = None
    for event in events:
        kind = event.get("event")
        if kind == "user":
            if turns:
                _finish(turns[-1], bots, turns[-2] if len(turns) > 1 else None)
            turns.append(_user_turn(len(turns), event))
            bots, last_bot = [], None
            channel = channel or event.get("input_channel")
        elif kind == "bot" and turns:
            bots.append(event)
            last_bot = event
        elif kind == "slot" and event.get("name") == "handoff_requested" and event.get("value"):
            handoff_slot = True
    if turns:
        _finish(turns[-1], bots, turns[-2] if len(turns) > 1 else None)
    times = [float(e.get("timestamp") or 0) for e in events if e.get("event") in ("user", "bot")] or [0.0]
    conv = ConversationReview(sender_id=sender_id, channel=channel_of(sender_id, channel), started=min(times),
                              last=max(times), turns=turns)
    conv.handoff = handoff_slot or any(t.handoff for t in turns)
    conv.none_chosen = any(t.chosen == "none" for t in turns)
    conv.low_confidence = any(t.low_confidence for t in turns)
    conv.out_of_scope = any(t.out_of_scope for t in turns)
    conv.assessed = any(r.assessment for t in turns for r in t.replies)
    conv.asked = list(dict.fromkeys(r.ask for t in turns for r in t.replies if r.ask))
    if last_bot is not None:
        pending = _reply(last_bot).ask
        conv.pending = pending
        conv.abandoned = pending is not None and now - float(last_bot.get("timestamp") or 0) >= ABANDON_AFTER
    return conv


# --- many conversations -----------------------------------------------------------------------------------------

def select(conversations: list[ConversationReview], filters: set[str] | frozenset[str] = frozenset(),
           channel: str | None = None) -> list[ConversationReview]:
    """The conversations that have every flag in `filters` (FILTERS) and came through `channel` (any when None)."""
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise ValueError(f"unknown filters: {sorted(unknown)}")
    return [c for c in conversations if all(getattr(c, f) for f in filters) and channel in (None, c.channel)]


def dropoff(conversations: list[ConversationReview]) -> list[dict]:
    """For each question field: how many conversations were asked it, and how many stopped there (abandoned with
    it pending). Most asked first."""
    asked = Counter(f for c in conversations for f in c.asked)
    stopped = Counter(c.pending for c in conversations if c.abandoned and c.pending)
    order = {name: i for i, name in enumerate(FIELD_SPECS)}
    names = sorted(set(asked) | set(stopped), key=lambda f: (-asked[f], order.get(f, len(order)), f))
    return [{"field": f, "label": field_label(f) if f in FIELD_SPECS else f, "asked": asked[f],
             "stopped": stopped[f]} for f in names]


def unanswered(conversations: list[ConversationReview], top: int = 10) -> list[dict]:
    """The questions the assistant did not answer, most frequent first: answered with "no answer" or "out of
    scope", or whose "您是想问" got "都不是" (the question, not the "都不是"). Grouped by their plain form."""
    found: dict[str, dict] = {}
    for conv in conversations:
        for turn in conv.turns:
            reasons = [r for r, hit in (("no_answer", turn.no_answer), ("out_of_scope", turn.out_of_scope)) if hit]
            asked = turn
            if turn.chosen == "none" and turn.index > 0:
                asked, reasons = conv.turns[turn.index - 1], ["none_chosen"]
            if not reasons or asked.payload or not plain(asked.text):
                continue
            entry = found.setdefault(plain(asked.text), {"text": asked.text, "count": 0, "conversations": set(),
                                                         "reasons": Counter(), "sender_id": conv.sender_id,
                                                         "turn": asked.index, "faq_topic": asked.faq_topic})
            entry["count"] += 1
            entry["conversations"].add(conv.sender_id)
            entry["reasons"].update(reasons)
    rows = sorted(found.values(), key=lambda e: (-e["count"], -len(e["conversations"]), e["text"]))[:top]
    return [{**e, "conversations": len(e["conversations"]), "reasons": [r for r, _ in e["reasons"].most_common()]}
            for e in rows]


def counts(conversations: list[ConversationReview]) -> dict[str, Any]:
    """How many conversations each filter finds, and per channel."""
    out: dict[str, Any] = {"conversations": len(conversations)}
    for name in (*FILTERS, "low_confidence", "out_of_scope", "assessed"):
        out[name] = sum(1 for c in conversations if getattr(c, name))
    out["channels"] = dict(sorted(Counter(c.channel for c in conversations).items()))
    return out


def figures(conversations: list[ConversationReview], top: int = 10) -> dict[str, Any]:
    """The review's figures: counts per filter, the drop-off table and the top unanswered questions."""
    return {"counts": counts(conversations), "dropoff": dropoff(conversations),
            "unanswered": unanswered(conversations, top)}


def summary(conv: ConversationReview) -> dict[str, Any]:
    """A conversation as the review list shows it (no transcript)."""
    first = next((t.text for t in conv.turns if not t.payload), conv.turns[0].text if conv.turns else "")
    return {"sender_id": conv.sender_id, "channel": conv.channel, "started": conv.started, "last": conv.last,
            "turn_count": len(conv.turns), "first_message": first, "flags": conv.flags(),
            "low_confidence": conv.low_confidence, "out_of_scope": conv.out_of_scope, "assessed": conv.assessed,
            "pending": conv.pending, "pending_label": field_label(conv.pending) if conv.pending in FIELD_SPECS
            else None}


def detail(conv: ConversationReview) -> dict[str, Any]:
    """A conversation with its transcript and every turn's signals."""
    turns = []
    for turn in conv.turns:
        row = asdict(turn)
        row["asked_label"] = field_label(turn.asked) if turn.asked in FIELD_SPECS else None
        turns.append(row)
    return {**summary(conv), "turns": turns}
