"""Fill a benchmark database with synthetic published people (prisoners.synthetic says how and why in bulk)."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from prisoners.synthetic import refusal, synthetic_people_create


class Command(BaseCommand):
    help = (
        "Add N synthetic published people of a realistic shape (names in three scripts, events, a case, "
        "sentences, custody, releases, citations) for benchmarks. Refuses a database that already has people "
        "while DEBUG is off, unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, required=True, help="how many people to add")
        parser.add_argument("--seed", type=int, default=1, help="the same seed makes the same people (1)")
        parser.add_argument("--force", action="store_true", help="add them even to a database that has people")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, people, seed, force, no_progress, **options):
        if people < 1:
            raise CommandError("--people must be at least 1.")
        refused = refusal(force=force)
        if refused:
            raise CommandError(refused)
        # The bar writes carriage returns to the raw stream: OutputWrapper would end each update with a newline.
        stream = options.get("stderr") or sys.stderr
        started = time.perf_counter()
        with tqdm(total=people, desc="people", unit=" people", file=stream, disable=no_progress) as bar:
            created = synthetic_people_create(people=people, seed=seed, progress=bar.update)
        self.stdout.write(f"Added {created} synthetic people in {time.perf_counter() - started:.1f} s.")
        # VACUUM cannot run inside a transaction (a test's, say); there it is left to autovacuum.
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # A bulk load leaves the planner's statistics stale and the rows the status refresh
            # rewrote dead: without this, the first benchmark measures sequential scans of bloat.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            self.stdout.write("Vacuumed and analysed the database.")
