"""How a person is written out for machines: CSV rows and Schema.org JSON-LD. Public fields only."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db.models import F, JSONField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, JSONObject
from django.urls import reverse
from django.utils.html import format_html
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


def profile_url_prefix(request) -> str:
    """Absolute URL of the prisoner pages, built once per export rather than once per row."""
    return request.build_absolute_uri(reverse("prisoners:person_list"))


@dataclass(frozen=True)
class ExportedDate:
    """A fact's partial date as exported: its EDTF text and ISO first and last days ("" when open)."""

    text: str = ""
    earliest: str = ""
    latest: str = ""

    def sort_key(self, rank: int) -> tuple:
        # As person_status_refresh orders its timeline: by the first day known (an "on or
        # before X" date has none, so X stands in), then the last, releases after events.
        first_known = self.earliest or self.latest
        return (
            dt.date.fromisoformat(first_known) if first_known else dt.date.min,
            dt.date.fromisoformat(self.latest) if self.latest else dt.date.max,
            rank,
        )


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


def _annotation(name: str, rank: int) -> str:
    return f"exported_{name}_{rank}"


def _last_fact(facts: QuerySet) -> Subquery:
    """The person's last fact of `facts` in record order, as {"date", "earliest", "latest"}."""
    last_first = [
        Coalesce("date_earliest", "date_latest").desc(nulls_last=True),
        F("date_latest").desc(nulls_first=True),
        F("pk").desc(),
    ]
    dates = JSONObject(date="date", earliest="date_earliest", latest="date_latest")
    # public(): the same rule as every public read; for a public person, what the record counts.
    last = facts.public().filter(person=OuterRef("pk")).order_by(*last_first).values(dates=dates)[:1]
    return Subquery(last, output_field=JSONField())


def with_exported_dates(people: QuerySet[Person]) -> QuerySet[Person]:
    """`people` with the facts their exported dates come from: subqueries, so still one query for any number."""
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
        last = max(candidates, key=lambda candidate: candidate[0].sort_key(candidate[1]), default=None)
        dates[name] = last[0] if last else ExportedDate()
    return dates


def export_row(person: Person, url_prefix: str) -> dict:
    """The public fields of one person as exported (CSV and JSON share it); needs with_exported_dates."""
    row = {
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
    for name, date in exported_dates(person).items():
        row |= {name: date.text, f"{name}_earliest": date.earliest, f"{name}_latest": date.latest}
    return {column: row[column] for column in CSV_COLUMNS}


def spreadsheet_safe(value):
    """A CSV cell a spreadsheet will show as text, never run as a formula; used by every CSV the app writes.

    Only strings are changed: a number stays a number (none of the exports holds a negative one).
    """
    if isinstance(value, str) and value.startswith(SPREADSHEET_FORMULA_STARTS):
        return f"'{value}"
    return value


def csv_row(person: Person, url_prefix: str) -> list:
    # The JSON export shares export_row unchanged: only a spreadsheet runs formulas.
    row = export_row(person, url_prefix)
    return [spreadsheet_safe(row[column]) for column in CSV_COLUMNS]


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
