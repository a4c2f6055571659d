"""The fetcher reaches the public internet only, within limits, and its failures never reach the page as a 500."""

import contextlib
import gzip
import ipaddress
import re
import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpcore
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from casetracker.celery import app
from sources import fetching
from sources.archive import HTTP_ERROR, NOT_HTML, source_fetch
from sources.intake import SourceExists, source_create_from_intake
from sources.models import FetchState, Source, SourceQuerySet
from sources.tasks import source_fetch_task
from tests.sources.factories import SourceFactory

PUBLIC_IP = "93.184.215.14"
PAGE = b"<!doctype html><html><head><title>Verdict</title></head><body><p>Sentenced.</p></body></html>"
# What the fake resolver answers; a name missing here is not found. No test asks a DNS server.
NAMES = {
    "news.example": [PUBLIC_IP],
    "dual.example": [PUBLIC_IP, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    "rebind.example": ["127.0.0.1"],
    "metadata.example": ["169.254.169.254"],
    "half.example": [PUBLIC_IP, "10.0.0.7"],
    "mapped.example": ["::ffff:10.0.0.7"],
    "lan.example": ["192.168.1.10"],
}
CLASS_NAME = re.compile(r"[A-Z][a-z]+(Error|Exception|Timeout|Refused|Reset)")


@pytest.fixture(autouse=True)
def no_dns(monkeypatch):
    """The resolver hook answers from NAMES, and any lookup of a name by the system fails the test."""
    lookups = []

    def resolve(host, port):
        lookups.append(host)
        if host not in NAMES:
            raise socket.gaierror(socket.EAI_NONAME, "not known")
        return list(NAMES[host])

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        ipaddress.ip_address(host)  # a name here would be a DNS lookup behind the checks' back
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(fetching, "resolve", resolve)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


@pytest.fixture
def connections(monkeypatch):
    """Every TCP connection the fetcher tries, none of them made."""
    tried = []

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        tried.append((host, port))
        raise httpcore.ConnectError("test: no network")

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect_tcp)
    return tried


@pytest.fixture(autouse=True)
def limits(settings):
    settings.SOURCE_FETCH_TIMEOUT = 5
    settings.SOURCE_FETCH_DEADLINE = 10
    settings.SOURCE_FETCH_MAX_BYTES = 64 * 1024
    settings.SOURCE_FETCH_RETRIES = 3


def refusal(url):
    with pytest.raises(fetching.FetchError) as caught:
        fetching.fetch(url)
    return caught.value


# --- Address checks, before any connection ------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "https://127.0.0.1:443/admin/",
        "http://127.0.0.1:6379/",  # internal whatever the port
        "http://127.0.0.1./",
        "http://127.0.0.2/",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://api.localhost/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://2130706433/",  # decimal
        "http://0177.0.0.1/",  # octal
        "http://0x7f.0.0.1/",  # hex
        "http://0x7f000001/",
        "http://017700000001/",
        "http://127.1/",  # short
        "http://0/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://10.0.0.5/",
        "http://172.16.3.4/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",  # shared address space (carrier NAT)
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[fec0::1]/",
        "http://224.0.0.1/",
        "http://[ff02::1]/",
        "http://240.0.0.1/",  # reserved
        "http://255.255.255.255/",
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[64:ff9b::a00:7]/",  # NAT64 of 10.0.0.7
        "http://user:password@127.0.0.1/",
        "http://news.example@127.0.0.1/",
        "http://redis/",  # a single label only a local network knows
        "http://printer.local/",
        "http://db.internal/",
        "http://router.home.arpa/",
        "http://rebind.example/",  # a public-looking name that resolves to 127.0.0.1
        "http://metadata.example/",
        "http://half.example/",  # one address of several is internal
        "http://mapped.example/",
        "http://lan.example/",
    ],
)
def test_every_form_of_an_internal_address_is_refused_in_one_sentence_before_any_connection(url, connections):
    error = refusal(url)
    assert error.message == fetching.REFUSED and not error.transient
    assert connections == []


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://news.example/", PUBLIC_IP),
        (f"http://{PUBLIC_IP}/", PUBLIC_IP),
        ("http://1572394766/", PUBLIC_IP),  # the same address in decimal
        ("http://[2606:4700:4700::1111]/", "2606:4700:4700::1111"),
        (f"http://[::ffff:{PUBLIC_IP}]/", PUBLIC_IP),
    ],
)
def test_public_addresses_are_fetched_at_the_address_checked(url, address, connections):
    refusal(url)  # the connection itself fails here: no network in tests
    assert [host for host, _port in connections] == [address]


