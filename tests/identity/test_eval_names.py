"""The labelled spelling set: recall@1 of at least 0.98 and no stranger ever matched."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from prisoners.evaluation import evaluate_name_search

VARIANT_SET = Path(__file__).with_name("name_variants.csv")
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", verbosity=0)


def test_the_set_is_large_enough():
    rows = VARIANT_SET.read_text(encoding="utf-8").splitlines()[1:]
    strangers = [row for row in rows if row.split(",")[-2] == ""]
    assert len(rows) - len(strangers) >= 300 and len(strangers) >= 50


def test_public_search_meets_the_target_on_this_database(demo):
    report = evaluate_name_search(VARIANT_SET)
    assert report.queries >= 300 and report.strangers >= 50
    assert report.recall_at_1 >= 0.98, report.misses
    assert report.false_matches == 0, report.misses


def test_eval_names_prints_the_figures(demo):
    out = io.StringIO()
    call_command("eval_names", file=VARIANT_SET, stdout=out)
    assert "recall@1" in out.getvalue() and "false matches on strangers 0" in out.getvalue()
