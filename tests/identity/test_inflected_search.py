"""Public and admin search read a name in any grammatical case of Russian, Belarusian, Ukrainian and Polish."""

import pytest
from django.urls import reverse

from prisoners import identity
from tests.prisoners.factories import PersonFactory

pytestmark = pytest.mark.django_db

INFLECTED = [
    # Russian
    ("Тихановского", "Siarhei Tsikhanouski"),
    ("Тихановскому", "Siarhei Tsikhanouski"),
    ("Сергея Тихановского", "Siarhei Tsikhanouski"),
    ("Колесниковой", "Maryia Kalesnikava"),
    ("Марии Колесниковой", "Maryia Kalesnikava"),
    ("Беляцкого", "Ales Bialiatski"),
    # Belarusian
    ("Ціханоўскага", "Siarhei Tsikhanouski"),
    ("Калеснікавай", "Maryia Kalesnikava"),
    ("Бяляцкім", "Ales Bialiatski"),
    # Ukrainian
    ("Тихановського", "Siarhei Tsikhanouski"),
    ("Колеснікової", "Maryia Kalesnikava"),
    # Polish
    ("Bialackiego", "Ales Bialiatski"),
    ("Białackiemu", "Ales Bialiatski"),
    ("Kalesnikawej", "Maryia Kalesnikava"),
    ("Kalesnikawą", "Maryia Kalesnikava"),
]


@pytest.fixture
def people():
    PersonFactory(display_name="Siarhei Tsikhanouski", name_be="Сяргей Ціханоўскі", name_ru="Сергей Тихановский")
    PersonFactory(display_name="Maryia Kalesnikava", name_be="Марыя Калеснікава", name_ru="Мария Колесникова")
    PersonFactory(display_name="Ales Bialiatski", name_be="Алесь Бяляцкі", name_ru="Алесь Беляцкий")


def listed(client, query):
    response = client.get("/prisoners/", {"q": query}, HTTP_ACCEPT_LANGUAGE="en")
    return [person.display_name for person in response.context["page"].object_list]


@pytest.mark.parametrize(("query", "name"), INFLECTED)
def test_public_search_reads_a_name_in_any_case(client, people, query, name):
    assert listed(client, query) == [name]


@pytest.mark.parametrize(("query", "name"), INFLECTED[::3])
def test_admin_search_reads_them_too(researcher_client, people, query, name):
    results = researcher_client.get(reverse("admin:prisoners_person_changelist"), {"q": query}).context["cl"]
    assert [person.display_name for person in results.result_list] == [name]


@pytest.mark.parametrize("query", ["Тихановской", "Ціханоўскай", "Тихановскую", "Cichanouskiej", "Cichanouską"])
def test_a_feminine_case_never_finds_the_man(client, people, query):
    assert listed(client, query) == []


def test_the_name_as_typed_ranks_above_an_inflected_reading():
    # "Karneja" is Karnei in the Polish genitive, and someone named Karneja as typed: she comes first.
    keys = {"as typed": identity.name_keys("Karneja"), "inflected": identity.name_keys("Karnei")}
    query = identity.query_words("Karneja")
    assert identity.score_name(query, keys["as typed"]) > identity.score_name(query, keys["inflected"]) > 0


def test_mentions_and_search_read_endings_by_one_rule():
    # The intake strips the same endings: a mention of "Тихановского" is the man, "Тихановской" the woman.
    assert identity.name_keys("Тихановский")[0] in identity.case_readings("Тихановского")
    assert identity.name_keys("Тихановская")[0] in identity.case_readings("Тихановской")
    assert identity.name_keys("Тихановский")[0] not in identity.case_readings("Тихановской")
