import datetime as dt
import json
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from prisoners import charts
from prisoners.demo import JUNE_2025_GROUP
from prisoners.models import Gender, LegalCode, Person, PublicationState, Region, ReleaseType, Status
from prisoners.stats import (
    breakdowns,
    count_in_custody_on,
    custody_count_on,
    in_custody_on,
    monthly_series,
    stats_summary,
)
from tests.prisoners.factories import (
    ChargeFactory,
    DefendantFactory,
    LegalArticleFactory,
    person_with,
)

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat


def custody_on(person: Person, *days: str) -> list[bool]:
    return [in_custody_on(D(day)).filter(pk=person.pk).exists() for day in days]


def readings(person: Person, *days: str) -> list[str]:
    """Per day: "yes" (surely in custody), "maybe" (the dates leave it open) or "no", from the queries."""
    surely = [in_custody_on(D(day)).filter(pk=person.pk).exists() for day in days]
    possibly = [Person.objects.public().possibly_in_custody_on(D(day)).filter(pk=person.pk).exists() for day in days]
    return ["yes" if sure else "maybe" if maybe else "no" for sure, maybe in zip(surely, possibly, strict=True)]


def agrees_with_current_status(person: Person) -> bool:
    """in_custody_on(far future) must say what person_status_refresh stored."""
    return in_custody_on(D("2100-01-01")).filter(pk=person.pk).exists() == person.is_in_custody()


# --- The status on a past day ---------------------------------------------------------------


def test_a_detained_then_released_person_is_in_custody_only_in_between():
    person = person_with((Status.DETAINED, "2021-05-10"), (ReleaseType.PARDON, "2025-06-21"))
    assert custody_on(person, "2021-05-09", "2021-05-10", "2025-06-20", "2025-06-21", "2025-06-22") == [
        False,
        True,
        True,
        False,
        False,
    ]


def test_a_person_detained_again_after_release_is_back_in_custody_from_the_new_detention():
    person = person_with(
        (Status.IMPRISONED, "2020-05"), (ReleaseType.END_OF_TERM, "2022-01-15"), (Status.DETAINED, "2024-03")
    )
    days = (
        "2020-04-30",
        "2020-05-01",
        "2020-05-31",
        "2022-01-14",
        "2022-01-15",
        "2024-02-29",
        "2024-03-01",
        "2024-03-31",
    )
    assert readings(person, *days) == ["no", "maybe", "yes", "yes", "no", "no", "maybe", "yes"]
    assert agrees_with_current_status(person)


def test_partial_dates_are_sure_only_from_their_last_known_day():
    in_july = person_with((Status.DETAINED, "2021-07"))
    on_or_before = person_with((Status.IMPRISONED, "../2025-08-28"))
    released_in_a_range = person_with((Status.CONVICTED, "2021"), (ReleaseType.PARDON, "2024-05/2024-08"))
    assert readings(in_july, "2021-06-30", "2021-07-01", "2021-07-30", "2021-07-31") == ["no", "maybe", "maybe", "yes"]
    # "On or before X": any day before X may be it; from X on it is sure.
    assert readings(on_or_before, "1990-01-01", "2025-08-27", "2025-08-28") == ["maybe", "maybe", "yes"]
    assert readings(
        released_in_a_range,
        "2020-12-31",
        "2021-01-01",
        "2021-12-31",
        "2024-04-30",
        "2024-05-01",
        "2024-08-30",
        "2024-08-31",
    ) == ["no", "maybe", "yes", "yes", "maybe", "maybe", "no"]


def test_facts_with_the_same_first_day_are_ordered_as_person_status_refresh_orders_them():
    # "2021-01" ends before "2021": the narrower fact comes first, so the detention is the latest.
    narrower_release_first = person_with((Status.DETAINED, "2021"), (ReleaseType.PARDON, "2021-01"))
    # Same days: status events come before releases.
    release_on_the_day = person_with((Status.DETAINED, "2021-07-14"), (ReleaseType.ACQUITTAL, "2021-07-14"))
    # Same days, both events: the one entered last wins.
    entered_last = person_with((Status.RELEASED, "2021-07-14"), (Status.DETAINED, "2021-07-14"))
    assert readings(narrower_release_first, "2021-02-01", "2021-12-31") == ["maybe", "yes"]
    assert readings(release_on_the_day, "2021-07-14") == ["no"]
    assert readings(entered_last, "2021-07-13", "2021-07-14") == ["yes", "yes"]
    assert all(map(agrees_with_current_status, [narrower_release_first, release_on_the_day, entered_last]))


