from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from prisoners.dataset import DatasetError, dataset_export


class Command(BaseCommand):
    help = (
        "Write every record of the prisoners and sources apps, private fields included, as JSON Lines "
        "(one file per model) plus the uploaded files, into DIR. For backups: DIR and everything in it is "
        "written for its owner only (directories 0700, files 0600, whatever the umask); keep it so."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="a new or empty directory")

    def handle(self, *args, directory, **options):
        def report(label, rows):
            if options["verbosity"] > 1:
                self.stderr.write(f"{label}: {rows}")

        try:
            counts = dataset_export(directory=directory, progress=report)
        except DatasetError as error:
            raise CommandError(str(error)) from error
        total = sum(counts.values())
        self.stdout.write(f"Exported {total} rows of {len(counts)} tables to {directory}.")
