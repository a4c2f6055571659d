"""A researcher who tries to make something public in the admin gets a form error; nothing is saved."""

import pytest

from prisoners.models import NameVariant
from prisoners.services import NOT_ALLOWED_TO_PUBLISH
from sources.models import Document
from tests.admin.test_person_admin import form_data
from tests.prisoners.factories import NameVariantFactory, PersonFactory
from tests.sources.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def test_ticking_public_on_a_restricted_document_is_refused_with_the_reason(researcher_client):
    document = DocumentFactory(title="Letter from colony", is_public=False)
    person = PersonFactory()
    document.people.add(person)
    url = f"/admin/sources/document/{document.pk}/change/"
    data = form_data(researcher_client, url, is_public="on", title="Letter from colony (checked)", people=[person.pk])
    data.pop("file", None)

    response = researcher_client.post(url, data)

    assert response.status_code == 200
    assert NOT_ALLOWED_TO_PUBLISH in response.content.decode()
    document.refresh_from_db()
    assert (document.is_public, document.title) == (False, "Letter from colony")
    assert not Document.objects.public().exists()


def test_unticking_private_on_a_name_is_refused_inline_and_the_person_is_kept_as_it_was(researcher_client):
    person = PersonFactory(occupation="teacher")
    variant = NameVariantFactory(person=person, text="Birth Surname", is_private=True)
    url = f"/admin/prisoners/person/{person.pk}/change/"
    data = form_data(researcher_client, url, occupation="lawyer")
    prefix = next(key for key, value in data.items() if value == variant.pk and key.endswith("-id"))[: -len("-id")]
    data.pop(f"{prefix}-is_private", None)  # an unticked checkbox is absent from the POST

    response = researcher_client.post(url, data)

    assert response.status_code == 200
    assert NOT_ALLOWED_TO_PUBLISH in response.content.decode()
    person.refresh_from_db()
    assert person.occupation == "teacher"
    assert not NameVariant.objects.public().filter(pk=variant.pk).exists()


def test_an_editor_makes_the_same_document_public(editor_client):
    document = DocumentFactory(is_public=False)
    person = PersonFactory()
    document.people.add(person)
    url = f"/admin/sources/document/{document.pk}/change/"
    data = form_data(editor_client, url, is_public="on", people=[person.pk])
    data.pop("file", None)
    assert editor_client.post(url, data).status_code == 302
    assert Document.objects.public().filter(pk=document.pk).exists()
