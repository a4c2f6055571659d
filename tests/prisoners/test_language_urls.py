"""The language is in the URL: English unprefixed, /be/..., /ru/...; readers get no cookies at all.

Every public page links its other language versions (the switcher, and hreflang alternates with
x-default in <head>); the staff's pages, the API and the sitemap stay unprefixed.
"""

import re
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from prisoners.models import Person, ReleaseGroup
from prisoners.sitemaps import EveryLanguage
from sources.models import Source
from tests.prisoners.factories import PersonFactory

pytestmark = pytest.mark.django_db

HOST = "http://testserver"
PREFIXES = {"en": "", "be": "/be", "ru": "/ru"}


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo's documents are files; keep them out of the project
    call_command("load_demo", stdout=StringIO())


def public_pages() -> dict[str, str]:
    """Every kind of public page, by its English (unprefixed) path."""
    person = Person.objects.public().get(slug="maryia-kalesnikava")
    return {
        "home": "/",
        "list": "/prisoners/",
        "filtered list": "/prisoners/?status=released&released_after=2025-06-01&q=tsikhanouski&sort=name",
        "sorted list": "/prisoners/?sort=-name&per_page=10&page=1",
        "profile": person.get_absolute_url(),
        "release group": ReleaseGroup.objects.public().order_by("pk").first().get_absolute_url(),
        "stats": "/stats/",
        "stats on a day": "/stats/?on=2025-06-22",
        "about": reverse("prisoners:about"),
        "source": Source.objects.public().order_by("pk").first().get_absolute_url(),
    }


class HeadLinks(HTMLParser):
    """The <html lang>, the hreflang alternates and the language switcher's links of a page."""

    def __init__(self):
        super().__init__()
        self.lang = ""
        self.alternates: dict[str, str] = {}
        self.switcher: list[dict[str, str]] = []
        self._in_switcher = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang", "")
        elif tag == "link" and attributes.get("rel") == "alternate" and "hreflang" in attributes:
            assert attributes["hreflang"] not in self.alternates, f"two alternates for {attributes['hreflang']}"
            self.alternates[attributes["hreflang"]] = attributes["href"]
        elif tag == "nav" and attributes.get("id") == "language-switcher":
            self._in_switcher = True
        elif tag == "a" and self._in_switcher:
            self.switcher.append(attributes)

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_switcher = False


def head_links(html: str) -> HeadLinks:
    parser = HeadLinks()
    parser.feed(html)
    parser.close()
    return parser


def test_every_public_page_in_every_language_sets_no_cookie_and_names_its_language_versions(demo):
    client = Client()
    problems = []
    for name, path in public_pages().items():
        expected = {language: HOST + prefix + path for language, prefix in PREFIXES.items()}
        for language, prefix in PREFIXES.items():
            url = prefix + path
            response = client.get(url)
            if response.status_code != 200:
                problems.append(f"{name} {url}: {response.status_code}")
                continue
            if "Set-Cookie" in response.headers or response.cookies:
                problems.append(f"{name} {url} sets a cookie: {response.cookies.output()}")
            links = head_links(response.content.decode())
            if links.lang != language:
                problems.append(f"{name} {url} is in {links.lang!r}, not {language}")
            if links.alternates != {**expected, "x-default": expected["en"]}:
                problems.append(f"{name} {url} has alternates {links.alternates}")
            switcher = {link["hreflang"]: link for link in links.switcher}
            if {code: HOST + link["href"] for code, link in switcher.items()} != expected:
                problems.append(f"{name} {url}: the switcher links to {switcher}")
            if any(link["lang"] != code for code, link in switcher.items()):
                problems.append(f"{name} {url}: a switcher link's lang is not its language")
            current = [code for code, link in switcher.items() if link.get("aria-current") == "page"]
            if current != [language]:
                problems.append(f"{name} {url}: aria-current marks {current}")
    assert not problems, "\n".join(problems)
    assert not client.cookies, "the client was handed cookies"


