"""A stored document is measured, hashed, read and thumbnailed, once, by a task queued after commit."""

import hashlib
import io
import os

import pytest
from celery.exceptions import Retry
from celery.result import EagerResult
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from casetracker.celery import app
from sources.admin import DocumentAdmin
from sources.documents import document_process
from sources.models import Document
from sources.tasks import document_process_task
from tests.sources.factories import MINIMAL_PDF, DocumentFactory
from tests.sources.test_uploads import GPS_IFD, photo_with_gps

PHRASE = "Sentenced to 18 years"
# .ci/run's PostgreSQL pass: a real worker answers through Redis and shares MEDIA_ROOT with us.
REAL_WORKER = bool(os.environ.get("CELERY_BROKER_URL") and os.environ.get("CELERY_WORKER_RUNNING"))


def pdf_with_text(phrase: str) -> bytes:
    """A one-page PDF whose text layer says `phrase` in Helvetica, with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({phrase}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def eager_tasks():
    """Tasks queued by the code under test run here, even on the pass where a real worker is listening.

    The worker could not see these tests' uncommitted rows. (monkeypatch cannot restore Celery's
    lazily loaded conf attributes, hence the finally.)
    """
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = was_eager


def stored(document: Document) -> dict:
    document.refresh_from_db()
    return {
        "size": document.size,
        "sha256": document.sha256,
        "content_type": document.content_type,
        "text": document.text,
        "thumbnail": document.thumbnail.name,
    }


@pytest.mark.django_db
def test_pdf_text_is_extracted_with_size_hash_and_type(media_root):
    content = pdf_with_text(PHRASE)
    document = DocumentFactory(file=ContentFile(content, name="verdict.pdf"))

    document_process(document_id=document.pk)

    assert stored(document) == {
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "content_type": "application/pdf",
        "text": PHRASE,
        "thumbnail": "",
    }


@pytest.mark.django_db
def test_an_image_gets_a_jpeg_thumbnail_of_at_most_320_pixels(media_root):
    content = photo_with_gps(size=(1000, 600), orientation=1, image_format="PNG")
    document = DocumentFactory(file=ContentFile(content, name="photo.png"))

    document_process(document_id=document.pk)

    document.refresh_from_db()
    assert (document.content_type, document.text) == ("image/png", "")
    assert document.thumbnail.name.startswith("thumbnails/")
    with Image.open(document.thumbnail) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("JPEG", (320, 192))


@pytest.mark.django_db
def test_a_damaged_pdf_is_processed_without_text_rather_than_failing(media_root):
    content = b"%PDF-1.7\n" + b"\x00garbage" * 50
    document = DocumentFactory(file=ContentFile(content, name="broken.pdf"))

    document_process(document_id=document.pk)

    assert stored(document) | {"sha256": "-"} == {
        "size": len(content),
        "sha256": "-",
        "content_type": "application/pdf",
        "text": "",
        "thumbnail": "",
    }


@pytest.mark.django_db
def test_processing_twice_changes_nothing_the_second_time(media_root):
    document = DocumentFactory(file=ContentFile(photo_with_gps(orientation=1), name="photo.jpg"))
    document_process(document_id=document.pk)
    first = stored(document)
    assert first["thumbnail"] and first["sha256"]
    versions = document.history.count()

    with CaptureQueriesContext(connection) as queries:
        document_process(document_id=document.pk)

    assert stored(document) == first
    assert document.history.count() == versions
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []


@pytest.mark.django_db
def test_a_replaced_file_is_processed_afresh(media_root):
    document = DocumentFactory(file=ContentFile(photo_with_gps(orientation=1), name="photo.jpg"))
    document_process(document_id=document.pk)
    document.refresh_from_db()
    assert document.thumbnail

    document.file = ContentFile(pdf_with_text(PHRASE), name="verdict.pdf")
    document.save()
    document_process(document_id=document.pk)

    assert stored(document) | {"sha256": "-", "size": 0} == {
        "size": 0,
        "sha256": "-",
        "content_type": "application/pdf",
        "text": PHRASE,
        "thumbnail": "",
    }


@pytest.mark.django_db
def test_the_task_for_a_deleted_document_does_nothing():
    assert document_process_task.apply(args=[987654]).get() is None


def test_the_task_is_late_acknowledged_and_retries_storage_errors_with_backoff():
    assert document_process_task.name == "sources.document_process"
    assert document_process_task.acks_late is True
    assert document_process_task.autoretry_for == (OSError,)
    assert document_process_task.retry_backoff is True
    assert document_process_task.max_retries == 5


@pytest.mark.django_db
def test_a_missing_file_is_retried_rather_than_forgotten(media_root):
    document = DocumentFactory()
    document.file.storage.delete(document.file.name)
    # Run in-process, a retry cannot wait for its countdown: Celery raises Retry instead of waiting.
    with pytest.raises(Retry) as caught:
        document_process_task.apply(args=[document.pk], throw=True)
    assert isinstance(caught.value.exc, FileNotFoundError)


@pytest.mark.django_db
def test_an_editor_uploads_a_photo_in_the_admin_and_it_is_stored_without_gps_and_processed(
    editor_client, media_root, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = editor_client.post(
            reverse("admin:sources_document_add"),
            {"title": "Arrest photo", "kind": "photo", "file": SimpleUploadedFile("IMG 0042.JPG", photo_with_gps())},
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert len(callbacks) == 1  # the processing task, queued once the document was committed

    document = Document.objects.get()
    content = document.file.read()
    assert document.original_name == "IMG_0042.jpg"
    assert document.file.name.startswith("documents/") and "IMG" not in document.file.name
    assert (document.size, document.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert document.content_type == "image/jpeg" and document.thumbnail
    with Image.open(io.BytesIO(content)) as image:
        assert image.getexif().get_ifd(GPS_IFD) == {} and GPS_IFD not in image.getexif()


@pytest.mark.django_db
def test_an_uploaded_pdf_is_found_by_a_word_of_its_text_in_the_admin_search(
    editor_client, media_root, eager_tasks, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(
            reverse("admin:sources_document_add"),
            {
                "title": "Court ruling",
                "kind": "verdict",
                "file": SimpleUploadedFile("ruling.pdf", pdf_with_text(PHRASE)),
            },
        )
    DocumentFactory(title="Unrelated letter")
    document = Document.objects.get(title="Court ruling")
    assert document.text == PHRASE and document.original_name == "ruling.pdf"

    # Session, user, permissions, count, filtered count, page: one query each, whatever the data.
    with django_assert_max_num_queries(10):
        response = editor_client.get(reverse("admin:sources_document_changelist"), {"q": "sentenced"})

    assert list(response.context["cl"].result_list) == [document]


@pytest.mark.django_db
def test_saving_without_a_new_file_does_not_queue_processing_again(
    editor_client, media_root, eager_tasks, django_capture_on_commit_callbacks
):
    document = DocumentFactory(file=ContentFile(MINIMAL_PDF, name="verdict.pdf"))
    document_process(document_id=document.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = editor_client.post(
            reverse("admin:sources_document_change", args=[document.pk]),
            {"title": "Renamed", "kind": "verdict"},
        )
    assert response.status_code == 302
    assert callbacks == []


@pytest.mark.django_db
def test_the_change_page_shows_the_thumbnail_and_the_text_length(editor_client, media_root):
    photo = DocumentFactory(file=ContentFile(photo_with_gps(orientation=1), name="photo.jpg"))
    pdf = DocumentFactory(file=ContentFile(pdf_with_text(PHRASE), name="verdict.pdf"))
    waiting = DocumentFactory()
    for document in (photo, pdf):
        document_process(document_id=document.pk)
        document.refresh_from_db()
    model_admin = DocumentAdmin(Document, admin.site)

    assert model_admin.thumbnail_preview(photo).startswith('<img src="data:image/jpeg;base64,')
    assert model_admin.thumbnail_preview(pdf) == "—"
    assert model_admin.extracted_text_length(pdf) == f"{len(PHRASE)} characters"
    assert str(model_admin.extracted_text_length(waiting)) == "not processed yet"
    response = editor_client.get(reverse("admin:sources_document_change", args=[photo.pk]))
    assert response.status_code == 200
    assert b"data:image/jpeg;base64," in response.content


@pytest.mark.worker
@pytest.mark.django_db(transaction=REAL_WORKER)
@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("verdict.pdf", pdf_with_text(PHRASE), "application/pdf"), ("photo.jpg", photo_with_gps(), "image/jpeg")],
)
def test_processing_runs_on_a_real_worker_when_one_is_running(name, content, content_type):
    # No media_root override: the worker reads the same MEDIA_ROOT as this process.
    document = DocumentFactory(file=ContentFile(content, name=name))
    if REAL_WORKER:
        # transactional_db: the row is committed, so the worker, on its own connection, sees it.
        assert not app.conf.task_always_eager
        result = document_process_task.delay(document.pk)
        assert not isinstance(result, EagerResult)
        sha256 = result.get(timeout=60)
    else:
        sha256 = document_process_task.apply(args=[document.pk]).get()

    document.refresh_from_db()
    assert sha256 == document.sha256 == hashlib.sha256(content).hexdigest()
    assert (document.size, document.content_type) == (len(content), content_type)
    assert document.text == (PHRASE if content_type == "application/pdf" else "")
    assert bool(document.thumbnail) == (content_type != "application/pdf")
    document.file.storage.delete(document.file.name)
    if document.thumbnail:
        document.thumbnail.storage.delete(document.thumbnail.name)
