import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from prisoners.imports import CasesFileRejected, cases_file_import
from prisoners.roles import SYSTEM

STAGES = {"check": "checking", "import": "importing"}


class Command(BaseCommand):
    help = (
        "Create or update people and their cases from a CSV file (format: docs/import-format.md). "
        "Every row is checked first; if any row has a problem, each one is listed and nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="a UTF-8 CSV file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report what it would do; change nothing"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, file, dry_run, no_progress, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from error
        # The bar writes carriage returns to the raw stream: OutputWrapper would end each update with a newline.
        stream = options.get("stderr") or sys.stderr
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                bars[stage] = tqdm(
                    total=total,
                    desc=STAGES.get(stage, stage),
                    unit=" rows",
                    file=stream,
                    disable=no_progress,
                    leave=True,
                )
            bars[stage].update(done - bars[stage].n)

        try:
            plan = cases_file_import(acting_user=SYSTEM, data=data, dry_run=dry_run, progress=progress)
        except CasesFileRejected as rejected:
            self._close(bars)
            for error in rejected.plan.errors_by_line():
                column = f" {error.column}:" if error.column else ""
                self.stderr.write(f"{file.name}:{error.line}:{column} {error.reason}")
            raise CommandError(
                f"{len(rejected.plan.errors)} problem(s) in {file.name}; nothing was imported."
            ) from rejected
        self._close(bars)
        speed = f"{len(plan.rows):,} rows in {plan.seconds:.1f} s, {plan.rows_per_second:,.0f} rows/s"
        if dry_run:
            self.stdout.write(
                f"Dry run: {file.name} is fine; it would create {plan.to_create} and update {plan.to_update} people. "
                f"Nothing was changed. (Checked {speed}.)"
            )
        else:
            self.stdout.write(
                f"Imported {file.name}: created {plan.to_create}, updated {plan.to_update} people ({speed})."
            )

    @staticmethod
    def _close(bars: dict[str, tqdm]) -> None:
        for bar in bars.values():
            bar.close()
