"""The CSV import's admin pages: real templates, the format described column by column, an example file that imports."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from prisoners.admin_import import COLUMN_HELP, EXAMPLE_ROWS
from prisoners.imports import COLUMNS, REQUIRED_COLUMNS, JobState, _job_write, cases_file_check
from prisoners.models import LegalCode, Person, ReleaseType, Status
from tests.casetracker.test_headers import inline_code
from tests.prisoners.factories import LegalArticleFactory

pytestmark = pytest.mark.django_db

UPLOAD_URL = reverse("admin:prisoners_person_import")
EXAMPLE_URL = reverse("admin:prisoners_person_import_example")
# What the Belarusian and Russian catalogues already say for the page's title and the import's breadcrumb.
TRANSLATED = {
    "be": {"title": "Імпарт людзей з файла CSV", "crumb": "Імпарт з CSV", "pardon": "памілаванне"},
    "ru": {"title": "Импорт людей из файла CSV", "crumb": "Импорт из CSV", "pardon": "помилование"},
}


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def articles(db):
    """Two articles on record, one with a part, so the example's articles cell names both kinds."""
    return [
        LegalArticleFactory(code=LegalCode.CRIMINAL, article="342", part=""),
        LegalArticleFactory(code=LegalCode.CRIMINAL, article="293", part="1"),
    ]


def example_file(client) -> bytes:
    response = client.get(EXAMPLE_URL)
    assert response.status_code == 200
    return response.content


def preview(client, data: bytes, **headers):
    upload = SimpleUploadedFile("cases.csv", data, "text/csv")
    return client.post(UPLOAD_URL, {"file": upload}, **headers)


# --- Templates ----------------------------------------------------------------------------------


def test_each_import_page_renders_from_its_template_file(researcher_client, media_root, articles):
    upload = researcher_client.get(UPLOAD_URL)
    checked = preview(researcher_client, example_file(researcher_client))
    job = researcher_client.get(checked.context["confirm_url"])

    rendered = [
        {template.name for template in response.templates if template.name} for response in (upload, checked, job)
    ]
    assert "admin/prisoners/person/import_upload.html" in rendered[0]
    assert "admin/prisoners/person/import_preview.html" in rendered[1]
    assert "admin/prisoners/person/import_job.html" in rendered[2]
    assert all("admin/base_site.html" in names for names in rendered)


def test_the_breadcrumbs_lead_from_the_index_through_people_to_the_import(researcher_client, media_root):
    checked = preview(researcher_client, b"external_id,name\nb-1,Anna\n").content.decode()
    crumbs = checked.split('<div class="breadcrumbs">', 1)[1].split("</div>", 1)[0]

    links = [reverse("admin:index"), reverse("admin:app_list", args=["prisoners"])]
    links += [reverse("admin:prisoners_person_changelist"), UPLOAD_URL]
    positions = [crumbs.index(f'href="{link}"') for link in links]
    assert positions == sorted(positions)
    assert "Import people: check cases.csv" in crumbs


def test_the_import_pages_carry_no_inline_script_or_style(researcher_client, media_root):
    checked = preview(researcher_client, b"external_id,name\nb-1,Anna\n")
    job_url = checked.context["confirm_url"]
    _job_write(job_url.rstrip("/").rsplit("/", 1)[-1].replace("-", ""), state=JobState.RUNNING, done=1, total=2)
    pages = {
        "upload": researcher_client.get(UPLOAD_URL),
        "preview": checked,
        "bad preview": preview(researcher_client, b"external_id,name\n,Anna\n"),
        "running job": researcher_client.get(job_url),
    }

    for name, response in pages.items():
        assert response.status_code == 200, name
        assert inline_code(response.content.decode()) == [], name


def test_only_a_running_job_loads_the_script_that_follows_it(researcher_client, media_root):
    job_url = preview(researcher_client, b"external_id,name\nb-1,Anna\n").context["confirm_url"]
    job_id = job_url.rstrip("/").rsplit("/", 1)[-1].replace("-", "")

    waiting_for_confirmation = researcher_client.get(job_url).content.decode()
    _job_write(job_id, state=JobState.QUEUED)
    queued = researcher_client.get(job_url).content.decode()

    assert "import_progress.js" not in waiting_for_confirmation and "data-status-url" not in waiting_for_confirmation
    assert "casetracker/import_progress.js" in queued and f'data-status-url="{job_url}status/"' in queued


# --- The format ---------------------------------------------------------------------------------


def test_every_column_of_the_format_has_help():
    assert list(COLUMN_HELP) == list(COLUMNS)
    assert all(help.meaning and help.values for help in COLUMN_HELP.values())


