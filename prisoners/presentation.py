"""How a person is written out for machines: CSV rows and Schema.org JSON-LD. Public fields only."""

import json

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .models import Gender, Person

CSV_COLUMNS = [
    "name",
    "name_be",
    "name_ru",
    "url",
    "current_status",
    "current_status_since",
    "recognised",
    "region",
    "gender",
    "occupation",
    "detained_on",
    "released_on",
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


def export_row(person: Person, url_prefix: str) -> dict:
    """The public fields of one person as exported (CSV and JSON share it)."""
    return {
        "name": person.display_name,
        "name_be": person.name_be,
        "name_ru": person.name_ru,
        "url": f"{url_prefix}{person.slug}/",
        "current_status": person.current_status,
        "current_status_since": person.current_status_since.isoformat() if person.current_status_since else "",
        "recognised": "yes" if person.is_recognised else "no",
        "region": person.region,
        "gender": person.gender,
        "occupation": person.occupation,
        "detained_on": person.custody_started_on.isoformat() if person.custody_started_on else "",
        "released_on": person.released_on.isoformat() if person.released_on else "",
        "total_term": person.total_term_code,
    }


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
