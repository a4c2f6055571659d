"""Tables that are written on every edit carry only the indexes something reads.

History tables are read record by record (their admin page, a revert), so they are indexed by
the record's id and by simple_history's date and user alone; no CharField keeps PostgreSQL's
second, LIKE-only index unless a query asks for a prefix (the person's slug does).
"""

import pytest
from django.apps import apps
from django.db import connection

HISTORY_INDEXED = {"id", "history_id", "history_date", "history_user"}


def historical_models():
    return [model for model in apps.get_models() if model.__name__.startswith("Historical")]


def test_every_history_table_is_indexed_by_record_id_date_and_user_only():
    assert len(historical_models()) >= 15
    for model in historical_models():
        indexed = {field.name for field in model._meta.concrete_fields if field.db_index or field.primary_key}
        assert indexed == HISTORY_INDEXED, (model.__name__, indexed)
        assert not model._meta.indexes, model.__name__


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL adds varchar_pattern_ops indexes")
def test_no_pattern_index_but_the_slugs():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index JOIN pg_class ON pg_class.oid = indrelid "
            "WHERE relname LIKE 'prisoners\\_%%' OR relname LIKE 'sources\\_%%'"
        )
        pattern = [name for (name,) in cursor.fetchall() if name.endswith("_like")]
    assert pattern, "the slug's LIKE index (a slug's suffix is found by prefix) is missing"
    # A snapshot's hash is written once per fetch: its LIKE index costs too little to migrate.
    assert all("slug" in name or "snapshot_sha256" in name for name in pattern), pattern


def test_a_persons_birth_date_bounds_are_not_indexed_but_the_facts_dates_are():
    from prisoners.models import Person, StatusEvent

    assert not any(Person._meta.get_field(name).db_index for name in ("birth_date_earliest", "birth_date_latest"))
    assert all(StatusEvent._meta.get_field(name).db_index for name in ("date_earliest", "date_latest"))
