"""The daily list of people whose expected end of term is near, shown on the admin index."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from casetracker.celery import app
from prisoners.models import Person, Status
from prisoners.services import person_status_refresh, term_endings_digest_prepare
from prisoners.tasks import term_endings_digest_task
from tests.prisoners.factories import DefendantFactory, PersonFactory, SentenceFactory, StatusEventFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 23)


def serving(name, detained, years=0, months=0):
    person = PersonFactory(display_name=name)
    StatusEventFactory(person=person, date=detained, status=Status.DETAINED)
    SentenceFactory(defendant=DefendantFactory(person=person), date=detained[:4], term_years=years, term_months=months)
    return person_status_refresh(person=person)


def test_people_whose_term_may_end_in_the_next_60_days_are_listed():
    soon = serving("Due in December", "2021-12-20", years=5)
    maybe = serving("Due some day in January", "2022-01", years=5)
    serving("Due in 2030", "2025-01-01", years=5)
    released = serving("Already out", "2021-12-20", years=5)
    StatusEventFactory(person=released, date="2024-01-01", status=Status.RELEASED)
    person_status_refresh(person=released)
    assert set(Person.objects.term_ending_within(60, TODAY)) == {soon, maybe}
    digest = term_endings_digest_prepare(today=TODAY)
    assert [item["name"] for item in digest.items] == ["Due in December", "Due some day in January"]
    assert digest.items[0]["expected_end"] == "20 December 2026"
    assert digest.items[1]["expected_end"] == "January 2027"


def test_the_admin_index_shows_the_latest_list(researcher_client):
    serving("Due in December", "2021-12-20", years=5)
    page = researcher_client.get(reverse("admin:index")).content.decode()
    assert "Not prepared yet" in page
    with time_machine.travel(dt.datetime(2026, 11, 23, 5, tzinfo=dt.UTC)):
        term_endings_digest_task.apply()
    page = researcher_client.get(reverse("admin:index")).content.decode()
    assert "Due in December</a> — 20 December 2026" in page


def test_every_scheduled_task_exists():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]
