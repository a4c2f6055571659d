"""A prisoner's public page: cited facts, disagreements, term, and a fixed number of queries."""

import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prisoners.models import SentenceKind, Status
from tests.prisoners import factories as pf
from tests.sources.factories import CitationFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


def page(client, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def documented_person(rows: int):
    """A person with `rows` entries in every section of the page, each cited."""
    person = pf.PersonFactory(occupation="journalist")
    source = SourceFactory()
    CitationFactory(content_object=person, source=source, field_name="occupation", quote="a journalist")
    group = pf.ReleaseGroupFactory()
    for number in range(rows):
        pf.NameVariantFactory(person=person)
        CitationFactory(content_object=pf.StatusEventFactory(person=person), source=source, quote=f"event {number}")
        defendant = pf.DefendantFactory(person=person)
        CitationFactory(content_object=pf.ChargeFactory(defendant=defendant), source=source, quote=f"charge {number}")
        CitationFactory(content_object=pf.SentenceFactory(defendant=defendant), source=source, quote=f"term {number}")
        pf.CustodyPeriodFactory(person=person)
        CitationFactory(content_object=pf.ReleaseFactory(person=person, group=group), quote=f"freed {number}")
        DocumentFactory(is_public=True).people.add(person)
    return person


def queries_for(client, person):
    with CaptureQueriesContext(connection) as queries:
        client.get(person.get_absolute_url())
    return len(queries)


def test_profile_queries_are_fixed_whatever_the_size_of_the_record(client):
    small, large = documented_person(rows=1), documented_person(rows=4)
    client.get(small.get_absolute_url())  # the first request fills per-process caches (content types)
    assert queries_for(client, small) == queries_for(client, large) <= 25


def test_every_fact_on_tsikhanouskis_page_carries_a_footnote_to_its_source(client, demo):
    html = page(client, "/prisoners/siarhei-tsikhanouski/")
    for text in ["May 2020", "18 y", "1 y 6 m", "19 y 6 m", "Art. 293 part 1", "Vilnius"]:
        assert text in html, text
    assert "November 2039" not in html  # released: no expected end of term any more
    marks = set(re.findall(r'<a href="#(cite-\d+)" id="cite-ref-', html))
    notes = set(re.findall(r'<li id="(cite-\d+)">', html))
    assert marks and marks == notes
    assert re.search(r'<li id="cite-1">.*?<a class="source-link" href="/sources/\d+/">', html, re.S)


def test_where_sources_disagree_both_claims_are_shown_with_their_sources(client, demo):
    html = page(client, "/prisoners/siarhei-tsikhanouski/")
    assert "Keith Kellogg" in html
    disagreement = html[html.index("Sources disagree") :]
    assert "Steve Witkoff" in html and "Steve Witkoff" in disagreement
    group_page = page(client, "/releases/release-of-14-political-prisoners-21-june-2025/")
    assert "16 released" in group_page and "Steve Witkoff" in group_page


def test_names_are_shown_in_the_readers_language(client, demo):
    response = client.get("/ru/prisoners/siarhei-tsikhanouski/")
    assert "<h1>Сергей Тихановский" in response.content.decode()


def test_profile_carries_schema_org_person_json_ld(client, demo):
    html = page(client, "/prisoners/siarhei-tsikhanouski/")
    payload = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(payload)
    assert data["@type"] == "Person" and data["name"] == "Siarhei Tsikhanouski"
    assert "Sergei Tikhanovsky" in data["alternateName"]


def test_age_is_given_as_a_range_when_only_the_birth_year_is_known(client):
    person = pf.PersonFactory(birth_date="1978")
    html = page(client, person.get_absolute_url())
    assert re.search(r"<dd>4\d–4\d", html)


def test_release_group_page_lists_only_published_people(client, demo):
    html = page(client, "/releases/release-of-14-political-prisoners-21-june-2025/")
    assert len(re.findall(r'href="/prisoners/[a-z]', html)) == 6
    assert "Kotau" not in html


def test_a_source_page_lists_the_public_facts_it_supports(client, demo):
    from sources.models import Source

    article = Source.objects.get(author="Ben Aris")
    html = page(client, article.get_absolute_url())
    assert "Viktar Babaryka" in html or "/prisoners/viktar-babaryka/" in html
    assert "Kotau" not in html


def test_a_source_that_supports_only_unpublished_facts_is_404(client):
    hidden_event = pf.StatusEventFactory(person=pf.PersonFactory(publication_state="draft"))
    citation = CitationFactory(content_object=hidden_event)
    assert client.get(citation.source.get_absolute_url()).status_code == 404


def test_home_page_counts_come_from_the_records(client, demo):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    counts = response.context["counts"]
    from prisoners.models import Person

    assert counts["in_custody"] == Person.objects.public().in_custody().count() == 6
    assert counts["released_last_12_months"] in (0, 6)  # depends on today's date relative to June 2025


def test_status_and_sentence_changes_show_on_the_page(client):
    person = pf.PersonFactory()
    defendant = pf.DefendantFactory(person=person)
    pf.SentenceFactory(defendant=defendant, date="2021", term_years=3)
    pf.SentenceFactory(defendant=defendant, date="2022", term_years=2, kind=SentenceKind.CHANGED_ON_APPEAL)
    pf.StatusEventFactory(person=person, status=Status.IMPRISONED)
    html = page(client, person.get_absolute_url())
    assert "changed on appeal" in html and "Total term: <strong>2 y</strong>" in html
