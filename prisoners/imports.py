"""Import people and their cases from a CSV file: check every row, then apply all rows or none.

The format is documented in docs/import-format.md. The steps:

1. decode: UTF-8 only (a byte-order mark is accepted); any other encoding is reported line
   by line, never guessed;
2. check: every cell of every row, against the file itself (repeated external_ids) and the
   database (legal articles, who is already imported, who may publish), BATCH_ROWS rows to a
   query; every problem is kept as (line, column, reason);
3. apply: only if no row has a problem, all rows in one transaction, BATCH_ROWS rows at a time
   through the batched write path (services.records_bulk_create: the permission checks, the
   review rule and history of record_save, in a fixed number of queries per batch), the
   derived status of a batch's people refreshed together at its end.

A row's external_id is stored as ExternalIdentifier(scheme="import", value="import:<external_id>"), never public.
The prefix keeps ids from import files apart from ids a researcher typed in for another
tracker under "other": a clash there would make a re-import overwrite the wrong person.
Importing a file again finds each person by that identifier and updates them.

A new row whose person may already be recorded under a close name is flagged in the preview
(rows_likely_recorded); the editor may link it to that person (`links`, by line), and the row
then adds its facts, its names and its external_id to them instead of creating someone.

The admin imports through a job (an ImportJob row, the upload in default_storage, see "Jobs"
below) that a Celery task applies; the import_cases command calls the service directly.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from celery import shared_task
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.validators import URLValidator
from django.db import DatabaseError, transaction
from django.db.models import Count
from django.utils import timezone

from casetracker.dates import DateBounds, edtf_bounds, edtf_from_text
from sources.models import Citation, Source

from .articles import article_reference
from .import_jobs import ImportJob, JobState
from .models import (
    Case,
    Charge,
    Defendant,
    ExternalIdentifier,
    Gender,
    IdentifierScheme,
    LegalArticle,
    LegalCode,
    NameVariant,
    Person,
    Region,
    Release,
    ReleaseType,
    Sentence,
    SentenceKind,
    Status,
    StatusEvent,
    Term,
)
from .services import (
    NOT_ALLOWED_TO_PUBLISH,
    LikelyDuplicate,
    fewer_collections,
    names_likely_duplicates_many,
    people_cited,
    people_publish,
    person_names_missing,
    person_withdraw,
    record_save,
    records_bulk_create,
    status_refresh_batched,
)

IDENTIFIER_SCHEME = IdentifierScheme.IMPORT
IDENTIFIER_PREFIX = "import:"
LIST_SEPARATOR = ";"
CHANGE_REASON = "CSV import"
LINK_REASON = "CSV import: a row linked to this person, already recorded"
NAME_SYNC_REASON = "name on the person's record"
CITE_REASON = "cited"
# Rows checked against the database, or written, per round of queries.
BATCH_ROWS = 1000

COLUMNS = (
    "external_id",
    "name",
    "name_variants",
    "birth_date",
    "gender",
    "region",
    "status",
    "detained_on",
    "released_on",
    "release_type",
    "articles",
    "sentence",
    "public",
    "private_notes",
    "source_url",
    "source_title",
    "quote",
)
REQUIRED_COLUMNS = ("external_id", "name")
DATE_COLUMNS = ("birth_date", "detained_on", "released_on")
YES, NO = "yes", "no"

# Reasons. Tests match them; a reason never repeats the line or column, which are reported beside it.
NOT_UTF8 = (
    "not UTF-8 text (is the file saved as Windows-1251 or another code page?); "
    "save it as “CSV UTF-8” and upload it again"
)
UTF16 = "the file is UTF-16; save it as “CSV UTF-8” and upload it again"
UNCLOSED_QUOTE = "a quote opened in this row is never closed"
UNREADABLE_ROW = 'cannot read this row ({error}); a quote inside a cell is written twice: ""'
EMPTY_FILE = "the file is empty; its first line must name the columns"
SEMICOLON_SEPARATED = (
    "columns are separated by semicolons; separate them by commas (semicolons separate items inside a cell)"
)
UNKNOWN_COLUMN = "unknown column; the columns are: " + ", ".join(COLUMNS)
REPEATED_COLUMN = "this column appears twice"
MISSING_COLUMN = "this required column is missing"
NUL_BYTES = "the file holds NUL bytes: it is UTF-16 or a spreadsheet (.xlsx), not CSV; save it as “CSV UTF-8”"
UNNAMED_COLUMN = "a value under a column with no name"
WRONG_CELL_COUNT = "this row has {found} cells, the header has {expected}"
REQUIRED = "required"
TOO_LONG = "longer than {limit} characters"
REPEATED_EXTERNAL_ID = "“{value}” is already on line {line}; each person appears once per file"
UNKNOWN_CHOICE = "unknown {what} “{value}”; use one of: {choices}"
NOT_YES_OR_NO = "“{value}” is neither yes nor no"
NOT_AN_ARTICLE = "“{value}” is not an article; write e.g. 293, 293.1 or ч. 1 ст. 293 (article 293, part 1), or 361-1"
UNKNOWN_ARTICLE = "article {value} is not among the legal articles; add it in the admin first"
NOT_A_TERM = "“{value}” is not a term; write e.g. 18y, 1y6m, 90d"
TERM_TOO_LONG = "“{value}” is longer than any sentence a court gives (at most {years} years)"
# Longer terms are typing errors; the limit keeps every term inside the database's columns.
MAX_TERM_YEARS = 150
RELEASE_WITHOUT_TYPE = "release_type is required with released_on"
RELEASE_WITHOUT_DATE = "released_on is required with release_type"
QUOTE_WITHOUT_SOURCE = "a quote needs a source_url or a source_title"
PUBLIC_WITHOUT_SOURCE = "a person is published only once cited: give a source_url or a source_title for this row"
NOT_A_URL = "“{value}” is not a web address (http:// or https://)"
SEVERAL_CASES = "this person is a defendant in several cases; add charges and sentences to the right one in the admin"
LINKED_PERSON_GONE = (
    "the person this row was linked to is no longer recorded (deleted or merged); upload the file again"
)
MAX_ROWS_SHOWN = 200


class CasesFileRejected(Exception):
    """The file has problems; nothing was imported. `plan.errors` names each one."""

    def __init__(self, plan: ImportPlan):
        self.plan = plan
        super().__init__(f"{len(plan.errors)} problem(s); nothing was imported")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def __str__(self):
        return f"line {self.line}, {self.column}: {self.reason}" if self.column else f"line {self.line}: {self.reason}"


@dataclass
class CaseRow:
    """One checked row: clean values, and the person it updates (None: a new person)."""

    line: int
    external_id: str
    name: str
    name_variants: tuple[str, ...] = ()
    birth_date: str = ""
    gender: str = ""
    region: str = ""
    status: str = ""
    detained_on: str = ""
    released_on: str = ""
    release_type: str = ""
    articles: tuple[str, ...] = ()
    sentence: Term | None = None
    public: bool | None = None
    private_notes: str = ""
    source_url: str = ""
    source_title: str = ""
    quote: str = ""
    person_id: int | None = None
    # The row adds to a person recorded apart from this file: linked by the editor in this
    # import (`link_chosen`), or in an earlier one (its identifier was added by a link).
    linked: bool = False
    link_chosen: bool = False

    @property
    def action(self) -> str:
        if self.link_chosen:
            return "link"
        return "update" if self.person_id else "create"

    @property
    def identifier(self) -> str:
        return IDENTIFIER_PREFIX + self.external_id


@dataclass
class ImportPlan:
    """What a file would do: its checked rows, every problem found, and after applying, the outcome."""

    rows: list[CaseRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False
    # Wall-clock time of the check and, once applied, of the writing.
    check_seconds: float = 0.0
    apply_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def to_create(self) -> int:
        return sum(1 for row in self.rows if row.action == "create")

    @property
    def to_update(self) -> int:
        return sum(1 for row in self.rows if row.action == "update")

    @property
    def to_link(self) -> int:
        return sum(1 for row in self.rows if row.action == "link")

    @property
    def seconds(self) -> float:
        return self.check_seconds + self.apply_seconds

    @property
    def rows_per_second(self) -> float:
        """Rows checked and (once applied) written per second, from the file to the end of its transaction."""
        return len(self.rows) / self.seconds if self.seconds else 0.0

    def errors_by_line(self) -> list[RowError]:
        def position(error: RowError) -> tuple[int, int]:
            return error.line, COLUMNS.index(error.column) if error.column in COLUMNS else -1

        return sorted(self.errors, key=position)


Progress = Callable[[str, int, int], None]


# --- Reading -------------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, set[int]]:
    """The text, and the numbers of the lines that are not UTF-8 (decoded with U+FFFD there)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), set()
    except UnicodeDecodeError:
        pass
    # No UTF-8 sequence contains a CR or LF byte, so cutting the bytes into lines is safe,
    # and bytes.splitlines() cuts where the csv reader's lines end (\n, \r\n or \r).
    bad = set()
    for number, line in enumerate(data.splitlines(), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.add(number)
    return data.decode("utf-8", errors="replace"), bad


def _records(text: str):
    """(first line, last line, cells, problem) for each CSV record; a quoted cell may span lines.

    A record the reader cannot make sense of comes with no cells and the reason; reading
    goes on at the next line, so every broken row is reported.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            unclosed = str(error) == "unexpected end of data"
            yield start, reader.line_num, None, UNCLOSED_QUOTE if unclosed else UNREADABLE_ROW.format(error=error)
            continue
        yield start, reader.line_num, cells, ""


# --- Checking ------------------------------------------------------------------------------------


class _Invalid(Exception):
    pass


@functools.lru_cache(maxsize=8192)
def _date_bounds(text: str) -> DateBounds:
    """edtf_bounds, with plain dates (2020, 2020-05, 2020-05-29) worked out directly.

    The EDTF parser takes milliseconds a date, too slow to check a 10,000-row file while
    an editor waits; seasons, qualifiers and intervals still go to it.
    """
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
    if match:
        year, month, day = (int(group) if group else None for group in match.groups())
        try:
            if day:
                day_itself = dt.date(year, month, day)
                return DateBounds(day_itself, day_itself)
            if month and month <= 12:
                first = dt.date(year, month, 1)
                return DateBounds(first, (first + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1))
            if not month:
                return DateBounds(dt.date(year, 1, 1), dt.date(year, 12, 31))
        except ValueError:
            pass  # 2021-02-30 and the like: the parser's own message says what is wrong.
    return edtf_bounds(text)


def _date(value: str) -> str:
    """The cell's date as EDTF, read as the admin's forms read typed dates ("12.05.2021", "мая 2020")."""
    if not value:
        return value
    try:
        return edtf_from_text(value)
    except ValidationError as error:
        raise _Invalid(" ".join(error.messages)) from None


def _choice(what: str, choices) -> Callable[[str], str]:
    allowed = {value for value, _label in choices}

    def clean(value: str) -> str:
        value = value.lower()
        if value and value not in allowed:
            raise _Invalid(UNKNOWN_CHOICE.format(what=what, value=value, choices=", ".join(sorted(allowed))))
        return value

    return clean


def _max_length(limit: int) -> Callable[[str], str]:
    def clean(value: str) -> str:
        if len(value) > limit:
            raise _Invalid(TOO_LONG.format(limit=limit))
        return value

    return clean


def _list(value: str) -> tuple[str, ...]:
    items = []
    for item in (part.strip() for part in value.split(LIST_SEPARATOR)):
        if item and item not in items:
            items.append(item)
    return tuple(items)


def _name_variants(value: str) -> tuple[str, ...]:
    variants = _list(value)
    limit = NameVariant._meta.get_field("text").max_length
    for variant in variants:
        if len(variant) > limit:
            raise _Invalid(f"“{variant[:40]}…”: " + TOO_LONG.format(limit=limit))
    return variants


def _articles(value: str) -> tuple[str, ...]:
    articles = _list(value)
    for article in articles:
        if article_reference(article) is None:
            raise _Invalid(NOT_AN_ARTICLE.format(value=article))
    return articles


def _sentence(value: str) -> Term | None:
    if not value:
        return None
    try:
        term = Term.from_code(value)
    except ValueError:
        raise _Invalid(NOT_A_TERM.format(value=value)) from None
    if not term:
        raise _Invalid(NOT_A_TERM.format(value=value))
    if term.years > MAX_TERM_YEARS or term.months > 12 * MAX_TERM_YEARS or term.days > 366 * MAX_TERM_YEARS:
        raise _Invalid(TERM_TOO_LONG.format(value=value, years=MAX_TERM_YEARS))
    return term


def _yes_no(value: str) -> bool | None:
    if not value:
        return None
    if value.lower() not in (YES, NO):
        raise _Invalid(NOT_YES_OR_NO.format(value=value))
    return value.lower() == YES


def _url(value: str) -> str:
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise _Invalid(NOT_A_URL.format(value=value)) from None
    return _max_length(Source._meta.get_field("url").max_length)(value)


CLEANERS: dict[str, Callable[[str], object]] = {
    "external_id": _max_length(ExternalIdentifier._meta.get_field("value").max_length - len(IDENTIFIER_PREFIX)),
    "name": _max_length(Person._meta.get_field("display_name").max_length),
    "name_variants": _name_variants,
    "birth_date": _date,
    "gender": _choice("gender", Gender.choices),
    "region": _choice("region", Region.choices),
    "status": _choice("status", Status.choices),
    "detained_on": _date,
    "released_on": _date,
    "release_type": _choice("release type", ReleaseType.choices),
    "articles": _articles,
    "sentence": _sentence,
    "public": _yes_no,
    "private_notes": str,
    "source_url": _url,
    "source_title": _max_length(Source._meta.get_field("title").max_length),
    "quote": _max_length(Citation._meta.get_field("quote").max_length),
}


def _article_key(text: str, article_numbers: set[str]) -> tuple[str, str]:
    """(article, part) of a checked cell item, read as the filter reads it ("293-1": see prisoners.articles)."""
    reference = article_reference(text).resolved(article_numbers)
    return reference.article, reference.part


class _Checker:
    """Checks a whole file; reads the database a fixed number of times, whatever its length."""

    def __init__(self, *, acting_user):
        self.acting_user = acting_user
        self.plan = ImportPlan()
        self.first_line_of: dict[str, int] = {}

    def error(self, line: int, column: str, reason: str) -> None:
        self.plan.errors.append(RowError(line, column, reason))

    def header(self, line: int, cells: list[str]) -> list[str] | None:
        names = [cell.strip().lower() for cell in cells]
        if len(names) == 1 and LIST_SEPARATOR in names[0]:
            self.error(line, "", SEMICOLON_SEPARATED)
            return None
        seen = set()
        for name in names:
            if name and name not in COLUMNS:
                self.error(line, name, UNKNOWN_COLUMN)
            elif name and name in seen:
                self.error(line, name, REPEATED_COLUMN)
            seen.add(name)
        for name in REQUIRED_COLUMNS:
            if name not in seen:
                self.error(line, name, MISSING_COLUMN)
        return None if self.plan.errors else names

    def row(self, start: int, cells: list[str], columns: list[str], garbled: bool) -> None:
        if len(cells) > len(columns) and not any(cell.strip() for cell in cells[len(columns) :]):
            cells = cells[: len(columns)]  # spreadsheets often end rows with empty cells
        if len(cells) != len(columns):
            self.error(start, "", WRONG_CELL_COUNT.format(found=len(cells), expected=len(columns)))
            return
        raw = {}
        for position, (column, cell) in enumerate(zip(columns, cells, strict=False), start=1):
            if not column:
                if cell.strip():
                    self.error(start, f"column {position}", UNNAMED_COLUMN)
                continue
            raw[column] = cell.strip()
        if garbled:
            # The replacement characters show which cells hold the undecodable bytes.
            bad = [column for column, cell in raw.items() if "\ufffd" in cell]
            for column in bad or [""]:
                self.error(start, column, NOT_UTF8)
            return
        errors_before = len(self.plan.errors)
        values = {}
        for column, cell in raw.items():
            try:
                values[column] = CLEANERS[column](cell)
            except _Invalid as invalid:
                self.error(start, column, str(invalid))
        for column in REQUIRED_COLUMNS:
            if not raw.get(column):
                self.error(start, column, REQUIRED)
        external_id = values.get("external_id", "")
        if external_id:
            if external_id in self.first_line_of:
                first = self.first_line_of[external_id]
                self.error(start, "external_id", REPEATED_EXTERNAL_ID.format(value=external_id, line=first))
            else:
                self.first_line_of[external_id] = start
        # Filled, not necessarily valid: a bad source_url is reported once, as itself.
        filled = {column for column, cell in raw.items() if cell}
        if "released_on" in filled and "release_type" not in filled:
            self.error(start, "release_type", RELEASE_WITHOUT_TYPE)
        if "release_type" in filled and "released_on" not in filled:
            self.error(start, "released_on", RELEASE_WITHOUT_DATE)
        if "quote" in filled and not filled & {"source_url", "source_title"}:
            self.error(start, "quote", QUOTE_WITHOUT_SOURCE)
        if len(self.plan.errors) == errors_before:
            self.plan.rows.append(CaseRow(line=start, **values))

    def against_database(self, links: dict[int, int]) -> None:
        """What the file alone cannot say: who is already imported, known articles, permissions; a batch a query."""
        self.known_articles = {
            (article, part)
            for article, part in LegalArticle.objects.filter(code=LegalCode.CRIMINAL).values_list("article", "part")
        }
        self.article_numbers = {article for article, _part in self.known_articles}
        valid = []
        for batch in _batches(self.plan.rows):
            valid += self._batch_against_database(batch, links)
        self.plan.rows = valid

    def _batch_against_database(self, rows: list[CaseRow], links: dict[int, int]) -> list[CaseRow]:
        identifiers = ExternalIdentifier.objects.filter(
            scheme=IDENTIFIER_SCHEME, value__in=[row.identifier for row in rows]
        )
        stored = list(identifiers.values_list("pk", "value", "person_id"))
        imported = {value: person_id for _pk, value, person_id in stored}
        # An identifier a link added (its history says so) keeps its rows linked on every later import.
        # (History is read by the record's id, the one column its table is indexed by.)
        linked_before = (
            set(
                ExternalIdentifier.history.filter(
                    id__in=[pk for pk, _value, _person_id in stored],
                    history_type="+",
                    history_change_reason=LINK_REASON,
                ).values_list("value", flat=True)
            )
            if stored
            else set()
        )
        wanted_links = {links[row.line] for row in rows if row.line in links and row.identifier not in imported}
        alive = set(Person.objects.alive().filter(pk__in=wanted_links).values_list("pk", flat=True))
        problems: dict[int, list[RowError]] = defaultdict(list)
        for row in rows:
            row.person_id = imported.get(row.identifier)
            row.linked = row.identifier in linked_before
            if row.person_id is None and row.line in links:
                if links[row.line] in alive:
                    row.person_id, row.linked, row.link_chosen = links[row.line], True, True
                else:
                    problems[row.line].append(RowError(row.line, "name", LINKED_PERSON_GONE))

        known = {row.person_id for row in rows if row.person_id}
        cases = dict(
            Defendant.objects.filter(person_id__in=known)
            .values("person_id")
            .annotate(n=Count("pk"))
            .values_list("person_id", "n")
        )
        published = set(Person.objects.filter(pk__in=known).public().values_list("pk", flat=True))
        may_publish = self.acting_user.has_perm("prisoners.publish_person")
        # A linked row never changes what is public: the person's publication is decided in the admin.
        publishing = [row for row in rows if row.public is not None and not row.linked]
        needs_citation = {
            row.person_id
            for row in publishing
            if row.public and row.person_id not in published and not (row.source_url or row.source_title)
        }
        cited = people_cited(needs_citation - {None}) if needs_citation - {None} else set()
        valid = []
        for row in rows:
            found = problems[row.line]
            found += [
                RowError(row.line, "articles", UNKNOWN_ARTICLE.format(value=article))
                for article in row.articles
                if _article_key(article, self.article_numbers) not in self.known_articles
            ]
            if (row.articles or row.sentence) and cases.get(row.person_id, 0) > 1:
                found.append(RowError(row.line, "articles" if row.articles else "sentence", SEVERAL_CASES))
            changes_publication = (
                row.public is not None and not row.linked and (row.public != (row.person_id in published))
            )
            if changes_publication and not may_publish:
                found.append(RowError(row.line, "public", NOT_ALLOWED_TO_PUBLISH))
            elif (
                changes_publication
                and row.public
                and not (row.source_url or row.source_title)
                and (row.person_id is None or row.person_id not in cited)
            ):
                found.append(RowError(row.line, "public", PUBLIC_WITHOUT_SOURCE))
            self.plan.errors.extend(found)
            if not found:
                valid.append(row)
        return valid


def _batches(rows: list, size: int | None = None):
    size = size or BATCH_ROWS  # read at call time, so a test can make batches small
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def cases_file_check(
    *, acting_user, data: bytes, progress: Progress | None = None, links: dict[int, int] | None = None
) -> ImportPlan:
    """Every problem in the file, by line and column, and what each good row would do. Writes nothing.

    `links` ({line: person pk}) makes those new rows add to a person already recorded.
    """
    started = time.perf_counter()
    checker = _Checker(acting_user=acting_user)
    plan = _checked(checker, data, progress, links or {})
    plan.check_seconds = time.perf_counter() - started
    return plan


def _checked(checker: _Checker, data: bytes, progress: Progress | None, links: dict[int, int]) -> ImportPlan:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        checker.error(1, "", UTF16)
        return checker.plan
    if b"\x00" in data:
        checker.error(data[: data.index(b"\x00")].count(b"\n") + 1, "", NUL_BYTES)
        return checker.plan
    text, bad_lines = _decode(data)
    total = max(len(text.splitlines()) - 1, 0)
    columns = None
    for start, end, cells, problem in _records(text):
        if problem:
            checker.error(start, "", problem)
            continue
        if not cells:
            continue  # a blank line
        garbled = any(number in bad_lines for number in range(start, end + 1))
        if columns is None:
            if garbled:
                checker.error(start, "", NOT_UTF8)
                return checker.plan
            columns = checker.header(start, cells)
            if columns is None:
                return checker.plan
            continue
        checker.row(start, cells, columns, garbled)
        if progress:
            progress("check", min(end - 1, total), total)
    if columns is None and not checker.plan.errors:
        checker.error(1, "", EMPTY_FILE)
    checker.against_database(links)
    if progress:
        progress("check", total, total)
    return checker.plan


# --- Applying ------------------------------------------------------------------------------------


def _untitled_case() -> Case:
    """A new case for an imported person with none, untitled."""
    # Never titled after the person: the title would show on co-defendants' pages.
    return Case()


class _Applier:
    """Applies checked rows through the write path, a batch at a time, as the user who started the import.

    New records go through services.records_bulk_create() (the permission, visibility and review
    rules of record_save(), checked once per model and batch); a change to a record already
    stored (a renamed person, another release type or term) through record_save() itself. Each
    batch's people have their derived status refreshed together when the batch is written.
    """

    def __init__(self, *, acting_user):
        self.acting_user = acting_user
        self.articles = {
            (article.article, article.part): article for article in LegalArticle.objects.filter(code=LegalCode.CRIMINAL)
        }
        self.article_numbers = {number for number, _part in self.articles}
        # Found or created once per import: a source cited on many rows is one source.
        self.sources: dict[tuple[str, str], Source] = {}

    def save(self, obj):
        return record_save(acting_user=self.acting_user, obj=obj, reason=CHANGE_REASON)

    def create(self, objects: list, reason: str = CHANGE_REASON) -> None:
        if objects:
            records_bulk_create(acting_user=self.acting_user, objects=objects, reason=reason)

    def defendant(self, person: Person) -> Defendant:
        """The person's role in their one case, or in a new untitled one, saved one record at a time."""
        role = person.defendant_roles.first()
        if role:
            return role
        return self.save(Defendant(person=person, case=self.save(_untitled_case())))

    def __call__(self, rows: list[CaseRow]) -> None:
        batch = _Batch(self, rows)
        with status_refresh_batched(acting_user=self.acting_user):
            batch.write()
        # After the refresh: the history rows of publishing hold each person's derived status.
        batch.publication()


class _Batch:
    """One batch of rows: what is recorded about its people already, read in a fixed number of queries, then written."""

    def __init__(self, applier: _Applier, rows: list[CaseRow]):
        self.applier = applier
        self.rows = rows
        self.people: dict[int, Person] = {}  # by line
        self.stored: dict[int, Person] = {}
        self.names: dict[int, set[str]] = defaultdict(set)
        self.events: set[tuple[int, str, str]] = set()
        self.releases: dict[tuple[int, str], Release] = {}
        # The person's one case (the check refused rows with articles for people in several).
        self.roles: dict[int, Defendant] = {}
        self.charges: set[tuple[int, int]] = set()
        self.sentences: dict[int, Sentence] = {}
        self.cited: set[tuple[int, int, str]] = set()
        known = {row.person_id for row in rows if row.person_id}
        if known:
            self.recorded(known)

    def recorded(self, known: set[int]) -> None:
        """What the batch's people already have, for the rows not to add it twice: a query a kind of fact."""
        self.stored = Person.objects.in_bulk(known)
        for person_id, text in NameVariant.objects.filter(person_id__in=known).values_list("person_id", "text"):
            self.names[person_id].add(text)
        self.events = set(StatusEvent.objects.filter(person_id__in=known).values_list("person_id", "status", "date"))
        for release in Release.objects.filter(person_id__in=known).order_by("pk"):
            self.releases.setdefault((release.person_id, release.date), release)
        for role in Defendant.objects.filter(person_id__in=known):
            self.roles.setdefault(role.person_id, role)
        self.charges = set(
            Charge.objects.filter(defendant__person_id__in=known).values_list("defendant_id", "article_id")
        )
        originals = Sentence.objects.filter(defendant__person_id__in=known, kind=SentenceKind.ORIGINAL, date="")
        for sentence in originals.order_by("pk"):
            self.sentences.setdefault(sentence.defendant_id, sentence)
        person_type = ContentType.objects.get_for_model(Person)
        self.cited = set(
            Citation.objects.filter(content_type=person_type, object_id__in=known, field_name="").values_list(
                "object_id", "source_id", "quote"
            )
        )

    def write(self) -> None:
        self.write_people()
        self.write_identifiers()
        self.write_names()
        self.write_facts()
        self.write_citations()

    def write_people(self) -> None:
        new, changed = [], {}
        for row in self.rows:
            if row.person_id:
                person = self.stored[row.person_id]
                for name, value in self.wanted(row, person).items():
                    setattr(person, name, value)
                    changed[person.pk] = person
            else:
                person = Person(
                    display_name=row.name,
                    birth_date=row.birth_date,
                    gender=row.gender,
                    region=row.region,
                    private_notes=row.private_notes,
                )
                new.append(person)
            self.people[row.line] = person
        for person in changed.values():
            self.applier.save(person)
        self.applier.create(new)

    @staticmethod
    def wanted(row: CaseRow, person: Person) -> dict[str, str]:
        """The person's fields the row changes: an empty cell leaves a value as it is (a file never erases).

        A linked row is a second record of someone already recorded, now and on every later
        import: it fills what the record lacks, adds its notes, and keeps the person's name (the
        row's name becomes a name variant).
        """
        if row.linked:
            wanted = {
                name: value
                for name, value in (("birth_date", row.birth_date), ("gender", row.gender), ("region", row.region))
                if value and not getattr(person, name)
            }
            if row.private_notes and row.private_notes not in person.private_notes:
                wanted["private_notes"] = "\n\n".join(filter(None, [person.private_notes, row.private_notes]))
            return wanted
        wanted = {
            "display_name": row.name,
            "birth_date": row.birth_date,
            "gender": row.gender,
            "region": row.region,
            "private_notes": row.private_notes,
        }
        return {name: value for name, value in wanted.items() if value and getattr(person, name) != value}

    def write_identifiers(self) -> None:
        def identifier(row):
            return ExternalIdentifier(person=self.people[row.line], scheme=IDENTIFIER_SCHEME, value=row.identifier)

        self.applier.create([identifier(row) for row in self.rows if row.action == "create"])
        self.applier.create([identifier(row) for row in self.rows if row.link_chosen], reason=LINK_REASON)

    def write_names(self) -> None:
        given, synced = [], []
        for row in self.rows:
            person = self.people[row.line]
            existing = self.names[person.pk]
            for text in (*row.name_variants, row.name) if row.linked else row.name_variants:
                if text not in existing:
                    given.append(NameVariant(person=person, text=text))
                    existing.add(text)
            synced += person_names_missing(person=person, existing=existing)
        self.applier.create(given)
        self.applier.create(synced, reason=NAME_SYNC_REASON)

    def event(self, person: Person, status: str, date: str, new: list) -> None:
        if (person.pk, status, date) not in self.events:
            self.events.add((person.pk, status, date))
            new.append(StatusEvent(person=person, status=status, date=date))

    def write_facts(self) -> None:
        # Facts are added, never changed or removed: a different date is another event
        # (people are detained more than once); wrong ones are corrected in the admin.
        events, releases, cases, roles = [], [], [], []
        for row in self.rows:
            person = self.people[row.line]
            if row.detained_on:
                self.event(person, Status.DETAINED, row.detained_on, events)
            implied = {Status.DETAINED: bool(row.detained_on)}
            if row.released_on:
                release = self.releases.get((person.pk, row.released_on))
                if release is None:
                    release = Release(person=person, date=row.released_on, release_type=row.release_type)
                    self.releases[(person.pk, row.released_on)] = release
                    releases.append(release)
                elif release.release_type != row.release_type:
                    release.release_type = row.release_type
                    if release.pk:
                        self.applier.save(release)
                implied[Status.RELEASED] = row.release_type != ReleaseType.DIED
                implied[Status.DIED_IN_CUSTODY] = row.release_type == ReleaseType.DIED
            if row.status and not implied.get(row.status):
                # The file does not date the status; it holds from the detention on, if that is known.
                since = _date_bounds(row.detained_on).earliest if row.detained_on else None
                self.event(person, row.status, f"{since.isoformat()}/.." if since else "", events)
            if (row.articles or row.sentence) and person.pk not in self.roles:
                case = _untitled_case()
                self.roles[person.pk] = Defendant(person=person, case=case)
                cases.append(case)
                roles.append(self.roles[person.pk])
        self.applier.create([*events, *releases])
        self.applier.create(cases)
        self.applier.create(roles)
        self.write_charges_and_sentences()

    def write_charges_and_sentences(self) -> None:
        charges, sentences = [], []
        for row in self.rows:
            if not (row.articles or row.sentence):
                continue
            role = self.roles[self.people[row.line].pk]
            for text in row.articles:
                article = self.applier.articles[_article_key(text, self.applier.article_numbers)]
                if (role.pk, article.pk) not in self.charges:
                    self.charges.add((role.pk, article.pk))
                    charges.append(Charge(defendant=role, article=article))
            if row.sentence:
                # The file's sentence is the undated original one; another import's term replaces it.
                term = {"term_years": row.sentence.years, "term_months": row.sentence.months}
                term["term_days"] = row.sentence.days
                sentence = self.sentences.get(role.pk)
                if sentence is None:
                    sentence = Sentence(defendant=role, kind=SentenceKind.ORIGINAL, date="", **term)
                    self.sentences[role.pk] = sentence
                    sentences.append(sentence)
                elif any(getattr(sentence, name) != value for name, value in term.items()):
                    for name, value in term.items():
                        setattr(sentence, name, value)
                    if sentence.pk:
                        self.applier.save(sentence)
        self.applier.create([*charges, *sentences])

    def sources(self) -> dict[tuple[str, str], Source]:
        """Each row's source, found by its address (or, without one, its title) or created."""
        found = self.applier.sources
        wanted = {_source_key(row) for row in self.rows if row.source_url or row.source_title} - set(found)
        urls = {url for url, _title in wanted if url}
        titles = {title for url, title in wanted if not url}
        for source in Source.objects.filter(url__in=urls).order_by("pk") if urls else ():
            found.setdefault((source.url, ""), source)
        for source in Source.objects.filter(title__in=titles).order_by("pk") if titles else ():
            found.setdefault(("", source.title), source)
        new = {}
        for row in self.rows:
            key = _source_key(row)
            if (row.source_url or row.source_title) and key not in found and key not in new:
                new[key] = Source(url=row.source_url, title=row.source_title or row.source_url)
        self.applier.create(list(new.values()))
        found.update(new)
        return found

    def write_citations(self) -> None:
        sources = self.sources()
        citations = []
        for row in self.rows:
            if not (row.source_url or row.source_title):
                continue
            person, source, quote = self.people[row.line], sources[_source_key(row)], row.quote.strip()
            # As citation_add(): citing the same passage twice keeps the one citation.
            if (person.pk, source.pk, quote) not in self.cited:
                self.cited.add((person.pk, source.pk, quote))
                citations.append(Citation(content_object=person, source=source, quote=quote))
        self.applier.create(citations, reason=CITE_REASON)

    def publication(self) -> None:
        # A linked row leaves the person's publication as it is (the check refused nothing for it).
        publish = {self.people[row.line].pk for row in self.rows if row.public and not row.linked}
        withdraw = {self.people[row.line].pk for row in self.rows if row.public is False and not row.linked}
        if not (publish or withdraw):
            return
        # Read again: the refresh changed their derived fields, which the history rows record.
        fresh = Person.objects.in_bulk(publish | withdraw)
        to_publish = [fresh[pk] for pk in sorted(publish) if not fresh[pk].is_public()]
        if to_publish:
            people_publish(acting_user=self.applier.acting_user, people=to_publish)
        for pk in sorted(withdraw):
            if fresh[pk].is_public():
                person_withdraw(acting_user=self.applier.acting_user, person=fresh[pk])


def _source_key(row: CaseRow) -> tuple[str, str]:
    return row.source_url, "" if row.source_url else row.source_title


def rows_likely_recorded(rows: list[CaseRow]) -> list[tuple[CaseRow, list[LikelyDuplicate]]]:
    """The rows that would create a person already recorded under a close name, with those people.

    For the preview: "Sergey Tikhanovsky" on a new row may be Siarhei Tsikhanouski. The names of
    BATCH_ROWS rows are looked up together (services.names_likely_duplicates_many), so a
    10,000-row file costs ten candidate queries, not one name search per row.
    """
    new = [row for row in rows if row.action == "create"]
    found: dict[int, list[LikelyDuplicate]] = {}
    for batch in _batches(new):
        found.update(names_likely_duplicates_many(names={row.line: [row.name, *row.name_variants] for row in batch}))
    return [(row, found[row.line]) for row in new if found.get(row.line)]


def cases_file_import(
    *,
    acting_user,
    data: bytes,
    dry_run: bool = False,
    progress: Progress | None = None,
    links: dict[int, int] | None = None,
) -> ImportPlan:
    """Check the file, then create or update every person in it in one transaction, or raise CasesFileRejected.

    `acting_user` (roles.SYSTEM for the command line) must be allowed to publish if rows change what is public.
    `links` ({line: person pk}) adds those new rows to people already recorded. The plan returned
    says how long checking and writing took (`plan.rows_per_second`).
    """
    with transaction.atomic(), fewer_collections():
        plan = cases_file_check(acting_user=acting_user, data=data, progress=progress, links=links)
        if not plan.ok:
            raise CasesFileRejected(plan)
        if dry_run:
            return plan
        started = time.perf_counter()
        apply = _Applier(acting_user=acting_user)
        done, total = 0, len(plan.rows)
        for batch in _batches(plan.rows):
            apply(batch)
            done += len(batch)
            if progress:
                progress("import", done, total)
        plan.applied = True
    plan.apply_seconds = time.perf_counter() - started
    return plan


# --- Jobs: an admin upload applied by a worker, with progress the page polls ----------------------
#
def _job_storage():
    """Where uploads wait: default_storage, on a filesystem readable by this user alone.

    An upload may hold private notes and family contacts; unlike photos (FILE_UPLOAD_PERMISSIONS)
    it is never meant for a web server or anyone else on the machine, whatever the umask.
    """
    if isinstance(default_storage, FileSystemStorage):
        return FileSystemStorage(
            location=default_storage.location,
            base_url=default_storage.base_url,
            file_permissions_mode=0o600,
            directory_permissions_mode=0o700,
        )
    return default_storage


# The job is an ImportJob row (prisoners.import_jobs) and the upload a file in default_storage,
# so web nodes and workers need no shared disk (S3-compatible storage works as well). While a
# worker applies the file, its progress is in the cache: the import runs in one transaction,
# and progress written to the database inside it would stay invisible to the page until the end.

JOBS_DIR = "imports"
JOB_ID = re.compile(r"[0-9a-f]{32}")
MAX_ERRORS_KEPT = 1000
# An upload checked but never confirmed is deleted after this long: it may hold private notes.
UNCONFIRMED_UPLOAD_LIFETIME = dt.timedelta(days=1)
UPLOAD_EXPIRED = "The file was checked but not imported within a day, so it was deleted; upload it again."
UPLOADER_GONE = "The account that uploaded the file is no longer active; nothing was imported."
IMPORT_STOPPED = "The import stopped ({error}); nothing was imported."
PROGRESS_LIFETIME = 24 * 60 * 60  # seconds; a worker that dies leaves nothing behind for long
PROGRESS_EVERY = 0.5  # seconds between progress writes
FINISHED = (JobState.DONE, JobState.FAILED)
# The record's fields the pages and the status feed read; empty ones are left out.
STATUS_KEYS = (
    "state",
    "stage",
    "file_name",
    "total",
    "done",
    "to_create",
    "to_update",
    "created",
    "updated",
    "linked",
    "errors",
    "error_count",
    "message",
    "flagged",
    "links",
)


def _job_name(job_id: str, suffix: str) -> str:
    if not JOB_ID.fullmatch(job_id):
        raise ValueError(f"not an import job id: {job_id!r}")
    return f"{JOBS_DIR}/{job_id}.{suffix}"


def _progress_key(job_id: str) -> str:
    return f"import-progress:{job_id}"


def _status(job: ImportJob) -> dict:
    status = {key: getattr(job, key) for key in STATUS_KEYS}
    status = {key: str(value) if key == "state" else value for key, value in status.items() if value not in (None, "")}
    status["user_id"] = job.user_id
    if job.state == JobState.RUNNING:
        status.update(cache.get(_progress_key(job.pk.hex)) or {})
    return status


def import_job_status(job_id: str) -> dict | None:
    """The job's record (with its progress while a worker applies it), or None if there is no such job."""
    _job_name(job_id, "csv")  # refuses what is not a job id
    job = ImportJob.objects.filter(pk=job_id).first()
    return _status(job) if job else None


def _job_write(job_id: str, **changes) -> dict:
    """Change the job's record; returns it."""
    ImportJob.objects.filter(pk=job_id).update(**changes, updated_at=timezone.now())
    return import_job_status(job_id) or {}


def _upload_delete(job: ImportJob) -> None:
    if job.upload:
        _job_storage().delete(job.upload)
        ImportJob.objects.filter(pk=job.pk).update(upload="")


def _purge_unconfirmed_uploads() -> None:
    cutoff = timezone.now() - UNCONFIRMED_UPLOAD_LIFETIME
    for job in ImportJob.objects.filter(state=JobState.CHECKED, created_at__lt=cutoff):
        _upload_delete(job)
        _job_write(job.pk.hex, state=JobState.FAILED, message=UPLOAD_EXPIRED)
    # A file whose job never committed (the request failed after storing it) has no row to expire with.
    try:
        names = _job_storage().listdir(JOBS_DIR)[1]
    except FileNotFoundError:
        return
    stems = {name.partition(".")[0]: name for name in names if JOB_ID.fullmatch(name.partition(".")[0])}
    recorded = {job_id.hex for job_id in ImportJob.objects.filter(pk__in=list(stems)).values_list("pk", flat=True)}
    for stem, name in stems.items():
        path = f"{JOBS_DIR}/{name}"
        if stem not in recorded and _job_storage().get_modified_time(path) < cutoff:
            _job_storage().delete(path)


def import_job_create(*, data: bytes, file_name: str, user, plan: ImportPlan, flagged: list | None = None) -> str:
    """Keep a checked upload until the editor confirms it; returns the job id.

    `flagged` is what the preview offered for rows that may be people already recorded
    (flagged_rows()); the editor's choices for them are given to import_job_start().
    """
    _purge_unconfirmed_uploads()
    job = ImportJob(
        user=user,
        file_name=file_name[:255],
        total=len(plan.rows),
        to_create=plan.to_create,
        to_update=plan.to_update,
        flagged=flagged or [],
    )
    job.upload = _job_storage().save(_job_name(job.pk.hex, "csv"), ContentFile(data))
    job.save()
    return job.pk.hex


def flagged_rows(plan: ImportPlan) -> list[dict]:
    """The preview's offers, as a job keeps them: each new row that may be someone recorded, with those people."""
    return [
        {
            "line": row.line,
            "name": row.name,
            "people": [[duplicate.person.pk, duplicate.person.display_name] for duplicate in duplicates],
        }
        for row, duplicates in rows_likely_recorded(plan.rows)
    ]


def import_job_start(*, job_id: str, links: dict[int, int] | None = None) -> dict:
    """Queue the import of a checked upload once the current transaction commits.

    `links` ({line: person pk}) are the editor's choices for flagged rows; a pk not offered for
    that line is refused.
    """
    from outbox.services import outbox_enqueue

    job = ImportJob.objects.get(pk=job_id)
    offered = {row["line"]: {pk for pk, _name in row["people"]} for row in job.flagged}
    links = links or {}
    if any(pk not in offered.get(line, ()) for line, pk in links.items()):
        raise ValueError("a row can only be linked to a person the preview offered for it")
    status = _job_write(job_id, state=JobState.QUEUED, links={str(line): pk for line, pk in links.items()})
    outbox_enqueue(cases_import_task.name, job_id)
    return status


def _locked(job_id: str) -> ImportJob | None:
    """The job's row, locked until the current transaction ends; None while another run holds it."""
    try:
        with transaction.atomic():
            return ImportJob.objects.select_for_update(nowait=True).get(pk=job_id)
    except DatabaseError:
        return None


def import_job_run(*, job_id: str) -> dict:
    """Apply a job's file, keeping its progress current; the file is deleted once it is done with.

    One run at a time: the task delivered again while a worker still applies the file (a
    broker's redelivery, a second flush) finds the job's row locked and returns at once; a
    killed worker's lock ends with its connection, and the next delivery applies the file.
    """
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.state in FINISHED:
        return _status(job) if job else {}
    # Never None: the command line's "anyone may publish" must not reach an upload whose author is gone.
    user = get_user_model().objects.filter(pk=job.user_id, is_active=True).first()
    if user is None:
        _upload_delete(job)
        return _job_write(job_id, state=JobState.FAILED, message=UPLOADER_GONE)
    with transaction.atomic():
        claimed = _locked(job_id)
        if claimed is None or claimed.state in FINISHED:
            return _status(claimed or job)
        claimed.state, claimed.stage, claimed.done = JobState.RUNNING, "check", 0
        claimed.save(update_fields=["state", "stage", "done", "updated_at"])
    try:
        with transaction.atomic():
            job = _locked(job_id)
            if job is None or job.state in FINISHED or not job.upload:
                return import_job_status(job_id) or {}
            try:
                with _job_storage().open(job.upload, "rb") as upload:
                    data = upload.read()
            except FileNotFoundError:
                return _status(job)  # another run finished the job, and deleted the file, meanwhile
            links = {int(line): pk for line, pk in job.links.items()}
            _run(job, user, data, links)
    except Exception as error:
        # One transaction: nothing was imported. The editor can upload the file again.
        _upload_delete(job)
        _job_write(job_id, state=JobState.FAILED, message=IMPORT_STOPPED.format(error=error))
        raise
    finally:
        cache.delete(_progress_key(job_id))
    _upload_delete(job)
    return import_job_status(job_id) or {}


def _run(job: ImportJob, user, data: bytes, links: dict[int, int]) -> None:
    """Import the job's file and record the outcome on its (locked) row, in the import's transaction."""
    last_written = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last_written[0] >= PROGRESS_EVERY:
            last_written[0] = now
            progress_now = {"state": JobState.RUNNING.value, "stage": stage, "done": done, "total": total}
            cache.set(_progress_key(job.pk.hex), progress_now, PROGRESS_LIFETIME)

    try:
        plan = cases_file_import(acting_user=user, data=data, progress=progress, links=links)
    except CasesFileRejected as rejected:
        errors = [[e.line, e.column, e.reason] for e in rejected.plan.errors_by_line()]
        job.state, job.errors, job.error_count = JobState.FAILED, errors[:MAX_ERRORS_KEPT], len(errors)
        job.message = str(rejected)
        job.save(update_fields=["state", "errors", "error_count", "message", "updated_at"])
        return
    job.state, job.stage, job.done, job.total = JobState.DONE, "import", len(plan.rows), len(plan.rows)
    job.created, job.updated, job.linked = plan.to_create, plan.to_update, plan.to_link
    job.save(update_fields=["state", "stage", "done", "total", "created", "updated", "linked", "updated_at"])


# acks_late: a worker lost mid-import rolled its transaction back, and the job, still "running",
# is simply run again by the next worker.
@shared_task(name="prisoners.cases_import", acks_late=True)
def cases_import_task(job_id: str) -> str:
    """Apply an admin upload. Safe to run again: a failed run imported nothing, a finished one is skipped."""
    return import_job_run(job_id=job_id).get("state", "")
