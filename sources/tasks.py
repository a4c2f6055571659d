"""Slow and external work on sources, run by Celery workers (in-process without a broker)."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError, transaction

from outbox.services import outbox_enqueue

from .archive import source_check_link, source_fetch
from .documents import document_process
from .models import Document, Source

logger = logging.getLogger(__name__)


@shared_task(
    name="sources.source_fetch",
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def source_fetch_task(self, source_id: int) -> str:
    """Fetch and archive one source; network trouble is retried with backoff, then left as a failure.

    Retries happen on a real worker only. Run in-process (no broker: `make run`, or "fetch
    again"), self.retry() would raise Retry into the request and answer it with a 500; there
    the failure already on the source is the answer, and "fetch again" the retry.
    """
    outcome = source_fetch(source_id=source_id)
    retries = getattr(settings, "SOURCE_FETCH_RETRIES", 3)
    on_worker = not (self.request.is_eager or self.request.called_directly)
    if outcome.transient and on_worker and self.request.retries < retries:
        raise self.retry(countdown=min(60 * 2**self.request.retries, 3600), max_retries=retries)
    return outcome.source.fetch_state


@shared_task(
    name="sources.source_check_link",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def source_check_link_task(source_id: int) -> bool:
    return source_check_link(source_id=source_id).link_is_dead


@shared_task(name="sources.check_all_links", acks_late=True)
def check_all_links_task() -> int:
    """Weekly: queue a link check for every source with a URL that supports a public fact.

    Only those: checking the others would tell each site, from this server, which of its
    pages the researchers keep but have not published.
    """
    ids = list(Source.objects.public().exclude(url="").values_list("pk", flat=True))
    # Through the outbox, in one transaction: a Redis blip halfway loses no check, it is sent later.
    with transaction.atomic():
        for source_id in ids:
            outbox_enqueue(source_check_link_task.name, source_id)
    return len(ids)


@shared_task(
    name="sources.document_process",
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def document_process_task(self, document_id: int) -> str | None:
    """Measure, hash, read and thumbnail one document; storage errors are retried with backoff."""
    try:
        document = document_process(document_id=document_id)
    except Document.DoesNotExist:
        # Deleted before its turn came: nothing to do, and retrying would not bring it back.
        logger.info("Document %s no longer exists; not processed", document_id)
        return None
    return document.sha256