@pytest.mark.parametrize("url", ["ftp://news.example/file", "file:///etc/passwd", "gopher://news.example/"])
def test_only_http_and_https_are_fetched(url, connections):
    assert refusal(url).message == fetching.BAD_SCHEME and connections == []


def test_only_the_web_ports_are_fetched_unless_a_setting_allows_more(settings, connections):
    assert refusal("http://news.example:6379/").message == fetching.BAD_PORT.format(ports="80, 443")
    assert connections == []
    settings.SOURCE_FETCH_ALLOWED_PORTS = [80, 443, 8080]
    refusal("http://news.example:8080/")
    assert connections == [(PUBLIC_IP, 8080)]


def test_the_connection_goes_to_the_address_that_was_checked(connections, no_dns, monkeypatch):
    """DNS rebinding: the name answers a public address for the check and 127.0.0.1 afterwards."""
    answers = iter([[PUBLIC_IP]])

    def resolve(host, port):
        no_dns.append(host)
        return next(answers, ["127.0.0.1"])

    monkeypatch.setattr(fetching, "resolve", resolve)
    error = refusal("https://flip.example/article")
    assert connections == [(PUBLIC_IP, 443)] and no_dns == ["flip.example"]
    assert error.message == fetching.UNREACHABLE.format(reason="the connection could not be made")


def test_a_lookup_that_never_answers_ends_at_the_fetch_deadline(connections, monkeypatch, settings):
    """getaddrinfo has no timeout of its own; a hostile name server must not hold the worker."""
    settings.SOURCE_FETCH_DEADLINE = 0.3
    released = threading.Event()

    def resolve(host, port):
        released.wait(timeout=30)  # answers only when the test lets it, far past the deadline
        return [PUBLIC_IP]

    monkeypatch.setattr(fetching, "resolve", resolve)
    started = time.monotonic()
    try:
        error = refusal("https://slow-dns.example/")
    finally:
        released.set()
    assert time.monotonic() - started < 5
    assert error.message == fetching.LOOKUP_TOO_SLOW.format(seconds="0.3") and error.transient
    assert connections == []  # the late answer is never connected to


