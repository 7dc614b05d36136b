"""Real PostgreSQL, Redis and nginx from Debian's packages, started on loopback on free ports in a temporary
folder, for the production test and `make bench` (tests/support/topology.py). Nothing is installed or changed
outside that folder; the servers are child processes and stop with the context.

`make services` (run by `make test` and `make test-production`) installs the packages when they are missing
and we may (root with apt-get, as in CI). `missing()` names what is still missing, so that a test can say why
it is skipped.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import free_port

PACKAGES = {"postgresql": "postgresql", "redis-server": "redis-server", "nginx": "nginx"}


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def missing() -> list[str]:
    """The Debian packages whose servers are not on this machine."""
    gone = []
    if _pg_bin() is None:
        gone.append("postgresql")
    if shutil.which("redis-server") is None:
        gone.append("redis-server")
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        gone.append("nginx")
    return gone


def ensure_installed() -> list[str]:
    """Installs the missing packages with apt-get when we are root (quietly); returns what is still missing."""
    gone = missing()
    if gone and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *gone], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return missing()


def _wait_port(port: int, proc: subprocess.Popen | None, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds}s:\n{log.read_text(errors='replace')[-2000:]}")


def _stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _shared_dir(prefix: str) -> Path:
    """A temporary folder other users (postgres, nginx's workers) may enter."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


# --- PostgreSQL -------------------------------------------------------------------------------------------------

@dataclass
class Postgres:
    port: int
    url: str          # postgresql://rasa:<password>@127.0.0.1:<port>/rasa
    folder: Path


@contextlib.contextmanager
def postgres() -> Iterator[Postgres]:
    """A new cluster (initdb) with a password-protected superuser `rasa` and a database `rasa`. As root, the
    server runs as the `postgres` user (PostgreSQL refuses root)."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    folder = _shared_dir("assistant-pg-")
    data, password = folder / "data", secrets.token_hex(12)
    (folder / "pw").write_text(password)
    port = free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (folder, folder / "pw"):
            os.chown(path, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    log = folder / "postgres.log"
    subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "rasa", f"--pwfile={folder / 'pw'}",
                    "-A", "scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
    subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w",
                    "-t", "60", "start"], check=True, stdout=subprocess.DEVNULL)
    try:
        env = dict(os.environ, PGPASSWORD=password)
        subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "rasa", "rasa"],
                       check=True, env=env)
        yield Postgres(port, f"postgresql://rasa:{password}@127.0.0.1:{port}/rasa", folder)
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)


# --- Redis ----------------------------------------------------------------------------------------------------------

@dataclass
class Redis:
    port: int
    url: str          # redis://:<password>@127.0.0.1:<port>/0


@contextlib.contextmanager
def redis() -> Iterator[Redis]:
    """A Redis server with a password, no persistence, as a child process."""
    folder = _shared_dir("assistant-redis-")
    port, password = free_port(), secrets.token_hex(12)
    log = folder / "redis.log"
    conf = folder / "redis.conf"   # the password in a file, not on the command line
    conf.write_text(f"port {port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndir {folder}\nlogfile {log}\n"
                    f"requirepass {password}\n")
    proc = subprocess.Popen(["redis-server", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc, log)
        yield Redis(port, f"redis://:{password}@127.0.0.1:{port}/0")
    finally:
        _stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


# --- nginx --------------------------------------------------------------------------------------------------------

@dataclass
class Nginx:
    port: int             # the public server (plain HTTP here; TLS in deploy/nginx/assistant.conf)
    action_port: int      # the action servers' upstream, for the Rasa instances
    url: str
    folder: Path
    proc: subprocess.Popen

    def reload(self) -> None:
        subprocess.run(["nginx", "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"), "-s", "reload"],
                       check=True, stderr=subprocess.DEVNULL)


def _upstreams(deploy: Path, rasa_ports: list[int], action_ports: list[int]) -> str:
    """deploy/nginx/upstreams.conf with this run's ports instead of the example ones: the first `server` line of
    each upstream (with its options) once per port, the other example lines left out."""
    text = (deploy / "nginx" / "upstreams.conf").read_text(encoding="utf-8")
    ports = {"assistant_rasa": rasa_ports, "assistant_actions": action_ports}
    out: list[str] = []
    block, done = None, False
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["upstream"]:
            block, done = words[1], False
        elif words[:1] == ["}"]:
            block = None
        elif block and words[:1] == ["server"] and words[1].startswith("127.0.0.1:"):
            if not done:
                options = " ".join(words[2:]) or ";"
                out += [f"        server 127.0.0.1:{p} {options}" for p in ports[block]]
                done = True
            continue
        out.append(line)
    return "\n".join(out)


@contextlib.contextmanager
def nginx(deploy: Path, rasa_ports: list[int], action_ports: list[int], web_root: Path) -> Iterator[Nginx]:
    """nginx with deploy/nginx/upstreams.conf (this run's ports) and deploy/nginx/locations.conf as deployed,
    in a plain-HTTP server on a free port, and the action servers' internal listener on another."""
    folder = _shared_dir("assistant-nginx-")
    port, action_port = free_port(), free_port()
    (folder / "logs").mkdir()
    shutil.copy(deploy / "nginx" / "locations.conf", folder / "locations.conf")
    locations = (deploy / "nginx" / "locations.conf").read_text(encoding="utf-8")
    locations = locations.replace("/srv/assistant/assistant/web", str(web_root))
    (folder / "locations.conf").write_text(locations, encoding="utf-8")
    user = "user root root;\n" if os.geteuid() == 0 else ""
    conf = f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
{_upstreams(deploy, list(rasa_ports), list(action_ports))}
    server {{
        listen 127.0.0.1:{port};
        access_log {folder}/logs/access.log assistant;
        add_header X-Upstream $upstream_addr always;   # tests only: which instance answered
        include {folder}/locations.conf;
    }}
    server {{
        listen 127.0.0.1:{action_port};
        include {deploy / 'nginx' / 'actions.conf'};
    }}
}}
"""
    (folder / "nginx.conf").write_text(conf, encoding="utf-8")
    log = folder / "logs" / "error.log"
    check = subprocess.run(["nginx", "-t", "-q", "-p", str(folder), "-c", str(folder / "nginx.conf")],
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t:\n{check.stderr}\n{conf}")
    proc = subprocess.Popen(["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc, log)
        yield Nginx(port, action_port, f"http://127.0.0.1:{port}", folder, proc)
    finally:
        _stop(proc)
        shutil.rmtree(folder, ignore_errors=True)
