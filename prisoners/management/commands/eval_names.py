from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from prisoners.evaluation import evaluate_name_search

DEFAULT_SET = Path(settings.BASE_DIR) / "tests" / "identity" / "name_variants.csv"


class Command(BaseCommand):
    help = "Score public name search against a labelled set of spellings (load_demo first)."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DEFAULT_SET, help="CSV with query,expected_slug")

    def handle(self, *args, file, **options):
        if not file.exists():
            raise CommandError(f"No evaluation set at {file}")
        report = evaluate_name_search(file)
        if report.queries and not report.answered:
            raise CommandError("Nothing was found at all: is the demo data loaded? (manage.py load_demo)")
        for miss in report.misses:
            self.stdout.write(f"miss: {miss}")
        self.stdout.write(
            f"queries {report.queries}, strangers {report.strangers}, "
            f"recall@1 {report.recall_at_1:.3f}, precision {report.precision:.3f}, "
            f"false matches on strangers {report.false_matches}"
        )
