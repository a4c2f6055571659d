"""What the fault scripts share: their own PostgreSQL, Redis, gunicorn and Celery, on 127.0.0.1 only.

Every script starts the services it breaks on free ports in a temporary directory and stops
them itself, so the shared PostgreSQL (5432) and Redis (6379) other people test against are
never touched. Everything is bounded: each wait has a deadline, and `run` stops the whole
script with SIGALRM if it overruns.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The scripts run as files (python tests/faults/x.py); the project itself must be importable too.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
SETTINGS = "tests.faults.settings"


class FaultFailed(Exception):
    """A measured property did not hold; the message says which."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise FaultFailed(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_until(predicate: Callable[[], object], *, timeout: float, interval: float = 0.1, what: str) -> object:
    """Poll `predicate` until it returns something true, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise FaultFailed(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def _as_postgres(command: list[str]) -> list[str]:
    # initdb refuses to run as root; the cluster then belongs to the postgres user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _pg_bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[4]))
    found = candidates[-1] if candidates else shutil.which(name)
    if not found:
        raise FaultFailed(f"PostgreSQL's {name} is not installed")
    return found


class Postgres:
    """A throwaway PostgreSQL cluster in a temporary directory, listening on 127.0.0.1:<port>."""

    def __init__(self, workdir: Path):
        self.dir = workdir / "pg"
        self.port = free_port()
        self.log = workdir / "postgres.log"

    def init(self) -> None:
        self.dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.dir.parent, "postgres")
            shutil.chown(self.dir, "postgres")
        subprocess.run(
            _as_postgres([_pg_bin("initdb"), "-D", str(self.dir), "-U", "postgres", "-A", "trust", "--no-sync"]),
            check=True,
            capture_output=True,
            timeout=60,
        )
        self.start()
        subprocess.run(
            [_pg_bin("createdb"), "-h", HOST, "-p", str(self.port), "-U", "postgres", "casetracker"],
            check=True,
            timeout=30,
        )

    def _ctl(self, *args: str, timeout: float = 30) -> None:
        command = _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.dir), *args])
        subprocess.run(command, check=True, timeout=timeout, stdout=subprocess.DEVNULL)

    def start(self) -> None:
        # fsync stays on: the scripts check that what was acknowledged survives a crash.
        # syncfs: after a crash, the data directory is synced in one call rather than file by file.
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses={HOST} -c max_connections=40"
            " -c recovery_init_sync_method=syncfs"
        )
        self._ctl("-w", "-t", "30", "-l", str(self.log), "-o", options, "start", timeout=40)

    def checkpoint(self) -> None:
        """Write out what the set-up wrote, so that a clean stop under test does not wait for it."""
        command = [_pg_bin("psql"), "-h", HOST, "-p", str(self.port), "-U", "postgres", "-qc", "CHECKPOINT"]
        subprocess.run(command, check=True, timeout=60)

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-w", "-t", "30", "-m", mode, "stop", timeout=40)

    def shutdown(self) -> None:
        if (self.dir / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                self.stop("immediate")

    @property
    def url(self) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/casetracker"


class Redis:
    """A Redis of our own on 127.0.0.1:<port>, keeping nothing on disk (a restart starts empty)."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.log = workdir / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--bind", HOST, "--port", str(self.port), "--save", "", "--appendonly", "no"]
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self.answers, timeout=10, what="Redis to answer")

    def answers(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"


class Service:
    """A process of ours (gunicorn, a Celery worker, beat) in its own process group, logging to a file."""

    def __init__(self, name: str, command: list[str], env: dict, workdir: Path):
        self.name = name
        self.log = workdir / f"{name}.log"
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for_log(self, text: str, *, timeout: float) -> None:
        def seen():
            if not self.alive():
                raise FaultFailed(f"{self.name} exited early:\n{self.tail()}")
            return text in self.log_text()

        wait_until(seen, timeout=timeout, interval=0.2, what=f"{self.name} to log {text!r}")

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self) -> None:
        """SIGKILL the whole group at once: the main process and every pool child, no goodbyes."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


class Article(http.server.BaseHTTPRequestHandler):
    """A news article on 127.0.0.1; counts every GET by path and can answer slowly."""

    hits: Counter = Counter()
    delay = 0.0
    lock = threading.Lock()

    def do_GET(self):  # noqa: N802 - http.server's naming
        with self.lock:
            self.hits[self.path] += 1
        time.sleep(self.delay)
        body = (
            "<!doctype html><html lang='en'><head><title>Court extends a sentence</title>"
            "<meta name='author' content='Fault reporter'></head><body><article>"
            "<h1>Court extends a sentence</h1><p>The court in Minsk extended the sentence of a political "
            f"prisoner by eighteen months, the rights group said. Page {self.path}.</p></article></body></html>"
        ).encode()
        with contextlib.suppress(OSError):  # the fetching worker was killed while it waited
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args):
        """Quiet."""


def article_server() -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer((HOST, 0), Article)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# Whatever the caller's environment says about these (.ci/run sets a broker and a database),
# the scripts' processes use only their own services.
OWN_SETTINGS = ("CELERY_", "DATABASE_", "DJANGO_", "MEDIA_", "CONN_", "OUTBOX_", "CACHE_", "SOURCE_FETCH_")


def app_env(postgres: Postgres, workdir: Path, *, redis: Redis | None = None, **extra) -> dict:
    """The environment of the app's processes (and of this script's own Django)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(OWN_SETTINGS)}
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        PYTHONPATH=str(ROOT),
        DATABASE_URL=postgres.url,
        MEDIA_ROOT=str(workdir / "media"),
        LOG_LEVEL="WARNING",
    )
    if redis is not None:
        env["CELERY_BROKER_URL"] = redis.url
    env.update({key: str(value) for key, value in extra.items()})
    return env


