"""The citation list: every citation links to the record it supports."""

import pytest

from tests.prisoners.factories import NameVariantFactory
from tests.sources.factories import CitationFactory

pytestmark = pytest.mark.django_db


def test_the_citation_list_links_a_cited_name_to_its_own_page(researcher_client):
    # The name's own page (opened from the person's timeline), where its citations are edited.
    variant = NameVariantFactory(text="Sergei Tikhanovsky")
    CitationFactory(content_object=variant)
    response = researcher_client.get("/admin/sources/citation/")
    assert response.status_code == 200
    assert f"/admin/prisoners/namevariant/{variant.pk}/change/" in response.content.decode()
