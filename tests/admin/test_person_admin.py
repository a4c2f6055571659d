"""How researchers and editors work on a person in the admin."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.http import urlencode

from prisoners.models import Person, PublicationState, Status
from prisoners.services import person_publish
from sources.models import Citation
from tests.prisoners.factories import NameVariantFactory, PersonFactory, ReleaseFactory
from tests.sources.factories import CitationFactory, SourceFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:prisoners_person_add")
CHANGELIST_URL = reverse("admin:prisoners_person_changelist")


def change_url(person):
    return reverse("admin:prisoners_person_change", args=[person.pk])


def form_data(client, url, **fields):
    """The POST body the admin page would send: its current values, empty inlines, plus `fields`."""
    response = client.get(url)
    data = {}
    admin_form = response.context["adminform"].form
    for name, field in admin_form.fields.items():
        value = admin_form.initial.get(name, field.initial)
        if value is not None and name != "photo":
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.initial_form_count()
        data[f"{formset.prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        for form in formset.initial_forms:
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                if value is not None:
                    data[f"{form.prefix}-{name}"] = value.pk if hasattr(value, "pk") else value
    data.update(fields)
    return data


def add_fact_url(model_name, person):
    """The add link of the person's timeline for a fact of this kind: the person prefilled, back to the timeline."""
    timeline = reverse("admin:prisoners_person_timeline", args=[person.pk])
    return f"{reverse(f'admin:prisoners_{model_name}_add')}?{urlencode({'person': person.pk, 'next': timeline})}"


NO_CITATION_ROWS = {
    "sources-citation-content_type-object_id-TOTAL_FORMS": 0,
    "sources-citation-content_type-object_id-INITIAL_FORMS": 0,
}


