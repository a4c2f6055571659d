"""The CSV import checks and writes in batches: its queries do not grow with the rows, only with the batches."""

import sqlite3

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prisoners import imports
from prisoners.imports import cases_file_check, cases_file_import, rows_likely_recorded
from prisoners.models import Person
from prisoners.roles import SYSTEM
from tests.prisoners.factories import LegalArticleFactory, PersonFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "external_id,name,name_variants,birth_date,gender,region,status,detained_on,released_on,release_type,"
    "articles,sentence,public,private_notes,source_url,source_title,quote"
)


@pytest.fixture
def articles(db):
    for article, part in [("342", ""), ("130", ""), ("293", "1")]:
        LegalArticleFactory(article=article, part=part, title=f"Offence {article}")


@pytest.fixture(autouse=True)
def sqlite_takes_what_it_can(db, monkeypatch):
    """Django cuts an insert into several at SQLite's old default of 999 parameters (24 people a
    statement); this SQLite takes far more. With its real limit an insert is one statement, as on
    PostgreSQL, so what is counted below is the import's own queries."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        monkeypatch.setattr(connection.features, "max_query_params", limit)


@pytest.fixture
def warm(articles, editor):
    """The caches a first import fills (content types, the user's permissions), filled."""
    cases_file_import(acting_user=editor, data=uniform_file(1, "warm"))


def uniform_file(count: int, prefix: str, *, surname: str = "Kavalenka") -> bytes:
    """`count` rows alike in every column that decides what is written: the same queries for each."""
    rows = [
        f"{prefix}-{number},Ales {surname} {prefix}{number},Алесь {prefix}{number};Алесь Коваленко {prefix}{number},"
        f"1962-09-25,male,minsk,imprisoned,14.07.2021,2025-06-21,pardon,342;293.1,10y,yes,Lawyer visits,"
        f"https://news.example.org/{prefix}/{number},Verdict {number},sentenced to 10 years"
        for number in range(1, count + 1)
    ]
    return "\n".join([HEADER, *rows, ""]).encode()


def queries_of(function, **kwargs) -> int:
    with CaptureQueriesContext(connection) as captured:
        function(**kwargs)
    return len(captured)


def test_importing_fifty_new_people_takes_as_many_queries_as_ten(warm, editor, django_assert_num_queries):
    ten = queries_of(cases_file_import, acting_user=editor, data=uniform_file(10, "a"))

    # Fixed per batch: the checks, then per kind of record one insert and one of its history rows,
    # the status refresh of the batch's people, and publishing them.
    with django_assert_num_queries(ten):
        cases_file_import(acting_user=editor, data=uniform_file(50, "b"))

    assert Person.objects.count() == 61
    assert Person.objects.public().count() == 61


def test_reimporting_fifty_people_takes_as_many_queries_as_ten(warm, django_assert_num_queries):
    cases_file_import(acting_user=SYSTEM, data=uniform_file(10, "a"))
    cases_file_import(acting_user=SYSTEM, data=uniform_file(50, "b"))
    ten = queries_of(cases_file_import, acting_user=SYSTEM, data=uniform_file(10, "a"))

    # What the batch's people already have is read once per kind of fact; nothing is written again.
    with django_assert_num_queries(ten):
        cases_file_import(acting_user=SYSTEM, data=uniform_file(50, "b"))


def test_checking_fifty_rows_takes_as_many_queries_as_ten(warm, editor, django_assert_num_queries):
    cases_file_import(acting_user=SYSTEM, data=uniform_file(5, "a"))  # some rows update, some create
    ten = queries_of(cases_file_check, acting_user=editor, data=uniform_file(10, "a"))

    with django_assert_num_queries(ten):
        cases_file_check(acting_user=editor, data=uniform_file(50, "a"))


def test_the_preview_looks_up_the_names_of_fifty_rows_in_as_many_queries_as_ten(articles, django_assert_num_queries):
    recorded = PersonFactory(display_name="Ales Kavalenka a1")
    ten_rows = cases_file_check(acting_user=SYSTEM, data=uniform_file(10, "a")).rows
    fifty_rows = cases_file_check(acting_user=SYSTEM, data=uniform_file(50, "a")).rows
    ten = queries_of(rows_likely_recorded, rows=ten_rows)

    # One candidates query for all the names, one for the people found.
    with django_assert_num_queries(ten):
        flagged = rows_likely_recorded(fifty_rows)

    assert ten == 2
    # Numbers are not names: every "Ales Kavalenka aN" may be the one recorded.
    assert [row.line for row, _people in flagged] == list(range(2, 52))
    assert {duplicate.person for _row, people in flagged for duplicate in people} == {recorded}


def test_the_queries_grow_by_a_fixed_number_per_batch(warm, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 10)

    one = queries_of(cases_file_import, acting_user=SYSTEM, data=uniform_file(10, "a"))
    two = queries_of(cases_file_import, acting_user=SYSTEM, data=uniform_file(20, "b"))
    three = queries_of(cases_file_import, acting_user=SYSTEM, data=uniform_file(30, "c"))

    assert three - two == two - one > 0
    assert Person.objects.count() == 61