def test_a_transfer_keeps_a_person_in_custody_and_house_arrest_does_not_count():
    transferred = person_with((Status.IMPRISONED, "2022-01"), (Status.TRANSFERRED, "2023-03"))
    house_arrest = person_with((Status.DETAINED, "2022-01"), (Status.HOUSE_ARREST, "2022-03"))
    assert custody_on(transferred, "2023-04-01") == [True]
    assert readings(house_arrest, "2022-02-01", "2022-03-15", "2022-04-01") == ["yes", "maybe", "no"]


def test_a_death_in_custody_ends_custody_whether_recorded_as_release_or_event():
    release = person_with((Status.IMPRISONED, "2020-05"), (ReleaseType.DIED, "2023-05-21"))
    event = person_with((Status.IMPRISONED, "2020-05"), (Status.DIED_IN_CUSTODY, "2023-05-21"))
    assert custody_on(release, "2023-05-20", "2023-05-21") == [True, False]
    assert custody_on(event, "2023-05-20", "2023-05-21") == [True, False]
    assert release.current_status == Status.DIED_IN_CUSTODY


def test_recognition_events_never_change_whether_a_person_is_in_custody():
    detained = person_with(
        (Status.DETAINED, "2021-07"), (Status.RECOGNISED, "2021-08"), (Status.RECOGNITION_WITHDRAWN, "2024")
    )
    only_recognised = person_with((Status.RECOGNISED, "2021-08"))
    assert custody_on(detained, "2021-09-01", "2024-06-01") == [True, True]
    assert readings(only_recognised, "2021-09-01") == ["no"]


def test_a_record_that_begins_with_a_release_is_sure_of_custody_only_on_the_day_before_it():
    only_release = person_with((ReleaseType.FORCED_EXILE, "2025-06-21"))
    released_event = person_with((Status.RELEASED, "2025-06-21"))
    in_a_month = person_with((ReleaseType.PARDON, "2025-06"))
    house_arrest_first = person_with((Status.HOUSE_ARREST, "2020"), (ReleaseType.PARDON, "2022-01-01"))
    assert readings(only_release, "2020-01-01", "2025-06-19", "2025-06-20", "2025-06-21") == [
        "maybe",
        "maybe",
        "yes",
        "no",
    ]
    assert readings(released_event, "2025-06-20", "2025-06-21") == ["yes", "no"]
    # Released some day in June: no day is sure, any day before the end of June may be.
    assert readings(in_a_month, "2025-05-31", "2025-06-29", "2025-06-30") == ["maybe", "maybe", "no"]
    # Only a record that *begins* with leaving custody says so; here the first fact is house arrest.
    assert readings(house_arrest_first, "2019-12-31", "2021-01-01") == ["no", "no"]


def test_an_undated_detention_leaves_every_earlier_day_open_and_none_sure():
    person = person_with((Status.DETAINED, ""), (ReleaseType.PARDON, "2022-01-01"))
    assert readings(person, "2000-01-01", "2021-12-31", "2022-01-01") == ["maybe", "maybe", "no"]


def test_drafts_and_withdrawn_people_are_never_counted():
    public = person_with((Status.DETAINED, "2021-07"))
    person_with((Status.DETAINED, "2021-07"), publication_state=PublicationState.DRAFT)
    person_with((Status.DETAINED, "2021-07"), publication_state=PublicationState.WITHDRAWN)
    assert list(in_custody_on(D("2022-01-01"))) == [public]
    # Passing a wider set does not widen the answer past the public.
    assert list(in_custody_on(D("2022-01-01"), people=Person.objects.all())) == [public]
    assert count_in_custody_on(D("2022-01-01")) == 1
    assert monthly_series(D("2021-07-01"), D("2021-07-31"))[0]["in_custody"] == 1


def test_in_custody_on_is_also_a_queryset_method_and_runs_as_one_query(django_assert_num_queries):
    person = person_with((Status.DETAINED, "2021-07"), (ReleaseType.PARDON, "2023"))
    # One SQL query however many facts people have: subqueries, not a query per person.
    with django_assert_num_queries(1):
        assert list(Person.objects.public().in_custody_on(D("2022-01-01"))) == [person]


# --- The demo data --------------------------------------------------------------------------


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=StringIO())


