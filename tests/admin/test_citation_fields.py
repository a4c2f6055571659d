"""The field a citation supports is chosen from the cited record's fields, by their labels."""

import pytest
from django.urls import reverse

from sources.models import Citation
from tests.prisoners import factories as pf
from tests.sources.factories import CitationFactory

pytestmark = pytest.mark.django_db


def citation_form(client, url):
    inline = next(
        formset for formset in client.get(url).context["inline_admin_formsets"] if formset.formset.model is Citation
    )
    return inline.formset.empty_form.fields["field_name"]


def test_a_release_groups_citations_offer_its_fields(researcher_client):
    group = pf.ReleaseGroupFactory()
    field = citation_form(researcher_client, reverse("admin:prisoners_releasegroup_change", args=[group.pk]))
    choices = dict(field.widget.choices)
    assert choices[""] == "the whole record"
    assert choices["mediator"] == "mediator" and "date" in choices
    assert "slug" not in choices and "review_state" not in choices


def test_a_person_offers_the_persons_fields(researcher_client):
    person = pf.PersonFactory()
    field = citation_form(researcher_client, reverse("admin:prisoners_person_change", args=[person.pk]))
    assert {"occupation", "birth_date", "display_name"} <= set(dict(field.widget.choices))


def test_a_value_typed_before_the_list_is_kept(researcher_client):
    group = pf.ReleaseGroupFactory()
    CitationFactory(content_object=group, field_name="number released")
    page = researcher_client.get(reverse("admin:prisoners_releasegroup_change", args=[group.pk])).content.decode()
    assert '<option value="number released" selected>number released</option>' in page
