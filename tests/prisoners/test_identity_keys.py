"""The spelling rules: what must fold together and what must stay apart."""

import pytest

from prisoners.identity import name_keys, query_words, score_name

SAME_PERSON = [
    ("Siarhei Tsikhanouski", "Sergei Tikhanovsky"),
    ("Siarhei Tsikhanouski", "Sergey Tikhanovsky"),
    ("Siarhei Tsikhanouski", "Siarhei Tsikhanouskiy"),
    ("Siarhei Tsikhanouski", "Сяргей Ціханоўскі"),
    ("Siarhei Tsikhanouski", "Сергей Тихановский"),
    ("Siarhei Tsikhanouski", "Siarhiej Cichanoŭski"),  # Łacinka
    ("Siarhei Tsikhanouski", "Sergej Tichanowskij"),  # German press
    ("Siarhei Tsikhanouski", "Serhiy Tikhanovskiy"),
    ("Ihar Karnei", "Igor Kornei"),
    ("Ihar Karnei", "Ihar Karney"),
    ("Ihar Karnei", "Игорь Корней"),
    ("Natallia Dulina", "Natalia Dulina"),
    ("Halina Krasnianskaya", "Galina Krasnyanskaya"),
    ("Akihiro Haievski-Khanada", "Akihiro Gaevsky-Hanada"),
    ("Kiryl Balakhanau", "Kirill Balakhanov"),
    ("Ales Bialiatski", "Aleś Bialacki"),
    ("Ales Bialiatski", "Алесь Беляцкий"),
    ("Valiantsin Stefanovich", "Valentin Stefanovič"),
    ("Uladzimir Labkovich", "Vladimir Labkovich"),
    ("Uladzimir Labkovich", "Władimir Łabkowicz"),
    ("Viktar Babaryka", "Viktor Babariko"),
    ("Maryia Kalesnikava", "Maria Kolesnikova"),
    ("Maryia Kalesnikava", "Мария Колесникова"),
    ("Viktoria Kulsha", "Viktoryia Kulsha"),
    ("Aliaksandr Lukashenka", "Alexander Lukashenko"),
]

DIFFERENT_PEOPLE = [
    ("Siarhei Tsikhanouski", "Sviatlana Tsikhanouskaya"),
    ("Siarhei Tsikhanouski", "Светлана Тихановская"),
    ("Ihar Karnei", "Igor Karpenko"),
    ("Natallia Dulina", "Natalia Dubina"),
    ("Viktar Babaryka", "Viktor Babenko"),
    ("Ales Bialiatski", "Ales Bialko"),
    ("Maryia Kalesnikava", "Maria Kolesnik"),
    ("Siarhei Tsikhanouski", "Sergei Ivanov"),
]


@pytest.mark.parametrize(("name", "variant"), SAME_PERSON)
def test_spellings_of_one_name_share_their_keys(name, variant):
    assert sorted(name_keys(name)) == sorted(name_keys(variant))


@pytest.mark.parametrize(("name", "other"), DIFFERENT_PEOPLE)
def test_different_people_do_not_match(name, other):
    assert score_name(query_words(other), name_keys(name)) == 0


def test_order_of_words_does_not_matter():
    assert score_name(query_words("Tsikhanouski Siarhei"), name_keys("Siarhei Tsikhanouski")) == 100


def test_one_name_alone_matches_but_ranks_below_the_full_name():
    full = score_name(query_words("Siarhei Tsikhanouski"), name_keys("Siarhei Tsikhanouski"))
    surname = score_name(query_words("Tikhanovsky"), name_keys("Siarhei Tsikhanouski"))
    assert 0 < surname < full


def test_a_query_with_more_words_than_the_name_does_not_match():
    assert score_name(query_words("Siarhei Tsikhanouski Junior"), name_keys("Siarhei Tsikhanouski")) == 0


def test_a_typo_still_matches_a_long_surname():
    assert score_name(query_words("Tsikhanovski"), name_keys("Siarhei Tsikhanouski")) > 0
    assert score_name(query_words("Kalesnikova"), name_keys("Maryia Kalesnikava")) > 0
