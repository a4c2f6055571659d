"""An import says how fast it went: the plan carries its timings, the command's summary line its rows per second."""

import io
import re

import pytest
from django.core.management import call_command

from prisoners.imports import cases_file_check, cases_file_import
from prisoners.roles import SYSTEM
from tests.prisoners.test_imports import GOOD_ROWS, articles, csv_file  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def test_the_plan_says_how_long_checking_and_writing_took(articles):  # noqa: F811
    plan = cases_file_import(acting_user=SYSTEM, data=csv_file(*GOOD_ROWS))

    assert plan.check_seconds > 0 and plan.apply_seconds > 0
    assert plan.seconds == plan.check_seconds + plan.apply_seconds
    assert plan.rows_per_second == pytest.approx(3 / plan.seconds)
    assert cases_file_check(acting_user=SYSTEM, data=b"external_id,name\n").rows_per_second == 0


def test_the_commands_summary_line_gives_the_rows_per_second(articles, tmp_path):  # noqa: F811
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_file(*GOOD_ROWS))
    stdout = io.StringIO()

    call_command("import_cases", path, "--no-progress", stdout=stdout)

    summary = stdout.getvalue().strip()
    speed = r"\(3 rows in \d+\.\d s, [\d,]+ rows/s\)"
    assert re.fullmatch(rf"Imported cases.csv: created 3, updated 0 people {speed}\.", summary)
