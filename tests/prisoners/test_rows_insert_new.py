"""rows_insert_new() stores new records as bulk_create() stores them (on PostgreSQL through COPY)."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from prisoners.models import NameVariant, Person, Sentence, SentenceKind
from prisoners.services import rows_insert_new
from sources.models import Citation
from tests.prisoners.factories import DefendantFactory, PersonFactory
from tests.sources.factories import SourceFactory

pytestmark = pytest.mark.django_db


def stored(obj) -> dict:
    """Every column of the record as read back, but its id and the times the save itself set."""
    row = type(obj).objects.get(pk=obj.pk)
    set_by_saving = {
        field.attname
        for field in row._meta.concrete_fields
        if field.primary_key or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    }
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if f.attname not in set_by_saving}


def unsaved_records():
    """One of each kind of value: text in two scripts, dates, datetimes, a decimal, a file, a foreign key."""
    person = PersonFactory()
    defendant, source = DefendantFactory(person=person), SourceFactory()
    now = timezone.now()
    return [
        lambda: Person(
            display_name="Ales Bialiatski",
            name_be="Алесь Бяляцкі",
            birth_date="1962-09",
            photo="photos/a.jpg",
            published_at=now,
            private_notes="tab\there, a new line\nand a backslash \\ too",
        ),
        lambda: NameVariant(person=person, text="Алесь Бяляцкі", normalized="alas bialatski"),
        lambda: Sentence(
            defendant=defendant,
            kind=SentenceKind.ORIGINAL,
            date="2023-03-03",
            term_years=10,
            fine_amount=Decimal("1250.50"),
        ),
        lambda: Citation(
            content_type=ContentType.objects.get_for_model(Person),
            object_id=person.pk,
            source=source,
            quote="was detained",
        ),
    ]


def test_each_record_is_stored_as_bulk_create_stores_it():
    for make in unsaved_records():
        theirs = make()
        type(theirs).objects.bulk_create([theirs])
        expected = stored(theirs)
        theirs.delete()  # the same record again must not clash with it
        ours = make()
        rows_insert_new(type(ours), [ours])

        assert ours.pk and ours.pk != theirs.pk
        assert not ours._state.adding and ours._state.db == "default"
        assert stored(ours) == expected


def test_ids_come_in_the_order_of_the_records_and_match_what_was_stored(django_assert_num_queries):
    people = [Person(display_name=f"Person {number}", slug=f"person-{number}-copy") for number in range(5)]
    # On PostgreSQL the ids are drawn in one statement and the rows copied in another.
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 1):
        rows_insert_new(Person, people)
    assert [person.pk for person in people] == sorted(person.pk for person in people)
    by_id = dict(Person.objects.filter(pk__in=[person.pk for person in people]).values_list("pk", "slug"))
    assert by_id == {person.pk: person.slug for person in people}
