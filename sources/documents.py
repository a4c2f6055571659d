"""Uploaded documents: what may be uploaded, and what is derived from a stored file.

A file is judged by its first bytes, never by its name: a web page renamed `.pdf` or a PDF
renamed `.jpg` is refused. `clean_upload` is the one pipeline for documents and person photos:
an image is re-encoded from its pixels (no EXIF, GPS, XMP, ICC profile or comments survive) and
a PDF is rebuilt without its metadata, scripts, automatic actions or embedded files, before
either is stored. The stored (cleaned) file is later measured, hashed, read (PDF text) and
thumbnailed by `document_process`, which a worker runs.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

import filetype
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.base import ContentFile, File
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_text_list, get_valid_filename
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from .models import Document

logger = logging.getLogger(__name__)

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
# The content types accepted, each with the name endings that may go with it.
ALLOWED_EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
    WEBP: (".webp",),
}
IMAGE_TYPES = frozenset({JPEG, PNG, WEBP})
TYPE_NAMES = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG", WEBP: "WebP"}
PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
# filetype's signatures all lie within the first 262 bytes; read a little more to be safe.
SNIFF_BYTES = 8192
MAX_NAME_LENGTH = 100
THUMBNAIL_SIZE = (320, 320)
# Well below Pillow's own limit (about 89 million): at 4 bytes a pixel and at most two decoded
# copies alive at once (the upright original and the fresh image), 40 million pixels stay
# around 320 MB. Overridden by settings.IMAGE_MAX_PIXELS, read at call time.
IMAGE_MAX_PIXELS = 40_000_000
# A fresh encoder setting rather than the original's quantisation tables, which identify the
# camera or program that made the photo.
REENCODE_QUALITY = 90
# Actions a reader of a PDF may follow by clicking; any other (JavaScript, Launch, GoToR,
# SubmitForm, ...) is removed. URI actions are kept only for web and mail addresses.
SAFE_PDF_ACTIONS = frozenset({"/GoTo", "/URI", "/Named"})
SAFE_URI_SCHEMES = frozenset({"http", "https", "mailto"})
# Annotations that carry files, media or scripts rather than marks on the page.
UNSAFE_PDF_ANNOTATIONS = frozenset({"/FileAttachment", "/Screen", "/Movie", "/Sound", "/RichMedia", "/3D"})
# Keys removed from every dictionary of a PDF: metadata (XMP streams, application data that
# names the author or program), automatic actions, scripts and embedded files. /Next chains
# further actions onto a link; dropping it is simpler than checking each chained action.
REMOVED_PDF_KEYS = (
    "/Metadata",
    "/PieceInfo",
    "/AA",
    "/OpenAction",
    "/JS",
    "/JavaScript",
    "/EmbeddedFiles",
    "/EF",
    "/Next",
)

ACCEPTED = _("Only PDF documents and JPEG, PNG or WebP images can be uploaded.")
UNSAFE_NAME = _(
    "The file name “%(name)s” contains a folder path (“/”, “\\” or “..”). "
    "Rename the file to a plain name such as verdict.pdf and upload it again."
)
UNUSABLE_NAME = _(
    "The file name “%(name)s” has no letters or digits that can be kept. "
    "Rename the file, e.g. to verdict.pdf, and upload it again."
)
TOO_LARGE = _(
    "The file is %(size)s; the limit is %(limit)s. "
    "Upload a smaller PDF, JPEG, PNG or WebP file (e.g. scan at a lower resolution)."
)
EMPTY_FILE = _("The file is empty. Upload a PDF document or a JPEG, PNG or WebP image.")
UNRECOGNISED_TYPE = _(
    "The file's content is not a PDF, JPEG, PNG or WebP file, whatever its name says "
    "(web pages, SVG drawings and office documents are refused). "
    "Only PDF documents and JPEG, PNG or WebP images can be uploaded."
)
FORBIDDEN_TYPE = _(
    "The file's content is %(content_type)s. Only PDF documents and JPEG, PNG or WebP images can be uploaded."
)
EXTENSION_MISMATCH = _(
    "The file “%(name)s” is a %(kind)s file by its content, but its name does not end in %(expected)s. "
    "Rename it to end in %(expected)s, or upload the file you meant."
)
UNREADABLE_IMAGE = _(
    "The image could not be read (it is damaged, or too large to open safely). "
    "Upload an undamaged JPEG, PNG or WebP image, or a PDF."
)
TOO_MANY_PIXELS = _(
    "The image has more than %(limit)s million pixels, too many to open safely. "
    "Scale it down (or scan at a lower resolution) and upload it again."
)
NOT_AN_IMAGE = _("A photo must be a JPEG, PNG or WebP image; this file is a PDF.")
UNCLEANABLE_PDF = _(
    "The PDF could not be read to remove its metadata and scripts (it is damaged or "
    "password-protected). Save or print it again as a PDF without a password and upload that."
)


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed `check_upload`: its safe name and the type its content showed."""

    name: str
    content_type: str
    size: int

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES


