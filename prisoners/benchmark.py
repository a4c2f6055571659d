"""The scale benchmark: `manage.py bench [--vs-datasette] [--runs 7]` on the current database.

It prints one line per scenario:

    bench <scenario>: people=<N> app_ms=<median> sql_ms=<median> ratio=<app/sql> queries=<n>

How a scenario is measured:

- The app is served by a real WSGI server in this process: wsgiref's, on 127.0.0.1 at a free
  port, in front of Django's WSGI handler, so every request goes through HTTP and the whole
  middleware stack, with DEBUG off. The server handles each request on this thread while a
  client thread sends it and reads the whole answer: the request runs on this thread's database
  connection, so its statements can be recorded (and a test's data is what it sees). Every
  request is anonymous: no cookies, no session.
- The default cache is cleared before every app run, so app_ms is the cost of answering, not
  of a cache hit. (On Redis that empties the cache's Redis database: give CACHE_URL a database
  of its own.)
- A first run warms up what a worker keeps between requests (content types, templates). The
  next run's statements are recorded, on every database connection, as the SQL and the
  parameters the app passed (not with Django's CaptureQueriesContext: it keeps only the last
  9,000, an import makes more, and keeps them as text with the values merged in). queries= is
  how many there were.
- Then --runs times, alternately: the app run (app_ms), and those statements run alone through
  a cursor with every row fetched, in a transaction rolled back (sql_ms). Medians, in ms.
- stats_after_change is the statistics page as the first reader after a public change sees it:
  the stored tallies (prisoners.stats) are deleted before each run, so it derives them again.
  home, stats_page and stats_api_on_day read tallies already stored for the current state.
- export_csv streams the whole file once more under tracemalloc: peak_mb is the peak (MiB).
- import_rows imports a generated file of --import-rows rows in the import format with the
  public services (prisoners.imports.cases_file_import), in a transaction rolled back;
  rows_per_s is rows over the median app time. On PostgreSQL the sequences that a rolled-back
  import moved are set back, so every run and the replay get the same ids: run the benchmark
  on a database nobody else writes to.

With --vs-datasette the public list goes into a SQLite file (the CSV export's rows and columns,
read through Person.objects.public() and prisoners.presentation.exported_rows, so nothing private
can reach it), with an FTS5 index on the names and indexes on the columns the comparison
filters by (Datasette at its best, as its documentation advises). `datasette serve` serves it
on 127.0.0.1 in a subprocess, and each shared scenario is asked of both over HTTP, with the
same client code, runs interleaved (ours, theirs, ours, ...):

    bench datasette_<scenario>: people=<N> ours_ms=.. theirs_ms=.. ratio=<ours/theirs>
"""

from __future__ import annotations

import http.client
import importlib.util
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, connections, transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import translation

from sources.models import Citation

from .api import ByIdCursor
from .collation import family_name_first
from .imports import CasesFileRejected, cases_file_import
from .models import Person, StatsTally
from .presentation import CSV_COLUMNS, exported_rows
from .roles import SYSTEM
from .services import rows_copy_raw
from .synthetic import article_references_on_record, cases_csv

HOST = "127.0.0.1"
REQUEST_TIMEOUT = 300  # seconds; a 100,000-person stats page has taken half a minute
READ_SIZE = 1 << 20
FETCH_SIZE = 2000
SITEMAP_PATH = "/sitemap.xml"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# The public list's default page size (prisoners.views): Datasette is asked for as many rows.
LIST_PAGE_SIZE = 25
IMPORT_SEED = 20250621
DATASETTE_START_SECONDS = 60
DATASETTE_DATABASE = "casetracker"  # Datasette names a database by its file's stem
DATASETTE_MISSING = (
    "Datasette is not installed, so --vs-datasette cannot run. Install the bench extra: "
    ".venv/bin/pip install -e '.[bench]'"
)
NO_PUBLIC_PEOPLE = (
    "There are no public people to measure; fill a database first: manage.py generate_synthetic --people 10000"
)


class BenchError(Exception):
    """The benchmark cannot go on; the message says why, for the command line."""


class _RolledBack(Exception):
    pass


# --- HTTP ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes  # empty unless kept
    size: int
    seconds: float  # from sending the request to the last byte read


