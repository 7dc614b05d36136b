"""The assistant as `make run` starts it (scripts/run.sh, on free ports, its tracker store and logs in a temporary
folder): only the channels answer, on loopback only; Rasa's HTTP API is not there to be reached, with or
without a token; and the conversation tests run against it exactly as docs/conversation-tests.md tells policy staff, with
nothing else to set (their `utter` steps read the response names the REST channel gives every reply)."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from assistant.tools import conversation_tests as ct
from tests.support.servers import MODEL, ROOT, free_port

pytestmark = pytest.mark.servers  # real servers: `make test`, not `make unit`

# Rasa's HTTP API (rasa.server): every one of these answers when `--enable-api` is given.
API_ROUTES = [("GET", "/status"), ("GET", "/version"), ("GET", "/domain"), ("GET", "/conversations/a/tracker"),
              ("POST", "/conversations/a/messages"), ("POST", "/conversations/a/tracker/events"),
              ("POST", "/model/parse"), ("PUT", "/model"), ("POST", "/model/train"), ("GET", "/conversations/a/story")]


@contextlib.contextmanager
def make_run(work: Path) -> Iterator[dict]:
    """scripts/run.sh (what `make run` runs once the model exists) on free ports; stopped as Ctrl-C stops it."""
    if not MODEL.exists():
        raise RuntimeError(f"no trained model at {MODEL}: run `make train` first")
    ports = {"RASA_PORT": free_port(), "ACTION_PORT": free_port()}
    env = dict(os.environ, **{k: str(v) for k, v in ports.items()}, RASA_DB=str(work / "tracker.db"),
               LOG_DIR=str(work), RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3", LOG_LEVEL="WARNING")
    for name in ("DATABASE_URL", "REDIS_URL", "CONSOLE_TOKEN", "WECHAT_TOKEN"):
        env.pop(name, None)
    out = open(work / "run.out", "w")   # noqa: SIM115 (closed below, after the process)
    proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{ports['RASA_PORT']}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError((work / "run.out").read_text() + (work / "rasa.log").read_text()[-3000:])
            with contextlib.suppress(requests.RequestException):
                if requests.get(url + "/", timeout=2).status_code == 200 and \
                        "助手已启动" in (work / "run.out").read_text():
                    break
            time.sleep(1)
        else:
            raise RuntimeError("make run did not start within 300 s")
        yield {"url": url, **ports}
    finally:
        proc.send_signal(signal.SIGINT)     # Ctrl-C: run.sh stops both servers
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)   # its own process group: only what this test started
            proc.wait(timeout=30)
        out.close()


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    with make_run(tmp_path_factory.mktemp("make-run")) as started:
        yield started


def _listening(port: int) -> set[str]:
    """The local addresses with a socket listening on `port` (IPv4 and IPv6), from /proc/net/tcp*."""
    found = set()
    for name in ("tcp", "tcp6"):
        path = Path(f"/proc/net/{name}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:   # 0A: LISTEN
                found.add(address)
    return found


def _outside_address() -> str | None:
    """An address of this machine that is not loopback (the route to another network), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))   # UDP: nothing is sent
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_the_rasa_server_listens_on_loopback_only(running):
    assert _listening(running["RASA_PORT"]) == {"0100007F"}    # 127.0.0.1, nothing else (no 0.0.0.0, no ::)
    outside = _outside_address()
    if outside is not None:
        with socket.socket() as s, pytest.raises(OSError):
            s.settimeout(3)
            s.connect((outside, running["RASA_PORT"]))


@pytest.mark.parametrize("method, path", API_ROUTES)
def test_rasa_s_http_api_is_not_served_with_or_without_a_token(running, method, path):
    for params in ({}, {"token": "guess"}):
        r = requests.request(method, running["url"] + path, params=params, json={"text": "你好"}, timeout=30)
        assert r.status_code in (401, 403, 404, 405), (path, r.status_code, r.text[:200])


def test_the_channels_answer(running):
    r = requests.post(running["url"] + "/webhooks/rest/webhook", json={"sender": "make-run", "message": "你好"},
                      timeout=60)
    assert r.status_code == 200 and any(m.get("response") == "utter_greet" for m in r.json()), r.text
    assert requests.get(running["url"] + "/webhooks/web/", timeout=30).status_code == 200


def test_the_conversation_tests_pass_as_the_readme_runs_them(running, tmp_path):
    # the FAQ file: its every case has `utter` steps, which needed Rasa's HTTP API before
    junit = tmp_path / "faq.xml"
    done = subprocess.run([sys.executable, "-m", "assistant.tools.conversation_tests", "tests/conversations/faq.yml",
                           "--url", running["url"], "--junit", str(junit), "-q"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    cases = ct.load([ROOT / "tests" / "conversations" / "faq.yml"])
    assert f"{len(cases)} passed, 0 failed" in done.stdout
    assert any(s.kind == "utter" for c in cases for s in c.steps)
