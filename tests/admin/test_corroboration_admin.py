"""In the admin, a fact that repeats a recorded one is offered as one more citation of it."""

import pytest
from django.urls import reverse

from prisoners.models import Release, ReleaseType
from sources.models import Certainty, Citation
from tests.prisoners import factories as pf
from tests.sources.factories import SourceFactory

pytestmark = pytest.mark.django_db
ADD_URL = reverse("admin:prisoners_release_add")


@pytest.fixture
def recorded():
    return pf.ReleaseFactory(date="2025-12-13", release_type=ReleaseType.PARDON)


def release_form(person, source, **extra):
    return {
        "person": person.pk,
        "date": "2025-12-13",
        "release_type": ReleaseType.FORCED_EXILE,
        "note": "",
        "cite_source": source.pk,
        "cite_quote": "was taken to Lithuania",
        "cite_certainty": Certainty.REPORTED,
        "sources-citation-content_type-object_id-TOTAL_FORMS": 0,
        "sources-citation-content_type-object_id-INITIAL_FORMS": 0,
        **extra,
    }


def test_a_repeat_is_not_saved_but_offered_as_a_citation(editor_client, recorded):
    source = SourceFactory()
    response = editor_client.post(ADD_URL, release_form(recorded.person, source))
    assert response.status_code == 200
    page = response.content.decode()
    assert "already recorded" in page and f'value="{recorded.pk}"' in page
    assert Release.objects.count() == 1


def test_choosing_the_recorded_fact_cites_it_and_disputes_the_type(editor_client, recorded):
    source = SourceFactory()
    response = editor_client.post(ADD_URL, release_form(recorded.person, source, repeat_choice=str(recorded.pk)))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:prisoners_release_change", args=[recorded.pk])
    assert Release.objects.count() == 1
    claims = set(Citation.objects.filter(source=source, object_id=recorded.pk).values_list("certainty", "claim"))
    assert claims == {(Certainty.REPORTED, ""), (Certainty.DISPUTED, "type: forced exile")}


def test_saying_it_is_another_fact_records_it(editor_client, recorded):
    response = editor_client.post(ADD_URL, release_form(recorded.person, SourceFactory(), repeat_choice="separate"))
    assert response.status_code == 302
    assert Release.objects.count() == 2


def test_a_release_on_another_day_is_saved_without_asking(editor_client, recorded):
    response = editor_client.post(ADD_URL, release_form(recorded.person, SourceFactory(), date="2024-06"))
    assert response.status_code == 302
    assert Release.objects.count() == 2


def test_on_the_person_page_a_repeated_release_row_cites_the_recorded_one(editor_client, recorded):
    from tests.admin.test_person_admin import change_url, form_data

    url = change_url(recorded.person)
    data = form_data(editor_client, url)
    row = data["releases-TOTAL_FORMS"]
    source = SourceFactory()
    new_row = {
        "date": "2025-12",
        "release_type": ReleaseType.PARDON,
        "cite_source": source.pk,
        "cite_quote": "pardoned in December",
        "cite_certainty": Certainty.CONFIRMED,
    }
    data.update({f"releases-{row}-{name}": value for name, value in new_row.items()})
    data["releases-TOTAL_FORMS"] = row + 1
    asked = editor_client.post(url, data)
    assert asked.status_code == 200 and "already recorded" in asked.content.decode()
    data[f"releases-{row}-repeat_choice"] = str(recorded.pk)
    assert editor_client.post(url, data).status_code == 302
    assert Release.objects.filter(person=recorded.person).count() == 1
    citation = Citation.objects.get(source=source)
    assert (citation.object_id, citation.certainty, citation.claim) == (recorded.pk, Certainty.CONFIRMED, "")
