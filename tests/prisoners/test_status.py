import pytest

from prisoners.models import Person, ReleaseType, Status
from prisoners.roles import SYSTEM
from prisoners.services import person_status_refresh, release_record
from tests.prisoners.factories import PersonFactory, ReleaseFactory, StatusEventFactory

pytestmark = pytest.mark.django_db


def refreshed(person):
    person_status_refresh(person=person)
    person.refresh_from_db()
    return person


def test_a_person_without_events_has_no_current_status():
    assert refreshed(PersonFactory()).current_status == ""


def test_current_status_is_the_latest_event_by_date_not_by_entry_order():
    person = PersonFactory()
    StatusEventFactory(person=person, date="2021-12-14", status=Status.CONVICTED)
    StatusEventFactory(person=person, date="2020-05", status=Status.DETAINED)
    person = refreshed(person)
    assert person.current_status == Status.CONVICTED
    assert person.current_status_since.isoformat() == "2021-12-14"


def test_a_transfer_keeps_a_person_imprisoned():
    person = PersonFactory()
    StatusEventFactory(person=person, date="2022-01", status=Status.IMPRISONED)
    StatusEventFactory(person=person, date="2023-03", status=Status.TRANSFERRED)
    assert refreshed(person).current_status == Status.IMPRISONED


def test_recognition_events_set_recognition_without_changing_where_a_person_is():
    person = PersonFactory()
    StatusEventFactory(person=person, date="2021-07", status=Status.DETAINED)
    StatusEventFactory(person=person, date="2021-08", status=Status.RECOGNISED)
    person = refreshed(person)
    assert (person.current_status, person.is_recognised) == (Status.DETAINED, True)

    StatusEventFactory(person=person, date="2024", status=Status.RECOGNITION_WITHDRAWN)
    person = refreshed(person)
    assert (person.current_status, person.is_recognised) == (Status.DETAINED, False)


def test_a_release_record_counts_as_a_release_even_without_a_status_event():
    person = PersonFactory()
    StatusEventFactory(person=person, date="2020-05", status=Status.IMPRISONED)
    ReleaseFactory(person=person, date="2025-06-21", release_type=ReleaseType.FORCED_EXILE)
    assert refreshed(person).current_status == Status.RELEASED


def test_death_in_custody_recorded_as_a_release_reads_as_died_in_custody():
    person = PersonFactory()
    StatusEventFactory(person=person, date="2020-05", status=Status.IMPRISONED)
    ReleaseFactory(person=person, date="2023-05-21", release_type=ReleaseType.DIED)
    assert refreshed(person).current_status == Status.DIED_IN_CUSTODY


def test_a_new_detention_after_release_puts_a_person_back_in_custody():
    person = PersonFactory()
    StatusEventFactory(person=person, date="2020-05", status=Status.IMPRISONED)
    ReleaseFactory(person=person, date="2022-01")
    StatusEventFactory(person=person, date="2024-03", status=Status.DETAINED)
    person = refreshed(person)
    assert person.current_status == Status.DETAINED and person.is_in_custody()


def test_release_record_stores_the_release_and_updates_the_status_in_one_step():
    person = PersonFactory()
    StatusEventFactory(person=person, date="2020-05", status=Status.IMPRISONED)
    person_status_refresh(person=person)
    release_record(acting_user=SYSTEM, person=person, date="2025-06-21", release_type=ReleaseType.PARDON)
    person.refresh_from_db()
    assert person.current_status == Status.RELEASED
    assert person.releases.get().date == "2025-06-21"


def test_in_custody_queryset_agrees_with_is_in_custody():
    statuses = [
        Status.DETAINED,
        Status.PRE_TRIAL,
        Status.CONVICTED,
        Status.IMPRISONED,
        Status.HOUSE_ARREST,
        Status.RELEASED,
        Status.IN_EXILE,
        Status.DISAPPEARED,
    ]
    for status in statuses:
        refreshed(StatusEventFactory(status=status).person)
    in_custody = set(Person.objects.in_custody())
    assert in_custody == {p for p in Person.objects.all() if p.is_in_custody()}
    assert {p.current_status for p in in_custody} == {
        Status.DETAINED,
        Status.PRE_TRIAL,
        Status.CONVICTED,
        Status.IMPRISONED,
    }


def test_an_on_or_before_date_counts_from_its_known_end():
    person = PersonFactory()
    StatusEventFactory(person=person, date="2021", status=Status.CONVICTED)
    StatusEventFactory(person=person, date="../2025-08-28", status=Status.IMPRISONED)
    person = refreshed(person)
    assert person.current_status == Status.IMPRISONED
    assert person.current_status_since.isoformat() == "2025-08-28"
