"""Where conversations and shared state live, from the environment: the same code for `make run` and production.

- `DATABASE_URL` (postgresql://user:password@host:port/db): the tracker store is PostgreSQL (Rasa's
  SQLTrackerStore, assistant/stores/tracker_store.py). Unset: SQLite at `RASA_DB`, as endpoints.yml says.
- `REDIS_URL` (redis://[:password@]host:port[/db]): Rasa's RedisLockStore (assistant/stores/lock_store.py) and the
  WeChat channel's message ids, replay memory and numbered options (assistant/channels/state.py). Unset: both
  in the Rasa process's memory, which is right for one process only.

Importable without Rasa.
"""
from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit


def database_url() -> str | None:
    """DATABASE_URL, or None when it is unset or empty. `postgres://` (Heroku's spelling) is accepted."""
    url = (os.environ.get("DATABASE_URL") or "").strip()
    if not url:
        return None
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return url


def redis_url() -> str | None:
    """REDIS_URL, or None when it is unset or empty."""
    url = (os.environ.get("REDIS_URL") or "").strip()
    return url or None


def redis_settings(url: str) -> dict[str, Any]:
    """The keyword arguments of Rasa's RedisLockStore for a redis:// or rediss:// URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(f"REDIS_URL must look like redis://host:port/db, not {hidden(url)!r}")
    path = parts.path.strip("/")
    return {"host": parts.hostname, "port": parts.port or 6379, "db": int(path) if path else 0,
            "username": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "use_ssl": parts.scheme == "rediss"}


def hidden(url: str) -> str:
    """`url` as it may appear in a log: without the password."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
