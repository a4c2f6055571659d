"""Intake marking speed at scale: times `marks_in` on 100 kB, 500 kB and 1 MB and prints the ratio.

The texts are the seed articles (shared/seeds) repeated, or, where they are absent, synthetic
sentences naming the demo people. The demo data is loaded inside a transaction that is rolled
back, with its document files written to a temporary folder, so the benchmark leaves the
database and media as it found them. The size cap of the intake page is bypassed. A ratio of
time per byte near 1 means marking is linear in the length of the text.
"""

import random
import statistics
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings

from prisoners.demo import load_demo
from prisoners.management.commands.bench_search import Rollback
from prisoners.models import NameVariant
from sources.intake import marks_in

SIZES = [100_000, 500_000, 1_000_000]
TARGET_SECONDS = 2.0  # for the largest text, on the 2-core machine the project is run on
DEFAULT_SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
MONTHS = ["January", "March", "May", "June", "August", "October", "December"]
FILLER = ["the", "court", "in", "Minsk", "heard", "the", "case", "behind", "closed", "doors", "while", "relatives"]


def seed_text(folder: Path) -> str:
    return "\n\n".join(path.read_text() for path in sorted(folder.glob("*.txt")))


def synthetic_text(names: list[str], size: int, rng: random.Random) -> str:
    """Sentences naming the people, with dates and numbers among ordinary words."""
    sentences, length = [], 0
    while length < size:
        words = rng.sample(FILLER, 6)
        sentence = (
            f"{rng.choice(names)} was detained on {rng.randint(1, 28)} {rng.choice(MONTHS)} "
            f"{rng.randint(2020, 2025)}; {' '.join(words)}, and {rng.randint(2, 1500):,} others were named. "
        )
        sentences.append(sentence)
        length += len(sentence.encode())
    return "".join(sentences)


def of_size(text: str, size: int) -> str:
    """`text` repeated and cut to `size` bytes of UTF-8 (a split character at the cut is dropped)."""
    encoded = text.encode()
    repeated = encoded * (size // len(encoded) + 1)
    return repeated[:size].decode(errors="ignore")


class Command(BaseCommand):
    help = "Time the intake's marking of 100 kB, 500 kB and 1 MB texts; prints seconds and the per-byte ratio."

    def add_arguments(self, parser):
        parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="folder of article .txt files")
        parser.add_argument("--repeat", type=int, default=3)

    def handle(self, *args, seeds, repeat, **options):
        results = []
        try:
            with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media), transaction.atomic():
                load_demo()
                base, origin = self._base_text(seeds)
                marks_in(of_size(base, 10_000), capped=False)  # warm the word-key cache and the regexes
                for size in SIZES:
                    text = of_size(base, size)
                    seconds, count = self._time(text, repeat)
                    results.append((len(text.encode()), seconds, count))
                raise Rollback
        except Rollback:
            pass
        self.stdout.write(f"text: {origin}; median of {repeat} runs; size cap bypassed")
        for size, seconds, count in results:
            self.stdout.write(
                f"{size / 1000:8.0f} kB {seconds:8.3f} s {seconds / size * 1e9:8.1f} ns/byte {count:7d} marks"
            )
        (small_size, small, _), (large_size, large, _) = results[0], results[-1]
        ratio = (large / large_size) / (small / small_size) if small else float("inf")
        self.stdout.write(f"time per byte, {large_size / 1000:.0f} kB vs {small_size / 1000:.0f} kB: ratio {ratio:.2f}")
        verdict = "under" if large < TARGET_SECONDS else "OVER"
        self.stdout.write(f"largest text {large:.2f} s: {verdict} the {TARGET_SECONDS:.0f} s target")

    def _base_text(self, seeds: Path) -> tuple[str, str]:
        text = seed_text(seeds) if seeds.is_dir() else ""
        if text.strip():
            return text, f"seed articles in {seeds}"
        names = sorted(set(NameVariant.objects.values_list("text", flat=True)))
        return synthetic_text(names, 50_000, random.Random(20250621)), "synthetic sentences with the demo names"

    def _time(self, text: str, repeat: int) -> tuple[float, int]:
        runs, count = [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            count = len(marks_in(text, capped=False))
            runs.append(time.perf_counter() - started)
        return statistics.median(runs), count
