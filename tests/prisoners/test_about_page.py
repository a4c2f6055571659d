"""The about page says who is listed, what the certainty terms mean, how dates and counts work, where to write."""

import pytest

from sources.models import Certainty

pytestmark = pytest.mark.django_db
URL = "/about/"


def test_the_about_page_explains_the_records_in_their_own_terms(client):
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    for heading in ("Who is listed, and why", "Sources, and how sure they are", "Dates known only in part"):
        assert heading in html
    assert "How the counts are made" in html and "Corrections" in html
    # The certainty terms are the ones citations carry, as the profile shows them.
    for certainty in Certainty:
        assert f"<dt>{str(certainty.label).capitalize()}</dt>" in html
    assert "“May 2020”" in html and "on or before" in html


def test_corrections_go_to_the_configured_address(client, settings):
    settings.CORRECTIONS_EMAIL = "fixes@rights.example.net"
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<a href="mailto:fixes@rights.example.net">fixes@rights.example.net</a>' in html


def test_the_about_page_reads_nothing_from_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get(URL).status_code == 200


@pytest.mark.parametrize("path", ["/", "/prisoners/"])
def test_the_home_and_list_pages_link_to_the_about_page(client, path):
    html = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<p class="about-link"><a href="{URL}">Who is listed here, and how the records are kept</a></p>' in html
