"""A list counts and pages through at most PublicPaginator.listed_at_most people; beyond, it says "more than"."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prisoners.freshness import LISTED_AT_MOST, PublicPaginator
from tests.prisoners.factories import PersonFactory

pytestmark = pytest.mark.django_db
URL = "/prisoners/"


@pytest.fixture
def three_listed(monkeypatch):
    monkeypatch.setattr(PublicPaginator, "listed_at_most", 3)


def result_count(response) -> str:
    text = response.content.decode()
    start = text.index('id="result-count"')
    return text[start : text.index("</p>", start)]


def test_the_limit_is_the_one_a_reader_meets():
    assert PublicPaginator.listed_at_most == LISTED_AT_MOST == 10_000


def test_up_to_the_limit_the_count_is_exact(client, three_listed):
    PersonFactory.create_batch(3)
    response = client.get(URL)
    paginator = response.context["page"].paginator
    assert (paginator.count, paginator.more_than_listed) == (3, False)
    assert "3 people" in result_count(response)
    assert "More than" not in result_count(response)


def test_beyond_the_limit_the_count_stops_and_says_more_than(client, three_listed):
    PersonFactory.create_batch(5)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"per_page": "10"})
    counts = [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 4" in counts[0], "the count reads one more than the limit, no further"
    paginator = response.context["page"].paginator
    assert (paginator.count, paginator.more_than_listed) == (3, True)
    assert len(response.context["rows"]) == 3
    assert "More than 3 people; these pages list the first 3, the downloads all of them" in result_count(response)


def test_a_page_past_the_limit_is_the_last_listed_page(client, three_listed):
    PersonFactory.create_batch(25)
    first_page = client.get(URL, {"per_page": "10"}).context["rows"]
    past = client.get(URL, {"per_page": "10", "page": "2"})
    assert past.context["page"].number == 1
    assert [person.pk for person, _details in past.context["rows"]] == [person.pk for person, _ in first_page]


def test_the_downloads_hold_everyone_beyond_the_limit(client, three_listed):
    PersonFactory.create_batch(5)
    lines = b"".join(client.get("/prisoners/export.csv").streaming_content).decode().strip().splitlines()
    assert len(lines) == 1 + 5


@pytest.mark.parametrize(
    ("language", "words"),
    [("ru", "Больше 3 человек; на этих страницах первые 3"), ("be", "Больш за 3 чалавек; на гэтых старонках першыя 3")],
)
def test_more_than_is_said_in_each_language(client, three_listed, language, words):
    PersonFactory.create_batch(4)
    assert words in result_count(client.get(f"/{language}{URL}"))
