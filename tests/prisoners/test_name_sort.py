"""The list's name sort: family name first, in the reader's script and alphabet (prisoners.collation)."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from prisoners.collation import family_name_first, name_sort_key, sort_key_field
from prisoners.models import Person
from tests.prisoners.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "family", "rest"),
    [
        ("Maryia Kalesnikava", "Kalesnikava", "Maryia"),
        ("Сяргей Ціханоўскі", "Ціханоўскі", "Сяргей"),
        ("Акіхіра Гаеўскі-Ханада", "Гаеўскі-Ханада", "Акіхіра"),
        ("Мария Александровна Колесникова", "Колесникова", "Мария Александровна"),
        ("Колесникова Мария Александровна", "Колесникова", "Мария Александровна"),
        ("Kalesnikava, Maryia", "Kalesnikava", "Maryia"),
        ("  Ales   Bialiatski ", "Bialiatski", "Ales"),
        ("Madonna", "Madonna", ""),
    ],
)
def test_the_family_name_is_found_in_the_forms_the_records_use(name, family, rest):
    assert family_name_first(name) == (family, rest)


def by_key(names: list[str], language: str) -> list[str]:
    return sorted(names, key=lambda name: name_sort_key(name, language))


def test_belarusian_order_puts_i_after_z_and_short_u_after_u():
    # Codepoint order would put І and Ў after Я; the Belarusian alphabet does not.
    names = ["Вера Ўсава", "Алесь Іваноў", "Ян Ярош", "Ганна Усава", "Ілля Зайцаў", "Пётр Йодка", "Зміцер Уфімцаў"]
    assert by_key(names, "be") == [
        "Ілля Зайцаў",
        "Алесь Іваноў",
        "Пётр Йодка",
        "Ганна Усава",
        "Зміцер Уфімцаў",
        "Вера Ўсава",
        "Ян Ярош",
    ]


def test_yo_sorts_as_ye_in_belarusian_and_russian():
    assert by_key(["Ян Ёлкін", "Андрэй Ежоў", "Ірына Ерш"], "be") == ["Андрэй Ежоў", "Ян Ёлкін", "Ірына Ерш"]
    assert by_key(["Ян Ёлкин", "Андрей Ежов", "Ирина Ерш"], "ru") == ["Андрей Ежов", "Ян Ёлкин", "Ирина Ерш"]


def test_a_shorter_family_name_comes_first_whatever_the_given_names():
    assert by_key(["Ales Zhukau", "Ihar Zhuk", "Yan Zhuk-Bely"], "en") == ["Ihar Zhuk", "Yan Zhuk-Bely", "Ales Zhukau"]


def test_case_and_accents_do_not_change_the_order():
    assert name_sort_key("ales BIALIATSKI", "en") == name_sort_key("Aleś Bialiatski", "en")
    assert by_key(["Zoja Čyž", "Anna Cyhan", "Ola Dubko"], "en") == ["Anna Cyhan", "Zoja Čyž", "Ola Dubko"]


def test_latin_letters_in_a_cyrillic_name_come_after_the_alphabet():
    assert by_key(["John Smith", "Алесь Яўменаў"], "be") == ["Алесь Яўменаў", "John Smith"]


def test_the_key_is_digits_so_every_database_collation_sorts_it_alike():
    assert name_sort_key("Сяргей Ціханоўскі", "be").isdigit()
    assert name_sort_key("Akihiro Haievski-Khanada", "en").isdigit()


def test_saving_a_person_stores_a_key_per_language():
    person = PersonFactory(
        display_name="Siarhei Tsikhanouski", name_be="Сяргей Ціханоўскі", name_ru="Сергей Тихановский"
    )
    assert person.sort_key_latin == name_sort_key("Siarhei Tsikhanouski", "en")
    assert person.sort_key_be == name_sort_key("Сяргей Ціханоўскі", "be")
    assert person.sort_key_ru == name_sort_key("Сергей Тихановский", "ru")


def test_a_missing_name_falls_back_as_the_page_shows_it():
    person = PersonFactory(display_name="Anatol Kotau", name_be="", name_ru="Анатоль Котов")
    assert person.sort_key_be == name_sort_key("Anatol Kotau", "be")
    assert person.sort_key_ru == name_sort_key("Анатоль Котов", "ru")


def test_a_partial_save_of_the_names_saves_the_keys_too():
    person = PersonFactory(display_name="Ales Bialiatski")
    person.name_ru = "Алесь Беляцкий"
    person.save(update_fields=["name_ru"])
    person.refresh_from_db()
    assert person.sort_key_ru == name_sort_key("Алесь Беляцкий", "ru")


def test_the_migration_fills_the_keys_of_existing_people():
    person = PersonFactory(display_name="Viktar Babaryka", name_be="Віктар Бабарыка", name_ru="Виктор Бабарико")
    Person.objects.update(sort_key_latin="", sort_key_be="", sort_key_ru="")
    migration = importlib.import_module("prisoners.migrations.0010_legal_article_titles")
    migration.fill_sort_keys(apps, schema_editor=None)
    person.refresh_from_db()
    assert (person.sort_key_latin, person.sort_key_be, person.sort_key_ru) == (
        name_sort_key("Viktar Babaryka", "en"),
        name_sort_key("Віктар Бабарыка", "be"),
        name_sort_key("Виктор Бабарико", "ru"),
    )


def test_each_language_sorts_by_its_own_key():
    assert sort_key_field("be") == "sort_key_be"
    assert sort_key_field("ru") == "sort_key_ru"
    assert sort_key_field("en") == sort_key_field("pl") == sort_key_field(None) == "sort_key_latin"


@pytest.fixture
def people():
    # Latin, Belarusian and Russian spellings order these three differently.
    for latin, belarusian, russian in (
        ("Natallia Dulina", "Наталля Дуліна", "Наталья Дулина"),
        ("Akihiro Haievski", "Акіхіра Гаеўскі", "Акихиро Гаевский"),
        ("Ales Zhukauski", "Алесь Жукаўскі", "Алесь Жуковский"),
        ("Ihar Zhukevich", "Ігар Жукевіч", "Игорь Жукевич"),
        ("Yan Ivanou", "Ян Іваноў", "Ян Иванов"),
    ):
        PersonFactory(display_name=latin, name_be=belarusian, name_ru=russian)


def listed(prefix: str, sort: str) -> list[str]:
    response = Client().get(f"{prefix}/prisoners/", {"sort": sort})
    assert response.status_code == 200
    language = prefix.strip("/") or "en"
    return [person.name_in(language) for person in response.context["page"].object_list]


def test_the_list_sorts_by_family_name_in_the_readers_alphabet(people):
    assert listed("", "name") == [
        "Natallia Dulina",
        "Akihiro Haievski",
        "Yan Ivanou",
        "Ales Zhukauski",
        "Ihar Zhukevich",
    ]
    assert listed("/be", "name") == ["Акіхіра Гаеўскі", "Наталля Дуліна", "Алесь Жукаўскі", "Ігар Жукевіч", "Ян Іваноў"]
    assert listed("/ru", "name") == [
        "Акихиро Гаевский",
        "Наталья Дулина",
        "Игорь Жукевич",
        "Алесь Жуковский",
        "Ян Иванов",
    ]
    assert listed("/ru", "-name") == list(reversed(listed("/ru", "name")))


def queries_for(url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert Client().get(url, params).status_code == 200
    return len(queries)


def test_sorting_by_name_takes_no_more_queries_in_any_language(people):
    Client().get("/prisoners/")  # the first request fills per-process caches
    unsorted = queries_for("/prisoners/", {})
    for prefix in ("", "/be", "/ru"):
        # A sort key is a column of the person row: no join, no query of its own.
        assert queries_for(f"{prefix}/prisoners/", {"sort": "name"}) == unsorted
