"""How a person is written out for machines: CSV rows and Schema.org JSON-LD. Public fields only."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from itertools import chain

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Case, CharField, F, QuerySet, Value, When
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, pgettext_lazy

from .models import EXPORTED_DATES, Gender, Person, Status

# Each date in a person's row is the EDTF text of the fact it comes from, with the first and
# last day that text can mean ("2020-05", "2020-05-01", "2020-05-31"), never a made-up day.
CSV_COLUMNS = [
    "name",
    "name_be",
    "name_ru",
    "url",
    "current_status",
    "current_status_since",
    "current_status_since_earliest",
    "current_status_since_latest",
    "recognised",
    "region",
    "gender",
    "occupation",
    "detained_on",
    "detained_on_earliest",
    "detained_on_latest",
    "released_on",
    "released_on_earliest",
    "released_on_latest",
    "total_term",
]
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}
SCHEMA_GENDER = {Gender.FEMALE: "https://schema.org/Female", Gender.MALE: "https://schema.org/Male"}
# OWASP's CSV injection advice (https://owasp.org/www-community/attacks/CSV_Injection): a spreadsheet
# reads a cell starting with one of these as a formula, so such a cell is prefixed with a single quote.
SPREADSHEET_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST_CHARACTERS = frozenset(SPREADSHEET_FORMULA_STARTS)  # each start is one character
# A cell of a batch that starts like a formula, once the batch's cells are joined with NUL: every
# such cell follows a NUL, so none is missed. A NUL inside a value (SQLite can hold one, PostgreSQL
# cannot) can only make the search say yes for nothing, and the batch is then asked cell by cell.
_FORMULA_AFTER_SEPARATOR = re.compile("\x00[{}]".format(re.escape("".join(SPREADSHEET_FORMULA_STARTS))))


def profile_url_prefix(request) -> str:
    """Absolute URL of the prisoner pages, built once per export rather than once per row."""
    return request.build_absolute_uri(reverse("prisoners:person_list"))


def _exported_fields(person: Person, url_prefix: str) -> dict:
    return {
        "name": person.display_name,
        "name_be": person.name_be,
        "name_ru": person.name_ru,
        "url": f"{url_prefix}{person.slug}/",
        "current_status": person.current_status,
        "recognised": "yes" if person.is_recognised else "no",
        "region": person.region,
        "gender": person.gender,
        "occupation": person.occupation,
        "total_term": person.total_term_code,
    }


def export_row(person: Person, url_prefix: str) -> dict:
    """The public fields of one person as exported (CSV and JSON share it)."""
    row = _exported_fields(person, url_prefix)
    for name in EXPORTED_DATES:
        for part in ("", "_earliest", "_latest"):
            row[f"{name}{part}"] = getattr(person, f"export_{name}{part}")
    return {column: row[column] for column in CSV_COLUMNS}


# --- Whole downloads ---------------------------------------------------------------------------
#
# A download reads every listed person at once: their own row holds every exported value
# (the dates as person_status_refresh stored them), so it is one scan of the people in the
# list's order, read as plain tuples through a server-side cursor: memory stays flat.

# The person's columns a download reads, in CSV_COLUMNS' order; the URL is made from the slug.
_DOWNLOAD_COLUMNS = tuple(
    {"name": "display_name", "url": "slug", "recognised": "is_recognised", "total_term": "total_term_code"}.get(
        column, f"export_{column}" if column.startswith(EXPORTED_DATES) else column
    )
    for column in CSV_COLUMNS
)
# Rows fetched, and written out, per round trip.
DOWNLOAD_BATCH = 2000


def exported_rows(people: QuerySet[Person], url_prefix: str) -> Iterator[list[tuple]]:
    """Batches of export_row's values (in CSV_COLUMNS' order) for `people`, in their order: one query.

    A server-side cursor where the database has one (Django's chunked cursor, as iterator()
    uses), so memory stays flat however many people there are. The database writes the URL and
    the yes or no of `recognised` (export_row's forms of them), so the rows come as they are sent.
    """
    using = people.db
    columns = [
        Concat(Value(url_prefix), F(field), Value("/"), output_field=CharField())
        if column == "url"
        else Case(When(**{field: True}, then=Value("yes")), default=Value("no"), output_field=CharField())
        if column == "recognised"
        else F(field)
        for column, field in zip(CSV_COLUMNS, _DOWNLOAD_COLUMNS, strict=True)
    ]
    try:
        statement, params = people.values_list(*columns).query.get_compiler(using=using).as_sql()
    except EmptyResultSet:  # a filter that can match no one (a name no one has): nothing to read
        return
    with connections[using].chunked_cursor() as cursor:
        cursor.execute(statement, params)
        while rows := cursor.fetchmany(DOWNLOAD_BATCH):
            yield rows


def spreadsheet_safe(value):
    """A CSV cell a spreadsheet will show as text, never run as a formula; used by every CSV the app writes.

    Only strings are changed: a number stays a number (none of the exports holds a negative one).
    """
    if isinstance(value, str) and value.startswith(SPREADSHEET_FORMULA_STARTS):
        return f"'{value}"
    return value


def csv_lines(people: QuerySet[Person], url_prefix: str) -> Iterator[str]:
    """The CSV download of `people`: the header, then a batch of rows per string (exported_rows).

    Every cell is spreadsheet_safe; the JSON download keeps the values unchanged, as only a
    spreadsheet runs formulas.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for batch in exported_rows(people, url_prefix):
        # spreadsheet_safe, inlined: every value here is text. Most batches have no cell that
        # starts like a formula, and one search of the joined batch (in C) says so, where
        # asking each of 100,000 people's 24 cells took a fifth of the whole export's time.
        if _FORMULA_AFTER_SEPARATOR.search("\x00" + "\x00".join(chain.from_iterable(batch))):
            batch = [
                [f"'{value}" if value[:1] in _FORMULA_FIRST_CHARACTERS else value for value in values]
                for values in batch
            ]
        writer.writerows(batch)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def json_chunks(people: QuerySet[Person], url_prefix: str) -> Iterator[str]:
    """The JSON download of `people`: an array of export_row objects, a batch of them per string."""
    separator = "["
    for batch in exported_rows(people, url_prefix):
        objects = ",".join(
            json.dumps(dict(zip(CSV_COLUMNS, values, strict=True)), ensure_ascii=False) for values in batch
        )
        yield separator + objects
        separator = ","
    yield "]" if separator == "," else "[]"


def person_json_ld(person: Person, request) -> str:
    """A <script> with the Schema.org Person description of a public page."""
    data = {
        "@context": "https://schema.org",
        "@type": "Person",
        "name": person.display_name,
        "url": request.build_absolute_uri(person.get_absolute_url()),
        "alternateName": sorted({v.text for v in person.name_variants.all()} - {person.display_name}),
    }
    if person.occupation:
        data["jobTitle"] = person.occupation
    if person.gender in SCHEMA_GENDER:
        data["gender"] = SCHEMA_GENDER[person.gender]
    if person.birth_date_earliest and person.birth_date_earliest == person.birth_date_latest:
        data["birthDate"] = person.birth_date_earliest.isoformat()
    if person.photo:
        data["image"] = request.build_absolute_uri(f"{person.get_absolute_url()}photo/")
    payload = json.dumps(data, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308 escaped by _JSON_SCRIPT_ESCAPES


# Status words that agree with the person's gender in Belarusian and Russian ("Мария Колесникова
# осуждена", "Сергей Тихановский осуждён"); Status's own labels serve anyone else. Each context
# holds every status, also those whose words do not change, so translators see the whole set.
GENDERED_STATUS_LABELS = {
    Gender.FEMALE: {
        Status.DETAINED: pgettext_lazy("status, female", "detained"),
        Status.PRE_TRIAL: pgettext_lazy("status, female", "in pre-trial detention"),
        Status.HOUSE_ARREST: pgettext_lazy("status, female", "under house arrest"),
        Status.CONVICTED: pgettext_lazy("status, female", "convicted"),
        Status.IMPRISONED: pgettext_lazy("status, female", "imprisoned"),
        Status.TRANSFERRED: pgettext_lazy("status, female", "transferred"),
        Status.RELEASED: pgettext_lazy("status, female", "released"),
        Status.DIED_IN_CUSTODY: pgettext_lazy("status, female", "died in custody"),
        Status.DISAPPEARED: pgettext_lazy("status, female", "disappeared"),
        Status.RECOGNISED: pgettext_lazy("status, female", "recognised as political prisoner"),
        Status.RECOGNITION_WITHDRAWN: pgettext_lazy("status, female", "recognition withdrawn"),
        Status.SENTENCED_IN_ABSENTIA: pgettext_lazy("status, female", "sentenced in absentia"),
        Status.IN_EXILE: pgettext_lazy("status, female", "in exile"),
    },
    Gender.MALE: {
        Status.DETAINED: pgettext_lazy("status, male", "detained"),
        Status.PRE_TRIAL: pgettext_lazy("status, male", "in pre-trial detention"),
        Status.HOUSE_ARREST: pgettext_lazy("status, male", "under house arrest"),
        Status.CONVICTED: pgettext_lazy("status, male", "convicted"),
        Status.IMPRISONED: pgettext_lazy("status, male", "imprisoned"),
        Status.TRANSFERRED: pgettext_lazy("status, male", "transferred"),
        Status.RELEASED: pgettext_lazy("status, male", "released"),
        Status.DIED_IN_CUSTODY: pgettext_lazy("status, male", "died in custody"),
        Status.DISAPPEARED: pgettext_lazy("status, male", "disappeared"),
        Status.RECOGNISED: pgettext_lazy("status, male", "recognised as political prisoner"),
        Status.RECOGNITION_WITHDRAWN: pgettext_lazy("status, male", "recognition withdrawn"),
        Status.SENTENCED_IN_ABSENTIA: pgettext_lazy("status, male", "sentenced in absentia"),
        Status.IN_EXILE: pgettext_lazy("status, male", "in exile"),
    },
}


def status_label(status: str, gender: str) -> str:
    """A status in the active language's words, agreeing with `gender` where the language asks it.

    Other and unknown genders read Status's own (neutral) labels; so does a code that is no
    Status (shown as it is). An empty status is an empty string.
    """
    if not status:
        return ""
    gendered = GENDERED_STATUS_LABELS.get(gender, {}).get(status)
    if gendered is not None:
        return str(gendered)
    return str(Status(status).label) if status in Status.values else status


# Between the parts of a list row's details.
ROW_DETAIL_SEPARATOR = " · "


def list_row_details(person: Person) -> str:
    """The line under a name in the public list: status, year detained, day released, total term, region.

    Made here, not in the template: the list draws it for every row, and the template engine
    took a third of a 25-row page for it (0.35 ms a row). The words are the template's msgids.
    Needs the person's public releases as `public_releases` (prisoners.views.person_list).
    """
    status = ""
    if person.current_status:
        status = format_html('<span class="status">{}</span>', person.get_current_status_display())
    parts = []
    if person.custody_started_on:
        parts.append(_with_values(gettext("detained in %(year)s"), year=f"{person.custody_started_on.year:04d}"))
    release = person.public_releases[-1] if person.public_releases else None
    if person.released_on and release is not None and release.date:
        parts.append(_with_values(gettext("released on %(date)s"), date=release.date_display))
    if person.total_term_code:
        parts.append(_with_values(gettext("sentenced to %(term)s in total"), term=person.stored_total_term))
    if person.region:
        parts.append(conditional_escape(person.get_region_display()))
    return mark_safe(status + "".join(ROW_DETAIL_SEPARATOR + part for part in parts))  # noqa: S308 each part escaped


def _with_values(message: str, **values) -> str:
    # As {% blocktrans %} does: the translated words as they are, the values escaped.
    return message % {name: conditional_escape(str(value)) for name, value in values.items()}


# Search engines show about this much of a description.
DESCRIPTION_CHARS = 200


def person_description(person: Person) -> str:
    """A profile's summary for search results and link previews, in the reader's language: public fields only."""
    name = person.name_in()
    status = person.get_current_status_display()
    headline = gettext("%(name)s — %(status)s.") % {"name": name, "status": status} if status else f"{name}."
    biography = " ".join(person.biography.split())
    detail = (
        Truncator(biography).chars(DESCRIPTION_CHARS)
        if biography
        else gettext("A case record in which every fact links to its source.")
    )
    return f"{headline} {detail}"
