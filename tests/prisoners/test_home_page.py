"""The home page dates each recently updated record by its last public change."""

import datetime as dt

import pytest

from prisoners.models import Person
from tests.prisoners.factories import PersonFactory

pytestmark = pytest.mark.django_db


def updated(person, when: dt.datetime) -> None:
    Person.objects.filter(pk=person.pk).update(public_updated_at=when)


def test_recently_updated_records_show_the_day_of_their_last_public_change(client):
    ales = PersonFactory(display_name="Ales Bialiatski")
    maryia = PersonFactory(display_name="Maryia Kalesnikava")
    # 23:30 UTC is already the next day in Minsk (UTC+3): the page shows the reader's day there.
    updated(ales, dt.datetime(2025, 6, 2, 23, 30, tzinfo=dt.UTC))
    updated(maryia, dt.datetime(2024, 1, 15, 9, 0, tzinfo=dt.UTC))

    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<time datetime="2025-06-03T02:30:00+03:00">updated 3 June 2025</time>' in html
    assert '<time datetime="2024-01-15T12:00:00+03:00">updated 15 January 2024</time>' in html
    assert html.index("Ales Bialiatski") < html.index("Maryia Kalesnikava")  # latest change first


def test_a_record_never_changed_in_public_is_not_listed_as_recently_updated(client):
    PersonFactory(display_name="Ihar Losik")
    PersonFactory(display_name="Maryia Kalesnikava")
    Person.objects.filter(display_name="Ihar Losik").update(public_updated_at=None)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Maryia Kalesnikava" in html and "Ihar Losik" not in html


def test_the_home_page_reads_a_fixed_number_of_queries(client, django_assert_num_queries):
    for number in range(12):
        updated(PersonFactory(display_name=f"Person {number:02}"), dt.datetime(2025, 1, 1 + number, tzinfo=dt.UTC))
    client.get("/")  # the first request of a public state counts the headline figures and stores them
    # The public state (the ETag), the stored headline counts and the ten latest people
    # (the dates are on the person row).
    with django_assert_num_queries(3):
        response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.content.decode().count("<time ") == 10