def test_every_checked_address_of_a_name_is_tried_in_turn(connections):
    refusal("https://dual.example/")
    assert connections == [(PUBLIC_IP, 443), ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", 443)]


def test_a_name_that_does_not_resolve_reads_as_such(connections):
    error = refusal("https://nowhere.example/")
    assert error.message == fetching.NOT_FOUND and error.transient and connections == []


def test_with_a_proxy_literal_and_local_addresses_are_still_refused_and_nothing_is_resolved(
    settings, connections, no_dns
):
    settings.SOURCE_FETCH_PROXY = "socks5://127.0.0.1:9050"
    for url in ("http://10.0.0.5/", "http://2130706433/", "http://[::1]/", "http://localhost/", "http://redis/"):
        assert refusal(url).message == fetching.REFUSED
    assert connections == [] and no_dns == []


def test_a_proxy_setting_that_is_not_a_proxy_is_a_readable_failure(settings, connections):
    settings.SOURCE_FETCH_PROXY = "ftp://proxy.example:21"
    assert refusal("https://news.example/").message == fetching.BAD_PROXY and connections == []


# --- Against a local server -------------------------------------------------------------------------

release = threading.Event()  # lets stalled handlers go at the end of the module
seen: list[dict] = []  # every request the local server received


class Site(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        seen.append({"line": self.requestline, "host": self.headers.get("Host"), "ua": self.headers["User-Agent"]})
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        if path == "/article":
            self._head(200, "text/html; charset=utf-8", len(PAGE))
            self.wfile.write(PAGE)
        elif path == "/redirect":
            self.send_response(302)
            self.send_header("Location", query["to"][0])
            self.end_headers()
        elif path.startswith("/hops/"):
            left = int(path.rsplit("/", 1)[1])
            self.send_response(301)
            self.send_header("Location", f"/hops/{left - 1}" if left > 1 else "/article")
            self.end_headers()
        elif path == "/unavailable":
            self._head(503, "text/html", 0)
        elif path == "/declared-huge":  # announces 1 GB, then sends nothing
            self._head(200, "text/html", 1024**3)
            release.wait(10)
        elif path == "/endless":  # no length: sends until the client hangs up
            self._head(200, "text/html", None)
            self._send(b"<p>" + b"x" * 4096 for _ in range(10_000))
        elif path == "/bomb":  # 300 kB of HTML in 1 kB of gzip
            body = gzip.compress(b"<p>" + b"0" * 300_000)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif path == "/trickle":  # a chunk every half second, for ever
            self._head(200, "text/html", None)
            self._send(self._slowly(b"<p>drip</p>", 0.5, times=60))
        elif path == "/stall":  # one byte, then nothing for longer than any timeout in the test
            self._head(200, "text/html", None)
            self._send([b"<"])
            release.wait(10)
        elif path == "/verdict.zip":  # the type is in the headers; the body never comes
            self._head(200, "application/zip", 10_000_000)
            release.wait(10)
        else:
            self._head(404, "text/html", 0)

    def _head(self, status, content_type, length):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _send(self, chunks):
        with contextlib.suppress(OSError):  # the client stopped reading, as it should
            for chunk in chunks:
                self.wfile.write(chunk)
                self.wfile.flush()

    @staticmethod
    def _slowly(chunk, seconds, *, times):
        for _ in range(times):
            yield chunk
            if release.wait(seconds):  # the server thread waits, never the test
                return

    def log_message(self, *args):
        """Keep the test output free of the server's request log."""


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    release.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def site(settings, server, monkeypatch):
    """The local server as news.example, allowed through the test-only settings."""
    settings.SOURCE_FETCH_ALLOWED_TEST_ADDRESSES = ["127.0.0.1"]
    settings.SOURCE_FETCH_ALLOWED_PORTS = [80, 443, server]
    monkeypatch.setitem(NAMES, "news.example", ["127.0.0.1"])
    seen.clear()
    return f"http://news.example:{server}"


def failed_fetch(url):
    """Fetch `url` as a source's article; the source, and what happened to it."""
    source = SourceFactory(url=url, title="Kept whatever happens")
    outcome = source_fetch(source_id=source.pk)
    source.refresh_from_db()
    assert source.fetch_state == FetchState.FAILED and outcome.snapshot is None
    assert source.title == "Kept whatever happens" and not source.snapshots.exists()
    assert not CLASS_NAME.search(source.fetch_error)
    return source, outcome


def test_the_local_server_is_refused_without_the_test_only_setting(server, settings):
    seen.clear()
    assert settings.SOURCE_FETCH_ALLOWED_TEST_ADDRESSES == []
    settings.SOURCE_FETCH_ALLOWED_PORTS = [server]
    assert refusal(f"http://127.0.0.1:{server}/article").message == fetching.REFUSED
    assert seen == []


def test_a_page_is_fetched_with_its_host_name_and_a_browser_like_user_agent(site, settings):
    page = fetching.fetch(f"{site}/article")
    assert (page.status_code, page.content_type, page.content) == (200, "text/html", PAGE)
    assert seen[0]["host"] == site.removeprefix("http://")
    assert seen[0]["ua"] == settings.SOURCE_FETCH_USER_AGENT and "casetracker" not in seen[0]["ua"].lower()


def test_five_redirects_are_followed_and_a_sixth_is_not(site):
    assert fetching.fetch(f"{site}/hops/5").url == f"{site}/article"
    assert refusal(f"{site}/hops/6").message == fetching.TOO_MANY_REDIRECTS.format(limit=5)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://lan.example/",  # a public-looking name that resolves to an internal address
        "http://127.0.0.2/",
        "http://[::1]:6379/",  # internal whatever the port
        "http://localhost/",
    ],
)
def test_a_redirect_to_an_internal_address_is_refused_like_the_address_itself(site, target):
    source, outcome = failed_fetch(f"{site}/redirect?to={target}")
    assert source.fetch_error == fetching.REFUSED and not outcome.transient
    assert len(seen) == 1  # the first hop only: nothing internal was contacted


