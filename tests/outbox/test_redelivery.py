"""Work the outbox sends may arrive twice (at least once, and again after a lost worker): it is done once."""

import threading

import pytest
from django.db import connection, transaction

from prisoners.import_jobs import ImportJob
from prisoners.imports import JobState, _job_write, cases_file_check, import_job_create, import_job_run
from prisoners.models import Person

pytestmark = pytest.mark.django_db

CSV = (
    "external_id,name,name_variants,birth_date,gender,region,status,detained_on,released_on,release_type,"
    "articles,sentence,public,private_notes,source_url,source_title,quote\n"
    "v-201,Ihar Losik,,1992,male,,pre_trial,2020-06,,,,,no,,,,\n"
)


@pytest.fixture
def job_id(editor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = CSV.encode()
    job_id = import_job_create(
        data=data, file_name="cases.csv", user=editor, plan=cases_file_check(acting_user=editor, data=data)
    )
    _job_write(job_id, state=JobState.QUEUED)
    return job_id


@pytest.mark.django_db(transaction=True)
def test_an_import_delivered_again_while_a_worker_applies_it_returns_at_once(job_id):
    if connection.vendor != "postgresql":
        pytest.skip("a row lock needs PostgreSQL (SQLite has none); the PostgreSQL pass runs this")
    locked, done = threading.Event(), threading.Event()

    def worker_applying_the_file():
        with transaction.atomic():
            ImportJob.objects.select_for_update().get(pk=job_id)  # what the worker applying it holds
            locked.set()
            done.wait(10)
        connection.close()

    worker = threading.Thread(target=worker_applying_the_file)
    worker.start()
    assert locked.wait(10)
    try:
        assert import_job_run(job_id=job_id)["state"] == JobState.QUEUED
        assert not Person.objects.exists()
    finally:
        done.set()
        worker.join(10)
    assert import_job_run(job_id=job_id)["state"] == JobState.DONE
    assert Person.objects.count() == 1


def test_an_import_left_running_by_a_killed_worker_is_applied_by_the_next_and_then_never_again(job_id):
    _job_write(job_id, state=JobState.RUNNING, stage="import", done=0)  # the killed run's last word
    assert import_job_run(job_id=job_id)["state"] == JobState.DONE
    assert import_job_run(job_id=job_id)["state"] == JobState.DONE
    assert Person.objects.count() == 1
