"""The list counts the people a filter selects once per public state, and again after any public change."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prisoners.models import Status
from prisoners.roles import SYSTEM
from prisoners.services import person_status_refresh, person_withdraw
from tests.prisoners.factories import PersonFactory, StatusEventFactory

pytestmark = pytest.mark.django_db
URL = "/prisoners/"


def imprisoned(name: str):
    someone = PersonFactory(display_name=name)
    StatusEventFactory(person=someone, status=Status.IMPRISONED)
    person_status_refresh(person=someone)  # the stored status, as the write path leaves it
    return someone


def counted(client, **params) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params)
    assert response.status_code == 200
    counts = [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"].upper()]
    return response.context["page"].paginator.count, counts


def test_the_same_people_in_another_order_or_page_size_are_not_counted_again(client):
    for number in range(3):
        imprisoned(f"Person {number}")
    assert counted(client, status="imprisoned")[0] == 3
    total, counts = counted(client, status="imprisoned", sort="-detained", per_page="10")
    assert total == 3 and counts == []


def test_another_filter_is_counted_on_its_own(client):
    imprisoned("Ales Bialiatski")
    PersonFactory(display_name="Maryia Kalesnikava")
    assert counted(client, status="imprisoned")[0] == 1
    total, counts = counted(client)
    assert total == 2 and len(counts) == 1


def test_a_person_published_or_withdrawn_is_counted_at_once(client):
    first = imprisoned("Ales Bialiatski")
    assert counted(client, status="imprisoned")[0] == 1
    imprisoned("Maryia Kalesnikava")
    assert counted(client, status="imprisoned")[0] == 2
    person_withdraw(acting_user=SYSTEM, person=first)
    total, counts = counted(client, status="imprisoned")
    assert total == 1 and len(counts) == 1


def test_a_search_that_can_match_no_one_counts_no_one(client):
    imprisoned("Ales Bialiatski")
    assert counted(client, q="Zzyzx")[0] == 0
