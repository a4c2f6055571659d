"""The public prisoner list: each filter alone and together, sorting, pagination, CSV."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prisoners.models import Gender, PublicationState, Region, ReleaseType, SentenceKind, Status
from prisoners.services import person_status_refresh
from tests.prisoners.factories import (
    ChargeFactory,
    DefendantFactory,
    LegalArticleFactory,
    NameVariantFactory,
    PersonFactory,
    ReleaseFactory,
    ReleaseGroupFactory,
    SentenceFactory,
    StatusEventFactory,
)

pytestmark = pytest.mark.django_db
URL = "/prisoners/"


def listed(client, **params):
    response = client.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return [person.display_name for person in response.context["page"].object_list]


def person(name, **fields):
    return PersonFactory(display_name=name, **fields)


def refreshed(*people):
    for someone in people:
        person_status_refresh(person=someone)


@pytest.fixture
def cast():
    """Three released in one group, one imprisoned, one in pre-trial detention, one draft."""
    group = ReleaseGroupFactory(name="June release", slug="june-release")
    article_293 = LegalArticleFactory(article="293", part="1", title="Mass riots")
    article_130 = LegalArticleFactory(article="130", part="3", title="Inciting hatred")

    siarhei = person("Siarhei Tsikhanouski", gender=Gender.MALE, region=Region.HOMEL)
    NameVariantFactory(person=siarhei, text="Sergei Tikhanovsky")
    StatusEventFactory(person=siarhei, date="2020-05", status=Status.DETAINED)
    defendant = DefendantFactory(person=siarhei)
    ChargeFactory(defendant=defendant, article=article_293)
    SentenceFactory(defendant=defendant, date="2021", term_years=18)
    SentenceFactory(defendant=defendant, date="2023", term_years=1, term_months=6, kind=SentenceKind.ADDITIONAL)
    ReleaseFactory(person=siarhei, date="2025-06-21", group=group, release_type=ReleaseType.FORCED_EXILE)

    natallia = person("Natallia Dulina", gender=Gender.FEMALE, region=Region.MINSK_CITY)
    StatusEventFactory(person=natallia, date="2023-03-01", status=Status.DETAINED)
    SentenceFactory(defendant=DefendantFactory(person=natallia), date="2023", term_years=3)
    ReleaseFactory(person=natallia, date="2025-06-21", group=group, release_type=ReleaseType.PARDON)

    ihar = person("Ihar Karnei", gender=Gender.MALE, region=Region.MINSK_CITY)
    StatusEventFactory(person=ihar, date="2023-07", status=Status.DETAINED)
    ReleaseFactory(person=ihar, date="2025-06", group=group, release_type=ReleaseType.PARDON)

    ales = person("Ales Bialiatski", gender=Gender.MALE, region=Region.MINSK_CITY)
    StatusEventFactory(person=ales, date="2021-07-14", status=Status.DETAINED)
    StatusEventFactory(person=ales, date="2023-03-03", status=Status.IMPRISONED)
    ChargeFactory(defendant=DefendantFactory(person=ales), article=article_130)

    maryia = person("Maryia Kalesnikava", gender=Gender.FEMALE, region=Region.MINSK_CITY)
    StatusEventFactory(person=maryia, date="2020-09-07", status=Status.PRE_TRIAL)

    hidden = person("Anatol Kotau", publication_state=PublicationState.DRAFT, region=Region.MINSK_CITY)
    StatusEventFactory(person=hidden, date="2025-08-21", status=Status.DISAPPEARED)
    ReleaseFactory(person=hidden, date="2025-06-21", group=group)

    refreshed(siarhei, natallia, ihar, ales, maryia, hidden)


RELEASED = ["Ihar Karnei", "Natallia Dulina", "Siarhei Tsikhanouski"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Ales Bialiatski", "Ihar Karnei", "Maryia Kalesnikava", "Natallia Dulina", "Siarhei Tsikhanouski"]),
        ({"status": "released"}, RELEASED),
        ({"status": ["imprisoned", "pre_trial"]}, ["Ales Bialiatski", "Maryia Kalesnikava"]),
        ({"released_after": "2025-06-01"}, RELEASED),
        ({"released_after": "2025-06-22"}, ["Ihar Karnei"]),  # "June 2025" may be after the 22nd
        ({"released_before": "2025-06-20"}, ["Ihar Karnei"]),
        ({"detained_after": "2023-01-01"}, ["Ihar Karnei", "Natallia Dulina"]),
        ({"detained_before": "2020-05-15"}, ["Siarhei Tsikhanouski"]),
        ({"detained_after": "2020-05-20", "detained_before": "2020-05-25"}, ["Siarhei Tsikhanouski"]),
        ({"region": "homel"}, ["Siarhei Tsikhanouski"]),
        ({"article": "293"}, ["Siarhei Tsikhanouski"]),
        ({"article": "130.3"}, ["Ales Bialiatski"]),
        ({"article": "130.1"}, []),
        ({"release_type": "pardon"}, ["Ihar Karnei", "Natallia Dulina"]),
        ({"release_group": "june-release"}, RELEASED),
        ({"gender": "female"}, ["Maryia Kalesnikava", "Natallia Dulina"]),
        ({"q": "tikhanovsky"}, ["Siarhei Tsikhanouski"]),
        ({"q": "Kotau"}, []),
    ],
)
def test_each_filter_alone(client, cast, params, expected):
    assert listed(client, **params) == expected


def test_filters_combine(client, cast):
    assert listed(client, status="released", released_after="2025-06-01", gender="male", region="minsk") == [
        "Ihar Karnei"
    ]
    assert listed(client, status="released", release_type="pardon", detained_before="2023-03-31") == ["Natallia Dulina"]


def test_the_demo_question_lists_the_six_released_in_june_2025(client):
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
    assert sorted(listed(client, status="released", released_after="2025-06-01")) == [
        "Akihiro Haievski-Khanada",
        "Halina Krasnianskaya",
        "Ihar Karnei",
        "Kiryl Balakhanau",
        "Natallia Dulina",
        "Siarhei Tsikhanouski",
    ]


@pytest.mark.parametrize(
    ("sort", "expected_first"),
    [
        ("name", "Ales Bialiatski"),
        ("-name", "Siarhei Tsikhanouski"),
        ("detained", "Siarhei Tsikhanouski"),
        ("-detained", "Ihar Karnei"),
        ("-released", "Natallia Dulina"),
        ("-sentence", "Siarhei Tsikhanouski"),
    ],
)
def test_sorting(client, cast, sort, expected_first):
    assert listed(client, sort=sort)[0] == expected_first


def test_unknown_values_sort_last_both_ways(client, cast):
    assert listed(client, sort="released")[-1] in {"Ales Bialiatski", "Maryia Kalesnikava"}
    assert listed(client, sort="-released")[-1] in {"Ales Bialiatski", "Maryia Kalesnikava"}


def test_invalid_values_are_reported_not_crashing(client, cast):
    response = client.get(URL, {"released_after": "not-a-date", "status": "nonsense"})
    assert response.status_code == 200
    assert response.context["filter"].errors


def test_result_count_active_filters_and_removal_links(client, cast):
    response = client.get(URL, {"status": ["released", "imprisoned"], "region": "minsk"}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "3 people" in page
    chips = dict(response.context["filter"].active_filters())
    assert chips["Current status: imprisoned"] == "status=released&region=minsk"
    assert chips["Region: Minsk city"] == "status=released&status=imprisoned"


def test_an_empty_result_explains_what_to_try(client, cast):
    response = client.get(URL, {"q": "Ivan Petrov"}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "No one matches these filters." in page and 'id="results"' not in page


def test_pagination_keeps_the_filters(client):
    for number in range(12):
        refreshed(StatusEventFactory(person=person(f"Person {number:02}"), status=Status.IMPRISONED).person)
    response = client.get(URL, {"status": "imprisoned", "per_page": 10}, HTTP_ACCEPT_LANGUAGE="en")
    assert len(response.context["page"].object_list) == 10
    assert "status=imprisoned&amp;per_page=10&amp;page=2" in response.content.decode()
    second = client.get(URL, {"status": "imprisoned", "per_page": 10, "page": 2})
    assert [p.display_name for p in second.context["page"].object_list] == ["Person 10", "Person 11"]


def test_list_queries_do_not_grow_with_page_size(client, django_assert_num_queries):
    for number in range(60):
        someone = person(f"Person {number:02}", region=Region.BREST)
        StatusEventFactory(person=someone, status=Status.IMPRISONED)
        refreshed(someone)
    # Reads the form's choices (release groups, article suggestions) and the count into the cache.
    client.get(URL, {"status": "imprisoned"})
    with CaptureQueriesContext(connection) as ten:
        client.get(URL, {"per_page": 10, "status": "imprisoned", "sort": "-detained"})
    # The public state (the ETag, and the key of the cached choices and count), the page of people
    # (every other column shown is on the person row) and their public releases (for the release's
    # own partial date).
    with django_assert_num_queries(len(ten)):
        response = client.get(URL, {"per_page": 50, "status": "imprisoned", "sort": "-detained"})
    assert len(response.context["page"].object_list) == 50
    assert len(ten) == 3, [query["sql"][:120] for query in ten.captured_queries]


def test_csv_download_holds_the_filtered_public_list_and_nothing_private(client, cast):
    response = client.get("/prisoners/export.csv", {"status": "released"})
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(row["name"] for row in rows) == RELEASED
    tsikhanouski = next(row for row in rows if row["name"] == "Siarhei Tsikhanouski")
    assert tsikhanouski["total_term"] == "19y6m"
    assert tsikhanouski["released_on"] == "2025-06-21"
    assert "private" not in body.lower() and "Kotau" not in body


def test_json_download_holds_the_same_rows_as_the_csv(client, cast):
    import json

    csv_body = b"".join(client.get("/prisoners/export.csv", {"status": "released"}).streaming_content).decode()
    json_response = client.get("/prisoners/export.json", {"status": "released"})
    assert json_response["Content-Type"].startswith("application/json") and json_response.streaming
    rows = json.loads(b"".join(json_response.streaming_content))
    assert rows == list(csv.DictReader(io.StringIO(csv_body)))
