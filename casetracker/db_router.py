"""Which database a query goes to: the primary, or the read replica for what readers ask.

With DATABASE_REPLICA_URL set, settings add the alias "replica" (a PostgreSQL hot standby that
streams the primary's WAL) and install `PrimaryReplicaRouter` and `PublicReadMiddleware`. The
rule, in full:

- A read goes to the replica only during a *public read*: a GET or HEAD request that carries
  no session cookie (anonymous readers never get one; every logged-in user, so all staff, has
  one), including the body of its streamed response (the CSV and JSON downloads), and only
  while that request has written nothing and is outside any transaction.
- Every other read goes to the primary: staff in the admin, the intake and the CSV import, any
  POST, a request after its first write, anything inside `transaction.atomic()` (so every
  service), Celery tasks, management commands and the shell.
- Every write goes to the primary.

Reads have to opt in because a replica lags (milliseconds here, more under load): a reader
who sees a correction a moment late loses nothing, but an editor shown the old value after a
save, or a task queued on commit that finds no row on the replica yet, would be wrong. None
of those is a public read. Being pinned to the primary is the default, so read-your-writes
needs no bookkeeping beyond "a write ends the public read". The admin, sessions and logins
never read a replica, so a logout or a lockout takes effect at once.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections
from django.http import FileResponse

from casetracker.settings.databases import PRIMARY, REPLICA

_public_read: ContextVar[bool] = ContextVar("casetracker_public_read", default=False)


@contextmanager
def public_read():
    """Let reads in this block go to the replica (until something writes)."""
    token = _public_read.set(True)
    try:
        yield
    finally:
        _public_read.reset(token)


def reads_from_replica() -> bool:
    """Whether a read now may go to the replica."""
    return _public_read.get() and not connections[PRIMARY].in_atomic_block


def is_public_read(request) -> bool:
    """A reader's request: only reads, and no session (so no one logged in)."""
    return request.method in ("GET", "HEAD") and settings.SESSION_COOKIE_NAME not in request.COOKIES


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        # Explicitly the primary otherwise, never "no opinion": Django would then read related
        # rows from wherever their instance came from, which may be the replica.
        return REPLICA if reads_from_replica() else PRIMARY

    def db_for_write(self, model, **hints):
        # Read-your-writes: what this request reads after a write comes from the primary.
        _public_read.set(False)
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows, so an object read from one may point at the other's.
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}

    def allow_migrate(self, db, app_label, **hints):
        # A standby replays the primary's migrations; it cannot run its own.
        return False if db == REPLICA else None


def _chunks_as_public_read(chunks) -> Iterator[bytes]:
    # The server iterates a streamed body after the view and the middleware have returned: each
    # chunk is made inside its own public read, so nothing stays set between chunks.
    chunks = iter(chunks)
    while True:
        with public_read():
            try:
                chunk = next(chunks)
            except StopIteration:
                return
        yield chunk


class PublicReadMiddleware:
    """Marks a reader's request as a public read, so its reads may go to the replica."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_public_read(request):
            return self.get_response(request)
        with public_read():
            response = self.get_response(request)
            unwritten = _public_read.get()
        # A file is read from storage, not the database; an async body is not ours to wrap.
        streamed = response.streaming and not response.is_async and not isinstance(response, FileResponse)
        if streamed and unwritten:
            response.streaming_content = _chunks_as_public_read(response.streaming_content)
        return response
