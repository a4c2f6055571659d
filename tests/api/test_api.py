"""The public API: public records only, the list page's filters, cited details."""

import pytest
from django.core.management import call_command

from prisoners.demo import DRAFT_PERSON_SLUG, PRIVATE_NOTE_MARKER

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", verbosity=0)


def api_slugs(client, params):
    slugs, url = [], "/api/v1/prisoners/"
    while url:
        data = client.get(url, params).json()
        slugs += [row["slug"] for row in data["results"]]
        url, params = data["next"], None
    return sorted(slugs)


def page_slugs(client, params):
    page = client.get("/prisoners/", {**params, "per_page": 100}).context["page"]
    return sorted(person.slug for person in page.object_list)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "released", "released_after": "2025-06-01"},
        {"status": ["imprisoned", "detained", "convicted"]},
        {"detained_before": "2020-12-31"},
        {"q": "Tikhanovsky"},
        {"q": "Ivan Petrov"},
        {"article": "293"},
        {"release_group": "release-of-14-political-prisoners-21-june-2025", "gender": "female"},
    ],
)
def test_api_and_page_give_the_same_people_for_the_same_filters(client, demo, params):
    assert api_slugs(client, params) == page_slugs(client, params)


def test_pages_of_the_list_follow_a_cursor(client, demo):
    first = client.get("/api/v1/prisoners/", {"page_size": 5}).json()
    assert len(first["results"]) == 5 and "cursor=" in first["next"]
    second = client.get(first["next"]).json()
    assert {r["slug"] for r in first["results"]}.isdisjoint({r["slug"] for r in second["results"]})


def test_a_profile_carries_its_facts_with_their_citations(client, demo):
    data = client.get("/api/v1/prisoners/siarhei-tsikhanouski/").json()
    assert data["total_term"] == "19y6m" and data["current_status"] == "released"
    sentences = [s for case in data["cases"] for s in case["sentences"]]
    assert {s["term"] for s in sentences} == {"18y", "1y6m"}
    assert all(s["citations"] for s in sentences)
    assert data["status_events"][0]["citations"][0]["source_title"]
    assert "Sergei Tikhanovsky" in {v["text"] for v in data["name_variants"]}


def test_nothing_private_reaches_the_api(client, demo):
    assert client.get(f"/api/v1/prisoners/{DRAFT_PERSON_SLUG}/").status_code == 404
    bodies = [
        client.get(url).content.decode()
        for url in [
            "/api/v1/prisoners/?page_size=500",
            "/api/v1/prisoners/?q=Kotau",
            "/api/v1/releases/",
            "/api/v1/sources/",
            *[f"/api/v1/prisoners/{slug}/" for slug in api_slugs(client, {})],
        ]
    ]
    for body in bodies:
        assert PRIVATE_NOTE_MARKER not in body and "Kotau" not in body and "private_notes" not in body
        assert "internal_notes" not in body


def test_release_groups_list_their_public_people(client, demo):
    group = client.get("/api/v1/releases/").json()["results"][0]
    assert len(group["people"]) == 6 and DRAFT_PERSON_SLUG not in group["people"]


def test_schema_and_docs_page_are_served(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200 and b"/api/v1/prisoners/" in schema.content
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content and b"cdn." not in docs.content


def test_anonymous_clients_are_throttled(client, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/min"}}
    api_settings.reload()
    AnonRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    from django.core.cache import cache

    cache.clear()
    try:
        codes = [client.get("/api/v1/sources/").status_code for _ in range(4)]
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "100000/min"}}
        api_settings.reload()
        AnonRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        cache.clear()
    assert codes == [200, 200, 200, 429]
