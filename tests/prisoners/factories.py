import factory
from django.utils import timezone

from prisoners import models
from prisoners.roles import SYSTEM
from prisoners.services import person_names_sync


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Person

    display_name = factory.Sequence(lambda n: f"Test Person {n}")
    publication_state = models.PublicationState.PUBLISHED
    # As record_save() does when a person becomes public.
    public_updated_at = factory.LazyAttribute(
        lambda person: timezone.now() if person.publication_state == models.PublicationState.PUBLISHED else None
    )

    @factory.post_generation
    def searchable_names(person, create, extracted, **kwargs):
        # As the admin does on save: the record's own names become searchable variants.
        if create:
            person_names_sync(acting_user=SYSTEM, person=person)


class NameVariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.NameVariant

    person = factory.SubFactory(PersonFactory)
    text = factory.Sequence(lambda n: f"Variant {n}")


class StatusEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.StatusEvent

    person = factory.SubFactory(PersonFactory)
    date = "2021-07-14"
    status = models.Status.DETAINED


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Case

    title = factory.Sequence(lambda n: f"Case {n}")


class DefendantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Defendant

    case = factory.SubFactory(CaseFactory)
    person = factory.SubFactory(PersonFactory)


class LegalArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.LegalArticle
        django_get_or_create = ("code", "article", "part")

    code = models.LegalCode.CRIMINAL
    article = factory.Sequence(lambda n: str(300 + n))
    part = "1"
    title = factory.Sequence(lambda n: f"Offence {n}")


class ChargeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Charge

    defendant = factory.SubFactory(DefendantFactory)
    article = factory.SubFactory(LegalArticleFactory)


class SentenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Sentence

    defendant = factory.SubFactory(DefendantFactory)
    date = "2021-12-14"
    term_years = 5


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Facility

    name = factory.Sequence(lambda n: f"Penal colony No. {n}")
    kind = models.FacilityKind.COLONY


class CustodyPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CustodyPeriod

    person = factory.SubFactory(PersonFactory)
    facility = factory.SubFactory(FacilityFactory)
    start = "2022-01"


class ReleaseGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ReleaseGroup

    name = factory.Sequence(lambda n: f"Release group {n}")
    date = "2025-06-21"


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Release

    person = factory.SubFactory(PersonFactory)
    date = "2025-06-21"
    release_type = models.ReleaseType.PARDON


class ExternalIdentifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ExternalIdentifier

    person = factory.SubFactory(PersonFactory)
    scheme = models.IdentifierScheme.WIKIDATA
    value = factory.Sequence(lambda n: f"Q{1000 + n}")


class ChangeProposalFactory(factory.django.DjangoModelFactory):
    """A Researcher's held change of a published person's occupation."""

    class Meta:
        model = models.ChangeProposal

    kind = models.ProposalKind.CHANGE
    target = factory.SubFactory(PersonFactory, occupation="")
    person = factory.SelfAttribute("target")
    changes = factory.LazyFunction(lambda: {"occupation": ["", "teacher"]})


def person_with(*facts, **person_fields) -> models.Person:
    """A person with status events (status, date) and releases (ReleaseType, date), status refreshed."""
    from prisoners.services import person_status_refresh

    person = PersonFactory(**person_fields)
    for kind, date in facts:
        if kind in models.ReleaseType.values:
            ReleaseFactory(person=person, date=date, release_type=kind)
        else:
            StatusEventFactory(person=person, date=date, status=kind)
    person_status_refresh(person=person)
    person.refresh_from_db()
    return person
