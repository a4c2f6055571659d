import datetime as dt

import pytest
from django.utils.translation import override

from prisoners.models import SentenceKind, Status, Term
from prisoners.roles import SYSTEM
from prisoners.services import person_status_refresh
from tests.prisoners.factories import (
    DefendantFactory,
    PersonFactory,
    ReleaseFactory,
    SentenceFactory,
    StatusEventFactory,
)

pytestmark = pytest.mark.django_db


def tsikhanouski_like(detained="2020-05"):
    person = PersonFactory(display_name="Siarhei Tsikhanouski")
    StatusEventFactory(person=person, date=detained, status=Status.DETAINED)
    defendant = DefendantFactory(person=person)
    SentenceFactory(defendant=defendant, date="2021", term_years=18, kind=SentenceKind.ORIGINAL)
    SentenceFactory(defendant=defendant, date="2023", term_years=1, term_months=6, kind=SentenceKind.ADDITIONAL)
    return person


def test_an_extension_adds_to_the_original_sentence():
    assert tsikhanouski_like().total_term() == Term(19, 6, 0)


def test_tsikhanouskis_term_ends_in_november_2039_when_only_the_month_of_detention_is_known():
    end = tsikhanouski_like().expected_end_of_term()
    assert (end.bounds.earliest, end.bounds.latest) == (dt.date(2039, 11, 1), dt.date(2039, 11, 30))
    with override("en"):
        assert str(end) == "November 2039"


def test_an_exact_detention_date_gives_an_exact_expected_end():
    end = tsikhanouski_like(detained="2020-05-29").expected_end_of_term()
    assert end.bounds.earliest == end.bounds.latest == dt.date(2039, 11, 29)


def test_a_sentence_changed_on_appeal_replaces_the_one_it_amends():
    person = PersonFactory()
    defendant = DefendantFactory(person=person)
    original = SentenceFactory(defendant=defendant, date="2021-03", term_years=10)
    SentenceFactory(
        defendant=defendant, date="2021-06", term_years=8, kind=SentenceKind.CHANGED_ON_APPEAL, amends=original
    )
    SentenceFactory(defendant=defendant, date="2022", term_years=0, term_months=6, kind=SentenceKind.ADDITIONAL)
    assert person.total_term() == Term(8, 6, 0)


def test_a_commutation_without_a_named_sentence_replaces_the_latest_base_sentence():
    person = PersonFactory()
    defendant = DefendantFactory(person=person)
    SentenceFactory(defendant=defendant, date="2021", term_years=6)
    SentenceFactory(defendant=defendant, date="2023", term_years=3, kind=SentenceKind.COMMUTED)
    assert person.total_term() == Term(3, 0, 0)


def test_sentences_in_separate_cases_add_up():
    person = PersonFactory()
    SentenceFactory(defendant=DefendantFactory(person=person), date="2021", term_years=2)
    SentenceFactory(defendant=DefendantFactory(person=person), date="2022", term_years=1, term_months=8)
    assert person.total_term() == Term(3, 8, 0)


def test_no_expected_end_without_a_detention_date_or_a_term():
    person = PersonFactory()
    SentenceFactory(defendant=DefendantFactory(person=person), term_years=3)
    assert person.expected_end_of_term() is None
    assert tsikhanouski_like(detained="").expected_end_of_term() is None


def test_months_carry_into_years():
    assert Term(0, 8, 0) + Term(1, 6, 0) == Term(2, 2, 0)


def test_a_released_person_has_no_expected_end():
    person = PersonFactory()
    StatusEventFactory(person=person, date="2021-07-14", status=Status.DETAINED)
    SentenceFactory(defendant=DefendantFactory(person=person), date="2021-12-14", term_years=18)
    person = person_status_refresh(person=person, acting_user=SYSTEM)
    assert person.expected_end_of_term() is not None and person.expected_end_latest is not None
    ReleaseFactory(person=person, date="2025-06-21")
    person = person_status_refresh(person=person, acting_user=SYSTEM)
    assert person.expected_end_of_term() is None
    assert (person.expected_end_earliest, person.expected_end_latest) == (None, None)