def test_the_june_2025_release_group_leaves_custody_between_20_and_22_june(demo):
    group = set(Person.objects.public().in_release_group(JUNE_2025_GROUP))
    assert count_in_custody_on(D("2025-06-20")) - count_in_custody_on(D("2025-06-22")) == len(group) == 6
    assert set(in_custody_on(D("2025-06-20"))) - set(in_custody_on(D("2025-06-22"))) == group


def test_in_custody_today_agrees_with_the_stored_current_status(demo):
    today = set(in_custody_on(timezone.localdate()))
    assert today == set(Person.objects.public().in_custody())
    assert len(today) == 6


# --- Monthly series -------------------------------------------------------------------------


def test_the_monthly_series_counts_custody_detentions_and_releases_in_their_months(django_assert_max_num_queries):
    person_with((Status.DETAINED, "2021-05-10"), (ReleaseType.FORCED_EXILE, "2025-06-21"))
    # Remand after arrest continues the same custody spell: a detention in May, not again in June.
    person_with((Status.DETAINED, "2021-05-20"), (Status.PRE_TRIAL, "2021-06-02"), (ReleaseType.PARDON, "2025-06-30"))
    person_with((Status.DETAINED, "2021-05-20"), publication_state=PublicationState.DRAFT)
    # The first call builds this public state's tallies (the state, charges, spells, releases,
    # the old tallies deleted, the new inserted, on PostgreSQL the table analysed); then any
    # series is three queries at any size: the state, whether its tallies are built, their rows.
    with django_assert_max_num_queries(11):
        monthly_series(D("2020-01-01"), D("2020-02-01"))
    with django_assert_max_num_queries(3):
        series = monthly_series(D("2021-04-01"), D("2025-07-31"))
    months = {row["month"]: row for row in series}
    assert len(series) == 52 and series[0]["month"] == "2021-04" and series[-1]["month"] == "2025-07"
    assert [months[m]["in_custody"] for m in ("2021-04", "2021-05", "2021-06", "2025-05", "2025-06", "2025-07")] == [
        0,
        2,
        2,
        2,
        0,
        0,
    ]
    assert [months[m]["newly_detained"] for m in ("2021-04", "2021-05", "2021-06")] == [0, 2, 0]
    assert months["2025-06"]["released"] == {**dict.fromkeys(ReleaseType.values, 0), "forced_exile": 1, "pardon": 1}
    assert months["2025-06"]["released_total"] == 2
    assert months["2025-05"]["released_total"] == months["2025-07"]["released_total"] == 0
    assert months["2025-06"]["counted_on"] == "2025-06-30"


def test_the_last_month_is_counted_on_the_end_day_and_a_new_detention_after_release_counts_again():
    person_with((Status.DETAINED, "2021-05"), (ReleaseType.PARDON, "2022-01-10"), (Status.DETAINED, "2022-03-03"))
    series = monthly_series(D("2021-05-01"), D("2022-03-02"))
    assert series[-1] == {
        "month": "2022-03",
        "counted_on": "2022-03-02",
        "in_custody": 0,
        "in_custody_at_least": 0,
        "in_custody_at_most": 0,
        "newly_detained": 0,
        "released": dict.fromkeys(ReleaseType.values, 0),
        "released_total": 0,
    }
    detentions = {row["month"]: row["newly_detained"] for row in monthly_series(D("2021-05-01"), D("2022-03-31"))}
    assert (detentions["2021-05"], detentions["2022-03"]) == (1, 1)


HISTORIES = [
    [(Status.DETAINED, "2021-05-10"), (ReleaseType.PARDON, "2025-06-21")],
    [(Status.IMPRISONED, "2020-05"), (ReleaseType.END_OF_TERM, "2022-01-15"), (Status.DETAINED, "2024-03")],
    [(Status.IMPRISONED, "../2025-08-28")],
    [(Status.CONVICTED, "2021"), (ReleaseType.PARDON, "2024-05/2024-08")],
    [(Status.DETAINED, "2021"), (ReleaseType.PARDON, "2021-01")],
    [(Status.DETAINED, "2021-07-14"), (ReleaseType.ACQUITTAL, "2021-07-14")],
    [(Status.RELEASED, "2021-07-14"), (Status.DETAINED, "2021-07-14")],
    [(Status.IMPRISONED, "2022-01"), (Status.TRANSFERRED, "2023-03")],
    [(Status.DETAINED, "2022-01"), (Status.HOUSE_ARREST, "2022-03"), (Status.DETAINED, "2022-05")],
    [(Status.IMPRISONED, "2020-05"), (ReleaseType.DIED, "2023-05-21")],
    [(Status.DETAINED, "2021-07"), (Status.RECOGNISED, "2021-08"), (Status.RECOGNITION_WITHDRAWN, "2024")],
    [(ReleaseType.FORCED_EXILE, "2025-06-21")],
    [(Status.RELEASED, "2023-02"), (ReleaseType.EXCHANGE, "2023-02-10")],
    [(Status.HOUSE_ARREST, "2020"), (ReleaseType.PARDON, "2022-01-01")],
    [(Status.DETAINED, ""), (ReleaseType.PARDON, "2022-01-01")],
    [(Status.DISAPPEARED, "2022-06"), (Status.DETAINED, "2023-01/2023-03")],
]


