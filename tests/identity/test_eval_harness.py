"""eval_names on a set of people not in the demo: recorded for the run, scored, and rolled back."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from prisoners.evaluation import evaluate_people_set
from prisoners.models import Person
from sources.models import Source

FIXTURES = Path(__file__).with_name("fixtures")
PEOPLE, QUERIES = FIXTURES / "harness_people.csv", FIXTURES / "harness_queries.csv"
pytestmark = pytest.mark.django_db


def test_the_set_is_scored_against_its_own_people():
    report = evaluate_people_set(PEOPLE, QUERIES)
    assert (report.queries, report.strangers) == (21, 5)
    assert report.recall_at_1 == 1.0, report.misses
    assert report.false_matches == 0, report.misses


def test_nothing_recorded_for_the_run_is_left_behind():
    evaluate_people_set(PEOPLE, QUERIES)
    assert not Person.objects.exists() and not Source.objects.exists()


def test_a_miss_and_a_stranger_found_are_both_reported(tmp_path):
    queries = tmp_path / "queries.csv"
    queries.write_text("query,expected_key,kind\nIvan Zhukavets,zhukavets,wrong\nOlga Lapatina,,stranger\n")
    report = evaluate_people_set(PEOPLE, queries)
    assert (report.recall_at_1, report.false_matches) == (0.0, 1)
    assert report.misses == [
        "'Ivan Zhukavets': expected zhukavets, got nobody",
        "'Olga Lapatina': expected nobody, got lapatsina",
    ]


def test_the_people_of_the_set_are_searched_alone(tmp_path):
    # A person already in the database is no one's answer: the set is scored against its own people.
    from tests.prisoners.factories import PersonFactory

    PersonFactory(display_name="Ivan Mazurkevich")
    report = evaluate_people_set(PEOPLE, QUERIES)
    assert report.false_matches == 0


def test_eval_names_prints_the_figures_of_the_set():
    out = io.StringIO()
    call_command("eval_names", people=PEOPLE, queries=QUERIES, stdout=out)
    assert "people set (harness_people.csv): queries 21, strangers 5, recall@1 1.000" in out.getvalue()
    assert "false matches on strangers 0" in out.getvalue()


def test_eval_names_refuses_a_set_it_cannot_read(tmp_path):
    queries = tmp_path / "queries.csv"
    queries.write_text("query,expected_key,kind\nSomeone,nobody-of-the-set,official\n")
    with pytest.raises(CommandError, match="nobody-of-the-set"):
        call_command("eval_names", people=PEOPLE, queries=queries, stdout=io.StringIO())
    with pytest.raises(CommandError, match="go together"):
        call_command("eval_names", people=PEOPLE, stdout=io.StringIO())
    with pytest.raises(CommandError, match="lacks the column"):
        call_command("eval_names", people=QUERIES, queries=QUERIES, stdout=io.StringIO())