def http_get(port: int, path: str, *, keep_body: bool = True) -> Answer:
    """GET http://127.0.0.1:<port><path> on a new connection, reading the whole answer."""
    client = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    started = time.perf_counter()
    try:
        # As the TLS proxy in front of production says, so production settings answer instead of redirecting.
        client.request("GET", path, headers={"X-Forwarded-Proto": "https"})
        response = client.getresponse()
        parts, size = [], 0
        while chunk := response.read(READ_SIZE):
            size += len(chunk)
            if keep_body:
                parts.append(chunk)
        return Answer(response.status, b"".join(parts), size, time.perf_counter() - started)
    finally:
        client.close()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass  # one line per request on stderr otherwise


class AppServer:
    """Django's WSGI application behind wsgiref on 127.0.0.1, answering each request on the calling thread."""

    def __init__(self):
        self.httpd = WSGIServer((HOST, 0), _QuietHandler)
        self.httpd.set_app(WSGIHandler())
        self.httpd.timeout = REQUEST_TIMEOUT
        self.port = self.httpd.server_address[1]

    def get(self, path: str, *, keep_body: bool = True) -> Answer:
        """The answer to GET `path`, which this thread serves while a client thread asks and reads."""
        outcome: dict[str, Any] = {}

        def ask():
            try:
                outcome["answer"] = http_get(self.port, path, keep_body=keep_body)
            except Exception as error:  # reported on the calling thread below
                outcome["error"] = error

        client = threading.Thread(target=ask, daemon=True)
        client.start()
        self.httpd.handle_request()
        client.join(REQUEST_TIMEOUT)
        if "error" in outcome:
            raise BenchError(f"GET {path} failed: {outcome['error']}") from outcome["error"]
        if "answer" not in outcome:
            raise BenchError(f"GET {path}: no answer within {REQUEST_TIMEOUT} s")
        return outcome["answer"]

    def close(self) -> None:
        self.httpd.server_close()


@contextmanager
def app_served() -> Iterator[AppServer]:
    """The app served on 127.0.0.1 with DEBUG off, this thread's connections kept open between requests.

    Django closes a request's connections when it ends (close_old_connections); the test client
    leaves them open, and so does this: the statements are recorded on this thread's connection
    and replayed on it, and a test's transaction must outlive the requests.
    """
    with override_settings(DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, HOST]):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        server = AppServer()
        try:
            yield server
        finally:
            server.close()
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


# --- Statements: recorded on one run, replayed alone -------------------------------------


@dataclass(frozen=True)
class Statement:
    alias: str
    sql: str
    params: Any
    many: bool


class _Recorder:
    def __init__(self, alias: str, statements: list[Statement]):
        self.alias, self.statements = alias, statements

    def __call__(self, execute, sql, params, many, context):
        if many:
            params = list(params)  # an iterator would be spent by the first execution
        self.statements.append(Statement(self.alias, sql, params, many))
        return execute(sql, params, many, context)


@contextmanager
def statements_recorded() -> Iterator[list[Statement]]:
    """Every statement run on any database connection of this thread inside the block, in order."""
    statements: list[Statement] = []
    with ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(_Recorder(alias, statements)))
        yield statements


def replay_seconds(statements: list[Statement]) -> float:
    """How long the statements take alone, every row fetched, in transactions rolled back afterwards."""
    elapsed = 0.0
    try:
        with ExitStack() as stack:
            for alias in dict.fromkeys(statement.alias for statement in statements):
                stack.enter_context(transaction.atomic(using=alias))
            started = time.perf_counter()
            for statement in statements:
                if statement.sql.strip().upper() == "BEGIN":
                    continue  # SQLite's start of a transaction the replay is already in
                with connections[statement.alias].cursor() as cursor:
                    if statement.sql.startswith("COPY "):
                        rows_copy_raw(cursor.cursor, statement.sql, statement.params)
                    elif statement.many:
                        cursor.executemany(statement.sql, statement.params)
                    else:
                        cursor.execute(statement.sql, statement.params)
                    if cursor.description is not None:
                        while cursor.fetchmany(FETCH_SIZE):
                            pass
            elapsed = time.perf_counter() - started
            raise _RolledBack
    except _RolledBack:
        pass
    return elapsed


def _sequence_positions() -> dict[str, tuple[int, int | None]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format('%I.%I', schemaname, sequencename), start_value, last_value FROM pg_sequences "
            "WHERE schemaname = ANY (current_schemas(false))"
        )
        return {name: (start, last) for name, start, last in cursor.fetchall()}


