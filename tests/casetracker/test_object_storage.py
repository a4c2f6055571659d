"""With AWS_STORAGE_BUCKET_NAME, uploads live in S3-compatible object storage and stay private there.

A local S3 server (moto's, on 127.0.0.1) stands in for the bucket; the storage options are the
ones settings use (casetracker/settings/base.py, PRIVATE_OBJECT_STORAGE). Files are written
through the upload pipeline and the write path, read back through the app's views, and nothing
in the bucket can be read without the app: neither with the URL storage gives nor by its key.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import httpx
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer
from PIL import Image

from casetracker.settings.base import PRIVATE_OBJECT_STORAGE
from prisoners.services import record_save
from sources.admin import DocumentAdminForm
from sources.documents import document_process
from tests.prisoners.factories import PersonFactory
from tests.prisoners.test_person_photo import person_form
from tests.sources.test_document_processing import pdf_with_text
from tests.sources.test_uploads import photo_with_gps

pytestmark = pytest.mark.django_db

PROJECT_DIR = Path(__file__).resolve().parents[2]
BUCKET = "casetracker-media"
REGION = "us-east-1"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
# Fake credentials in the environment, so boto3 never reads a developer's ~/.aws or asks a
# cloud metadata service for a role: every request goes to the server on 127.0.0.1.
AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "test-key-id",
    "AWS_SECRET_ACCESS_KEY": "test-secret",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@pytest.fixture(scope="module")
def s3_endpoint():
    saved = {name: os.environ.get(name) for name in AWS_ENVIRONMENT}
    os.environ.update(AWS_ENVIRONMENT)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def s3(s3_endpoint):
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for stored in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=stored["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def object_storage(settings, s3, s3_endpoint):
    """Uploads go to the bucket, with the options settings use; the client reads the bucket directly."""
    options = {**PRIVATE_OBJECT_STORAGE["OPTIONS"], "bucket_name": BUCKET, "endpoint_url": s3_endpoint}
    settings.STORAGES = {**settings.STORAGES, "default": {**PRIVATE_OBJECT_STORAGE, "OPTIONS": options}}
    return s3


def stored_bytes(s3, key: str) -> bytes:
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def assert_unreachable_without_the_app(s3, s3_endpoint, key: str, url: str) -> None:
    """Neither the URL storage gives for the file nor its plain address lets an anonymous client in."""
    assert "Signature" not in url and "X-Amz-" not in url
    assert httpx.get(url).status_code == 403
    assert httpx.get(f"{s3_endpoint}/{BUCKET}/{key}").status_code == 403
    grants = s3.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert not [grant for grant in grants if grant["Grantee"].get("URI") == ALL_USERS]


def test_an_uploaded_photo_is_stored_in_the_bucket_and_served_only_by_the_app(
    object_storage, s3_endpoint, client, editor
):
    person = PersonFactory(display_name="Ales Bialiatski")
    upload = photo_with_gps(orientation=1)
    form = person_form(SimpleUploadedFile("face.jpg", upload), instance=person)
    assert form.is_valid(), form.errors
    person = record_save(acting_user=editor, obj=form.save(commit=False), reason="photo")

    key = person.photo.name
    in_bucket = stored_bytes(object_storage, key)
    assert in_bucket != upload  # re-encoded without its GPS position before it was stored
    with Image.open(io.BytesIO(in_bucket)) as image:
        assert dict(image.getexif()) == {}
    response = client.get(f"/prisoners/{person.slug}/photo/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == in_bucket
    assert_unreachable_without_the_app(object_storage, s3_endpoint, key, person.photo.url)


def test_a_restricted_document_and_its_thumbnail_stay_private_in_the_bucket(
    object_storage, s3_endpoint, client, researcher
):
    form = DocumentAdminForm(
        data={"title": "Photo from the courtroom", "kind": "photo"},
        files={"file": SimpleUploadedFile("courtroom.jpg", photo_with_gps(size=(400, 300), orientation=1))},
    )
    assert form.is_valid(), form.errors
    document = record_save(acting_user=researcher, obj=form.instance, reason="upload")
    document = document_process(document_id=document.pk)  # reads the file back from the bucket

    in_bucket = stored_bytes(object_storage, document.file.name)
    assert document.sha256 == hashlib.sha256(in_bucket).hexdigest()
    assert document.thumbnail and stored_bytes(object_storage, document.thumbnail.name)
    assert client.get(document.get_absolute_url()).status_code == 404
    client.force_login(researcher)
    served = client.get(document.get_absolute_url())
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == in_bucket
    for stored in (document.file, document.thumbnail):
        assert_unreachable_without_the_app(object_storage, s3_endpoint, stored.name, stored.url)


def test_a_pdf_is_stored_and_its_text_extracted_from_the_bucket(object_storage, researcher):
    pdf = pdf_with_text("Sentenced to 18 years")
    form = DocumentAdminForm(
        data={"title": "Verdict", "kind": "verdict"}, files={"file": SimpleUploadedFile("verdict.pdf", pdf)}
    )
    assert form.is_valid(), form.errors
    document = record_save(acting_user=researcher, obj=form.instance, reason="upload")
    assert document.file.name.startswith("documents/") and "verdict" not in document.file.name
    with default_storage.open(document.file.name, "rb") as stored:
        assert stored.read() == stored_bytes(object_storage, document.file.name)
    assert "Sentenced to 18 years" in document_process(document_id=document.pk).text


def test_the_server_does_serve_a_public_object_so_the_refusals_above_mean_private(s3, s3_endpoint):
    s3.put_object(Bucket=BUCKET, Key="public.txt", Body=b"anyone", ACL="public-read")
    assert httpx.get(f"{s3_endpoint}/{BUCKET}/public.txt").content == b"anyone"


PRINT_DEFAULT_STORAGE = (
    "import json, django; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.STORAGES['default']))"
)


@pytest.mark.parametrize(("bucket", "backend"), [("casetracker-media", "S3Storage"), ("", "FileSystemStorage")])
def test_the_bucket_name_in_the_environment_switches_uploads_to_object_storage(bucket, backend):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "casetracker.settings.dev",
        "AWS_STORAGE_BUCKET_NAME": bucket,
    }
    result = subprocess.run(
        [sys.executable, "-c", PRINT_DEFAULT_STORAGE],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    storage = json.loads(result.stdout.strip().splitlines()[-1])
    assert storage["BACKEND"].endswith(backend)
    if bucket:
        assert storage["OPTIONS"]["bucket_name"] == bucket
        assert storage["OPTIONS"]["default_acl"] is None and storage["OPTIONS"]["querystring_auth"] is False
