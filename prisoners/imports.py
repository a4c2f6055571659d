"""Import people and their cases from a CSV file: check every row, then apply all rows or none.

The format is documented in docs/import-format.md. The steps:

1. decode: UTF-8 only (a byte-order mark is accepted); any other encoding is reported line
   by line, never guessed;
2. check: every cell of every row, against the file itself (repeated external_ids) and the
   database (legal articles, who is already imported, who may publish); every problem is
   kept as (line, column, reason);
3. apply: only if no row has a problem, all rows in one transaction.

A row's external_id is stored as ExternalIdentifier(scheme="import", value="import:<external_id>"), never public.
The prefix keeps ids from import files apart from ids a researcher typed in for another
tracker under "other": a clash there would make a re-import overwrite the wrong person.
Importing a file again finds each person by that identifier and updates them.

The admin imports through a job (an uploaded file and a progress record in private storage,
see "Jobs" below) that a Celery task applies; the import_cases command calls the service
directly.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import fcntl
import functools
import io
import json
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from casetracker.dates import DateBounds, edtf_bounds, edtf_from_text
from sources.models import Citation, Source
from sources.services import citation_add

from .articles import article_reference
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
    names_likely_duplicates,
    person_is_cited,
    person_names_sync,
    person_publish,
    person_withdraw,
    record_save,
)

IDENTIFIER_SCHEME = IdentifierScheme.IMPORT
IDENTIFIER_PREFIX = "import:"
LIST_SEPARATOR = ";"
CHANGE_REASON = "CSV import"

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

    @property
    def action(self) -> str:
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

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def to_create(self) -> int:
        return sum(1 for row in self.rows if row.action == "create")

    @property
    def to_update(self) -> int:
        return sum(1 for row in self.rows if row.action == "update")

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

    def against_database(self) -> None:
        """What the file alone cannot say: who is already imported, known articles, permissions."""
        rows = self.plan.rows
        identifiers = ExternalIdentifier.objects.filter(scheme=IDENTIFIER_SCHEME, value__startswith=IDENTIFIER_PREFIX)
        imported = dict(identifiers.values_list("value", "person_id"))
        for row in rows:
            row.person_id = imported.get(row.identifier)

        known = {
            (article, part)
            for article, part in LegalArticle.objects.filter(code=LegalCode.CRIMINAL).values_list("article", "part")
        }
        article_numbers = {article for article, _part in known}
        updated = {row.person_id for row in rows if row.person_id}
        cases = dict(
            Defendant.objects.filter(person_id__in=updated)
            .values("person_id")
            .annotate(n=Count("pk"))
            .values_list("person_id", "n")
        )
        published = set(Person.objects.filter(pk__in=updated).public().values_list("pk", flat=True))
        may_publish = self.acting_user.has_perm("prisoners.publish_person")
        valid = []
        for row in rows:
            problems = [
                RowError(row.line, "articles", UNKNOWN_ARTICLE.format(value=article))
                for article in row.articles
                if _article_key(article, article_numbers) not in known
            ]
            if (row.articles or row.sentence) and cases.get(row.person_id, 0) > 1:
                problems.append(RowError(row.line, "articles" if row.articles else "sentence", SEVERAL_CASES))
            changes_publication = row.public is not None and (row.public != (row.person_id in published))
            if changes_publication and not may_publish:
                problems.append(RowError(row.line, "public", NOT_ALLOWED_TO_PUBLISH))
            elif changes_publication and row.public and not (row.source_url or row.source_title):
                known = Person.objects.filter(pk=row.person_id).first() if row.person_id else None
                if known is None or not person_is_cited(known):
                    problems.append(RowError(row.line, "public", PUBLIC_WITHOUT_SOURCE))
            self.plan.errors.extend(problems)
            if not problems:
                valid.append(row)
        self.plan.rows = valid


def cases_file_check(*, acting_user, data: bytes, progress: Progress | None = None) -> ImportPlan:
    """Every problem in the file, by line and column, and what each good row would do. Writes nothing."""
    checker = _Checker(acting_user=acting_user)
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
    checker.against_database()
    if progress:
        progress("check", total, total)
    return checker.plan


# --- Applying ------------------------------------------------------------------------------------


class _Applier:
    """Applies checked rows through the one write path, as the user who started the import."""

    def __init__(self, *, acting_user):
        self.acting_user = acting_user
        self.articles = {
            (article.article, article.part): article for article in LegalArticle.objects.filter(code=LegalCode.CRIMINAL)
        }
        self.sources: dict[tuple[str, str], Source] = {}

    def save(self, obj):
        return record_save(acting_user=self.acting_user, obj=obj, reason=CHANGE_REASON)

    def get_or_save(self, model, defaults: dict | None = None, **lookup):
        """The row matching `lookup`, or a new one saved through the services; and whether it is new."""
        found = model.objects.filter(**lookup).order_by("pk").first()
        if found is not None:
            return found, False
        return self.save(model(**lookup, **(defaults or {}))), True

    def person(self, row: CaseRow) -> Person:
        person = Person.objects.get(pk=row.person_id) if row.person_id else Person(display_name=row.name)
        # An empty cell leaves a value as it is: a file never erases what researchers entered.
        wanted = {
            "display_name": row.name,
            "birth_date": row.birth_date,
            "gender": row.gender,
            "region": row.region,
            "private_notes": row.private_notes,
        }
        changed = [name for name, value in wanted.items() if value and getattr(person, name) != value]
        if person.pk is None or changed:
            for name in changed:
                setattr(person, name, wanted[name])
            self.save(person)
        if not row.person_id:
            self.save(ExternalIdentifier(person=person, scheme=IDENTIFIER_SCHEME, value=row.identifier))
        return person

    def names(self, person: Person, row: CaseRow) -> None:
        existing = set(person.name_variants.values_list("text", flat=True))
        for text in row.name_variants:
            if text not in existing:
                self.save(NameVariant(person=person, text=text))
        person_names_sync(acting_user=self.acting_user, person=person)

    def facts(self, person: Person, row: CaseRow) -> None:
        # Facts are added, never changed or removed: a different date is another event
        # (people are detained more than once); wrong ones are corrected in the admin.
        if row.detained_on:
            self.get_or_save(StatusEvent, person=person, status=Status.DETAINED, date=row.detained_on)
        implied = {Status.DETAINED: bool(row.detained_on)}
        if row.released_on:
            release, created = self.get_or_save(
                Release, person=person, date=row.released_on, defaults={"release_type": row.release_type}
            )
            if not created and release.release_type != row.release_type:
                release.release_type = row.release_type
                self.save(release)
            implied[Status.RELEASED] = row.release_type != ReleaseType.DIED
            implied[Status.DIED_IN_CUSTODY] = row.release_type == ReleaseType.DIED
        if row.status and not implied.get(row.status):
            # The file does not date the status; it holds from the detention on, if that is known.
            since = _date_bounds(row.detained_on).earliest if row.detained_on else None
            date = f"{since.isoformat()}/.." if since else ""
            self.get_or_save(StatusEvent, person=person, status=row.status, date=date)
        if row.articles or row.sentence:
            defendant = self.defendant(person)
            numbers = {number for number, _part in self.articles}
            for article in row.articles:
                self.get_or_save(Charge, defendant=defendant, article=self.articles[_article_key(article, numbers)])
            if row.sentence:
                self.sentence(defendant, row.sentence)

    def defendant(self, person: Person) -> Defendant:
        """The person's role in their one case, or in a new untitled one (several cases were refused by the check).

        Never titled after the person: the title would show on co-defendants' pages.
        """
        role = person.defendant_roles.first()
        if role:
            return role
        return self.save(Defendant(person=person, case=self.save(Case())))

    def sentence(self, defendant: Defendant, term: Term) -> None:
        # The file's sentence is the undated original one; another import's term replaces it.
        sentence = defendant.sentences.filter(kind=SentenceKind.ORIGINAL, date="").order_by("pk").first()
        values = {"term_years": term.years, "term_months": term.months, "term_days": term.days}
        if sentence is None:
            self.save(Sentence(defendant=defendant, kind=SentenceKind.ORIGINAL, date="", **values))
        elif any(getattr(sentence, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(sentence, name, value)
            self.save(sentence)

    def source(self, row: CaseRow) -> Source | None:
        if not (row.source_url or row.source_title):
            return None
        key = (row.source_url, "" if row.source_url else row.source_title)
        if key not in self.sources:
            same = {"url": row.source_url} if row.source_url else {"title": row.source_title}
            found = Source.objects.filter(**same).order_by("pk").first()
            title = row.source_title or row.source_url
            self.sources[key] = found or self.save(Source(url=row.source_url, title=title))
        return self.sources[key]

    def publication(self, person: Person, row: CaseRow) -> None:
        if row.public and not person.is_public():
            person_publish(acting_user=self.acting_user, person=person)
        elif row.public is False and person.is_public():
            person_withdraw(acting_user=self.acting_user, person=person)

    def __call__(self, row: CaseRow) -> Person:
        person = self.person(row)
        self.names(person, row)
        self.facts(person, row)
        source = self.source(row)
        if source is not None:
            citation_add(acting_user=self.acting_user, fact=person, source=source, quote=row.quote)
        self.publication(person, row)
        person.refresh_from_db()
        return person


def rows_likely_recorded(rows: list[CaseRow]) -> list[tuple[CaseRow, list]]:
    """The rows that would create a person already recorded under a close name, with those people.

    For the preview: "Sergey Tikhanovsky" on a new row may be Siarhei Tsikhanouski. Callers pass
    the rows they show (MAX_ROWS_SHOWN), so a large file costs a bounded number of name searches.
    """
    flagged = []
    for row in rows:
        if row.action == "create":
            found = names_likely_duplicates(names=[row.name, *row.name_variants])
            if found:
                flagged.append((row, found))
    return flagged


def cases_file_import(
    *, acting_user, data: bytes, dry_run: bool = False, progress: Progress | None = None
) -> ImportPlan:
    """Check the file, then create or update every person in it in one transaction, or raise CasesFileRejected.

    `acting_user` (roles.SYSTEM for the command line) must be allowed to publish if rows change what is public.
    """
    with transaction.atomic():
        plan = cases_file_check(acting_user=acting_user, data=data, progress=progress)
        if not plan.ok:
            raise CasesFileRejected(plan)
        if dry_run:
            return plan
        apply = _Applier(acting_user=acting_user)
        total = len(plan.rows)
        for done, row in enumerate(plan.rows, start=1):
            apply(row)
            if progress:
                progress("import", done, total)
        plan.applied = True
    return plan


# --- Jobs: an admin upload applied by a worker, with a progress record the page polls ----------
#
# The record is a small JSON file next to the upload in private storage, not a table: the
# import runs in one transaction, and progress written to the database inside it would stay
# invisible to the page until the very end. Web and worker share the storage (docker-compose).

JOBS_DIR = "imports"
JOB_ID = re.compile(r"[0-9a-f]{32}")
MAX_ERRORS_KEPT = 1000
# An upload checked but never confirmed is deleted after this long: it may hold private notes.
UNCONFIRMED_UPLOAD_LIFETIME = dt.timedelta(days=1)
UPLOAD_EXPIRED = "The file was checked but not imported within a day, so it was deleted; upload it again."
UPLOADER_GONE = "The account that uploaded the file is no longer active; nothing was imported."
IMPORT_STOPPED = "The import stopped ({error}); nothing was imported."
# Uploads hold private notes: web and worker run as one user (the image's `app`), and no one else
# may list or read the jobs, whatever the umask.
JOB_DIRECTORY_MODE = 0o700
JOB_FILE_MODE = 0o600


class JobState:
    CHECKED = "checked"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


FINISHED = (JobState.DONE, JobState.FAILED)


def _job_name(job_id: str, suffix: str) -> str:
    if not JOB_ID.fullmatch(job_id):
        raise ValueError(f"not an import job id: {job_id!r}")
    return f"{JOBS_DIR}/{job_id}.{suffix}"


def import_job_status(job_id: str) -> dict | None:
    """The job's progress record, or None if there is no such job."""
    name = _job_name(job_id, "json")
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as record:
        return json.loads(record.read())


