"""The batched write path the import uses: records_bulk_create() and its companions write what record_save() would."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict
from simple_history.utils import bulk_update_with_history

from prisoners.models import (
    ChangeProposal,
    NameVariant,
    Person,
    ProposalKind,
    PublicationState,
    ReviewState,
    Status,
    StatusEvent,
)
from prisoners.roles import SYSTEM
from prisoners.services import (
    NOT_CITED,
    NOT_NEW,
    names_likely_duplicates,
    names_likely_duplicates_many,
    people_publish,
    record_save,
    records_bulk_create,
    rows_update_with_history,
    status_refresh_batched,
)
from sources.models import Citation
from tests.prisoners.factories import NameVariantFactory, PersonFactory
from tests.sources.factories import SourceFactory

pytestmark = pytest.mark.django_db

# Written by the database or by the write itself: never equal between two records.
BOOKKEEPING = {"id", "created_at", "updated_at", "person", "object_id", "source"}


def stored(obj) -> dict:
    fresh = type(obj)._base_manager.get(pk=obj.pk)
    return {name: value for name, value in model_to_dict(fresh).items() if name not in BOOKKEEPING}


def two_ways(make):
    """The same new record saved by record_save(), then (that one removed) by records_bulk_create()."""
    one = record_save(acting_user=SYSTEM, obj=make(), reason="one")
    by_record_save = stored(one)
    type(one)._base_manager.filter(pk=one.pk).delete()
    many = records_bulk_create(acting_user=SYSTEM, objects=[make()], reason="many")[0]
    return by_record_save, stored(many)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda: Person(display_name="Ales Bialiatski", name_be="Алесь Бяляцкі", birth_date="1962-09-25"),
            id="person",
        ),
        pytest.param(lambda: NameVariant(person=Person.objects.get(), text="Алесь Бяляцкі"), id="name"),
        pytest.param(
            lambda: StatusEvent(person=Person.objects.get(), status=Status.DETAINED, date="2020-22"), id="event"
        ),
        pytest.param(
            lambda: Citation(content_object=Person.objects.get(), source=SourceFactory(), field_name="private notes"),
            id="citation of a private field",
        ),
    ],
)
def test_a_record_created_in_bulk_is_stored_as_record_save_stores_it(make):
    PersonFactory(display_name="Someone recorded", publication_state=PublicationState.DRAFT)

    by_record_save, in_bulk = two_ways(make)

    assert in_bulk == by_record_save


def test_the_add_permission_is_asked_once_for_the_whole_batch(researcher, monkeypatch):
    person = PersonFactory(publication_state=PublicationState.DRAFT)
    asked = []
    has_perm = researcher.has_perm
    monkeypatch.setattr(researcher, "has_perm", lambda perm, obj=None: asked.append(perm) or has_perm(perm))

    events = [StatusEvent(person=person, status=Status.DETAINED, date=f"2020-05-{day:02}") for day in range(1, 29)]
    records_bulk_create(acting_user=researcher, objects=events, reason="CSV import")

    assert asked.count("prisoners.add_statusevent") == 1
    assert StatusEvent.objects.filter(person=person).count() == 28


def test_staff_without_the_add_permission_write_nothing(client):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    person = PersonFactory()

    with pytest.raises(PermissionDenied):
        records_bulk_create(acting_user=viewer, objects=[NameVariant(person=person, text="Ales")])

    assert not NameVariant.objects.filter(text="Ales").exists()


def test_only_new_records_are_created_in_bulk():
    person = PersonFactory()

    with pytest.raises(ValueError, match=re.escape(NOT_NEW)):
        records_bulk_create(acting_user=SYSTEM, objects=[person])


def test_a_researchers_new_facts_wait_for_review_on_a_published_person_only(researcher):
    published, draft = PersonFactory(), PersonFactory(publication_state=PublicationState.DRAFT)
    record_save(acting_user=researcher, obj=StatusEvent(person=published, status=Status.DETAINED, date="2020-05-01"))
    one_by_one = StatusEvent.objects.get(person=published)

    records_bulk_create(
        acting_user=researcher,
        objects=[
            StatusEvent(person=published, status=Status.IMPRISONED, date="2021-01-01"),
            StatusEvent(person=draft, status=Status.DETAINED, date="2020-05-01"),
        ],
        reason="CSV import",
    )

    in_bulk = StatusEvent.objects.get(person=published, status=Status.IMPRISONED)
    assert (one_by_one.review_state, in_bulk.review_state) == (ReviewState.PENDING, ReviewState.PENDING)
    proposal = ChangeProposal.objects.get(object_id=in_bulk.pk, kind=ProposalKind.ADDITION)
    assert (proposal.person, proposal.proposed_by, proposal.reason) == (published, researcher, "CSV import")
    assert StatusEvent.objects.get(person=draft).review_state == ReviewState.APPROVED
    assert not StatusEvent.objects.public().filter(person=published).exists()


def test_new_facts_on_a_published_person_move_its_last_public_change(editor):
    published, draft = PersonFactory(), PersonFactory(publication_state=PublicationState.DRAFT)
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    Person.objects.update(public_updated_at=long_ago)

    records_bulk_create(
        acting_user=editor,
        objects=[NameVariant(person=published, text="Ales B."), NameVariant(person=draft, text="Anna B.")],
    )

    published.refresh_from_db()
    draft.refresh_from_db()
    assert published.public_updated_at > long_ago
    assert draft.public_updated_at == long_ago


def test_history_rows_keep_the_user_and_the_reason(editor):
    person = PersonFactory()

    records_bulk_create(acting_user=editor, objects=[NameVariant(person=person, text="Ales B.")], reason="CSV import")

    row = NameVariant.history.get(text="Ales B.")
    assert (row.history_type, row.history_user, row.history_change_reason) == ("+", editor, "CSV import")


def test_the_derived_status_of_the_batchs_people_is_refreshed_once_at_the_end(editor, monkeypatch):
    from prisoners import services

    people = [PersonFactory(publication_state=PublicationState.DRAFT) for _ in range(3)]
    passes = []
    refresh = services.people_status_refresh
    monkeypatch.setattr(services, "people_status_refresh", lambda **kwargs: passes.append(1) or refresh(**kwargs))

    with status_refresh_batched(acting_user=editor):
        records_bulk_create(
            acting_user=editor,
            objects=[StatusEvent(person=person, status=Status.DETAINED, date="2021-07-14") for person in people],
        )
        record_save(acting_user=editor, obj=StatusEvent(person=people[0], status=Status.IMPRISONED, date="2022"))

    assert len(passes) == 1
    assert [Person.objects.get(pk=p.pk).current_status for p in people] == ["imprisoned", "detained", "detained"]


def test_people_publish_needs_a_citation_and_an_editor(editor, researcher):
    cited, uncited = (PersonFactory(publication_state=PublicationState.DRAFT) for _ in range(2))
    record_save(acting_user=editor, obj=Citation(content_object=cited, source=SourceFactory(), quote="was detained"))

    with pytest.raises(PermissionDenied):
        people_publish(acting_user=researcher, people=[cited])
    with pytest.raises(ValidationError, match=NOT_CITED):
        people_publish(acting_user=editor, people=[cited, uncited])

    people_publish(acting_user=editor, people=[cited])

    cited.refresh_from_db()
    assert cited.is_public() and cited.published_at and cited.public_updated_at
    row = cited.history.latest("history_date")
    assert (row.history_user, row.history_change_reason, row.publication_state) == (editor, "published", "published")


def test_rows_update_with_history_stores_what_bulk_update_with_history_stores():
    people = [PersonFactory(publication_state=PublicationState.DRAFT) for _ in range(2)]
    for person, code in zip(people, ["10y", "1y6m"], strict=True):
        person.total_term_code, person.released_on = code, dt.date(2025, 6, 21)

    rows_update_with_history(people[:1], Person, ["total_term_code", "released_on"], default_change_reason="derived")
    bulk_update_with_history(people[1:], Person, ["total_term_code", "released_on"], default_change_reason="derived")

    stored = (
        Person.objects.filter(pk__in=[p.pk for p in people])
        .order_by("pk")
        .values_list("total_term_code", "released_on")
    )
    assert list(stored) == [("10y", dt.date(2025, 6, 21)), ("1y6m", dt.date(2025, 6, 21))]
    rows = [person.history.latest("history_date") for person in people]
    assert [(r.history_type, r.history_change_reason, r.total_term_code) for r in rows] == [
        ("~", "derived", "10y"),
        ("~", "derived", "1y6m"),
    ]


NAMES = [
    "Sergey Tikhanovsky",
    "Сяргей Ціханоўскі",
    "Тихановская Светлана",
    "Maria Kalesnikava",
    "Марыя Калеснікава",
    "Ales Bialiatski",
    "Ihar Losik",
    "Nobody Recorded",
    "",
]


def test_looking_up_many_names_at_once_gives_what_one_search_per_name_gives():
    for display, variants in [
        ("Siarhei Tsikhanouski", ["Сяргей Ціханоўскі", "Sergei Tikhanovsky"]),
        ("Sviatlana Tsikhanouskaya", ["Святлана Ціханоўская"]),
        ("Maryia Kalesnikava", ["Мария Колесникова"]),
        ("Ales Bialiatski", ["Алесь Бяляцкі"]),
        ("Ales Bialiatski Junior", []),
    ]:
        person = PersonFactory(display_name=display)
        for text in variants:
            NameVariantFactory(person=person, text=text)
    gone = PersonFactory(display_name="Ihar Losik")
    gone.deleted_at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    gone.save()

    together = names_likely_duplicates_many(names={index: [name] for index, name in enumerate(NAMES)})

    one_by_one = {index: names_likely_duplicates(names=[name]) for index, name in enumerate(NAMES)}
    assert together == {index: found for index, found in one_by_one.items() if found}
    assert {d.person.display_name for d in together[0]} == {"Siarhei Tsikhanouski"}
    assert 6 not in together  # deleted people are no one's duplicate
