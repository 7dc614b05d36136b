"""Load for `make bench`: many scripted conversations of 10 turns over the REST webhook, a fixed number at once,
from one asyncio process (a thread per conversation would take a core from the servers it measures).

Every turn is checked as a resident would notice it: HTTP 200, an answer, not the fault message. The turns are
kept (message, replies, instance) so that the stored events can be compared with them afterwards.
"""
from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass, field

import aiohttp

# Four ways of talking, 10 turns each: answers, a question in the middle, a what-if, a handoff, a restart.
SCRIPTS = [
    ["你好", "工业园区", "28", "本科", "是的，全日制", "在苏州上班", "社保交了两年", "积分落户要多少分",
     "那如果我再交半年社保呢", "谢谢"],
    ["我想在昆山落户，需要什么条件", "32岁", "大专", "没有", "租房", "三年半", "为什么不能积分落户？", "我差多少分",
     "转人工", "好的谢谢"],
    ["您好，我今年28，本科毕业，在园区上班，社保交了两年多了，租的房子", "1", "是", "不知道", "跳过", "居住证办了两年",
     "人才落户需要什么材料", "重新开始", "你好", "谢谢"],
    ["你好", "吴中区", "45", "硕士", "是", "是", "二十四个月", "买房落户需要多大面积", "我有房子，九十平", "再见"],
]


@dataclass
class Run:
    turns: dict[str, list[tuple[str, list[dict], str]]] = field(default_factory=dict)   # sender -> turns
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def messages(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        xs = sorted(self.latencies)
        return xs[max(0, min(len(xs) - 1, int(round(p * len(xs))) - 1))] if xs else float("nan")

    def summary(self) -> str:
        return (f"{self.messages} messages in {self.seconds:.0f} s = {self.rate:.1f} msg/s; "
                f"p50 {self.percentile(.5) * 1000:.0f} ms, p95 {self.percentile(.95) * 1000:.0f} ms, "
                f"p99 {self.percentile(.99) * 1000:.0f} ms; errors {len(self.errors)}")


def run_load(url: str, conversations: int, concurrent: int, prefix: str, fault: str,
             scripts: list[list[str]] | None = None, max_seconds: float | None = None) -> Run:
    """`conversations` scripted conversations against `url` (a server's or nginx's), `concurrent` at once; no
    conversation starts after `max_seconds`."""
    return asyncio.run(_load(url, conversations, concurrent, prefix, fault, scripts or SCRIPTS, max_seconds))


async def _load(url: str, conversations: int, concurrent: int, prefix: str, fault: str,
                scripts: list[list[str]], max_seconds: float | None) -> Run:
    run = Run()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(conversations):
        queue.put_nowait(n)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=concurrent)) as session:

        async def conversation(n: int) -> None:
            sender = f"{prefix}-{n}"
            turns = run.turns.setdefault(sender, [])
            for message in scripts[n % len(scripts)]:
                start = time.perf_counter()
                try:
                    async with session.post(f"{url}/webhooks/rest/webhook",
                                            json={"sender": sender, "message": message,
                                                  "message_id": uuid.uuid4().hex}) as resp:
                        body = await resp.json(content_type=None) if resp.status == 200 else await resp.text()
                        upstream = resp.headers.get("X-Upstream", "")
                        status = resp.status
                except Exception as exc:
                    run.errors.append(f"{sender} {message!r}: {exc!r}")
                    return
                run.latencies.append(time.perf_counter() - start)
                if status != 200 or not isinstance(body, list) or not body:
                    run.errors.append(f"{sender} {message!r}: HTTP {status} {str(body)[:200]}")
                    return
                if any(r.get("text") == fault for r in body):
                    run.errors.append(f"{sender} {message!r}: the fault message")
                turns.append((message, body, upstream))

        async def worker() -> None:
            while max_seconds is None or time.perf_counter() - start < max_seconds:
                try:
                    n = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await conversation(n)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrent)))
        run.seconds = time.perf_counter() - start
    return run


def median_ms(xs: list[float]) -> float:
    return statistics.median(xs) * 1000 if xs else float("nan")
