"""The production topology on one machine: PostgreSQL, Redis, N Rasa instances and M action servers behind
nginx, configured as deploy/ configures them (deploy/nginx/*.conf, the environment of deploy/assistant.env.example).
Used by the production test (tests/test_production.py) and by `make bench` (scripts/bench.py production).

The Rasa instances are started as deploy/systemd/rasa@.service starts them (no --enable-api), with the repository's
endpoints.yml and credentials.yml; the tracker store and the lock store come from DATABASE_URL and REDIS_URL.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa

from tests.support import services
from tests.support.servers import MODEL, RASA, ROOT, ActionServer, _env, _wait, free_port

DEPLOY = ROOT / "deploy"


@dataclass
class RasaInstance:
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


@dataclass
class Topology:
    nginx: services.Nginx
    postgres: services.Postgres
    redis: services.Redis
    actions: list[ActionServer]
    instances: list[RasaInstance]
    workdir: Path
    env: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.nginx.url

    def webhook(self, sender: str, message: str, timeout: float = 60) -> tuple[list[dict], str]:
        """A REST turn through nginx: the replies and the Rasa instance that answered (nginx's X-Upstream). With a
        message id, as the web chat sends it, so that nginx may pass it on to another instance safely."""
        r = requests.post(f"{self.url}/webhooks/rest/webhook", timeout=timeout,
                          json={"sender": sender, "message": message, "message_id": uuid.uuid4().hex})
        r.raise_for_status()
        return r.json(), r.headers.get("X-Upstream", "")

    def kill(self, instance: RasaInstance, sig: int = signal.SIGKILL) -> None:
        os.kill(instance.proc.pid, sig)
        instance.proc.wait(timeout=60)

    def engine(self) -> sa.engine.Engine:
        return sa.create_engine(self.postgres.url)

    def stored(self, senders: list[str] | None = None) -> dict[str, list[dict]]:
        """Every stored event of each conversation, in the store's order (id), with its row id."""
        query = "SELECT id, sender_id, type_name, data FROM events"
        params: dict = {}
        if senders is not None:
            query += " WHERE sender_id = ANY(:senders)"
            params["senders"] = list(senders)
        out: dict[str, list[dict]] = {}
        engine = self.engine()
        try:
            with engine.connect() as conn:
                for row in conn.execute(sa.text(query + " ORDER BY id"), params):
                    out.setdefault(row.sender_id, []).append({"id": row.id, **json.loads(row.data)})
        finally:
            engine.dispose()
        return out

    def use_instances(self, instances: list[RasaInstance]) -> None:
        """nginx passes requests to these instances only (the others keep running)."""
        conf = self.nginx.folder / "nginx.conf"
        text = conf.read_text(encoding="utf-8")
        start = text.index("upstream assistant_rasa {")
        end = text.index("}", start)
        block = text[start:end]
        first = next(line for line in block.splitlines() if line.strip().startswith("server 127.0.0.1:"))
        options = first.strip().split(None, 2)[2]
        lines = [line for line in block.splitlines() if not line.strip().startswith("server 127.0.0.1:")]
        lines[1:1] = [f"        server 127.0.0.1:{i.port} {options}" for i in instances]
        conf.write_text(text[:start] + "\n".join(lines) + "\n" + text[end:], encoding="utf-8")
        self.nginx.reload()
        time.sleep(1.0)   # old workers finish; new ones take over


def start_rasa(workdir: Path, port: int, env: dict, model: Path = MODEL,
               credentials: Path | str = "credentials.yml", cwd: Path = ROOT) -> RasaInstance:
    log = workdir / f"rasa-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([RASA, "run", "-m", str(model), "--endpoints", "endpoints.yml", "--credentials",
                                 str(credentials), "-i", "127.0.0.1", "-p", str(port)],
                                cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    return RasaInstance(port, proc, log)


def wait_ready(instance: RasaInstance, seconds: int = 420) -> None:
    _wait(f"{instance.url}/", instance.proc, instance.log, seconds)


def stop(instance: RasaInstance) -> None:
    if instance.alive:
        instance.proc.terminate()
        try:
            instance.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            instance.proc.kill()
            instance.proc.wait()


