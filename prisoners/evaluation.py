"""How well public name search finds people: recall@1 and false matches over a labelled set.

Two kinds of set. The demo's (tests/identity/name_variants.csv: query, expected_slug, kind)
is scored against the people `load_demo` records. A set of its own people (a people file:
key, name_latin, name_be, name_ru, gender, country, source_url; a queries file: query,
expected_key, kind) is recorded for the run and scored against those people alone, in a
transaction rolled back at the end, so the database is left as it was. In both, a query with
no expected person is a stranger: whoever it finds is a false match.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.db import transaction

from sources.models import Source
from sources.services import citation_add, source_save

from .models import Gender, Person
from .roles import EDITOR
from .services import person_names_sync, person_publish, record_save

EVALUATION = "name search evaluation (rolled back)"
PEOPLE_COLUMNS = ("key", "name_latin", "name_be", "name_ru", "gender", "country", "source_url")
QUERY_COLUMNS = ("query", "expected_key", "kind")
GENDERS = {"m": Gender.MALE, "male": Gender.MALE, "f": Gender.FEMALE, "female": Gender.FEMALE}


@dataclass
class NameSearchReport:
    queries: int = 0
    strangers: int = 0
    correct_first: int = 0
    answered: int = 0
    false_matches: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def recall_at_1(self) -> float:
        return self.correct_first / self.queries if self.queries else 0.0

    @property
    def precision(self) -> float:
        return self.correct_first / self.answered if self.answered else 0.0


def _read(path: Path, columns: Iterable[str]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(line for line in handle if not line.startswith("#"))
        missing = set(columns) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path.name} lacks the column(s) {', '.join(sorted(missing))}")
        return [{name: (value or "").strip() for name, value in row.items() if name} for row in reader]


def _score(queries: Iterable[tuple[str, str]], people, label_of: dict[int, str]) -> NameSearchReport:
    """Run each (query, expected label) through public search over `people`; "" expects no one."""
    report = NameSearchReport()
    for query, expected in queries:
        matches = people.name_matches(query, limit=3, public=True)
        found = label_of.get(matches[0].person_id, "") if matches else ""
        if expected:
            report.queries += 1
        else:
            report.strangers += 1
        if matches:
            report.answered += 1
        if found == expected:
            report.correct_first += bool(expected)
            continue
        if not expected and found:
            report.false_matches += 1
        report.misses.append(f"{query!r}: expected {expected or 'nobody'}, got {found or 'nobody'}")
    return report


def evaluate_name_search(path: Path) -> NameSearchReport:
    """Run every query of the CSV (query, expected_slug) through public search and score it."""
    people = Person.objects.public()
    queries = [(row["query"], row["expected_slug"]) for row in _read(path, ("query", "expected_slug"))]
    return _score(queries, people, dict(people.values_list("pk", "slug")))


class _RolledBack(Exception):
    pass


def evaluate_people_set(people_path: Path, queries_path: Path) -> NameSearchReport:
    """Record the people file's people, score the queries file against them, and roll it all back."""
    people_rows = _read(people_path, PEOPLE_COLUMNS)
    queries = [(row["query"], row["expected_key"]) for row in _read(queries_path, QUERY_COLUMNS)]
    unknown = {expected for _query, expected in queries if expected} - {row["key"] for row in people_rows}
    if unknown:
        raise ValueError(f"{queries_path.name} expects people its people file lacks: {', '.join(sorted(unknown))}")
    report = NameSearchReport()
    try:
        with transaction.atomic():
            recorded = people_record(people_rows, acting_user=_evaluation_editor())
            people = Person.objects.public().filter(pk__in=recorded.values())
            report = _score(queries, people, {pk: key for key, pk in recorded.items()})
            raise _RolledBack
    except _RolledBack:
        pass
    return report


def _evaluation_editor() -> User:
    """A member of staff for the run (it is rolled back with everything else): Editors may publish."""
    editor = User.objects.create_user(username=f"name-search-evaluation-{uuid.uuid4().hex[:12]}", is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITOR))
    return editor


def people_record(rows: Iterable[dict[str, str]], *, acting_user) -> dict[str, int]:
    """Record each row as a published person, named as the row names them and cited to its source.

    Through the one write path, as the admin would: record_save, person_names_sync (the names
    become public name variants), citation_add, person_publish. Returns each key's person id.
    """
    sources: dict[str, Source] = {}
    recorded = {}
    for row in rows:
        names = [row[column] for column in ("name_latin", "name_be", "name_ru") if row[column]]
        if not names:
            raise ValueError(f"person {row['key']!r} has no name")
        person = Person(
            display_name=names[0],
            name_latin=row["name_latin"],
            name_be=row["name_be"],
            name_ru=row["name_ru"],
            gender=GENDERS.get(row["gender"].lower(), ""),
        )
        record_save(acting_user=acting_user, obj=person, reason=EVALUATION)
        person_names_sync(acting_user=acting_user, person=person)
        url = row["source_url"]
        if url not in sources:
            existing = Source.objects.filter(url=url).first() if url else None
            sources[url] = existing or source_save(
                acting_user=acting_user, source=Source(url=url, title=url or EVALUATION), reason=EVALUATION
            )
        citation_add(acting_user=acting_user, fact=person, source=sources[url], quote=names[0])
        person_publish(acting_user=acting_user, person=person)
        recorded[row["key"]] = person.pk
    return recorded
