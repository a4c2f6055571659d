"""The development set (dev_people.csv, dev_queries.csv): the matcher is tuned on it, never on the evaluation set.

Its first measurement, before any tuning, was recall@1 0.965 with no stranger matched (DEV_SOURCES.md).
"""

import csv
from pathlib import Path

import pytest

from prisoners.evaluation import evaluate_people_set
from prisoners.identity import name_key_text

HERE = Path(__file__).parent
DEV_PEOPLE, DEV_QUERIES = HERE / "dev_people.csv", HERE / "dev_queries.csv"
EVAL_PEOPLE = HERE / "eval_people.csv"
NAME_COLUMNS = ("name_latin", "name_be", "name_ru")
pytestmark = pytest.mark.django_db


def _keys(path: Path) -> list[str]:
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return [row.split(",", 1)[0] for row in rows[1:]]


def test_the_set_is_large_enough():
    queries = [line for line in DEV_QUERIES.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    strangers = [row for row in queries[1:] if row.rsplit(",", 2)[1] == ""]
    assert len(_keys(DEV_PEOPLE)) >= 150
    assert len(queries) - 1 - len(strangers) >= 450 and len(strangers) >= 80


def _name_keys(path: Path) -> set[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    return {name_key_text(row[column]) for row in rows for column in NAME_COLUMNS if row[column]}


def test_no_one_of_the_set_is_in_the_evaluation_set():
    # By name key, not by row key: one person under two keys would still be one person.
    assert not _name_keys(DEV_PEOPLE) & _name_keys(EVAL_PEOPLE)


def test_public_search_finds_the_set_and_no_stranger():
    report = evaluate_people_set(DEV_PEOPLE, DEV_QUERIES)
    assert report.queries >= 450 and report.strangers >= 80
    assert report.recall_at_1 >= 0.99, report.misses
    assert report.false_matches == 0, report.misses
