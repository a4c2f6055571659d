"""Downloads and the API give a person's dates as the EDTF of their facts with its first and last day.

Never one invented day: a detention in "May 2020" is not exported as 2020-05-01.
"""

import csv
import datetime as dt
import importlib
import io
import json
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prisoners.models import EXPORT_DATE_COLUMNS, Person, ReleaseType, Status
from prisoners.presentation import CSV_COLUMNS
from prisoners.services import person_status_refresh
from tests.prisoners.factories import (
    CustodyPeriodFactory,
    PersonFactory,
    ReleaseFactory,
    StatusEventFactory,
)

pytestmark = pytest.mark.django_db
DATES = ("current_status_since", "detained_on", "released_on")


def refreshed(person):
    return person_status_refresh(person=person)


def csv_download(client) -> dict[str, dict[str, str]]:
    body = b"".join(client.get("/prisoners/export.csv").streaming_content).decode()
    return {row["name"]: row for row in csv.DictReader(io.StringIO(body))}


def dates_of(row: dict) -> dict[str, tuple]:
    return {name: (row[name], row[f"{name}_earliest"], row[f"{name}_latest"]) for name in DATES}


@pytest.fixture
def people():
    """Detained in May 2020 and released in June 2025; detained twice; released before 2021; never detained."""
    released = PersonFactory(display_name="Released")
    StatusEventFactory(person=released, date="2020-05", status=Status.DETAINED)
    StatusEventFactory(person=released, date="2020-05-29", status=Status.RECOGNISED)
    ReleaseFactory(person=released, date="2025-06", release_type=ReleaseType.PARDON)

    twice = PersonFactory(display_name="Twice")
    StatusEventFactory(person=twice, date="2019", status=Status.DETAINED)
    StatusEventFactory(person=twice, date="2019-22", status=Status.RELEASED)
    StatusEventFactory(person=twice, date="../2021-03-01", status=Status.PRE_TRIAL)
    StatusEventFactory(person=twice, date="2021-22", status=Status.RECOGNISED)

    by_event = PersonFactory(display_name="By event")
    StatusEventFactory(person=by_event, date="2020", status=Status.DETAINED)
    StatusEventFactory(person=by_event, date="../2020-12-31", status=Status.RELEASED)

    never = PersonFactory(display_name="Never detained")
    for person in (released, twice, by_event, never):
        refreshed(person)
    return {"released": released, "twice": twice, "by_event": by_event, "never": never}


def test_the_csv_gives_each_date_as_the_edtf_of_its_fact_with_its_bounds(client, people):
    rows = csv_download(client)

    assert dates_of(rows["Released"]) == {
        "current_status_since": ("2025-06", "2025-06-01", "2025-06-30"),
        "detained_on": ("2020-05", "2020-05-01", "2020-05-31"),
        "released_on": ("2025-06", "2025-06-01", "2025-06-30"),
    }
    # The latest detention, an "on or before" one; the recognition sets no status.
    assert dates_of(rows["Twice"]) == {
        "current_status_since": ("../2021-03-01", "", "2021-03-01"),
        "detained_on": ("../2021-03-01", "", "2021-03-01"),
        "released_on": ("2019-22", "2019-06-01", "2019-08-31"),
    }
    assert dates_of(rows["By event"])["released_on"] == ("../2020-12-31", "", "2020-12-31")
    assert set(dates_of(rows["Never detained"]).values()) == {("", "", "")}


def test_the_csv_columns_carry_every_date_with_its_bounds():
    for name in DATES:
        assert CSV_COLUMNS.index(f"{name}_earliest") == CSV_COLUMNS.index(name) + 1
        assert CSV_COLUMNS.index(f"{name}_latest") == CSV_COLUMNS.index(name) + 2


def test_the_exported_dates_are_the_facts_the_person_row_derives_its_days_from(client, people):
    """The export reads the facts in the order person_status_refresh does: the two cannot drift apart."""
    rows = csv_download(client)
    for person in people.values():
        person.refresh_from_db()
        row = rows[person.display_name]
        for name, derived in [
            ("current_status_since", person.current_status_since),
            ("detained_on", person.custody_started_on),
            ("released_on", person.released_on),
        ]:
            first_known = row[f"{name}_earliest"] or row[f"{name}_latest"]
            assert (dt.date.fromisoformat(first_known) if first_known else None) == derived, (person, name)


