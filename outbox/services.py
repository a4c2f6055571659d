"""Queueing work for Celery without depending on the broker: a transactional outbox.

`outbox_enqueue` saves a row in the caller's transaction, so the work is recorded exactly when
the change that asked for it is. Once that transaction commits the row is handed to Celery at
once; if the broker cannot be reached the row stays unsent (the save itself has already
succeeded) and `outbox_flush`, run by Celery beat every minute, sends it once the broker is back.

Delivery is at least once: a process that dies after the broker took a message but before the
row was marked sent sends it again later. Every task queued this way must be safe to run twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# At most this many messages per flush: a long outage must not turn one run into an hour's work.
FLUSH_LIMIT = 500
# Sent rows are kept this long (to see what was queued when), then deleted by the flush.
SENT_KEPT_FOR = dt.timedelta(days=7)
# How long a request waits for the broker before it leaves the message to the flush.
CONNECT_TIMEOUT = 2.0
LAST_ERROR_MAX = 2000


def outbox_enqueue(task_name: str, *args) -> OutboxMessage:
    """Record a Celery task in the caller's transaction; it is sent once that transaction commits."""
    message = OutboxMessage.objects.create(task_name=task_name, args=list(args))
    # With a broker, nothing going wrong in the send may turn a committed save into an error
    # page: the row is kept and the flush sends it. In process, the task's errors surface as today.
    robust = not current_app.conf.task_always_eager
    transaction.on_commit(partial(outbox_send, message_id=message.pk), robust=robust)
    return message


def outbox_send(*, message_id: int) -> bool:
    """Hand one message to Celery unless it already was; False if it is left for the flush."""
    if current_app.conf.task_always_eager:
        return _run_in_process(message_id)
    try:
        with _broker_connection() as connection:
            return _send(message_id, connection)
    except BrokerUnreachable as error:
        logger.warning("Broker unreachable; outbox message %s is left for the flush: %s", message_id, error)
        _record_error(OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True), error)
        return False


def outbox_flush(*, limit: int = FLUSH_LIMIT) -> int:
    """Send up to `limit` unsent messages, oldest first, stopping at a broker error; returns how many were sent."""
    OutboxMessage.objects.filter(sent_at__lt=timezone.now() - SENT_KEPT_FOR).delete()
    pending = list(OutboxMessage.objects.unsent().values_list("pk", flat=True)[:limit])
    if not pending:
        return 0
    if current_app.conf.task_always_eager:
        return sum(_run_in_process(message_id) for message_id in pending)
    sent = 0
    current = pending[0]
    try:
        with _broker_connection() as connection:
            for current in pending:
                sent += _send(current, connection)
    except BrokerUnreachable as error:
        logger.warning("Broker unreachable; outbox messages wait for the next flush: %s", error)
        _record_error(OutboxMessage.objects.filter(pk=current, sent_at__isnull=True), error)
    return sent


def _broker_connection():
    """A connection to the broker that fails within seconds, not after Celery's default retries."""
    connection = current_app.connection_for_write()
    try:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.5, timeout=CONNECT_TIMEOUT)
    except BaseException:
        connection.release()
        raise
    return connection


def _send(message_id: int, connection) -> bool:
    """Publish one unsent message and mark it sent, in one transaction holding its row.

    The lock makes a second sender (the flush running while a request sends) skip the row, and
    a row already marked sent is never published again. A broker error propagates, the row unsent.
    """
    with transaction.atomic():
        queryset = OutboxMessage.objects.select_for_update(skip_locked=True)
        message = queryset.filter(pk=message_id, sent_at__isnull=True).first()
        if message is None:
            return False
        try:
            task = _task(message.task_name)
        except KeyError as error:
            # Not a broker fault, and sending again would not help; left unsent with its reason.
            logger.error("Outbox message %s names an unknown task %r", message.pk, message.task_name)
            _record_error(OutboxMessage.objects.filter(pk=message.pk), error)
            return False
        # Results of queued work are never read: ignore_result also spares the request a
        # subscription to the result backend, which retries for about 20 s when Redis is down.
        task.apply_async(args=message.args, connection=connection, retry=False, ignore_result=True)
        message.sent_at = timezone.now()
        message.attempts += 1
        message.save(update_fields=["sent_at", "attempts"])
    return True


def _run_in_process(message_id: int) -> bool:
    """Without a broker (CELERY_TASK_ALWAYS_EAGER) the task runs here and now, as `.delay()` would."""
    claimed = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    _task(message.task_name).apply_async(args=message.args)
    return True


def _task(name: str):
    try:
        return current_app.tasks[name]
    except KeyError:
        # A process that has not imported the task's module yet (the web) loads every app's tasks.
        current_app.loader.import_default_modules()
        return current_app.tasks[name]


def _record_error(queryset, error: BaseException) -> None:
    reason = f"{type(error).__name__}: {error}"[:LAST_ERROR_MAX]
    queryset.update(attempts=F("attempts") + 1, last_error=reason)
