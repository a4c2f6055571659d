from django.core.management.base import BaseCommand

from prisoners.demo import load_demo


class Command(BaseCommand):
    help = "Enter the demo data drawn from the five seed articles. Safe to run again: it adds no duplicates."

    def handle(self, *args, **options):
        counts = load_demo()
        self.stdout.write("Demo data loaded: " + ", ".join(f"{label} {count}" for label, count in counts.items()))
