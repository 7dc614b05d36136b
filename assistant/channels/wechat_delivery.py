"""Who delivers the answer to a WeChat message, once: the jobs of this process, retries of a message that reach
this or another process (the channel state decides "passive" or "pushed"), and customer-service messages in order."""
from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from assistant.channels.state import ChannelState
from assistant.channels.wechat_api import WeChatAPI, WeChatAPIError
from assistant.policy.rules import rule_data

logger = logging.getLogger("assistant.channels.wechat")

REPLAY_WINDOW = 300              # seconds a request's timestamp may be away from now
SEEN_TTL = 2 * REPLAY_WINDOW     # a message id is remembered longer than a request can be replayed
JOBS_MAX = 10_000
POLL = 0.05                      # seconds between looks for the answer another process is preparing
FOLLOW_UP_DELAY = 0.5            # customer-service messages go after the passive reply they continue
FAILED = rule_data().messages["wechat"]["failed"]
TOO_SLOW = rule_data().messages["wechat"]["too_slow"]


@dataclass
class _Job:
    """One message from WeChat that this process answers, shared by the retries of that message that reach it.
    Who delivers the answer — "passive" (a request replied with it) or "pushed" (customer service) — is decided
    once, in the channel state, so that a retry on another process cannot deliver it twice."""
    task: asyncio.Task[list[str]] = None  # type: ignore[assignment]
    created: float = field(default_factory=time.monotonic)
    waiting: int = 0                  # requests of this process waiting for the answer right now




class Deliveries:
    """The delivery half of WeChatInput (a mixin): the answer of a message given once, passively or pushed."""

    state: ChannelState
    process: str
    api: WeChatAPI | None
    reply_timeout: float
    turn_timeout: float
    _jobs: collections.OrderedDict[str, _Job]
    _deliveries: dict[str, asyncio.Task]
    _background: set

    async def _run(self, job: _Job, key: str, openid: str, work: Awaitable[list[str]]) -> list[str]:
        try:
            parts = await work
        except Exception:
            logger.exception("wechat: answering a message failed")
            parts = [FAILED]
        try:
            # for a retry of this message that reaches another process
            await self.state.put("answer", key, json.dumps(parts, ensure_ascii=False), SEEN_TTL)
            if job.waiting == 0 and await self._decide(key, "pushed"):  # every request had its answer ("success")
                self._deliver(openid, parts, 0)
        except Exception:
            logger.exception("wechat: the channel state failed after a message was answered")
        return parts

    async def _decide(self, key: str, how: str) -> bool:
        """Claims the delivery of the answer to `key` as `how` ("passive" or "pushed"); False when it is decided."""
        return await self.state.add("delivery", key, how, SEEN_TTL)

    async def _reply_with(self, key: str, openid: str, parts: list[str]) -> str | None:
        """The passive reply of a request whose answer is ready: its first part, unless it was pushed already."""
        if not parts:
            return None
        if await self._decide(key, "passive"):
            self._deliver(openid, parts[1:], FOLLOW_UP_DELAY)
            return parts[0]
        return parts[0] if await self.state.get("delivery", key) == "passive" else None

    async def _nothing_yet(self, key: str) -> str | None:
        """The passive reply of a request whose answer is not ready: None ("success": it will be pushed), or,
        without the customer-service API, a note that the answer is slow."""
        if self.api is None and await self.state.get("delivery", key) is None:
            return TOO_SLOW
        return None

    async def _wait(self, job: _Job, key: str, openid: str) -> str | None:
        """Waits up to `reply_timeout` for the job: its first part as the passive reply, or None ("success")."""
        job.waiting += 1
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(job.task), timeout=self.reply_timeout)
            if job.task.done() and not job.task.cancelled():
                return await self._reply_with(key, openid, job.task.result())
            return await self._nothing_yet(key)
        finally:
            job.waiting -= 1
            if job.waiting == 0 and job.task.done() and not job.task.cancelled() \
                    and await self._decide(key, "pushed"):
                self._deliver(openid, job.task.result(), 0)  # the answer came while the only request went away

    async def _wait_elsewhere(self, key: str, openid: str) -> str | None:
        """A retry of a message another process is answering (or answered): its answer, once it is there."""
        deadline = time.monotonic() + self.reply_timeout
        while True:
            answer = await self.state.get("answer", key)
            if answer is not None:
                return await self._reply_with(key, openid, json.loads(answer))
            if time.monotonic() >= deadline:
                return await self._nothing_yet(key)
            await asyncio.sleep(POLL)

    def _forget_old(self) -> None:
        """This process's jobs are kept as long as their message ids (the channel state forgets those itself)."""
        now = time.monotonic()
        while self._jobs:
            key, job = next(iter(self._jobs.items()))
            if now - job.created < SEEN_TTL and len(self._jobs) < JOBS_MAX:
                break
            self._jobs.popitem(last=False)

    # -- customer-service messages -------------------------------------------------------------------------

    def _spawn(self, coroutine: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _deliver(self, openid: str, parts: list[str], delay: float) -> None:
        """Sends `parts` through the customer-service API, after what was sent to this user before."""
        if not parts:
            return
        if self.api is None:
            logger.warning("wechat: %d message(s) for a user not sent: no AppID/AppSecret", len(parts))
            return
        previous = self._deliveries.get(openid)

        async def send() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            if delay:
                await asyncio.sleep(delay)
            await self._send(openid, parts)

        task = self._spawn(send())
        self._deliveries[openid] = task
        task.add_done_callback(lambda t: self._deliveries.pop(openid, None) if self._deliveries.get(openid) is t
                               else None)

    async def _send(self, openid: str, parts: list[str]) -> None:
        if self.api is None:   # _deliver sends nothing without the customer-service API
            return
        try:
            async with self.api.session() as session:
                for part in parts:
                    await self.api.send_text(session, openid, part)
        except (WeChatAPIError, aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            logger.warning("wechat: customer-service message not sent: %s", exc)
        except Exception:
            logger.exception("wechat: customer-service message not sent")