def _job_file_write(name: str, content: bytes) -> None:
    """Store a job file 0600 in the 0700 jobs directory, set explicitly: mkdir's and open's modes obey the umask."""
    path = default_storage.path(name)
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    os.chmod(directory, JOB_DIRECTORY_MODE)
    # Written aside, then renamed over: a page polling meanwhile reads the old or the new record, never half.
    temporary = f"{path}.{uuid.uuid4().hex}.tmp"
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, JOB_FILE_MODE), "wb") as out:
        os.fchmod(out.fileno(), JOB_FILE_MODE)
        out.write(content)
    os.replace(temporary, path)


def _job_write(job_id: str, **changes) -> dict:
    status = {**(import_job_status(job_id) or {}), **changes}
    _job_file_write(_job_name(job_id, "json"), json.dumps(status, ensure_ascii=False).encode("utf-8"))
    return status


def _purge_unconfirmed_uploads() -> None:
    if not default_storage.exists(JOBS_DIR):
        return
    cutoff = timezone.now() - UNCONFIRMED_UPLOAD_LIFETIME
    for name in default_storage.listdir(JOBS_DIR)[1]:
        job_id, _dot, suffix = name.partition(".")
        if suffix != "csv" or not JOB_ID.fullmatch(job_id):
            continue
        status = import_job_status(job_id) or {}
        if status.get("state") == JobState.CHECKED and default_storage.get_modified_time(f"{JOBS_DIR}/{name}") < cutoff:
            default_storage.delete(f"{JOBS_DIR}/{name}")
            _job_write(job_id, state=JobState.FAILED, message=UPLOAD_EXPIRED)


