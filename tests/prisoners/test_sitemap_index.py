"""The sitemap: an index of pages of at most 10,000 URLs, each served from the cache; every public person on one."""

import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from prisoners.models import Person, PublicationState
from prisoners.roles import SYSTEM
from prisoners.services import person_withdraw, record_save
from prisoners.sitemaps import SITEMAPS, LanguagesSitemap
from tests.prisoners.factories import PersonFactory

pytestmark = pytest.mark.django_db

HOST = "http://testserver"
LANGUAGES = 3  # en, be, ru: each person has a URL in each


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def three_people_a_page(monkeypatch):
    # Nine URLs a page: three people, each in three languages.
    monkeypatch.setattr(LanguagesSitemap, "limit", 3 * LANGUAGES)


def locations(xml: bytes | str) -> list[str]:
    text = xml.decode() if isinstance(xml, bytes) else xml
    return re.findall(r"<loc>(.*?)</loc>", text)


def page_of(record) -> int:
    """The sitemap page a record is on with three_people_a_page: three ids a page."""
    return -(-record.pk // 3)


def people_pages(client) -> list[str]:
    return [url for url in locations(client.get("/sitemap.xml").content) if "/sitemap-people.xml" in url]


def profile_paths(xml: bytes) -> list[str]:
    """The English profile paths a sitemap page lists (each person once, whatever the languages)."""
    return [path for path in (urlsplit(url).path for url in locations(xml)) if path.startswith("/prisoners/")]


def test_the_index_lists_every_page_and_every_public_person_is_on_exactly_one(client, three_people_a_page):
    people = [PersonFactory() for _ in range(7)]
    PersonFactory(display_name="Unpublished Person", publication_state=PublicationState.DRAFT)

    pages = people_pages(client)

    # Pages by id, three ids a page, up to the highest public one (the draft's is higher still).
    count = -(-max(person.pk for person in people) // 3)
    assert pages == [f"{HOST}/sitemap-people.xml"] + [f"{HOST}/sitemap-people.xml?p={n}" for n in range(2, count + 1)]
    listed = []
    for url in pages:
        response = client.get(url.removeprefix(HOST))
        assert response.status_code == 200
        assert len(locations(response.content)) <= 3 * LANGUAGES
        listed += profile_paths(response.content)
    assert sorted(listed) == sorted(person.get_absolute_url() for person in people)  # each once, all of them
    assert client.get("/sitemap-people.xml", {"p": count + 1}).status_code == 404
    assert b"unpublished" not in b"".join(client.get(url.removeprefix(HOST)).content for url in pages).lower()


def test_a_page_holds_every_language_of_each_of_its_people(client, three_people_a_page):
    person = [PersonFactory() for _ in range(4)][3]
    page = client.get("/sitemap-people.xml", {"p": page_of(person)}).content.decode()
    path = person.get_absolute_url()
    assert {f"{HOST}{path}", f"{HOST}/be{path}", f"{HOST}/ru{path}"} <= set(locations(page))


def test_pages_hold_at_most_ten_thousand_urls():
    assert all(section.limit <= 10_000 for section in SITEMAPS.values())
    assert SITEMAPS["people"]().paginator.per_page == 3_333  # ids a page: whole people, in three languages


def test_the_index_names_every_section_and_only_those(client):
    PersonFactory()
    sections = {urlsplit(url).path for url in locations(client.get("/sitemap.xml").content)}
    assert sections == {f"/sitemap-{section}.xml" for section in SITEMAPS}
    assert all(client.get(path).status_code == 200 for path in sections)
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_a_page_is_rendered_once_then_served_from_the_cache(client, three_people_a_page, django_assert_num_queries):
    page = page_of([PersonFactory() for _ in range(7)][3])
    first = client.get("/sitemap-people.xml", {"p": page})
    assert profile_paths(first.content)
    with django_assert_num_queries(1):  # the public state, for the key: no count, no rows
        again = client.get("/sitemap-people.xml", {"p": page})
    assert again.content == first.content
    for header in ("Content-Type", "Last-Modified", "X-Robots-Tag"):
        assert again.get(header) == first.get(header), header
    # The index: the state, the people's latest change, the highest public person's id, how many
    # groups, and the highest public source's id.
    with django_assert_num_queries(5):
        cold = Client().get("/sitemap.xml")
    with django_assert_num_queries(1):
        warm = Client().get("/sitemap.xml")
    assert warm.content == cold.content


def test_a_public_change_renders_the_pages_again(client, three_people_a_page):
    people = [PersonFactory() for _ in range(7)]
    withdrawn, renamed = people[4], people[5]
    before = client.get("/sitemap-people.xml", {"p": page_of(withdrawn)}).content
    assert withdrawn.get_absolute_url() in before.decode()

    person_withdraw(acting_user=SYSTEM, person=withdrawn)
    after = client.get("/sitemap-people.xml", {"p": page_of(withdrawn)}).content.decode()
    assert withdrawn.get_absolute_url() not in after

    renamed.slug = "a-new-slug"
    record_save(acting_user=SYSTEM, obj=renamed)
    assert "/prisoners/a-new-slug/" in client.get("/sitemap-people.xml", {"p": page_of(renamed)}).content.decode()


def test_entries_carry_the_day_of_the_last_public_change(client):
    person = PersonFactory()
    stamp = timezone.localtime(Person.objects.get(pk=person.pk).public_updated_at)
    assert f"<lastmod>{stamp.date().isoformat()}</lastmod>" in client.get("/sitemap-people.xml").content.decode()


@pytest.fixture
def demo(db, settings, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    settings.MEDIA_ROOT = tmp_path  # the demo's documents are files; keep them out of the project
    call_command("load_demo", stdout=StringIO())


def _entries(xml: bytes) -> list[tuple]:
    import xml.etree.ElementTree as ElementTree

    names = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    return [
        (
            url.findtext("s:loc", namespaces=names),
            url.findtext("s:lastmod", namespaces=names),
            [(link.get("hreflang"), link.get("href")) for link in url.findall("x:link", names)],
        )
        for url in ElementTree.fromstring(xml).findall("s:url", names)  # noqa: S314 our own output
    ]


@pytest.mark.parametrize("section", ["people", "releases", "sources"])
def test_a_page_says_what_djangos_own_sitemap_view_would(rf, demo, section):
    from django.contrib.sitemaps import views as sitemap_views

    request = rf.get(f"/sitemap-{section}.xml")
    theirs = sitemap_views.sitemap(request, SITEMAPS, section=section)
    theirs.render()
    ours = SITEMAPS[section]().page_xml(request, 1)
    assert _entries(ours.content), "the demo has public records in every section"
    assert _entries(ours.content) == _entries(theirs.content)
    for header in ("Last-Modified", "X-Robots-Tag", "Content-Type"):
        assert ours.get(header) == theirs.get(header), header


def test_sources_are_paged_by_id_so_the_index_never_counts_them(client, monkeypatch, django_assert_num_queries):
    from sources.models import Source
    from tests.sources.factories import CitationFactory, SourceFactory

    monkeypatch.setattr(LanguagesSitemap, "limit", 2 * LANGUAGES)  # two sources a page
    cited = [CitationFactory().source for _ in range(3)]
    SourceFactory(url="https://example.invalid/uncited")  # supports nothing public: on no page
    highest = max(source.pk for source in cited)
    pages = -(-highest // 2)
    sitemap = SITEMAPS["sources"]()
    with django_assert_num_queries(1):  # the highest public id, not a count
        assert sitemap.paginator.num_pages == pages
    listed = []
    for number in range(1, pages + 1):
        response = client.get("/sitemap-sources.xml", {"p": number})
        assert response.status_code == 200
        assert len(locations(response.content)) <= 2 * LANGUAGES
        listed += profile_paths_of_sources(response.content)
    assert sorted(listed) == sorted(source.get_absolute_url() for source in Source.objects.public())
    assert sorted(listed) == sorted(source.get_absolute_url() for source in cited)  # each once, all of them
    assert client.get("/sitemap-sources.xml", {"p": pages + 1}).status_code == 404
    assert client.get("/sitemap-sources.xml", {"p": "x"}).status_code == 404


def profile_paths_of_sources(xml: bytes) -> list[str]:
    return [path for path in (urlsplit(url).path for url in locations(xml)) if path.startswith("/sources/")]
