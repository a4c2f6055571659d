"""Release groups: a destination per person, the reported size as a cited claim beside the recorded count."""

import pytest

from prisoners.models import Release
from sources.models import Certainty
from tests.prisoners import factories as pf
from tests.sources.factories import CitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    group = pf.ReleaseGroupFactory(
        name="Release of 123", slug="release-of-123", destination="Lithuania", reported_size=123
    )
    for _ in range(2):
        pf.ReleaseFactory(group=group)
    pf.ReleaseFactory(group=group, destination="Poland")
    pf.ReleaseFactory(group=group, person=pf.PersonFactory(publication_state="draft"), destination="Ukraine")
    return group


def test_each_release_is_taken_to_its_own_destination_or_the_groups(group):
    assert sorted(release.taken_to for release in Release.objects.filter(group=group)) == [
        "Lithuania",
        "Lithuania",
        "Poland",
        "Ukraine",
    ]


def test_the_group_page_counts_recorded_against_reported_and_lists_public_destinations(client, group):
    CitationFactory(content_object=group, field_name="reported_size", quote="123 were released")
    CitationFactory(
        content_object=group,
        field_name="reported_size",
        quote="156 were pardoned",
        certainty=Certainty.DISPUTED,
        claim="156 pardoned",
    )
    page = client.get(group.get_absolute_url()).content.decode()
    assert "3 recorded of 123 reported" in page
    assert "156 pardoned" in page  # the disagreement is shown, with its source
    assert "Lithuania (2 people)" in page and "Poland (1 person)" in page
    assert "Ukraine" not in page  # only the draft person was taken there


def test_the_api_gives_destinations_and_the_reported_size(client, group):
    [row] = client.get("/api/v1/releases/").json()["results"]
    assert row["reported_size"] == 123
    assert row["destinations"] == [{"place": "Lithuania", "people": 2}, {"place": "Poland", "people": 1}]


def test_a_profile_says_where_its_person_was_taken(client, group):
    release = Release.objects.get(group=group, destination="Poland")
    page = client.get(release.person.get_absolute_url()).content.decode()
    assert "Taken to: Poland" in " ".join(page.split())
