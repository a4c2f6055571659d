"""The CSV and JSON downloads: one query for any number of people, each row what export_row says.

A download reads the whole list with one statement of plain rows (prisoners.presentation.exported_rows);
export_row reads one person's record. These tests hold the two to the same answer, row for row
and in the list's order.
"""

import csv
import io
import json

import pytest
from django.test import RequestFactory

from prisoners.filters import PersonFilter
from prisoners.models import Person, PublicationState, ReleaseType, ReviewState, Status
from prisoners.presentation import (
    CSV_COLUMNS,
    export_row,
    profile_url_prefix,
    spreadsheet_safe,
)
from tests.prisoners.factories import PersonFactory, ReleaseFactory, StatusEventFactory, person_with

pytestmark = pytest.mark.django_db
CSV_URL = "/prisoners/export.csv"
JSON_URL = "/prisoners/export.json"


def csv_download(client, **params) -> list[dict[str, str]]:
    response = client.get(CSV_URL, params)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def json_download(client, **params) -> list[dict[str, str]]:
    response = client.get(JSON_URL, params)
    assert response.status_code == 200
    return json.loads(b"".join(response.streaming_content))


def rows_person_by_person(**params) -> list[dict[str, str]]:
    """The rows as export_row makes them from each person of the filtered list, in its order."""
    request = RequestFactory().get(CSV_URL, params)
    filterset = PersonFilter(request.GET, queryset=Person.objects.public(), request=request)
    assert filterset.is_valid()
    prefix = profile_url_prefix(request)
    return [export_row(person, prefix) for person in filterset.qs]


@pytest.fixture
def record():
    """People whose dates take every path: partial, open, two sources on the same days, unreviewed, none."""
    person_with(
        (Status.DETAINED, "2020-05"),
        (Status.RECOGNISED, "2020-05-29"),
        (ReleaseType.PARDON, "2025-06"),
        display_name="Released in June",
        occupation="=HYPERLINK(1)",
    )
    person_with(
        (Status.DETAINED, "2019"),
        (Status.RELEASED, "2019-22"),
        (Status.PRE_TRIAL, "../2021-03-01"),
        (Status.RECOGNISED, "2021-22"),
        display_name="Detained twice",
    )
    person_with(
        (Status.DETAINED, "2021"),
        (Status.RELEASED, "2025-06"),
        (ReleaseType.EXCHANGE, "2025-06"),
        display_name="Same days",
    )
    person_with(
        (Status.DETAINED, "2020"), (Status.RELEASED, "../2020-12-31"), (ReleaseType.DIED, "2022"), display_name="Died"
    )
    pending = person_with((Status.DETAINED, "2018-03-04"), display_name="Waiting for review")
    StatusEventFactory(person=pending, date="2024-01-02", status=Status.RELEASED, review_state=ReviewState.PENDING)
    ReleaseFactory(person=pending, date="2024-02", review_state=ReviewState.PENDING)
    person_with(display_name="Never detained", gender="female")
    draft = person_with((Status.DETAINED, "2022-02-02"), display_name="Draft")
    Person.objects.filter(pk=draft.pk).update(publication_state=PublicationState.DRAFT)


def test_the_csv_download_holds_export_rows_of_every_public_person_in_the_lists_order(client, record):
    expected = rows_person_by_person()

    assert csv_download(client) == [{key: spreadsheet_safe(value) for key, value in row.items()} for row in expected]
    assert [row["name"] for row in expected] == [
        "Detained twice",
        "Died",
        "Never detained",
        "Released in June",
        "Same days",
        "Waiting for review",
    ]


def test_the_json_download_holds_the_same_rows_unquoted(client, record):
    rows = json_download(client)

    assert rows == rows_person_by_person()
    # Only the CSV guards its cells against spreadsheet formulas.
    assert next(row for row in rows if row["name"] == "Released in June")["occupation"] == "=HYPERLINK(1)"
    assert next(row for row in csv_download(client) if row["name"] == "Released in June")["occupation"] == (
        "'=HYPERLINK(1)"
    )


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "-detained"},
        {"sort": "released"},
        {"sort": "-name"},
        {"status": "released", "sort": "-released"},
        {"released_after": "2025-01-01", "released_before": "2025-12-31"},
        {"q": "Detained twice"},
    ],
)
def test_a_filtered_or_sorted_download_keeps_the_lists_rows_and_order(client, record, params):
    assert json_download(client, **params) == rows_person_by_person(**params)


def test_a_name_no_one_has_downloads_an_empty_list(client, record):
    assert csv_download(client, q="Nobody Known") == []
    assert json_download(client, q="Nobody Known") == []


def test_an_empty_record_downloads_the_header_alone(client):
    response = client.get(CSV_URL)
    assert b"".join(response.streaming_content).decode() == ",".join(CSV_COLUMNS) + "\r\n"
    assert json_download(client) == []


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL])
def test_a_download_is_one_query_however_many_people(client, django_assert_num_queries, url):
    for index in range(3):
        person_with((Status.DETAINED, "2020-05"), (ReleaseType.PARDON, "2025-06"), display_name=f"Few {index}")
    # The joined statement for the people and their dates; the filter choices are not read.
    with django_assert_num_queries(1):
        b"".join(client.get(url).streaming_content)
    for index in range(30):
        PersonFactory(display_name=f"More {index}")
    with django_assert_num_queries(1):
        body = b"".join(client.get(url, {"status": "released"}).streaming_content)
    assert body.count(b"2025-06-30") == 3 * 2  # released_on and current_status_since of each
