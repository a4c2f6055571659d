"""A man's and a woman's form of one family name are related, never the same person."""

import pytest

from prisoners import identity
from prisoners.models import NameVariant, Person
from prisoners.services import likely_duplicate_pairs, person_likely_duplicates
from tests.prisoners.factories import PersonFactory

# (his form, her form), in every script and habit the endings come in.
COUPLES = [
    ("Tsikhanouski", "Tsikhanouskaya"),
    ("Тихановский", "Тихановская"),
    ("Ціханоўскі", "Ціханоўская"),
    ("Cichanouski", "Cichanouska"),
    ("Tikhanovskiy", "Tikhanovskaia"),
    ("Bialiatski", "Bialiatskaya"),
    ("Kalesnikau", "Kalesnikava"),
    ("Kolesnikov", "Kolesnikova"),
    ("Калеснікаў", "Калеснікава"),
    ("Ivanov", "Ivanova"),
    ("Lebedzeu", "Lebedzeva"),
    ("Dulin", "Dulina"),
    ("Путин", "Путина"),
]
# Endings that both genders share: one key for husband and wife.
SHARED = ["Babaryka", "Lukashenka", "Lukashenko", "Labkovich", "Stefanovich", "Karnei", "Kulsha"]


@pytest.mark.parametrize(("his", "hers"), COUPLES)
def test_his_and_her_forms_are_related_but_never_match(his, hers):
    (his_key,), (her_key,) = identity.name_keys(his), identity.name_keys(hers)
    assert identity.related_surname(his_key, her_key)
    assert identity.surname_gender(his_key) == "m" and identity.surname_gender(her_key) == "f"
    assert identity.other_gender_form(his_key) == her_key and identity.other_gender_form(her_key) == his_key
    assert identity.score_name(identity.query_words(hers), (his_key,)) == 0
    assert identity.score_name(identity.query_words(his), (her_key,)) == 0


@pytest.mark.parametrize("surname", SHARED)
def test_a_shared_ending_has_no_gender(surname):
    (key,) = identity.name_keys(surname)
    assert identity.surname_gender(key) == "" and identity.other_gender_form(key) == ""


def test_unrelated_names_are_not_relatives():
    assert not identity.related_surname(*identity.name_keys("Tsikhanouski Kalesnikava"))
    assert not identity.related_surname(*identity.name_keys("Tsikhanouski Tsikhanouski"))


@pytest.mark.django_db
def test_a_search_in_one_form_lists_only_the_people_of_that_form():
    siarhei = PersonFactory(display_name="Siarhei Tsikhanouski", name_ru="Сергей Тихановский")
    assert list(Person.objects.public().matching("Tikhanovskaya")) == []
    assert list(Person.objects.public().matching("Светлана Тихановская")) == []
    sviatlana = PersonFactory(display_name="Sviatlana Tsikhanouskaya", name_ru="Светлана Тихановская")
    assert list(Person.objects.public().matching("Tikhanovskaya")) == [sviatlana]
    assert list(Person.objects.public().matching("Tikhanovsky")) == [siarhei]
    assert list(Person.objects.public().matching("Тихановская")) == [sviatlana]


@pytest.mark.django_db
def test_a_given_name_tells_whose_form_a_family_name_is():
    # Belarusian and Russian genitive of Balakhanau is Балаханава: a man, since Кірыла is his.
    kiryl = PersonFactory(display_name="Kiryl Balakhanau", name_ru="Кирилл Балаханов")
    PersonFactory(display_name="Alena Balakhanava", name_ru="Алёна Балаханова")
    assert [p.display_name for p in Person.objects.public().matching("Кирилла Балаханова")] == [kiryl.display_name]
    assert [p.display_name for p in Person.objects.public().matching("Балаханова")] == ["Alena Balakhanava"]


@pytest.mark.django_db
def test_duplicate_warnings_never_pair_a_husband_and_wife():
    siarhei = PersonFactory(display_name="Siarhei Tsikhanouski", name_ru="Сергей Тихановский")
    sviatlana = PersonFactory(display_name="Sviatlana Tsikhanouskaya", name_ru="Светлана Тихановская")
    twin = PersonFactory(display_name="Sergei Tikhanovsky")
    assert [d.person for d in person_likely_duplicates(person=sviatlana)] == []
    assert [d.person for d in person_likely_duplicates(person=siarhei)] == [twin]
    pairs = {frozenset({pair.first, pair.second}) for pair in likely_duplicate_pairs()}
    assert pairs == {frozenset({siarhei, twin})}


@pytest.mark.django_db
def test_a_brother_and_sister_of_one_given_name_are_not_duplicates():
    PersonFactory(display_name="Sasha Ivanou")
    sister = PersonFactory(display_name="Sasha Ivanova")
    assert person_likely_duplicates(person=sister) == []


@pytest.mark.django_db
def test_the_admin_can_show_possible_relatives():
    siarhei = PersonFactory(display_name="Siarhei Tsikhanouski", name_ru="Сергей Тихановский")
    sviatlana = PersonFactory(display_name="Sviatlana Tsikhanouskaya", name_be="Святлана Ціханоўская")
    PersonFactory(display_name="Ihar Karnei")
    relatives = NameVariant.objects.of_possible_relatives(siarhei)
    assert {variant.person for variant in relatives} == {sviatlana}
    assert {variant.person for variant in NameVariant.objects.of_possible_relatives(sviatlana)} == {siarhei}


@pytest.mark.django_db
def test_a_family_name_that_does_not_change_is_found_for_a_woman_too():
    # Ukrainian -ів and Armenian -yan names are the same for men and women: her given name rules nothing out.
    PersonFactory(display_name="Iryna Stasiv", name_ru="Ирина Стасив")
    PersonFactory(display_name="Anna Petrosyan")
    assert [p.display_name for p in Person.objects.public().matching("Ірина Стасів")] == ["Iryna Stasiv"]
    assert [p.display_name for p in Person.objects.public().matching("Anna Petrosian")] == ["Anna Petrosyan"]
