"""Uploaded documents: what may be uploaded, and what is derived from a stored file.

A file is judged by its first bytes, never by its name: a web page renamed `.pdf` or a PDF
renamed `.jpg` is refused. Photos lose their EXIF (GPS position, camera, time) before they are
stored, and the stored file is later measured, hashed, read (PDF text) and thumbnailed by
`document_process`, which a worker runs.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_text_list, get_valid_filename
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps
from pypdf import PdfReader

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
# Image metadata that is not about the photo's subject or place and is needed to show it right.
KEPT_IMAGE_INFO = ("icc_profile", "transparency")

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


def strip_image_metadata(uploaded: File, *, checked: CheckedUpload) -> ContentFile:
    """The image turned upright and saved again in its own format without EXIF, GPS, XMP or comments."""
    try:
        uploaded.seek(0)
        with Image.open(uploaded) as image:
            # In place, so a JPEG stays a JpegImageFile and can keep its own quantisation tables.
            ImageOps.exif_transpose(image, in_place=True)
            # Saving reads some metadata (the JPEG comment, PNG colour data) from `info`;
            # keep only what showing the pixels needs, never EXIF, GPS, XMP or text.
            image.info = {key: value for key, value in image.info.items() if key in KEPT_IMAGE_INFO}
            output = io.BytesIO()
            options = {"quality": "keep", "subsampling": "keep"} if checked.content_type == JPEG else {}
            image.save(output, format=PILLOW_FORMATS[checked.content_type], **options)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(UNREADABLE_IMAGE, code="unreadable_image") from None
    finally:
        uploaded.seek(0)
    return ContentFile(output.getvalue(), name=checked.name)


def document_queue_process(*, document: Document) -> None:
    """Hand the document's processing to a worker once the current transaction has committed."""
    from .tasks import document_process_task

    pk = document.pk
    transaction.on_commit(lambda: document_process_task.delay(pk))


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
