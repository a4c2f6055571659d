"""Names suggested as a reader types: from the third letter, public people only, ranked as search ranks them."""

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse

from prisoners import identity
from prisoners.demo import DRAFT_PERSON_SLUG
from prisoners.models import Person, PublicationState
from prisoners.suggestions import MAX_QUERY_LENGTH, SUGGESTION_LIMIT, name_suggestions
from tests.prisoners.factories import NameVariantFactory, PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.identity.suggestion_urls")]


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", verbosity=0)


def suggested(text):
    return [suggestion.name for suggestion in name_suggestions(text)]


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("kol", "Maryia Kalesnikava"),
        ("Kales", "Maryia Kalesnikava"),
        ("Колес", "Maryia Kalesnikava"),
        ("bia", "Ales Bialiatski"),
        ("Бял", "Ales Bialiatski"),
        ("Tsikh", "Siarhei Tsikhanouski"),
        ("Тихан", "Siarhei Tsikhanouski"),
        ("Ales Bia", "Ales Bialiatski"),
        ("Siarhei Tsi", "Siarhei Tsikhanouski"),
    ],
)
def test_the_demo_people_are_suggested_from_the_third_letter(demo, typed, name):
    assert suggested(typed)[0] == name


def test_nothing_is_suggested_before_the_third_letter(demo):
    assert suggested("ko") == [] and suggested("б") == [] and suggested("  ") == []


def test_a_person_who_is_not_public_is_never_suggested(demo):
    draft = Person.objects.get(slug=DRAFT_PERSON_SLUG)
    assert "Kotau" in draft.display_name
    assert suggested("Kot") == [] and suggested("Anatol K") == []


def test_a_private_name_is_never_suggested():
    person = PersonFactory(display_name="Viktar Babaryka")
    NameVariantFactory(person=person, text="Pseudonymov", is_private=True)
    assert suggested("Pseudo") == []
    assert suggested("Babar") == ["Viktar Babaryka"]


def test_a_withdrawn_person_is_not_suggested():
    PersonFactory(display_name="Mikalai Statkevich", publication_state=PublicationState.WITHDRAWN)
    assert suggested("Statk") == []


def test_at_most_ten_are_suggested_and_the_closest_first():
    for index in range(SUGGESTION_LIMIT + 3):
        PersonFactory(display_name=f"Andrei Kalinouski{'ch' * index}")
    PersonFactory(display_name="Kalin")
    found = suggested("Kalin")
    assert len(found) == SUGGESTION_LIMIT and found[0] == "Kalin"


def test_a_suggestion_is_a_search_result_for_what_was_typed():
    # The same ranking: every suggestion for a whole word is found by the list's search.
    PersonFactory(display_name="Ihar Karnei", name_ru="Игорь Корней")
    PersonFactory(display_name="Igor Karpenko")
    assert suggested("Karnei") == [p.display_name for p in Person.objects.public().matching("Karnei")]


def test_given_names_are_suggested_in_any_of_their_forms():
    PersonFactory(display_name="Uladzimir Labkovich")
    assert suggested("Vlad") == suggested("Wlod") == suggested("Volod") == ["Uladzimir Labkovich"]


def test_an_unfinished_letter_pair_still_finds_the_name():
    PersonFactory(display_name="Siarhei Tsikhanouski")
    assert identity.prefix_query_words("Tsik")[-1].prefixes  # "Tsik" is on its way to "Tsikh"
    assert suggested("Tsik") == ["Siarhei Tsikhanouski"]


def test_the_endpoint_answers_json_names_and_links_without_a_cookie(client, demo):
    response = client.get(reverse("prisoners:person_suggestions"), {"q": "kol"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json()["suggestions"][0] == {
        "name": "Maryia Kalesnikava",
        "url": reverse("prisoners:person_detail", kwargs={"slug": "maryia-kalesnikava"}),
    }
    assert not response.cookies
    assert "public" in response["Cache-Control"] and response.has_header("ETag")


def test_the_endpoint_answers_in_the_language_of_its_address(client, demo):
    response = client.get("/be/prisoners/suggestions.json", {"q": "kol"})
    first = response.json()["suggestions"][0]
    assert first == {"name": "Марыя Калеснікава", "url": "/be/prisoners/maryia-kalesnikava/"}


def test_the_endpoint_refuses_an_overlong_or_unreadable_query(client):
    url = reverse("prisoners:person_suggestions")
    assert client.get(url, {"q": "k" * (MAX_QUERY_LENGTH + 1)}).status_code == 400
    assert client.get(url, {"q": "kol\x00"}).status_code == 400
    assert client.get(url, {"q": "k" * MAX_QUERY_LENGTH}).status_code == 200
    assert client.get(url).json() == {"suggestions": []}
    assert client.post(url, {"q": "kol"}).status_code == 405


def test_the_endpoint_reads_a_fixed_number_of_queries(client, demo, django_assert_num_queries):
    url = reverse("prisoners:person_suggestions")
    # The ETag's public state, the candidate variants, the suggested people: however many match.
    with django_assert_num_queries(3):
        client.get(url, {"q": "kol"})
    with django_assert_num_queries(3):
        client.get(url, {"q": "Siarhei"})


def test_the_partial_wires_a_search_box_to_the_endpoint():
    html = render_to_string("prisoners/_name_suggestions.html", {"input_id": "id_q"})
    assert '<datalist id="id_q-suggestions">' in html
    assert 'data-input="id_q"' in html and 'data-url="/prisoners/suggestions.json"' in html
