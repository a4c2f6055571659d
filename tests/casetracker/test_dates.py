import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import override

from casetracker.dates import edtf_bounds, humanize_edtf, overlaps_q
from prisoners.models import StatusEvent
from tests.prisoners.factories import PersonFactory, StatusEventFactory

D = dt.date


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("2025-06-21", D(2025, 6, 21), D(2025, 6, 21)),
        ("2020-05", D(2020, 5, 1), D(2020, 5, 31)),
        ("2020-22", D(2020, 6, 1), D(2020, 8, 31)),  # summer 2020
        ("2021?", D(2021, 1, 1), D(2021, 12, 31)),
        ("2021~", D(2021, 1, 1), D(2021, 12, 31)),
        ("2020-05/2020-08", D(2020, 5, 1), D(2020, 8, 31)),
        ("202X", D(2020, 1, 1), D(2029, 12, 31)),
        ("../2025-08-28", None, D(2025, 8, 28)),
        ("2021-07/..", D(2021, 7, 1), None),
        ("", None, None),
    ],
)
def test_partial_dates_parse_to_their_first_and_last_possible_day(text, earliest, latest):
    bounds = edtf_bounds(text)
    assert (bounds.earliest, bounds.latest) == (earliest, latest)


@pytest.mark.parametrize("text", ["May 2020", "2020-13", "2021-02-30", "2022/2021", "../..", "yesterday"])
def test_unreadable_dates_are_refused_with_an_example_of_what_works(text):
    with pytest.raises(ValidationError) as caught:
        edtf_bounds(text)
    assert "2020-05 (May 2020)" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2025-06-21", "21 June 2025"),
        ("2020-05", "May 2020"),
        ("2020-22", "summer 2020"),
        ("2021?", "2021 (uncertain)"),
        ("2021~", "about 2021"),
        ("2020-05/2020-08", "between May 2020 and August 2020"),
        ("../2025-08-28", "on or before 28 August 2025"),
        ("2021-07/..", "on or after July 2021"),
    ],
)
def test_partial_dates_are_written_as_a_person_would_write_them(text, words):
    with override("en"):
        assert humanize_edtf(text) == words


def test_partial_dates_are_written_in_the_readers_language():
    with override("ru"):
        assert "2020" in humanize_edtf("2020-05") and "май" in humanize_edtf("2020-05").lower()


@pytest.mark.django_db
def test_saving_a_partial_date_stores_its_bounds_for_sorting_and_filtering():
    event = StatusEventFactory(date=" 2020-22 ")
    event.refresh_from_db()
    assert (event.date, event.date_earliest, event.date_latest) == ("2020-22", D(2020, 6, 1), D(2020, 8, 31))


@pytest.mark.django_db
def test_bulk_created_rows_get_their_bounds_too():
    person = PersonFactory()
    StatusEvent.objects.bulk_create([StatusEvent(person=person, date="2020-05", status="detained")])
    assert StatusEvent.objects.get().date_latest == D(2020, 5, 31)


@pytest.mark.django_db
def test_events_sort_by_the_first_day_they_can_mean():
    person = PersonFactory()
    summer = StatusEventFactory(person=person, date="2020-22")
    may = StatusEventFactory(person=person, date="2020-05")
    year = StatusEventFactory(person=person, date="2020")
    exact = StatusEventFactory(person=person, date="2020-05-29")
    assert list(person.status_events.all()) == [year, may, exact, summer]


@pytest.mark.django_db
def test_range_filters_match_partial_dates_that_overlap_the_range():
    person = PersonFactory()
    may = StatusEventFactory(person=person, date="2020-05")
    summer = StatusEventFactory(person=person, date="2020-22")
    before_august_2025 = StatusEventFactory(person=person, date="../2025-08-28")
    year_2021 = StatusEventFactory(person=person, date="2021")
    StatusEventFactory(person=person, date="")

    def within(start, end):
        return set(StatusEvent.objects.filter(overlaps_q("date", start, end)))

    assert within(D(2020, 5, 31), D(2020, 6, 1)) == {may, summer, before_august_2025}
    assert within(D(2020, 7, 1), None) == {summer, before_august_2025, year_2021}
    assert within(None, D(2020, 5, 15)) == {may, before_august_2025}


@pytest.mark.django_db
def test_an_on_or_before_date_sorts_by_the_day_it_is_known_by():
    person = PersonFactory()
    known_by_june = StatusEventFactory(person=person, date="../2025-06-21")
    earlier = StatusEventFactory(person=person, date="2021")
    later = StatusEventFactory(person=person, date="2025-07")
    assert list(person.status_events.all()) == [earlier, known_by_june, later]
