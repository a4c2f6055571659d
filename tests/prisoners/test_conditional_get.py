"""Public pages and the API carry ETags and Cache-Control: a revalidation is a 304 after one query; staff: no-store."""

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client

from prisoners.freshness import public_state
from prisoners.models import Person, PublicationState
from prisoners.roles import SYSTEM
from prisoners.services import person_delete, person_merge, person_withdraw, record_save
from tests.prisoners.factories import DefendantFactory, PersonFactory, ReleaseFactory, ReleaseGroupFactory
from tests.sources.factories import CitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def record():
    """Two co-defendants, one released with a group, and a bystander; the citation makes a source public."""
    person = PersonFactory(display_name="Ales Bialiatski")
    codefendant = PersonFactory(display_name="Valiantsin Stefanovich")
    bystander = PersonFactory(display_name="Maryia Kalesnikava")
    role = DefendantFactory(person=person)
    DefendantFactory(person=codefendant, case=role.case)
    group = ReleaseGroupFactory(name="Pardon of June 2025")
    ReleaseFactory(person=person, group=group)
    CitationFactory(content_object=person)
    return {"person": person, "codefendant": codefendant, "bystander": bystander, "group": group}


def urls(record) -> dict[str, str]:
    person, group = record["person"], record["group"]
    return {
        "home": "/",
        "list": "/prisoners/",
        "filtered list": "/prisoners/?status=released&sort=-released",
        "profile": person.get_absolute_url(),
        "release group": group.get_absolute_url(),
        "API list": "/api/v1/prisoners/",
        "API detail": f"/api/v1/prisoners/{person.slug}/",
        "API releases": "/api/v1/releases/",
        "API sources": "/api/v1/sources/",
        "sitemap index": "/sitemap.xml",
        "sitemap page": "/sitemap-people.xml",
    }


def revalidated(client, url, response):
    return client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])


def test_every_public_page_answers_a_revalidation_with_a_304_after_one_query(client, record, django_assert_num_queries):
    for name, url in urls(record).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert response["ETag"].startswith('W/"'), name
        assert response["Cache-Control"] == "public, max-age=60", name
        with django_assert_num_queries(1):  # the public state (of the person, for a profile); not the view's
            again = revalidated(client, url, response)
        assert again.status_code == 304, name
        assert again.content == b"", name
        assert again["ETag"] == response["ETag"] and again["Cache-Control"] == "public, max-age=60", name


def test_the_about_page_revalidates_without_any_query(client, django_assert_num_queries):
    response = client.get("/about/")
    with django_assert_num_queries(0):
        assert revalidated(client, "/about/", response).status_code == 304


def test_the_etag_changes_with_the_language_the_query_and_the_page(client, record):
    for _ in range(30):
        PersonFactory()
    etags = {
        url: client.get(url)["ETag"]
        for url in (
            "/prisoners/",
            "/be/prisoners/",
            "/ru/prisoners/",
            "/prisoners/?status=released",
            "/prisoners/?page=2",
            "/prisoners/?page=2&per_page=10",
        )
    }
    assert len(set(etags.values())) == len(etags)
    api = "/api/v1/prisoners/"
    assert len({client.get(api, HTTP_ACCEPT_LANGUAGE=language)["ETag"] for language in ("en", "be", "ru")}) == 3
    assert client.get(api)["ETag"] != client.get(api, {"format": "api"})["ETag"]
    assert client.get(api)["ETag"] == client.get(api)["ETag"]


def test_a_public_change_anywhere_makes_every_old_etag_fail(client, record):
    before = {name: client.get(url) for name, url in urls(record).items()}
    bystander = Person.objects.get(pk=record["bystander"].pk)
    bystander.occupation = "singer"
    record_save(acting_user=SYSTEM, obj=bystander)
    for name, url in urls(record).items():
        if name in ("profile", "API detail"):
            continue  # the bystander is not on that person's page (below)
        again = revalidated(client, url, before[name])
        assert again.status_code == 200, name
        assert again["ETag"] != before[name]["ETag"], name


LEAVINGS = {
    "withdrawn": lambda record, person: person_withdraw(acting_user=SYSTEM, person=person),
    "deleted": lambda record, person: person_delete(acting_user=SYSTEM, person=person),
    "merged away": lambda record, person: person_merge(
        acting_user=SYSTEM, kept=Person.objects.get(pk=record["codefendant"].pk), merged=person
    ),
}


