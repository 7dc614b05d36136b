"""What a channel must remember between requests, shared by every Rasa process that serves the same account.

WeChat's server retries a message it got no answer to, possibly on another Rasa process behind the load balancer;
the resident's "1" answers the options of the previous turn, which another process may have sent. So the WeChat
channel (assistant/channels/wechat.py) keeps message ids, the answers of messages, who delivered them, the signed
URLs seen (plaintext-mode replay) and the numbered options here, each with a time to live:

- `MemoryState`: in the process (one Rasa process only: `make run`);
- `RedisState`: on the Redis server of `REDIS_URL` (several processes), keys `<prefix><kind>:<key>` with Redis'
  own expiry.

`state()` picks one from the environment (assistant/settings.py). Values are strings (JSON where needed). Each
kind has one time to live in practice, and the memory keeps at most `max_entries` per kind (oldest first out).
"""
from __future__ import annotations

import collections
import time
from typing import Protocol

from assistant import settings

MAX_ENTRIES = 10_000       # per kind, in memory (as before: message ids, options, signed URLs)
PREFIX = "assistant:"      # Redis keys, beside Rasa's lock store ("lock:")


class ChannelState(Protocol):
    async def add(self, kind: str, key: str, value: str, ttl: float) -> bool:
        """Stores `value` unless `key` is there already (atomically); True when it was stored."""

    async def get(self, kind: str, key: str) -> str | None:
        """The value of `key`, None when there is none (or it expired)."""

    async def put(self, kind: str, key: str, value: str, ttl: float) -> None:
        """Stores `value`, replacing what was there."""

    async def delete(self, kind: str, key: str) -> None:
        """Forgets `key`."""


class MemoryState:
    """In this process; expired entries go lazily, and the oldest when a kind holds `max_entries`."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._kinds: dict[str, collections.OrderedDict[str, tuple[float, str]]] = {}

    def _entries(self, kind: str) -> collections.OrderedDict[str, tuple[float, str]]:
        entries = self._kinds.setdefault(kind, collections.OrderedDict())
        now = time.monotonic()
        while entries and (len(entries) > self.max_entries or next(iter(entries.values()))[0] <= now):
            entries.popitem(last=False)
        return entries

    def _live(self, kind: str, key: str) -> str | None:
        entry = self._entries(kind).get(key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    async def add(self, kind: str, key: str, value: str, ttl: float) -> bool:
        if self._live(kind, key) is not None:
            return False
        await self.put(kind, key, value, ttl)
        return True

    async def get(self, kind: str, key: str) -> str | None:
        return self._live(kind, key)

    async def put(self, kind: str, key: str, value: str, ttl: float) -> None:
        entries = self._entries(kind)
        entries.pop(key, None)
        entries[key] = (time.monotonic() + ttl, value)
        while len(entries) > self.max_entries:
            entries.popitem(last=False)

    async def delete(self, kind: str, key: str) -> None:
        self._entries(kind).pop(key, None)


class RedisState:
    """On a Redis server (redis-py's asyncio client; connections are made in the server's event loop)."""

    def __init__(self, url: str, prefix: str = PREFIX) -> None:
        import redis.asyncio as aioredis

        self.prefix = prefix
        self.red = aioredis.Redis.from_url(url, decode_responses=True, socket_timeout=5)

    def _key(self, kind: str, key: str) -> str:
        return f"{self.prefix}{kind}:{key}"

    async def add(self, kind: str, key: str, value: str, ttl: float) -> bool:
        return bool(await self.red.set(self._key(kind, key), value, px=max(1, int(ttl * 1000)), nx=True))

    async def get(self, kind: str, key: str) -> str | None:
        return await self.red.get(self._key(kind, key))

    async def put(self, kind: str, key: str, value: str, ttl: float) -> None:
        await self.red.set(self._key(kind, key), value, px=max(1, int(ttl * 1000)))

    async def delete(self, kind: str, key: str) -> None:
        await self.red.delete(self._key(kind, key))


def state() -> ChannelState:
    """Redis when REDIS_URL is set, else this process's memory."""
    url = settings.redis_url()
    return RedisState(url) if url else MemoryState()
