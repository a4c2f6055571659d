"""How well public name search finds people: recall@1 and precision over a labelled set."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from .models import NameVariant, Person


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


def evaluate_name_search(path: Path) -> NameSearchReport:
    """Run every query of the CSV (query, expected_slug) through public search and score it."""
    people = Person.objects.public()
    slugs = dict(people.values_list("pk", "slug"))
    report = NameSearchReport()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            query, expected = row["query"], row["expected_slug"].strip()
            matches = people.name_matches(query, limit=3, variants=NameVariant.objects.public())
            found = slugs[matches[0].person_id] if matches else ""
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
