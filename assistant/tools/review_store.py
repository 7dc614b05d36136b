"""Reading the conversations of a date range from the tracker store for the review (assistant/tools/review.py).

Rasa's SQL tracker store keeps every event of every conversation in one `events` table (sender_id, type_name,
timestamp, data: the event as JSON), in SQLite or PostgreSQL alike; this reads it with SQLAlchemy Core, as
assistant/stores/retention.py does, so the Rasa server (its store's engine) and `python -m assistant review` (the
database endpoints.yml or DATABASE_URL names) read the same way. A conversation is in a range when one of its
user messages is; it is then read whole.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass

os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")  # before SQLAlchemy: Rasa's models use the 1.x API
import sqlalchemy as sa

from assistant.errors import KeyedError
from assistant.tools.review import ConversationReview, review

EVENTS = sa.table("events", sa.column("id"), sa.column("sender_id"), sa.column("type_name"),
                  sa.column("timestamp"), sa.column("data"))
_CHUNK = 500        # sender ids per query (SQLite allows 999 parameters)
MAX_DAYS = 366      # a range longer than this is refused: the review reads every conversation of it


@dataclass(frozen=True)
class Range:
    """Days from `since` to `until`, both included, in the server's local time."""

    since: dt.date
    until: dt.date

    @property
    def start(self) -> float:
        return time.mktime(dt.datetime.combine(self.since, dt.time()).timetuple())

    @property
    def end(self) -> float:
        return time.mktime(dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time()).timetuple())


class RangeError(KeyedError, ValueError):
    """A date range the review cannot read; `key` names the message in assistant/tools/review.yml (range:)."""


def parse_range(since: str | None, until: str | None, today: dt.date | None = None) -> Range:
    """"2026-11-01", "2026-11-07" -> a Range; the last 7 days when `since` is missing, today when `until` is."""
    today = today or dt.date.today()

    def day(text: str | None, default: dt.date, name: str) -> dt.date:
        if text is None or not str(text).strip():
            return default
        try:
            return dt.date.fromisoformat(str(text).strip())
        except ValueError:
            raise RangeError("bad_date", name=name, value=text) from None

    end = day(until, today, "until")
    start = day(since, end - dt.timedelta(days=6), "since")
    if start > end:
        raise RangeError("reversed", since=start, until=end)
    if (end - start).days >= MAX_DAYS:
        raise RangeError("too_long", days=MAX_DAYS)
    return Range(start, end)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


def _events(conn: sa.engine.Connection, senders: list[str]) -> dict[str, list[dict]]:
    """Every event of these conversations, in the store's order; the row's timestamp is the event's time."""
    out: dict[str, list[dict]] = {s: [] for s in senders}
    # messages, and of the slots only the handoff flag (the last assessment's slot is big, and not needed)
    kinds = sa.or_(EVENTS.c.type_name.in_(("user", "bot")),
                   sa.and_(EVENTS.c.type_name == "slot", EVENTS.c.data.like("%handoff_requested%")))
    for chunk in _chunks(senders):
        query = (sa.select(EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.data)
                 .where(EVENTS.c.sender_id.in_(chunk), kinds).order_by(EVENTS.c.id))
        for sender, stamp, data in conn.execute(query):
            try:
                event = json.loads(data)
            except (TypeError, ValueError):
                continue   # a row Rasa could not read either
            event["timestamp"] = float(stamp or event.get("timestamp") or 0)
            out[sender].append(event)
    return out


def senders_in(engine: sa.engine.Engine, span: Range) -> list[str]:
    """The conversations with a user message in the range, most recent first."""
    last = sa.func.max(EVENTS.c.timestamp)
    query = (sa.select(EVENTS.c.sender_id, last).where(EVENTS.c.type_name == "user",
                                                      EVENTS.c.timestamp >= span.start, EVENTS.c.timestamp < span.end)
             .group_by(EVENTS.c.sender_id).order_by(last.desc(), EVENTS.c.sender_id))
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(query)]


def conversations(engine: sa.engine.Engine, span: Range, now: float | None = None) -> list[ConversationReview]:
    """Every conversation of the range, reviewed, most recent first."""
    now = time.time() if now is None else now
    senders = senders_in(engine, span)
    with engine.connect() as conn:
        events = _events(conn, senders)
    return [review(s, events[s], now) for s in senders if events[s]]


def conversation(engine: sa.engine.Engine, sender_id: str, now: float | None = None) -> ConversationReview | None:
    """One conversation, reviewed; None when the store has no message of it."""
    with engine.connect() as conn:
        events = _events(conn, [sender_id])[sender_id]
    if not any(e.get("event") == "user" for e in events):
        return None
    return review(sender_id, events, time.time() if now is None else now)
