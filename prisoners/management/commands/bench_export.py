"""Export memory at scale: peak Python memory while streaming the public list, few vs many people.

Synthetic people are added inside a transaction that is rolled back, as in bench_search.
A flat ratio (near 1) means the CSV and JSON downloads stream instead of building the file.
"""

import random
import time
import tracemalloc

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import RequestFactory

from prisoners.management.commands.bench_search import Command as SearchBenchmark
from prisoners.management.commands.bench_search import Rollback
from prisoners.views import person_list_csv, person_list_json


def _measure(view) -> tuple[float, float, int]:
    request = RequestFactory().get("/prisoners/export", {"status": ""}, HTTP_HOST="127.0.0.1")
    tracemalloc.start()
    started = time.perf_counter()
    size = sum(len(chunk) for chunk in view(request).streaming_content)
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024 / 1024, elapsed, size


class Command(BaseCommand):
    help = "Peak memory and time of the CSV and JSON exports with few and many people; prints ratios."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=100_000)
        parser.add_argument("--baseline", type=int, default=1_000)

    def handle(self, *args, people, baseline, **options):
        rng = random.Random(20250621)
        data = SearchBenchmark()
        results = {}
        try:
            with transaction.atomic():
                data._add(baseline, rng, start=0)
                results["small"] = {
                    name: _measure(view) for name, view in (("csv", person_list_csv), ("json", person_list_json))
                }
                data._add(people - baseline, rng, start=baseline)
                results["large"] = {
                    name: _measure(view) for name, view in (("csv", person_list_csv), ("json", person_list_json))
                }
                raise Rollback
        except Rollback:
            pass
        for name in ("csv", "json"):
            small, large = results["small"][name], results["large"][name]
            self.stdout.write(
                f"{name}: {baseline} people {small[0]:6.1f} MiB peak, {small[2] / 1e6:6.1f} MB out; "
                f"{people} people {large[0]:6.1f} MiB peak, {large[2] / 1e6:6.1f} MB out, {large[1]:5.1f} s; "
                f"memory ratio {large[0] / small[0]:5.2f}, output ratio {large[2] / small[2]:6.1f}"
            )
