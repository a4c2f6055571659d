"""Hostile query strings against the public list, the downloads and the API: never a server error.

Hypothesis builds query strings from the list's parameters (prisoners.filters.PersonFilter, the
page's per_page and page, the API's cursor and page_size, the statistics' day), with valid values,
garbage, huge and unicode strings, NUL bytes, bytes that are not UTF-8 and repeated keys. Every
answer must be below 500, and a refusal must say why. FUZZ_EXAMPLES runs it longer.
"""

import base64
import csv
import io
import json
import os
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prisoners.demo import JUNE_2025_GROUP
from prisoners.filters import SORT_CHOICES
from prisoners.models import Gender, Region, ReleaseType, Status
from prisoners.presentation import CSV_COLUMNS

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module", autouse=True)
def demo_data(django_db_setup, django_db_blocker):
    """The demo people, loaded once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", verbosity=0)
        yield
        transaction.set_rollback(True)


# --- Values ----------------------------------------------------------------------------------------

# Any character a URL can carry: no lone surrogates (they have no UTF-8 form).
CHARACTERS = st.characters(exclude_categories=("Cs",))
TEXT = st.text(CHARACTERS, max_size=40)
HUGE = st.builds(
    lambda piece, times: piece * times, st.text(CHARACTERS, min_size=1, max_size=3), st.integers(500, 3000)
)
# Digits that str.isdigit() accepts but int() may not ("²"), and ones int() reads ("١٠").
DIGITS = st.sampled_from(["0", "-1", "1e3", "2.5", "99999999999999999999", "²", "١٠", "１０", " 10", "10 ", "0x10"])
DATES = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.sampled_from(["2020-05", "2021?", "2020-13-01", "2020-02-30", "0000-01-01", "10000-01-01", "-2020-01-01"]),
)


def cursor(tokens: dict) -> str:
    return base64.b64encode(urlencode(tokens).encode()).decode()


CURSORS = st.one_of(
    st.binary(max_size=30).map(lambda raw: base64.b64encode(raw).decode()),
    st.builds(
        lambda position, reverse, offset: cursor({"p": position, "r": reverse, "o": offset}),
        st.one_of(st.integers(-(2**70), 2**70).map(str), TEXT),
        st.sampled_from(["0", "1", "2", "x"]),
        st.one_of(st.integers(-5, 10**6).map(str), TEXT),
    ),
)

VALID = {
    "q": st.sampled_from(["Bialiatski", "Алесь Бяляцкі", "Kalesnikava", "Цiханоўскі", "ales bialiatski", "a"]),
    "status": st.sampled_from(Status.values),
    "released_after": DATES,
    "released_before": DATES,
    "detained_after": DATES,
    "detained_before": DATES,
    "region": st.sampled_from(Region.values),
    "article": st.sampled_from(["293", "293.1", "342", "361-1", "130.3", ".", "293."]),
    "release_type": st.sampled_from(ReleaseType.values),
    "release_group": st.just(JUNE_2025_GROUP),
    "gender": st.sampled_from(Gender.values),
    "sort": st.sampled_from([value for value, _label in SORT_CHOICES] + ["-", "--name", "pk", "-pk"]),
    "per_page": st.one_of(st.sampled_from(["10", "25", "50", "100"]), st.integers(-(10**6), 10**6).map(str), DIGITS),
    "page": st.one_of(st.integers(-3, 10**20).map(str), st.just("last"), DIGITS),
    "cursor": CURSORS,
    "page_size": st.one_of(st.integers(-3, 10**6).map(str), DIGITS),
    "on": DATES,
    "format": st.sampled_from(["json", "api", "csv", "xml", ""]),
}
GARBAGE = st.one_of(TEXT, HUGE, st.just("\x00"), TEXT.map(lambda text: f"{text}\x00{text}"), DIGITS)


def value_for(key: str):
    """A str (sent as UTF-8) or bytes (sent as they are, UTF-8 or not), for the parameter `key`."""
    # Mostly values of the parameter's own kind, where its handling has edges to find.
    return st.one_of(VALID.get(key, TEXT), VALID.get(key, TEXT), GARBAGE, st.binary(max_size=20))


PARAMETER = st.one_of(
    *[st.tuples(st.just(key), value_for(key)) for key in sorted(VALID)],
    st.tuples(st.one_of(TEXT, st.just("status[]"), st.just("q\x00")), value_for("")),
)


def encoded(value: str | bytes) -> str:
    return quote_from_bytes(value, safe="") if isinstance(value, bytes) else quote(value, safe="")


PAIRS = st.lists(PARAMETER, min_size=1, max_size=8).map(
    lambda pairs: "&".join(f"{encoded(key)}={encoded(value)}" for key, value in pairs)
)
QUERY_STRINGS = st.one_of(
    # Pairs, repeated keys included (twice: the branch with the most to find).
    PAIRS,
    PAIRS,
    # The same key over and over, past Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1000) too.
    st.builds(
        lambda key, value, times: "&".join([f"{key}={encoded(value)}"] * times),
        st.sampled_from(sorted(VALID)),
        st.sampled_from(["released", "x", ""]),
        st.sampled_from([2, 50, 1001]),
    ),
    # A query string that is not one at all: raw separators, stray percent signs.
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60),
)


# Always tried, besides what hypothesis finds.
KNOWN_HOSTILE = [
    "per_page=%C2%B2",  # "²": str.isdigit() says yes, int() says no
    "cursor=" + cursor({"p": "abc", "r": "0", "o": "0"}),  # a cursor whose position is not an id
    "cursor=" + cursor({"p": "\x00", "r": "1", "o": "1"}),
    "q=%00&article=%00&release_group=%00&region=%00&on=%00",
    "status=released&status=%FF&status=",
    "detained_after=0001-01-01&detained_before=9999-12-31&released_after=9999-12-31&on=9999-12-31",
]


# --- Checks ----------------------------------------------------------------------------------------

LIST, CSV, JSON, API_LIST, API_STATS = (
    "/prisoners/",
    "/prisoners/export.csv",
    "/prisoners/export.json",
    "/api/v1/prisoners/",
    "/api/v1/stats/",
)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def answers_sensibly(path: str, query_string: str) -> None:
    """GET path?query_string as a server hands it over: below 500, whole when accepted, a reason when not."""
    # Any exception in a view becomes the 500 a reader would get, named with its request.
    response = Client(raise_request_exception=False).get(path, QUERY_STRING=query_string)
    request = f"GET {path}?{query_string}"
    assert response.status_code < 500, f"{response.status_code} for {request}"
    content = body(response)  # a download fails while streaming, after its 200
    if response.status_code != 200:
        # DRF's JSON error naming the parameter, or Django's own 400 page.
        assert 400 <= response.status_code < 500 and content.strip(), request
        if response["Content-Type"].startswith("application/json"):
            assert json.loads(content), f"{response.status_code} without a reason for {request}"
    elif path == LIST:
        assert b"</html>" in content, request
    elif path == CSV:
        rows = list(csv.reader(io.StringIO(content.decode(), newline="")))
        assert rows[0] == CSV_COLUMNS and all(len(row) == len(CSV_COLUMNS) for row in rows), request
    elif path == JSON:
        assert isinstance(json.loads(content), list), request
    elif response["Content-Type"].startswith("application/json"):
        assert isinstance(json.loads(content), dict), request


@pytest.mark.parametrize("query_string", KNOWN_HOSTILE)
# The other cursor lists share the list's pagination, so its cursors too.
@pytest.mark.parametrize("path", [LIST, CSV, JSON, API_LIST, API_STATS, "/api/v1/releases/", "/api/v1/sources/"])
def test_every_surface_answers_the_known_hostile_query_strings(path, query_string):
    answers_sensibly(path, query_string)


@given(query_string=QUERY_STRINGS)
@FUZZ
def test_the_public_list_answers_any_query_string(query_string):
    answers_sensibly(LIST, query_string)


@pytest.mark.parametrize("path", [CSV, JSON])
@given(query_string=QUERY_STRINGS)
@FUZZ
def test_the_downloads_answer_any_query_string_with_a_whole_file(path, query_string):
    answers_sensibly(path, query_string)


@pytest.mark.parametrize("path", [API_LIST, API_STATS])
@given(query_string=QUERY_STRINGS)
@FUZZ
def test_the_api_answers_any_query_string_or_says_what_it_refuses(path, query_string):
    answers_sensibly(path, query_string)
