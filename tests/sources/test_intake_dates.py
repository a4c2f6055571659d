"""The article intake takes dates as researchers type them and records the fact with their EDTF."""

import pytest
from django.urls import reverse

from casetracker.dates import PartialDateFormField
from prisoners.models import PublicationState, Status, StatusEvent
from sources.forms import IntakeFactForm
from sources.intake import FactType, intake_record_fact
from sources.models import Source
from tests.prisoners.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_a_fact_from_the_intake_page_is_stored_with_the_edtf_of_the_typed_date(researcher_client):
    person = PersonFactory(publication_state=PublicationState.DRAFT)
    source = Source.objects.create(title="Report", text="Затрыманы 12 траўня 2021 г.")
    response = researcher_client.post(
        reverse("admin:sources_source_intake", args=[source.pk]),
        {
            "quote": "Затрыманы 12 траўня 2021 г.",
            "other_person": person.pk,
            "fact_type": FactType.STATUS_EVENT,
            "status": Status.DETAINED,
            "date": "12 траўня 2021 г.",
            "certainty": "reported",
        },
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert StatusEvent.objects.get(person=person).date == "2021-05-12"


def test_the_intake_form_refuses_a_date_it_cannot_read_next_to_the_field():
    person = PersonFactory()
    form = IntakeFactForm(
        {"quote": "x", "other_person": person.pk, "fact_type": FactType.RELEASE, "date": "05/13/2020"},
        mentioned=[person],
    )
    assert isinstance(form.fields["date"], PartialDateFormField)
    assert not form.is_valid()
    assert "date" in form.errors and "read day first" in " ".join(form.errors["date"])


def test_the_intake_service_reads_a_typed_date_too(researcher):
    person = PersonFactory(publication_state=PublicationState.DRAFT)
    source = Source.objects.create(title="Report", text="Задержан в мае 2020 года.")
    event = intake_record_fact(
        acting_user=researcher,
        source=source,
        fact_type=FactType.STATUS_EVENT,
        person=person,
        quote="Задержан в мае 2020 года.",
        date="в мае 2020 года",
        status=Status.DETAINED,
    )
    assert (event.date, event.date_latest.isoformat()) == ("2020-05", "2020-05-31")
