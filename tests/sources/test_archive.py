"""Fetching a source from a local web server: snapshot, metadata, and readable failures."""

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from casetracker.celery import app
from outbox.models import OutboxMessage
from sources import fetching
from sources.archive import HTTP_ERROR, NOT_HTML, source_check_link, source_fetch, source_queue_fetch
from sources.models import FetchState, Snapshot, Source
from sources.tasks import check_all_links_task, source_check_link_task, source_fetch_task
from tests.prisoners.factories import StatusEventFactory
from tests.sources.factories import CitationFactory, SourceFactory

ARTICLE_003 = """<!doctype html><html lang="en"><head>
<title>Belarus frees 14 political prisoners</title>
<meta name="author" content="Staff reporter">
<meta property="og:site_name" content="Example Wire">
<meta property="article:published_time" content="2025-06-21">
</head><body><article><h1>Belarus frees 14 political prisoners</h1>
<p>Fourteen political prisoners, including prominent opposition figure Siarhei Tsikhanouski, have been
released by the Belarusian authorities in what appears to be a coordinated diplomatic move during the visit
of U.S. Special Envoy Keith Kellogg to Minsk.</p>
<p>In 2021, Tsikhanouski was sentenced to 18 years in a high-security penal colony on charges including
organising mass unrest and inciting hatred. In 2023, his sentence was extended by another 18 months.</p>
</article></body></html>"""


class Site(BaseHTTPRequestHandler):
    release = threading.Event()
    paths: list[str] = []  # every path asked for, so a test can tell nothing was

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.paths.append(self.path)
        if self.path == "/article-003":
            self._answer(200, "text/html; charset=utf-8", ARTICLE_003.encode())
        elif self.path == "/long-title":
            self._answer(200, "text/html", f"<html><head><title>{'T' * 5000}</title></head></html>".encode())
        elif self.path == "/verdict.pdf":
            self._answer(200, "application/pdf", b"%PDF-1.4 not a page")
        elif self.path == "/slow":
            self.release.wait(10)  # never answers before the client's timeout
            self._answer(200, "text/html", b"<p>too late</p>")
        else:
            self._answer(404, "text/html", b"<h1>Not found</h1>")

    def do_HEAD(self):  # noqa: N802
        self.paths.append(self.path)
        self._answer(200 if self.path == "/article-003" else 404, "text/html", b"")

    def _answer(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, *args):
        """Keep the test output free of the server's request log."""


@pytest.fixture(scope="module")
def server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    Site.release.set()
    server.shutdown()


@pytest.fixture
def site(server, settings):
    """The local server, which the fetcher refuses like any internal address unless a test allows it."""
    settings.SOURCE_FETCH_ALLOWED_TEST_ADDRESSES = ["127.0.0.1"]
    settings.SOURCE_FETCH_ALLOWED_PORTS = [int(server.rsplit(":", 1)[1])]
    Site.paths.clear()
    return server


@pytest.fixture(autouse=True)
def quick_timeouts(settings):
    settings.SOURCE_FETCH_TIMEOUT = 0.5
    settings.SOURCE_FETCH_RETRIES = 0


@pytest.mark.django_db
def test_fetching_archives_a_hashed_snapshot_and_fills_in_metadata(site):
    source = SourceFactory(url=f"{site}/article-003", title=f"{site}/article-003", outlet="", author="", published="")
    outcome = source_fetch(source_id=source.pk)
    source.refresh_from_db()
    assert source.fetch_state == FetchState.DONE and source.fetch_error == ""
    assert (source.title, source.outlet, source.author, source.published) == (
        "Belarus frees 14 political prisoners",
        "Example Wire",
        "Staff reporter",
        "2025-06-21",
    )
    assert "sentenced to 18 years" in source.text
    snapshot = outcome.snapshot
    assert len(snapshot.sha256) == 64 and snapshot.raw_html.startswith("<!doctype html>")
    assert snapshot.http_status == 200 and snapshot.fetched_at


@pytest.mark.django_db
def test_the_researchers_own_entries_win_over_the_pages(site):
    source = SourceFactory(url=f"{site}/article-003", title="My title", outlet="Viasna")
    source_fetch(source_id=source.pk)
    source.refresh_from_db()
    assert (source.title, source.outlet) == ("My title", "Viasna")


@pytest.mark.django_db
def test_fetching_the_same_page_twice_keeps_one_snapshot(site):
    source = SourceFactory(url=f"{site}/article-003")
    source_fetch(source_id=source.pk)
    source_fetch(source_id=source.pk)
    assert Snapshot.objects.filter(source=source).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", HTTP_ERROR.format(status=404, reason="Not Found")),
        ("/slow", "The site did not answer within 0.5 seconds. Try again later."),
        ("/verdict.pdf", NOT_HTML.format(content_type="application/pdf")),
    ],
)
def test_failures_end_as_readable_messages_and_the_source_is_kept(site, path, message):
    source = SourceFactory(url=f"{site}{path}", title="Kept whatever happens")
    source_fetch_task.apply(args=[source.pk])
    source.refresh_from_db()
    assert (source.fetch_state, source.fetch_error) == (FetchState.FAILED, message)
    assert source.title == "Kept whatever happens" and not source.snapshots.exists()


