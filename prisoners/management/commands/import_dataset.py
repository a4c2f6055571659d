from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from prisoners.dataset import DatasetError, dataset_import


class Command(BaseCommand):
    help = (
        "Restore a directory written by export_dataset into an empty, migrated database, in one "
        "transaction, keeping every id; refuses a database that already holds records."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="a directory written by export_dataset")

    def handle(self, *args, directory, **options):
        def report(label, rows):
            if options["verbosity"] > 1:
                self.stderr.write(f"{label}: {rows}")

        try:
            counts = dataset_import(directory=directory, progress=report)
        except DatasetError as error:
            raise CommandError(str(error)) from error
        total = sum(counts.values())
        self.stdout.write(f"Imported {total} rows of {len(counts)} tables from {directory}.")
