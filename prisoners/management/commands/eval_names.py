from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from prisoners.evaluation import NameSearchReport, evaluate_name_search, evaluate_people_set

SETS = Path(settings.BASE_DIR) / "tests" / "identity"
DEFAULT_SET = SETS / "name_variants.csv"
# The independent set: people not in the demo, recorded for the run and rolled back.
DEFAULT_PEOPLE, DEFAULT_QUERIES = SETS / "eval_people.csv", SETS / "eval_queries.csv"


class Command(BaseCommand):
    help = (
        "Score public name search against labelled spellings: the demo's set (load_demo first) and a set "
        "of other people, recorded for the run and rolled back (--people and --queries)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, help="CSV with query,expected_slug of the demo's people")
        parser.add_argument("--people", type=Path, help="CSV with key,name_latin,name_be,name_ru,gender,...")
        parser.add_argument("--queries", type=Path, help="CSV with query,expected_key,kind for --people")

    def handle(self, *args, file, people, queries, **options):
        if bool(people) != bool(queries):
            raise CommandError("--people and --queries go together")
        sets = []
        if file or not people:
            sets.append(("demo set", file or DEFAULT_SET, None))
        if people:
            sets.append(("people set", people, queries))
        elif not file and DEFAULT_PEOPLE.exists() and DEFAULT_QUERIES.exists():
            sets.append(("people set", DEFAULT_PEOPLE, DEFAULT_QUERIES))
        for name, first, second in sets:
            for path in filter(None, (first, second)):
                if not path.exists():
                    raise CommandError(f"No evaluation set at {path}")
            try:
                report = evaluate_people_set(first, second) if second else evaluate_name_search(first)
            except ValueError as error:
                raise CommandError(str(error)) from error
            if not second and report.queries and not report.answered:
                raise CommandError("Nothing was found at all: is the demo data loaded? (manage.py load_demo)")
            self._print(name, first, report)

    def _print(self, name: str, path: Path, report: NameSearchReport) -> None:
        for miss in report.misses:
            self.stdout.write(f"miss: {miss}")
        self.stdout.write(
            f"{name} ({path.name}): queries {report.queries}, strangers {report.strangers}, "
            f"recall@1 {report.recall_at_1:.3f}, precision {report.precision:.3f}, "
            f"false matches on strangers {report.false_matches}"
        )
