"""One public rule: every model's public() is the Person rule reached through its path to Person."""

import pytest
from django.utils import timezone

from prisoners.models import (
    Case,
    Charge,
    CustodyPeriod,
    Defendant,
    ExternalIdentifier,
    Facility,
    IdentifierScheme,
    NameVariant,
    Person,
    PublicationState,
    Release,
    ReleaseGroup,
    Sentence,
    StatusEvent,
)
from sources.models import Citation, Document, Source
from tests.prisoners import factories as pf
from tests.sources.factories import CitationFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db

HIDDEN_STATES = ["draft", "withdrawn", "deleted"]


def person_in(state: str) -> Person:
    if state == "deleted":
        return pf.PersonFactory(publication_state=PublicationState.PUBLISHED, deleted_at=timezone.now())
    return pf.PersonFactory(publication_state=state)


def facts_of(person: Person) -> dict:
    role = pf.DefendantFactory(person=person)
    custody = pf.CustodyPeriodFactory(person=person)
    release = pf.ReleaseFactory(person=person, group=pf.ReleaseGroupFactory())
    return {
        NameVariant: pf.NameVariantFactory(person=person),
        ExternalIdentifier: pf.ExternalIdentifierFactory(person=person),
        StatusEvent: pf.StatusEventFactory(person=person),
        Release: release,
        CustodyPeriod: custody,
        Defendant: role,
        Charge: pf.ChargeFactory(defendant=role),
        Sentence: pf.SentenceFactory(defendant=role),
        Case: role.case,
        Facility: custody.facility,
        ReleaseGroup: release.group,
    }


def test_a_published_persons_facts_are_all_public():
    person = person_in("published")
    for model, fact in facts_of(person).items():
        assert model.objects.public().filter(pk=fact.pk).exists(), model.__name__
    assert person.is_public() and Person.objects.public().filter(pk=person.pk).exists()


@pytest.mark.parametrize("state", HIDDEN_STATES)
def test_no_fact_of_a_hidden_person_is_public(state):
    person = person_in(state)
    for model, fact in facts_of(person).items():
        assert not model.objects.public().filter(pk=fact.pk).exists(), model.__name__
    assert not person.is_public() and not Person.objects.public().filter(pk=person.pk).exists()


PERSON_FACTS = [NameVariant, ExternalIdentifier, StatusEvent, Release, CustodyPeriod, Defendant, Charge, Sentence]


def test_the_facts_of_people_read_as_public_are_exactly_their_public_facts():
    people = [person_in(state) for state in ["published", "published", *HIDDEN_STATES]]
    for person in people:
        facts_of(person)
        pf.NameVariantFactory(person=person, text="Birth Name", is_private=True)
        pf.ExternalIdentifierFactory(person=person, scheme=IdentifierScheme.IMPORT, value=f"import:{person.pk}")
        pf.StatusEventFactory(person=person, review_state="pending")
    for model in PERSON_FACTS:
        path = f"{model.objects.none().person_field}__in"
        public = set(model.objects.public().filter(**{path: people}).values_list("pk", flat=True))
        assert set(model.objects.of_public_people(people).values_list("pk", flat=True)) == public, model.__name__
        assert public, model.__name__  # the published people's facts are there to compare


def test_the_public_facts_among_some_people_are_exactly_their_public_facts():
    """public_among(people): public() narrowed to `people`, whatever the people queryset holds."""
    people = [person_in(state) for state in ["published", "published", "published", *HIDDEN_STATES]]
    for person in people:
        facts_of(person)
        pf.NameVariantFactory(person=person, text="Birth Name", is_private=True)
        pf.StatusEventFactory(person=person, review_state="pending")
    some = Person.objects.filter(pk__in=[person.pk for person in people[1:]])  # hidden ones included
    for model in PERSON_FACTS:
        path = f"{model.objects.none().person_field}__in"
        public = set(model.objects.public().filter(**{path: some}).values_list("pk", flat=True))
        assert set(model.objects.public_among(some).values_list("pk", flat=True)) == public, model.__name__
        assert public, model.__name__
        first = set(model.objects.filter(**{path: people[:1]}).values_list("pk", flat=True))
        assert not public & first, model.__name__  # the person left out stays out


def test_a_private_name_variant_and_an_import_identifier_are_never_public():
    person = person_in("published")
    private = pf.NameVariantFactory(person=person, text="Birth Name", is_private=True)
    imported = pf.ExternalIdentifierFactory(person=person, scheme=IdentifierScheme.IMPORT, value="import:x-1")
    assert not NameVariant.objects.public().filter(pk=private.pk).exists()
    assert not ExternalIdentifier.objects.public().filter(pk=imported.pk).exists()


