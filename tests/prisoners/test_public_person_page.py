import pytest

from prisoners.models import PublicationState
from tests.prisoners.factories import PersonFactory, StatusEventFactory

pytestmark = pytest.mark.django_db


def test_a_published_person_has_a_public_page_with_their_timeline(client):
    person = PersonFactory(display_name="Ihar Karnei")
    StatusEventFactory(person=person, date="2025-06-21", status="released")
    response = client.get(person.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Ihar Karnei" in response.content.decode() and "21 June 2025" in response.content.decode()


@pytest.mark.parametrize("state", [PublicationState.DRAFT, PublicationState.WITHDRAWN])
def test_unpublished_people_get_the_same_404_as_an_unknown_slug(client, state):
    hidden = PersonFactory(publication_state=state)
    unknown = client.get("/prisoners/no-such-person/")
    response = client.get(hidden.get_absolute_url())
    assert response.status_code == unknown.status_code == 404
    assert response.content == unknown.content


def test_private_notes_never_appear_on_the_public_page(client):
    person = PersonFactory(private_notes="family contact: +375 29 000 00 00")
    assert "+375" not in client.get(person.get_absolute_url()).content.decode()
