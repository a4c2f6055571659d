"""Backups: every record of the prisoners and sources apps as JSON Lines, and back again.

An export is a directory:

    manifest.json                   format, schema (applied migrations), files in load order, row counts
    prisoners.person.jsonl          one JSON object per row, sorted by primary key, keys sorted
    ...                             one file per model, each after the models it points to
    sources.document_people.jsonl   the Document.people many-to-many table
    media/<stored name>             every uploaded file a row names (photos, documents, thumbnails)

Everything is exported, private fields included: this is for backups, never for the public.
History tables (django-simple-history) are left out. Foreign keys are exported as ids (keys
ending in `_id`), except foreign keys to ContentType, whose ids differ from one database to
the next: those are exported by natural key, "app_label.model", under the field's name.

Nothing in a file depends on when or where it was written, so exporting, importing into an
empty database and exporting again gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from simple_history.models import HistoricalChanges

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MEDIA_DIR = "media"
DATASET_APPS = ("prisoners", "sources")
# Rows read from the database, and rows written to it, per round trip.
CHUNK_SIZE = 2000

NOT_EMPTY_DIRECTORY = "{path} is not empty; export into a new or empty directory."
NOT_A_DATASET = "{path} holds no {manifest}; is it a directory written by export_dataset?"
UNKNOWN_FORMAT = "{path} is in dataset format {found}; this version reads format {expected}."
NOT_EMPTY_DATABASE = (
    "The database already holds records ({tables}); import_dataset restores only into an empty database. "
    "Create a new database, run migrate, then import."
)
OTHER_SCHEMA = (
    "The dataset was exported from a database migrated to {exported}, this one is at {current}. "
    "Import with the code version that wrote the dataset, then migrate."
)
OTHER_MODELS = "The dataset's tables ({exported}) are not this version's ({current})."
UNSAFE_FILE_NAME = "Refusing the stored file name {name!r}: it points outside the media directory."
MISSING_MEDIA_FILE = "{name} is named by a row but is not in {path}."
# A backup holds private fields: only its owner may list or read it, whatever the umask.
PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


class DatasetError(Exception):
    """The dataset cannot be written or read as asked; the message says why, for the command line."""


# --- What is in a dataset --------------------------------------------------------------------


def dataset_models() -> list[type[models.Model]]:
    """Every model the dataset holds, each after the models its foreign keys point to."""
    candidates = [
        model
        for label in DATASET_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if not issubclass(model, HistoricalChanges) and model._meta.managed and not model._meta.proxy
    ]
    pending = {model: _dependencies(model, candidates) for model in candidates}
    ordered: list[type[models.Model]] = []
    while pending:
        # Of the models whose dependencies are placed, the first in definition order: stable.
        ready = next((model for model in candidates if model in pending and not pending[model] - set(ordered)), None)
        if ready is None:
            raise DatasetError(f"Foreign keys form a cycle among {sorted(m._meta.label for m in pending)}.")
        ordered.append(ready)
        del pending[ready]
    return ordered


def _dependencies(model: type[models.Model], candidates: list[type[models.Model]]) -> set[type[models.Model]]:
    return {
        field.related_model
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model in candidates and field.related_model is not model
    }


def _file_name(model: type[models.Model]) -> str:
    return f"{model._meta.label_lower}.jsonl"


def _is_content_type(field: models.Field) -> bool:
    return field.is_relation and field.related_model is ContentType


def _key(field: models.Field) -> str:
    # A content type travels as "app_label.model", so it is keyed by the field's name, not "_id".
    return field.name if _is_content_type(field) else field.attname


def _applied_migrations() -> dict[str, list[str]]:
    """The schema a dataset belongs to: the migrations applied to each of its apps."""
    applied = MigrationRecorder(connection).applied_migrations()
    return {label: sorted(name for app, name in applied if app == label) for label in DATASET_APPS}


# --- Export ----------------------------------------------------------------------------------


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class _Encoder:
    def __init__(self):
        self.content_types: dict[int, str] = {}

    def __call__(self, field: models.Field, value):
        if value is None:
            return None
        if _is_content_type(field):
            if value not in self.content_types:
                content_type = ContentType.objects.get_for_id(value)
                self.content_types[value] = f"{content_type.app_label}.{content_type.model}"
            return self.content_types[value]
        if isinstance(value, (dt.date, dt.datetime, dt.time)):
            return value.isoformat()
        if isinstance(value, (decimal.Decimal, uuid.UUID)):
            return str(value)
        if isinstance(value, dt.timedelta):
            return value.total_seconds()
        if isinstance(value, (bytes, memoryview)):
            raise DatasetError(f"{field.model._meta.label}.{field.name}: binary fields are not supported.")
        return value


def _safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise DatasetError(UNSAFE_FILE_NAME.format(name=name))
    return path


def _private_directories(directory: Path) -> None:
    """Make `directory` and any missing parents, each 0700: chmod after mkdir, as mkdir's mode obeys the umask."""
    for path in [*reversed(directory.parents), directory]:
        if not path.exists():
            path.mkdir()
            os.chmod(path, PRIVATE_DIRECTORY_MODE)


