"""Honest custody counts: ranges where partial dates leave it open, months only where a date gives one."""

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse

from prisoners import custody
from prisoners.models import CustodySpell, Person, ReleaseType, Status
from prisoners.services import people_status_refresh
from prisoners.stats import custody_count_on, series_with_month_unknown
from tests.prisoners.factories import person_with

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat


@pytest.fixture
def crafted():
    """Three people surely in custody on 1 June 2021, and two whose dates leave that day open."""
    person_with((Status.DETAINED, "2021-03-02"))
    person_with((Status.IMPRISONED, "2020"), (ReleaseType.PARDON, "2023-05-01"))
    person_with((Status.DETAINED, "2021-05-31"), (Status.CONVICTED, "2021-11"))
    # Detained "in 2021": maybe already on 1 June, surely only from 31 December.
    person_with((Status.DETAINED, "2021"))
    # Released some day in 2021: maybe still held on 1 June.
    person_with((Status.IMPRISONED, "2020-09-15"), (ReleaseType.END_OF_TERM, "2021"))
    # Surely out on 1 June 2021, and surely not yet detained.
    person_with((Status.DETAINED, "2020-01-10"), (ReleaseType.PARDON, "2021-02-01"))
    person_with((Status.DETAINED, "2022-04"))


def test_a_day_with_open_dates_is_counted_as_a_range(crafted):
    count = custody_count_on(D("2021-06-01"))
    assert (count.at_least, count.at_most, count.open) == (3, 5, 2)


def test_the_count_is_exact_where_the_record_settles_it(crafted):
    count = custody_count_on(D("2022-01-15"))
    assert (count.at_least, count.at_most) == (4, 4)


def test_a_year_only_detention_is_not_placed_in_january_but_in_its_year_s_month_unknown_share(crafted):
    series = series_with_month_unknown(D("2020-01-01"), D("2022-12-31"))
    months = {row["month"]: row for row in series["months"]}
    assert months["2021-01"]["newly_detained"] == 0
    assert months["2021-03"]["newly_detained"] == months["2021-05"]["newly_detained"] == 1
    assert months["2022-04"]["newly_detained"] == 1
    unknown = {row["year"]: row for row in series["month_unknown"]}
    # The detention "in 2021" and the release "in 2021"; the imprisonment "in 2020" began no detention.
    assert unknown[2021] == {"year": 2021, "newly_detained": 1, "released": 1}
    assert 2020 not in unknown
    # At each month's end the two readings bracket the truth.
    assert (months["2021-06"]["in_custody_at_least"], months["2021-06"]["in_custody_at_most"]) == (3, 5)
    assert months["2021-12"]["in_custody_at_least"] == 4


def test_the_api_gives_the_range_beside_in_custody(client, crafted):
    body = client.get(reverse("api:stats"), {"on": "2021-06-01"}).json()
    assert (body["in_custody"], body["in_custody_at_least"], body["in_custody_at_most"]) == (3, 3, 5)
    assert {"year": 2021, "newly_detained": 1, "released": 1} in body["series"]["month_unknown"]


def test_the_page_says_the_range_and_why(client, crafted):
    html = client.get(reverse("prisoners:stats"), {"on": "2021-06-01"}).content.decode()
    assert "At least 3, at most 5: for 2 people the recorded dates leave it open." in html
    assert "Not in any month" in html
    exact = client.get(reverse("prisoners:stats"), {"on": "2022-01-15"}).content.decode()
    assert 'class="stats-range"' not in exact


def test_unpublished_people_are_in_neither_bound(crafted):
    person_with((Status.DETAINED, "2021"), publication_state="draft")
    count = custody_count_on(D("2021-06-01"))
    assert (count.at_least, count.at_most) == (3, 5)


def test_the_bulk_refresh_stores_what_the_single_refresh_stores(django_assert_num_queries):
    people = [
        person_with((Status.DETAINED, "2021-05"), (ReleaseType.PARDON, "2022-01-10"), (Status.DETAINED, "2022-03-03")),
        person_with((ReleaseType.FORCED_EXILE, "2025-06-21")),
        person_with((Status.IMPRISONED, "../2025-08-28")),
    ]
    stored = {p.pk: list(p.custody_spells.values_list(*custody_fields())) for p in people}
    CustodySpell.objects.all().delete()
    Person.objects.update(current_status="")
    assert people_status_refresh(people=Person.objects.all()) == 3
    assert {p.pk: list(p.custody_spells.values_list(*custody_fields())) for p in people} == stored
    assert {p.current_status for p in Person.objects.all()} == {Status.DETAINED, Status.RELEASED, Status.IMPRISONED}
    # Nothing changed: a second pass writes nothing. Ids, people, events, releases, roles (no
    # sentences to read: no roles) and stored spells, inside one savepoint: 8.
    with django_assert_num_queries(8):
        assert people_status_refresh(people=Person.objects.all()) == 0


def test_the_bulk_refresh_reads_a_fixed_number_of_queries_per_batch(django_assert_num_queries):
    for _ in range(6):
        person_with((Status.DETAINED, "2021-05"), (ReleaseType.PARDON, "2022-01-10"))
    CustodySpell.objects.all().delete()
    # Ids once; per batch people, events, releases, roles (none, so no sentences), stored spells,
    # then delete and insert: 7 (on PostgreSQL 8: the new spells' ids are drawn before they are
    # copied in); the savepoint around it all: 2. Twice the people, once more per batch.
    per_batch = 8 if connection.vendor == "postgresql" else 7
    with django_assert_num_queries(1 + 2 * per_batch + 2):
        people_status_refresh(people=Person.objects.all(), batch_size=3)
    assert CustodySpell.objects.count() == 6


def custody_fields() -> list[str]:
    return list(custody.Spell.__dataclass_fields__)


def test_a_release_ends_one_spell_and_a_new_detention_begins_another():
    facts = custody.timeline([], [])
    assert custody.spells_of(facts) == []
    person = person_with(
        (Status.DETAINED, "2021-05-10"), (ReleaseType.PARDON, "2022-01-10"), (Status.DETAINED, "2022-03")
    )
    spells = list(person.custody_spells.order_by("possible_from"))
    assert [(s.certain_from, s.certain_until) for s in spells] == [
        (D("2021-05-10"), D("2022-01-10")),
        (D("2022-03-31"), custody.OPEN_END),
    ]
    # The second detention may have happened any day of March 2022.
    assert (spells[1].possible_from, spells[1].detained_earliest, spells[1].detained_latest) == (
        D("2022-03-01"),
        D("2022-03-01"),
        D("2022-03-31"),
    )