@pytest.mark.django_db
def test_a_redirect_to_another_scheme_is_refused(site):
    source, _ = failed_fetch(f"{site}/redirect?to=file:///etc/passwd")
    assert source.fetch_error == fetching.BAD_SCHEME


@pytest.mark.django_db
def test_a_body_announced_larger_than_the_limit_is_refused_before_it_is_read(site):
    started = time.monotonic()
    source, _ = failed_fetch(f"{site}/declared-huge")
    # Reading it would have waited for the timeout (5 s) and said so instead.
    assert source.fetch_error == fetching.TOO_LARGE.format(limit="64 KB")
    assert time.monotonic() - started < 3


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/endless", "/bomb"])
def test_a_body_is_refused_as_soon_as_it_passes_the_limit(site, path):
    source, _ = failed_fetch(f"{site}{path}")
    assert source.fetch_error == fetching.TOO_LARGE.format(limit="64 KB")


@pytest.mark.django_db
def test_a_trickling_site_is_cut_off_at_the_deadline(site, settings):
    settings.SOURCE_FETCH_DEADLINE = 2
    started = time.monotonic()
    source, outcome = failed_fetch(f"{site}/trickle")
    assert source.fetch_error == fetching.TOO_SLOW.format(seconds="2") and outcome.transient
    assert 1.5 < time.monotonic() - started < 4


@pytest.mark.django_db
def test_the_deadline_holds_even_while_one_read_waits(site, settings):
    """The site stops after one byte: the 5 s read timeout would wait past the 1 s deadline."""
    settings.SOURCE_FETCH_DEADLINE = 1
    started = time.monotonic()
    source, _ = failed_fetch(f"{site}/stall")
    assert source.fetch_error == fetching.TOO_SLOW.format(seconds="1")
    assert time.monotonic() - started < 3


def test_the_deadline_is_also_checked_between_chunks():
    """However the chunks arrive, none is taken once the deadline has passed."""
    clock = fetching._Clock(60)

    class Response:
        headers: dict = {}

        def iter_bytes(self):
            yield b"<p>first</p>"
            clock.deadline = time.monotonic()  # the deadline passes while the first chunk is handled
            yield b"<p>second</p>"
            pytest.fail("a chunk was read after the deadline")

    with pytest.raises(fetching.FetchError) as caught:
        fetching._body(Response(), clock, 60)
    assert caught.value.message == fetching.TOO_SLOW.format(seconds="60")


@pytest.mark.django_db
def test_the_content_type_is_checked_from_the_headers_before_the_body(site):
    started = time.monotonic()
    source, _ = failed_fetch(f"{site}/verdict.zip")
    assert source.fetch_error == NOT_HTML.format(content_type="application/zip")
    assert time.monotonic() - started < 3


@pytest.mark.django_db
def test_a_site_that_cannot_be_reached_reads_without_exception_names(settings):
    with socket.socket() as probe:  # a port on which nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SOURCE_FETCH_ALLOWED_TEST_ADDRESSES = ["127.0.0.1"]
    settings.SOURCE_FETCH_ALLOWED_PORTS = [port]
    source, outcome = failed_fetch(f"http://127.0.0.1:{port}/")
    assert source.fetch_error == fetching.UNREACHABLE.format(reason="the connection could not be made")
    assert outcome.transient


# --- Through a proxy ---------------------------------------------------------------------------------


def test_through_an_http_proxy_the_proxy_gets_the_name_and_nothing_is_resolved_here(site, server, settings, no_dns):
    settings.SOURCE_FETCH_PROXY = f"http://127.0.0.1:{server}"
    page = fetching.fetch("http://outlet.example/article")  # not in NAMES: a lookup here would fail
    assert page.content == PAGE and no_dns == []
    assert seen[0]["line"] == "GET http://outlet.example/article HTTP/1.1"