def _private_file(path: Path, mode: str = "w", **kwargs):
    """A new file opened for writing, 0600 from creation on (fchmod too: os.open's mode obeys the umask)."""
    # O_EXCL: never write through a file or symlink someone placed in the export directory.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def _copy_out(name: str, media: Path, storage) -> bool:
    """Copy one stored file into the export's media directory; False if storage has lost it."""
    target = media.joinpath(*_safe_relative(name).parts)
    if target.exists():
        return True
    if not storage.exists(name):
        return False
    _private_directories(target.parent)
    with storage.open(name, "rb") as source, _private_file(target, "wb") as copy:
        shutil.copyfileobj(source, copy)
    return True


def _one_snapshot() -> None:
    """On PostgreSQL, read every table as of one moment, so a backup taken during edits is consistent.

    Only possible as the first statement of a transaction; inside an outer one (a test) the
    reads share that transaction anyway.
    """
    if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def dataset_export(*, directory: Path, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Write every record and every uploaded file to `directory`; returns rows per model label."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise DatasetError(NOT_EMPTY_DIRECTORY.format(path=directory))
    _private_directories(directory)
    # An empty directory made beforehand keeps its owner but not its mode.
    os.chmod(directory, PRIVATE_DIRECTORY_MODE)
    media = directory / MEDIA_DIR
    encode = _Encoder()
    counts: dict[str, int] = {}
    missing: set[str] = set()
    entries = []
    with transaction.atomic():
        _one_snapshot()
        for model in dataset_models():
            fields = model._meta.concrete_fields
            file_fields = [field for field in fields if isinstance(field, models.FileField)]
            rows = model._base_manager.order_by("pk").values_list(*(field.attname for field in fields))
            count = 0
            with _private_file(directory / _file_name(model), encoding="utf-8", newline="\n") as out:
                for row in rows.iterator(chunk_size=CHUNK_SIZE):
                    record = dict(zip(fields, row, strict=True))
                    out.write(_dumps({_key(field): encode(field, value) for field, value in record.items()}) + "\n")
                    for field in file_fields:
                        name = record[field]
                        if name and not _copy_out(name, media, field.storage):
                            missing.add(name)
                    count += 1
            counts[model._meta.label_lower] = count
            entries.append({"model": model._meta.label_lower, "file": _file_name(model), "rows": count})
            if progress:
                progress(model._meta.label_lower, count)
        manifest = {
            "format": FORMAT_VERSION,
            "migrations": _applied_migrations(),
            "models": entries,
            # Files a row names that storage no longer had when the dataset was written.
            "missing_media": sorted(missing),
        }
    with _private_file(directory / MANIFEST_NAME, encoding="utf-8", newline="\n") as out:
        out.write(json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n")
    return counts


# --- Import ----------------------------------------------------------------------------------


def _read_manifest(directory: Path) -> dict:
    path = directory / MANIFEST_NAME
    if not path.is_file():
        raise DatasetError(NOT_A_DATASET.format(path=directory, manifest=MANIFEST_NAME))
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise DatasetError(UNKNOWN_FORMAT.format(path=directory, found=manifest.get("format"), expected=FORMAT_VERSION))
    return manifest


def _latest(migrations: dict[str, list[str]]) -> str:
    return ", ".join(f"{label} {names[-1] if names else '(none)'}" for label, names in sorted(migrations.items()))


def _check_target(manifest: dict, ordered: list[type[models.Model]]) -> None:
    current = _applied_migrations()
    if manifest["migrations"] != current:
        raise DatasetError(OTHER_SCHEMA.format(exported=_latest(manifest["migrations"]), current=_latest(current)))
    exported = [entry["model"] for entry in manifest["models"]]
    labels = [model._meta.label_lower for model in ordered]
    if sorted(exported) != sorted(labels):
        raise DatasetError(OTHER_MODELS.format(exported=", ".join(sorted(exported)), current=", ".join(sorted(labels))))
    holding = [model._meta.label_lower for model in ordered if model._base_manager.exists()]
    if holding:
        raise DatasetError(NOT_EMPTY_DATABASE.format(tables=", ".join(holding)))


class _Decoder:
    def __init__(self):
        self.content_types: dict[str, int] = {}

    def __call__(self, field: models.Field, value):
        if value is None:
            return None
        if _is_content_type(field):
            if value not in self.content_types:
                app_label, _dot, model = value.partition(".")
                self.content_types[value] = ContentType.objects.get_by_natural_key(app_label, model).pk
            return self.content_types[value]
        if field.is_relation or isinstance(field, (models.JSONField, models.FileField)):
            return value
        return field.to_python(value)


def _rows(path: Path) -> Iterator[dict]:
    # Binary lines: a text-mode reader would also split on characters such as U+2028 or \r,
    # which JSON leaves unescaped (U+2028) inside strings.
    with path.open("rb") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _insert(model: type[models.Model], batch: list[models.Model]) -> None:
    # A raw insert, as loaddata's raw saves: values go in exactly as exported. bulk_create()
    # would run pre_save, which stamps auto_now fields with the time of import and parses
    # every EDTF date again (milliseconds each) to recompute bounds the dataset holds.
    # QuerySet._insert is the step bulk_create() itself ends in.
    model._base_manager._insert(batch, fields=model._meta.concrete_fields, raw=True)


def _load(model: type[models.Model], path: Path, decode: _Decoder) -> int:
    fields = {_key(field): field for field in model._meta.concrete_fields}
    batch, count = [], 0
    for record in _rows(path):
        unknown = set(record) - set(fields)
        if unknown:
            raise DatasetError(f"{path.name}: unknown columns {sorted(unknown)}.")
        batch.append(model(**{fields[key].attname: decode(fields[key], value) for key, value in record.items()}))
        if len(batch) >= CHUNK_SIZE:
            _insert(model, batch)
            count, batch = count + len(batch), []
    if batch:
        _insert(model, batch)
        count += len(batch)
    return count


def _sha256(opened) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: opened.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def _same_content(storage, name: str, path: Path) -> bool:
    if storage.size(name) != path.stat().st_size:
        return False
    with storage.open(name, "rb") as stored, path.open("rb") as copy:
        return _sha256(stored) == _sha256(copy)


def _copy_in(name: str, media: Path, storage) -> None:
    source = media.joinpath(*_safe_relative(name).parts)
    if storage.exists(name):
        if _same_content(storage, name, source):
            return
        # The database is empty, so no row names the file there: it is a leftover.
        storage.delete(name)
    with source.open("rb") as content:
        saved = storage.save(name, File(content))
    if saved != name:
        raise DatasetError(f"Storage saved {name} as {saved}; the rows would not find it.")


def _restore_media(directory: Path, ordered: list[type[models.Model]], missing_at_export: set[str]) -> list[str]:
    """Put every file the imported rows name back into storage; returns names no copy exists for."""
    media = directory / MEDIA_DIR
    lost = []
    for model in ordered:
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.FileField):
                continue
            names = (
                model._base_manager.exclude(**{field.attname: ""}).order_by("pk").values_list(field.attname, flat=True)
            )
            for name in names.iterator(chunk_size=CHUNK_SIZE):
                if media.joinpath(*_safe_relative(name).parts).is_file():
                    _copy_in(name, media, field.storage)
                elif name in missing_at_export:
                    lost.append(name)
                else:
                    raise DatasetError(MISSING_MEDIA_FILE.format(name=name, path=media))
    return lost


def _reset_sequences(ordered: list[type[models.Model]]) -> None:
    """Let new rows take ids after the restored ones (PostgreSQL; SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), ordered)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@transaction.atomic
def dataset_import(*, directory: Path, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Restore a dataset written by dataset_export into an empty database, whole or not at all."""
    directory = Path(directory)
    manifest = _read_manifest(directory)
    ordered = dataset_models()
    _check_target(manifest, ordered)
    decode = _Decoder()
    counts: dict[str, int] = {}
    for model in ordered:
        path = directory / _file_name(model)
        if not path.is_file():
            raise DatasetError(f"{path} is missing.")
        counts[model._meta.label_lower] = _load(model, path, decode)
        if progress:
            progress(model._meta.label_lower, counts[model._meta.label_lower])
    _restore_media(directory, ordered, set(manifest.get("missing_media", [])))
    _reset_sequences(ordered)
    return counts
