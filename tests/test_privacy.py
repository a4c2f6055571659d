"""What is private in the demo never reaches a public page, the sitemap, a search or the CSV."""

import re

import pytest
from django.core.management import call_command

from prisoners.demo import DRAFT_PERSON_SLUG, PRIVATE_NOTE_MARKER, RESTRICTED_DOCUMENT_TITLE
from prisoners.models import Person, ReleaseGroup
from prisoners.sitemaps import SITEMAPS
from sources.models import Document, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", verbosity=0)


def public_urls():
    yield "/"
    yield "/prisoners/"
    yield "/prisoners/?q=Kotau"
    yield "/prisoners/?status=disappeared"
    yield "/prisoners/?status=sentenced_in_absentia"
    yield "/prisoners/export.csv"
    yield "/prisoners/export.csv?status=disappeared"
    yield "/sitemap.xml"
    yield from sitemap_pages()
    for person in Person.objects.all():
        yield person.get_absolute_url()
    for group in ReleaseGroup.objects.all():
        yield group.get_absolute_url()
    for source in Source.objects.all():
        yield source.get_absolute_url()


def sitemap_pages():
    """The sections of the sitemap index: with the demo's few records, one page each."""
    return [f"/sitemap-{section}.xml" for section in SITEMAPS]


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_draft_person_private_note_and_restricted_document_are_absent_from_every_public_surface(client, demo):
    draft = Person.objects.get(slug=DRAFT_PERSON_SLUG)
    restricted = Document.objects.get(title=RESTRICTED_DOCUMENT_TITLE)
    secrets = [
        PRIVATE_NOTE_MARKER,
        draft.display_name,
        draft.slug,
        RESTRICTED_DOCUMENT_TITLE,
        restricted.get_absolute_url(),
    ]
    secrets += [variant.text for variant in draft.name_variants.all()]
    pages = 0
    for url in public_urls():
        response = client.get(url)
        if response.status_code == 404:
            continue
        assert response.status_code == 200, url
        text = body(response)
        pages += 1
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked on {url}"
    assert pages >= 20


def test_the_draft_person_and_the_restricted_file_are_404_like_unknown_ones(client, demo):
    assert client.get(f"/prisoners/{DRAFT_PERSON_SLUG}/").status_code == 404
    assert client.get(Document.objects.get(title=RESTRICTED_DOCUMENT_TITLE).get_absolute_url()).status_code == 404


def test_the_sitemap_lists_only_public_pages(client, demo):
    sitemap = "".join(body(client.get(page)) for page in sitemap_pages())
    listed = set(re.findall(r"<loc>http://testserver(.*?)</loc>", sitemap))
    assert {p.get_absolute_url() for p in Person.objects.public()} <= listed
    assert f"/prisoners/{DRAFT_PERSON_SLUG}/" not in listed
    for url in listed:
        assert client.get(url).status_code == 200, url
