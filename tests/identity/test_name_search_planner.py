"""On PostgreSQL, name search's candidates are read from the trigram index, not by comparing every variant."""

import pytest
from django.db import connection

from prisoners.models import NameVariant
from tests.prisoners.factories import PersonFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner settings are PostgreSQL's"),
]


def one_value(sql: str, *params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_the_name_table_is_never_scanned_by_parallel_workers():
    options = one_value("SELECT reloptions FROM pg_class WHERE relname = %s", "prisoners_namevariant")
    assert "parallel_workers=0" in (options or []), options


def test_a_trigram_word_comparison_is_priced_as_what_it_costs():
    cost = one_value("SELECT procost FROM pg_proc WHERE proname = %s", "word_similarity_commutator_op")
    assert cost >= 100


SYLLABLES = ["ka", "le", "sni", "ba", "ra", "tso", "vich", "mu", "dze", "ho"]


@pytest.fixture
def many_names(db):
    """A name table big enough for costs to matter: the planner reads the sizes from the statistics.

    Written in bulk, not through the write path: only the table's size and spread matter here.
    Variant n is keyed by n's four digits read as syllables ("0123" is "kalesniba").
    """
    person = PersonFactory(display_name="Tatsiana Filipchyk")
    NameVariant.objects.bulk_create(
        NameVariant(person=person, text=str(number), normalized="".join(SYLLABLES[int(d)] for d in f"{number:04}"))
        for number in range(5000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE prisoners_namevariant")


def test_with_the_index_cheaper_than_a_scan_the_fuzzy_candidates_come_from_it(many_names):
    plan = NameVariant.objects.order_by().candidates_for(("falaphak",)).explain()
    assert "prisoners_namevariant_normalized_trgm" in plan, plan


def test_the_exact_spellings_come_from_the_key_words_index(many_names):
    exact = NameVariant.objects.order_by().candidates_for(("falaphak", "kalesniba"), exact=True)
    assert "prisoners_namevariant_key_words" in exact.explain()
    assert set(exact.values_list("text", flat=True)) == {"Tatsiana Filipchyk", "123"}  # "kalesniba" is 0123