def django_setup(env: dict) -> None:
    """Configure this script's own Django exactly like the processes it starts."""
    for key in [key for key in os.environ if key.startswith(OWN_SETTINGS)]:
        del os.environ[key]
    os.environ.update(env)
    import django

    django.setup()


def researcher():
    """A staff member in the Researcher group, as the intake form would act for."""
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user("fault-researcher", password="not-used", is_staff=True)  # noqa: S106
    user.groups.add(Group.objects.get(name="Researcher"))
    return user


def source_save(user, url: str):
    """What the admin's "Add from article" does: save the source and queue its fetch, in one transaction."""
    from django.db import transaction

    from sources.intake import source_create_from_intake

    with transaction.atomic():
        return source_create_from_intake(acting_user=user, url=url)


def source_state(source_id: int) -> dict:
    """The source's fetch, its snapshots and its outbox row, read afresh."""
    from django.db import connections

    from outbox.models import OutboxMessage
    from sources.models import Source

    connections.close_all()  # the connection may predate a restart
    source = Source.objects.get(pk=source_id)
    messages = list(OutboxMessage.objects.filter(task_name="sources.source_fetch", args=[source_id]))
    return {
        "state": source.fetch_state,
        "error": source.fetch_error,
        "attempts": source.fetch_attempts,
        "snapshots": source.snapshots.count(),
        "outbox": [(m.sent_at is not None, m.attempts, m.last_error[:80]) for m in messages],
    }


def succeeded(services: list[Service], task: str) -> int:
    """How many runs of `task` the workers' logs report as finished."""
    return sum(
        1
        for service in services
        for line in service.log_text().splitlines()
        if f"Task {task}[" in line and "] succeeded in " in line
    )


def migrate(env: dict) -> None:
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=180,
    )


def worker_command(name: str, *extra: str) -> list[str]:
    return [
        str(VENV_BIN / "celery"),
        "-A",
        "casetracker",
        "worker",
        "--loglevel=INFO",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--hostname={name}-{os.getpid()}@%h",
        *extra,
    ]


def worker(name: str, env: dict, workdir: Path, *extra: str) -> Service:
    service = Service(name, worker_command(name, *extra), env, workdir)
    service.wait_for_log(" ready.", timeout=40)
    return service


def run(main: Callable[[argparse.Namespace, Path, contextlib.ExitStack], None], *, description: str) -> None:
    """Parse --short, give `main` a temporary directory and a cleanup stack, bound it, exit 0 or 1."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--short", action="store_true", help="the short form .ci/run uses (under a minute)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and its logs")
    args = parser.parse_args()
    limit = 120 if args.short else 600

    def overrun(signum, frame):
        raise FaultFailed(f"the script overran its {limit} s limit")

    def stopped(signum, frame):
        raise FaultFailed(f"stopped by signal {signum}")

    signal.signal(signal.SIGALRM, overrun)
    # Stopped from outside (CI cancelled): unwind, so that the services started are stopped too.
    signal.signal(signal.SIGTERM, stopped)
    signal.alarm(limit)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="casetracker-fault-"))
    status = 1
    try:
        with contextlib.ExitStack() as stack:
            if not args.keep:
                stack.callback(shutil.rmtree, workdir, ignore_errors=True)
            try:
                main(args, workdir, stack)
            except Exception as failure:  # noqa: BLE001 - any failure is reported with the services' logs
                if isinstance(failure, FaultFailed):
                    log(f"FAILED: {failure}")
                else:
                    traceback.print_exc()
                for log_file in sorted(workdir.glob("*.log")):
                    text = log_file.read_text(errors="replace").splitlines()[-25:]
                    print(f"---- last lines of {log_file.name} ----", *text, sep="\n")
            else:
                status = 0
    finally:
        signal.alarm(0)
    log(f"{'OK' if status == 0 else 'FAILED'} in {time.monotonic() - started:.1f} s")
    if args.keep:
        log(f"logs kept in {workdir}")
    sys.exit(status)