def test_a_release_on_the_same_days_as_a_released_event_is_the_one_exported(client):
    person = PersonFactory(display_name="Same day")
    StatusEventFactory(person=person, date="2021", status=Status.DETAINED)
    StatusEventFactory(person=person, date="2025-06", status=Status.RELEASED)
    ReleaseFactory(person=person, date="2025-06", release_type=ReleaseType.EXCHANGE)
    ReleaseFactory(person=person, date="2020", release_type=ReleaseType.DIED)  # no release, and earlier
    refreshed(person)

    row = csv_download(client)["Same day"]

    assert dates_of(row)["released_on"] == ("2025-06", "2025-06-01", "2025-06-30")
    person.refresh_from_db()
    assert person.released_on == dt.date(2025, 6, 1)


def test_the_json_download_gives_the_same_dates(client, people):
    rows = json.loads(b"".join(client.get("/prisoners/export.json").streaming_content))
    released = next(row for row in rows if row["name"] == "Released")
    assert (released["detained_on"], released["detained_on_earliest"], released["detained_on_latest"]) == (
        "2020-05",
        "2020-05-01",
        "2020-05-31",
    )


@pytest.mark.parametrize("url", ["/prisoners/export.csv", "/prisoners/export.json", "/api/v1/prisoners/"])
def test_exporting_more_people_takes_no_more_queries(client, django_assert_num_queries, url):
    def add_people(count):
        for _ in range(count):
            person = PersonFactory()
            StatusEventFactory(person=person, date="2020-05", status=Status.DETAINED)
            ReleaseFactory(person=person, date="2025-06")
            refreshed(person)

    def read():
        response = client.get(url)
        return b"".join(response.streaming_content) if response.streaming else response.content

    add_people(2)
    read()  # a first request may also ask the database what it supports (SQLite's JSON check)
    with CaptureQueriesContext(connection) as few:
        read()
    add_people(20)
    # The dates come from subqueries of the one query for the people, not a query per person.
    with django_assert_num_queries(len(few)):
        body = read()
    assert body.count(b"2020-05-31") == 22


def test_the_api_gives_each_date_as_edtf_with_its_bounds(client, people):
    listed = {row["display_name"]: row for row in client.get("/api/v1/prisoners/").json()["results"]}

    released = listed["Released"]
    assert (released["detained_on"], released["detained_on_earliest"], released["detained_on_latest"]) == (
        "2020-05",
        "2020-05-01",
        "2020-05-31",
    )
    assert (released["released_on"], released["released_on_earliest"], released["released_on_latest"]) == (
        "2025-06",
        "2025-06-01",
        "2025-06-30",
    )
    twice = listed["Twice"]
    assert (twice["detained_on"], twice["detained_on_earliest"], twice["detained_on_latest"]) == (
        "../2021-03-01",
        None,
        "2021-03-01",
    )
    never = listed["Never detained"]
    assert {key: never[key] for key in never if key.startswith(DATES)} == dict.fromkeys(
        [f"{name}{part}" for name in DATES for part in ("", "_earliest", "_latest")]
    )


def test_the_api_detail_gives_birth_and_custody_dates_with_their_bounds(client):
    person = PersonFactory(birth_date="1962")
    CustodyPeriodFactory(person=person, start="2021-07", end="2022-22")

    detail = client.get(f"/api/v1/prisoners/{person.slug}/").json()

    assert (detail["birth_date"], detail["birth_date_earliest"], detail["birth_date_latest"]) == (
        "1962",
        "1962-01-01",
        "1962-12-31",
    )
    (custody,) = detail["custody"]
    assert {key: custody[key] for key in custody if key.startswith(("start", "end"))} == {
        "start": "2021-07",
        "start_earliest": "2021-07-01",
        "start_latest": "2021-07-31",
        "end": "2022-22",
        "end_earliest": "2022-06-01",
        "end_latest": "2022-08-31",
    }
    assert detail["detained_on"] is None


def test_the_api_schema_describes_the_dates_as_edtf_text_and_days(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    person = schema["components"]["schemas"]["Person"]["properties"]
    assert person["detained_on"]["type"] == "string" and person["detained_on"]["nullable"] is True
    assert "format" not in person["detained_on"]
    assert person["detained_on_earliest"]["format"] == "date" and person["detained_on_earliest"]["nullable"] is True


def test_the_migration_derives_the_export_columns_the_service_stores(people):
    from django.apps import apps

    migration = importlib.import_module("prisoners.migrations.0020_person_export_dates")
    before = {row[0]: row[1:] for row in Person.objects.order_by("pk").values_list("pk", *EXPORT_DATE_COLUMNS)}
    assert len(before) == len(people) and sum(any(values) for values in before.values()) == 3
    Person.objects.update(**dict.fromkeys(EXPORT_DATE_COLUMNS, ""))
    migration.export_dates_derive(apps, SimpleNamespace(connection=connection))  # as a schema editor
    after = {row[0]: row[1:] for row in Person.objects.order_by("pk").values_list("pk", *EXPORT_DATE_COLUMNS)}
    assert after == before
