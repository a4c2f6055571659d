"""A filter value the list cannot read is an error beside its field and lists no one; the downloads refuse it."""

import re

import pytest
from django.core.cache import cache

from prisoners.filters import NOT_AN_ARTICLE
from prisoners.models import Region
from prisoners.views import FILTERS_REFUSED
from tests.prisoners.factories import PersonFactory

pytestmark = pytest.mark.django_db
URL = "/prisoners/"
DOWNLOADS = ["/prisoners/export.csv", "/prisoners/export.json"]
# What the list's form sends when submitted untouched: every field, the unused ones empty.
UNTOUCHED_FORM = {
    "q": "",
    "released_after": "",
    "released_before": "",
    "detained_after": "",
    "detained_before": "",
    "region": "",
    "article": "",
    "release_type": "",
    "release_group": "",
    "gender": "",
    "sort": "name",
}


@pytest.fixture
def people():
    return [PersonFactory(display_name="Ales", region=Region.MINSK_CITY), PersonFactory(display_name="Maryia")]


def get(client, **params):
    return client.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")


def listed(response) -> list[str]:
    return [person.display_name for person in response.context["page"].object_list]


def test_an_unreadable_date_lists_no_one_and_is_marked_beside_its_field(client, people):
    response = get(client, released_after="garbage")
    html = response.content.decode()

    assert response.status_code == 200
    assert listed(response) == []
    assert 'id="results"' not in html and 'id="invalid-filters"' in html
    field = re.search(r'<input type="date" name="released_after"[^>]*>', html)[0]
    assert 'aria-invalid="true"' in field and 'aria-describedby="id_released_0_error"' in field
    error = re.search(r'<span class="errorlist" id="id_released_0_error">([^<]*)</span>', html)[1]
    assert "Enter a valid date." in error and "garbage" in error
    # The other end of the range was fine and is not marked.
    assert 'aria-describedby="id_released_1_error"' not in html
    # The summary links to the field; the form is unfolded so a phone shows it.
    assert '<a href="#id_released_0">Released from</a>' in html
    assert '<details class="filters-panel" open>' in html


def test_an_unreadable_value_has_no_chip_but_readable_ones_keep_theirs(client, people):
    response = get(client, released_after="garbage", region="minsk", status=["released", "nonsense"])
    chips = [description for description, _remaining in response.context["filter"].active_filters()]
    assert chips == ["Current status: released", "Region: Minsk city"]
    assert "garbage" not in " ".join(chips) and "nonsense" not in " ".join(chips)


def test_an_unreadable_status_marks_the_group_of_boxes(client, people):
    html = get(client, status="nonsense").content.decode()
    assert '<fieldset aria-describedby="id_status_error">' in html
    assert '<ul class="errorlist" id="id_status_error">' in html
    assert '<a href="#id_status_0">Current status</a>' in html


def test_an_unreadable_article_says_how_to_write_one(client, people):
    response = get(client, article="article two-nine-three")
    html = response.content.decode()
    assert listed(response) == []
    field = re.search(r'<input type="text" name="article"[^>]*>', html)[0]
    assert 'aria-invalid="true"' in field and 'aria-describedby="id_article_error"' in field
    assert str(NOT_AN_ARTICLE % {"value": "article two-nine-three"}) in html


def test_the_way_out_drops_only_the_unreadable_values(client, people):
    response = get(client, released_after="garbage", region="minsk", page="2")
    assert response.context["filter"].without_invalid_parameters() == "region=minsk"
    assert listed(client.get(URL + "?region=minsk")) == ["Ales"]


def test_an_unreadable_filter_lists_no_one_without_reading_anyone(client, people, django_assert_num_queries):
    # Only the public state and (the cache being cold) the form's choices are read (release groups,
    # article suggestions): no count, no page of people.
    cache.clear()
    with django_assert_num_queries(3):
        response = get(client, released_after="garbage", detained_before="2020-13-45")
    assert response.context["page"].paginator.count == 0


def test_the_untouched_form_lists_everyone_without_an_error(client, people):
    response = get(client, **UNTOUCHED_FORM)
    assert sorted(listed(response)) == ["Ales", "Maryia"]
    assert not response.context["filter"].invalid_parameters
    assert "aria-invalid" not in response.content.decode()
    assert '<details class="filters-panel">' in response.content.decode()  # folded on phones


@pytest.mark.parametrize("path", DOWNLOADS)
@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"released_after": "garbage"}, "released_after"),
        ({"released_after": "2025-01-01", "detained_before": "2020-13-45"}, "detained_before"),
        ({"status": "nonsense"}, "status"),
        ({"region": "atlantis"}, "region"),
        ({"article": "garbage"}, "article"),
        ({"sort": "pk"}, "sort"),
    ],
)
def test_a_download_refuses_an_unreadable_value_with_a_400_that_names_it(client, people, path, params, parameter):
    response = client.get(path, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode()
    assert body.startswith(FILTERS_REFUSED)
    named = [line.partition(":")[0] for line in body.splitlines()[1:]]
    assert named == [parameter]
    assert "Ales" not in body


@pytest.mark.parametrize("path", DOWNLOADS)
def test_a_download_of_the_untouched_form_holds_everyone(client, people, path):
    response = client.get(path, UNTOUCHED_FORM)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "Ales" in body and "Maryia" in body
