"""A second report of a recorded fact is one more citation of it; a differing detail is a disputed claim."""

import pytest

from prisoners.corroboration import disagreements, fact_corroborate, repeats_of
from prisoners.models import Release, ReleaseType, Sentence, Status, StatusEvent
from sources.models import Certainty, Citation
from tests.prisoners import factories as pf
from tests.sources.factories import SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def release():
    return pf.ReleaseFactory(date="2025-12-13", release_type=ReleaseType.PARDON)


@pytest.mark.parametrize("date", ["2025-12-13", "2025-12", "2025", "2025-12-10/2025-12-20", ""])
def test_a_release_of_the_same_person_on_an_overlapping_date_repeats_it(release, date):
    reported = Release(person=release.person, date=date, release_type=ReleaseType.FORCED_EXILE)
    assert repeats_of(reported) == [release]


@pytest.mark.parametrize("date", ["2025-11", "2024-12-13", "2026"])
def test_another_date_or_another_person_is_another_release(release, date):
    assert repeats_of(Release(person=release.person, date=date, release_type=ReleaseType.PARDON)) == []
    other = pf.PersonFactory()
    assert repeats_of(Release(person=other, date="2025-12-13", release_type=ReleaseType.PARDON)) == []


def test_a_status_event_repeats_only_one_of_the_same_status():
    detained = pf.StatusEventFactory(date="2020-05-29", status=Status.DETAINED)
    same = StatusEvent(person=detained.person, date="2020-05", status=Status.DETAINED)
    convicted = StatusEvent(person=detained.person, date="2020-05", status=Status.CONVICTED)
    assert (repeats_of(same), repeats_of(convicted)) == ([detained], [])


def test_a_saved_fact_does_not_repeat_itself(release):
    assert repeats_of(release) == []


def test_a_less_precise_date_is_no_disagreement_but_another_type_is(release):
    reported = Release(person=release.person, date="2025-12", release_type=ReleaseType.FORCED_EXILE)
    [difference] = disagreements(release, reported)
    assert (difference.field_name, difference.reported) == ("release_type", "forced exile")


def test_corroborating_cites_the_recorded_fact_and_disputes_the_difference(researcher, release):
    source = SourceFactory(title="Second article")
    reported = Release(person=release.person, date="2025-12-13", release_type=ReleaseType.FORCED_EXILE)
    fact_corroborate(
        acting_user=researcher,
        recorded=release,
        reported=reported,
        source=source,
        quote="was expelled to Lithuania",
        certainty=Certainty.REPORTED,
    )
    assert Release.objects.filter(person=release.person).count() == 1
    citations = Citation.objects.filter(source=source, object_id=release.pk)
    assert {(c.field_name, c.certainty, c.claim) for c in citations} == {
        ("", Certainty.REPORTED, ""),
        ("release_type", Certainty.DISPUTED, "type: forced exile"),
    }


def test_a_sentence_with_another_term_is_a_disputed_term(researcher):
    recorded = pf.SentenceFactory(date="2021-12-14", term_years=18)
    reported = Sentence(defendant=recorded.defendant, date="2021-12", kind=recorded.kind, term_years=16)
    assert repeats_of(reported) == [recorded]
    assert [d.field_name for d in disagreements(recorded, reported)] == ["term_years"]
