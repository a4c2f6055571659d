"""Name search speed at scale: times search with few and with many people and prints the ratio.

Synthetic people are written inside a transaction that is rolled back at the end, so the
benchmark leaves the database as it found it. Run it on PostgreSQL to see the trigram index
at work; on SQLite every variant is scored in Python and the ratio grows with the data.
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
QUERIES = ["Tikhanovsky", "Maria Kolesnikova", "Ігар Карней", "Ivan Petrov"]


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
                small = self._time(repeat)
                self._add(people - baseline, rng, start=baseline)
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE prisoners_namevariant")
                        cursor.execute("ANALYZE prisoners_person")
                large = self._time(repeat)
                raise Rollback
        except Rollback:
            pass
        self.stdout.write(f"database: {connection.vendor}; people: {baseline} vs {people}")
        for query in QUERIES:
            ratio = large[query] / small[query] if small[query] else float("inf")
            self.stdout.write(f"{query!r:24} {small[query]:8.1f} ms -> {large[query]:8.1f} ms   ratio {ratio:6.2f}")
        self.stdout.write(f"median ratio {statistics.median(large[q] / small[q] for q in QUERIES):.2f}")

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

    def _time(self, repeat: int) -> dict[str, float]:
        timings = {}
        public = Person.objects.public()
        for query in QUERIES:
            runs = []
            for _ in range(repeat):
                started = time.perf_counter()
                public.name_matches(query, limit=25)
                runs.append((time.perf_counter() - started) * 1000)
            timings[query] = statistics.median(runs)
        return timings
