"""export_dataset / import_dataset: a full backup, restored into an empty database, exports the same bytes."""

import datetime as dt
import json

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.db import connection

from prisoners.dataset import MANIFEST_NAME, NOT_EMPTY_DATABASE, NOT_EMPTY_DIRECTORY, dataset_models
from prisoners.demo import PRIVATE_NOTE_MARKER, load_demo
from prisoners.models import Digest, DigestKind, Person
from sources.models import Citation, Document, Snapshot, Source
from tests.prisoners.factories import PersonFactory, SentenceFactory
from tests.sources.factories import CitationFactory, DocumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media-before"
    return settings.MEDIA_ROOT


def files_in(directory):
    return {
        path.relative_to(directory).as_posix(): path.read_bytes() for path in directory.rglob("*") if path.is_file()
    }


def rows(directory, label):
    lines = (directory / f"{label}.jsonl").read_bytes().splitlines()
    return [json.loads(line) for line in lines]


def empty_the_database():
    """As a new, migrated database is: no rows in the dataset's tables, every id sequence back at 1."""
    tables = [model._meta.db_table for model in dataset_models()]
    # PostgreSQL will not truncate tables with foreign key checks still pending in this transaction.
    connection.check_constraints()
    with connection.cursor() as cursor:
        for sql in connection.ops.sql_flush(no_style(), tables, reset_sequences=True):
            cursor.execute(sql)


def test_export_import_export_round_trip_is_byte_identical(media_root, settings, tmp_path):
    load_demo()
    # Rows the demo lacks: a sentence amending another, a decimal fine, JSON, a timestamp, a photo.
    amended = SentenceFactory(term_years=3, fine_amount="1500.50", fine_unit="BYN")
    SentenceFactory(defendant=amended.defendant, kind="appeal", amends=amended, term_years=2)
    Digest.objects.create(kind=DigestKind.TERM_ENDINGS, items=[{"name": "Ігар Лосік", "id": 7, "expected_end": "2031"}])
    Snapshot.objects.create(
        source=Source.objects.first(),
        url="https://news.example.org/a",
        fetched_at=dt.datetime(2025, 6, 21, 9, 30, 15, 123456, tzinfo=dt.UTC),
        http_status=200,
        raw_html="<p>\u2028line\r\nbreaks</p>",
        sha256="0" * 64,
    )
    person = Person.objects.first()
    person.photo.save("portrait.jpg", ContentFile(b"not really a jpeg"), save=True)
    first, second = tmp_path / "first", tmp_path / "second"

    call_command("export_dataset", first, verbosity=0)
    empty_the_database()
    # A new server: nothing in its storage either, so every file must come from the dataset.
    settings.MEDIA_ROOT = tmp_path / "media-after"
    call_command("import_dataset", first, verbosity=0)
    call_command("export_dataset", second, verbosity=0)

    before, after = files_in(first), files_in(second)
    assert sorted(before) == sorted(after)
    for name, content in before.items():
        assert content == after[name], f"{name} differs after the round trip"


def test_a_file_lost_from_storage_is_listed_and_the_round_trip_still_holds(media_root, settings, tmp_path):
    document = DocumentFactory()
    lost = document.file.name
    document.file.storage.delete(lost)
    first, second = tmp_path / "first", tmp_path / "second"

    call_command("export_dataset", first, verbosity=0)
    empty_the_database()
    call_command("import_dataset", first, verbosity=0)
    call_command("export_dataset", second, verbosity=0)

    assert json.loads((first / MANIFEST_NAME).read_text())["missing_media"] == [lost]
    assert files_in(first) == files_in(second)


def test_the_export_holds_private_fields_files_and_content_types_by_natural_key(media_root, tmp_path):
    load_demo()
    call_command("export_dataset", tmp_path / "out", verbosity=0)
    out = tmp_path / "out"

    people = rows(out, "prisoners.person")
    assert [row["id"] for row in people] == sorted(row["id"] for row in people)
    assert any(PRIVATE_NOTE_MARKER in row["private_notes"] for row in people)
    assert list(people[0]) == sorted(people[0])
    citations = rows(out, "sources.citation")
    assert {row["content_type"] for row in citations} <= {
        f"prisoners.{name}"
        for name in (
            "person",
            "namevariant",
            "case",
            "charge",
            "sentence",
            "custodyperiod",
            "statusevent",
            "release",
            "releasegroup",
        )
    }
    assert len(citations) == Citation.objects.count()
    for document in Document.objects.all():
        assert (out / "media" / document.file.name).read_bytes() == document.file.read()
    assert len(rows(out, "sources.document_people")) == Document.people.through.objects.count()
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert [entry["model"] for entry in manifest["models"]] == [m._meta.label_lower for m in dataset_models()]
    assert not any(
        entry["model"].startswith(("prisoners.historical", "sources.historical")) for entry in manifest["models"]
    )
    # Cyrillic stays readable in the file, not \u-escaped.
    assert "Ціханоўскі" in (out / "prisoners.person.jsonl").read_text(encoding="utf-8")


def test_a_dataset_is_restored_with_its_ids_and_new_rows_continue_after_them(media_root, tmp_path):
    people = PersonFactory.create_batch(3)
    CitationFactory(content_object=people[1])
    call_command("export_dataset", tmp_path / "out", verbosity=0)
    empty_the_database()

    call_command("import_dataset", tmp_path / "out", verbosity=0)

    assert sorted(Person.objects.values_list("pk", flat=True)) == [p.pk for p in people]
    assert Citation.objects.get().content_object == Person.objects.get(pk=people[1].pk)
    # The sequences were reset after the restore: a new row takes the next id, not id 1 again.
    assert PersonFactory().pk == people[-1].pk + 1


def test_import_refuses_a_database_that_already_holds_records(media_root, tmp_path):
    PersonFactory()
    call_command("export_dataset", tmp_path / "out", verbosity=0)

    with pytest.raises(CommandError) as refused:
        call_command("import_dataset", tmp_path / "out", verbosity=0)

    assert str(refused.value).startswith(NOT_EMPTY_DATABASE.split("(")[0])
    assert "prisoners.person" in str(refused.value)
    assert Person.objects.count() == 1


def test_import_refuses_a_dataset_of_another_schema(media_root, tmp_path):
    call_command("export_dataset", tmp_path / "out", verbosity=0)
    manifest_path = tmp_path / "out" / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())
    manifest["migrations"]["prisoners"].append("9999_from_the_future")
    manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="9999_from_the_future"):
        call_command("import_dataset", tmp_path / "out", verbosity=0)


def test_a_failing_import_leaves_the_database_empty(media_root, tmp_path):
    PersonFactory.create_batch(2)
    call_command("export_dataset", tmp_path / "out", verbosity=0)
    empty_the_database()
    people_file = tmp_path / "out" / "prisoners.namevariant.jsonl"
    people_file.write_text(people_file.read_text() + '{"no_such_column": 1}\n', encoding="utf-8")

    with pytest.raises(CommandError, match="no_such_column"):
        call_command("import_dataset", tmp_path / "out", verbosity=0)

    assert not Person.objects.exists()


def test_export_refuses_a_directory_that_is_not_empty(media_root, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.jsonl").write_text("{}\n")

    with pytest.raises(CommandError) as refused:
        call_command("export_dataset", tmp_path / "out", verbosity=0)

    assert str(refused.value) == NOT_EMPTY_DIRECTORY.format(path=tmp_path / "out")
