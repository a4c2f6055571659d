import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from prisoners import collation, identity
from prisoners.models import (
    CustodySpell,
    Defendant,
    NameScript,
    NameVariant,
    Person,
    Release,
    Sentence,
    SentenceKind,
    StatusEvent,
)
from prisoners.synthetic import CHANGE_REASON, REFUSED, SURNAMES
from sources.models import Citation, Source
from tests.prisoners.factories import PersonFactory

PEOPLE = 30


@pytest.fixture
def generated(db):
    call_command("generate_synthetic", "--people", str(PEOPLE), "--seed", "7", "--no-progress")
    return list(Person.objects.order_by("pk"))


def test_every_synthetic_person_is_published_with_the_benchmark_shape(generated):
    assert len(generated) == PEOPLE
    assert Person.objects.public().count() == PEOPLE
    for person in generated:
        assert person.name_variants.count() == 3
        assert 3 <= person.status_events.count() <= 4
        (role,) = Defendant.objects.filter(person=person)
        assert 1 <= role.charges.count() <= 3
        assert 1 <= role.sentences.count() <= 2
        assert person.custody_periods.count() == 1
        assert person.releases.count() <= 1
        assert 8 <= Citation.objects.about(person).count() <= 13
    assert Release.objects.count() == round(PEOPLE * 0.3)
    assert 9 <= Citation.objects.count() / PEOPLE <= 11.5
    assert Source.objects.public().count() >= 10


def test_synthetic_people_have_their_status_and_custody_spells_derived(generated):
    for person in generated:
        assert person.current_status
        assert person.custody_started_on is not None
        assert person.total_term_code
    # Every one of them was detained, so every one has a stored spell.
    assert set(CustodySpell.objects.values_list("person", flat=True)) == {person.pk for person in generated}
    released = Person.objects.filter(releases__isnull=False)
    assert released.count() == round(PEOPLE * 0.3)
    assert all(person.released_on or person.current_status == "died_in_custody" for person in released)


def test_names_carry_the_fields_save_would_compute(generated):
    for variant in NameVariant.objects.all():
        assert variant.normalized == identity.name_key_text(variant.text)
        cyrillic = any("\u0400" <= c <= "\u04ff" for c in variant.text)
        assert variant.script == (NameScript.CYRILLIC if cyrillic else NameScript.LATIN)
    for person in generated:
        for language, field in collation.SORT_KEY_FIELDS.items():
            assert getattr(person, field) == collation.name_sort_key(person.name_in(language), language)[:255]
    assert {v.language for v in NameVariant.objects.all()} == {"", "be", "ru"}


def test_appeal_sentences_name_the_sentence_they_replace(generated):
    for appeal in Sentence.objects.filter(kind=SentenceKind.CHANGED_ON_APPEAL):
        assert appeal.amends.defendant_id == appeal.defendant_id


def test_bulk_written_rows_have_history(generated):
    assert Person.history.filter(history_change_reason=CHANGE_REASON).count() == PEOPLE
    assert Person.history.filter(history_change_reason="status derived from events").count() == PEOPLE
    assert NameVariant.history.count() == NameVariant.objects.count() == 3 * PEOPLE
    assert StatusEvent.history.count() == StatusEvent.objects.count()
    assert Citation.history.count() == Citation.objects.count()


def test_same_seed_makes_the_same_people(db):
    call_command("generate_synthetic", "--people", "5", "--seed", "3", "--no-progress")
    first = list(Person.objects.order_by("pk").values_list("display_name", "current_status", "birth_date"))
    Person.objects.all().delete()
    call_command("generate_synthetic", "--people", "5", "--seed", "3", "--no-progress", "--force")
    assert list(Person.objects.order_by("pk").values_list("display_name", "current_status", "birth_date")) == first


def test_a_database_with_people_is_refused_without_force_when_debug_is_off(db, settings):
    settings.DEBUG = False
    PersonFactory()
    with pytest.raises(CommandError) as refused:
        call_command("generate_synthetic", "--people", "2", "--no-progress")
    assert str(refused.value) == REFUSED.format(count=1)
    assert Person.objects.count() == 1

    call_command("generate_synthetic", "--people", "2", "--no-progress", "--force")
    assert Person.objects.count() == 3


def test_every_surname_differs_between_belarusian_and_russian():
    # A person's three name variants must be three different names (one variant per text).
    for surname in SURNAMES:
        assert surname.be != surname.ru
        assert (surname.be_f != surname.ru_f) or not surname.latin_f


def test_slugs_stay_unique_across_runs(db):
    call_command("generate_synthetic", "--people", "3", "--no-progress")
    call_command("generate_synthetic", "--people", "3", "--no-progress", "--force")
    assert Person.objects.values("slug").annotate(n=Count("pk")).filter(n__gt=1).count() == 0


def test_no_synthetic_public_change_lies_in_the_future(db):
    """People are published over two years and changed up to a month later: those of the last month too."""
    from django.utils import timezone

    call_command("generate_synthetic", "--people", "300", "--seed", "7", "--no-progress")
    people = Person.objects.all()
    recent = people.filter(published_at__gte=timezone.now() - dt.timedelta(days=30))
    assert recent.exists(), "no one published in the last month: the rule is not exercised"
    assert all(person.published_at <= person.public_updated_at <= timezone.now() for person in people)
