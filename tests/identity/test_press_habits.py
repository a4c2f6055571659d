"""Spellings other languages' press gives a name, read by the habits of that language, and no stranger found by them."""

import pytest

from prisoners import identity


def matches(query: str, name: str) -> bool:
    return identity.score_name(identity.query_words(query), identity.name_keys(name)) > 0


@pytest.mark.parametrize(
    ("query", "name"),
    [
        # German: sch is ж as well as ш, z is ц, s is з, and one word may need them all.
        ("Iwan Schdanow", "Иван Жданов"),
        ("Walerij Saluschnyj", "Valerii Zaluzhnyi"),
        ("Ruslana Lyschytschko", "Руслана Лыжичко"),
        ("Wolodymyr Selenskyj", "Volodymyr Zelensky"),
        ("Olexij Resnikow", "Oleksii Reznikov"),
        # French: j is ж, -ine is -ин.
        ("Ivan Jdanov", "Иван Жданов"),
        ("Boris Nadejdine", "Борис Надеждин"),
        # Polish and Łacinka: c is ц before any letter, ć is ць.
        ("Siarhiej Sacuk", "Siarhei Satsuk"),
        ("Ihar Bancar", "Ігар Банцар"),
        ("Jaŭhien Curkin", "Yauhen Tsurkin"),
        ("Iryna Kałyneć", "Iryna Kalynets"),
        # Press short forms of the table: Max and Maks are Maksim.
        ("Max Mirnyi", "Maksim Mirny"),
        ("Maks Levin", "Maksym Levin"),
    ],
)
def test_a_press_spelling_finds_its_person(query, name):
    assert matches(query, name)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        # A given name of two letters before its case ending: Яна in the accusative.
        ("Яну Клочкову", "Yana Klochkova"),
        # A listed woman's name may be a man's genitive in Cyrillic: Руслана is Ruslan's too.
        ("Руслана Стефанчука", "Ruslan Stefanchuk"),
    ],
)
def test_an_inflected_given_name_finds_its_person(query, name):
    assert matches(query, name)


def test_the_name_as_typed_ranks_above_its_inflected_reading():
    candidates = [
        identity.NameCandidate(1, "Руслан Бубка", identity.name_keys("Руслан Бубка")),
        identity.NameCandidate(2, "Руслана Бубка", identity.name_keys("Руслана Бубка")),
    ]
    assert [match.person_id for match in identity.rank_candidates("Руслана Бубка", candidates)] == [2, 1]


def test_a_latin_womans_name_is_never_a_mans_genitive():
    assert not matches("Ruslana Stefanchuk", "Ruslan Stefanchuk")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("Georgy Zhukov", "Yegor Zhukov"),
        ("Vladimir Voinovich", "Andrei Voinich"),
        ("Viktor Goncharenko", "Viktar Hanchar"),
        ("Sergei Kovalev", "Siarhei Kavalenka"),
        ("Olena Zelenska", "Volodymyr Zelensky"),
        ("Alexander Skochilenko", "Alexandra Skochilenko"),
    ],
)
def test_strangers_sharing_a_name_are_not_found(query, name):
    assert not matches(query, name)
