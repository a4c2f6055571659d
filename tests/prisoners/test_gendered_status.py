"""Belarusian and Russian status words agree with the person's gender ("Мария Колесникова осуждена").

Person.get_current_status_display and presentation.status_label give the words every public page
shows (profile, timeline, list, home, source page); the API keeps its codes.
"""

import pytest
from django.test import Client
from django.utils import translation

from prisoners.models import Gender, Status
from prisoners.presentation import GENDERED_STATUS_LABELS, status_label
from prisoners.roles import SYSTEM
from prisoners.services import person_status_refresh
from tests.prisoners.factories import PersonFactory, StatusEventFactory
from tests.sources.factories import CitationFactory

pytestmark = pytest.mark.django_db

CONVICTED = {
    ("ru", Gender.FEMALE): "осуждена",
    ("ru", Gender.MALE): "осуждён",
    ("be", Gender.FEMALE): "асуджаная",
    ("be", Gender.MALE): "асуджаны",
}


def convicted(gender: str, **names):
    person = PersonFactory(gender=gender, **names)
    StatusEventFactory(person=person, status=Status.DETAINED, date="2020-09-07")
    StatusEventFactory(person=person, status=Status.CONVICTED, date="2021-09-06")
    return person_status_refresh(person=person, acting_user=SYSTEM)


@pytest.mark.parametrize(("language", "gender"), list(CONVICTED))
def test_the_current_status_agrees_with_the_persons_gender(language, gender):
    person = convicted(gender)
    with translation.override(language):
        assert person.get_current_status_display() == CONVICTED[language, gender]


@pytest.mark.parametrize("gender", ["", Gender.OTHER])
def test_an_unknown_or_other_gender_reads_the_neutral_label(gender):
    person = convicted(gender)
    with translation.override("ru"):
        assert person.get_current_status_display() == str(Status.CONVICTED.label) == "осуждён"
    assert status_label(Status.CONVICTED, gender) == "convicted"


def test_english_has_one_word_for_everyone():
    for gender in (Gender.FEMALE, Gender.MALE, ""):
        for status in Status:
            assert status_label(status, gender) == str(status.label)


@pytest.mark.parametrize("language", ["be", "ru"])
@pytest.mark.parametrize("gender", [Gender.FEMALE, Gender.MALE])
def test_every_status_has_words_for_both_genders_in_belarusian_and_russian(language, gender):
    assert set(GENDERED_STATUS_LABELS[gender]) == set(Status)
    with translation.override(language):
        for status in Status:
            words = status_label(status, gender)
            assert words and words != str(status), f"{status} ({gender}) is not translated into {language}"


@pytest.mark.parametrize("language", ["be", "ru"])
def test_the_female_words_differ_where_the_language_inflects(language):
    with translation.override(language):
        for status in (Status.DETAINED, Status.CONVICTED, Status.RELEASED, Status.DIED_IN_CUSTODY):
            assert status_label(status, Gender.FEMALE) != status_label(status, Gender.MALE), status


def test_no_status_is_no_words():
    assert status_label("", Gender.FEMALE) == ""
    assert PersonFactory(gender=Gender.FEMALE).get_current_status_display() == ""


def test_the_profile_list_and_home_page_show_the_gendered_status():
    woman = convicted(Gender.FEMALE, display_name="Maryia Kalesnikava", name_ru="Мария Колесникова")
    man = convicted(Gender.MALE, display_name="Maksim Znak", name_ru="Максим Знак")
    woman_page, man_page = woman.get_absolute_url(), man.get_absolute_url()
    profile = Client().get(f"/ru{woman_page}").content.decode()
    assert '<dd class="status">осуждена</dd>' in profile
    # The timeline's events too, each in her words.
    assert '<span class="status">задержана</span>' in profile and '<span class="status">осуждена</span>' in profile
    assert '<dd class="status">осуждён</dd>' in Client().get(f"/ru{man_page}").content.decode()
    listing = Client().get("/ru/prisoners/").content.decode()
    assert '<span class="status">осуждена</span>' in listing and '<span class="status">осуждён</span>' in listing
    assert "Мария Колесникова</a> — осуждена" in Client().get("/ru/").content.decode()


def test_a_source_page_names_a_status_event_in_its_persons_words():
    woman = convicted(Gender.FEMALE)
    citation = CitationFactory(content_object=woman.status_events.get(status=Status.CONVICTED))
    html = Client().get(f"/be{citation.source.get_absolute_url()}").content.decode()
    assert ": асуджаная</a>" in html


def test_the_api_keeps_the_status_code():
    woman = convicted(Gender.FEMALE)
    data = Client().get(f"/api/v1/prisoners/{woman.slug}/", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert data["current_status"] == "convicted"
