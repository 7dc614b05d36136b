"""Rasa's lock store, chosen by the environment: `lock_store: type: assistant.stores.lock_store.EnvLockStore`.

Every message of a conversation is handled under that conversation's lock (Rasa's TicketLock), so that two
messages of one conversation never interleave. One Rasa process keeps its locks in memory (Rasa's
InMemoryLockStore); several processes behind a load balancer must share them: with `REDIS_URL` set the store is
Rasa's RedisLockStore on that server (assistant/settings.py), with one addition:

A process that dies in the middle of a turn (killed, out of memory) leaves its ticket in Redis, and Rasa lets
the conversation's next message wait for the ticket's lifetime (60 s) — on whichever process it arrives, and
nginx sends the dead process's requests to the others at once. So every process here keeps a heartbeat key
(`lock-alive:<process>`, renewed every HEARTBEAT seconds, expiring after ALIVE_TTL) and records which process
holds each ticket; a waiting process drops the tickets of processes whose heartbeat is gone. A live process
always renews its heartbeat from a thread of its own, also while its event loop is busy.
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore

from assistant import settings

logger = logging.getLogger(__name__)

HEARTBEAT = 0.5        # seconds between renewals of a process's heartbeat
ALIVE_TTL = 2.0        # seconds after which a process that stopped renewing it counts as dead
POLL = 0.05            # seconds between looks at a lock someone else holds (Rasa: 1 s)


class EnvLockStore:
    """Not a lock store of its own: calling it gives SharedRedisLockStore (REDIS_URL set) or Rasa's
    InMemoryLockStore."""

    def __new__(cls, endpoint_config: Any = None) -> LockStore:
        url = settings.redis_url()
        if url is None:
            workers = os.environ.get("SANIC_WORKERS", "1").strip()
            if workers not in ("", "1"):
                # Rasa allows several workers with any custom lock store; in-memory locks would not be shared
                raise ValueError("SANIC_WORKERS > 1 needs REDIS_URL: the conversation locks must be shared")
            return InMemoryLockStore()
        kwargs = dict(getattr(endpoint_config, "kwargs", None) or {})
        store = SharedRedisLockStore(**{**settings.redis_settings(url), **kwargs})
        logger.info("lock store: Redis at %s", settings.hidden(url))
        return store


class SharedRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore that releases the tickets of dead processes (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.process = uuid.uuid4().hex
        self.red.ping()   # a wrong REDIS_URL stops the start, not the first message
        self._beat()
        self._stopped = threading.Event()
        threading.Thread(target=self._heartbeat, name="lock-store-heartbeat", daemon=True).start()

    def _key(self, kind: str, name: str) -> str:
        # beside Rasa's "[prefix:]lock:<conversation>" keys, never one of them (sender ids may contain ":")
        base = self.key_prefix[: -len("lock:")] if self.key_prefix.endswith("lock:") else self.key_prefix
        return f"{base}lock-{kind}:{name}"

    def _alive_key(self, process: str) -> str:
        return self._key("alive", process)

    def _owners_key(self, conversation_id: str) -> str:
        return self._key("owners", conversation_id)

    def _beat(self) -> None:
        self.red.set(self._alive_key(self.process), "1", px=int(ALIVE_TTL * 1000))

    def _heartbeat(self) -> None:
        while not self._stopped.wait(HEARTBEAT):
            try:
                self._beat()
            except Exception as exc:  # Redis away for a moment: the next beat tries again
                logger.warning("lock store: heartbeat failed: %s", exc)

    def stop(self) -> None:
        self._stopped.set()
        self.red.delete(self._alive_key(self.process))

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        ticket = super().issue_ticket(conversation_id, lock_lifetime)
        owners = self._owners_key(conversation_id)
        with self.red.pipeline() as pipe:
            pipe.hset(owners, str(ticket), self.process)
            pipe.pexpire(owners, int(lock_lifetime * 1000) + 1000)
            pipe.execute()
        return ticket

    def _drop_dead_tickets(self, conversation_id: str, lock: TicketLock, ticket: int) -> bool:
        """Removes the tickets ahead of `ticket` whose process is dead; True when it removed one."""
        ahead = [t.number for t in lock.tickets if t.number < ticket]
        if not ahead:
            return False
        owners = self.red.hmget(self._owners_key(conversation_id), [str(n) for n in ahead])
        dead = []
        for number, owner in zip(ahead, owners, strict=True):
            if owner is None:   # issued a moment ago, owner not yet recorded: alive
                continue
            owner = owner.decode() if isinstance(owner, bytes) else owner
            if owner != self.process and not self.red.exists(self._alive_key(owner)):
                dead.append(number)
        if not dead:
            return False
        for number in dead:
            lock.remove_ticket_for(number)
        self.save_lock(lock)
        logger.warning("lock store: released %d ticket(s) of a dead process on a conversation", len(dead))
        return True

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        # Rasa's loop, plus dead processes' tickets dropped, and a shorter wait between looks
        while True:
            lock = self.get_lock(conversation_id)
            if not lock:
                break
            if not lock.is_locked(ticket):
                return lock
            if self._drop_dead_tickets(conversation_id, lock, ticket):
                continue
            await asyncio.sleep(min(wait_time_in_seconds, POLL))
            self.update_lock(conversation_id)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = POLL) -> AsyncGenerator[TicketLock, None]:
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            self.cleanup(conversation_id, ticket)
            self.red.hdel(self._owners_key(conversation_id), str(ticket))
