"""How a person is written out for machines: CSV rows and Schema.org JSON-LD. Public fields only."""

import json

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


def csv_row(person: Person, request) -> list:
    return [
        person.display_name,
        person.name_be,
        person.name_ru,
        request.build_absolute_uri(person.get_absolute_url()),
        person.current_status,
        person.current_status_since or "",
        "yes" if person.is_recognised else "no",
        person.region,
        person.gender,
        person.occupation,
        person.custody_started_on or "",
        person.released_on or "",
        person.total_term_code,
    ]


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
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))
