"""Name search speed at scale: times search with few and with many people and prints the ratio.

Synthetic people are written inside a transaction that is rolled back at the end, so the
benchmark leaves the database as it found it. Run it on PostgreSQL to see the trigram indexes
at work; on SQLite every variant is scored in Python and the ratio grows with the data. Whole
names (the public list's q, admin search) and prefixes as a reader types them (name
suggestions) are timed and their ratios reported apart.
"""

import random
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from prisoners.identity import name_key_text
from prisoners.models import NameVariant, Person, PublicationState

GIVEN = [
    "Aliaksandr",
    "Andrei",
    "Anton",
    "Dzmitry",
    "Ihar",
    "Kanstantsin",
    "Mikalai",
    "Maksim",
    "Pavel",
    "Raman",
    "Siarhei",
    "Uladzimir",
    "Vadzim",
    "Viktar",
    "Yauhen",
    "Yury",
    "Alena",
    "Hanna",
    "Iryna",
    "Katsiaryna",
    "Maryia",
    "Natallia",
    "Volha",
    "Tatsiana",
    "Yuliya",
    "Sviatlana",
    "Liudmila",
    "Darya",
    "Palina",
    "Kseniya",
]
SYLLABLES = [
    "ba",
    "va",
    "da",
    "za",
    "ka",
    "la",
    "ma",
    "na",
    "pa",
    "ra",
    "sa",
    "ta",
    "ha",
    "cha",
    "sha",
    "lu",
    "mi",
    "ne",
    "ro",
    "dzi",
]
ENDINGS = ["enka", "ovich", "evich", "ski", "au", "ik", "uk", "ina", "ava", "skaya", "ets", "ianka"]
QUERIES = ["Tikhanovsky", "Maria Kolesnikova", "Ігар Карней", "Ivan Petrov", "Тихановского"]
# Prefixes: a real person's (kol, bia, Tsikh), and one that starts thousands of synthetic names (Kala).
PREFIX_QUERIES = ["kol", "bia", "Tsikh", "Kala"]


def synthetic_name(rng: random.Random) -> str:
    surname = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))) + rng.choice(ENDINGS)
    return f"{rng.choice(GIVEN)} {surname.capitalize()}"


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time public name search with few and many people; prints milliseconds and the ratio."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=100_000)
        parser.add_argument("--baseline", type=int, default=1_000)
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args, people, baseline, repeat, **options):
        rng = random.Random(20250621)
        try:
            with transaction.atomic():
                self._add(baseline, rng, start=0)
                self._settle()
                small = self._time(repeat)
                self._add(people - baseline, rng, start=baseline)
                self._settle()
                large = self._time(repeat)
                raise Rollback
        except Rollback:
            pass
        self.stdout.write(f"database: {connection.vendor}; people: {baseline} vs {people}")
        for label, queries in (("names", QUERIES), ("prefixes", PREFIX_QUERIES)):
            for query in queries:
                key = (label, query)
                ratio = large[key] / small[key] if small[key] else float("inf")
                self.stdout.write(f"{query!r:24} {small[key]:8.1f} ms -> {large[key]:8.1f} ms   ratio {ratio:6.2f}")
            median = statistics.median(large[(label, q)] / small[(label, q)] for q in queries)
            self.stdout.write(f"median ratio ({label}) {median:.2f}")

    def _settle(self) -> None:
        """Statistics and indexes as a live database has them after its (auto)vacuum."""
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE prisoners_namevariant")
            cursor.execute("ANALYZE prisoners_person")
            # Rows added to a GIN index wait in its pending list, read row by row by every search
            # until vacuum moves them in; VACUUM cannot run inside the transaction, this can.
            cursor.execute(
                "SELECT gin_clean_pending_list(indexrelid) FROM pg_index JOIN pg_class "
                "ON pg_class.oid = indexrelid JOIN pg_am ON pg_am.oid = relam "
                "WHERE indrelid = 'prisoners_namevariant'::regclass AND amname = 'gin'"
            )

    def _add(self, count: int, rng: random.Random, *, start: int) -> None:
        batch = 5_000
        for offset in range(start, start + count, batch):
            size = min(batch, start + count - offset)
            names = [synthetic_name(rng) for _ in range(size)]
            created = Person.objects.bulk_create(
                Person(
                    display_name=name,
                    slug=f"bench-{offset + index}",
                    publication_state=PublicationState.PUBLISHED,
                )
                for index, name in enumerate(names)
            )
            variants = []
            for person, name in zip(created, names, strict=True):
                given, surname = name.split(" ", 1)
                for text in (name, f"{surname} {given}", surname):
                    variants.append(NameVariant(person=person, text=text, normalized=name_key_text(text)))
            NameVariant.objects.bulk_create(variants)

    def _time(self, repeat: int) -> dict[tuple[str, str], float]:
        timings = {}
        public = Person.objects.public()
        searches = [("names", query, {"limit": 25}) for query in QUERIES]
        searches += [("prefixes", query, {"limit": 10, "prefix": True}) for query in PREFIX_QUERIES]
        for label, query, options in searches:
            # One run untimed: the first reads the name table and warms the connection's caches.
            public.name_matches(query, public=True, **options)
            runs = []
            for _ in range(repeat):
                started = time.perf_counter()
                public.name_matches(query, public=True, **options)
                runs.append((time.perf_counter() - started) * 1000)
            timings[(label, query)] = statistics.median(runs)
        return timings
