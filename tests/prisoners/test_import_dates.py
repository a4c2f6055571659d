"""The CSV import reads dates as the admin's forms do: "12.05.2021" imports as 2021-05-12."""

import datetime as dt

import pytest

from prisoners.imports import cases_file_check, cases_file_import
from prisoners.models import Release, StatusEvent
from prisoners.roles import SYSTEM
from tests.prisoners.test_imports import csv_file, database_state, imported, problems

pytestmark = pytest.mark.django_db
HEADER = "external_id,name,birth_date,detained_on,released_on,release_type"


def test_dates_typed_as_sources_write_them_are_imported_as_edtf_with_their_bounds():
    cases_file_import(
        acting_user=SYSTEM,
        data=csv_file(
            "d-1,Ales Bialiatski,25.09.1962,12.05.2021,у траўні 2025 г.,pardon",
            "d-2,Maria Kalesnikava,1982,летом 2020,,",
            header=HEADER,
        ),
    )

    bialiatski = imported("d-1")
    assert (bialiatski.birth_date, bialiatski.birth_date_earliest) == ("1962-09-25", dt.date(1962, 9, 25))
    detention = StatusEvent.objects.get(person=bialiatski)
    assert (detention.date, detention.date_earliest, detention.date_latest) == (
        "2021-05-12",
        dt.date(2021, 5, 12),
        dt.date(2021, 5, 12),
    )
    release = Release.objects.get(person=bialiatski)
    assert (release.date, release.date_earliest, release.date_latest) == (
        "2025-05",
        dt.date(2025, 5, 1),
        dt.date(2025, 5, 31),
    )
    assert StatusEvent.objects.get(person=imported("d-2")).date == "2020-22"


def test_importing_the_same_date_written_another_way_adds_no_second_event():
    cases_file_import(acting_user=SYSTEM, data=csv_file("d-1,Ales,,12.05.2021,,", header=HEADER))
    cases_file_import(acting_user=SYSTEM, data=csv_file("d-1,Ales,,2021-05-12,,", header=HEADER))
    cases_file_import(acting_user=SYSTEM, data=csv_file("d-1,Ales,,12 мая 2021,,", header=HEADER))

    assert list(StatusEvent.objects.values_list("date", flat=True)) == ["2021-05-12"]


def test_the_preview_shows_the_edtf_each_cell_will_be_stored_as():
    plan = cases_file_check(acting_user=SYSTEM, data=csv_file("d-1,Ales,,в начале 2021 года,,", header=HEADER))
    assert [row.detained_on for row in plan.rows] == ["2021-01/2021-04"]


def test_a_date_that_cannot_be_read_is_a_row_error_and_nothing_is_imported():
    before = database_state()
    found = problems(csv_file("d-1,Ales,,05/13/2020,,", "d-2,Anna,sometime,,,", header=HEADER))

    assert [(line, column) for line, column, _reason in found] == [(2, "detained_on"), (3, "birth_date")]
    assert found[0][2].startswith("“05/13/2020” is not a day of the calendar.")
    assert found[1][2].startswith("“sometime” is not a date we can read.")
    assert database_state() == before