@contextmanager
def sequences_set_back() -> Iterator[None]:
    """On PostgreSQL, put back the sequences the block moved: rolled-back inserts leave them advanced."""
    if connection.vendor != "postgresql":
        yield
        return
    before = _sequence_positions()
    try:
        yield
    finally:
        after = _sequence_positions()
        with connection.cursor() as cursor:
            for name, (start, last) in before.items():
                if after.get(name) != (start, last):
                    cursor.execute(
                        "SELECT setval(%s, %s, %s)", [name, start if last is None else last, last is not None]
                    )


# --- Scenarios -----------------------------------------------------------------------------------


Get = Callable[..., Answer]


@dataclass(frozen=True)
class PageScenario:
    name: str
    path: str
    streamed: bool = False  # read without keeping the body (the export)
    sitemap: bool = False  # an index: its first people page is part of the scenario
    # The first request after a public change: the stored statistics tallies are removed first
    # (untimed), so the request derives them again (prisoners.stats.tallies).
    tallies_removed: bool = False

    def prepare(self) -> None:
        """What comes before each request, neither timed nor recorded."""
        if self.tallies_removed:
            StatsTally.objects.all().delete()

    def run(self, get: Get) -> float:
        """Ask for the scenario's pages with `get(path, keep_body=...)`; the seconds they took."""
        answer = _ok(get(self.path, keep_body=not self.streamed), self.path)
        seconds = answer.seconds
        if self.sitemap and b"<sitemapindex" in answer.body:
            page = first_sitemap_page(answer.body)
            seconds += _ok(get(page, keep_body=False), page).seconds
        return seconds


def _ok(answer: Answer, path: str) -> Answer:
    if answer.status != 200:
        raise BenchError(f"GET {path} answered {answer.status}, not 200: {answer.body[:300]!r}")
    return answer


def first_sitemap_page(index: bytes) -> str:
    """The path of the first people page an index names (else its first page)."""
    root = ElementTree.fromstring(index)  # noqa: S314 the app's own sitemap, not untrusted input
    locations = [loc.text or "" for loc in root.iter(f"{SITEMAP_NS}loc")]
    if not locations:
        raise BenchError("The sitemap index names no page.")
    chosen = next((location for location in locations if "people" in location), locations[0])
    parts = urlsplit(chosen)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class Subjects:
    """What the scenarios ask about: how many public people, one of them, a surname in the data, a source."""

    people: int
    person: Person
    surname: str
    source_id: int | None  # a source of that person's record, if one is public


