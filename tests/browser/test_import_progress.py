"""The CSV import's job page in Chromium: its static script follows the job's progress and shows the outcome."""

import uuid

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from prisoners.imports import JobState, _job_write, cases_file_check, import_job_create

pytestmark = pytest.mark.browser

PASSWORD = "a long test password 2025"


def test_the_job_page_moves_its_bar_with_the_worker_then_shows_the_outcome(site_url, page):
    editor = User.objects.create_superuser("importer", "i@example.org", PASSWORD)
    data = b"external_id,name\nb-1,Anna\nb-2,Boris\n"
    job_id = import_job_create(
        data=data, file_name="people.csv", user=editor, plan=cases_file_check(acting_user=editor, data=data)
    )
    # As a worker leaves the record a little way in (the task itself is not run here).
    _job_write(job_id, state=JobState.RUNNING, stage="import", done=0, total=2)
    page.goto(f"{site_url}/admin/login/")
    page.fill("#id_username", "importer")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.goto(site_url + reverse("admin:prisoners_person_import_job", args=[uuid.UUID(job_id)]))
    expect(page.locator("#import-progress")).to_have_attribute("value", "0")
    _job_write(job_id, done=1)
    expect(page.locator("#import-count")).to_have_text("1 / 2")
    expect(page.locator("#import-progress")).to_have_js_property("value", 1)

    _job_write(job_id, state=JobState.DONE, done=2, created=2, updated=0)
    expect(page.locator("#import-done")).to_contain_text("2 people created, 0 updated")
