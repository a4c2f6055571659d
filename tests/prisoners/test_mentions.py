"""Spotting known people in an article's text, in any spelling and any grammatical case."""

import pytest
from django.core.management import call_command

from prisoners.services import find_mentions

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


def spotted(text):
    return [(text[m.start : m.end], m.person.display_name) for m in find_mentions(text)]


def test_full_names_and_surnames_are_found_with_their_offsets(demo):
    text = (
        "Fourteen political prisoners, including prominent opposition figure Siarhei Tsikhanouski, "
        "have been released. In 2021, Tsikhanouski was sentenced to 18 years."
    )
    mentions = find_mentions(text)
    second = text.index("Tsikhanouski was")
    assert [(m.start, m.end) for m in mentions] == [(68, 88), (second, second + len("Tsikhanouski"))]
    assert {m.person.display_name for m in mentions} == {"Siarhei Tsikhanouski"}


def test_russian_and_belarusian_case_endings_are_recognised(demo):
    assert spotted("Суд над Тихановским. Прысуд Ціханоўскага. Интервью Игоря Корнея. Калесниковой.") == [
        ("Тихановским", "Siarhei Tsikhanouski"),
        ("Ціханоўскага", "Siarhei Tsikhanouski"),
        ("Игоря Корнея", "Ihar Karnei"),
        ("Калесниковой", "Maryia Kalesnikava"),
    ]


def test_his_wife_is_not_taken_for_him(demo):
    assert spotted("Sviatlana Tsikhanouskaya thanked Kellogg. Светлана Тихановская.") == []


def test_a_double_surname_is_one_mention(demo):
    assert spotted("freed: Akihiro Haievski-Khanada, Kiryl Balakhanau.") == [
        ("Akihiro Haievski-Khanada", "Akihiro Haievski-Khanada"),
        ("Kiryl Balakhanau", "Kiryl Balakhanau"),
    ]


def test_the_names_in_the_release_article(demo):
    text = (
        "These include Natallia Dulina, Ihar Karney, Halina Krasnianskaya, Akihiro Haievski-Khanada, "
        "and Kiryl Balakhanau."
    )
    assert [name for _text, name in spotted(text)] == [
        "Natallia Dulina",
        "Ihar Karnei",
        "Halina Krasnianskaya",
        "Akihiro Haievski-Khanada",
        "Kiryl Balakhanau",
    ]


def test_a_text_without_known_people_has_no_mentions(demo):
    assert spotted("Lukashenko met Kellogg at the Palace of Independence in Minsk.") == []
