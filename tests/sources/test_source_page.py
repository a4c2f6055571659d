"""A source's page: the public facts it supports, a page at a time, in a fixed number of queries."""

import re

import pytest
from django.urls import reverse

from prisoners.models import PublicationState
from sources import views
from tests.prisoners.factories import PersonFactory, StatusEventFactory
from tests.sources.factories import CitationFactory, SourceFactory

pytestmark = pytest.mark.django_db


def facts_listed(response) -> list[str]:
    return re.findall(r"<q>(.*?)</q>", response.content.decode())


def cite(source, quote: str, *, published: bool = True, private: bool = False):
    state = PublicationState.PUBLISHED if published else PublicationState.DRAFT
    event = StatusEventFactory(person=PersonFactory(publication_state=state))
    return CitationFactory(source=source, content_object=event, quote=quote, is_private=private)


@pytest.fixture
def two_facts_a_page(monkeypatch):
    monkeypatch.setattr(views, "FACTS_PER_PAGE", 2)


def test_the_facts_come_a_page_at_a_time_and_only_the_public_ones(client, two_facts_a_page):
    source = SourceFactory()
    for number in range(3):
        cite(source, f"public fact {number}")
    cite(source, "a draft person's fact", published=False)
    cite(source, "a private citation", private=True)
    url = reverse("sources:source_detail", kwargs={"pk": source.pk})

    first, second = client.get(url), client.get(url, {"page": 2})

    assert facts_listed(first) == ["public fact 0", "public fact 1"]
    assert facts_listed(second) == ["public fact 2"]
    assert 'rel="next" href="?page=2"' in first.content.decode()
    assert 'rel="prev" href="?page=1"' in second.content.decode()
    assert "Page 2 of 2" in second.content.decode()
    # A page that is no number, or past the last, shows the first or the last.
    assert facts_listed(client.get(url, {"page": "x"})) == facts_listed(first)
    assert facts_listed(client.get(url, {"page": 9})) == facts_listed(second)


def test_a_source_with_one_page_of_facts_has_no_page_links(client):
    source = SourceFactory()
    cite(source, "the only fact")
    response = client.get(reverse("sources:source_detail", kwargs={"pk": source.pk}))
    assert facts_listed(response) == ["the only fact"]
    assert 'class="pagination"' not in response.content.decode()


def test_a_source_supporting_no_public_fact_is_not_found(client):
    source = SourceFactory()
    cite(source, "a draft person's fact", published=False)
    cite(source, "a private citation", private=True)
    assert client.get(reverse("sources:source_detail", kwargs={"pk": source.pk})).status_code == 404


@pytest.mark.parametrize("facts", [1, 6])
def test_a_page_reads_a_fixed_number_of_queries(client, django_assert_num_queries, facts):
    source = SourceFactory()
    for number in range(facts):
        cite(source, f"fact {number}")
    url = reverse("sources:source_detail", kwargs={"pk": source.pk})
    client.get(url)  # content types, read once per process
    # The source, the count, the page, and the page's status events with their people.
    with django_assert_num_queries(4):
        assert len(facts_listed(client.get(url))) == facts
