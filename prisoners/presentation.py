"""How a person is written out for machines: CSV rows and Schema.org JSON-LD. Public fields only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import CharField, F, JSONField, OuterRef, QuerySet, Subquery, Value, Window
from django.db.models.functions import Cast, Coalesce, JSONObject, RowNumber
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, pgettext_lazy

from .models import (
    CUSTODY_START_STATUSES,
    RECOGNITION_STATUSES,
    Gender,
    Person,
    Release,
    ReleaseType,
    Status,
    StatusEvent,
)

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


def profile_url_prefix(request) -> str:
    """Absolute URL of the prisoner pages, built once per export rather than once per row."""
    return request.build_absolute_uri(reverse("prisoners:person_list"))


class ExportedDate(NamedTuple):
    """A fact's partial date as exported: its EDTF text and ISO first and last days ("" when open)."""

    text: str = ""
    earliest: str = ""
    latest: str = ""


NO_DATE = ExportedDate()
# ISO days compare as text, so the record order below needs no date objects; an open end is
# the last day there is, and an unknown first day ("") comes before every day.
_OPEN_END = dt.date.max.isoformat()


def _record_order(candidate: tuple[tuple[str, str, str], int]) -> tuple:
    # As person_status_refresh orders its timeline: by the first day known (an "on or before
    # X" date has none, so X stands in), then the last, releases after events (the rank).
    # The date is an ExportedDate or a row's (text, earliest, latest): read by position.
    (_text, earliest, latest), rank = candidate
    return (earliest or latest, latest or _OPEN_END, rank)


def last_exported_date(candidates: list[tuple[ExportedDate, int]]) -> ExportedDate:
    """The last of a person's candidate facts for one date, each with its source's rank."""
    if not candidates:
        return NO_DATE
    return candidates[0][0] if len(candidates) == 1 else max(candidates, key=_record_order)[0]


# The facts each exported date is read from, as the person's derived fields are computed in
# prisoners.services.person_status_refresh: the last detention (custody_started_on), the last
# release (released_on), the last event or release that set the current status. An event
# ranks before a release of the same day, as there.
_DATE_SOURCES = {
    "detained_on": [StatusEvent.objects.reviewed().filter(status__in=CUSTODY_START_STATUSES)],
    "released_on": [
        StatusEvent.objects.reviewed().filter(status=Status.RELEASED),
        Release.objects.reviewed().exclude(release_type=ReleaseType.DIED),
    ],
    "current_status_since": [
        StatusEvent.objects.reviewed().exclude(status__in=RECOGNITION_STATUSES),
        Release.objects.reviewed(),
    ],
}


def _last_first() -> list:
    """A person's facts in record order, last first (the order _record_order ranks them in)."""
    return [
        Coalesce("date_earliest", "date_latest").desc(nulls_last=True),
        F("date_latest").desc(nulls_first=True),
        F("pk").desc(),
    ]


def _annotation(name: str, rank: int) -> str:
    return f"exported_{name}_{rank}"


def _last_fact(facts: QuerySet) -> Subquery:
    """The person's last fact of `facts` in record order, as {"date", "earliest", "latest"}."""
    dates = JSONObject(date="date", earliest="date_earliest", latest="date_latest")
    # public(): the same rule as every public read; for a public person, what the record counts.
    last = facts.public().filter(person=OuterRef("pk")).order_by(*_last_first()).values(dates=dates)[:1]
    return Subquery(last, output_field=JSONField())


def with_exported_dates(people: QuerySet[Person]) -> QuerySet[Person]:
    """`people` with the facts their exported dates come from: subqueries, so still one query for any number.

    For a page of people (the API); a whole download reads them with exported_rows instead.
    """
    return people.annotate(
        **{
            _annotation(name, rank): _last_fact(facts)
            for name, sources in _DATE_SOURCES.items()
            for rank, facts in enumerate(sources)
        }
    )


def exported_dates(person: Person) -> dict[str, ExportedDate]:
    """The person's status, detention and release dates as EDTF with bounds (needs with_exported_dates)."""
    dates = {}
    for name, sources in _DATE_SOURCES.items():
        candidates = [
            (ExportedDate(found["date"], found["earliest"] or "", found["latest"] or ""), rank)
            for rank in range(len(sources))
            if (found := getattr(person, _annotation(name, rank)))
        ]
        dates[name] = last_exported_date(candidates)
    return dates


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
    """The public fields of one person as exported (CSV and JSON share it); needs with_exported_dates."""
    row = _exported_fields(person, url_prefix)
    for name, date in exported_dates(person).items():
        row |= {name: date.text, f"{name}_earliest": date.earliest, f"{name}_latest": date.latest}
    return {column: row[column] for column in CSV_COLUMNS}


# --- Whole downloads ---------------------------------------------------------------------------
#
# A download reads every listed person at once. Subqueries per person (with_exported_dates)
# cost five index probes a person; here each source of facts is ranked once, in one pass over
# its table (a window), and joined to the people by hash: one query whatever the number of
# people, several times faster at 100,000. The rows come as plain tuples through a
# server-side cursor, so memory stays flat.

# The person's own columns a download reads, in this order.
_PERSON_COLUMNS = (
    "pk",
    "display_name",
    "name_be",
    "name_ru",
    "slug",
    "current_status",
    "is_recognised",
    "region",
    "gender",
    "occupation",
    "total_term_code",
)
_POSITION = "export_position"
_FACT_COLUMNS = ("date", "earliest_text", "latest_text")


