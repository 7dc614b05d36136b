"""Deleting conversations from the tracker store: `python -m assistant purge` (see assistant/__main__.py).

A conversation is all events of one sender id in Rasa's `events` table. Whole conversations go, never single
events: a tracker rebuilt from part of its events would be a different conversation. The database is the one
endpoints.yml names, read as Rasa reads it (environment variables substituted; Rasa's own URL builder), so
the SQLite file of `make run` and a PostgreSQL URL (`url: ${DATABASE_URL}`) both work; the environment's
DATABASE_URL, when set, wins, as it does for the Rasa server (assistant/stores/tracker_store.py). SQLAlchemy Core only:
no model, no Rasa server needed.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")  # before SQLAlchemy: Rasa's models use the 1.x API
import sqlalchemy as sa

from assistant import settings
from assistant.errors import KeyedError

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = ROOT / "var" / "tracker.db"       # what scripts/run.sh uses when RASA_DB is not set
SQL_TYPES = {"sql", "assistant.stores.tracker_store.maskingsqltrackerstore"}
_DURATION = re.compile(r"\s*(\d+)\s*([dh])\s*", re.IGNORECASE)
_CHUNK = 500                                   # sender ids per DELETE (SQLite allows 999 parameters)

EVENTS = sa.table("events", sa.column("id"), sa.column("sender_id"), sa.column("timestamp"))


class RetentionError(KeyedError):
    """A problem the operator must fix; `key` names the message in messages.yml (purge:), `fields` fill it."""


@dataclass(frozen=True)
class Purged:
    conversations: int
    events: int


def parse_duration(text: str) -> dt.timedelta:
    """"180d" -> 180 days, "12h" -> 12 hours; RetentionError otherwise."""
    match = _DURATION.fullmatch(text or "")
    if not match or int(match.group(1)) == 0:
        raise RetentionError("bad_duration", value=text)
    unit = "days" if match.group(2).lower() == "d" else "hours"
    return dt.timedelta(**{unit: int(match.group(1))})


def database_url(endpoints: Path) -> sa.engine.URL:
    """The tracker store's database, from `endpoints` (RASA_DB defaults to var/tracker.db, as in run.sh)."""
    with warnings.catch_warnings():  # Rasa's imports warn about their dependencies; cron mails would show it
        warnings.simplefilter("ignore")
        from rasa.core.tracker_store import SQLTrackerStore, validate_port
        from rasa.shared.utils.io import read_config_file

    if not endpoints.is_file():
        raise RetentionError("no_endpoints", path=endpoints)
    os.environ.setdefault("RASA_DB", str(DEFAULT_DB))
    try:
        config = (read_config_file(str(endpoints)) or {}).get("tracker_store")
    except Exception as exc:  # bad YAML, an unset ${VARIABLE}
        raise RetentionError("bad_endpoints", path=endpoints, error=exc) from None
    if not config:
        raise RetentionError("no_store", path=endpoints)
    kind = str(config.get("type") or "")
    if kind.lower() not in SQL_TYPES:
        raise RetentionError("not_sql", path=endpoints, type=kind or "in_memory")
    if kind.lower() != "sql" and settings.database_url():   # our store takes DATABASE_URL first
        return sa.engine.make_url(settings.database_url())
    if "url" in config and not config["url"]:
        raise RetentionError("empty_url", path=endpoints)  # Rasa would quietly use ./rasa.db instead
    try:
        port = validate_port(config.get("port"))
    except Exception as exc:
        raise RetentionError("bad_endpoints", path=endpoints, error=exc) from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy 1.4 on the URL() Rasa builds
        url = SQLTrackerStore.get_db_url(config.get("dialect", "sqlite"), config.get("url"), port,
                                         config.get("db", "rasa.db"), config.get("username"),
                                         config.get("password"), None, config.get("query"))
    url = sa.engine.make_url(url) if isinstance(url, str) else url
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
        raise RetentionError("no_database", path=url.database)  # connecting would create an empty one
    return url


def shown(url: sa.engine.URL) -> str:
    """The database as an operator may see it (no password)."""
    return url.database if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=True)


def connect(url: sa.engine.URL) -> sa.engine.Engine:
    """An engine on the tracker store's database, checked to hold Rasa's `events` table."""
    try:
        engine = sa.create_engine(url)
        tables = sa.inspect(engine).get_table_names()
    except Exception as exc:  # no driver, refused, wrong password …
        raise RetentionError("cannot_connect", where=shown(url), error=exc) from None
    if "events" not in tables:
        raise RetentionError("no_table", where=shown(url))
    return engine


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


def _purge(engine: sa.engine.Engine, senders: list[str], dry_run: bool) -> Purged:
    events = 0
    with engine.begin() as conn:
        for chunk in _chunks(senders):
            where = EVENTS.c.sender_id.in_(chunk)
            if dry_run:
                events += conn.execute(sa.select(sa.func.count()).select_from(EVENTS).where(where)).scalar_one()
            else:
                events += conn.execute(sa.delete(EVENTS).where(where)).rowcount
    return Purged(len(senders), events)


def purge_older_than(engine: sa.engine.Engine, age: dt.timedelta, dry_run: bool = False,
                     now: float | None = None) -> Purged:
    """Deletes every conversation whose last event is older than `age`."""
    cutoff = (time.time() if now is None else now) - age.total_seconds()
    last = sa.func.max(EVENTS.c.timestamp)
    query = sa.select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id).having(last < cutoff)
    with engine.connect() as conn:
        senders = [row[0] for row in conn.execute(query)]
    return _purge(engine, senders, dry_run)


def purge_conversation(engine: sa.engine.Engine, sender_id: str, dry_run: bool = False) -> Purged:
    """Deletes one conversation (every event of `sender_id`); Purged(0, 0) when there is none."""
    with engine.connect() as conn:
        found = conn.execute(sa.select(EVENTS.c.id).where(EVENTS.c.sender_id == sender_id).limit(1)).first()
    return _purge(engine, [sender_id], dry_run) if found else Purged(0, 0)
