"""Dates that cannot all be right are warned of, never refused: a birth after a detention, a release before it."""

import pytest
from django.utils.translation import override

from prisoners.checks import BORN_AFTER_DETENTION, RELEASED_BEFORE_DETENTION, implausible_dates
from prisoners.models import ReleaseType, Status
from tests.admin.test_person_admin import change_url, form_data
from tests.prisoners.factories import PersonFactory, ReleaseFactory, StatusEventFactory

pytestmark = pytest.mark.django_db


def warnings_for(person) -> list[str]:
    with override("en"):
        return implausible_dates(person)


def test_a_birth_after_a_detention_is_warned_of():
    person = PersonFactory(birth_date="1991")
    StatusEventFactory(person=person, date="2020-05", status=Status.DETAINED)
    StatusEventFactory(person=person, date="1990-05", status=Status.DETAINED)

    assert warnings_for(person) == [BORN_AFTER_DETENTION % {"born": "1991", "detained": "May 1990"}]


@pytest.mark.parametrize(
    ("birth", "detained"),
    [
        ("1990", "1990-05"),  # born early in 1990, detained in May 1990: possible
        ("1990-05", "1990-05-12"),
        ("1962-09-25", "2021-07-14"),
        ("", "2021"),  # no birth date
        ("../2000", "1990"),  # born on or before 2000: possibly before 1990
        ("1991", "1990/.."),  # detained on or after 1990: possibly after the birth
    ],
)
def test_a_birth_that_can_be_before_the_detention_is_no_warning(birth, detained):
    person = PersonFactory(birth_date=birth)
    StatusEventFactory(person=person, date=detained, status=Status.PRE_TRIAL)
    assert warnings_for(person) == []


def test_a_release_before_every_detention_is_warned_of():
    person = PersonFactory()
    StatusEventFactory(person=person, date="2021-07", status=Status.DETAINED)
    StatusEventFactory(person=person, date="2023", status=Status.DETAINED)
    ReleaseFactory(person=person, date="2020-12-01", release_type=ReleaseType.PARDON)

    assert warnings_for(person) == [
        RELEASED_BEFORE_DETENTION % {"released": "1 December 2020", "detained": "July 2021"}
    ]


def test_a_released_status_event_before_every_detention_is_warned_of_too():
    person = PersonFactory()
    StatusEventFactory(person=person, date="2021", status=Status.DETAINED)
    StatusEventFactory(person=person, date="2019", status=Status.RELEASED)
    assert len(warnings_for(person)) == 1


@pytest.mark.parametrize(
    ("detentions", "released"),
    [
        (["2020-05"], "2025-06"),
        (["2020-05"], "2020-05-29"),  # within the month of the detention: possible
        (["2019", "2022"], "2020"),  # released between two detentions
        (["../2021"], "2020"),  # detained on or before 2021: possibly before 2020
        ([], "2020"),  # no detention recorded: a gap in the record, not a contradiction
    ],
)
def test_a_release_that_can_follow_a_detention_is_no_warning(detentions, released):
    person = PersonFactory()
    for date in detentions:
        StatusEventFactory(person=person, date=date, status=Status.DETAINED)
    ReleaseFactory(person=person, date=released)
    assert warnings_for(person) == []


def test_the_warnings_are_in_the_readers_language():
    person = PersonFactory(birth_date="1991")
    StatusEventFactory(person=person, date="1990-05", status=Status.DETAINED)
    with override("en"):
        assert "May 1990" in implausible_dates(person)[0]


def test_the_admin_saves_an_implausible_record_and_warns_of_it(editor_client):
    person = PersonFactory(display_name="Ales Bialiatski")
    StatusEventFactory(person=person, date="2021-07-14", status=Status.DETAINED)
    url = change_url(person)

    response = editor_client.post(
        url, form_data(editor_client, url, birth_date="2022"), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    person.refresh_from_db()
    assert person.birth_date == "2022"
    warnings = [str(message) for message in response.context["messages"] if message.level_tag == "warning"]
    assert warnings == [BORN_AFTER_DETENTION % {"born": "2022", "detained": "14 July 2021"}]


def test_the_admin_gives_no_warning_for_a_plausible_record(editor_client):
    person = PersonFactory(display_name="Ales Bialiatski")
    StatusEventFactory(person=person, date="2021-07-14", status=Status.DETAINED)
    url = change_url(person)

    response = editor_client.post(url, form_data(editor_client, url, birth_date="1962"), follow=True)

    assert not [message for message in response.context["messages"] if message.level_tag == "warning"]