def test_a_shared_record_is_public_while_one_public_fact_points_at_it():
    case = pf.CaseFactory()
    hidden = pf.DefendantFactory(case=case, person=person_in("draft"))
    assert not Case.objects.public().filter(pk=case.pk).exists()
    shown = pf.DefendantFactory(case=case, person=person_in("published"))
    assert Case.objects.public().filter(pk=case.pk).exists()
    assert set(Defendant.objects.public().filter(case=case)) == {shown}
    assert hidden.pk not in Defendant.objects.public().values_list("pk", flat=True)


def test_a_citation_is_public_only_when_its_fact_is_and_it_is_not_private():
    public_event = pf.StatusEventFactory(person=person_in("published"))
    hidden_event = pf.StatusEventFactory(person=person_in("draft"))
    shown = CitationFactory(content_object=public_event)
    private = CitationFactory(content_object=public_event, is_private=True)
    of_hidden = CitationFactory(content_object=hidden_event)
    assert list(Citation.objects.public()) == [shown]
    assert {shown, of_hidden} == set(Citation.objects.publishable()) - {private}


@pytest.mark.parametrize("field_name", ["private_notes", "private notes", "Private Notes", "family contact"])
def test_a_citation_of_a_private_field_is_private_however_it_is_spelled(field_name):
    citation = CitationFactory(content_object=person_in("published"), field_name=field_name)
    assert citation.is_private
    assert not Citation.objects.public().filter(pk=citation.pk).exists()


def test_public_each_kind_is_public_read_one_kind_of_fact_at_a_time():
    from sources.models import CITABLE_MODEL_NAMES

    source = SourceFactory()
    for state in ["published", *HIDDEN_STATES]:
        facts = facts_of(person_in(state))
        facts[Person] = facts[NameVariant].person
        for model, fact in facts.items():
            if model._meta.model_name in CITABLE_MODEL_NAMES:
                CitationFactory(source=source, content_object=fact)
                CitationFactory(source=source, content_object=fact, is_private=True)
    CitationFactory(content_object=pf.StatusEventFactory(person=person_in("published")))  # another source's
    cited = Citation.objects.filter(source=source)

    each_kind = list(cited.public_each_kind())

    assert each_kind == list(cited.public().order_by("pk"))
    # One public, not private, citation of each kind of fact: the published person's.
    assert len(each_kind) == len(CITABLE_MODEL_NAMES)
    assert {citation.content_type.model for citation in each_kind} == set(CITABLE_MODEL_NAMES)
    assert cited.public_each_kind().count() == len(CITABLE_MODEL_NAMES)


def test_the_highest_public_source_is_the_top_of_public_sources_for_each_kind_of_fact():
    from sources.models import CITABLE_MODEL_NAMES

    assert Citation.objects.highest_public_source_id() == 0  # no source at all
    SourceFactory()
    assert Citation.objects.highest_public_source_id() == 0  # a source that supports nothing
    for state in ["published", *HIDDEN_STATES]:
        facts = facts_of(person_in(state))
        facts[Person] = facts[NameVariant].person
        for model, fact in facts.items():
            if model._meta.model_name not in CITABLE_MODEL_NAMES:
                continue
            if state == "published":
                shown = CitationFactory(content_object=fact).source
                assert Citation.objects.highest_public_source_id() == shown.pk, model
            # Higher sources that support nothing public: each stays below the public one.
            CitationFactory(content_object=fact, is_private=True)
            if state == "published":
                CitationFactory(content_object=fact, review_state="pending")
            else:
                CitationFactory(content_object=fact)
            highest = Source.objects.public().order_by("-pk").first()
            assert Citation.objects.highest_public_source_id() == highest.pk == shown.pk, (model, state)


def test_a_source_is_public_only_while_it_supports_a_public_fact():
    source = SourceFactory()
    CitationFactory(source=source, content_object=pf.StatusEventFactory(person=person_in("draft")))
    assert not Source.objects.public().filter(pk=source.pk).exists()
    CitationFactory(source=source, content_object=pf.StatusEventFactory(person=person_in("published")))
    assert Source.objects.public().filter(pk=source.pk).exists()


def test_a_document_is_public_when_marked_public_and_about_public_people_only():
    public_person, hidden_person = person_in("published"), person_in("draft")
    restricted = DocumentFactory(is_public=False)
    restricted.people.add(public_person)
    about_nobody = DocumentFactory(is_public=True)
    shared = DocumentFactory(is_public=True)
    shared.people.add(public_person, hidden_person)
    shown = DocumentFactory(is_public=True)
    shown.people.add(public_person)
    assert list(Document.objects.public()) == [shown]
    assert {restricted, about_nobody, shared} & set(Document.objects.public()) == set()


def test_public_search_never_matches_a_private_name():
    person = person_in("published")
    pf.NameVariantFactory(person=person, text="Zmitser Pseudonymov", is_private=True)
    assert not Person.objects.public().matching("Pseudonymov").exists()
    assert Person.objects.public().matching(person.display_name).exists()
    # Staff search still finds it.
    assert [m.person_id for m in Person.objects.all().name_matches("Pseudonymov")] == [person.pk]
