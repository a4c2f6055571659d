"""A person's photo goes through the document pipeline and is served with the type its content showed."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from prisoners.forms import PersonAdminForm
from prisoners.models import PublicationState
from sources import documents
from tests.prisoners.factories import PersonFactory
from tests.sources.test_media_cleaning import FORMATS, assert_no_metadata, photo_with_metadata, png_header_only_bomb
from tests.sources.test_uploads import photo_with_gps

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def person_form(photo=None, *, instance=None, clear=False) -> PersonAdminForm:
    data = {"display_name": "Ales Bialiatski", "publication_state": PublicationState.PUBLISHED}
    if clear:
        data["photo-clear"] = "on"
    files = {"photo": photo} if photo is not None else {}
    return PersonAdminForm(data=data, files=files, instance=instance)


def png_bytes(size=(12, 8)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, "blue").save(output, "PNG")
    return output.getvalue()


@pytest.mark.parametrize("image_format", FORMATS)
def test_an_uploaded_photo_is_stored_without_metadata_and_with_its_checked_type(image_format):
    name, content_type = FORMATS[image_format]
    form = person_form(SimpleUploadedFile(name, photo_with_metadata(image_format)))
    assert form.is_valid(), form.errors
    person = form.save()

    person.refresh_from_db()
    assert person.photo_content_type == content_type
    with person.photo.open("rb") as fh:
        assert_no_metadata(fh.read(), image_format=image_format, size=(64, 48))


def test_an_uploaded_photo_is_turned_upright_before_its_exif_is_dropped():
    form = person_form(SimpleUploadedFile("face.jpg", photo_with_gps(size=(40, 20), orientation=6)))
    assert form.is_valid(), form.errors
    person = form.save()
    with person.photo.open("rb") as fh, Image.open(fh) as image:
        assert image.size == (20, 40) and dict(image.getexif()) == {}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("verdict.pdf", b"%PDF-1.4\n%%EOF\n", documents.NOT_AN_IMAGE),
        ("bomb.png", png_header_only_bomb(13000, 13000), documents.TOO_MANY_PIXELS % {"limit": "40"}),
        (
            "face.jpg",
            png_bytes(),
            documents.EXTENSION_MISMATCH % {"name": "face.jpg", "kind": "PNG", "expected": ".png"},
        ),
    ],
    ids=["pdf", "decompression-bomb", "png-named-jpg"],
)
def test_a_photo_that_is_not_a_safe_image_is_refused_with_the_message(name, content, message):
    form = person_form(SimpleUploadedFile(name, content))
    assert not form.is_valid()
    assert form.errors["photo"] == [message]


def test_saving_without_a_new_photo_keeps_the_photo_and_its_type():
    person = PersonFactory(photo=ContentFile(png_bytes(), name="face.png"), photo_content_type="image/png")
    stored = person.photo.name

    form = person_form(instance=person)
    assert form.is_valid(), form.errors
    form.save()

    person.refresh_from_db()
    assert (person.photo.name, person.photo_content_type) == (stored, "image/png")


def test_clearing_the_photo_clears_its_type():
    person = PersonFactory(photo=ContentFile(png_bytes(), name="face.png"), photo_content_type="image/png")
    form = person_form(instance=person, clear=True)
    assert form.is_valid(), form.errors
    form.save()
    person.refresh_from_db()
    assert (person.photo.name, person.photo_content_type) == ("", "")


def test_a_photo_is_served_with_its_stored_type_never_one_guessed_from_its_name(client):
    # A PNG kept under a name ending .jpg: the name would say image/jpeg.
    person = PersonFactory(photo=ContentFile(png_bytes(), name="face.jpg"), photo_content_type="image/png")
    assert person.photo.name.endswith(".jpg")

    response = client.get(f"/prisoners/{person.slug}/photo/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert b"".join(response.streaming_content) == png_bytes()


def test_a_photo_without_a_recorded_type_is_served_as_bytes_not_as_its_name_says(client):
    person = PersonFactory(photo=ContentFile(png_bytes(), name="face.jpg"))
    response = client.get(f"/prisoners/{person.slug}/photo/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Security-Policy"] == "sandbox"