def test_the_upload_page_lists_every_column_and_says_which_are_required(researcher_client):
    html = researcher_client.get(UPLOAD_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    for column in COLUMNS:
        row = html.split(f'<tr id="import-column-{column}">', 1)[1].split("</tr>", 1)[0]
        assert f"<code>{column}</code>" in row
        assert ("<td>required</td>" in row) is (column in REQUIRED_COLUMNS), column
        assert ("<td>optional</td>" in row) is (column not in REQUIRED_COLUMNS), column
    positions = [html.index(f'id="import-column-{column}"') for column in COLUMNS]
    assert positions == sorted(positions), "in the order of COLUMNS"


def test_the_upload_page_shows_the_values_each_column_accepts(researcher_client):
    html = researcher_client.get(UPLOAD_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    def cell(column):
        return html.split(f'<tr id="import-column-{column}">', 1)[1].split("</tr>", 1)[0]

    assert all(f"<code>{value}</code>" in cell("status") for value in Status.values)
    assert all(f"<code>{value}</code>" in cell("release_type") for value in ReleaseType.values)
    assert "<code>293.1</code>" in cell("articles") and "<code>ч. 1 ст. 293</code>" in cell("articles")
    assert "<code>1y6m</code>" in cell("sentence")
    assert "<code>yes</code>" in cell("public") and "<code>no</code>" in cell("public")
    assert "<code>12.05.2021</code>" in cell("detained_on") and "<code>May 2020</code>" in cell("released_on")
    assert f'href="{EXAMPLE_URL}"' in html


def test_every_value_the_help_gives_as_an_example_passes_the_check(editor):
    for article, part in [("293", ""), ("293", "1"), ("361-1", ""), ("342", ""), ("130", "")]:
        LegalArticleFactory(code=LegalCode.CRIMINAL, article=article, part=part)
    # What each column needs beside it to be checked alone.
    companions = {"released_on": {"release_type": "pardon"}, "public": {"source_title": "Verdict"}}
    for column, described in COLUMN_HELP.items():
        for example in described.examples:
            row = {"external_id": "h-1", "name": "Anna", **companions.get(column, {}), column: example}
            out = io.StringIO()
            csv.writer(out).writerows([row.keys(), row.values()])
            plan = cases_file_check(acting_user=editor, data=out.getvalue().encode())
            assert plan.errors == [], (column, example)


# --- The example file ---------------------------------------------------------------------------


def test_the_example_file_has_every_column_in_order_with_a_value_in_each(researcher_client, articles):
    response = researcher_client.get(EXAMPLE_URL)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="people-example.csv"'
    header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    assert tuple(header) == COLUMNS
    assert len(rows) == len(EXAMPLE_ROWS)
    empty = [column for position, column in enumerate(COLUMNS) if not any(row[position] for row in rows)]
    assert empty == []


def test_the_example_file_passes_a_dry_run_and_would_create_its_people(researcher, researcher_client, articles):
    plan = cases_file_check(acting_user=researcher, data=example_file(researcher_client))

    assert plan.errors == []
    assert (plan.to_create, plan.to_update) == (len(EXAMPLE_ROWS), 0)
    # Both articles on record, one written "293.1" or "ч. 1 ст. 293", as the help says people may.
    assert len(plan.rows[0].articles) == 2
    assert not Person.objects.exists()


def test_the_example_file_passes_a_dry_run_where_no_article_is_on_record(researcher, researcher_client):
    plan = cases_file_check(acting_user=researcher, data=example_file(researcher_client))

    assert plan.errors == []
    assert plan.to_create == len(EXAMPLE_ROWS)


def test_the_example_file_previews_in_the_admin_as_importable(researcher_client, media_root, articles):
    html = preview(researcher_client, example_file(researcher_client), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'id="case-import-confirm"' in html
    assert f"it would create {len(EXAMPLE_ROWS)} and update 0 people" in html


def test_staff_who_may_not_import_cannot_download_the_example(client):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_person"))
    client.force_login(viewer)

    assert client.get(EXAMPLE_URL).status_code == 403


def test_the_example_file_is_only_downloaded(researcher_client):
    assert researcher_client.post(EXAMPLE_URL).status_code == 405


# --- Languages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["be", "ru"])
def test_the_import_pages_render_in_the_browsers_language(researcher_client, media_root, language):
    # The admin's language is the browser's (casetracker.locale.LocaleMiddleware).
    words = TRANSLATED[language]
    upload = researcher_client.get(UPLOAD_URL, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    checked = preview(researcher_client, b"external_id,name\nb-1,Anna\n", HTTP_ACCEPT_LANGUAGE=language)

    assert f'<html lang="{language}"' in upload
    assert f"<h1>{words['title']}</h1>" in upload
    assert words["pardon"] in upload.split('<tr id="import-column-release_type">', 1)[1].split("</tr>", 1)[0]
    assert "Import people from a CSV file" not in upload
    assert f">{words['crumb']}</a>" in checked.content.decode()
