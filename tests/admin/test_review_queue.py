"""The review queue in the admin: a Researcher's edit waits with a diff, an Editor approves it."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from prisoners.models import ChangeProposal, Person, ProposalState
from tests.admin.test_person_admin import change_url, form_data
from tests.prisoners.factories import PersonFactory

pytestmark = pytest.mark.django_db
QUEUE_URL = reverse("admin:prisoners_changeproposal_changelist")


@pytest.fixture
def person():
    return PersonFactory(display_name="Ihar Losik", occupation="blogger")


def researcher_edits(researcher_client, person, **fields):
    url = change_url(person)
    return researcher_client.post(url, form_data(researcher_client, url, **fields), follow=True)


def test_a_researchers_edit_says_it_waits_and_the_record_keeps_its_value(researcher_client, person):
    response = researcher_edits(researcher_client, person, occupation="journalist")
    assert any("review" in str(message) for message in get_messages(response.wsgi_request))
    assert Person.objects.get(pk=person.pk).occupation == "blogger"
    notice = researcher_client.get(change_url(person))
    assert any("wait for an editor" in str(m) or "waits for an editor" in str(m) for m in notice.context["messages"])


def test_the_editor_sees_the_diff_and_approves(researcher_client, editor, person):
    researcher_edits(researcher_client, person, occupation="journalist")
    editor_client = Client()
    editor_client.force_login(editor)
    page = editor_client.get(QUEUE_URL).content.decode()
    assert "<del>blogger</del>" in page and "<ins>journalist</ins>" in page
    proposal = ChangeProposal.objects.get()
    editor_client.post(QUEUE_URL, {"action": "approve", "_selected_action": [proposal.pk]})
    assert Person.objects.get(pk=person.pk).occupation == "journalist"
    assert ChangeProposal.objects.get().state == ProposalState.APPROVED
    # Decided changes leave the queue's default view.
    assert "<ins>journalist</ins>" not in editor_client.get(QUEUE_URL).content.decode()


def test_a_researcher_sees_the_queue_but_cannot_decide(researcher_client, person):
    researcher_edits(researcher_client, person, occupation="journalist")
    page = researcher_client.get(QUEUE_URL)
    assert page.status_code == 200
    assert 'value="approve"' not in page.content.decode()
    proposal = ChangeProposal.objects.get()
    researcher_client.post(QUEUE_URL, {"action": "approve", "_selected_action": [proposal.pk]})
    assert ChangeProposal.objects.get().state == ProposalState.PENDING
    assert Person.objects.get(pk=person.pk).occupation == "blogger"


def test_the_queue_lists_in_a_fixed_number_of_queries(researcher_client, editor):
    editor_client = Client()
    editor_client.force_login(editor)

    def queries_for(count: int) -> int:
        for number in range(count):
            researcher_edits(researcher_client, PersonFactory(occupation="blogger"), occupation=f"journalist {number}")
        with CaptureQueriesContext(connection) as captured:
            assert editor_client.get(QUEUE_URL).status_code == 200
        return len(captured.captured_queries)

    assert queries_for(3) == queries_for(6)
