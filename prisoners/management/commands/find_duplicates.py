from django.core.management.base import BaseCommand

from prisoners.services import DUPLICATE_THRESHOLD, likely_duplicate_pairs


class Command(BaseCommand):
    help = "List pairs of people who are probably the same person under different spellings."

    def add_arguments(self, parser):
        parser.add_argument("--threshold", type=float, default=DUPLICATE_THRESHOLD, help="0–100, default %(default)s")

    def handle(self, *args, threshold, **options):
        pairs = likely_duplicate_pairs(threshold=threshold)
        for pair in pairs:
            self.stdout.write(
                f"{pair.score:6.1f}  #{pair.first.pk} {pair.first.display_name} ({pair.first_name})"
                f"  <->  #{pair.second.pk} {pair.second.display_name} ({pair.second_name})"
            )
        self.stdout.write(f"{len(pairs)} likely duplicate pair(s) at score >= {threshold:g}.")
