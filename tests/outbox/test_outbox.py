"""The outbox: queued work is a row saved with the change, sent once, whether or not the broker is up."""

import contextlib
import datetime as dt
import threading

import pytest
from celery import shared_task
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from casetracker.celery import app
from outbox.models import OutboxMessage
from outbox.services import SENT_KEPT_FOR, outbox_enqueue, outbox_flush, outbox_send
from outbox.tasks import outbox_flush_task
from sources.intake import source_create_from_intake
from sources.models import FetchState, Source
from sources.tasks import source_fetch_task

# Nothing listens here: connections are refused at once.
UNREACHABLE_BROKER = "redis://127.0.0.1:9/0"
RUNS = []


@shared_task(name="tests.outbox.record")
def record_task(*args):
    """A test-only task: each run is appended to RUNS."""
    RUNS.append(args)


@pytest.fixture(autouse=True)
def fresh_runs():
    RUNS.clear()


@contextlib.contextmanager
def eager(value: bool):
    """Celery's lazily loaded conf cannot be restored by monkeypatch, hence the finally."""
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = value
    try:
        yield
    finally:
        app.conf.task_always_eager = was_eager


@pytest.fixture
def unreachable_broker(monkeypatch):
    """A broker URL nothing answers on, whatever CELERY_BROKER_URL says (this variable wins over it)."""
    monkeypatch.setenv("CELERY_BROKER_WRITE_URL", UNREACHABLE_BROKER)
    with eager(False):
        yield


class Broker:
    """A broker stand-in that takes messages for record_task, or refuses them while down."""

    def __init__(self):
        self.down = False
        self.published = []

    def connection(self):
        if self.down:
            raise BrokerUnreachable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return contextlib.nullcontext(object())

    def apply_async(self, args=None, **options):
        if self.down:
            raise BrokerUnreachable("Connection refused.")
        self.published.append(tuple(args))


@pytest.fixture
def broker(monkeypatch):
    fake = Broker()
    monkeypatch.setattr("outbox.services._broker_connection", fake.connection)
    monkeypatch.setattr(record_task, "apply_async", fake.apply_async)
    with eager(False):
        yield fake


@pytest.mark.django_db
def test_a_save_while_the_broker_is_unreachable_keeps_the_source_and_its_queued_fetch(
    researcher, unreachable_broker, django_capture_on_commit_callbacks
):
    started = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        source = source_create_from_intake(acting_user=researcher, url="https://news.example.org/a", title="Kept")
    source = Source.objects.get(pk=source.pk)
    message = OutboxMessage.objects.get()
    assert (source.title, source.fetch_state) == ("Kept", FetchState.QUEUED)
    assert (message.task_name, message.args, message.sent_at) == (source_fetch_task.name, [source.pk], None)
    assert message.attempts == 1 and "OperationalError" in message.last_error
    # Refused at once, not after Celery's publish retries and result-backend reconnects (about 20 s).
    assert timezone.now() - started < dt.timedelta(seconds=5)


@pytest.mark.django_db
def test_the_flush_sends_what_waited_for_the_broker_once_it_is_back(broker, django_capture_on_commit_callbacks):
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox_enqueue(record_task.name, 1)
        second = outbox_enqueue(record_task.name, 2)
    assert broker.published == [] and OutboxMessage.objects.unsent().count() == 2
    assert outbox_flush() == 0  # still down: nothing is lost, nothing sent

    broker.down = False
    assert outbox_flush() == 2
    assert broker.published == [(1,), (2,)]  # oldest first
    assert outbox_flush() == 0 and outbox_flush_task.apply().get() == 0
    assert broker.published == [(1,), (2,)]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.sent_at is not None and second.sent_at is not None
    # Refused on commit, each; the flush stops at its first refusal, recorded on that message.
    assert (first.attempts, second.attempts) == (3, 2)


@pytest.mark.django_db
def test_the_flush_is_bounded_per_run(broker):
    OutboxMessage.objects.bulk_create(OutboxMessage(task_name=record_task.name, args=[n]) for n in range(5))
    assert outbox_flush(limit=3) == 3
    assert outbox_flush(limit=3) == 2
    assert sorted(broker.published) == [(n,) for n in range(5)]


@pytest.mark.django_db
def test_a_message_is_sent_at_once_on_commit_and_never_again(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_enqueue(record_task.name, "job")
    assert broker.published == [("job",)]
    assert outbox_send(message_id=message.pk) is False
    assert outbox_flush() == 0
    assert broker.published == [("job",)]


@pytest.mark.django_db
def test_nothing_is_recorded_or_sent_when_the_change_is_rolled_back(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), contextlib.suppress(RuntimeError), transaction.atomic():
        outbox_enqueue(record_task.name, "never")
        raise RuntimeError("the save failed")
    assert not OutboxMessage.objects.exists() and broker.published == []


@pytest.mark.django_db
def test_without_a_broker_the_task_runs_in_process_once(django_capture_on_commit_callbacks):
    with eager(True):
        with django_capture_on_commit_callbacks(execute=True):
            message = outbox_enqueue(record_task.name, "here")
        assert RUNS == [("here",)]
        assert outbox_send(message_id=message.pk) is False and outbox_flush() == 0
    assert RUNS == [("here",)]
    message.refresh_from_db()
    assert message.sent_at is not None


@pytest.mark.django_db
def test_an_unknown_task_is_left_unsent_with_its_reason_and_does_not_block_the_rest(broker):
    unknown = OutboxMessage.objects.create(task_name="tests.outbox.no_such_task", args=[])
    OutboxMessage.objects.create(task_name=record_task.name, args=["after"])
    assert outbox_flush() == 1
    unknown.refresh_from_db()
    assert unknown.sent_at is None and "no_such_task" in unknown.last_error
    assert broker.published == [("after",)]


@pytest.mark.django_db
def test_the_flush_deletes_sent_messages_after_a_week(broker):
    now = timezone.now()
    old = OutboxMessage.objects.create(task_name=record_task.name, sent_at=now - SENT_KEPT_FOR - dt.timedelta(hours=1))
    recent = OutboxMessage.objects.create(task_name=record_task.name, sent_at=now - dt.timedelta(days=1))
    outbox_flush()
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_message_another_sender_holds_is_skipped_not_sent_twice(broker):
    """While one sender holds a row (publishing it), a second one passes it by."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks; the PostgreSQL pass runs this")
    message = OutboxMessage.objects.create(task_name=record_task.name, args=["once"])
    locked, release = threading.Event(), threading.Event()

    def first_sender():
        try:
            with transaction.atomic():
                OutboxMessage.objects.select_for_update().get(pk=message.pk)
                locked.set()
                release.wait(10)
                OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now())
        finally:
            connection.close()

    thread = threading.Thread(target=first_sender)
    thread.start()
    try:
        assert locked.wait(10)
        assert outbox_flush() == 0 and outbox_send(message_id=message.pk) is False
    finally:
        release.set()
        thread.join(10)
    assert outbox_flush() == 0
    assert broker.published == []
