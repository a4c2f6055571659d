"""people_status_refresh() for many people: a fixed number of queries, one history row per changed person."""

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from prisoners.models import Person, PublicationState, ReleaseType, Status
from prisoners.roles import SYSTEM
from prisoners.services import people_status_refresh, rows_update_with_history
from tests.prisoners.factories import person_with

# SQLite's real parameter limit, as in the import's query tests: a history insert is one statement, as on PostgreSQL.
from tests.prisoners.test_import_queries import sqlite_takes_what_it_can  # noqa: F401

pytestmark = pytest.mark.django_db

REASON = "status derived from events"


def released_people(count: int) -> list[Person]:
    """People detained and pardoned, their derived status then blanked, so a refresh changes every one."""
    people = [
        person_with(
            (Status.DETAINED, "2021-07-14"),
            (ReleaseType.PARDON, "2025-06-21"),
            publication_state=PublicationState.DRAFT,
        )
        for _ in range(count)
    ]
    Person.objects.filter(pk__in=[person.pk for person in people]).update(current_status="", released_on=None)
    return people


def refreshed(people: list[Person], acting_user=SYSTEM) -> int:
    return people_status_refresh(people=Person.objects.filter(pk__in=[p.pk for p in people]), acting_user=acting_user)


def test_refreshing_thirty_people_takes_as_many_queries_as_five(django_assert_num_queries):
    five, thirty = released_people(5), released_people(30)
    with CaptureQueriesContext(connection) as captured:
        assert refreshed(five) == 5

    # Per batch: the people, each kind of fact, their spells, the update, the history rows.
    with django_assert_num_queries(len(captured)):
        assert refreshed(thirty) == 30


def test_a_refresh_stores_the_derived_status_with_one_history_row_each(editor):
    people = released_people(3)

    assert refreshed(people, acting_user=editor) == 3

    for person in people:
        person.refresh_from_db()
        assert (person.current_status, str(person.released_on)) == (Status.RELEASED, "2025-06-21")
        row = person.history.latest("history_date")
        assert (row.history_type, row.history_user, row.history_change_reason) == ("~", editor, REASON)
        assert (row.current_status, str(row.released_on)) == (Status.RELEASED, "2025-06-21")


def test_a_refresh_of_people_already_up_to_date_writes_nothing():
    people = released_people(2)
    refreshed(people)
    rows_before = Person.history.count()

    assert refreshed(people) == 0
    assert Person.history.count() == rows_before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps text of any length in a varchar")
def test_a_value_too_long_for_its_column_is_refused_not_cut():
    person = released_people(1)[0]
    limit = Person._meta.get_field("total_term_code").max_length
    person.total_term_code = "9" * (limit + 1)

    with pytest.raises(DataError), transaction.atomic():
        rows_update_with_history([person], Person, ["total_term_code"], default_change_reason="derived")
