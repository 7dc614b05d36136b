"""Starts the real action server and Rasa server on loopback, and talks to the REST webhook.

Used by the end-to-end tests and by scripts/bench.py, so both measure the product as `make run` starts it.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
RASA = str(Path(sys.executable).with_name("rasa"))
MODEL = ROOT / "models" / "assistant.tar.gz"


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")) / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user and system, /proc/<pid>/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, log: Path, seconds: int) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {seconds}s:\n{log.read_text(errors='replace')[-3000:]}")


# Some input channels on a Sanic app of their own, without Rasa's agent (a second Rasa server would cost a model
# load): {channels} is the list's items, e.g. "WebChatInput(), ConsoleInput()"; the port is the argument.
CHANNELS_APP = """
import sys
from sanic import Sanic
from rasa.core.channels.channel import register
from assistant.channels.web import ConsoleInput, WebChatInput
app = Sanic("channels_only")
register([{channels}], app, route="/webhooks/")
app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=1, access_log=False, motd=False)
"""


@contextlib.contextmanager
def channels_app(channels: str, env: dict, log: Path, ready: str) -> Iterator[str]:
    """CHANNELS_APP with `channels` on a free port, its output in `log`: yields its base URL
    (http://127.0.0.1:<port>) once `ready`, a path under it, answers 200; stopped afterwards."""
    port = free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-c", CHANNELS_APP.format(channels=channels), str(port)], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base + ready, proc, log, 120)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@dataclass
class Servers:
    rasa_url: str
    action_url: str
    db: Path
    pids: dict = field(default_factory=dict)  # "rasa" / "actions" -> process id, for memory figures

    def webhook(self, sender: str, message: str) -> list[dict]:
        r = requests.post(f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message},
                          timeout=60)
        r.raise_for_status()
        return r.json()

    def tracker(self, sender: str) -> dict:
        return requests.get(f"{self.rasa_url}/conversations/{sender}/tracker", timeout=30).json()


def _env(db: Path, action_port: int, extra: dict | None = None) -> dict:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3", LOG_LEVEL="WARNING",
               SQLALCHEMY_SILENCE_UBER_WARNING="1", PYTHONPATH=str(ROOT), ACTION_PORT=str(action_port),
               RASA_DB=str(db))
    for name in ("DATABASE_URL", "REDIS_URL"):   # the embedded stores (SQLite, memory) unless a test asks
        env.pop(name, None)
    env.update(extra or {})
    return env


class ActionServer:
    """The real action server on a fixed port: a test can stop it, hang it (SIGSTOP) and start it again there."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir, self.port = workdir, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> ActionServer:
        log = self.workdir / "actions.log"
        with open(log, "a") as out:
            self.proc = subprocess.Popen([RASA, "run", "actions", "--actions", "actions", "--port", str(self.port)],
                                         cwd=ROOT, env=_env(self.workdir / "tracker.db", self.port), stdout=out,
                                         stderr=subprocess.STDOUT)
        _wait(f"{self.url}/health", self.proc, log, 120)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.resume()
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc = None

    @property
    def pid(self) -> int:
        assert self.proc is not None, "the action server was not started"
        return self.proc.pid

    def pause(self) -> None:
        """Hung, as a deadlocked server is: connections are accepted by the kernel, nothing answers."""
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)


@contextlib.contextmanager
def action_server(workdir: Path, port: int | None = None) -> Iterator[tuple[str, int, int]]:
    server = ActionServer(workdir, port).start()
    try:
        yield server.url, server.port, server.pid
    finally:
        server.stop()


@contextlib.contextmanager
def rasa_server(workdir: Path, action_port: int, db: Path, credentials: Path | str = "credentials.yml",
                env: dict | None = None) -> Iterator[tuple[str, int]]:
    """The Rasa server with the input channels of `credentials` and `env` added to its environment."""
    port = free_port()
    log = workdir / f"rasa-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([RASA, "run", "-m", str(MODEL), "--endpoints", "endpoints.yml", "--credentials",
                                 str(credentials), "-i", "127.0.0.1", "-p", str(port), "--enable-api"],
                                cwd=ROOT, env=_env(db, action_port, env), stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(f"http://127.0.0.1:{port}/", proc, log, 300)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@contextlib.contextmanager
def servers(workdir: Path, credentials: Path | str = "credentials.yml", env: dict | None = None) -> Iterator[Servers]:
    """Both servers, with an SQLite tracker store in `workdir` (and the Rasa server's `credentials` and `env`)."""
    if not MODEL.exists():
        raise RuntimeError(f"no trained model at {MODEL}: run `make train` first")
    db = workdir / "tracker.db"
    with action_server(workdir) as (action_url, action_port, action_pid), \
            rasa_server(workdir, action_port, db, credentials, env) as (rasa_url, rasa_pid):
        yield Servers(rasa_url, action_url, db, {"rasa": rasa_pid, "actions": action_pid})


# --- conversations ------------------------------------------------------------------------------------------

def payloads(replies: list[dict], kind: str) -> list[dict]:
    return [r["custom"] for r in replies if isinstance(r.get("custom"), dict) and r["custom"].get("type") == kind]


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies if r.get("text"))


def answer_for(ask: dict, profile: dict) -> str:
    """What a resident with this profile replies to an `ask` payload: the option's payload, or plain text."""
    name = ask["field"]
    if name not in profile or profile[name] is None:
        return "跳过"
    value = profile[name]
    for option in ask.get("options") or []:
        if option["value"] == value or (name == "target_area" and option["title"].endswith(str(value))):
            return option["payload"]
    if ask.get("options"):
        # an area alias such as 工业园区: typed as the resident would type it
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


@dataclass
class Outcome:
    assessment: dict | None
    questions: list[str]
    turns: int
    transcript: list[tuple[str, list[dict]]]


def interview(srv: Servers, sender: str, profile: dict, opening: str = "你好", max_turns: int = 40) -> Outcome:
    """Drives one conversation: the opening, then answers every `ask` until an assessment arrives."""
    transcript = []
    message = f"按{profile['as_of']}的规则评估" if profile.get("as_of") else opening
    questions: list[str] = []
    for turn in range(max_turns):
        replies = srv.webhook(sender, message)
        transcript.append((message, replies))
        found = payloads(replies, "assessment")
        if found:
            return Outcome(found[-1], questions, turn + 1, transcript)
        asks = payloads(replies, "ask")
        if not asks:
            if turn == 0 and profile.get("as_of"):
                message = opening
                continue
            raise AssertionError(f"no question and no answer after {message!r}: {json.dumps(replies, ensure_ascii=False)}")
        questions.append(asks[-1]["field"])
        message = answer_for(asks[-1], profile)
    raise AssertionError(f"no answer after {max_turns} turns: {questions}")
