"""Every admin page a researcher uses renders, within a fixed number of queries."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from prisoners import models as p
from sources import models as s
from tests.prisoners import factories as pf
from tests.sources import factories as sf

pytestmark = pytest.mark.django_db

FACTORIES = {
    p.Person: pf.PersonFactory,
    p.NameVariant: pf.NameVariantFactory,
    p.ExternalIdentifier: pf.ExternalIdentifierFactory,
    p.Case: pf.CaseFactory,
    p.Defendant: pf.DefendantFactory,
    p.LegalArticle: pf.LegalArticleFactory,
    p.Charge: pf.ChargeFactory,
    p.Sentence: pf.SentenceFactory,
    p.Facility: pf.FacilityFactory,
    p.CustodyPeriod: pf.CustodyPeriodFactory,
    p.StatusEvent: pf.StatusEventFactory,
    p.ReleaseGroup: pf.ReleaseGroupFactory,
    p.Release: pf.ReleaseFactory,
    s.Source: sf.SourceFactory,
    s.Citation: sf.CitationFactory,
    s.Document: sf.DocumentFactory,
}
# The review queue has no add or change pages; tests/admin/test_review_queue.py covers it.
OUR_MODELS = [
    model
    for model in admin.site._registry
    if model._meta.app_label in {"prisoners", "sources"} and model is not p.ChangeProposal
]
# Session, user, permissions, the object, one query per inline, filter choices: 15 at most today.
PAGE_QUERY_LIMIT = 20
# Autocomplete widgets label each inline row's selected value with a query of their own,
# so a person with three rows in every inline runs 45 today.
RICH_PERSON_QUERY_LIMIT = 50


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(queries)


def rich_person():
    """A person with rows in every inline, as a well-documented case has."""
    person = pf.PersonFactory()
    for _ in range(3):
        pf.NameVariantFactory(person=person)
        pf.StatusEventFactory(person=person)
        pf.CustodyPeriodFactory(person=person)
        pf.ExternalIdentifierFactory(person=person)
        sentence = pf.SentenceFactory(defendant=pf.DefendantFactory(person=person))
        pf.ChargeFactory(defendant=sentence.defendant)
        pf.ReleaseFactory(person=person, group=pf.ReleaseGroupFactory())
        sf.CitationFactory(content_object=person)
        sf.DocumentFactory().people.add(person)
    return person


def test_every_model_we_register_has_a_factory_here():
    assert set(OUR_MODELS) == set(FACTORIES)


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_changelist_add_change_and_history_pages_render_for_a_researcher(researcher_client, model):
    obj = FACTORIES[model]()
    for url in [
        admin_url(model, "changelist"),
        admin_url(model, "add"),
        admin_url(model, "change", obj.pk),
        admin_url(model, "history", obj.pk),
    ]:
        assert query_count(researcher_client, url) <= PAGE_QUERY_LIMIT, url


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_changelist_queries_do_not_grow_with_rows(researcher_client, model):
    FACTORIES[model]()
    one_row = query_count(researcher_client, admin_url(model, "changelist"))
    FACTORIES[model].create_batch(5)
    assert query_count(researcher_client, admin_url(model, "changelist")) == one_row


def test_a_fully_documented_person_page_stays_within_the_limit(researcher_client):
    person = rich_person()
    assert query_count(researcher_client, admin_url(p.Person, "change", person.pk)) <= RICH_PERSON_QUERY_LIMIT
