"""The app's PostgreSQL connections run with JIT off and the trigram threshold name search counts on."""

import pytest
from django.db import connection

from casetracker.settings.databases import PRIMARY, TRIGRAM_WORD_SIMILARITY, databases

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(f"JIT and pg_trgm are PostgreSQL settings; this run is on {connection.vendor}")


def show(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def test_a_connection_has_jit_off(postgresql):
    assert show("jit") == "off"


def test_a_connection_has_the_trigram_threshold_of_settings(postgresql):
    assert float(show("pg_trgm.word_similarity_threshold")) == TRIGRAM_WORD_SIMILARITY


def test_sqlite_gets_no_postgresql_options():
    assert "options" not in databases("sqlite:///db.sqlite3")[PRIMARY].get("OPTIONS", {})
