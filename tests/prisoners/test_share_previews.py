"""What a page says about itself: a description, link previews (Open Graph), the date a profile last
changed publicly, a favicon, and the footer's and navigation's links."""

import datetime as dt
import re
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from prisoners.models import Gender, PublicationState, ReleaseGroup, Status
from prisoners.roles import SYSTEM
from prisoners.services import person_status_refresh
from sources.models import Source
from tests.prisoners.factories import PersonFactory, ReleaseFactory, ReleaseGroupFactory, StatusEventFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n public photo"


class Meta(HTMLParser):
    """<meta> name/property -> content values, and every link's href."""

    def __init__(self):
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict[str, str]] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "meta" and ("name" in attributes or "property" in attributes):
            key = attributes.get("name") or attributes["property"]
            self.meta.setdefault(key, []).append(attributes.get("content", ""))
        if tag == "link":
            self.links.append(attributes)
        if tag == "a" and "href" in attributes:
            self.hrefs.append(attributes["href"])


def meta_of(html: str) -> Meta:
    parser = Meta()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def kalesnikava(media):
    person = PersonFactory(
        display_name="Maryia Kalesnikava",
        name_ru="Мария Колесникова",
        gender=Gender.FEMALE,
        biography="A flautist who ran Viktar Babaryka's campaign.",
    )
    StatusEventFactory(person=person, status=Status.CONVICTED, date="2021-09-06")
    return person_status_refresh(person=person, acting_user=SYSTEM)


def test_a_profile_describes_the_person_in_the_readers_language(kalesnikava):
    path = kalesnikava.get_absolute_url()
    found = meta_of(Client().get(f"/ru{path}").content.decode()).meta
    description = "Мария Колесникова — осуждена. A flautist who ran Viktar Babaryka's campaign."
    assert found["description"] == [description]
    assert found["og:description"] == [description]
    assert found["og:title"] == ["Мария Колесникова"]
    assert found["og:type"] == ["profile"]
    assert found["og:url"] == [f"http://testserver/ru{path}"]
    assert found["og:locale"] == ["ru_RU"]
    assert sorted(found["og:locale:alternate"]) == ["be_BY", "en_GB"]
    assert found["og:site_name"] == ["Casetracker"]


def test_a_long_biography_is_cut_for_the_description(media):
    person = PersonFactory(display_name="Ales Bialiatski", biography="Founded Viasna. " * 40)
    (description,) = meta_of(Client().get(person.get_absolute_url()).content.decode()).meta["description"]
    assert description.startswith("Ales Bialiatski. Founded Viasna.") and len(description) < 260


def test_the_preview_shows_the_photo_only_where_the_profile_does(kalesnikava):
    assert "og:image" not in meta_of(Client().get(kalesnikava.get_absolute_url()).content.decode()).meta
    kalesnikava.photo = ContentFile(PNG, name="face.png")
    kalesnikava.photo_content_type = "image/png"
    kalesnikava.save()
    path = kalesnikava.get_absolute_url()
    (image,) = meta_of(Client().get(path).content.decode()).meta["og:image"]
    assert image == f"http://testserver{path}photo/"
    assert Client().get(image).status_code == 200


def test_a_person_who_is_not_public_has_no_page_and_so_no_preview(media):
    draft = PersonFactory(
        publication_state=PublicationState.DRAFT, photo=ContentFile(PNG, name="f.png"), photo_content_type="image/png"
    )
    assert Client().get(draft.get_absolute_url()).status_code == 404
    assert Client().get(f"{draft.get_absolute_url()}photo/").status_code == 404


def test_a_profile_says_when_it_last_changed_publicly(kalesnikava):
    # updated_at moves with every save (private notes too); the page shows public_updated_at only.
    public_change = timezone.make_aware(dt.datetime(2024, 3, 5, 12, 0))
    type(kalesnikava).objects.filter(pk=kalesnikava.pk).update(public_updated_at=public_change)
    html = Client().get(kalesnikava.get_absolute_url()).content.decode()
    assert '<p class="last-updated">Last updated: <time datetime="2024-03-05">5 March 2024</time></p>' in html
    html = Client().get(f"/ru{kalesnikava.get_absolute_url()}").content.decode()
    assert "Последнее обновление: <time" in html


def test_a_profile_never_changed_publicly_shows_no_date(media):
    person = PersonFactory(public_updated_at=None)
    assert person.public_updated_at is None
    assert "last-updated" not in Client().get(person.get_absolute_url()).content.decode()


def test_every_public_page_has_a_description_and_a_preview(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", stdout=StringIO())
    paths = [
        "/",
        "/prisoners/",
        "/stats/",
        reverse("prisoners:about"),
        ReleaseGroup.objects.public().order_by("pk").first().get_absolute_url(),
        Source.objects.public().order_by("pk").first().get_absolute_url(),
    ]
    for prefix in ("", "/be", "/ru"):
        for path in paths:
            found = meta_of(Client().get(prefix + path).content.decode()).meta
            for key in ("description", "og:title", "og:description", "og:type", "og:url", "og:locale"):
                assert len(found.get(key, [])) == 1 and found[key][0].strip(), f"{prefix}{path}: {key}"
            assert found["og:description"] == found["description"]
            assert "og:image" not in found, f"{prefix}{path} previews an image"


def test_a_release_group_is_described_by_its_own_description_or_its_name():
    described = ReleaseGroupFactory(name="June release", description="Fourteen people freed.")
    unnamed = ReleaseGroupFactory(name="Pardon of 2024", description="")
    for group in (described, unnamed):
        ReleaseFactory(person=PersonFactory(), group=group)
    found = meta_of(Client().get(described.get_absolute_url()).content.decode()).meta
    assert found["description"] == ["Fourteen people freed."] and found["og:title"] == ["June release"]
    (description,) = meta_of(Client().get(unnamed.get_absolute_url()).content.decode()).meta["description"]
    assert description.startswith("Pardon of 2024:")


def test_pages_have_an_svg_favicon(media):
    found = meta_of(Client().get("/").content.decode())
    (icon,) = [link for link in found.links if link.get("rel") == "icon"]
    assert icon["type"] == "image/svg+xml" and icon["href"].endswith("/casetracker/favicon.svg")
    with open(finders.find("casetracker/favicon.svg"), encoding="utf-8") as svg:
        text = svg.read()
    assert text.startswith("<svg") and "<script" not in text and "style=" not in text


@pytest.mark.parametrize("prefix", ["", "/be", "/ru"])
def test_every_page_links_to_the_about_page_and_the_api_docs(media, prefix):
    about = reverse("prisoners:about")  # before the request, which activates its language here
    hrefs = meta_of(Client().get(f"{prefix}/prisoners/").content.decode()).hrefs
    assert f"{prefix}{about}" in hrefs
    assert "/api/v1/docs/" in hrefs  # the API has no language prefix


def test_descriptions_are_escaped(media):
    person = PersonFactory(display_name='Ales "<b>" Bialiatski', biography='Says "hello" & <i>bye</i>')
    html = Client().get(person.get_absolute_url()).content.decode()
    (tag,) = re.findall(r'<meta name="description"[^>]*>', html)
    assert "<b>" not in tag and "<i>" not in tag and "&quot;" in tag and "&amp;" in tag