def _max_bytes() -> int:
    return int(settings.DOCUMENT_MAX_BYTES)


def _max_pixels() -> int:
    return int(getattr(settings, "IMAGE_MAX_PIXELS", IMAGE_MAX_PIXELS))


def _has_path(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return len(parts) > 1 or any(part.strip() in {".", ".."} for part in parts)


def document_name_sanitise(name: str) -> str:
    """A file name safe to keep and show: no path, only letters, digits, -, _ and dots, at most 100 characters.

    Raises ValidationError for names that point into folders rather than cleaning them up:
    such a name was made on purpose, and the person uploading should see it was refused.
    """
    if _has_path(name):
        raise ValidationError(UNSAFE_NAME, code="unsafe_name", params={"name": name})
    try:
        clean = get_valid_filename(name)
    except SuspiciousFileOperation:
        raise ValidationError(UNUSABLE_NAME, code="unusable_name", params={"name": name}) from None
    stem, extension = os.path.splitext(clean)
    if not extension and stem.startswith("."):
        stem, extension = "", stem  # ".pdf" is an extension without a name
    if not stem.strip("._-"):
        raise ValidationError(UNUSABLE_NAME, code="unusable_name", params={"name": name})
    return stem[: MAX_NAME_LENGTH - len(extension)] + extension.lower()


def _read_head(uploaded: File) -> bytes:
    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    uploaded.seek(0)
    return head


def check_upload(uploaded: File) -> CheckedUpload:
    """Refuse anything but a PDF, JPEG, PNG or WebP within the size limit whose name agrees with its content.

    Raises ValidationError with one of this module's messages. Django's upload parser already
    drops folders from posted names; files from elsewhere (intake, the shell) may still carry them.
    """
    name = document_name_sanitise(uploaded.name or "")
    size = uploaded.size
    limit = _max_bytes()
    if size > limit:
        raise ValidationError(
            TOO_LARGE, code="too_large", params={"size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    if size == 0:
        raise ValidationError(EMPTY_FILE, code="empty")
    kind = filetype.guess(_read_head(uploaded))
    if kind is None:
        raise ValidationError(UNRECOGNISED_TYPE, code="unrecognised_type")
    if kind.mime not in ALLOWED_EXTENSIONS:
        raise ValidationError(FORBIDDEN_TYPE, code="forbidden_type", params={"content_type": kind.mime})
    extension = os.path.splitext(name)[1]
    expected = ALLOWED_EXTENSIONS[kind.mime]
    if extension not in expected:
        raise ValidationError(
            EXTENSION_MISMATCH,
            code="extension_mismatch",
            params={"name": name, "kind": TYPE_NAMES[kind.mime], "expected": get_text_list(expected, _("or"))},
        )
    return CheckedUpload(name=name, content_type=kind.mime, size=size)


def _refuse_too_many_pixels(limit: int) -> ValidationError:
    return ValidationError(TOO_MANY_PIXELS, code="too_many_pixels", params={"limit": f"{limit / 1_000_000:g}"})


def _fresh_image(source: Image.Image) -> Image.Image:
    """A new image holding only `source`'s pixels (and palette), in sRGB where it had a colour profile.

    Nothing of the original file (metadata, chunks, comments, ICC profile text) is carried over:
    the result starts empty and only pixel values are copied into it.
    """
    icc = source.info.get("icc_profile")
    if icc and source.mode in ("RGB", "RGBA", "CMYK"):
        # Apply the profile rather than keep it: a profile carries free text (description,
        # copyright, device), and dropping it unapplied would shift the colours of e.g. a phone's P3 photo.
        try:
            converted = ImageCms.profileToProfile(
                source,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGBA" if source.mode == "RGBA" else "RGB",
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            logger.info("An image's colour profile could not be applied; it is dropped", exc_info=True)
        else:
            converted.info = {}  # the transform records its sRGB profile here; nothing is kept
            return converted
    image = Image.new(source.mode, source.size)
    if source.palette is not None and source.mode in ("P", "PA"):
        palette_mode = source.palette.mode
        image.putpalette(source.getpalette(palette_mode), palette_mode)
    image.paste(source)
    # Which palette entry or colour is transparent: needed to show the pixels, says nothing else.
    if "transparency" in source.info:
        image.info["transparency"] = source.info["transparency"]
    return image


def strip_image_metadata(uploaded: File, *, checked: CheckedUpload) -> File:
    """The image turned upright and encoded afresh from its pixels: no EXIF, GPS, XMP, ICC profile or text.

    The size is read from the header and checked against IMAGE_MAX_PIXELS before any pixel is
    decoded, so a small file that would decode to gigabytes (a decompression bomb) is refused.
    """
    limit = _max_pixels()
    pillow_format = PILLOW_FORMATS[checked.content_type]
    try:
        uploaded.seek(0)
        # Only the format the content was checked as: Pillow tries no other parser on it.
        with Image.open(uploaded, formats=[pillow_format]) as source:
            width, height = source.size
            if width * height > limit:
                raise _refuse_too_many_pixels(limit)
            # Orientation is applied to the pixels before the EXIF that holds it is dropped.
            ImageOps.exif_transpose(source, in_place=True)
            image = _fresh_image(source)
        options = {"quality": REENCODE_QUALITY} if checked.content_type in (JPEG, WEBP) else {}
        output = io.BytesIO()
        image.save(output, format=pillow_format, **options)
    except Image.DecompressionBombError:
        # Pillow's own limit, should the setting be above it.
        raise _refuse_too_many_pixels(limit) from None
    except (OSError, ValueError, SyntaxError, EOFError, struct.error):
        raise ValidationError(UNREADABLE_IMAGE, code="unreadable_image") from None
    finally:
        uploaded.seek(0)
    output.seek(0)
    # The buffer itself rather than a copy of its bytes: a large photo is held once.
    return File(output, name=checked.name)


def _pdf_action_is_safe(action: DictionaryObject) -> bool:
    kind = action.get("/S")
    if kind not in SAFE_PDF_ACTIONS:
        return False
    if kind == "/URI":
        return urlsplit(str(action.get("/URI", ""))).scheme.lower() in SAFE_URI_SCHEMES
    return True


def _pdf_dictionary_scrub(dictionary: DictionaryObject) -> None:
    for key in REMOVED_PDF_KEYS:
        dictionary.pop(key, None)
    action = dictionary.get("/A")
    if isinstance(action, DictionaryObject) and not _pdf_action_is_safe(action):
        del dictionary["/A"]
    annotations = dictionary.get("/Annots")
    if isinstance(annotations, ArrayObject):
        dictionary[NameObject("/Annots")] = ArrayObject(
            annotation
            for annotation in annotations
            if not (
                isinstance(annotation.get_object(), DictionaryObject)
                and annotation.get_object().get("/Subtype") in UNSAFE_PDF_ANNOTATIONS
            )
        )


def _pdf_scrub(writer: PdfWriter) -> None:
    """Remove REMOVED_PDF_KEYS, unsafe actions and unsafe annotations from every object the pages reach."""
    seen: set[tuple[int, int]] = set()
    stack: list = [writer.root_object]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, DictionaryObject):  # stream dictionaries too; their data is not decoded
            _pdf_dictionary_scrub(item)
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)


def _pdf_rebuilt(reader: PdfReader) -> PdfWriter:
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.metadata = None  # no /Info at all, not even pypdf's own /Producer
    _pdf_scrub(writer)
    return writer


def clean_pdf(uploaded: File, *, checked: CheckedUpload) -> File:
    """The PDF rebuilt page by page with no /Info, XMP, JavaScript, automatic or launch actions or embedded files.

    Cleaned rather than refused: court papers and letters often come from office or form software
    that adds harmless scripts or attachments, and refusing them would keep real evidence out.
    A fresh writer takes only the pages, so the catalog's /OpenAction, /Names (scripts, embedded
    files), /AcroForm and /Metadata are never copied; what the pages themselves reach is then
    scrubbed, and the pages are copied once more so that nothing unlinked stays in the file.
    A PDF that pypdf cannot read (damaged, or needing a password) cannot be cleaned and is refused.
    """
    try:
        uploaded.seek(0)
        reader = PdfReader(uploaded)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(UNCLEANABLE_PDF, code="uncleanable_pdf")
        scrubbed = io.BytesIO()
        _pdf_rebuilt(reader).write(scrubbed)
        # A writer still writes what the scrub unlinked (an attachment's file, an XMP stream):
        # copying the scrubbed pages once more brings along only what they still reach.
        output = io.BytesIO()
        _pdf_rebuilt(PdfReader(scrubbed)).write(output)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - an uploaded PDF can break pypdf in any number of ways
        logger.warning("An uploaded PDF could not be cleaned", exc_info=True)
        raise ValidationError(UNCLEANABLE_PDF, code="uncleanable_pdf") from None
    finally:
        uploaded.seek(0)
    output.seek(0)
    return File(output, name=checked.name)


def clean_upload(uploaded: File, *, images_only: bool = False) -> tuple[CheckedUpload, File]:
    """Check an upload by its content and return it cleaned: the one pipeline for documents and person photos.

    Raises ValidationError with one of this module's messages. `images_only` refuses PDFs (a person's photo).
    """
    checked = check_upload(uploaded)
    if checked.is_image:
        return checked, strip_image_metadata(uploaded, checked=checked)
    if images_only:
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image")
    return checked, clean_pdf(uploaded, checked=checked)


def document_queue_process(*, document: Document) -> None:
    """Hand the document's processing to a worker once the current transaction has committed."""
    from outbox.services import outbox_enqueue

    from .tasks import document_process_task

    outbox_enqueue(document_process_task.name, document.pk)


def _pdf_text(data: bytes) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception:  # noqa: BLE001 - an uploaded PDF can break pypdf in any number of ways
        # A damaged PDF stays a document without searchable text; retrying would not help.
        logger.warning("No text could be extracted from a PDF", exc_info=True)
        return ""
    # PostgreSQL text cannot hold NUL, which some PDFs' text layers contain.
    return "\n\n".join(page.strip() for page in pages if page.strip()).replace("\x00", "")


def _thumbnail(data: bytes) -> ContentFile | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            # Uploads were checked against the limit; files stored by other paths may not have been.
            if image.width * image.height > _max_pixels():
                logger.warning("No thumbnail is made for an image of %s × %s pixels", *image.size)
                return None
            image = ImageOps.exif_transpose(image)
            image.thumbnail(THUMBNAIL_SIZE)
            if image.mode not in ("RGB", "L"):
                rgba = image.convert("RGBA")
                image = Image.new("RGB", rgba.size, "white")
                image.paste(rgba, mask=rgba.getchannel("A"))
            output = io.BytesIO()
            image.save(output, format="JPEG", quality=85)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        logger.warning("No thumbnail could be made for an image", exc_info=True)
        return None
    return ContentFile(output.getvalue(), name="thumbnail.jpg")


def document_process(*, document_id: int) -> Document:
    """Fill in the document's size, SHA-256, content type, PDF text and image thumbnail; saves only what changed.

    Running it again on an unchanged file changes nothing: the thumbnail is made again only
    when the file's content changed or the thumbnail is missing.
    """
    document = Document.objects.get(pk=document_id)
    # Whole file in memory: uploads are capped by DOCUMENT_MAX_BYTES. Read errors (OSError)
    # propagate so that the task retries.
    with document.file.open("rb") as fh:
        data = fh.read()
    sha256 = hashlib.sha256(data).hexdigest()
    mime = filetype.guess_mime(data[:SNIFF_BYTES]) or "application/octet-stream"
    values = {
        "size": len(data),
        "sha256": sha256,
        "content_type": mime,
        "text": _pdf_text(data) if mime == PDF else "",
    }
    changed = [field for field, value in values.items() if getattr(document, field) != value]
    file_changed = "sha256" in changed
    for field in changed:
        setattr(document, field, values[field])

    if mime in IMAGE_TYPES:
        has_thumbnail = bool(document.thumbnail) and document.thumbnail.storage.exists(document.thumbnail.name)
        if file_changed or not has_thumbnail:
            thumbnail = _thumbnail(data)
            if thumbnail is not None:
                document.thumbnail.save(thumbnail.name, thumbnail, save=False)
                changed.append("thumbnail")
            elif document.thumbnail:
                document.thumbnail = ""
                changed.append("thumbnail")
    elif document.thumbnail:
        document.thumbnail = ""
        changed.append("thumbnail")

    if changed:
        document.save(update_fields=changed)
    return document
