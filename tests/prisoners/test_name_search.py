"""Public and admin name search: any spelling, any script, closest first, strangers find no one."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from prisoners.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


def listed(client, query):
    response = client.get("/prisoners/", {"q": query}, HTTP_ACCEPT_LANGUAGE="en")
    return [person.display_name for person in response.context["page"].object_list], response


@pytest.mark.parametrize("query", ["Tikhanovsky", "Тихановский", "Ціханоўскі", "tsikhanouskiy", "Tsikhanouski Siarhei"])
def test_every_spelling_lists_tsikhanouski_first(client, demo, query):
    names, _response = listed(client, query)
    assert names[0] == "Siarhei Tsikhanouski"


def test_a_stranger_finds_nobody_and_is_told_so(client, demo):
    names, response = listed(client, "Ivan Petrov")
    assert names == []
    assert "No one in the records is named “Ivan Petrov”" in response.content.decode()


def test_a_draft_person_is_not_found_by_public_search(client, demo):
    assert listed(client, "Anatol Kotau")[0] == []
    assert listed(client, "Kotau")[0] == []


def test_close_variants_rank_before_partial_ones():
    from tests.prisoners.factories import PersonFactory

    PersonFactory(display_name="Maryia Kalesnikava")
    PersonFactory(display_name="Alena Kalesnikava")
    ranked = [
        Person.objects.get(pk=m.person_id).display_name for m in Person.objects.all().name_matches("Maria Kolesnikova")
    ]
    assert ranked == ["Maryia Kalesnikava"]
    ranked = [Person.objects.get(pk=m.person_id).display_name for m in Person.objects.all().name_matches("Kolesnikova")]
    assert sorted(ranked) == ["Alena Kalesnikava", "Maryia Kalesnikava"]


def test_admin_search_uses_the_same_matching(researcher_client, demo):
    url = reverse("admin:prisoners_person_changelist")
    for query in ["Tikhanovsky", "Сергей Тихановский", "Igor Kornei"]:
        results = researcher_client.get(url, {"q": query}).context["cl"].result_list
        assert len(results) == 1, query
    draft = researcher_client.get(url, {"q": "Kotau"}).context["cl"].result_list
    assert [p.display_name for p in draft] == ["Anatol Kotau"]  # staff see drafts
