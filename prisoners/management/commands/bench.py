"""The scale benchmark on the current database (prisoners.benchmark says what is measured and how)."""

from django.core.management.base import BaseCommand, CommandError

from prisoners.benchmark import (
    DATASETTE_MISSING,
    BenchError,
    bench_lines,
    datasette_available,
    datasette_lines,
    scenario_names,
)


class Command(BaseCommand):
    help = (
        "Time each public page, the API, the export and an import through the served app against their SQL "
        "alone; one line per scenario. With --vs-datasette, also against Datasette serving the same public list."
    )

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=7, help="timed runs per scenario; medians are printed (7)")
        parser.add_argument("--vs-datasette", action="store_true", help="also compare with Datasette (bench extra)")
        parser.add_argument("--import-rows", type=int, default=1000, help="rows in the import file (1000)")
        parser.add_argument(
            "--only",
            default="",
            help=f"comma-separated scenarios to measure, of: {', '.join(scenario_names())} (default: all)",
        )

    def handle(self, *args, runs, vs_datasette, import_rows, only, **options):
        if runs < 1 or import_rows < 1:
            raise CommandError("--runs and --import-rows must be at least 1.")
        chosen = {name.strip() for name in only.split(",") if name.strip()}
        unknown = chosen - set(scenario_names())
        if unknown:
            raise CommandError(f"Unknown scenario: {', '.join(sorted(unknown))}. Known: {', '.join(scenario_names())}.")
        if vs_datasette and not datasette_available():
            raise CommandError(DATASETTE_MISSING)
        try:
            for line in bench_lines(runs=runs, import_rows=import_rows, only=chosen):
                self.stdout.write(line)
            if vs_datasette:
                for line in datasette_lines(runs=runs):
                    self.stdout.write(line)
        except BenchError as error:
            raise CommandError(str(error)) from error
