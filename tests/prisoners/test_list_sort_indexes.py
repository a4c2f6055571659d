"""On PostgreSQL each date and sentence sort of the list reads its page from an index, never sorting everyone."""

import pytest
from django.db import connection
from django.test import RequestFactory

from prisoners.filters import SORT_CHOICES, SORT_FIELDS, PersonFilter
from prisoners.models import Person
from tests.prisoners.factories import PersonFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL can index NULLS LAST ascending"),
]

INDEXED_SORTS = [value for value, _label in SORT_CHOICES if value.lstrip("-") != "name"]


def page_plan(sort: str, **filters) -> str:
    request = RequestFactory().get("/prisoners/", {"sort": sort, **filters})
    people = PersonFilter(request.GET, queryset=Person.objects.public(), request=request).results()[:25]
    with connection.cursor() as cursor:
        # A handful of test rows would be sorted in memory whatever the indexes: forbid sorting
        # (the planner still sorts where no index gives the order, so a missing one shows).
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        return people.explain()


@pytest.mark.parametrize("sort", INDEXED_SORTS)
def test_a_sorted_page_is_read_in_order_from_an_index(sort):
    PersonFactory.create_batch(3)
    plan = page_plan(sort)
    assert "Sort" not in plan, plan
    column, direction = SORT_FIELDS[sort.lstrip("-")], "desc" if sort.startswith("-") else "asc"
    assert f"person_public_{column}_{direction}_idx" in plan, plan


def test_a_filtered_sorted_page_walks_the_index_and_probes_the_filter():
    PersonFactory.create_batch(3)
    plan = page_plan("-sentence", article="342")
    assert "Sort" not in plan and "person_public_total_term_days_desc_idx" in plan, plan


def test_the_check_sees_a_sort_where_no_index_gives_the_order():
    # Name sorts follow the reader's alphabet (three keys, two directions) and are not indexed.
    PersonFactory.create_batch(3)
    assert "Sort" in page_plan("-name")