def test_a_researcher_adds_a_person_then_a_cited_event_and_the_status_follows(researcher_client, researcher):
    source = SourceFactory()
    response = researcher_client.post(ADD_URL, form_data(researcher_client, ADD_URL, display_name="Ales Bialiatski"))
    person = Person.objects.get(display_name="Ales Bialiatski")
    timeline = reverse("admin:prisoners_person_timeline", args=[person.pk])
    assert response.status_code == 302 and response["Location"] == timeline

    response = researcher_client.post(
        add_fact_url("statusevent", person),
        {
            "person": person.pk,
            "date": "2021-07",
            "status": Status.DETAINED,
            "cite_source": source.pk,
            "cite_quote": "arrested in July 2021",
            "cite_certainty": "confirmed",
            **NO_CITATION_ROWS,
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    assert response["Location"] == timeline

    person.refresh_from_db()
    assert person.publication_state == PublicationState.DRAFT
    assert person.current_status == Status.DETAINED
    event = person.status_events.get()
    citation = Citation.objects.get()
    assert (citation.content_object, citation.source, citation.quote) == (event, source, "arrested in July 2021")
    assert {record.history_user for record in person.history.all()} == {researcher}
    assert {record.history_user for record in event.history.all()} == {researcher}


def test_a_quote_without_a_source_is_refused_and_nothing_is_saved(researcher_client):
    person = PersonFactory(publication_state=PublicationState.DRAFT)
    data = {"person": person.pk, "date": "2021-07", "status": Status.DETAINED, "cite_quote": "arrested in July 2021"}
    response = researcher_client.post(add_fact_url("statusevent", person), {**data, **NO_CITATION_ROWS})
    assert response.status_code == 200
    assert "Choose the source this quote comes from." in response.content.decode()
    assert not person.status_events.exists() and not Citation.objects.exists()


def test_an_unreadable_date_is_refused_with_a_helpful_message(researcher_client):
    person = PersonFactory(publication_state=PublicationState.DRAFT)
    data = {"person": person.pk, "date": "Mayish 2020", "status": Status.DETAINED}
    response = researcher_client.post(add_fact_url("statusevent", person), {**data, **NO_CITATION_ROWS})
    assert "12.05.2021 (day.month.year), May 2020" in response.content.decode()
    assert not person.status_events.exists()


def test_a_researcher_cannot_publish_by_editing_the_form(researcher_client):
    person = PersonFactory(publication_state=PublicationState.DRAFT)
    data = form_data(researcher_client, change_url(person), publication_state=PublicationState.PUBLISHED)
    assert researcher_client.post(change_url(person), data).status_code == 302
    person.refresh_from_db()
    assert person.publication_state == PublicationState.DRAFT


def test_a_researcher_cannot_publish_with_the_list_action(researcher_client):
    person = PersonFactory(publication_state=PublicationState.DRAFT)
    assert 'value="publish"' not in researcher_client.get(CHANGELIST_URL).content.decode()
    researcher_client.post(CHANGELIST_URL, {"action": "publish", "_selected_action": [person.pk]})
    person.refresh_from_db()
    assert person.publication_state == PublicationState.DRAFT


def test_the_publish_service_refuses_a_researcher(researcher):
    with pytest.raises(PermissionDenied):
        person_publish(person=PersonFactory(publication_state=PublicationState.DRAFT), acting_user=researcher)


def test_an_editor_publishes_and_withdraws_with_the_list_actions(editor_client, editor):
    person = PersonFactory(publication_state=PublicationState.DRAFT)
    CitationFactory(content_object=person)
    editor_client.post(CHANGELIST_URL, {"action": "publish", "_selected_action": [person.pk]})
    person.refresh_from_db()
    assert person.publication_state == PublicationState.PUBLISHED and person.published_at
    editor_client.post(CHANGELIST_URL, {"action": "withdraw", "_selected_action": [person.pk]})
    person.refresh_from_db()
    assert person.publication_state == PublicationState.WITHDRAWN
    reasons = list(person.history.values_list("history_change_reason", "history_user"))
    assert ("published", editor.pk) in reasons and ("withdrawn", editor.pk) in reasons


def test_history_keeps_every_edit_with_who_and_when(researcher_client, researcher):
    # A draft: on a published person the edit would wait for review (tests/prisoners/test_review.py).
    person = PersonFactory(display_name="Sergei Tikhanovsky", occupation="", publication_state=PublicationState.DRAFT)
    researcher_client.post(change_url(person), form_data(researcher_client, change_url(person), occupation="blogger"))
    latest, earlier = person.history.all()[:2]
    assert (earlier.occupation, latest.occupation) == ("", "blogger")
    assert latest.history_user == researcher and latest.history_date
    assert [change.field for change in latest.diff_against(earlier).changes] == ["occupation"]
    history_page = researcher_client.get(reverse("admin:prisoners_person_history", args=[person.pk]))
    assert "researcher" in history_page.content.decode()


def test_admin_search_finds_a_person_by_any_name_variant(researcher_client):
    person = PersonFactory(display_name="Siarhei Tsikhanouski")
    NameVariantFactory(person=person, text="Sergey Tikhanovsky")
    NameVariantFactory(person=person, text="Сяргей Ціханоўскі")
    PersonFactory(display_name="Ihar Karnei")
    for query in ["Tikhanovsky", "Ціханоўскі", "tsikhanouski"]:
        response = researcher_client.get(CHANGELIST_URL, {"q": query})
        assert list(response.context["cl"].result_list) == [person], query


def test_admin_filters_people_by_release_year(researcher_client):
    released = ReleaseFactory(date="2025-06-21").person
    ReleaseFactory(date="2022")
    PersonFactory()
    response = researcher_client.get(CHANGELIST_URL, {"released": "2025"})
    assert list(response.context["cl"].result_list) == [released]


def test_view_on_site_links_to_the_public_page(researcher_client):
    person = PersonFactory()
    response = researcher_client.get(change_url(person))
    assert "/admin/r/" in response.content.decode()
    assert person.get_absolute_url() == f"/prisoners/{person.slug}/"


def test_adding_a_person_already_recorded_under_another_spelling_asks_first(researcher_client):
    recorded = PersonFactory(display_name="Siarhei Tsikhanouski")
    NameVariantFactory(person=recorded, text="Sergei Tikhanovsky")
    add_url = reverse("admin:prisoners_person_add")
    data = form_data(researcher_client, add_url, display_name="Sergey Tikhanovsky", publication_state="draft")
    asked = researcher_client.post(add_url, data)
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "may already be recorded" in page and change_url(recorded) in page
    assert Person.objects.count() == 1
    created = researcher_client.post(add_url, {**data, "not_a_duplicate": "on"})
    assert created.status_code == 302 and Person.objects.count() == 2


def test_adding_a_new_name_is_not_asked_about(researcher_client):
    PersonFactory(display_name="Siarhei Tsikhanouski")
    add_url = reverse("admin:prisoners_person_add")
    data = form_data(researcher_client, add_url, display_name="Ihar Karnei", publication_state="draft")
    assert researcher_client.post(add_url, data).status_code == 302