def test_no_cookie_on_the_api_its_docs_the_browsable_api_or_the_sitemap(demo):
    client = Client()
    for url in [
        "/api/v1/prisoners/",
        "/api/v1/prisoners/?format=api",
        "/api/v1/docs/",
        "/api/v1/schema/",
        "/sitemap.xml",
        "/sitemap-people.xml",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, f"{url}: {response.cookies.output()}"
    assert not client.cookies


def test_old_unprefixed_links_still_open_the_english_page_whatever_the_browser_asks():
    person = PersonFactory(display_name="Maryia Kalesnikava", name_ru="Мария Колесникова")
    response = Client().get(person.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html and "<h1>Maryia Kalesnikava" in html


def test_a_prefixed_url_opens_the_page_in_its_language():
    person = PersonFactory(display_name="Maryia Kalesnikava", name_be="Марыя Калеснікава", name_ru="Мария Колесникова")
    path = person.get_absolute_url()  # before any request: each activates its language in this thread
    for prefix, name in (("/be", "Марыя Калеснікава"), ("/ru", "Мария Колесникова")):
        html = Client().get(prefix + path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert f'<html lang="{prefix[1:]}">' in html and f"<h1>{name}" in html


def test_english_has_no_prefix_of_its_own():
    assert Client().get("/en/prisoners/").status_code == 404


def test_links_on_a_page_stay_in_its_language():
    path = PersonFactory().get_absolute_url()
    html = Client().get("/be/prisoners/").content.decode()
    assert f'href="/be{path}"' in html
    assert 'href="/be/stats/"' in html and 'href="/be/about/"' in html


def test_the_admin_the_api_and_the_sitemap_have_no_language_prefix():
    for url in ["/be/admin/login/", "/ru/api/v1/prisoners/", "/be/sitemap.xml", "/ru/account/login/"]:
        assert Client().get(url).status_code == 404, url
    assert Client().get("/admin/login/").status_code == 200
    assert Client().get("/api/v1/prisoners/").status_code == 200


def test_the_admin_and_the_api_still_follow_the_browsers_language():
    # No prefix to read, so Accept-Language decides, as it did before public pages had prefixes.
    response = Client().get("/admin/login/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response["Content-Language"] == "ru"
    assert Client().get("/api/v1/prisoners/", HTTP_ACCEPT_LANGUAGE="be")["Content-Language"] == "be"
    assert Client().get("/api/v1/prisoners/")["Content-Language"] == "en"


def test_the_old_language_switch_is_gone():
    assert Client().post("/i18n/setlang/", {"language": "ru", "next": "/"}).status_code == 404


def test_the_sitemap_lists_every_language_version_with_its_alternates():
    person = PersonFactory()
    xml = Client().get("/sitemap-people.xml").content.decode() + Client().get("/sitemap-pages.xml").content.decode()
    path = person.get_absolute_url()
    locations = set(re.findall(r"<loc>(.*?)</loc>", xml))
    assert {HOST + prefix + path for prefix in PREFIXES.values()} <= locations
    assert {HOST + prefix + "/" for prefix in PREFIXES.values()} <= locations
    entry = re.search(rf"<url><loc>{re.escape(HOST + '/be' + path)}</loc>(.*?)</url>", xml, re.S).group(1)
    alternates = dict(re.findall(r'<xhtml:link rel="alternate" hreflang="([^"]+)" href="([^"]+)"/>', entry))
    assert alternates == {language: HOST + prefix + path for language, prefix in PREFIXES.items()}


def test_the_sitemap_reads_only_the_rows_of_the_page_it_shows(django_assert_num_queries):
    people = [PersonFactory() for _ in range(3)]
    pairs = EveryLanguage(Person.objects.public().order_by("pk"), ["en", "be", "ru"])
    with django_assert_num_queries(2):  # the count, then the people of the slice
        assert len(pairs) == 9
        assert pairs[2:5] == [(people[0], "ru"), (people[1], "en"), (people[1], "be")]
    assert pairs[8] == (people[2], "ru")
    assert list(pairs) == [(person, language) for person in people for language in ("en", "be", "ru")]