def _candidate_offsets() -> dict[str, list[int]]:
    """Where each date's candidates start in a row: after the person's columns but the id,
    three columns (_FACT_COLUMNS) per source, in _DATE_SOURCES' order."""
    offsets, start = {}, len(_PERSON_COLUMNS) - 1
    for name, sources in _DATE_SOURCES.items():
        offsets[name] = [start + len(_FACT_COLUMNS) * rank for rank in range(len(sources))]
        start += len(_FACT_COLUMNS) * len(sources)
    return offsets


_CANDIDATE_OFFSETS = _candidate_offsets()
# Rows fetched, and written out, per round trip.
DOWNLOAD_BATCH = 2000


def _in_their_order(people: QuerySet[Person]) -> QuerySet:
    """`people` as rows of _PERSON_COLUMNS, each with its place in the queryset's order.

    The rows are read from a subquery, and a subquery keeps no order: the place keeps it.
    """
    query = people.query
    ordering = list(query.order_by) or (list(people.model._meta.ordering) if query.default_ordering else [])
    place = Window(RowNumber(), order_by=[*ordering, "pk"])
    return people.order_by().annotate(**{_POSITION: place}).values_list(*_PERSON_COLUMNS, _POSITION)


def _last_facts(facts: QuerySet) -> QuerySet:
    """Each person's last fact of `facts` in record order, one row each: (person_id, date, earliest, latest)."""
    last_first = Window(RowNumber(), partition_by=F("person_id"), order_by=_last_first())
    # public(): the same rule as every public read, as in _last_fact. Days as ISO text, "" when open.
    return (
        facts.public()
        .order_by()
        .annotate(
            last_first=last_first,
            earliest_text=Coalesce(Cast("date_earliest", CharField()), Value("")),
            latest_text=Coalesce(Cast("date_latest", CharField()), Value("")),
        )
        .filter(last_first=1)
        .values_list("person_id", *_FACT_COLUMNS)
    )


def _download_sql(people: QuerySet[Person], using: str) -> tuple[str, list]:
    """One statement for the rows of exported_rows: the people, each source's last fact joined to them."""
    sql, params = _in_their_order(people).query.get_compiler(using=using).as_sql()
    columns = [f'"people"."{column}"' for column in _PERSON_COLUMNS[1:]]  # the id only joins
    joins, all_params = [], list(params)
    sources = [facts for sources in _DATE_SOURCES.values() for facts in sources]
    for index, facts in enumerate(sources):
        fact_sql, fact_params = _last_facts(facts).query.get_compiler(using=using).as_sql()
        alias = f'"fact_{index}"'
        columns += [f'{alias}."{column}"' for column in _FACT_COLUMNS]
        joins.append(f'LEFT JOIN ({fact_sql}) {alias} ON {alias}."person_id" = "people"."pk"')
        all_params += fact_params
    select, joined = ", ".join(columns), " ".join(joins)
    # Only the ORM's compiled statements and this module's names go in; every value is a parameter.
    statement = f'SELECT {select} FROM ({sql}) "people" {joined} ORDER BY "people"."{_POSITION}"'  # noqa: S608
    return statement, all_params


def _last_candidate(row: tuple, offsets: list[int]) -> tuple[str, str, str]:
    """The last of a row's candidate facts for one date, as (text, earliest, latest)."""
    last = None
    for rank, offset in enumerate(offsets):
        # A fact's date is text, never NULL: NULL there means the person has no such fact.
        if row[offset] is not None:
            candidate = (row[offset : offset + 3], rank)
            if last is None or _record_order(candidate) > _record_order(last):
                last = candidate
    return NO_DATE if last is None else last[0]


def _row_values(row: tuple, url_prefix: str) -> list:
    """A fetched row as export_row's values, in CSV_COLUMNS' order."""
    name, name_be, name_ru, slug, status, recognised, region, gender, occupation, term = row[:10]
    offsets = _CANDIDATE_OFFSETS
    return [
        name,
        name_be,
        name_ru,
        f"{url_prefix}{slug}/",
        status,
        *_last_candidate(row, offsets["current_status_since"]),
        "yes" if recognised else "no",
        region,
        gender,
        occupation,
        *_last_candidate(row, offsets["detained_on"]),
        *_last_candidate(row, offsets["released_on"]),
        term,
    ]


def exported_rows(people: QuerySet[Person], url_prefix: str) -> Iterator[list[list]]:
    """Batches of export_row's values (in CSV_COLUMNS' order) for `people`, in their order: one query.

    A server-side cursor where the database has one (Django's chunked cursor, as iterator()
    uses), so memory stays flat however many people there are.
    """
    using = people.db
    try:
        statement, params = _download_sql(people, using)
    except EmptyResultSet:  # a filter that can match no one (a name no one has): nothing to read
        return
    with connections[using].chunked_cursor() as cursor:
        cursor.execute(statement, params)
        while rows := cursor.fetchmany(DOWNLOAD_BATCH):
            yield [_row_values(row, url_prefix) for row in rows]


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
        # spreadsheet_safe, inlined: every value here is text, and this runs for each cell.
        writer.writerows(
            [f"'{value}" if value[:1] in _FORMULA_FIRST_CHARACTERS else value for value in values] for values in batch
        )
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