@pytest.mark.django_db
def test_the_fetch_is_queued_only_once_the_source_is_committed(site, django_capture_on_commit_callbacks):
    source = SourceFactory(url=f"{site}/article-003")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        source_queue_fetch(source=source)
    source.refresh_from_db()
    assert source.fetch_state == FetchState.QUEUED and len(callbacks) == 1


@pytest.mark.django_db
def test_researchers_edits_made_during_the_fetch_are_kept(site, monkeypatch):
    """The fetch takes seconds; a title typed meanwhile must not be overwritten by the page's."""
    source = SourceFactory(url=f"{site}/article-003", title=f"{site}/article-003", author="")
    real_fetch = fetching.fetch

    def fetch_while_a_researcher_edits(url, **kwargs):
        Source.objects.filter(pk=source.pk).update(title="Typed during the fetch")
        return real_fetch(url, **kwargs)

    monkeypatch.setattr(fetching, "fetch", fetch_while_a_researcher_edits)
    source_fetch(source_id=source.pk)
    source.refresh_from_db()
    assert (source.title, source.author, source.fetch_state) == ("Typed during the fetch", "Staff reporter", "done")
    assert source.history.filter(history_change_reason="metadata from the fetched page").count() == 1


@pytest.mark.django_db
def test_a_hostile_pages_overlong_title_is_cut_to_fit(site):
    source = SourceFactory(url=f"{site}/long-title", title=f"{site}/long-title")
    source_fetch(source_id=source.pk)
    source.refresh_from_db()
    assert source.fetch_state == FetchState.DONE and source.title == "T" * 500


@pytest.mark.django_db
def test_link_check_flags_dead_links(site):
    alive = source_check_link(source_id=SourceFactory(url=f"{site}/article-003").pk)
    dead = source_check_link(source_id=SourceFactory(url=f"{site}/gone").pk)
    assert (alive.link_is_dead, alive.link_status) == (False, 200)
    assert (dead.link_is_dead, dead.link_status) == (True, 404)


# The worker runs with its own settings, where no internal address is ever allowed: these prove
# the round trip through it and that it refuses the local server without contacting it.
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_fetch_runs_on_a_real_worker_when_one_is_running_and_refuses_internal_addresses(server):
    Site.paths.clear()
    source = Source.objects.create(url=f"{server}/article-003", title="queued")
    result = source_fetch_task.delay(source.pk)
    if os.environ.get("CELERY_WORKER_RUNNING"):
        assert result.get(timeout=60) == FetchState.FAILED
    source.refresh_from_db()
    assert (source.fetch_state, source.fetch_error) == (FetchState.FAILED, fetching.REFUSED)
    assert source.fetch_attempts == 1 and not source.snapshots.exists() and Site.paths == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_link_check_runs_on_a_real_worker_when_one_is_running_and_refuses_internal_addresses(server):
    Site.paths.clear()
    internal = Source.objects.create(url=f"{server}/article-003", title="internal")
    result = source_check_link_task.delay(internal.pk)
    if os.environ.get("CELERY_WORKER_RUNNING"):
        assert result.get(timeout=60) is True
    internal.refresh_from_db()
    assert internal.link_is_dead and internal.link_status is None and Site.paths == []


@pytest.fixture
def in_process_tasks():
    """Run tasks here even when a broker is set: the checks this queues are awaited by nobody."""
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = was_eager


@pytest.mark.django_db
def test_the_weekly_check_queues_one_check_per_linked_source_of_a_public_fact(
    site, in_process_tasks, django_capture_on_commit_callbacks
):
    public = CitationFactory(source__url=f"{site}/article-003").source
    private = CitationFactory(source__url=f"{site}/family-contact", is_private=True).source
    draft = CitationFactory(
        source__url=f"{site}/draft", content_object=StatusEventFactory(person__publication_state="draft")
    ).source
    uncited = SourceFactory(url=f"{site}/uncited")
    CitationFactory(source__url="")
    # The checks go through the outbox, sent when the queuing transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        assert check_all_links_task.delay().get() == 1
    assert OutboxMessage.objects.filter(task_name=source_check_link_task.name, args=[public.pk]).count() == 1
    for source in (public, private, draft, uncited):
        source.refresh_from_db()
    assert public.link_checked_at is not None and public.link_status == 200
    assert private.link_checked_at is draft.link_checked_at is uncited.link_checked_at is None
    assert Site.paths == ["/article-003"]  # the sites of unpublished sources hear nothing
