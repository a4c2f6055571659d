"""Public reads go to the read replica, everything else to the primary (casetracker/db_router.py).

The rule is tested here on every run, without a database server. The tests marked
`on_the_real_replica` run against a real PostgreSQL streaming replica and need REPLICA_TEST_URL,
which tests/replica/with_replica.sh sets:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casetracker_replica \\
        tests/replica/with_replica.sh .venv/bin/pytest tests/casetracker/test_replica.py

Without it they skip and say why, unless REPLICA_TESTS_REQUIRED is set (as `.ci/run` does),
which turns the skip into a failure.
"""

import os
import time
import uuid

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.urls import reverse

from casetracker.db_router import PrimaryReplicaRouter, PublicReadMiddleware, public_read, reads_from_replica
from casetracker.settings.databases import PRIMARY, PUBLIC_READ_MIDDLEWARE, REPLICA, ROUTER, databases, routing
from prisoners.models import Person
from prisoners.services import record_save
from tests.prisoners.factories import PersonFactory

REPLICA_TEST_URL = os.environ.get("REPLICA_TEST_URL", "")
# How long a committed write may take to be replayed on the replica before the test gives up.
REPLAY_TIMEOUT_S = 10.0
REPLICA_TESTS_REQUIRED = os.environ.get("REPLICA_TESTS_REQUIRED", "") not in ("", "0")
NO_REPLICA = "REPLICA_TEST_URL is not set: run this under tests/replica/with_replica.sh"
router = PrimaryReplicaRouter()
if REPLICA_TEST_URL:
    on_the_real_replica = pytest.mark.django_db(transaction=True, databases=[PRIMARY, REPLICA])
elif REPLICA_TESTS_REQUIRED:
    on_the_real_replica = pytest.mark.usefixtures("real_replica")  # which fails, saying why
else:
    on_the_real_replica = pytest.mark.skip(reason=NO_REPLICA)  # before any test database is made


def read_during(request, view_body=None) -> str:
    """The database a read of Person goes to while PublicReadMiddleware handles `request`."""
    picked = []

    def view(request):
        if view_body:
            view_body()
        picked.append(router.db_for_read(Person))
        return HttpResponse()

    PublicReadMiddleware(view)(request)
    return picked[0]


# --- The rule, without a database -------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "head"])
def test_a_readers_request_reads_from_the_replica(rf: RequestFactory, method):
    assert read_during(getattr(rf, method)("/prisoners/")) == REPLICA


