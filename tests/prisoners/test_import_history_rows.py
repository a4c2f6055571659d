"""history_rows_create() writes the history rows simple_history's bulk_history_create() writes, faster."""

from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone
from simple_history.utils import get_history_manager_for_model

from prisoners.models import NameVariant, Person, PublicationState, Status, StatusEvent
from prisoners.services import history_rows_create
from tests.prisoners.factories import NameVariantFactory, PersonFactory, SentenceFactory, StatusEventFactory

pytestmark = pytest.mark.django_db

# Different between any two history rows, whoever writes them.
BOOKKEEPING = {"history_id", "history_date"}


def history_of(obj) -> list[dict]:
    rows = type(obj).history.filter(id=obj.pk).order_by("history_id")
    return [{k: v for k, v in model_to_dict(row).items() if k not in BOOKKEEPING} for row in rows]


def both_ways(obj, **options) -> tuple[dict, dict]:
    """The history row the library writes for `obj`, and the one history_rows_create() writes."""
    type(obj).history.filter(id=obj.pk).delete()
    get_history_manager_for_model(type(obj)).bulk_history_create([obj], **options)
    history_rows_create([obj], type(obj), **options)
    by_library, ours = history_of(obj)
    return by_library, ours


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda: PersonFactory(
                display_name="Ales Bialiatski", name_be="Алесь Бяляцкі", birth_date="1962-09-25", region="minsk"
            ),
            id="person",
        ),
        pytest.param(
            # Values COPY cannot take as the record holds them: a file, datetimes, a decimal.
            lambda: PersonFactory(photo="photos/a.jpg", published_at=timezone.now(), deleted_at=timezone.now()),
            id="person with a photo and times",
        ),
        pytest.param(lambda: SentenceFactory(fine_amount=Decimal("1250.50"), term_years=3), id="sentence with a fine"),
        pytest.param(lambda: NameVariantFactory(text="Алесь Бяляцкі"), id="name"),
        pytest.param(lambda: StatusEventFactory(status=Status.DETAINED, date="2020-05"), id="event"),
    ],
)
@pytest.mark.parametrize("update", [False, True], ids=["created", "changed"])
def test_the_rows_written_are_those_simple_history_writes(make, update, editor):
    by_library, ours = both_ways(make(), update=update, default_user=editor, default_change_reason="CSV import")

    assert ours == by_library
    assert (ours["history_type"], ours["history_user"]) == ("~" if update else "+", editor.pk)


def test_a_records_own_user_and_reason_come_before_the_defaults(editor, researcher):
    person = PersonFactory(publication_state=PublicationState.DRAFT)
    person._history_user, person._change_reason = researcher, "merged"

    by_library, ours = both_ways(person, update=True, default_user=editor, default_change_reason="derived")

    assert ours == by_library
    assert (ours["history_user"], ours["history_change_reason"]) == (researcher.pk, "merged")


def test_many_records_take_one_insert(django_assert_num_queries):
    events = [StatusEventFactory(status=Status.DETAINED, date=f"2020-05-{day:02}") for day in range(1, 29)]

    with django_assert_num_queries(1):
        history_rows_create(events, StatusEvent, default_change_reason="CSV import")

    assert StatusEvent.history.filter(history_change_reason="CSV import").count() == 28


def test_nothing_to_write_asks_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        history_rows_create([], NameVariant)
        history_rows_create([], Person, update=True)
