"""The preview's look-up of people already recorded: one per distinct name, the answers of one search per name."""

import pytest

from prisoners.services import _complete_words, _lookup_keys, names_likely_duplicates, names_likely_duplicates_many
from tests.prisoners.factories import NameVariantFactory, PersonFactory

pytestmark = pytest.mark.django_db


def lookup(text: str):
    return _lookup_keys(_complete_words(text))


def test_names_whose_words_have_the_same_keys_are_one_look_up():
    assert lookup("Алесь Каваленка") == lookup("Алесь Коваленко")
    assert lookup("Ales Kavalenka") == lookup("Kavalenka Ales")
    assert lookup("Ales Kavalenka") != lookup("Ales Marchanka")


def test_people_sharing_a_family_name_are_told_apart_as_one_search_per_name_tells_them():
    for display, variants in [
        ("Ales Kavalenka", ["Алесь Каваленка"]),
        ("Siarhei Kavalenka", ["Сяргей Каваленка"]),
        ("Alena Kavalenka", []),
        ("Ales Marchanka", []),
    ]:
        person = PersonFactory(display_name=display)
        for text in variants:
            NameVariantFactory(person=person, text=text)
    names = ["Ales Kavalenka", "Алесь Коваленко", "Siarhei Kavalenka", "Ales Marchanka", "Ihar Kavalenka", "Ales"]

    together = names_likely_duplicates_many(names={index: [name] for index, name in enumerate(names)})

    one_by_one = {index: names_likely_duplicates(names=[name]) for index, name in enumerate(names)}
    assert together == {index: found for index, found in one_by_one.items() if found}
    assert [d.person.display_name for d in together[0]] == ["Ales Kavalenka"]
    assert 4 not in together  # no Ihar Kavalenka is recorded
