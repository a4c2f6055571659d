"""The profile page and the API detail read a person's whole cited record in a fixed, small number of queries."""

import pytest
from django.core.cache import cache

from prisoners.models import Person
from tests.prisoners import factories as pf
from tests.sources.factories import CitationFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db

# The person (with the API's exported dates as subqueries), each public fact list (names,
# identifiers, status events, releases with their groups, case roles with their cases, the
# cases' public defendants, charges with their articles, sentences, custody with its
# facilities, documents), then every public citation of all of them in one query.
PROFILE_QUERIES = 12
# A page also reads the public state once, for its ETag (prisoners.freshness).
PAGE_QUERIES = PROFILE_QUERIES + 1


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def documented_person(rows: int) -> Person:
    """A person with `rows` entries in every section a profile shows, each fact cited."""
    person = pf.PersonFactory(occupation="journalist")
    source = SourceFactory()
    CitationFactory(content_object=person, source=source, field_name="occupation", quote="a journalist")
    for number in range(rows):
        CitationFactory(content_object=pf.NameVariantFactory(person=person), source=source, quote=f"name {number}")
        pf.ExternalIdentifierFactory(person=person)
        CitationFactory(content_object=pf.StatusEventFactory(person=person), source=source, quote=f"event {number}")
        case = pf.CaseFactory()
        CitationFactory(content_object=case, source=source, quote=f"case {number}")
        defendant = pf.DefendantFactory(person=person, case=case)
        pf.DefendantFactory(case=case)  # a co-defendant, named on the page
        CitationFactory(content_object=pf.ChargeFactory(defendant=defendant), source=source, quote=f"charge {number}")
        CitationFactory(content_object=pf.SentenceFactory(defendant=defendant), source=source, quote=f"term {number}")
        CitationFactory(content_object=pf.CustodyPeriodFactory(person=person), source=source, quote=f"held {number}")
        group = pf.ReleaseGroupFactory()
        CitationFactory(content_object=group, source=source, field_name="name", quote=f"group {number}")
        release = pf.ReleaseFactory(person=person, group=group, date=f"2025-06-{number + 1:02}")
        CitationFactory(content_object=release, source=source, quote=f"freed {number}")
        DocumentFactory(is_public=True).people.add(person)
    return Person.objects.get(pk=person.pk)


@pytest.fixture
def small():
    return documented_person(rows=1)


@pytest.fixture
def large():
    return documented_person(rows=5)


def api_url(person: Person) -> str:
    return f"/api/v1/prisoners/{person.slug}/"


def test_the_profile_page_reads_the_same_queries_for_one_row_or_five(client, small, large, django_assert_num_queries):
    client.get(small.get_absolute_url())  # the first request fills per-process caches (content types)
    for person in (small, large):
        with django_assert_num_queries(PAGE_QUERIES):
            response = client.get(person.get_absolute_url())
        assert response.status_code == 200
    html = client.get(large.get_absolute_url()).content.decode()
    for number in range(5):
        for quote in ("name", "event", "case", "charge", "term", "held", "group", "freed"):
            assert f"{quote} {number}" in html, (quote, number)


def test_the_api_detail_reads_the_same_queries_for_one_row_or_five(client, small, large, django_assert_num_queries):
    client.get(api_url(small))
    for person in (small, large):
        with django_assert_num_queries(PAGE_QUERIES):
            response = client.get(api_url(person))
        assert response.status_code == 200
    data = client.get(api_url(large)).json()
    assert len(data["status_events"]) == len(data["releases"]) == len(data["custody"]) == len(data["cases"]) == 5
    assert [citation["quote"] for citation in data["status_events"][0]["citations"]] == ["event 0"]
    charged = [citation["quote"] for case in data["cases"] for citation in case["charges"][0]["citations"]]
    assert sorted(charged) == [f"charge {number}" for number in range(5)]
    assert [citation["quote"] for citation in data["citations"]] == ["a journalist"]


def test_the_page_and_the_api_show_the_same_public_citations_of_each_fact(client, large):
    from sources.models import Citation

    hidden = Citation.objects.filter(quote="event 2").update(is_private=True)
    assert hidden == 1
    html = client.get(large.get_absolute_url()).content.decode()
    data = client.get(api_url(large)).json()
    shown = [citation["quote"] for event in data["status_events"] for citation in event["citations"]]
    assert shown == ["event 0", "event 1", "event 3", "event 4"]
    assert "event 2" not in html and all(quote in html for quote in shown)
