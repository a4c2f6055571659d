"""The given-name table: every row's forms reach that row's key, and no two rows share a form unless on purpose."""

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from prisoners import identity
from prisoners.data import romanisation

DATA = Path(identity.__file__).with_name("data")
ROWS = identity.read_given_names()
BY_ID = {row["id"]: row for row in ROWS}


def documented_shared_forms() -> dict[str, frozenset[str]]:
    """The spellings given_names_shared.csv lists, with the rows each stands for."""
    with (DATA / "given_names_shared.csv").open(encoding="utf-8", newline="") as handle:
        entries = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    shared = {}
    for entry in entries:
        ids = frozenset(entry["ids"].split("|"))
        forms = [entry["form"]]
        if any("\u0400" <= letter <= "\u04ff" for letter in entry["form"]):
            gender = BY_ID[next(iter(ids))]["gender"]
            for language in ("be", "ru", "uk"):
                forms += romanisation.romanisations({language: [entry["form"]]}, gender)
        for form in forms:
            shared[identity.spelling_of(form)] = ids
    return shared


def test_the_table_holds_at_least_300_names_of_men_and_women():
    genders = [row["gender"] for row in ROWS]
    assert len(ROWS) >= 300
    assert genders.count("m") >= 140 and genders.count("f") >= 140
    assert set(genders) == {"m", "f"}
    assert all(row["be"] and row["ru"] and row["uk"] for row in ROWS)


def test_row_ids_are_unique_plain_keys():
    ids = [row["id"] for row in ROWS]
    assert len(ids) == len(set(ids))
    assert all(row_id.isascii() and row_id.isalpha() and row_id.islower() for row_id in ids)


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_every_form_of_a_row_reaches_its_key(row):
    names = identity.given_names()
    for form in identity.table_forms(row):
        key = identity.word_key(form)
        assert row["id"] in names.rows_of.get(key, ()), f"{form!r} keys to {key!r}, not to {row['id']!r}"


def test_no_two_rows_share_a_form_unless_the_sharing_is_documented():
    rows_of_spelling = defaultdict(set)
    for row in ROWS:
        for form in identity.table_forms(row):
            rows_of_spelling[identity.spelling_of(form)].add(row["id"])
    collisions = {spelling: frozenset(ids) for spelling, ids in rows_of_spelling.items() if len(ids) > 1}
    documented = documented_shared_forms()
    undocumented = {spelling: sorted(ids) for spelling, ids in collisions.items() if documented.get(spelling) != ids}
    assert not undocumented, "forms of two names: document them in given_names_shared.csv or list them in `not`"
    # And nothing documented is stale: each entry is a form the table does give to those rows.
    assert {documented[spelling] for spelling in collisions} == set(documented.values())


def test_a_row_id_is_never_a_shared_form():
    shared = {key for key, rows in identity.given_names().rows_of.items() if len(rows) > 1}
    assert not shared & set(BY_ID)


def test_the_romanisations_are_what_the_systems_make_of_the_cyrillic():
    stale = [row["id"] for row in ROWS if row["romanised"].split("|") != romanisation.row_romanisations(row)]
    assert not stale, "run python -m prisoners.data.romanisation"


def test_the_table_is_read_once():
    assert identity.given_names() is identity.given_names()


@pytest.mark.parametrize(
    ("forms", "row_id"),
    [
        (["Uladzimir", "Vladimir", "Volodymyr", "Włodzimierz", "Уладзімір", "Владимир", "Вова"], "uladzimir"),
        (["Dzmitry", "Dmitri", "Dmytro", "Zmitser", "Zmicier", "Зміцер", "Dima"], "dzmitry"),
        (["Kanstantsin", "Konstantin", "Kostiantyn", "Kastus", "Kastuś", "Кастусь"], "kanstantsin"),
        (["Yauhen", "Yevgeny", "Evgeny", "Yevhen", "Eugene", "Jewgeni", "Evgueni", "Eugeniusz"], "yauhen"),
        (["Katsiaryna", "Ekaterina", "Yekaterina", "Kateryna", "Katarzyna", "Katsia", "Katya"], "katsiaryna"),
        (["Ryhor", "Grigory", "Hryhorii", "Grzegorz"], "ryhor"),
        (["Natallia", "Natalia", "Natalya", "Nataliia", "Natasha"], "natallia"),
        (["Anastasiya", "Nastassia", "Nasta", "Nastya", "Anastazja"], "anastasiya"),
    ],
)
def test_forms_in_every_language_and_the_press_diminutives_are_one_name(forms, row_id):
    assert {identity.word_key(form) for form in forms} == {row_id}


def test_a_shared_diminutive_stands_for_both_names_but_only_weakly():
    sasha = identity.word_key("Sasha")
    assert identity.given_names().rows_of[sasha] == {"aliaksandr", "aliaksandra"}
    assert identity.word_key("Lesia") in identity.given_names().rows_of
    matched = identity.score_name(identity.query_words("Sasha Ivanou"), identity.name_keys("Aliaksandr Ivanou"))
    assert identity.WORD_THRESHOLD <= matched < 95


@pytest.mark.parametrize(
    ("first", "second"),
    [("Alina", "Alena"), ("Yulia", "Ilya"), ("Anna", "Inna"), ("Maryna", "Mariana"), ("Iryna", "Aryna")],
)
def test_two_names_never_match_however_alike_their_spellings(first, second):
    assert identity.score_name(identity.query_words(f"{first} Dulina"), identity.name_keys(f"{second} Dulina")) == 0


def test_an_unlisted_spelling_of_one_name_still_finds_it():
    assert identity.word_key("Siargiej") == "siarhei"
