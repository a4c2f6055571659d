"""Uploads are judged by content, not by name; photos lose their EXIF before they are stored."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from PIL import Image

from sources import documents
from sources.documents import check_upload, document_name_sanitise, strip_image_metadata
from sources.models import Document
from tests.sources.factories import MINIMAL_PDF

GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112
HTML_PAGE = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
SVG_DRAWING = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def photo_with_gps(*, size=(40, 20), orientation=6, image_format="JPEG") -> bytes:
    """A photo as a phone takes it: camera make, GPS position, rotation flag, XMP and a comment."""
    exif = Image.Exif()
    exif[MAKE] = "Phone maker"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (53.0, 54.0, 0.0), 3: "E", 4: (27.0, 33.0, 0.0)}
    output = io.BytesIO()
    extra = {"comment": b"taken at home"} if image_format == "JPEG" else {}
    Image.new("RGB", size, "red").save(
        output, image_format, exif=exif, xmp=b"<x:xmpmeta>53.9,27.55</x:xmpmeta>", **extra
    )
    return output.getvalue()


def refusal(uploaded) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        check_upload(uploaded)
    return caught.value.messages


def test_a_pdf_named_jpg_is_refused_for_its_name():
    messages = refusal(SimpleUploadedFile("verdict.jpg", MINIMAL_PDF))
    assert messages == [documents.EXTENSION_MISMATCH % {"name": "verdict.jpg", "kind": "PDF", "expected": ".pdf"}]


def test_a_web_page_named_pdf_is_refused_for_its_content():
    assert refusal(SimpleUploadedFile("verdict.pdf", HTML_PAGE)) == [documents.UNRECOGNISED_TYPE]


def test_an_svg_drawing_is_refused_whatever_its_name():
    assert refusal(SimpleUploadedFile("drawing.svg", SVG_DRAWING)) == [documents.UNRECOGNISED_TYPE]
    assert refusal(SimpleUploadedFile("drawing.png", SVG_DRAWING)) == [documents.UNRECOGNISED_TYPE]


def test_a_recognised_but_unaccepted_type_is_named_in_the_refusal():
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    assert refusal(SimpleUploadedFile("photo.gif", gif.getvalue())) == [
        documents.FORBIDDEN_TYPE % {"content_type": "image/gif"}
    ]


def test_a_file_over_the_size_limit_is_refused_with_both_sizes(settings):
    settings.DOCUMENT_MAX_BYTES = 100  # read at call time, so the override applies
    messages = refusal(SimpleUploadedFile("verdict.pdf", MINIMAL_PDF))
    assert messages == [documents.TOO_LARGE % {"size": filesizeformat(len(MINIMAL_PDF)), "limit": "100\xa0bytes"}]


def test_an_empty_file_is_refused():
    assert refusal(SimpleUploadedFile("verdict.pdf", b"")) == [documents.EMPTY_FILE]


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "..\\secret.pdf", "/etc/passwd.pdf", "cases/verdict.pdf"])
def test_a_file_name_with_a_folder_path_is_refused(name):
    # A plain File keeps its name as given; Django's upload parser would already cut the folders off.
    assert refusal(File(io.BytesIO(MINIMAL_PDF), name=name)) == [documents.UNSAFE_NAME % {"name": name}]


def test_a_name_of_only_punctuation_is_refused():
    assert refusal(File(io.BytesIO(MINIMAL_PDF), name="«».pdf")) == [documents.UNUSABLE_NAME % {"name": "«».pdf"}]


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("Приговор Тихановскому (2021).PDF", "Приговор_Тихановскому_2021.pdf"),
        ("verdict<script>.pdf", "verdictscript.pdf"),
        ("..hidden.pdf", "..hidden.pdf"),
        ("x" * 300 + ".pdf", "x" * 96 + ".pdf"),
    ],
)
def test_file_names_are_sanitised_and_capped(name, clean):
    assert document_name_sanitise(name) == clean


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("verdict.pdf", MINIMAL_PDF, "application/pdf"),
        ("photo.jpeg", photo_with_gps(), "image/jpeg"),
        ("photo.JPG", photo_with_gps(), "image/jpeg"),
        ("photo.png", photo_with_gps(image_format="PNG"), "image/png"),
        ("photo.webp", photo_with_gps(image_format="WEBP"), "image/webp"),
    ],
)
def test_pdfs_and_photos_with_matching_names_are_accepted(name, content, content_type):
    checked = check_upload(SimpleUploadedFile(name, content))
    assert (checked.content_type, checked.size) == (content_type, len(content))
    assert checked.name == name[: name.rindex(".")] + name[name.rindex(".") :].lower()


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_a_photo_comes_out_upright_without_gps_or_other_exif(image_format):
    content = photo_with_gps(image_format=image_format)
    uploaded = SimpleUploadedFile(f"photo.{image_format.lower()}", content)
    assert Image.open(io.BytesIO(content)).getexif().get_ifd(GPS_IFD)  # the sample really carries GPS

    result = strip_image_metadata(uploaded, checked=check_upload(uploaded))

    with Image.open(result) as image:
        exif = image.getexif()
        assert image.format == image_format
        assert exif.get_ifd(GPS_IFD) == {}
        assert GPS_IFD not in exif and MAKE not in exif and ORIENTATION not in exif
        assert not {"exif", "xmp", "comment", "XML:com.adobe.xmp"} & set(image.info)
        assert image.size == (20, 40)  # turned as the orientation flag said, so nothing is lost with it
    assert b"Phone maker" not in result.read()


def test_a_damaged_image_is_refused_when_its_metadata_is_stripped():
    broken = photo_with_gps()[:200]  # a JPEG's signature, then nothing
    uploaded = SimpleUploadedFile("photo.jpg", broken)
    with pytest.raises(ValidationError) as caught:
        strip_image_metadata(uploaded, checked=check_upload(uploaded))
    assert caught.value.messages == [documents.UNREADABLE_IMAGE]


@pytest.mark.django_db
def test_the_admin_refuses_a_pdf_named_jpg_with_the_message_and_stores_nothing(editor_client):
    response = editor_client.post(
        reverse("admin:sources_document_add"),
        {"title": "Verdict", "kind": "verdict", "file": SimpleUploadedFile("verdict.jpg", MINIMAL_PDF)},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["file"] == [
        documents.EXTENSION_MISMATCH % {"name": "verdict.jpg", "kind": "PDF", "expected": ".pdf"}
    ]
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_the_admin_upload_field_names_the_accepted_types_and_the_limit(editor_client, settings):
    settings.DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
    response = editor_client.get(reverse("admin:sources_document_add"))
    field = response.context["adminform"].form.fields["file"]
    assert "5.0\xa0MB" in str(field.help_text)
    assert field.widget.attrs["accept"].split(",")[:4] == ["application/pdf", "image/jpeg", "image/png", "image/webp"]
