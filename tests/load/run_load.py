"""A bounded load test of the public pages and API under gunicorn on 127.0.0.1, with locust.

    .venv/bin/python tests/load/run_load.py --short      # CI form: 20 s
    .venv/bin/python tests/load/run_load.py              # 90 s
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/load .venv/bin/python tests/load/run_load.py

It makes a database (a SQLite file in a temporary folder, or the DATABASE_URL given, which it
migrates and fills with `load_demo`: give it one made for the purpose), starts gunicorn on a
free port of 127.0.0.1 with tests/load/settings.py, waits until it answers, runs
tests/load/locustfile.py headless for a fixed time, stops gunicorn and prints, per endpoint and
in total, requests, failures, requests per second and the 50th and 95th percentile latency.
It exits non-zero if any request failed (anything but a 200 is a failure) or none was made.
Every request goes to 127.0.0.1; the run stops by itself after --run-time seconds.
"""

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).resolve().with_name("locustfile.py")
SETTINGS = "tests.load.settings"
HOST = "127.0.0.1"
SHORT_SECONDS = 20
LONG_SECONDS = 90
MAX_SECONDS = 300  # "a couple of minutes" at most, whatever is asked
READY_PATH = "/api/v1/prisoners/"


def main() -> int:
    args = parse_args()
    run_time = args.run_time or (SHORT_SECONDS if args.short else LONG_SECONDS)
    if not 1 <= run_time <= MAX_SECONDS:
        sys.exit(f"--run-time must be between 1 and {MAX_SECONDS} seconds")
    with tempfile.TemporaryDirectory(prefix="casetracker-load-") as tmp:
        work = Path(tmp)
        env = server_env(args.database_url, work)
        print(f"database: {describe(env['DATABASE_URL'])}", flush=True)
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        manage(env, "load_demo")
        port = free_port()
        log = work / "gunicorn.log"
        server = start_gunicorn(env, port, args.workers, log)
        try:
            wait_until_ready(server, port, log)
            results_file = work / "results.json"
            locust_status = run_locust(port, args, run_time, results_file)
        finally:
            stop(server)
        results = read_results(results_file)
        print_table(results["rows"], run_time, args.users, args.workers)
        return verdict(results, locust_status, log)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--short", action="store_true", help=f"the CI form: {SHORT_SECONDS} s instead of {LONG_SECONDS} s"
    )
    parser.add_argument("--run-time", type=int, help=f"seconds of load (at most {MAX_SECONDS}); overrides --short")
    parser.add_argument("--users", type=int, default=6, help="concurrent readers, each without think time (6)")
    parser.add_argument("--spawn-rate", type=float, default=6, help="readers started per second (6)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (3, for 2 cores)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="database to migrate and load the demo into (default: $DATABASE_URL, else a temporary SQLite file)",
    )
    parser.add_argument(
        "--csv-prefix", help="also keep locust's own CSV files, PREFIX_stats.csv and the rest (default: none)"
    )
    return parser.parse_args()


def server_env(database_url: str, work: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOCUST_")}
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DATABASE_URL=database_url or f"sqlite:///{work / 'db.sqlite3'}",
        MEDIA_ROOT=str(work / "media"),  # the demo's photos and documents, not build/test_media
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    return env


def describe(url: str) -> str:
    """The URL without a password."""
    scheme, sep, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    return f"{scheme}{sep}{credentials.split(':')[0]}{at}{location}" if at else url


def manage(env: dict[str, str], *command: str) -> None:
    subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "casetracker.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--error-logfile",
        str(log),
        "--log-level",
        "warning",
    ]
    print(f"gunicorn: {workers} workers on http://{HOST}:{port}", flush=True)
    # Its own session, so stop() can end the workers too should the master not.
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def wait_until_ready(server: subprocess.Popen, port: int, log: Path, timeout: float = 60) -> None:
    url = f"http://{HOST}:{port}{READY_PATH}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with status {server.returncode} during start-up:\n{tail(log)}")
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            urllib.request.urlopen(url, timeout=5) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.5)
    sys.exit(f"gunicorn did not answer {url} with 200 within {timeout:.0f} s:\n{tail(log)}")


def run_locust(port: int, args: argparse.Namespace, run_time: int, results_file: Path) -> int:
    command = [
        sys.executable,
        "-m",
        "locust",
        "--headless",
        "--locustfile",
        str(LOCUSTFILE),
        "--host",
        f"http://{HOST}:{port}",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{run_time}s",
        "--stop-timeout",
        "10",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    if args.csv_prefix:
        Path(args.csv_prefix).parent.mkdir(parents=True, exist_ok=True)
        command += ["--csv", args.csv_prefix]
    env = {**os.environ, "LOAD_RESULTS_FILE": str(results_file)}
    print(f"locust: {args.users} users for {run_time} s", flush=True)
    # Bounded even if locust hangs: its run time, the stop timeout and a margin.
    return subprocess.run(command, cwd=ROOT, env=env, timeout=run_time + 120).returncode


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()  # gunicorn's graceful stop: workers finish their request and exit
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def read_results(results_file: Path) -> dict:
    """The final figures the locustfile wrote when locust quit."""
    if not results_file.exists():
        sys.exit(f"locust wrote no results ({results_file} is missing)")
    return json.loads(results_file.read_text())


def print_table(rows: list[dict], run_time: int, users: int, workers: int) -> None:
    columns = ("endpoint", "requests", "failures", "req/s", "p50 ms", "p95 ms")
    lines = [
        (
            row["name"],
            str(row["requests"]),
            str(row["failures"]),
            f"{row['rps']:.1f}",
            f"{row['p50']:.0f}",
            f"{row['p95']:.0f}",
        )
        for row in rows
    ]
    width = max(len(columns[0]), *(len(line[0]) for line in lines))
    print(f"\n{run_time} s, {users} users without think time, gunicorn {workers} sync workers on {HOST}")
    print(f"{columns[0]:<{width}}" + "".join(f"{title:>10}" for title in columns[1:]))
    for line in lines:
        if line[0] == "total":
            print("-" * (width + 10 * (len(columns) - 1)))
        print(f"{line[0]:<{width}}" + "".join(f"{value:>10}" for value in line[1:]))


def verdict(results: dict, locust_status: int, log: Path) -> int:
    total = next(row for row in results["rows"] if row["name"] == "total")
    requests, failed = total["requests"], total["failures"]
    problems = []
    if requests == 0:
        problems.append("no request was made")
    if failed:
        problems.append(f"{failed} of {requests} requests failed:")
        problems += [f"  {error['occurrences']} x GET {error['name']}: {error['error']}" for error in results["errors"]]
    if locust_status != 0 and not problems:
        problems.append(f"locust exited with status {locust_status}")
    if not problems:
        print(f"\nOK: {requests} requests, every one a 200")
        return 0
    print("\nFAILED: " + "\n".join(problems), file=sys.stderr)
    if log.exists() and log.stat().st_size:
        print(f"---- gunicorn log ----\n{tail(log)}", file=sys.stderr)
    return 1


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


if __name__ == "__main__":
    sys.exit(main())