def test_a_request_with_a_session_reads_from_the_primary(rf: RequestFactory):
    request = rf.get("/prisoners/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "anything"
    assert read_during(request) == PRIMARY


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_request_that_may_write_reads_from_the_primary(rf: RequestFactory, method):
    assert read_during(getattr(rf, method)("/prisoners/")) == PRIMARY


def test_after_its_first_write_a_readers_request_reads_from_the_primary(rf: RequestFactory):
    assert read_during(rf.get("/prisoners/"), view_body=lambda: router.db_for_write(Person)) == PRIMARY


def test_every_write_goes_to_the_primary():
    with public_read():
        assert router.db_for_write(Person) == PRIMARY


def test_reads_outside_a_request_go_to_the_primary():
    """Celery tasks, management commands and the shell never read the replica."""
    assert router.db_for_read(Person) == PRIMARY


def test_a_streamed_body_is_read_from_the_replica_after_the_middleware_has_returned(rf: RequestFactory):
    def body():
        yield router.db_for_read(Person).encode()
        yield router.db_for_read(Person).encode()

    response = PublicReadMiddleware(lambda request: StreamingHttpResponse(body()))(rf.get("/prisoners/export.csv"))
    assert not reads_from_replica()
    assert b"|".join(response.streaming_content) == b"replica|replica"
    assert not reads_from_replica()


def test_a_streamed_body_after_a_write_is_read_from_the_primary(rf: RequestFactory):
    def view(request):
        router.db_for_write(Person)
        return StreamingHttpResponse(router.db_for_read(Person).encode() for _ in range(1))

    response = PublicReadMiddleware(view)(rf.get("/prisoners/export.csv"))
    assert b"".join(response.streaming_content) == b"default"


def test_the_replica_is_never_migrated_and_its_rows_may_relate_to_the_primarys():
    assert router.allow_migrate(REPLICA, "prisoners") is False
    assert router.allow_migrate(PRIMARY, "prisoners") is None
    replica_person, primary_person = Person(), Person()
    replica_person._state.db, primary_person._state.db = REPLICA, PRIMARY
    assert router.allow_relation(replica_person, primary_person)


@pytest.mark.django_db
def test_a_public_read_inside_a_transaction_reads_from_the_primary():
    # Outside one it reads the replica (the tests above); every service is atomic.
    with public_read(), transaction.atomic():
        assert router.db_for_read(Person) == PRIMARY


def test_settings_add_the_replica_with_the_primarys_options_and_mirror_it_in_tests():
    configured = databases("postgres://app@primary/casetracker", "postgres://app@replica/casetracker")
    assert configured[REPLICA]["HOST"] == "replica"
    assert configured[REPLICA]["OPTIONS"] == configured[PRIMARY]["OPTIONS"]
    assert "-c jit=off" in configured[REPLICA]["OPTIONS"]["options"]
    assert configured[REPLICA]["TEST"] == {"MIRROR": PRIMARY}
    assert configured[REPLICA]["CONN_HEALTH_CHECKS"] is True


def test_the_router_and_its_middleware_are_installed_only_with_a_replica():
    middleware = ["django.middleware.security.SecurityMiddleware"]
    assert routing(databases("sqlite:///db.sqlite3"), middleware) == ([], middleware)
    with_replica = databases("postgres://app@primary/casetracker", "postgres://app@replica/casetracker")
    assert routing(with_replica, middleware) == ([ROUTER], [PUBLIC_READ_MIDDLEWARE, *middleware])


# --- Against a real streaming replica ----------------------------------------------------------


def _unavailable(reason: str) -> None:
    """Skip with the reason, or fail with it when REPLICA_TESTS_REQUIRED is set."""
    if REPLICA_TESTS_REQUIRED:
        pytest.fail(f"{reason} (REPLICA_TESTS_REQUIRED is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def real_replica():
    """The "replica" alias, pointed at the real replica's copy of the test database.

    In tests the alias mirrors the primary's test database (settings); the streaming replica
    has that database too, replicated like everything else, so the alias is pointed at it here.
    """
    if not REPLICA_TEST_URL:
        _unavailable(NO_REPLICA)
    primary = connections[PRIMARY]
    if primary.vendor != "postgresql":
        _unavailable("a streaming replica needs DATABASE_URL on PostgreSQL")
    replica = connections[REPLICA]
    mirrored = replica.settings_dict
    address = {key: settings.DATABASES[REPLICA][key] for key in ("HOST", "PORT", "USER", "PASSWORD")}
    replica.close()
    # Still marked as a mirror, so the test case never flushes the (read-only) replica.
    still_a_mirror = {**primary.settings_dict["TEST"], "MIRROR": PRIMARY}
    replica.settings_dict = {**primary.settings_dict, **address, "TEST": still_a_mirror}
    try:
        yield replica
    finally:
        replica.close()
        replica.settings_dict = mirrored


def _one(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def replayed_on_replica() -> float:
    """Wait until the replica has replayed everything the primary has written; returns the seconds it took."""
    target = _one(PRIMARY, "SELECT pg_current_wal_lsn()::text")
    started = time.monotonic()
    while not _one(REPLICA, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]):
        if time.monotonic() - started > REPLAY_TIMEOUT_S:
            pytest.fail(f"the replica did not replay the primary's WAL up to {target} within {REPLAY_TIMEOUT_S} s")
        time.sleep(0.005)  # a bounded poll: replay takes milliseconds here
    return time.monotonic() - started


class QueriesByDatabase:
    """The SQL run on each alias while the block runs."""

    def __init__(self):
        self.sql = {PRIMARY: [], REPLICA: []}

    def __enter__(self):
        self._wrappers = [connections[alias].execute_wrapper(self._recorder(alias)) for alias in self.sql]
        for wrapper in self._wrappers:
            wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        for wrapper in reversed(self._wrappers):
            wrapper.__exit__(*exc)

    def _recorder(self, alias):
        def record(execute, sql, params, many, context):
            self.sql[alias].append(sql)
            return execute(sql, params, many, context)

        return record


# Two tests, each a story: every transactional test empties all tables after it, which is the
# slow part of this module on a busy machine.


@on_the_real_replica
def test_an_edit_saved_through_the_app_reaches_readers_from_the_replica_once_replayed(real_replica, client, editor):
    person = PersonFactory(display_name="Before the edit")
    person.display_name = f"Replicated {uuid.uuid4().hex[:8]}"
    record_save(acting_user=editor, obj=person, reason="replica test")

    assert _one(PRIMARY, "SELECT pg_is_in_recovery()") is False
    assert _one(REPLICA, "SELECT pg_is_in_recovery()") is True
    assert Person.objects.using(PRIMARY).get(pk=person.pk).display_name == person.display_name
    lag = replayed_on_replica()
    print(f"replica replayed the write's WAL {lag * 1000:.1f} ms after the commit")
    assert Person.objects.using(REPLICA).get(pk=person.pk).display_name == person.display_name

    with QueriesByDatabase() as queries:
        page = client.get(person.get_absolute_url())
        listing = client.get(reverse("prisoners:person_list"))
        download = client.get(reverse("prisoners:person_list_csv"))
        csv = b"".join(download.streaming_content).decode()

    assert page.status_code == listing.status_code == download.status_code == 200
    assert person.display_name in page.content.decode()
    assert person.display_name in listing.content.decode()
    assert person.display_name in csv
    assert queries.sql[REPLICA]
    assert queries.sql[PRIMARY] == []


@on_the_real_replica
def test_staff_and_a_request_that_wrote_read_from_the_primary(real_replica, client, editor):
    person = PersonFactory(display_name="Before the edit")
    client.force_login(editor)
    replayed_on_replica()

    with QueriesByDatabase() as staff:
        assert client.get(person.get_absolute_url()).status_code == 200
        assert client.get(reverse("admin:prisoners_person_changelist")).status_code == 200
    with public_read():
        assert router.db_for_read(Person) == REPLICA
        person.display_name = "After the edit"
        record_save(acting_user=editor, obj=person, reason="replica test")
        with QueriesByDatabase() as after_the_write:
            reread = Person.objects.get(pk=person.pk)

    assert staff.sql[PRIMARY] and staff.sql[REPLICA] == []
    assert reread.display_name == "After the edit"
    assert after_the_write.sql[PRIMARY] and after_the_write.sql[REPLICA] == []
