"""The independent evaluation set (people not in the demo, spellings from cited sources): its targets hold.

The set is written apart from the matcher, beside name_variants.csv; until it is there, this
module says so and skips.
"""

from pathlib import Path

import pytest

from prisoners.evaluation import evaluate_people_set

HERE = Path(__file__).parent
PEOPLE, QUERIES = HERE / "eval_people.csv", HERE / "eval_queries.csv"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (PEOPLE.exists() and QUERIES.exists()),
        reason="tests/identity/eval_people.csv and eval_queries.csv are not written yet",
    ),
]


@pytest.fixture(scope="module")
def report(django_db_setup, django_db_blocker):
    # Recorded and rolled back by the harness itself: one run for the module's assertions.
    with django_db_blocker.unblock():
        return evaluate_people_set(PEOPLE, QUERIES)


def test_the_set_is_large_enough(report):
    assert report.queries >= 400 and report.strangers >= 100


def test_recall_at_1_is_at_least_098(report):
    assert report.recall_at_1 >= 0.98, f"recall@1 {report.recall_at_1:.3f}; misses: {report.misses}"


def test_no_stranger_is_matched(report):
    assert report.false_matches == 0, [miss for miss in report.misses if "expected nobody" in miss]
