"""The stores the environment chooses (assistant/settings.py), on real servers: the WeChat channel's state in
memory and on Redis (the same tests for both), Rasa's lock store on Redis with dead processes' tickets released,
and the tracker store and purge on PostgreSQL with DATABASE_URL. Redis and PostgreSQL are Debian's, started on
loopback by tests/support/services.py (`make services` installs them)."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant import settings
from assistant.channels.state import MemoryState, RedisState
from assistant.stores.lock_store import EnvLockStore, SharedRedisLockStore
from tests.support import services

ROOT = Path(__file__).resolve().parents[1]


def _needs(*packages: str) -> None:
    gone = [p for p in services.missing() if p in packages]
    if gone:
        pytest.skip(f"not installed: {', '.join(gone)} (make services, as root, installs them)")


@pytest.fixture(scope="module")
def redis_server():
    _needs("redis-server")
    with services.redis() as server:
        yield server


@pytest.fixture(scope="module")
def postgres_server():
    _needs("postgresql")
    with services.postgres() as server:
        yield server


@pytest.fixture(params=["memory", "redis"])
def state(request):
    if request.param == "memory":
        return MemoryState(max_entries=3)
    return RedisState(request.getfixturevalue("redis_server").url, prefix=f"test-{time.monotonic_ns()}:")


def run(coroutine):
    return asyncio.run(coroutine)


# --- the WeChat channel's state: the same tests in memory and on Redis ---------------------------------------------

def test_add_stores_once_and_get_reads_it(state):
    async def go():
        assert await state.add("message", "id:1", "p1", 60)
        assert not await state.add("message", "id:1", "p2", 60)   # a retry: someone has it
        assert await state.get("message", "id:1") == "p1"
        assert await state.get("message", "id:2") is None
        assert await state.get("answer", "id:1") is None           # kinds are apart
    run(go())


def test_put_replaces_and_delete_forgets(state):
    async def go():
        await state.put("options", "o1", json.dumps([{"title": "本科"}], ensure_ascii=False), 60)
        await state.put("options", "o1", json.dumps([{"title": "硕士"}], ensure_ascii=False), 60)
        assert json.loads(await state.get("options", "o1")) == [{"title": "硕士"}]
        await state.delete("options", "o1")
        assert await state.get("options", "o1") is None
        await state.delete("options", "never-there")
    run(go())


def test_entries_expire(state):
    async def go():
        await state.put("url", "a", "x", 0.2)
        assert await state.add("delivery", "b", "passive", 0.2)
        assert await state.get("url", "a") == "x"
        await asyncio.sleep(0.35)
        assert await state.get("url", "a") is None
        assert await state.add("delivery", "b", "pushed", 60)      # free again after its time
    run(go())


def test_concurrent_adds_have_one_winner(state):
    async def go():
        results = await asyncio.gather(*(state.add("message", "id:race", str(i), 60) for i in range(20)))
        assert sum(results) == 1
    run(go())


def test_memory_keeps_at_most_max_entries_per_kind():
    memory = MemoryState(max_entries=3)

    async def go():
        for i in range(5):
            await memory.put("message", str(i), "v", 60)
        await memory.put("options", "o", "v", 60)
        assert [await memory.get("message", str(i)) for i in range(5)] == [None, None, "v", "v", "v"]
        assert await memory.get("options", "o") == "v"
    run(go())


def test_two_redis_clients_share_the_state(redis_server):
    """Two processes behind nginx: what one claims, the other sees."""
    prefix = f"shared-{time.monotonic_ns()}:"
    one, other = RedisState(redis_server.url, prefix), RedisState(redis_server.url, prefix)

    async def go():
        assert await one.add("message", "id:7", "one", 60)
        assert not await other.add("message", "id:7", "other", 60)
        await one.put("answer", "id:7", json.dumps(["好的"], ensure_ascii=False), 60)
        assert json.loads(await other.get("answer", "id:7")) == ["好的"]
    run(go())


# --- the lock store ----------------------------------------------------------------------------------------------

def test_without_redis_url_the_lock_store_is_rasas_in_memory_store(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SANIC_WORKERS", raising=False)
    assert isinstance(EnvLockStore(), InMemoryLockStore)
    monkeypatch.setenv("SANIC_WORKERS", "2")
    with pytest.raises(ValueError, match="REDIS_URL"):
        EnvLockStore()


def test_with_redis_url_the_lock_store_is_rasas_redis_store(monkeypatch, redis_server):
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    store = EnvLockStore()
    try:
        assert isinstance(store, SharedRedisLockStore)

        async def go():
            async with store.lock("conv-a"):
                assert store.get_lock("conv-a") is not None
            assert store.get_lock("conv-a") is None
        run(go())
    finally:
        store.stop()


def test_a_dead_process_ticket_is_released_and_a_live_one_is_waited_for(redis_server):
    params = settings.redis_settings(redis_server.url)
    dead, live, other = (SharedRedisLockStore(**params) for _ in range(3))
    try:
        dead.issue_ticket("conv-dead")     # holds the lock, then dies without releasing it
        dead.stop()
        live.issue_ticket("conv-live")     # holds the lock and stays alive

        async def go():
            start = time.monotonic()
            async with other.lock("conv-dead"):
                waited = time.monotonic() - start
            assert waited < 5, waited       # Rasa alone: the ticket's 60 s lifetime
            async def wait_for_live() -> None:
                async with other.lock("conv-live"):
                    pass
            with pytest.raises(asyncio.TimeoutError):   # a live process's ticket is waited for
                await asyncio.wait_for(wait_for_live(), 3)
        run(go())
    finally:
        for store in (live, other):
            store.stop()


# --- the tracker store and purge on PostgreSQL ----------------------------------------------------------------------

def test_database_url_makes_the_tracker_store_postgresql(monkeypatch, postgres_server):
    from assistant.stores.tracker_store import MaskingSQLTrackerStore

    monkeypatch.setenv("DATABASE_URL", postgres_server.url.replace("postgresql://", "postgres://"))
    store = MaskingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db="/nonexistent/never-used.db")
    assert store.engine.dialect.name == "postgresql"
    now = time.time()
    events = [UserUttered("我的手机13912345678", {"name": "inform"}, timestamp=now - 400 * 86400),
              ActionExecuted("action_turn", timestamp=now - 400 * 86400 + 1),
              BotUttered("好的", timestamp=now - 400 * 86400 + 2)]
    run(store.save(DialogueStateTracker.from_events("pg-old", events)))
    tracker = run(store.retrieve("pg-old"))
    assert [e.type_name for e in tracker.events] == ["user", "action", "bot"]
    assert tracker.events[0].text == "我的手机139****5678"        # the masking backstop works on PostgreSQL too
    store.engine.dispose()

    env = {**os.environ, "DATABASE_URL": postgres_server.url, "RASA_DB": "/nonexistent/never-used.db"}
    done = subprocess.run([sys.executable, "-m", "assistant", "purge", "--older-than", "180d"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "127.0.0.1" in done.stderr and postgres_server.url.split(":")[2].split("@")[0] not in done.stderr
    assert "1个对话" in done.stdout and "3条记录" in done.stdout