def test_the_monthly_series_the_day_counts_and_each_person_apply_the_same_rule():
    people = [person_with(*facts) for facts in HISTORIES]
    series = monthly_series(D("2020-01-01"), D("2025-12-31"))
    for row in series:
        count = custody_count_on(D(row["counted_on"]))
        assert (row["in_custody_at_least"], row["in_custody_at_most"]) == (count.at_least, count.at_most), row
    # And person by person, on days where facts change: the day before, of, and after each.
    changes = map(D, ("2021-07-14", "2022-01-01", "2023-02-10", "2023-03-01", "2025-06-21"))
    days = {D("2019-12-31")} | {day + dt.timedelta(days=k) for day in changes for k in (-1, 0, 1)}
    people = list(Person.objects.filter(pk__in=[p.pk for p in people]).prefetch_related("custody_spells"))
    for day in sorted(days):
        surely = {p.pk for p in people if p.in_custody_on(day)}
        possibly = {p.pk for p in people if p.possibly_in_custody_on(day)}
        assert set(in_custody_on(day).values_list("pk", flat=True)) == surely, day
        assert set(Person.objects.possibly_in_custody_on(day).values_list("pk", flat=True)) == possibly, day
        assert surely <= possibly
    # And today, with the status person_status_refresh stored.
    assert all(map(agrees_with_current_status, people))


# --- Breakdowns and the summary -------------------------------------------------------------


def test_breakdowns_count_people_in_custody_by_region_article_and_gender():
    riots = LegalArticleFactory(article="293", part="1", title="Organisation of mass riots")
    riots_part_2 = LegalArticleFactory(article="293", part="2", title="Participation in mass riots")
    insult = LegalArticleFactory(code=LegalCode.ADMINISTRATIVE, article="19.1", part="", title="Petty hooliganism")
    a = person_with((Status.IMPRISONED, "2021"), region=Region.MINSK_CITY, gender=Gender.FEMALE)
    b = person_with((Status.DETAINED, "2022"), region=Region.MINSK_CITY, gender=Gender.MALE)
    c = person_with((Status.CONVICTED, "2022"), region=Region.HOMEL)
    released = person_with((Status.DETAINED, "2021"), (ReleaseType.PARDON, "2023"), region=Region.HOMEL)
    draft = person_with((Status.DETAINED, "2021"), region=Region.BREST, publication_state=PublicationState.DRAFT)
    for person, article in [
        (a, riots),
        (a, riots_part_2),
        (b, riots_part_2),
        (c, insult),
        (released, riots),
        (draft, riots),
    ]:
        ChargeFactory(defendant=DefendantFactory(person=person), article=article)

    result = breakdowns(D("2024-01-01"))
    assert [(row["value"], row["count"]) for row in result["region"]] == [("minsk", 2), ("homel", 1)]
    assert [(row["value"], row["count"]) for row in result["gender"]] == [("female", 1), ("male", 1), ("unknown", 1)]
    assert [(row["label"], row["count"]) for row in result["article"]] == [
        ("Art. 293 — Organisation of mass riots", 2),
        ("Art. 19.1 — Petty hooliganism (Code of Administrative Offences of Belarus)", 1),
    ]
    # Without a day: the current status, which here says the same.
    assert breakdowns() == result


