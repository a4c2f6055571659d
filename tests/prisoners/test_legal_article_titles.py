"""Legal articles carry Belarusian and Russian titles; public pages show the reader's, else the English one."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from prisoners.demo import LEGAL_ARTICLES
from prisoners.models import LegalArticle
from tests.prisoners.factories import ChargeFactory, DefendantFactory, LegalArticleFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def riots():
    return LegalArticleFactory(
        article="293", part="1", title="Mass riots", title_be="Масавыя беспарадкі", title_ru="Массовые беспорядки"
    )


def test_the_title_is_read_in_the_language_asked_for(riots):
    assert riots.title_in("be") == "Масавыя беспарадкі"
    assert riots.title_in("ru") == "Массовые беспорядки"
    assert riots.title_in("en") == "Mass riots"
    assert riots.title_in("pl") == "Mass riots"


def test_without_a_translation_the_english_title_stands_in():
    article = LegalArticleFactory(article="342", title="Organisation of actions grossly violating public order")
    assert article.title_in("be") == article.title_in("ru") == article.title


def test_the_active_language_picks_the_title(riots):
    with translation.override("ru"):
        assert riots.title_in() == "Массовые беспорядки"
        assert str(riots) == "ч. 1 ст. 293 — Массовые беспорядки"
    with translation.override("be-by"):
        assert riots.title_in() == "Масавыя беспарадкі"


def test_the_profile_shows_the_charge_in_the_readers_language(riots):
    person = PersonFactory()
    ChargeFactory(defendant=DefendantFactory(person=person), article=riots)
    path = person.get_absolute_url()
    assert "Массовые беспорядки" in Client().get(f"/ru{path}").content.decode()
    assert "Масавыя беспарадкі" in Client().get(f"/be{path}").content.decode()
    english = Client().get(path).content.decode()
    assert "Mass riots" in english and "Массовые" not in english


def test_the_api_keeps_the_english_title(riots):
    person = PersonFactory()
    ChargeFactory(defendant=DefendantFactory(person=person), article=riots)
    data = Client().get(f"/api/v1/prisoners/{person.slug}/", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert data["cases"][0]["charges"][0]["title"] == "Mass riots"


def test_every_demo_article_has_belarusian_and_russian_titles(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", stdout=StringIO())
    for data in LEGAL_ARTICLES.values():
        article = LegalArticle.objects.get(code=data.code, article=data.article, part=data.part)
        assert article.title_be and article.title_ru, article
        assert article.title_be != article.title_ru != article.title
