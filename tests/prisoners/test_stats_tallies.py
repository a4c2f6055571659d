"""Stored statistics tallies: built once per public state, they say what the spells say on every day."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from prisoners.models import Charge, Person, ReleaseType, StatsTally, Status
from prisoners.roles import SYSTEM
from prisoners.services import person_withdraw
from prisoners.stats import breakdowns, custody_count_on, stats_summary, tallies
from tests.prisoners.factories import person_with

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat
# Every 37th day from before the first record to after the last: month starts, ends and middles.
DAYS = [D("2019-12-01") + dt.timedelta(days=37 * step) for step in range(80)]


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", stdout=StringIO())


def live_breakdown(day: dt.date, field: str) -> dict[str, int]:
    people = Person.objects.public().in_custody_on(day)
    return {row[field] or "unknown": row["n"] for row in people.values(field).annotate(n=Count("pk")).order_by()}


def live_articles(day: dt.date) -> dict[str, int]:
    people = Person.objects.public().in_custody_on(day)
    rows = (
        Charge.objects.reviewed()
        .filter(defendant__person__in=people.values("pk"))
        .values("article__code", "article__article")
        .annotate(n=Count("defendant__person", distinct=True))
        .order_by()
    )
    return {f"{row['article__code']}:{row['article__article']}": row["n"] for row in rows}


def test_on_every_day_the_tallies_count_what_the_spells_count(demo):
    for day in DAYS:
        summary = stats_summary(day)
        count = custody_count_on(day)
        assert (summary["in_custody_at_least"], summary["in_custody_at_most"]) == (count.at_least, count.at_most), day
        parts = summary["breakdowns"]
        assert {row["value"]: row["count"] for row in parts["region"]} == live_breakdown(day, "region"), day
        assert {row["value"]: row["count"] for row in parts["gender"]} == live_breakdown(day, "gender"), day
        assert {row["value"]: row["count"] for row in parts["article"]} == live_articles(day), day
    assert any(stats_summary(day)["in_custody"] for day in DAYS), "the demo has people in custody on some day"


def test_the_series_at_each_month_end_is_the_count_on_that_day(demo):
    series = stats_summary(D("2025-07-15"))["series"]["months"]
    for row in series[::5]:
        count = custody_count_on(D(row["counted_on"]))
        assert (row["in_custody_at_least"], row["in_custody_at_most"]) == (count.at_least, count.at_most), row["month"]


def test_a_state_is_built_once_and_a_public_change_builds_the_next(django_assert_num_queries):
    kept = person_with((Status.DETAINED, "2021-03-02"))
    leaving = person_with((Status.DETAINED, "2021-04-01"), (ReleaseType.PARDON, "2024-01-10"))
    assert stats_summary(D("2022-01-01"))["in_custody"] == 2
    first_state = set(StatsTally.objects.values_list("state", flat=True))
    # The state, built?, the sums, the series (article titles only where someone is charged): no build.
    with django_assert_num_queries(4):
        assert stats_summary(D("2022-01-01"))["in_custody"] == 2

    person_withdraw(acting_user=SYSTEM, person=leaving)

    assert stats_summary(D("2022-01-01"))["in_custody"] == 1
    assert set(StatsTally.objects.values_list("state", flat=True)).isdisjoint(first_state)  # the old rows are gone
    assert breakdowns(D("2022-01-01"))["gender"][0]["count"] == 1 and kept.is_public()


def test_an_empty_record_is_built_too_and_counts_nobody(django_assert_max_num_queries):
    assert stats_summary(D("2024-06-01"))["in_custody"] == 0
    assert tallies().filter(measure="built").count() == 1
    with django_assert_max_num_queries(2):  # the state and "built?": nothing is built again
        tallies()


def test_a_day_s_count_reads_a_bounded_number_of_rows_whatever_the_people():
    # 40 people detained on 40 different days: the day's sum reads whole months plus its own month's days.
    for index in range(40):
        person_with((Status.DETAINED, (D("2021-01-05") + dt.timedelta(days=9 * index)).isoformat()))
    day = D("2021-12-31")
    read = (
        tallies()
        .filter(measure="in_custody_certain", dimension="")
        .filter(span="month", day__lt=day.replace(day=1))
        .count()
        + tallies()
        .filter(measure="in_custody_certain", dimension="", span="day", day__gte=day.replace(day=1), day__lte=day)
        .count()
    )
    assert read <= 12 + 31
    assert stats_summary(day)["in_custody"] == 40


def test_the_home_page_counts_are_the_rule_s_stored_once_per_state_and_day(django_assert_num_queries):
    from django.utils import timezone

    from prisoners.stats import headline_counts

    today = timezone.localdate()
    person_with((Status.DETAINED, "2021-03-02"))
    released = person_with((Status.DETAINED, "2021-04-01"), (ReleaseType.PARDON, today.isoformat()))
    assert headline_counts(today) == Person.objects.public().headline_counts(today)
    with django_assert_num_queries(2):  # the state, the stored counts
        assert headline_counts(today) == {"in_custody": 1, "released_last_12_months": 1, "recognised": 0}

    person_withdraw(acting_user=SYSTEM, person=released)

    assert headline_counts(today) == {"in_custody": 1, "released_last_12_months": 0, "recognised": 0}
    assert StatsTally.objects.filter(measure="headline").count() == 3  # only the current state's