def import_job_create(*, data: bytes, file_name: str, user, plan: ImportPlan) -> str:
    """Keep a checked upload until the editor confirms it; returns the job id."""
    _purge_unconfirmed_uploads()
    job_id = uuid.uuid4().hex
    _job_file_write(_job_name(job_id, "csv"), data)
    _job_write(
        job_id,
        state=JobState.CHECKED,
        file_name=file_name,
        user_id=user.pk,
        total=len(plan.rows),
        done=0,
        to_create=plan.to_create,
        to_update=plan.to_update,
        errors=[],
    )
    return job_id


def import_job_start(*, job_id: str) -> dict:
    """Queue the import of a checked upload once the current transaction commits."""
    from outbox.services import outbox_enqueue

    status = _job_write(job_id, state=JobState.QUEUED)
    outbox_enqueue(cases_import_task.name, job_id)
    return status


def import_job_run(*, job_id: str) -> dict:
    """Apply a job's file, keeping its progress record current; the file is deleted once it is done with."""
    status = import_job_status(job_id)
    if status is None or status["state"] in FINISHED:
        return status or {}
    csv_name = _job_name(job_id, "csv")
    # Never None: the command line's "anyone may publish" must not reach an upload whose author is gone.
    user = get_user_model().objects.filter(pk=status["user_id"], is_active=True).first()
    if user is None:
        default_storage.delete(csv_name)
        return _job_write(job_id, state=JobState.FAILED, message=UPLOADER_GONE)
    try:
        upload = open(default_storage.path(csv_name), "rb")  # noqa: SIM115 - held open for its lock
    except FileNotFoundError:
        return import_job_status(job_id) or {}  # another run finished the job, and deleted the file, meanwhile
    with upload:
        # One run at a time: the task delivered again while a worker still applies the file (a
        # broker's redelivery, a second flush) returns at once; a killed worker's lock dies with it.
        try:
            fcntl.flock(upload.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return status
        status = import_job_status(job_id) or {}
        if status.get("state") in FINISHED:
            return status
        data = upload.read()
        _job_write(job_id, state=JobState.RUNNING, stage="check", done=0)
        last_written = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            if done == total or now - last_written[0] >= 0.5:
                last_written[0] = now
                _job_write(job_id, stage=stage, done=done, total=total)

        try:
            plan = cases_file_import(acting_user=user, data=data, progress=progress)
        except CasesFileRejected as rejected:
            errors = [[e.line, e.column, e.reason] for e in rejected.plan.errors_by_line()]
            status = _job_write(
                job_id,
                state=JobState.FAILED,
                errors=errors[:MAX_ERRORS_KEPT],
                error_count=len(errors),
                message=str(rejected),
            )
        except Exception as error:
            # One transaction: nothing was imported. The editor can upload the file again.
            default_storage.delete(csv_name)
            _job_write(job_id, state=JobState.FAILED, message=IMPORT_STOPPED.format(error=error))
            raise
        else:
            status = _job_write(
                job_id, state=JobState.DONE, done=len(plan.rows), created=plan.to_create, updated=plan.to_update
            )
        default_storage.delete(csv_name)
    return status


# acks_late: a worker lost mid-import rolled its transaction back, and the job, still "running",
# is simply run again by the next worker.
@shared_task(name="prisoners.cases_import", acks_late=True)
def cases_import_task(job_id: str) -> str:
    """Apply an admin upload. Safe to run again: a failed run imported nothing, a finished one is skipped."""
    return import_job_run(job_id=job_id).get("state", "")
