"""The list pages, the API list and the downloads read the same number of statements for 3 people or 30.

The benchmark holds them to it at 10,000 and 100,000 people; here it is checked on every run.
The default cache is emptied before each request, so the filter choices are read as on a
first request in a new public state.
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prisoners.models import ReleaseType, Status
from tests.prisoners.factories import (
    ChargeFactory,
    DefendantFactory,
    LegalArticleFactory,
    ReleaseGroupFactory,
    person_with,
)

pytestmark = pytest.mark.django_db

# The public state (its ETag), the count, the page of people, their public releases, and the
# form's choices: the public release groups and the articles of public charges.
LIST_QUERIES = 6
# The public state (its ETag) and the page with its dates: the API draws no form, so reads no choices.
API_LIST_QUERIES = 2

PAGES = [
    ("/prisoners/?status=imprisoned", LIST_QUERIES),
    ("/prisoners/?released_after=2025-01-01&released_before=2025-12-31", LIST_QUERIES),
    ("/prisoners/", LIST_QUERIES),
    ("/api/v1/prisoners/?status=imprisoned", API_LIST_QUERIES),
    ("/prisoners/export.csv", 1),
]


def add_people(count: int, offset: int = 0) -> None:
    group = ReleaseGroupFactory()
    article = LegalArticleFactory(article=str(300 + offset), part="1")
    for index in range(count):
        released = person_with(
            (Status.DETAINED, "2021-05"), (ReleaseType.PARDON, "2025-06"), display_name=f"Released {offset + index}"
        )
        released.releases.update(group=group)
        held = person_with((Status.IMPRISONED, "2022"), display_name=f"Held {offset + index}")
        ChargeFactory(defendant=DefendantFactory(person=held), article=article)


def statements(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(context)


@pytest.mark.parametrize(("url", "expected"), PAGES)
def test_a_list_reads_as_many_statements_for_thirty_people_as_for_three(client, url, expected):
    add_people(3)
    statements(client, url)  # a first request may also ask the database what it supports
    few = statements(client, url)
    add_people(27, offset=3)

    assert statements(client, url) == few == expected