def test_the_summary_is_plain_json_and_its_parts_agree(demo):
    with time_machine.travel(dt.datetime(2025, 8, 1, 12, tzinfo=dt.UTC), tick=False):
        summary = stats_summary(on=D("2025-06-22"))
    assert json.loads(json.dumps(summary)) == summary
    assert summary["on"] == "2025-06-22" and summary["in_custody"] == 5
    months = summary["series"]["months"]
    assert (months[0]["month"], months[-1]["month"], months[-1]["counted_on"]) == ("2020-01", "2025-06", "2025-06-22")
    assert months[-1]["in_custody"] == summary["in_custody"]
    assert months[-1]["released"]["forced_exile"] == 6
    assert sum(row["count"] for row in summary["breakdowns"]["gender"]) == summary["in_custody"]


def test_the_series_never_runs_past_today():
    with time_machine.travel(dt.datetime(2025, 8, 1, 12, tzinfo=dt.UTC), tick=False):
        summary = stats_summary(on=D("2030-01-01"))
    assert summary["series"]["end"] == "2025-08-01"
    assert summary["series"]["months"][-1]["month"] == "2025-08"


# --- Charts and the page ------------------------------------------------------------------


def test_chart_labels_are_escaped_and_charts_are_accessible_images():
    svg = charts.horizontal_bar_chart(
        [("<script>alert(1)</script>", 3)], chart_id="c", title="A & B", desc="<b>desc</b>"
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'role="img"' in svg and '<title id="c-title">A &amp; B</title>' in svg
    assert '<desc id="c-desc">&lt;b&gt;desc&lt;/b&gt;</desc>' in svg
    assert 'viewBox="0 0 400' in svg and 'width="100%"' in svg
    bars = charts.bar_chart(
        ["May <2021>"], [charts.Series("<i>pardon</i>", [2])], chart_id="b", title="t", desc="d", x_labels={0: "<x>"}
    )
    assert "<i>" not in bars and "May &lt;2021&gt;" in bars and "&lt;x&gt;" in bars
    assert "<polyline" in charts.line_chart([1, 3, 2], chart_id="l", title="t", desc="d", x_labels={0: "2020"})


def test_the_stats_page_shows_the_count_charts_and_tables_in_few_queries(client, demo, django_assert_max_num_queries):
    client.get(reverse("prisoners:stats"), {"on": "2025-06-20"})  # builds this public state's tallies
    # The public state for the ETag (1), whether its tallies are built (1), the sums on the day
    # (1), the series (1), the articles' titles (1): 5 at any data size.
    with django_assert_max_num_queries(5):
        response = client.get(reverse("prisoners:stats"), {"on": "2025-06-22"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<strong>5</strong> people surely in custody on {date_format(D('2025-06-22'), 'DATE_FORMAT')}" in html
    assert html.count("<svg") >= 6
    # The monthly figures, for screen readers: the wrapper hides them (a table cannot be made 1 px wide).
    assert '<div class="visually-hidden">\n<table class="stats-table">' in html
    assert "Art. 357 — Conspiracy to seize state power" in html
    assert 'name="on"' in html and 'type="date"' in html and 'value="2025-06-22"' in html
    assert "/api/v1/stats/?on=2025-06-22" in html
    assert "Anatol Kotau" not in html


def test_the_stats_page_defaults_to_today_and_rejects_unreadable_or_future_days(client, demo):
    today = timezone.localdate()
    response = client.get(reverse("prisoners:stats"))
    assert response.status_code == 200
    assert f'value="{today.isoformat()}"' in response.content.decode()
    assert "people surely in custody on" in response.content.decode()
    before_the_series = client.get(reverse("prisoners:stats"), {"on": "2019-06-01"})
    assert before_the_series.status_code == 200 and before_the_series.context["summary"]["series"]["months"] == []
    for bad in ("not-a-day", (today + dt.timedelta(days=1)).isoformat()):
        response = client.get(reverse("prisoners:stats"), {"on": bad})
        assert response.status_code == 200
        assert 'class="errorlist' in response.content.decode()
        assert response.context["day"] == today


def test_the_stats_page_and_api_answer_a_revalidation_with_304_in_one_query(client, demo, django_assert_num_queries):
    for url in (reverse("prisoners:stats") + "?on=2025-06-22", reverse("api:stats") + "?on=2025-06-22"):
        first = client.get(url)
        assert first.status_code == 200 and "public" in first["Cache-Control"]
        with django_assert_num_queries(1):
            again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again.content == b""
        other_day = client.get(url.replace("2025-06-22", "2025-06-20"), HTTP_IF_NONE_MATCH=first["ETag"])
        assert other_day.status_code == 200


def test_the_stats_page_is_linked_from_every_page(client, db):
    assert reverse("prisoners:stats") in client.get(reverse("prisoners:home")).content.decode()