def subjects() -> Subjects:
    public = Person.objects.public().order_by("pk")
    count = public.count()
    if not count:
        raise BenchError(NO_PUBLIC_PEOPLE)
    person = public[count // 2]  # a typical one, the same on every run of the same data
    cited = Citation.objects.about(person).public_each_kind().values_list("source", flat=True).first()
    return Subjects(count, person, family_name_first(person.display_name)[0], cited)


def page_scenarios(about: Subjects) -> list[PageScenario]:
    """The request scenarios, in the order they are printed."""
    with translation.override(settings.LANGUAGE_CODE):
        people = reverse("prisoners:person_list")
        return [
            PageScenario("home", reverse("prisoners:home")),
            PageScenario("list_default", people),
            PageScenario("list_status_filter", f"{people}?status=imprisoned"),
            PageScenario("list_release_range", f"{people}?released_after=2025-01-01&released_before=2025-12-31"),
            PageScenario("search_q", f"{people}?{urlencode({'q': about.surname})}"),
            PageScenario("list_article_sort", f"{people}?article=342&sort=-sentence"),
            PageScenario("profile", about.person.get_absolute_url()),
            PageScenario("api_list", f"{reverse('api:person-list')}?status=imprisoned"),
            PageScenario("api_detail", reverse("api:person-detail", kwargs={"slug": about.person.slug})),
            *(
                [PageScenario("source_page", reverse("sources:source_detail", kwargs={"pk": about.source_id}))]
                if about.source_id
                else []
            ),
            PageScenario("stats_page", reverse("prisoners:stats")),
            PageScenario("stats_api_on_day", f"{reverse('api:stats')}?on=2024-06-01"),
            PageScenario("stats_after_change", reverse("prisoners:stats"), tallies_removed=True),
            PageScenario("sitemap", SITEMAP_PATH, sitemap=True),
            PageScenario("export_csv", reverse("prisoners:person_list_csv"), streamed=True),
        ]


@dataclass(frozen=True)
class Measured:
    app_ms: float
    sql_ms: float
    queries: int


def _measure(
    run: Callable[[], float],
    replay: Callable[[list[Statement]], float],
    runs: int,
    prepare: Callable[[], None] | None = None,
) -> Measured:
    """Warm up, record a run's statements, then time `runs` app runs and replays, alternately."""
    prepare = prepare or (lambda: None)
    # The warm-up fills what a worker keeps between requests (content types, templates), so the
    # recorded statements are those of every request, not of the first one only.
    cache.clear()
    prepare()
    run()
    cache.clear()
    prepare()
    with statements_recorded() as statements:
        run()
    app, sql = [], []
    for _ in range(runs):
        cache.clear()
        prepare()
        app.append(run())
        prepare()
        sql.append(replay(statements))
    return Measured(statistics.median(app) * 1000, statistics.median(sql) * 1000, len(statements))


def _line(name: str, people: int, measured: Measured, **extra: str) -> str:
    ratio = f"{measured.app_ms / measured.sql_ms:.2f}" if measured.sql_ms > 0 else "inf"
    line = (
        f"bench {name}: people={people} app_ms={measured.app_ms:.2f} sql_ms={measured.sql_ms:.2f} "
        f"ratio={ratio} queries={measured.queries}"
    )
    return line + "".join(f" {key}={value}" for key, value in extra.items())


def _peak_mb(server: AppServer, path: str) -> float:
    cache.clear()
    tracemalloc.start()
    try:
        _ok(server.get(path, keep_body=False), path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024 / 1024


def _import_once(data: bytes, *, record: bool = False) -> tuple[float, list[Statement]]:
    """One import of `data`, rolled back: its seconds, and with `record` the statements it ran."""
    elapsed, recorded = 0.0, []
    with sequences_set_back():
        try:
            # Recording starts inside the transaction: its BEGIN is the benchmark's, not the import's.
            with transaction.atomic(), statements_recorded() if record else nullcontext([]) as statements:
                started = time.perf_counter()
                try:
                    cases_file_import(acting_user=SYSTEM, data=data)
                except CasesFileRejected as rejected:
                    problems = "; ".join(str(error) for error in rejected.plan.errors_by_line()[:5])
                    raise BenchError(f"The generated import file was refused: {problems}") from rejected
                elapsed, recorded = time.perf_counter() - started, statements
                raise _RolledBack
        except _RolledBack:
            pass
    return elapsed, recorded


def _measure_import(data: bytes, runs: int) -> Measured:
    cache.clear()
    _import_once(data)
    cache.clear()
    _seconds, statements = _import_once(data, record=True)
    app, sql = [], []
    for _ in range(runs):
        cache.clear()
        app.append(_import_once(data)[0])
        with sequences_set_back():
            sql.append(replay_seconds(statements))
    return Measured(statistics.median(app) * 1000, statistics.median(sql) * 1000, len(statements))


def scenario_names() -> list[str]:
    """Every scenario `bench` measures, in the order it prints them."""
    pages = page_scenarios(Subjects(0, Person(slug="x"), "", source_id=1))
    return [scenario.name for scenario in pages] + ["import_rows"]


def bench_lines(*, runs: int, import_rows: int, only: set[str] | None = None) -> Iterator[str]:
    """Measure every scenario (or those in `only`) on the current database; one line each, as soon as measured."""
    about = subjects()
    with app_served() as server:
        for scenario in page_scenarios(about):
            if only and scenario.name not in only:
                continue
            measured = _measure(
                lambda scenario=scenario: scenario.run(server.get), replay_seconds, runs, prepare=scenario.prepare
            )
            if scenario.name == "export_csv":
                yield _line(scenario.name, about.people, measured, peak_mb=f"{_peak_mb(server, scenario.path):.1f}")
            else:
                yield _line(scenario.name, about.people, measured)
    if only and "import_rows" not in only:
        return
    data = cases_csv(rows=import_rows, seed=IMPORT_SEED, articles=article_references_on_record())
    measured = _measure_import(data, runs)
    rate = import_rows / (measured.app_ms / 1000) if measured.app_ms else float("inf")
    yield _line("import_rows", about.people, measured, rows_per_s=f"{rate:.1f}")


# --- Against Datasette ---------------------------------------------------------------------------


def datasette_available() -> bool:
    return importlib.util.find_spec("datasette") is not None


def public_list_sqlite(path: Path, *, url_prefix: str) -> int:
    """Write the public list to a new SQLite file as the CSV export has it, names searchable (FTS5); returns rows."""
    import sqlite3

    columns = ", ".join(f'"{column}" TEXT' for column in CSV_COLUMNS)
    placeholders = ", ".join("?" for _ in CSV_COLUMNS)
    database = sqlite3.connect(path)
    try:
        database.execute(f"CREATE TABLE prisoners ({columns})")
        rows = 0
        # The download's own rows (CSV_COLUMNS' order), before the CSV writer's formula guard.
        for batch in exported_rows(Person.objects.public(), url_prefix):
            database.executemany(f"INSERT INTO prisoners VALUES ({placeholders})", batch)  # noqa: S608 our columns
            rows += len(batch)
        for column in ("current_status", "released_on_earliest", "released_on_latest"):
            database.execute(f'CREATE INDEX "prisoners_{column}" ON prisoners ("{column}")')
        # Datasette finds a table's full-text index by content="<table>" and searches it with ?_search=.
        database.execute('CREATE VIRTUAL TABLE prisoners_fts USING fts5(name, name_be, name_ru, content="prisoners")')
        database.execute(
            "INSERT INTO prisoners_fts (rowid, name, name_be, name_ru) "
            "SELECT rowid, name, name_be, name_ru FROM prisoners"
        )
        database.commit()
    finally:
        database.close()
    return rows


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def datasette_served(database: Path, log: Path) -> Iterator[int]:
    """`datasette serve` on 127.0.0.1 at a free port, until it answers (bounded); always stopped afterwards."""
    port = _free_port()
    command = [sys.executable, "-m", "datasette", "serve", str(database), "--host", HOST, "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603 our own command
        try:
            deadline = time.monotonic() + DATASETTE_START_SECONDS
            while True:
                if process.poll() is not None:
                    raise BenchError(f"Datasette stopped on start: {log.read_text(errors='replace')[-2000:]}")
                try:
                    if http_get(port, "/-/versions.json").status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise BenchError(f"Datasette did not answer within {DATASETTE_START_SECONDS} s.")
                time.sleep(0.2)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def datasette_pairs(about: Subjects) -> list[tuple[str, str, str]]:
    """(scenario, our path, Datasette's path) for each scenario both can answer."""
    ours = {scenario.name: scenario.path for scenario in page_scenarios(about)}
    table = f"/{DATASETTE_DATABASE}/prisoners"
    page = f"_size={LIST_PAGE_SIZE}"
    return [
        ("status_filter", ours["list_status_filter"], f"{table}?current_status=imprisoned&{page}"),
        (
            "release_range",
            ours["list_release_range"],
            f"{table}?released_on_earliest__lte=2025-12-31&released_on_latest__gte=2025-01-01&{page}",
        ),
        ("name_search", ours["search_q"], f"{table}?{urlencode({'_search': about.surname})}&{page}"),
        (
            "json_list",
            ours["api_list"],
            f"{table}.json?current_status=imprisoned&_size={ByIdCursor.page_size}&_shape=objects",
        ),
        ("export_csv", ours["export_csv"], f"{table}.csv?_stream=on&_size=max"),
    ]


def datasette_lines(*, runs: int) -> Iterator[str]:
    """Each shared scenario asked of us and of Datasette, runs interleaved; one line each."""
    if not datasette_available():
        raise BenchError(DATASETTE_MISSING)
    about = subjects()
    with tempfile.TemporaryDirectory(prefix="casetracker-bench-") as folder, app_served() as server:
        database = Path(folder) / f"{DATASETTE_DATABASE}.db"
        with translation.override(settings.LANGUAGE_CODE):
            prefix = f"http://{HOST}:{server.port}{reverse('prisoners:person_list')}"
        public_list_sqlite(database, url_prefix=prefix)
        with datasette_served(database, Path(folder) / "datasette.log") as port:
            for name, ours, theirs in datasette_pairs(about):
                ours_seconds, theirs_seconds = [], []
                for run in range(runs + 1):  # the first of each is a warm-up
                    cache.clear()
                    ours_answer = _ok(server.get(ours, keep_body=False), ours)
                    theirs_answer = _ok(http_get(port, theirs, keep_body=False), theirs)
                    if run:
                        ours_seconds.append(ours_answer.seconds)
                        theirs_seconds.append(theirs_answer.seconds)
                ours_ms = statistics.median(ours_seconds) * 1000
                theirs_ms = statistics.median(theirs_seconds) * 1000
                ratio = f"{ours_ms / theirs_ms:.2f}" if theirs_ms else "inf"
                yield (
                    f"bench datasette_{name}: people={about.people} ours_ms={ours_ms:.2f} "
                    f"theirs_ms={theirs_ms:.2f} ratio={ratio}"
                )
