"""A common family name: the people spelling it exactly answer alone when no other spelling could outrank them."""

import pytest
from django.db import connection

from prisoners import identity
from prisoners.models import Person
from tests.prisoners.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_a_near_spelling_never_scores_above_the_ceiling():
    query = identity.query_words("Piatrashevich")
    ceiling = identity.score_ceiling_without(query, query[0])
    near = ["Piatrashevicha", "Piatrashevichy", "Piatrashevic", "Piatrashevich Ivan", "Пятрашэвіча", "Petrashevych"]
    different = [name for name in near if not set(identity.name_keys(name)) & query[0].readings]
    assert len(different) >= 4
    for name in different:
        assert 0 < identity.score_name(query, identity.name_keys(name)) + 0.1 < ceiling


def four_exact_spellers():
    for given in ("Ivan", "Pavel", "Raman", "Anton"):
        PersonFactory(display_name=f"{given} Piatrashevich")


def test_the_limited_answer_is_the_top_of_the_whole_ranking():
    four_exact_spellers()
    PersonFactory(display_name="Piatrashevicha")  # one word, near: scores below every exact spelling
    people = Person.objects.public()
    whole = people.name_matches("Piatrashevich", public=True)
    assert len(whole) == 5
    assert people.name_matches("Piatrashevich", limit=3, public=True) == whole[:3]
    assert people.name_matches("Piatrashevich", limit=5, public=True) == whole


def test_too_few_exact_spellings_fall_back_to_every_near_one():
    PersonFactory(display_name="Ivan Piatrashevich")
    PersonFactory(display_name="Pavel Piatrashevicha")
    found = Person.objects.public().name_matches("Piatrashevich", limit=3, public=True)
    assert len(found) == 2


def test_the_exact_and_near_spellings_are_read_in_one_statement(django_assert_num_queries):
    """Rare or common, the candidates come in one statement: the query count does not grow with the data."""
    four_exact_spellers()
    PersonFactory(display_name="Piatrashevicha")
    people = Person.objects.public()
    whole = people.name_matches("Piatrashevich", public=True)
    with django_assert_num_queries(1):  # fewer exact spellers than the limit: the near spellings come too
        assert people.name_matches("Piatrashevich", limit=6, public=True) == whole
    with django_assert_num_queries(1):  # enough of them, all above the ceiling: the exact ones alone
        assert people.name_matches("Piatrashevich", limit=3, public=True) == whole[:3]


def test_enough_exact_spellings_that_score_low_ask_again_for_the_near_ones(django_assert_num_queries):
    """Four people spell the family name exactly, but only one has the given name asked for."""
    four_exact_spellers()
    PersonFactory(display_name="Ivan Piatrashevicha")
    people = Person.objects.public()
    whole = people.name_matches("Ivan Piatrashevich", public=True)
    assert [match.matched_name for match in whole[:2]] == ["Ivan Piatrashevich", "Ivan Piatrashevicha"]
    asked_again = connection.vendor == "postgresql"
    with django_assert_num_queries(2 if asked_again else 1):
        assert people.name_matches("Ivan Piatrashevich", limit=3, public=True) == whole[:3]
