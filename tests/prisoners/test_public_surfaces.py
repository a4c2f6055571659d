"""What the public pages and the API show of records that mix public and unpublished people."""

import datetime as dt

import pytest
from django.urls import reverse

from prisoners.models import Case, Person, PublicationState
from prisoners.roles import SYSTEM
from prisoners.services import person_publish, record_save
from tests.prisoners import factories as pf
from tests.sources.factories import CitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    return pf.PersonFactory(display_name="Hidden Draftperson", publication_state=PublicationState.DRAFT)


@pytest.fixture
def published():
    return pf.PersonFactory(display_name="Shown Publicperson")


def test_a_release_group_of_unpublished_people_only_is_nowhere_public(client, draft, published):
    hidden = pf.ReleaseGroupFactory(name="Quiet Release", slug="quiet-release")
    pf.ReleaseFactory(person=draft, group=hidden)
    CitationFactory(content_object=hidden, quote="a quiet release")

    assert client.get(reverse("prisoners:release_group_detail", args=["quiet-release"])).status_code == 404
    assert "Quiet Release" not in client.get(reverse("prisoners:person_list")).content.decode()
    assert "quiet-release" not in client.get("/api/v1/releases/").content.decode()
    assert "quiet-release" not in client.get("/sitemap-releases.xml").content.decode()
    # A hidden group's slug answers exactly as a slug that does not exist.
    hidden_answer = client.get("/api/v1/prisoners/", {"release_group": "quiet-release"})
    unknown_answer = client.get("/api/v1/prisoners/", {"release_group": "no-such-group"})
    assert hidden_answer.status_code == unknown_answer.status_code
    assert hidden_answer.content.replace(b"quiet-release", b"no-such-group") == unknown_answer.content


def test_a_mixed_release_group_shows_only_its_public_members(client, draft, published):
    group = pf.ReleaseGroupFactory(name="June release", slug="june-release")
    pf.ReleaseFactory(person=draft, group=group)
    pf.ReleaseFactory(person=published, group=group)
    page = client.get(reverse("prisoners:release_group_detail", args=["june-release"])).content.decode()
    assert "Shown Publicperson" in page and "Hidden Draftperson" not in page
    api = client.get("/api/v1/releases/").json()["results"]
    assert [row["people"] for row in api] == [[published.slug]]


def test_an_unpublished_co_defendant_never_appears_on_a_published_profile(client, draft, published):
    case = pf.CaseFactory(title="Case of the coordination council")
    pf.DefendantFactory(case=case, person=draft)
    pf.DefendantFactory(case=case, person=published)
    for url in (published.get_absolute_url(), f"/api/v1/prisoners/{published.slug}/"):
        body = client.get(url).content.decode()
        assert "Case of the coordination council" in body
        assert "Hidden Draftperson" not in body and draft.slug not in body


def test_cases_made_by_the_intake_or_import_are_never_titled_after_a_person(draft):
    from prisoners.imports import _Applier

    role = _Applier(acting_user=SYSTEM).defendant(draft)
    assert role.case.title == ""
    assert str(role.case) == "untitled case"
    assert not Case.objects.filter(title__icontains="Draftperson").exists()


def test_private_names_notes_and_citations_stay_off_the_profile_and_api(client, published):
    pf.NameVariantFactory(person=published, text="Secretbirth Name", is_private=True)
    published.private_notes = "lawyer's phone 555"
    published.save()
    CitationFactory(content_object=published, field_name="private notes", quote="his sister's address")
    pf.ExternalIdentifierFactory(person=published, scheme="import", value="import:ngo-17")
    for url in (published.get_absolute_url(), f"/api/v1/prisoners/{published.slug}/", "/prisoners/export.json"):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for secret in (b"Secretbirth", b"555", b"sister", b"ngo-17"):
            assert secret not in body, (url, secret)


def long_ago(person):
    """Set the person's last public change far back, so any later one is visibly later."""
    when = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    Person.objects.filter(pk=person.pk).update(public_updated_at=when)
    person.refresh_from_db()
    return when


def test_publishing_sets_the_public_date(draft):
    assert draft.public_updated_at is None
    CitationFactory(content_object=draft)
    person_publish(acting_user=SYSTEM, person=draft)
    draft.refresh_from_db()
    assert draft.public_updated_at is not None


def test_editing_private_notes_alone_moves_no_public_date(client, published):
    before = long_ago(published)
    published.private_notes = "new contact"
    record_save(acting_user=SYSTEM, obj=published, reason="private only")
    published.refresh_from_db()
    assert published.public_updated_at == before
    published.occupation = "journalist"
    record_save(acting_user=SYSTEM, obj=published, reason="public change")
    published.refresh_from_db()
    assert published.public_updated_at > before


def test_a_private_citation_moves_no_public_date_but_a_public_fact_does(published):
    before = long_ago(published)
    from sources.services import citation_add
    from tests.sources.factories import SourceFactory

    citation_add(acting_user=SYSTEM, fact=published, source=SourceFactory(), quote="x", field_name="private_notes")
    published.refresh_from_db()
    assert published.public_updated_at == before
    record_save(acting_user=SYSTEM, obj=pf.StatusEventFactory.build(person=published), reason="new event")
    published.refresh_from_db()
    assert published.public_updated_at > before
    assert published.current_status == "detained"  # the new event refreshed the derived status
