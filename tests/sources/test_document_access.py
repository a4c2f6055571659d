"""Uploaded files reach only those allowed to see them, and never through a public directory."""

import pytest
from django.conf import settings
from django.core.files.base import ContentFile

from prisoners.models import PublicationState
from sources.documents import document_process
from tests.prisoners.factories import PersonFactory
from tests.sources.factories import MINIMAL_PDF, DocumentFactory
from tests.sources.test_uploads import photo_with_gps

pytestmark = pytest.mark.django_db


def file_url(document):
    return document.get_absolute_url()


def test_a_restricted_document_is_404_to_the_public_and_served_to_a_researcher(client, researcher):
    document = DocumentFactory(is_public=False)
    assert client.get(file_url(document)).status_code == 404
    client.force_login(researcher)
    response = client.get(file_url(document))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == MINIMAL_PDF


def test_a_public_document_of_published_people_is_served_to_anyone(client):
    document = DocumentFactory(is_public=True)
    document.people.add(PersonFactory())
    response = client.get(file_url(document))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_public_document_naming_an_unpublished_person_stays_hidden(client):
    document = DocumentFactory(is_public=True)
    document.people.add(PersonFactory(), PersonFactory(publication_state=PublicationState.DRAFT))
    assert client.get(file_url(document)).status_code == 404


def test_stored_files_get_random_names_outside_any_served_url(client):
    document = DocumentFactory(file=ContentFile(MINIMAL_PDF, name="Tsikhanouski verdict.pdf"))
    assert "Tsikhanouski" not in document.file.name
    assert document.file.name.startswith("documents/") and document.file.name.endswith(".pdf")
    assert client.get(settings.MEDIA_URL + document.file.name).status_code == 404


def test_a_photo_is_served_only_for_a_published_person(client):
    published = PersonFactory(photo=ContentFile(b"\x89PNG fake", name="face.png"))
    draft = PersonFactory(photo=ContentFile(b"\x89PNG fake", name="face.png"), publication_state=PublicationState.DRAFT)
    assert client.get(f"/prisoners/{published.slug}/photo/").status_code == 200
    assert client.get(f"/prisoners/{draft.slug}/photo/").status_code == 404


def test_a_restricted_document_is_404_to_a_logged_in_user_who_is_not_staff(client, django_user_model):
    document = DocumentFactory(is_public=False)
    client.force_login(django_user_model.objects.create_user(username="reader", password="not-used-in-tests"))
    assert client.get(file_url(document)).status_code == 404


def test_a_thumbnail_is_never_served_from_a_media_url(client, researcher, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = DocumentFactory(file=ContentFile(photo_with_gps(orientation=1), name="photo.jpg"))
    document_process(document_id=document.pk)
    document.refresh_from_db()
    assert document.thumbnail
    client.force_login(researcher)
    assert client.get(settings.MEDIA_URL + document.thumbnail.name).status_code == 404
    assert client.get(file_url(document)).status_code == 200