@pytest.mark.parametrize("leaving", list(LEAVINGS))
def test_a_person_leaving_public_view_leaves_the_list_even_for_a_client_holding_its_old_etag(client, record, leaving):
    listed = client.get("/prisoners/")
    assert "Maryia Kalesnikava" in listed.content.decode()
    state = public_state()
    LEAVINGS[leaving](record, Person.objects.get(pk=record["bystander"].pk))
    assert public_state().changed_at > state.changed_at
    again = revalidated(client, "/prisoners/", listed)
    assert again.status_code == 200 and "Maryia Kalesnikava" not in again.content.decode()


def test_the_state_of_the_public_record_is_one_query_that_counts_no_one(django_assert_num_queries, record):
    with django_assert_num_queries(1) as captured:
        public_state()
    assert "COUNT" not in captured.captured_queries[0]["sql"].upper()


def test_a_profile_changes_with_its_person_and_the_codefendants_it_names_not_with_anyone_else(client, record):
    url = record["person"].get_absolute_url()
    page = client.get(url)
    bystander = Person.objects.get(pk=record["bystander"].pk)
    bystander.occupation = "singer"
    record_save(acting_user=SYSTEM, obj=bystander)
    assert revalidated(client, url, page).status_code == 304

    person_withdraw(acting_user=SYSTEM, person=Person.objects.get(pk=record["codefendant"].pk))
    again = revalidated(client, url, page)
    assert again.status_code == 200 and "Valiantsin Stefanovich" not in again.content.decode()

    person = Person.objects.get(pk=record["person"].pk)
    person.occupation = "human rights defender"
    record_save(acting_user=SYSTEM, obj=person)
    latest = revalidated(client, url, again)
    assert latest.status_code == 200 and "human rights defender" in latest.content.decode()


def test_a_private_edit_changes_no_etag(client, record):
    before = {name: client.get(url)["ETag"] for name, url in urls(record).items()}
    person = Person.objects.get(pk=record["person"].pk)
    person.private_notes = "met the family on Tuesday"
    record_save(acting_user=SYSTEM, obj=person)
    PersonFactory(display_name="A draft", publication_state="draft")
    assert {name: client.get(url)["ETag"] for name, url in urls(record).items()} == before


def test_a_page_that_is_not_there_has_no_etag_and_no_public_caching(client, record):
    person_withdraw(acting_user=SYSTEM, person=Person.objects.get(pk=record["codefendant"].pk))
    for url in (record["codefendant"].get_absolute_url(), f"/api/v1/prisoners/{record['codefendant'].slug}/"):
        response = client.get(url, HTTP_IF_NONE_MATCH="*")
        assert response.status_code == 404, url
        assert not response.has_header("ETag") and "public" not in response.get("Cache-Control", ""), url


def test_if_modified_since_alone_never_calls_a_page_unchanged(client, record):
    # A page also changes with the day (ages, "the last 12 months") and with each deployment, which
    # no stored date records: the pages carry no Last-Modified to compare, only ETags.
    response = client.get("/prisoners/", HTTP_IF_MODIFIED_SINCE="Fri, 01 Jan 2100 00:00:00 GMT")
    assert response.status_code == 200 and not response.has_header("Last-Modified")


def test_a_logged_in_user_is_sent_private_unstored_responses_only(editor_client, record, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # Staff see an unpublished person's photo: no shared cache may keep it for the next reader.
    draft = PersonFactory(publication_state=PublicationState.DRAFT, photo_content_type="image/png")
    draft.photo.save("photo.png", ContentFile(b"\x89PNG\r\n\x1a\n"))
    for name, url in [*urls(record).items(), ("about", "/about/"), ("photo", f"{draft.get_absolute_url()}photo/")]:
        response = editor_client.get(url, HTTP_IF_NONE_MATCH="*")
        assert response.status_code == 200, name
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"], name
        assert "public" not in response["Cache-Control"] and not response.has_header("ETag"), name


def test_an_anonymous_reader_is_never_sent_a_cookie_and_caches_keep_versions_apart(record):
    reader = Client()
    for name, url in [*urls(record).items(), ("Belarusian list", "/be/prisoners/")]:
        response = reader.get(url)
        assert not response.cookies, name
        vary = {value.strip().lower() for value in response.get("Vary", "").split(",")}
        # A logged-in user's answer is another one (private), so every response varies by cookie.
        assert "cookie" in vary, name
        if name.startswith("API"):
            # The API follows Accept-Language and offers JSON or a browsable page by Accept.
            assert {"accept", "accept-language"} <= vary, name
    # Pages under a language prefix say their language in the URL alone.
    assert "accept-language" not in reader.get("/be/prisoners/")["Vary"].lower()