class Socks5(socketserver.BaseRequestHandler):
    """Just enough of a SOCKS5 proxy: no authentication, CONNECT by name, then one canned answer."""

    asked_for: list[tuple[str, int]] = []

    def handle(self):
        greeting = self.request.recv(2)
        self.request.recv(greeting[1])
        self.request.sendall(b"\x05\x00")
        head = self.request.recv(4)
        if head[3] != 3:  # an address, not a name: the fetcher resolved it itself
            return
        name = self.request.recv(self.request.recv(1)[0]).decode()
        port = int.from_bytes(self.request.recv(2), "big")
        self.asked_for.append((name, port))
        self.request.sendall(b"\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00")
        self.request.recv(65536)
        self.request.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (len(PAGE), PAGE)
        )


def test_through_socks5_such_as_tor_the_proxy_resolves_the_name(settings, no_dns):
    proxy = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Socks5)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        settings.SOURCE_FETCH_PROXY = f"socks5://127.0.0.1:{proxy.server_address[1]}"
        page = fetching.fetch("http://outlet.example/article")
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert page.content == PAGE and Socks5.asked_for == [("outlet.example", 80)] and no_dns == []


# --- No 500 on the intake path, and no duplicate sources --------------------------------------------

START_URL = reverse("admin:sources_source_intake_start")


@pytest.fixture
def in_process_tasks():
    """Tasks in-process and their errors raised, as `make run` has them, even when CI sets a broker."""
    was = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = was


@pytest.mark.django_db
def test_an_article_that_cannot_be_fetched_ends_as_a_readable_failure_not_a_500(
    site, researcher_client, in_process_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = researcher_client.post(START_URL, {"url": f"{site}/unavailable"})
    source = Source.objects.get(url=f"{site}/unavailable")
    assert response.status_code == 302 and response["Location"].endswith(f"/{source.pk}/intake/")
    assert source.fetch_state == FetchState.FAILED
    assert source.fetch_error == HTTP_ERROR.format(status=503, reason="Service Unavailable")


@pytest.mark.django_db
def test_fetch_again_ends_as_a_readable_failure_not_a_500(
    site, researcher_client, in_process_tasks, django_capture_on_commit_callbacks
):
    source = SourceFactory(url=f"{site}/unavailable")
    with django_capture_on_commit_callbacks(execute=True):
        response = researcher_client.post(reverse("admin:sources_source_fetch", args=[source.pk]))
    source.refresh_from_db()
    change_page = reverse("admin:sources_source_change", args=[source.pk])
    assert response.status_code == 302 and response["Location"] == change_page
    assert source.fetch_state == FetchState.FAILED and source.fetch_attempts == 1


@pytest.mark.django_db
def test_a_worker_still_retries_network_trouble(site, monkeypatch):
    class Retried(Exception):
        """What the patched retry() returns, so the test sees the task ask for a retry."""

    monkeypatch.setattr(source_fetch_task, "retry", lambda **kwargs: Retried(kwargs))
    source = SourceFactory(url=f"{site}/unavailable")
    source_fetch_task.push_request(retries=0, is_eager=False, called_directly=False)
    try:
        with pytest.raises(Retried):
            source_fetch_task.run(source.pk)
    finally:
        source_fetch_task.pop_request()


@pytest.mark.django_db
def test_pasting_a_known_address_again_opens_its_source_and_says_so(researcher_client):
    known = SourceFactory(url="https://news.example.org/verdict")
    response = researcher_client.post(START_URL, {"url": known.url})
    assert response.status_code == 302 and response["Location"].endswith(f"/{known.pk}/intake/")
    assert Source.objects.filter(url=known.url).count() == 1
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{known.url} is already a source: here it is, and nothing new was saved."
    ]


@pytest.mark.django_db
def test_the_same_address_pasted_at_the_same_moment_opens_the_first_source(researcher, monkeypatch):
    """The other request saved after this one looked: the unique constraint decides, not a 500."""
    url = "https://news.example.org/raced"
    other = SourceFactory(url=url, title="the other request")
    real_first = SourceQuerySet.first
    looks = []

    def first(self):
        looks.append(self)
        return None if len(looks) == 1 else real_first(self)  # the first look comes too early

    monkeypatch.setattr(SourceQuerySet, "first", first)
    with pytest.raises(SourceExists) as caught:
        source_create_from_intake(acting_user=researcher, url=url)
    assert caught.value.source == other and Source.objects.filter(url=url).count() == 1