@contextlib.contextmanager
def production(workdir: Path, instances: int = 2, action_servers: int = 1, env: dict | None = None,
               model: Path = MODEL) -> Iterator[Topology]:
    """The whole topology, started and stopped; `env` is added to the Rasa instances' environment (WeChat …)."""
    if not model.exists():
        raise RuntimeError(f"no trained model at {model}: run `make train` first")
    workdir.mkdir(parents=True, exist_ok=True)
    with services.postgres() as pg, services.redis() as rd, contextlib.ExitStack() as stack:
        actions = [ActionServer(workdir).start() for _ in range(action_servers)]
        for server in actions:
            stack.callback(server.stop)
        ports = [free_port() for _ in range(instances)]
        proxy = stack.enter_context(services.nginx(DEPLOY, ports, [a.port for a in actions],
                                                   ROOT / "assistant" / "web"))
        rasa_env = _env(workdir / "not-used.db", proxy.action_port,
                        {"DATABASE_URL": pg.url, "REDIS_URL": rd.url, "SQL_POOL_SIZE": "2", "SQL_MAX_OVERFLOW": "4",
                         **(env or {})})
        # all at once: Rasa copes with several processes creating the events table
        started = []
        for port in ports:
            instance = start_rasa(workdir, port, rasa_env, model)
            stack.callback(stop, instance)
            started.append(instance)
        with ThreadPoolExecutor(len(started)) as pool:
            list(pool.map(wait_ready, started))
        yield Topology(proxy, pg, rd, actions, started, workdir, rasa_env)


def stored_problems(events: list[dict], turns: list[tuple[str, list[dict], str]]) -> list[str]:
    """What is wrong with a conversation's stored events, compared with the turns as the client saw them."""
    problems = []
    datas = [json.dumps({k: v for k, v in e.items() if k != "id"}, sort_keys=True) for e in events]
    doubled = [d for d, n in Counter(datas).items() if n > 1]
    if doubled:
        problems.append(f"{len(doubled)} event(s) stored twice, e.g. {doubled[0][:200]}")
    starts = [e for e in events if e["event"] == "session_started"]
    restarts = [e for e in events if e["event"] == "restart"]   # "重新开始": a new session follows
    if len(starts) != 1 + len(restarts):
        problems.append(f"{len(starts)} session starts after {len(restarts)} restarts")
    users = [e for e in events if e["event"] == "user"]
    sent = [text for text, _, _ in turns]
    if [u.get("text") for u in users] != sent:
        problems.append(f"stored messages {[u.get('text') for u in users]} != sent {sent}")
        return problems
    times = [u["timestamp"] for u in users]
    if times != sorted(times) or len(set(times)) != len(times):
        problems.append("user messages stored out of time order")
    # the bot messages after each stored user message are the replies of that turn, in order (Rasa's REST channel
    # sends a message's text, with its buttons, and its custom payload as two replies)
    turn = -1
    bots: dict[int, list[tuple]] = {}
    for e in events:
        if e["event"] == "user":
            turn += 1
        elif e["event"] == "bot" and turn >= 0:
            bots.setdefault(turn, []).extend(_parts(e.get("text"), e.get("data") or {}))
    for n, (text, replies, _) in enumerate(turns):
        got = [part for r in replies for part in _parts(r.get("text"), r)]
        stored = bots.get(n, [])
        if stored != got:
            problems.append(f"turn {n} ({text!r}): stored replies differ from the replies received: "
                            + _difference(repr(stored), repr(got)))
    return problems


def _parts(text: str | None, data: dict) -> list[tuple]:
    """A bot message as the REST channel delivers it: its text (with buttons), image, attachment, custom payload."""
    parts: list[tuple] = []
    if text and data.get("buttons"):
        parts.append(("text", text, data["buttons"]))
    elif text:   # CollectingOutputChannel sends a text's paragraphs as separate messages
        parts += [("text", paragraph, None) for paragraph in text.strip().split("\n\n")]
    for key in ("custom", "image", "attachment"):   # OutputChannel.send_response's order
        if data.get(key):
            parts.append((key, data[key]))
    return parts


def _difference(a: str, b: str) -> str:
    """Where two texts part: a few characters of each from there."""
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"at character {at}: stored …{a[max(0, at - 30):at + 60]!r} received …{b[max(0, at - 30):at + 60]!r}"
