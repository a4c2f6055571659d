"""Admin import jobs need no shared disk: the upload goes through default_storage, the job is a row, progress is cached.

So the import works with uploads in S3-compatible object storage (a local moto server stands
in for the bucket, with the options settings use) and with several web nodes and workers.
"""

import datetime as dt
import os
import threading

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection, transaction

from casetracker.celery import app as celery_app
from casetracker.settings.base import PRIVATE_OBJECT_STORAGE
from prisoners import imports
from prisoners.import_jobs import ImportJob, JobState
from prisoners.imports import (
    JOBS_DIR,
    _job_write,
    cases_file_check,
    import_job_create,
    import_job_run,
    import_job_status,
)
from prisoners.models import Person
from tests.prisoners.test_imports import GOOD_ROWS, csv_file, upload

pytestmark = pytest.mark.django_db

BUCKET = "casetracker-imports"
REGION = "us-east-1"
# Fake credentials, so boto3 never reads a developer's ~/.aws or asks a metadata service.
AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "test-key-id",
    "AWS_SECRET_ACCESS_KEY": "test-secret",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@pytest.fixture
def eager_tasks():
    """The import task runs here even where a real worker listens: it could not see this test's rows."""
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = was_eager


@pytest.fixture
def memory_storage(settings):
    """Uploads in memory: a storage with no local path at all (its path() raises)."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}


@pytest.fixture(scope="module")
def s3_endpoint():
    moto_server = pytest.importorskip("moto.server")
    saved = {name: os.environ.get(name) for name in AWS_ENVIRONMENT}
    os.environ.update(AWS_ENVIRONMENT)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
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
def object_storage(settings, s3_endpoint):
    """Uploads in a bucket, with the options settings give S3-compatible storage."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    options = {**PRIVATE_OBJECT_STORAGE["OPTIONS"], "bucket_name": BUCKET, "endpoint_url": s3_endpoint}
    settings.STORAGES = {**settings.STORAGES, "default": {**PRIVATE_OBJECT_STORAGE, "OPTIONS": options}}
    yield client
    for stored in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=stored["Key"])
    client.delete_bucket(Bucket=BUCKET)


def job_of(preview) -> str:
    return preview.context["confirm_url"].rstrip("/").rsplit("/", 1)[-1].replace("-", "")


def stored_uploads() -> list[str]:
    try:
        return default_storage.listdir(JOBS_DIR)[1]
    except FileNotFoundError:
        return []


@pytest.mark.parametrize("storage", ["memory_storage", "object_storage"])
def test_an_admin_import_runs_from_storage_with_no_local_path(
    storage, request, editor_client, eager_tasks, django_capture_on_commit_callbacks
):
    request.getfixturevalue(storage)
    preview = upload(editor_client, csv_file(GOOD_ROWS[2]))
    job_id = job_of(preview)

    assert stored_uploads() == [f"{job_id}.csv"]
    assert default_storage.open(f"{JOBS_DIR}/{job_id}.csv").read() == csv_file(GOOD_ROWS[2])
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(preview.context["confirm_url"])

    assert import_job_status(job_id)["state"] == JobState.DONE
    assert Person.objects.count() == 1
    # The upload held private notes: it is gone once imported.
    assert stored_uploads() == []


def test_the_page_reads_a_running_imports_progress_from_the_cache(editor, memory_storage, monkeypatch):
    data = csv_file(*GOOD_ROWS[2:])
    job_id = import_job_create(
        data=data, file_name="cases.csv", user=editor, plan=cases_file_check(acting_user=editor, data=data)
    )
    _job_write(job_id, state=JobState.QUEUED)
    seen = []
    real_import = imports.cases_file_import

    def watched(**kwargs):
        def progress(stage, done, total):
            kwargs_progress(stage, done, total)
            # What another process (the page's status feed) reads at this moment.
            seen.append({key: import_job_status(job_id)[key] for key in ("state", "stage", "done", "total")})

        kwargs_progress = kwargs.pop("progress")
        return real_import(**kwargs, progress=progress)

    monkeypatch.setattr(imports, "cases_file_import", watched)
    import_job_run(job_id=job_id)

    assert {"state": "running", "stage": "import", "done": 1, "total": 1} in seen
    assert import_job_status(job_id)["state"] == JobState.DONE
    assert cache.get(f"import-progress:{job_id}") is None


def test_an_upload_stored_without_a_job_is_deleted_a_day_later(editor, memory_storage):
    data = csv_file(GOOD_ROWS[2])
    plan = cases_file_check(acting_user=editor, data=data)
    # A request that stored the file and then failed: its job row was rolled back.
    with pytest.raises(RuntimeError), transaction.atomic():
        orphan = import_job_create(data=data, file_name="lost.csv", user=editor, plan=plan)
        raise RuntimeError

    assert not ImportJob.objects.filter(pk=orphan).exists()
    assert f"{orphan}.csv" in stored_uploads()
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=2)):
        fresh = import_job_create(data=data, file_name="new.csv", user=editor, plan=plan)

    assert stored_uploads() == [f"{fresh}.csv"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks: it takes one writer at a time")
def test_a_second_delivery_returns_at_once_while_a_worker_holds_the_job(editor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = csv_file(GOOD_ROWS[2])
    job_id = import_job_create(
        data=data, file_name="cases.csv", user=editor, plan=cases_file_check(acting_user=editor, data=data)
    )
    _job_write(job_id, state=JobState.QUEUED)
    locked, release = threading.Event(), threading.Event()

    def worker_applying_the_file():
        # Another connection, as another worker's: it holds the job's row as import_job_run() does.
        try:
            with transaction.atomic():
                ImportJob.objects.select_for_update().get(pk=job_id)
                locked.set()
                release.wait(timeout=60)
        finally:
            connection.close()

    worker = threading.Thread(target=worker_applying_the_file)
    worker.start()
    try:
        assert locked.wait(timeout=60)
        assert import_job_run(job_id=job_id)["state"] == JobState.QUEUED
        assert not Person.objects.exists()
    finally:
        release.set()
        worker.join(timeout=60)

    assert import_job_run(job_id=job_id)["state"] == JobState.DONE
    assert import_job_run(job_id=job_id)["state"] == JobState.DONE  # and never again
    assert Person.objects.count() == 1
