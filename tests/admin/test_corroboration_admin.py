"""In the admin, a fact that repeats a recorded one is offered as one more citation of it."""

import pytest
from django.urls import reverse
from django.utils.http import urlencode

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


def test_from_the_timeline_a_repeated_release_cites_the_recorded_one_and_returns_there(editor_client, recorded):
    person = recorded.person
    timeline = reverse("admin:prisoners_person_timeline", args=[person.pk])
    url = f"{ADD_URL}?{urlencode({'person': person.pk, 'next': timeline})}"
    source = SourceFactory()
    data = release_form(
        person,
        source,
        date="2025-12",
        release_type=ReleaseType.PARDON,
        cite_quote="pardoned in December",
        cite_certainty=Certainty.CONFIRMED,
    )
    asked = editor_client.post(url, data)
    assert asked.status_code == 200 and "already recorded" in asked.content.decode()
    cited = editor_client.post(url, {**data, "repeat_choice": str(recorded.pk)})
    assert cited.status_code == 302 and cited["Location"] == timeline
    assert Release.objects.filter(person=person).count() == 1
    citation = Citation.objects.get(source=source)
    assert (citation.object_id, citation.certainty, citation.claim) == (recorded.pk, Certainty.CONFIRMED, "")
