from celery import shared_task
from django.utils import timezone

from .imports import cases_import_task  # noqa: F401 - registers the admin import task with workers
from .services import term_endings_digest_prepare


@shared_task(name="prisoners.term_endings_digest", acks_late=True, autoretry_for=(OSError,), retry_backoff=True)
def term_endings_digest_task() -> int:
    """Daily: list who may be due for release soon, for the admin index."""
    return len(term_endings_digest_prepare(today=timezone.localdate()).items)
