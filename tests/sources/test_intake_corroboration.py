"""Two articles about one release: the first records it, the second is one more citation of it."""

import pytest

from prisoners.models import Release, ReleaseType
from sources.intake import RepeatsRecorded, intake_record_fact
from sources.models import Certainty, Citation
from tests.prisoners import factories as pf
from tests.sources.factories import SourceFactory

pytestmark = pytest.mark.django_db


def report(researcher, source, person, release_type, **extra):
    return intake_record_fact(
        acting_user=researcher,
        source=source,
        fact_type="release",
        person=person,
        quote=f"was released ({release_type})",
        date="21 June 2025",
        release_type=release_type,
        **extra,
    )


def test_the_second_report_asks_then_cites_the_recorded_release(researcher):
    person = pf.PersonFactory(publication_state="draft")
    first, second = SourceFactory(title="AP"), SourceFactory(title="Reuters")
    release = report(researcher, first, person, ReleaseType.PARDON)

    with pytest.raises(RepeatsRecorded) as asked:
        report(researcher, second, person, ReleaseType.FORCED_EXILE)
    assert asked.value.repeats == [release]
    assert report(researcher, second, person, ReleaseType.FORCED_EXILE, repeat_choice=str(release.pk)) == release

    assert list(Release.objects.filter(person=person)) == [release]
    cited = Citation.objects.filter(object_id=release.pk, content_type__model="release")
    assert {(c.source.title, c.field_name, c.certainty) for c in cited} == {
        ("AP", "", Certainty.REPORTED),
        ("Reuters", "", Certainty.REPORTED),
        ("Reuters", "release_type", Certainty.DISPUTED),
    }


def test_said_to_be_another_fact_it_is_recorded_apart(researcher):
    person = pf.PersonFactory(publication_state="draft")
    report(researcher, SourceFactory(), person, ReleaseType.PARDON)
    report(researcher, SourceFactory(), person, ReleaseType.PARDON, repeat_choice="separate")
    assert Release.objects.filter(person=person).count() == 2


def test_a_release_joins_a_new_group_with_its_mediator_and_its_own_destination(researcher):
    person = pf.PersonFactory(publication_state="draft")
    release = report(
        researcher,
        SourceFactory(),
        person,
        ReleaseType.PARDON,
        new_group_name="Release of 14, 21 June 2025",
        mediator="Keith Kellogg",
        destination="Vilnius, Lithuania",
    )
    assert (release.group.name, release.group.mediator, release.group.date) == (
        "Release of 14, 21 June 2025",
        "Keith Kellogg",
        "2025-06-21",
    )
    assert release.taken_to == "Vilnius, Lithuania"
    other = report(
        researcher,
        SourceFactory(),
        pf.PersonFactory(publication_state="draft"),
        ReleaseType.PARDON,
        group=release.group,
    )
    assert other.group == release.group
